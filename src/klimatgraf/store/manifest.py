"""build.json, typed: what a build made, from which documents, and the checksums of its graph files.

`BuildManifest.read` is the one reader of build.json; a missing file is `BuildMissingError`, a
malformed one `BuildCorruptError`, each one line. The JSON keys are those build.json has always
had, plus `format_version` (1; a build.json without it, written before the key existed, reads as 1)
and `manifest_sha256`, the sha256 of all the other keys: build.json checks the graph files, and
this checks build.json, so damage that leaves valid JSON (a changed letter in a file name or a
checksum) is an error too, not a wrong listing. A build.json without it (older) is read unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from ..errors import BuildCorruptError, BuildMissingError
from .digest import FileDigest, check_digests, sha256_bytes
from .paths import BUILD_MANIFEST, FIX

__all__ = ["FORMAT_VERSION", "BuildManifest", "DocumentRecord", "verify_graph_files"]

FORMAT_VERSION = 1
SELF_DIGEST = "manifest_sha256"

T = TypeVar("T")


@dataclass(frozen=True)
class DocumentRecord:
    """One document of the build (an item of build.json's `documents_detail`)."""

    doc_id: str
    file: str
    municipality: str
    kommunkod: str
    type: str  # a vocabulary.DocType value
    sha256: str = ""
    version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "file": self.file,
            "sha256": self.sha256,
            "municipality": self.municipality,
            "kommunkod": self.kommunkod,
            "type": self.type,
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: object) -> DocumentRecord:
        if not isinstance(data, dict):
            raise TypeError("a document is not an object")
        return cls(
            doc_id=_get(data, "doc_id", str),
            file=_get(data, "file", str),
            municipality=_get(data, "municipality", str),
            kommunkod=_get(data, "kommunkod", str),
            type=_get(data, "type", str),
            sha256=_get(data, "sha256", str, ""),
            version=_get(data, "version", _optional_str, None),
        )


@dataclass(frozen=True)
class BuildManifest:
    """The contents of build.json. Counts are of the committed build; `files` lists graph.ttl and graph.nt."""

    documents_detail: tuple[DocumentRecord, ...]
    files: Mapping[str, FileDigest]
    documents: int = 0
    paragraphs: int = 0
    boilerplate: int = 0
    triples: int = 0
    facts: int = 0
    seconds: float = 0.0
    graph: str = ""
    index: str | None = None
    embedded: int | None = None  # passages embedded in this build (the rest came from the cache)
    superseded: tuple[str, ...] = ()  # files left out: a newer edition of the same municipality, type and version
    from_cache: int | None = None  # distinct passage texts whose vector came from the embedding cache
    klimatgraf: str = ""  # the version that built it
    built: str = ""  # UTC, ISO 8601
    format_version: int = FORMAT_VERSION
    tags: int | None = None  # concept tags put on the paragraphs
    vocabulary: Mapping[str, str] | None = None  # the concept vocabulary: source file, digest, classifier version

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, keys in the order build.json has always had them, `format_version` first."""
        return {
            "format_version": self.format_version,
            "documents": self.documents,
            "paragraphs": self.paragraphs,
            "boilerplate": self.boilerplate,
            "triples": self.triples,
            "facts": self.facts,
            "seconds": self.seconds,
            "graph": self.graph,
            "index": self.index,
            "embedded": self.embedded,
            "superseded": list(self.superseded),
            "from_cache": self.from_cache,
            "klimatgraf": self.klimatgraf,
            "built": self.built,
            "documents_detail": [d.to_dict() for d in self.documents_detail],
            "files": {name: dict(digest) for name, digest in self.files.items()},
            "tags": self.tags,
            "vocabulary": dict(self.vocabulary) if self.vocabulary is not None else None,
        }

    def to_json(self) -> str:
        """build.json's text: `to_dict()` and its `manifest_sha256`."""
        data = self.to_dict()
        return json.dumps({**data, SELF_DIGEST: _self_digest(data)}, ensure_ascii=False, indent=2)

    @classmethod
    def from_dict(cls, data: object) -> BuildManifest:
        """Raises ValueError/TypeError/KeyError on anything but a build.json object."""
        if not isinstance(data, dict):
            raise TypeError("build.json is not an object")
        files = data["files"]
        if not isinstance(files, dict):
            raise TypeError("files is not an object")
        digests: dict[str, FileDigest] = {}
        for name, digest in files.items():
            if not isinstance(digest, dict):
                raise TypeError(name)
            digests[name] = {"size": _get(digest, "size", int), "sha256": _get(digest, "sha256", str)}
        details = data["documents_detail"]
        if not isinstance(details, list):
            raise TypeError("documents_detail is not a list")
        superseded = _get(data, "superseded", list, [])
        return cls(
            documents_detail=tuple(DocumentRecord.from_dict(d) for d in details),
            files=digests,
            documents=_get(data, "documents", int, 0),
            paragraphs=_get(data, "paragraphs", int, 0),
            boilerplate=_get(data, "boilerplate", int, 0),
            triples=_get(data, "triples", int, 0),
            facts=_get(data, "facts", int, 0),
            seconds=float(_get(data, "seconds", _number, 0.0)),
            graph=_get(data, "graph", str, ""),
            index=_get(data, "index", _optional_str, None),
            embedded=_get(data, "embedded", _optional_int, None),
            superseded=tuple(_checked(s, str) for s in superseded),
            from_cache=_get(data, "from_cache", _optional_int, None),
            klimatgraf=_get(data, "klimatgraf", str, ""),
            built=_get(data, "built", str, ""),
            format_version=_get(data, "format_version", int, 1),  # absent: written before the key existed
            tags=_get(data, "tags", _optional_int, None),
            vocabulary=_get(data, "vocabulary", _optional_strings, None),
        )

    @classmethod
    def read(cls, build_dir: Path) -> BuildManifest:
        """build_dir/build.json, checked; missing → BuildMissingError, malformed → BuildCorruptError."""
        path = Path(build_dir) / BUILD_MANIFEST
        if not path.is_file():
            raise BuildMissingError(f"{path} is missing; run `klimatgraf build` first")
        try:
            manifest = cls.from_dict(_load(path))
        except (OSError, ValueError, KeyError, TypeError):
            raise BuildCorruptError(f"{path} is unreadable; {FIX}") from None
        if manifest.format_version > FORMAT_VERSION:
            raise BuildCorruptError(
                f"{path} has build format {manifest.format_version}, this version reads {FORMAT_VERSION}; {FIX}"
            )
        return manifest


