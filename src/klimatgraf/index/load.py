"""Reading an index back: every file checked against the manifest (sizes, sha256, counts), BM25
read with numpy alone, faiss with one OpenMP thread."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BuildCorruptError, BuildMissingError
from ..store import check_digests, reading
from .analyzer import Analyzer
from .manifest import (
    BM25_DIR,
    CONCEPT_VECTORS,
    CONCEPTS,
    ENTRIES,
    FIX,
    MANIFEST,
    PASSAGES,
    SENTENCES,
    VECTORS,
    VOCAB,
    IndexManifest,
    IndexOptions,
    read_manifest,
)
from .passages import bm25_rows


def _faiss() -> Any:
    """faiss with OpenMP limited to one thread.

    A single query against a few thousand vectors gains nothing from threads, and faiss's
    OpenMP workers keep spinning after each call, starving the numpy threads that encode the
    next query: measured 590 ms → 50 ms for ten encode+search rounds on two cores.
    """
    import faiss

    if not _FAISS_READY:
        faiss.omp_set_num_threads(1)
        _FAISS_READY.append(True)
    return faiss


_FAISS_READY: list[bool] = []


@dataclass
class LoadedIndex:
    """Everything a searcher needs, checked against the manifest."""

    path: Path
    manifest: IndexManifest
    options: IndexOptions
    entries: list[dict[str, Any]]
    owners: np.ndarray  # passage row → entry row
    vectors: Any  # faiss index
    bm25: Bm25Scores
    analyzer: Analyzer
    sentence: np.ndarray | None = None  # passage row → sentence passage? (None: the index has none)
    bm25_passages: np.ndarray | None = None  # BM25 row → passage row (None: the same rows)
    concepts: dict[str, Any] | None = None  # the vocabulary and each entry's tags (None: built without them)
    concept_vectors: np.ndarray | None = None  # one e5 vector per concept of `concepts`
    _rows: np.ndarray | None = field(default=None, repr=False)  # 0 … ntotal−1 as faiss labels

    def every_score(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(inner product, passage row) for every passage, in row order: exact scores without
        sorting them. A flat index computes them directly (`compute_distance_subset`, 3–6 ms at
        36 558 rows); a `search` for all rows also sorts every row (10.8 ms there). HNSW and IVF
        indexes have no direct scorer and are searched; their rows come back in score order, -1
        labels dropped."""
        index = self.vectors
        total = int(index.ntotal)
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if isinstance(index, _faiss().IndexFlat):
            if self._rows is None or len(self._rows) != total:
                self._rows = np.arange(total, dtype=np.int64)
            scores = np.empty(total, dtype=np.float32)
            swig_ptr = _faiss().swig_ptr
            index.compute_distance_subset(1, swig_ptr(query), total, swig_ptr(scores), swig_ptr(self._rows))
            return scores, self._rows
        found, rows = index.search(query, total)
        keep = rows[0] >= 0
        return found[0][keep], rows[0][keep]


def load_index(index_dir: Path) -> LoadedIndex:
    """Read and cross-check every file; any problem is one line naming the file and the fix.

    Reads under the build directory's reader lock, so a build committing at the same moment
    cannot swap the directory between two of the files (see `store.reading`).
    """
    index_dir = Path(index_dir)
    with reading(index_dir.parent):
        return read_index(index_dir)


