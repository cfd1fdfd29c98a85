"""A question that names a municipality searches its text first: the name matcher on typed
questions (case, accents, genitive, names that are ordinary words), and the ranking with the
real e5 index, the CLI (note on stderr, `--no-named-first`) and its JSON."""

from __future__ import annotations

import json

import pytest

import search_fixtures
from conftest import run_cli
from klimatgraf.reference import names_in_question
from klimatgraf.retrieval import Searcher
from search_fixtures import E5Index

e5_index = search_fixtures.e5_index
searcher = search_fixtures.searcher

NAMES = ["Alvesta", "Avesta", "Örnsköldsvik", "Skellefteå", "Upplands Väsby", "Mark", "Vara", "Malung-Sälen"]
ORDINARY = {"Mark", "Vara"}  # also ordinary Swedish words ("mark" = land, "vara" = to be)


def _named(question: str) -> list[str]:
    return names_in_question(question, NAMES, lambda name: name in ORDINARY)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("hur stor andel av fjärrvärmen är förnybar i Alvesta", ["Alvesta"]),
        ("alvestas mål för 2030", ["Alvesta"]),  # lower case, genitive
        ("utsläpp i ornskoldsvik 2023", ["Örnsköldsvik"]),  # typed without å/ä/ö
        ("Skellefteås kommun och upplands väsby", ["Skellefteå", "Upplands Väsby"]),  # two words, in order
        ("Avesta och Alvesta", ["Avesta", "Alvesta"]),  # one letter apart, both
        ("laddplatser i malung-sälen", ["Malung-Sälen"]),
        ("hur används mark för solparker", []),  # an ordinary word in lower case is no name
        ("Mark och vatten i planeringen", []),  # nor as the question's capitalised first word
        ("solparker i Mark", ["Mark"]),  # capitalised inside the question it is
        ("Vara kommuns klimatmål", ["Vara"]),  # "kommun" after it makes it a name anywhere
        ("vad ska vara klart 2030", []),
        ("Alvestaborna och avestaområdet", []),  # part of a longer word is not the name
        ("vem arbetar med matsvinn", []),
    ],
)
def test_names_in_a_typed_question(question: str, expected: list[str]) -> None:
    assert _named(question) == expected


def _towns(hits: list) -> list[str]:
    return [h.municipality for h in hits]


@pytest.mark.slow
def test_the_named_municipalitys_own_text_ranks_first(searcher: Searcher) -> None:
    question = "fjärrvärme i Avesta"  # e5 alone puts an Alvesta paragraph first (one letter apart)
    plain = searcher.search(question, k=20, named_first=False)
    named = searcher.search(question, k=20)
    assert searcher.named(question) == ("Avesta",)
    assert plain[0].municipality != "Avesta", "the case this feature is for: another municipality first"
    on_place = [h for h in named if "Avesta" in h.municipalities]
    assert named[: len(on_place)] == on_place and len(on_place) == 20, _towns(named)
    assert all(h.municipality == "Avesta" for h in on_place)  # a template hit shows the named signatory
    # within the named municipality's text the order is the ranking of the question without its name
    assert searcher.without_names(question) == "fjärrvärme i"
    everything = searcher.search("fjärrvärme i", k=400, named_first=False)
    avesta = [h.paragraph for h in everything if "Avesta" in h.municipalities]
    assert [h.paragraph for h in on_place] == avesta[:20]
    assert [h.rank for h in named] == list(range(1, 21))


@pytest.mark.slow
def test_the_name_does_not_rank_the_named_text(searcher: Searcher) -> None:
    """Inside Alvesta's own text its name only favours paragraphs that repeat it: the paragraph
    about food waste comes first, not one that says "Alvesta" twice."""
    question = "Alvestas arbete med matsvinn"
    assert searcher.without_names(question) == "arbete med matsvinn"
    first = searcher.search(question, k=1)[0]
    assert first.municipality == "Alvesta" and "matsvinn" in first.text.casefold()
    assert "<mark>matsvinn" in first.html.casefold() and "<mark>alvesta" not in first.html.casefold()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("utsläpp i Kristinehamns kommun 2023", "utsläpp i 2023"),  # "kommun" goes with the name
        ("Avesta och Alvesta", "Avesta och Alvesta"),  # nothing else left: the question itself
        ("matsvinn", "matsvinn"),
        ("Karlstads metoder för uppföljning", "Karlstads metoder för uppföljning"),  # no documents of its own
    ],
)
def test_without_names(searcher: Searcher, question: str, topic: str) -> None:
    assert searcher.without_names(question) == topic


@pytest.mark.slow
def test_template_text_counts_for_every_municipality_that_signed_it(searcher: Searcher) -> None:
    question = "vilka gemensamma åtaganden har Örnsköldsvik skrivit under"
    hits = searcher.search(question, k=400)
    shared = [h for h in hits if h.boilerplate and "Örnsköldsvik" in h.municipalities]
    first_other = next(i for i, h in enumerate(hits) if "Örnsköldsvik" not in h.municipalities)
    assert shared and all(hits.index(h) < first_other for h in shared)
    assert all(h.municipality == "Örnsköldsvik" for h in shared)


@pytest.mark.slow
def test_no_name_and_filters_leave_the_ranking_alone(searcher: Searcher) -> None:
    question = "vem arbetar med matsvinn"
    assert searcher.named(question) == ()
    assert searcher.search(question, k=10) == searcher.search(question, k=10, named_first=False)
    # a name the -m filter keeps out is no name for this search: the same hits either way
    assert searcher.named("fjärrvärme i Avesta", ["Alvesta"]) == ()
    filtered = searcher.search("fjärrvärme i Avesta", k=10, municipalities=["Alvesta"])
    assert filtered == searcher.search("fjärrvärme i Avesta", k=10, municipalities=["Alvesta"], named_first=False)
    assert {h.municipality for h in filtered} == {"Alvesta"}
    assert searcher.named("matsvinn i Alvesta och Avesta", ["alvesta"]) == ("Alvesta",)
    assert searcher.reading("matsvinn i Alvesta och Avesta", ["alvesta"]) == (("Alvesta",), "matsvinn i och Avesta")


@pytest.mark.slow
def test_cli_says_what_it_did_on_stderr_and_can_be_told_not_to(e5_index: E5Index) -> None:
    build = str(e5_index.path.parent)
    args = ("search", "fjärrvärme i avesta", "--build-dir", build, "-k", "5", "--format", "json")
    named = run_cli(*args)
    assert named.returncode == 0, named.stderr
    assert "Avesta named in the question" in named.stderr and "--no-named-first" in named.stderr
    assert [h["municipality"] for h in json.loads(named.stdout)] == ["Avesta"] * 5
    table = run_cli(*args[:-2], "--format", "markdown")  # marks what was searched for, as `html` does
    assert table.returncode == 0, table.stderr
    assert "Avesta" in table.stdout and "**Avesta" not in table.stdout
    unranked = run_cli(*args[:-2], "--format", "markdown", "--no-named-first")
    assert "**avesta" in unranked.stdout.casefold()  # searched for, so marked
    plain = run_cli(*args, "--no-named-first")
    assert plain.returncode == 0, plain.stderr
    assert "named in the question" not in plain.stderr
    assert json.loads(plain.stdout)[0]["municipality"] != "Avesta"
