"""Sentence passages rank paragraphs for `search` only (issue 12 step 6): the persisted flag, an
older index without it, who-answers exactly as without sentence passages, and a paragraph found
by its best sentence (real e5)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import search_fixtures
from klimatgraf.corpus import Corpus
from klimatgraf.errors import BuildCorruptError
from klimatgraf.index import (
    MANIFEST,
    SENTENCES,
    IndexOptions,
    build_index,
    flagged_passages,
    load_index,
    make_entries,
    sentence_windows,
)
from klimatgraf.retrieval import Searcher
from klimatgraf.store import file_digests
from search_fixtures import CountingEmbedder, E5Index

e5_index = search_fixtures.e5_index  # session fixtures shared with the other search tests
searcher = search_fixtures.searcher
ROOT = Path(__file__).resolve().parent.parent
DEV = json.loads((ROOT / "tests" / "dev_queries.json").read_text(encoding="utf-8"))
QUESTIONS = [q["q"] for kind in ("who", "passage") for q in DEV[kind]]
OFF = IndexOptions(sentence_passages=0)


def _build(root: Path, corpus: Corpus, options: IndexOptions | None = None) -> Path:
    build_index(corpus.paragraphs, corpus.documents, root, CountingEmbedder(), options=options, cache_dir=root / "c")
    return root


def _forget_flags(index: Path) -> None:
    """The index as one built before the flag existed: no SENTENCES file, none listed in the manifest."""
    (index / SENTENCES).unlink()
    data = json.loads((index / MANIFEST).read_text(encoding="utf-8"))
    data["files"] = file_digests(index, exclude=(MANIFEST,))
    (index / MANIFEST).write_text(json.dumps(data), encoding="utf-8")


def _groups(searcher: Searcher, question: str, full: bool) -> list[dict]:
    return [g.to_dict() | {"rank": g.rank} for g in searcher.search_grouped(question, k=10, full_ranking=full)]


def test_the_sentence_flag_is_persisted_digested_and_keeps_sentences_out_of_bm25(
    tmp_path: Path, corpus: Corpus
) -> None:
    index = _build(tmp_path / "i", corpus)
    loaded = load_index(index)
    texts, owners, flags = flagged_passages(make_entries(corpus.paragraphs, corpus.documents), IndexOptions())
    assert loaded.sentence is not None and loaded.sentence.tolist() == flags and loaded.owners.tolist() == owners
    assert 0 < sum(flags) < len(flags) and SENTENCES in loaded.manifest.files
    assert loaded.manifest.options["sentence_passages"] == 1 and not loaded.options.sentence_bm25
    assert loaded.bm25.num_docs == len(texts) - sum(flags)  # dense only: BM25 holds the other passages
    assert loaded.bm25_passages is not None and not loaded.sentence[loaded.bm25_passages].any()
    in_bm25 = load_index(_build(tmp_path / "b", corpus, IndexOptions(sentence_bm25=True)))
    assert in_bm25.bm25.num_docs == len(texts) and in_bm25.bm25_passages is None


def test_an_index_without_the_flag_file_loads_with_no_sentence_passages(tmp_path: Path, corpus: Corpus) -> None:
    index = _build(tmp_path / "i", corpus, OFF)
    before = Searcher(index, model=CountingEmbedder())
    _forget_flags(index)
    old = Searcher(index, model=CountingEmbedder())
    assert old.index.sentence is None and old.index.bm25_passages is None
    for question in QUESTIONS:
        assert old.search(question, k=10) == before.search(question, k=10)
    # an index with sentence passages in BM25 (as step 5 built them) loads too, every passage a paragraph's
    step5 = _build(tmp_path / "s", corpus, IndexOptions(sentence_bm25=True))
    _forget_flags(step5)
    loaded = load_index(step5)
    assert loaded.sentence is None and loaded.bm25.num_docs == loaded.manifest.passages > len(loaded.entries)


def test_a_missing_or_mismatched_flag_file_is_one_line(tmp_path: Path, corpus: Corpus) -> None:
    index = _build(tmp_path / "i", corpus)
    flags = np.load(index / SENTENCES)
    (index / SENTENCES).unlink()
    with pytest.raises(BuildCorruptError, match=r"sentences\.npy is missing although manifest\.json lists it"):
        load_index(index)
    np.save(index / SENTENCES, flags[:-1])
    data = json.loads((index / MANIFEST).read_text(encoding="utf-8"))
    data["files"] = file_digests(index, exclude=(MANIFEST,))  # past the checksums: the shape check must catch it
    (index / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(
        BuildCorruptError, match=r"sentences\.npy does not match manifest\.json; run `klimatgraf build`"
    ):
        load_index(index)


def test_who_answers_are_exactly_those_of_an_index_without_sentence_passages(tmp_path: Path, corpus: Corpus) -> None:
    without = Searcher(_build(tmp_path / "off", corpus, OFF), model=CountingEmbedder())
    split = Searcher(_build(tmp_path / "on", corpus), model=CountingEmbedder())
    assert split.index.manifest.passages > without.index.manifest.passages
    allowed = split._allowed(None, None)
    moved = 0
    for question in QUESTIONS:
        for full in (False, True):
            assert _groups(split, question, full) == _groups(without, question, full), question
        assert split.municipality_rows(question, "hybrid", allowed) == without.municipality_rows(
            question, "hybrid", allowed
        )
        moved += split.search(question, k=10) != without.search(question, k=10)
    assert moved > 0  # while the paragraph ranking does read the sentence passages


@pytest.mark.slow
def test_e5_who_answers_are_unchanged_by_sentence_passages(
    e5_index: E5Index, searcher: Searcher, corpus: Corpus
) -> None:
    root = e5_index.path.parent / "no-sentences"
    from klimatgraf.embed import E5Embedder

    manifest = build_index(
        corpus.paragraphs, corpus.documents, root, E5Embedder(), options=OFF, cache_dir=e5_index.cache
    )
    assert manifest.embedded == 0  # every whole-paragraph passage is in the default build's cache
    without = Searcher(root, model=searcher.embedder)
    assert searcher.index.sentence is not None and without.index.sentence is None
    for question in [q["q"] for q in DEV["who"]]:
        for full in (False, True):
            assert _groups(searcher, question, full) == _groups(without, question, full), question


@pytest.mark.slow
def test_e5_search_ranks_a_paragraph_by_its_best_sentence(searcher: Searcher) -> None:
    index = searcher.index
    assert index.sentence is not None
    counts = np.bincount(index.owners[index.sentence], minlength=len(index.entries))
    own = np.array([not e["boilerplate"] and e["kind"] == "paragraph" for e in index.entries])
    row = int(np.argmax(np.where(own, counts, -1)))  # the own paragraph with the most sentences
    sentences = sentence_windows(" ".join(index.entries[row]["text"].split()), 1)
    assert len(sentences) >= 3
    question = sentences[len(sentences) // 2]
    best = searcher._dense_scores(question)
    whole = searcher._dense_scores(question, whole=True)  # the same dense search, read without sentences
    vector = searcher._query_vector(question)
    passages = np.flatnonzero(index.owners == row)
    cosines = np.array([index.vectors.reconstruct(int(p)) @ vector for p in passages])
    sentence_best = float(cosines[index.sentence[passages]].max())
    assert best[row] == pytest.approx(sentence_best, abs=1e-5) and best[row] > whole[row] + 0.01
    hits = searcher.search(question, k=3, retriever="dense", named_first=False)
    assert hits[0].pid == index.entries[row]["pid"] and hits[0].score == pytest.approx(sentence_best, abs=1e-5)


def test_search_then_group_on_one_question_searches_faiss_once(tmp_path: Path, corpus: Corpus) -> None:
    searcher = Searcher(_build(tmp_path / "i", corpus), model=CountingEmbedder())
    real = searcher.index.vectors
    calls: list[int] = []

    class Counted:
        ntotal = real.ntotal

        def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            calls.append(k)
            return real.search(vectors, k)

    searcher.index.vectors = Counted()
    question = QUESTIONS[0]
    hits, groups = searcher.search(question), searcher.search_grouped(question, full_ranking=True)
    assert len(calls) == 1 and calls[0] == real.ntotal and hits and groups  # both rankings from one search
    searcher.search_grouped(QUESTIONS[1])
    assert len(calls) == 2
