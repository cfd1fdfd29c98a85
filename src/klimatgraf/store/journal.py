"""Commit, recover and read: nothing half-written, and no mix of two builds is ever read.

- every artefact is staged under a temporary name in the build directory (`store.atomic`);
- `commit` writes a journal (`.commit.json`: the renames to do), performs the renames and
  deletes the journal, holding the reader lock (`.commit.lock`) exclusively;
- readers (`reading`) hold that lock shared while they load, and finish a journal left by a
  build that was killed mid-commit (the staged files it names are complete), so they see
  either the previous build or the new one, never a mix;
- `recover`, run by the next build under the build lock, finishes such a journal too and
  deletes the temporary files of builds that died.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import BuildCorruptError
from .atomic import fsync_dir, fsync_file, write_atomically
from .locks import read_lock
from .paths import BUILD_MANIFEST, FIX, JOURNAL, OXIGRAPH_DIR, TOPICS_JSON

__all__ = ["commit", "reading", "recover"]


def commit(build_dir: Path, moves: list[tuple[Path, Path]]) -> None:
    """Move every staged artefact into place as one step for readers (journal, renames, done)."""
    umask = os.umask(0)
    os.umask(umask)
    for tmp, _ in moves:  # temporary directories are owner-only; a server under another user reads them
        tmp.chmod((0o777 if tmp.is_dir() else 0o666) & ~umask)
        for path in [tmp] if tmp.is_file() else [p for p in tmp.rglob("*") if p.is_file()]:
            fsync_file(path)  # on disk before the journal says they are complete
    with read_lock(build_dir, exclusive=True):
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
    fsync_dir(build_dir)
    path.unlink(missing_ok=True)


def _plain_name(name: object) -> str:
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        raise ValueError(name)
    return name


# What builds leave behind when killed: staged artefacts, the swapped-out index and cache temp files.
# Only a build makes these, and recover runs under the build lock, so none of them is live.
_STALE = (".graph.ttl.*.tmp", ".graph.nt.*.tmp", ".graph-latest.nt.*.tmp", f".{TOPICS_JSON}.*.tmp", f".{BUILD_MANIFEST}.*.tmp",
          f".{JOURNAL}.*.tmp", ".index.*.tmp", ".index.old", ".index-old.*.tmp", "cache/embeddings/*/.*.tmp")  # fmt: skip
# Half-made on-disk oxigraph copies: readers make them too (sparql._persistent_store), holding the
# reader lock shared, so they are removed only under that lock held exclusively (no reader is mid-copy).
_STALE_READER = (f"{OXIGRAPH_DIR}/.*.tmp",)


def recover(build_dir: Path) -> None:
    """Finish a commit interrupted by a crash, then delete temp files of builds that died.

    Called with the build lock held, so no live build owns any of those temp files.
    """
    if (build_dir / JOURNAL).exists():
        with read_lock(build_dir, exclusive=True):
            if (build_dir / JOURNAL).exists():
                _apply_journal(build_dir)
    _remove(build_dir, _STALE)
    if any(any(build_dir.glob(pattern)) for pattern in _STALE_READER):
        with read_lock(build_dir, exclusive=True):
            _remove(build_dir, _STALE_READER)


def _remove(build_dir: Path, patterns: tuple[str, ...]) -> None:
    for stale in [p for pattern in patterns for p in build_dir.glob(pattern)]:
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


_HELD = threading.local()  # build directories this thread is reading now (so a nested read takes no second lock)


def _held() -> set[Path]:
    held: set[Path] | None = getattr(_HELD, "dirs", None)
    if held is None:
        held = _HELD.dirs = set()
    return held


@contextmanager
def reading(build_dir: Path) -> Iterator[None]:
    """Hold while loading build artefacts: no commit can swap files meanwhile.

    A journal left by a build killed mid-commit is finished first (its staged files are
    complete), so the reader sees the newest complete build. Re-entrant: a read of the same
    directory inside this one (same thread) takes no second lock, so `open_snapshot`'s loaders
    may themselves call `reading`.
    """
    build_dir = Path(build_dir)
    if not build_dir.is_dir():
        yield
        return
    key = build_dir.resolve()
    held = _held()
    if key in held:
        yield
        return
    if (build_dir / JOURNAL).exists():
        with read_lock(build_dir, exclusive=True) as locked:
            if (build_dir / JOURNAL).exists():
                if not locked:
                    raise BuildCorruptError(f"{build_dir}: a build was interrupted while committing; {FIX}")
                try:
                    _apply_journal(build_dir)
                except OSError as exc:
                    raise BuildCorruptError(
                        f"{build_dir}: cannot finish an interrupted build ({exc.strerror}); {FIX}"
                    ) from None
    with read_lock(build_dir, exclusive=False):
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
