"""The build: data/contracts → build/graph.ttl, graph.nt, build.json and build/index/.

Nothing is half-written: every artefact is written to a temporary file in the build
directory and moved into place with os.replace only when it is complete, and a lock file
keeps two builds from interleaving. A reader during a build sees the previous build.
"""

from __future__ import annotations

import fcntl
import json
import os
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
from .errors import InputError, LockError

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
) -> BuildSummary:
    """Ingest, segment, extract, graph and (optionally) index every contract in data_dir."""
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    with build_lock(build_dir, wait=wait):
        corpus = load_corpus(data_dir, progress=lambda name: report(f"reading {name}", 0, 0))
        graph, fact_count = _graph(corpus, report)
        staged = _stage_graph(graph, build_dir)
        try:
            index_info = _index(corpus, build_dir, model, report) if with_index else None
            for tmp, final in staged:
                os.replace(tmp, final)
        finally:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
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
                }
                for d in corpus.documents
            ],
        }
        write_atomically(
            build_dir / BUILD_MANIFEST,
            lambda tmp: tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"),
        )
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


def _index(corpus: Corpus, build_dir: Path, model: str, report: Progress) -> tuple[str, int | None]:
    from .embed import get_embedder
    from .index import build_index

    manifest = build_index(
        corpus.paragraphs,
        corpus.documents,
        build_dir / INDEX_DIR,
        get_embedder(model),
        progress=lambda done, total: report("embedding paragraphs", done, total),
    )
    return str(build_dir / INDEX_DIR), getattr(manifest, "embedded", None)
