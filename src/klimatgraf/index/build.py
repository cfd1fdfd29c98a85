"""Writing an index: passages embedded (through the cache), faiss and BM25 written into a staging
directory beside the final one, then moved into place in one step."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..concepts.scheme import concept_texts
from ..embed import CHECKPOINT_EVERY, Embedder, embed_passages_cached
from ..errors import InputError
from ..store import embedding_cache_dir, file_digests, replace_dir, staging_dir
from ..templatekey import own_municipality
from .analyzer import Analyzer
from .load import _faiss
from .manifest import (
    BM25_DIR,
    CONCEPT_VECTORS,
    CONCEPTS,
    ENTRIES,
    MANIFEST,
    PASSAGES,
    SENTENCES,
    VECTORS,
    VOCAB,
    AnnKind,
    IndexManifest,
    IndexOptions,
    _versions,
    corpus_hash,
)
from .passages import bm25_rows, compose, make_entries, passages

if TYPE_CHECKING:
    from ..concepts.corpus import CorpusTags
    from ..models import Document, Paragraph

Progress = Callable[[int, int], None]


def _faiss_index(vectors: np.ndarray, options: IndexOptions) -> Any:
    faiss = _faiss()

    n, dim = vectors.shape
    index: Any
    if options.ann == "hnsw":
        index = faiss.IndexHNSWFlat(dim, options.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    elif options.ann == "ivf" and n >= 256:
        nlist = max(1, int(np.sqrt(n)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(options.ivf_nprobe, nlist)
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def _write_bm25(tokens: list[list[str]], target: Path) -> None:
    import bm25s

    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index([t or ["\u2205"] for t in tokens], show_progress=False)
    retriever.save(str(target), show_progress=False)


def build_index(
    corpus_paragraphs: Sequence[Paragraph],
    documents: Sequence[Document],
    index_dir: Path,
    embedder: Embedder,
    progress: Progress | None = None,
    kind: AnnKind | None = None,
    **settings: Any,
) -> IndexManifest:
    """Write a complete index to `index_dir` (replacing any old one atomically): `stage_index`
    (same arguments: `options`, `cache_dir`, `checkpoint_every`), then the move into place."""
    staged, manifest = stage_index(corpus_paragraphs, documents, index_dir, embedder, progress, kind, **settings)
    try:
        replace_dir(staged, Path(index_dir))
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return manifest


def stage_index(
    corpus_paragraphs: Sequence[Paragraph],
    documents: Sequence[Document],
    index_dir: Path,
    embedder: Embedder,
    progress: Progress | None = None,
    kind: AnnKind | None = None,
    *,
    options: IndexOptions | None = None,
    cache_dir: Path | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
    concepts: CorpusTags | None = None,
) -> tuple[Path, IndexManifest]:
    """Write a complete index into a temporary directory beside `index_dir` and return it.

    The caller moves it into place: `build_index` at once, a full build together with the
    graph files in one commit (so a reader never sees a new index with an old graph).
    `kind`: "flat" (exact inner product, the default), "hnsw" or "ivf" (approximate, for large
    corpora); it overrides `options.ann`. `cache_dir` (default: `<index_dir>/../cache/embeddings`)
    keeps vectors across builds. `concepts`: the build's vocabulary and tagger; each entry's tags go
    into `concepts.json` beside the vectors, for the who-answers (`retrieval.concepts`).
    """
    started = time.perf_counter()
    options = options or IndexOptions()
    if kind is not None:
        if kind not in ("flat", "hnsw", "ivf"):
            raise InputError(f"unknown index kind {kind!r}; use flat, hnsw or ivf")
        options = replace(options, ann=kind)
    index_dir = Path(index_dir)
    cache_dir = cache_dir if cache_dir is not None else embedding_cache_dir(index_dir.parent)
    entries = make_entries(corpus_paragraphs, documents)
    found = passages(entries, options)
    texts, owners = [p.text for p in found], [p.owner for p in found]
    flags = np.asarray([p.sentence for p in found], dtype=bool)
    lexical = bm25_rows(flags, options)
    parts = [part for p in found for part in p.parts]
    names = [own_municipality(entries[p.owner]) for p in found for _ in p.parts]  # template copies share a vector
    extra = concept_texts(concepts.scheme) if concepts is not None else []  # the concepts' vectors, cached too
    owners_of: list[str | None] = [*names, *[None] * len(extra)]
    part_vectors, embedded, from_cache = embed_passages_cached(
        embedder, parts + extra, cache_dir, progress, names=owners_of, checkpoint_every=checkpoint_every
    )
    concept_vectors = part_vectors[len(parts) :]
    vectors = compose(found, part_vectors[: len(parts)])
    analyzer = Analyzer(Analyzer.vocabulary_of(texts))
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir(index_dir)
    try:
        faiss = _faiss()
        faiss.write_index(_faiss_index(vectors, options), str(tmp / VECTORS))
        _write_bm25([analyzer.tokens(texts[i]) for i in lexical.tolist()], tmp / BM25_DIR)
        np.save(tmp / PASSAGES, np.asarray(owners, dtype=np.int32), allow_pickle=False)
        np.save(tmp / SENTENCES, flags, allow_pickle=False)
        _write_json(tmp / ENTRIES, entries)
        _write_json(tmp / VOCAB, sorted(analyzer.vocabulary))
        if concepts is not None:
            _write_json(tmp / CONCEPTS, concept_tags(entries, concepts))
            np.save(tmp / CONCEPT_VECTORS, np.ascontiguousarray(concept_vectors, dtype=np.float32), allow_pickle=False)
        manifest = IndexManifest(
            model_id=embedder.model_id,
            dim=int(vectors.shape[1]),
            paragraphs=len(corpus_paragraphs),
            entries=len(entries),
            passages=len(texts),
            corpus_hash=corpus_hash(corpus_paragraphs, documents),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            seconds=round(time.perf_counter() - started, 3),
            embedded=embedded,
            from_cache=from_cache,
            options=asdict(options),
            versions=_versions(),
            files=file_digests(tmp, exclude=(MANIFEST,)),
        )
        _write_json(tmp / MANIFEST, manifest.to_dict())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp, manifest


def concept_tags(entries: Sequence[dict[str, Any]], concepts: CorpusTags) -> dict[str, Any]:
    """The vocabulary (compiled to plain data) and, per entry, its tags as [concept number, spans,
    labels]: what a search needs to answer from the concepts without reading the graph."""
    number = {c.iri: i for i, c in enumerate(concepts.scheme.concepts)}
    return {
        "scheme": concepts.scheme.to_dict(),
        "classifier": concepts.matcher.version,
        "tags": [
            [[number[t.concept], [list(s) for s in t.spans], list(t.labels)] for t in concepts.of_text(e["text"])]
            for e in entries
        ],
    }


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":")), encoding="utf-8")
