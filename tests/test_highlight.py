"""One highlighter: the terminal snippet (`highlight`) and the web page (`highlight_html`) mark
the same words, because both render the spans of `highlight_spans` (issue 15)."""

from __future__ import annotations

import html
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import serve_fixtures
from conftest import run_cli
from klimatgraf.index import Analyzer
from klimatgraf.retrieval import highlight, highlight_html, highlight_spans

served = serve_fixtures.served  # session fixtures shared with the other serve tests
served_build = serve_fixtures.served_build

# A corpus vocabulary, as an index has one: it lets the analyzer split compounds.
CORPUS = [
    "Återbruk av möbler i kommunens lokaler.",
    "Kommunen arbetar med möbel och återbruk, avfall och matsvinn.",
    "Fjärrvärme, solceller och vindkraft ger förnybar el.",
]

CASES = [
    # (text, query, the words both renderings must mark, in order)
    pytest.param(
        "Kommunen minskar matsvinnet i skolkök och matsvinn i handeln.",
        "vem arbetar med matsvinn?",
        ["matsvinnet", "matsvinn"],
        id="stem-and-definite-form",
    ),
    pytest.param(
        "Möbelåterbruk i förvaltningarna sparar pengar.",
        "återbruk av möbler",
        ["Möbelåterbruk"],
        id="swedish-compound",
    ),
    pytest.param(
        "Matsvinn och avfall minskar när skolorna planerar.",
        "Which municipalities work on food waste?",
        ["Matsvinn"],  # "food waste" is one term: matsvinn, not avfall
        id="english-query-words",
    ),
    pytest.param(
        "Fjärrvärme\n\toch  el från  solceller.",
        "district heating and solar",
        ["Fjärrvärme", "solceller"],
        id="english-and-line-breaks",
    ),
    pytest.param(
        "ÅTERVINNINGEN ökar; återvinning & <återbruk> i Örnsköldsvik.",
        "Återvinning",
        ["ÅTERVINNINGEN", "återvinning"],
        id="accents-and-case-and-escaping",
    ),
    pytest.param(
        "Återvinningen ökar i Örnsköldsvik.",
        "atervinning ornskoldsvik",
        [],
        id="accents-are-letters",
    ),
    pytest.param("Kommunen planerar.", "???", [], id="no-query-words"),
]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(Analyzer.vocabulary_of(CORPUS))


def cli_marks(snippet: str) -> list[str]:
    return re.findall(r"\*\*(.+?)\*\*", snippet)


def html_marks(fragment: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", fragment)]


@pytest.mark.parametrize(("text", "query", "expected"), CASES)
def test_terminal_and_html_mark_the_same_words(text: str, query: str, expected: list[str], analyzer: Analyzer) -> None:
    spans = highlight_spans(text, query, analyzer)
    assert [text[a:b] for a, b in spans] == expected
    assert cli_marks(highlight(text, query, width=10_000, analyzer=analyzer)) == expected
    assert html_marks(highlight_html(text, query, analyzer=analyzer)) == expected


def test_html_rendering_keeps_the_text_and_escapes_it(analyzer: Analyzer) -> None:
    text = "Solceller & <vind>\nkraft"
    rendered = highlight_html(text, "solar", analyzer=analyzer)
    assert rendered == "<mark>Solceller</mark> &amp; &lt;vind&gt;\nkraft"
    assert html.unescape(re.sub(r"</?mark>", "", rendered)) == text


def test_terminal_window_shows_only_whole_marked_words(analyzer: Analyzer) -> None:
    text = " ".join(["Inledning utan ämnet."] * 30 + ["Här minskar vi matsvinnet kraftigt."] + ["Slut."] * 30)
    snippet = highlight(text, "matsvinn", width=80, analyzer=analyzer)
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert cli_marks(snippet) == ["matsvinnet"]
    assert len(snippet) < 120


def _markdown_texts(table: str) -> list[str]:
    """The last column (text) of each body row of `output.markdown_table`."""
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    return [re.split(r"(?<!\\)\|", row.strip())[-2].strip().replace("\\|", "|") for row in rows]


@pytest.mark.slow
@pytest.mark.parametrize("question", ["vem arbetar med matsvinn?", "who works on food waste and reuse?"])
def test_cli_search_and_web_api_mark_the_same_words(served: str, served_build: Path, question: str) -> None:
    cli = run_cli("search", question, "--build-dir", str(served_build), "-k", "5", "--format", "markdown")
    assert cli.returncode == 0, cli.stderr
    snippets = _markdown_texts(cli.stdout)
    query = urllib.parse.urlencode({"q": question, "k": "5"})
    with urllib.request.urlopen(f"{served}/api/search?{query}", timeout=120) as response:
        api = json.load(response)
    assert len(snippets) == len(api) == 5
    marked_anywhere = 0
    for snippet, hit in zip(snippets, api, strict=True):
        web_marked = {w for w in html_marks(hit["html"])}
        terminal_marked = cli_marks(snippet)
        marked_anywhere += len(terminal_marked)
        shown = re.findall(r"[^\W_]+", snippet.replace("**", ""))
        # marking depends on the word alone, so a shown word is marked exactly when the page marks it
        assert {w for w in shown if w in web_marked} == set(terminal_marked), (snippet, hit["html"])
        assert (
            " ".join(html.unescape(re.sub(r"</?mark>", "", hit["html"])).split()).find(
                snippet.replace("**", "").removeprefix("… ").removesuffix(" …")
            )
            >= 0
        )
    assert marked_anywhere, "the seeds answer these questions with marked words"
