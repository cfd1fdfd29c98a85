"""Atomic writes: every file or directory is made under a unique temporary name beside its final
place and renamed into it, so a reader sees the old one or the new one, never half of one.

Temporary names are `.NAME.<random>.tmp` in the target's own directory (the same file system, so
the rename is atomic; `store.journal.recover` knows the pattern). They are created with
O_EXCL and a random part, so two processes writing the same path never share a temporary
file: the last rename wins and both writes succeed. Files are made with the mode a plain
`open()` would give (0666 less the umask), not mkstemp's owner-only 0600.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

__all__ = ["replace_dir", "staging_dir", "staging_file", "write_atomically"]


def _temp_name(final: Path) -> Path:
    return final.parent / f".{final.name}.{secrets.token_hex(6)}.tmp"


def staging_file(final: Path) -> Path:
    """A new, empty file with a unique temporary name beside `final` (the caller renames or deletes it)."""
    final = Path(final)
    while True:
        tmp = _temp_name(final)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


def staging_dir(final: Path) -> Path:
    """A new, empty directory with a unique temporary name beside `final`."""
    final = Path(final)
    while True:
        tmp = _temp_name(final)
        try:
            tmp.mkdir(0o777)
        except FileExistsError:
            continue
        return tmp


def fsync_file(path: Path) -> None:
    """Flush a written file to disk before it is renamed into place."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (a rename) to disk; skipped where the platform cannot."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call write(tmp) on a temporary file beside `path`, flush it to disk, then rename it to `path`.

    If `write` raises, `path` is untouched and the temporary file is gone.
    """
    path = Path(path)
    tmp = staging_file(path)
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def replace_dir(new: Path, target: Path) -> None:
    """Swap the complete directory `new` into `target`; the window without a `target` is two renames long."""
    new, target = Path(new), Path(target)
    if target.exists():
        old = staging_dir(target.parent / f"{target.name}-old")
        os.replace(target, old / target.name)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)
    fsync_dir(target.parent)
