"""One digest (sha256) and one check of recorded digests, for every file a build lists."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, TypedDict

from ..errors import BuildCorruptError

__all__ = ["FileDigest", "check_digests", "digest_of", "file_digests", "sha256_bytes", "sha256_of"]


class FileDigest(TypedDict):
    size: int
    sha256: str


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file's bytes (read in blocks)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def sha256_bytes(data: bytes) -> str:
    """The hex sha256 of bytes in memory."""
    return hashlib.sha256(data).hexdigest()


def digest_of(path: Path) -> FileDigest:
    """Size and sha256 of a file, as build.json and the index manifest record them."""
    return {"size": Path(path).stat().st_size, "sha256": sha256_of(path)}


def file_digests(root: Path, exclude: Iterable[str] = ()) -> dict[str, FileDigest]:
    """Size and sha256 of every file under `root` (relative POSIX paths), for checks on load."""
    skip = set(exclude)
    out: dict[str, FileDigest] = {}
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        if name not in skip:
            out[name] = digest_of(path)
    return out


def check_digests(
    root: Path,
    files: Mapping[str, Mapping[str, Any]],
    listed_in: str,
    fix: str,
    hashed: Collection[str] | None = None,
) -> None:
    """Every file listed with its size and sha256 is present and unchanged, else one line naming it.

    A truncated or overwritten file can still parse (a faiss index cut at a vector boundary, an
    N-Triples file cut at a line end) and then answers wrongly; the checksum turns that into an
    error. Cost: one sha256 pass over the files (≈ 2 ms per MB). `hashed` names the files whose
    bytes are read now (default: all); the others are checked for presence and size only.
    """
    for name, expected in files.items():
        path = Path(root) / name
        if not isinstance(expected, Mapping):
            raise BuildCorruptError(f"{listed_in} lists {path} without its size and checksum; {fix}")
        try:
            size = path.stat().st_size
        except OSError:
            raise BuildCorruptError(f"{path} is missing although {listed_in} lists it; {fix}") from None
        if size != expected.get("size"):
            raise BuildCorruptError(
                f"{path} has {size} bytes, {listed_in} says {expected.get('size')} (truncated or overwritten); {fix}"
            )
        if hashed is not None and name not in hashed:
            continue
        try:
            digest = sha256_of(path)
        except OSError:
            raise BuildCorruptError(f"{path} is unreadable; {fix}") from None
        if digest != expected.get("sha256"):
            raise BuildCorruptError(f"{path} does not match its checksum in {listed_in} (corrupted); {fix}")
