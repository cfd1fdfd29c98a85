"""Fixtures shared by the search tests: the seed index with the real e5 model (built once per
session), and a tiny deterministic embedder that counts what it embeds, for fast unit tests.

Imported by test_index/test_search/test_evaluate (tests/conftest.py belongs to the lead).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from klimatgraf.concepts.corpus import tag_corpus
from klimatgraf.corpus import Corpus
from klimatgraf.embed import E5Embedder
from klimatgraf.index import IndexManifest, build_index
from klimatgraf.retrieval import Searcher

os.environ.setdefault("HF_HUB_OFFLINE", "1")


class CountingEmbedder:
    """Hashed bag of words (64-d): similar texts get similar vectors; every text it embeds is recorded."""

    def __init__(self, model_id: str = "test:hashed-bow", dim: int = 64) -> None:
        self.model_id = model_id
        self.dim = dim
        self.embedded: list[str] = []
        self.queries: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.casefold()):
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return self._vector(text)


class E5Index:
    def __init__(self, path: Path, manifest: IndexManifest, cache: Path) -> None:
        self.path = path
        self.manifest = manifest
        self.cache = cache


# Each test module that imports these fixtures gets its own copy of them, so "session" scope
# alone would build the index once per module; the memo makes it once per test run.
_MEMO: dict[str, object] = {}


@pytest.fixture(scope="session")
def e5_index(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus) -> E5Index:
    """The seed corpus indexed with the default model, exactly as `klimatgraf build` does."""
    return seed_index(tmp_path_factory, corpus)


# The seeds' embeddings, kept between test processes: `make test` runs in two xdist workers and
# `make test-reliability` after it, and each builds the seed index. The cache is keyed by model and
# by the hash of each text embedded (klimatgraf.embed), so a vector is reused only for the same text
# and model; the first process embeds while the others wait on the lock. A fresh clone starts empty.
SHARED_CACHE = Path(__file__).resolve().parent.parent / ".pytest_cache" / "d" / "klimatgraf-seed-embeddings"


def seed_index(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus) -> E5Index:
    """Built once per test process and shared (serve_fixtures uses it too): the seeds are embedded
    once per clone (SHARED_CACHE); each process gets its own copy of the cache to hand on."""
    if "index" not in _MEMO:
        root = tmp_path_factory.mktemp("e5")
        SHARED_CACHE.mkdir(parents=True, exist_ok=True)
        with (SHARED_CACHE / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            manifest = build_index(
                corpus.paragraphs,
                corpus.documents,
                root / "index",
                E5Embedder(),
                cache_dir=SHARED_CACHE,
                concepts=tag_corpus(corpus.paragraphs, None),  # as `klimatgraf build` makes it: tags included
            )
            shutil.copytree(SHARED_CACHE, root / "cache", ignore=shutil.ignore_patterns(".lock"))
        _MEMO["index"] = E5Index(root / "index", manifest, root / "cache")
    built = _MEMO["index"]
    assert isinstance(built, E5Index)
    return built


@pytest.fixture(scope="session")
def searcher(e5_index: E5Index) -> Searcher:
    if "searcher" not in _MEMO:
        _MEMO["searcher"] = Searcher(e5_index.path)
    loaded = _MEMO["searcher"]
    assert isinstance(loaded, Searcher)
    return loaded