def verify_graph_files(build_dir: Path, *, hashed: Collection[str] | None = None) -> frozenset[str]:
    """graph.ttl, graph.nt (and graph-latest.nt) match the sizes and checksums recorded in build.json.

    `hashed`: the files whose bytes the caller reads now (default: every one); the others are
    checked for presence and size only. Oxigraph's on-disk copy of a graph file is made from the
    file after its checksum passed and is keyed by the file's inode, size and mtime, so a reader
    that opens the copy reads no byte of the file (sparql._open_oxigraph).
    A build directory without build.json (a graph put there by hand) is not checked.
    Returns the names of the files build.json lists (none without build.json).
    """
    path = Path(build_dir) / BUILD_MANIFEST
    if not path.exists():
        return frozenset()
    try:
        files = _load(path)["files"]
        if not isinstance(files, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        raise BuildCorruptError(f"{path} is unreadable or lists no file checksums; {FIX}") from None
    check_digests(build_dir, files, BUILD_MANIFEST, FIX, hashed)
    return frozenset(files)


def _self_digest(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return sha256_bytes(canonical.encode("utf-8"))


def _load(path: Path) -> Any:
    """build.json parsed, its `manifest_sha256` checked and removed; ValueError when damaged."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and SELF_DIGEST in data:
        recorded = data.pop(SELF_DIGEST)
        if recorded != _self_digest(data):
            raise ValueError(f"{path} does not match its {SELF_DIGEST}")
    return data


# ----------------------------------------------------------------------------- checked JSON values

_MISSING = object()


def _get(data: Mapping[str, Any], key: str, kind: type[T] | Callable[[object], T], default: Any = _MISSING) -> T:
    if key not in data:
        if default is _MISSING:
            raise KeyError(key)
        return cast(T, default)
    return _checked(data[key], kind)


def _checked(value: object, kind: type[T] | Callable[[object], T]) -> T:
    if isinstance(kind, type):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError(f"{value!r} is not {kind.__name__}")
        return cast(T, value)
    return kind(value)


def _optional_str(value: object) -> str | None:
    return None if value is None else _checked(value, str)


def _optional_strings(value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise TypeError("not an object of strings")
    return dict(value)


def _optional_int(value: object) -> int | None:
    return None if value is None else _checked(value, int)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{value!r} is not a number")
    return float(value)
