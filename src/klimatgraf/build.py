"""The build: data/contracts → build/graph.ttl, graph.nt, build.json and build/index/.

Nothing is half-written, and no mix of two builds is ever read:
- every artefact is staged under a temporary name in the build directory;
- the commit writes a journal (`.commit.json`: the renames to do), performs the renames and
  deletes the journal, holding the reader lock (`.commit.lock`) exclusively;
- readers (`reading`) hold that lock shared while they load, and finish a journal left by a
  build that was killed mid-commit (the staged files it names are complete), so they see
  either the previous build or the new one, never a mix;
- `build.json` lists the size and sha256 of graph.ttl and graph.nt (the index manifest does
  the same for the index files), so a truncated or corrupted file is an error, not a wrong answer;
- `.lock` (flock, released by the kernel when the process dies) keeps two builds apart.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .config import BUILD_MANIFEST, GRAPH_NT, GRAPH_TTL, INDEX_DIR
from .corpus import Corpus, load_corpus
from .errors import BuildCorruptError, InputError, LockError

JOURNAL = ".commit.json"
READ_LOCK = ".commit.lock"
FIX = "run `klimatgraf build` to rebuild it"

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class BuildSummary:
    documents: int
    paragraphs: int
    boilerplate: int
    triples: int
    facts: int
    seconds: float
    graph: str
    index: str | None
    embedded: int | None  # passages embedded in this build (the rest came from the cache)
    superseded: tuple[str, ...] = ()  # files left out: an edition of the same municipality, type and version is newer
    from_cache: int | None = None  # distinct passage texts whose vector came from the embedding cache


@contextmanager
def build_lock(build_dir: Path, wait: bool = False) -> Iterator[None]:
    """An exclusive lock on build_dir/.lock; a second build fails clearly (or waits)."""
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
        handle = (build_dir / ".lock").open("w")
    except OSError as exc:
        raise InputError(f"cannot write to build directory {build_dir} ({exc.strerror}); pass --build-dir") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockError(f"another klimatgraf build is running in {build_dir}; wait for it or use --wait") from None
        yield
    finally:
        handle.close()


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call write(tmp) on a temp file beside `path`, then move it into place."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def build(
    data_dir: Path,
    build_dir: Path,
    *,
    progress: Progress | None = None,
    with_index: bool = True,
    model: str = "e5",
    wait: bool = False,
    checkpoint_every: int | None = None,
) -> BuildSummary:
    """Ingest, segment, extract, graph and (optionally) index every contract in data_dir."""
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    with build_lock(build_dir, wait=wait):
        recover(build_dir)
        corpus = load_corpus(data_dir, progress=lambda name: report(f"reading {name}", 0, 0))
        graph, fact_count = _graph(corpus, report)
        staged = _stage_graph(graph, build_dir)
        try:
            index_info = _index(corpus, build_dir, model, report, checkpoint_every) if with_index else None
            if index_info is not None:
                staged.append((index_info[2], build_dir / INDEX_DIR))
            summary = BuildSummary(
                documents=len(corpus.documents),
                paragraphs=len(corpus.paragraphs),
                boilerplate=sum(p.boilerplate for p in corpus.paragraphs),
                triples=len(graph),
                facts=fact_count,
                seconds=round(time.perf_counter() - started, 3),
                graph=str(build_dir / GRAPH_TTL),
                index=index_info[0] if index_info else None,
                embedded=index_info[1] if index_info else None,
                superseded=tuple(f"{old.file_name} (replaced by {new.file_name})" for old, new in corpus.superseded),
                from_cache=index_info[3] if index_info else None,
            )
            manifest: dict[str, Any] = {
                **asdict(summary),
                "klimatgraf": __version__,
                "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "documents_detail": [
                    {
                        "doc_id": d.doc_id,
                        "file": d.file_name,
                        "sha256": d.sha256,
                        "municipality": d.municipality.name,
                        "kommunkod": d.municipality.kommunkod,
                        "type": d.doc_type,
                        "version": d.version,
                    }
                    for d in corpus.documents
                ],
                "files": {final.name: _digest(tmp) for tmp, final in staged if final.name in (GRAPH_TTL, GRAPH_NT)},
            }
            fd, manifest_tmp = tempfile.mkstemp(prefix=f".{BUILD_MANIFEST}.", suffix=".tmp", dir=build_dir)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(manifest, ensure_ascii=False, indent=2))
            staged.append((Path(manifest_tmp), build_dir / BUILD_MANIFEST))
            commit(build_dir, staged)
        finally:
            # once the journal exists the staged files belong to it (a reader or the next build finishes it)
            for tmp, _ in [] if (build_dir / JOURNAL).exists() else staged:
                if tmp.is_dir():
                    shutil.rmtree(tmp, ignore_errors=True)
                else:
                    tmp.unlink(missing_ok=True)
    return summary


def _graph(corpus: Corpus, report: Progress) -> tuple[Any, int]:
    from .extract import extract
    from .graph import build_graph

    facts = []
    for i, document in enumerate(corpus.documents, start=1):
        facts.append(extract(document, corpus.paragraphs_of(document.doc_id), corpus.gazetteer))
        report("extracting facts", i, len(corpus.documents))
    fact_count = sum(
        len(f.parties)
        + len(f.twins)
        + len(f.commitments)
        + len(f.targets)
        + len(f.emissions)
        + len(f.themes)
        + len(f.organisations)
        + len(f.steering_documents)
        for f in facts
    )
    report("building graph", 0, 0)
    return build_graph(facts, corpus.paragraphs, corpus.gazetteer), fact_count


def _stage_graph(graph: Any, build_dir: Path) -> list[tuple[Path, Path]]:
    """Serialise into temp files now; they are moved into place after the index succeeds."""
    staged = []
    for name, fmt in ((GRAPH_TTL, "turtle"), (GRAPH_NT, "nt")):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=build_dir)
        os.close(fd)
        graph.serialize(destination=tmp_name, format=fmt, encoding="utf-8")
        staged.append((Path(tmp_name), build_dir / name))
    return staged


def _index(
    corpus: Corpus, build_dir: Path, model: str, report: Progress, checkpoint_every: int | None = None
) -> tuple[str, int | None, Path, int | None]:
    from .embed import CHECKPOINT_EVERY, get_embedder
    from .index import stage_index

    staged, manifest = stage_index(
        corpus.paragraphs,
        corpus.documents,
        build_dir / INDEX_DIR,
        get_embedder(model),
        progress=lambda done, total: report("embedding paragraphs", done, total),
        checkpoint_every=checkpoint_every or CHECKPOINT_EVERY,
    )
    return (
        str(build_dir / INDEX_DIR),
        getattr(manifest, "embedded", None),
        staged,
        getattr(manifest, "from_cache", None),
    )


def _digest(path: Path) -> dict[str, Any]:
    return {"size": path.stat().st_size, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


# ----------------------------------------------------------------------------- commit and readers


@contextmanager
def _read_lock(build_dir: Path, exclusive: bool) -> Iterator[bool]:
    """flock on build_dir/.commit.lock; yields False (no lock) where the directory is read-only."""
    try:
        handle = (build_dir / READ_LOCK).open("a")
    except OSError:
        yield False
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield True
    finally:
        handle.close()


def commit(build_dir: Path, moves: list[tuple[Path, Path]]) -> None:
    """Move every staged artefact into place as one step for readers (journal, renames, done)."""
    umask = os.umask(0)
    os.umask(umask)
    for tmp, _ in moves:  # mkstemp/mkdtemp make owner-only files; a server under another user reads them
        tmp.chmod((0o777 if tmp.is_dir() else 0o666) & ~umask)
    with _read_lock(build_dir, exclusive=True):
        journal = [[tmp.name, final.name] for tmp, final in moves]
        write_atomically(build_dir / JOURNAL, lambda tmp: tmp.write_text(json.dumps(journal), encoding="utf-8"))
        _apply_journal(build_dir)


def _apply_journal(build_dir: Path) -> None:
    """Perform (or finish) the renames of the journal; safe to repeat after a crash at any step."""
    path = build_dir / JOURNAL
    try:
        moves = json.loads(path.read_text(encoding="utf-8"))
        pairs = [(build_dir / _plain_name(a), build_dir / _plain_name(b)) for a, b in moves]
    except (OSError, ValueError, TypeError):
        # the journal is written atomically, so this is damage from outside; the staged files are unknown
        raise BuildCorruptError(f"{path} is unreadable; delete it and {FIX}") from None
    for tmp, final in pairs:
        if not tmp.exists():
            continue  # already moved
        if tmp.is_dir() and final.exists():
            old = build_dir / f".{final.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    path.unlink(missing_ok=True)


def _plain_name(name: object) -> str:
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        raise ValueError(name)
    return name


# What builds leave behind when killed: staged artefacts, the swapped-out index, cache temp files.
_STALE = (".graph.ttl.*.tmp", ".graph.nt.*.tmp", f".{BUILD_MANIFEST}.*.tmp", f".{JOURNAL}.*.tmp", ".index.*.tmp",
          ".index.old", "cache/embeddings/*/.*.tmp")  # fmt: skip


def recover(build_dir: Path) -> None:
    """Finish a commit interrupted by a crash, then delete temp files of builds that died.

    Called with the build lock held, so no live build owns any of those temp files.
    """
    if (build_dir / JOURNAL).exists():
        with _read_lock(build_dir, exclusive=True):
            if (build_dir / JOURNAL).exists():
                _apply_journal(build_dir)
    for stale in [p for pattern in _STALE for p in build_dir.glob(pattern)]:
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


@contextmanager
def reading(build_dir: Path) -> Iterator[None]:
    """Hold while loading build artefacts: no commit can swap files meanwhile.

    A journal left by a build killed mid-commit is finished first (its staged files are
    complete), so the reader sees the newest complete build.
    """
    build_dir = Path(build_dir)
    if not build_dir.is_dir():
        yield
        return
    if (build_dir / JOURNAL).exists():
        with _read_lock(build_dir, exclusive=True) as locked:
            if (build_dir / JOURNAL).exists():
                if not locked:
                    raise BuildCorruptError(f"{build_dir}: a build was interrupted while committing; {FIX}")
                try:
                    _apply_journal(build_dir)
                except OSError as exc:
                    raise BuildCorruptError(
                        f"{build_dir}: cannot finish an interrupted build ({exc.strerror}); {FIX}"
                    ) from None
    with _read_lock(build_dir, exclusive=False):
        yield


def verify_graph_files(build_dir: Path) -> None:
    """graph.ttl and graph.nt match the sizes and checksums recorded in build.json.

    A build directory without build.json (a graph put there by hand) is not checked.
    """
    from .index import check_digests

    path = build_dir / BUILD_MANIFEST
    if not path.exists():
        return
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        if not isinstance(files, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        raise BuildCorruptError(f"{path} is unreadable or lists no file checksums; {FIX}") from None
    check_digests(build_dir, files, BUILD_MANIFEST, FIX)
