"""Questions typed without å, ä and ö: each word is read as the contracts spell it
(`Searcher.spelled`, `swedish.typed_without_diacritics`), checked over the index's whole vocabulary,
end to end through the ranking and the highlighting, and in the CLI's stderr note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import search_fixtures
from conftest import run_cli
from klimatgraf.retrieval import Searcher
from klimatgraf.swedish import SWEDISH_LETTERS, reading_order, typed_without_diacritics
from search_fixtures import E5Index

e5_index = search_fixtures.e5_index
searcher = search_fixtures.searcher
DEV = json.loads((Path(__file__).parent / "dev_queries.json").read_text(encoding="utf-8"))


def typed(text: str) -> str:
    """`text` as typed on a keyboard without å, ä and ö (written here, not imported)."""
    return "".join({"å": "a", "ä": "a", "ö": "o", "Å": "A", "Ä": "A", "Ö": "O"}.get(c, c) for c in text)


@given(st.text(alphabet="aoåäöbcdeklmnrstvÅÄÖAO ", max_size=12))
def test_typed_without_diacritics(text: str) -> None:
    assert typed_without_diacritics(text) == typed(text)
    assert not SWEDISH_LETTERS.intersection(typed_without_diacritics(text))


def test_reading_order_puts_the_word_as_typed_first() -> None:
    """Among words typed alike: the one without å/ä/ö first, then a < å < ä and o < ö, letter by letter."""
    assert sorted(["mäl", "mål", "mal"], key=reading_order) == ["mal", "mål", "mäl"]
    assert sorted(["sökå", "söka", "soka"], key=reading_order) == ["soka", "söka", "sökå"]
    assert sorted(["ärende", "arende", "årende"], key=reading_order) == ["arende", "årende", "ärende"]


def test_every_word_of_the_corpus_typed_without_them_reads_back(searcher: Searcher) -> None:
    """Over the index's own vocabulary: a word with å/ä/ö whose typed form is no word of the
    corpus reads back as the commonest word of the corpus that types the same: itself when it is
    the only one (ties: one of the commonest)."""
    vocabulary = searcher.analyzer.vocabulary
    stopwords = searcher.analyzer.stopwords  # typed stop words stay as typed ("vart" is not read as "vårt")
    words = [w for w in vocabulary if SWEDISH_LETTERS.intersection(w) and typed(w) not in vocabulary | stopwords]
    assert len(words) > 100
    checked = 0
    for word in words:
        same = [w for w in vocabulary if typed(w) == typed(word)]
        top = max(searcher._commonness(w) for w in same)
        expected = {f"vem {w}" for w in same if searcher._commonness(w) == top}  # ties: any of them
        assert searcher.spelled(f"vem {typed(word)}") in expected, word
        checked += 1
    assert checked > 100


def test_the_commoner_reading_wins_over_a_word_as_typed(searcher: Searcher) -> None:
    """A typed word that is a word of the corpus stays unless a reading of it is commoner (a word
    seen only in a web address loses to the word the contracts use)."""
    vocabulary = searcher.analyzer.vocabulary
    seen = {"stays": 0, "read": 0}
    stopwords = searcher.analyzer.stopwords
    for word in sorted(w for w in vocabulary - stopwords if not SWEDISH_LETTERS.intersection(w) and len(w) >= 3):
        others = [w for w in vocabulary if w != word and typed(w) == word]
        if not others:
            continue
        best = max([word, *others], key=searcher._commonness)
        assert searcher.spelled(word) == best, word
        seen["stays" if best == word else "read"] += 1
    assert seen["read"], seen  # (on the seeds no such typed word is commoner than its reading)


def test_a_stop_word_stays_as_typed(searcher: Searcher) -> None:
    """Swedish and English stop words are words as typed, even where a reading is a word of the
    corpus ("are" is no misspelt "Åre")."""
    for word in sorted(w for w in searcher.analyzer.stopwords if len(w) >= 3 and not SWEDISH_LETTERS.intersection(w)):
        assert searcher.spelled(f"vem {word} atervinning") == f"vem {word} återvinning", word


@pytest.mark.parametrize(
    ("question", "read"),
    [
        ("vem arbetar med atervinning", "vem arbetar med återvinning"),
        ("Atervinning", "Återvinning"),  # the case as typed
        ("ATERVINNING", "ÅTERVINNING"),
        ("vem arbetar med atervinning på skolor", "vem arbetar med atervinning på skolor"),  # has å: as typed
        ("vem arbetar med återvinning", "vem arbetar med återvinning"),
        ("vem arbetar med vatgasbussar", "vem arbetar med vatgasbussar"),  # no reading is a word here
    ],
)
def test_a_question_is_read_word_by_word(searcher: Searcher, question: str, read: str) -> None:
    assert searcher.spelled(question) == read


def test_off_leaves_every_question_as_typed(e5_index: E5Index) -> None:
    plain = Searcher(e5_index.path, preload=False)
    plain.spell_diacritics = False
    assert plain.spelled("vem arbetar med atervinning") == "vem arbetar med atervinning"


def test_a_question_typed_without_them_ranks_and_marks_as_written(searcher: Searcher) -> None:
    """When every word reads back, the question typed without å/ä/ö gets the very hits and
    evidence of the question as written, with the same words marked."""
    asked = [q["q"] for q in DEV["passage"] + DEV["who"] if SWEDISH_LETTERS.intersection(q["q"])]
    same = [q for q in asked if searcher.spelled(typed(q)) == q]
    assert same, asked
    for question in same:
        hits, hits_typed = searcher.search(question, k=5), searcher.search(typed(question), k=5)
        assert [(h.pid, h.score, h.html) for h in hits] == [(h.pid, h.score, h.html) for h in hits_typed]
        groups, groups_typed = searcher.search_grouped(question), searcher.search_grouped(typed(question))
        assert [g.to_dict() for g in groups] == [g.to_dict() for g in groups_typed]


def test_cli_says_how_it_read_the_question(e5_index: E5Index) -> None:
    build = str(e5_index.path.parent)
    read = run_cli("search", "vem arbetar med atervinning", "--build-dir", build, "--format", "json")
    assert read.returncode == 0, read.stderr
    assert "search: read as “vem arbetar med återvinning” (typed without å, ä and ö)" in read.stderr.splitlines()
    hits = json.loads(read.stdout)
    assert any("<mark>återvinning" in h["html"].casefold() for h in hits)
    written = run_cli("search", "vem arbetar med återvinning", "--build-dir", build, "--format", "json")
    assert "read as" not in written.stderr and json.loads(written.stdout) == hits