def read_index(index_dir: Path) -> LoadedIndex:
    """`load_index` without taking the reader lock: for a caller that holds it (`store.open_snapshot`)."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    for name in (ENTRIES, PASSAGES, VECTORS, BM25_DIR, VOCAB):
        if not (index_dir / name).exists():
            raise BuildMissingError(f"{index_dir / name} is missing; {FIX}")
    if not manifest.files:
        raise BuildCorruptError(f"{index_dir / MANIFEST} lists no file checksums; {FIX}")
    check_digests(index_dir, manifest.files, MANIFEST, FIX)
    try:
        entries = json.loads((index_dir / ENTRIES).read_text(encoding="utf-8"))
        owners = np.load(index_dir / PASSAGES, allow_pickle=False)
        flags = np.load(index_dir / SENTENCES, allow_pickle=False) if (index_dir / SENTENCES).exists() else None
        vocabulary = json.loads((index_dir / VOCAB).read_text(encoding="utf-8"))
        concepts = (
            json.loads((index_dir / CONCEPTS).read_text(encoding="utf-8")) if CONCEPTS in manifest.files else None
        )
        concept_vectors = (
            np.load(index_dir / CONCEPT_VECTORS, allow_pickle=False) if CONCEPT_VECTORS in manifest.files else None
        )
    except (OSError, ValueError) as err:
        raise BuildCorruptError(
            f"{index_dir}: cannot read {getattr(err, 'filename', None) or 'index data'}; {FIX}"
        ) from None
    if sum(len(e.get("members", [])) for e in entries) != manifest.paragraphs or len(entries) != manifest.entries:
        raise BuildCorruptError(
            f"{index_dir / ENTRIES} holds {len(entries)} entries, {MANIFEST} says {manifest.entries}; {FIX}"
        )
    if owners.shape != (manifest.passages,) or (len(owners) and int(owners.max()) >= len(entries)):
        raise BuildCorruptError(f"{index_dir / PASSAGES} does not match {MANIFEST}; {FIX}")
    if concepts is not None and len(concepts.get("tags", ())) != len(entries):
        raise BuildCorruptError(f"{index_dir / CONCEPTS} does not match {ENTRIES}; {FIX}")
    if concept_vectors is not None and (
        concepts is None or concept_vectors.shape != (len(concepts["scheme"]["concepts"]), manifest.dim)
    ):
        raise BuildCorruptError(f"{index_dir / CONCEPT_VECTORS} does not match {CONCEPTS}; {FIX}")
    if flags is not None and (flags.dtype != np.bool_ or flags.shape != owners.shape):
        raise BuildCorruptError(f"{index_dir / SENTENCES} does not match {MANIFEST}; {FIX}")
    known = {f for f in IndexOptions.__dataclass_fields__}
    options = IndexOptions(**{k: v for k, v in manifest.options.items() if k in known})
    sentence = flags if flags is not None and flags.any() else None  # an index without them: all False
    lexical = bm25_rows(sentence, options) if sentence is not None else None
    if lexical is not None and len(lexical) == len(owners):
        lexical = None
    vectors = _read_faiss(index_dir / VECTORS, manifest)
    bm25 = _read_bm25(index_dir / BM25_DIR, manifest, len(owners) if lexical is None else len(lexical))
    return LoadedIndex(
        index_dir,
        manifest,
        options,
        entries,
        owners,
        vectors,
        bm25,
        Analyzer(vocabulary),
        sentence,
        lexical,
        concepts,
        concept_vectors,
    )


def _read_faiss(path: Path, manifest: IndexManifest) -> Any:
    faiss = _faiss()

    try:
        index = faiss.read_index(str(path))
    except RuntimeError:
        raise BuildCorruptError(f"{path} is not a readable faiss index; {FIX}") from None
    if index.ntotal != manifest.passages or index.d != manifest.dim:
        raise BuildCorruptError(
            f"{path} holds {index.ntotal} vectors of dimension {index.d}, "
            f"{MANIFEST} says {manifest.passages} of {manifest.dim}; {FIX}"
        )
    if hasattr(index, "nprobe"):
        index.nprobe = int(manifest.options.get("ivf_nprobe", 16))
    return index


CSC_ARRAYS = ("data", "indices", "indptr")  # bm25s's file names: <name>.csc.index.npy


@dataclass(frozen=True)
class Bm25Scores:
    """A saved bm25s index read with numpy alone: bm25s keeps every (token, passage) BM25 score
    precomputed in a CSC matrix, so a question's scores are sums of its tokens' columns. Reading it
    this way keeps bm25s and scipy (≈ 0.14 s of imports) out of a one-shot `klimatgraf search`;
    `get_scores` adds in bm25s's own order, so the float32 scores are identical (tested)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    num_docs: int
    vocab_dict: dict[str, int]
    nonoccurrence: np.ndarray | None = None  # only for bm25l/bm25+ (we build lucene)

    def get_scores(self, tokens: Sequence[str]) -> np.ndarray:
        columns = len(self.indptr) - 1  # the empty token, last in the vocabulary, has no column
        ids = [i for i in (self.vocab_dict[t] for t in tokens) if i < columns]
        scores = np.zeros(self.num_docs, dtype=self.data.dtype)
        for token in ids:
            start, end = int(self.indptr[token]), int(self.indptr[token + 1])
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        if self.nonoccurrence is not None:
            scores += self.nonoccurrence[ids].sum()
        return scores


def _read_bm25(path: Path, manifest: IndexManifest, rows: int) -> Bm25Scores:
    """The BM25 index, which holds `rows` passages (all, or all but the dense-only sentence passages)."""
    try:
        params = json.loads((path / "params.index.json").read_text(encoding="utf-8"))
        vocab = json.loads((path / "vocab.index.json").read_text(encoding="utf-8"))
        nonoccurrence = path / "nonoccurrence_array.index.npy"
        data, indices, indptr = (np.load(path / f"{n}.csc.index.npy", allow_pickle=False) for n in CSC_ARRAYS)
        scores = Bm25Scores(
            data,
            indices,
            indptr,
            num_docs=int(params["num_docs"]),
            vocab_dict={str(token): int(i) for token, i in vocab.items()},
            nonoccurrence=np.load(nonoccurrence, allow_pickle=False) if nonoccurrence.exists() else None,
        )
        # bm25s adds the empty token to the vocabulary after the matrix is built: one column fewer
        if not 1 <= len(scores.indptr) <= len(scores.vocab_dict) + 1 or len(scores.data) != len(scores.indices):
            raise ValueError("inconsistent BM25 arrays")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise BuildCorruptError(f"{path} is not a readable BM25 index; {FIX}") from None
    if scores.num_docs != rows:
        raise BuildCorruptError(f"{path} holds {scores.num_docs} passages, the index expects {rows}; {FIX}")
    return scores
