"""The two locks of a build directory (flock: the kernel releases them when a process dies).

- `build_lock`: `.lock`, exclusive, held by the one build that may write; a second build fails
  clearly or waits.
- `read_lock`: `.commit.lock`, held shared by readers while they load and exclusively by a
  commit while it renames; `store.journal.reading` is the readers' entry point.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError, LockError
from .paths import BUILD_LOCK, READ_LOCK

__all__ = ["build_lock", "read_lock"]


@contextmanager
def build_lock(build_dir: Path, wait: bool = False) -> Iterator[None]:
    """An exclusive lock on build_dir/.lock; a second build fails clearly (or waits)."""
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
        handle = (build_dir / BUILD_LOCK).open("w")
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


@contextmanager
def read_lock(build_dir: Path, exclusive: bool) -> Iterator[bool]:
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
