"""Signals: each retriever's score per entry (BM25 over the Swedish analyzer, e5 cosines from
faiss), with the query's vector cached and the model loaded in the background."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict

import numpy as np

from ..embed import Embedder, get_embedder
from ..index import LoadedIndex
from .fusion import FusionConfig
from .reading import expand_english, topic_of

QUERY_CACHE = 256  # query vectors kept per Searcher


def _warm(embedder: Embedder) -> None:
    """Load the model's weights now (an optional `load()` of the backend); errors surface later."""
    load = getattr(embedder, "load", None)
    if callable(load):
        with contextlib.suppress(Exception):  # the same error is raised again on first use
            load()


class SignalsMixin:
    """The retrievers of a `Searcher`; it needs the index, the fusion config and the model."""

    index: LoadedIndex
    fusion: FusionConfig
    query_cache: int
    _warming: threading.Thread | None
    _embedder: Embedder | None
    _query_vectors: OrderedDict[str, np.ndarray]
    _last_dense: tuple[tuple[str, int], np.ndarray, np.ndarray] | None
    _whole_passages: int

    @property
    def embedder(self) -> Embedder:
        if self._warming is not None:
            self._warming.join()
            self._warming = None
        if self._embedder is None:
            self._embedder = get_embedder(self.index.manifest.model_id)
        return self._embedder

    # ------------------------------------------------------------------ retrievers

    def _entry_max(self, passage_scores: np.ndarray, passage_ids: np.ndarray, whole: bool = False) -> np.ndarray:
        """Best passage score per entry (−inf where no passage was scored); with `whole`, of the
        entry's passages other than sentence passages (what the who-answer and its cut-off read)."""
        out = np.full(len(self.index.entries), -np.inf, dtype=np.float32)
        if whole and self.index.sentence is not None:
            keep = ~self.index.sentence[passage_ids]
            passage_scores, passage_ids = passage_scores[keep], passage_ids[keep]
        np.maximum.at(out, self.index.owners[passage_ids], passage_scores.astype(np.float32))
        return out

    def _bm25_scores(self, query: str, whole: bool = False) -> np.ndarray:
        vocab = self.index.bm25.vocab_dict
        tokens = [t for t in self.index.analyzer.tokens(expand_english(query), query=True) if t in vocab]
        if not tokens:
            return np.full(len(self.index.entries), -np.inf, dtype=np.float32)
        scores = np.asarray(self.index.bm25.get_scores(tokens), dtype=np.float32)
        found = np.flatnonzero(scores > 0)
        rows = self.index.bm25_passages
        return self._entry_max(scores[found], found if rows is None else rows[found], whole)

    def _query_vector(self, text: str) -> np.ndarray:
        """The query's embedding; the last few hundred are kept (eval and UIs repeat questions)."""
        vector = self._query_vectors.pop(text, None)
        if vector is None:
            vector = np.ascontiguousarray(self.embedder.embed_query(text), dtype=np.float32)
            if len(self._query_vectors) >= self.query_cache:
                self._query_vectors.popitem(last=False)
        self._query_vectors[text] = vector
        return vector

    def _dense_scores(self, query: str, whole: bool = False) -> np.ndarray:
        text = topic_of(query) if self.fusion.strip_question else query
        total = self.index.vectors.ntotal
        # every passage while the passages other than sentence passages are ≤ 20 000, so that the who-answer
        # (which reads those) scores every entry exactly as an index without sentence passages does
        fetch = total if self._whole_passages <= 20_000 else min(total, self.fusion.depth * 8)
        last = self._last_dense  # the passage scores of the last question: `search` then `--group` reuse them
        if last is not None and last[0] == (text, fetch):
            scores, ids = last[1], last[2]
        elif fetch == total:
            scores, ids = self.index.every_score(self._query_vector(text))
            self._last_dense = ((text, fetch), scores, ids)
        else:
            found, rows = self.index.vectors.search(self._query_vector(text)[None, :], fetch)
            keep = rows[0] >= 0
            scores, ids = found[0][keep], rows[0][keep]
            self._last_dense = ((text, fetch), scores, ids)
        return self._entry_max(scores, ids, whole)
