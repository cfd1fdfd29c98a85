"""Questions the graph can answer, answered from the graph with the query shown (issue 26)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

import search_fixtures
import serve_fixtures
from conftest import DATA, run_cli
from klimatgraf.corpus import load_gazetteer
from klimatgraf.errors import InputError
from klimatgraf.retrieval import Searcher
from klimatgraf.retrieval.graphpath import GraphReader
from klimatgraf.retrieval.relations import read_relation
from klimatgraf.sparql import open_engine

e5_index = search_fixtures.e5_index
served_build = serve_fixtures.served_build
served = serve_fixtures.served


@pytest.fixture(scope="module")
def graph(seed_build: Path) -> GraphReader:
    return GraphReader(open_engine(seed_build), load_gazetteer(DATA))


@pytest.fixture(scope="module")
def searcher(served_build: Path) -> Searcher:
    return Searcher(served_build / "index")


def _answer(searcher: Searcher, graph: GraphReader, question: str) -> list[str]:
    return sorted(m.municipality for m in searcher.answer(question, k=50, graph=graph).answering)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("vilka kommuner samarbetar med sin tvillingkommun", ["Alvesta", "Avesta", "Kristinehamn"]),
        ("which municipalities are twins", ["Alvesta", "Avesta", "Kristinehamn"]),
        ("vem är tvilling till Karlstad", ["Kristinehamn"]),
        ("vilken pionjär har Avesta", ["Borlänge"]),
        ("vilken kommun har Växjö som sin pionjärkommun", ["Alvesta"]),
        ("vilka kommuner har antagit åtagande 8", ["Alvesta", "Skellefteå"]),
        ("vilka har antagit åtagande 6 men inte åtagande 9", ["Avesta"]),
        ("vilka kommuner ska vara klimatneutrala 2030", ["Skellefteå", "Örnsköldsvik"]),
        ("vem ska minska utsläppen med 80 procent jämfört med 2019", ["Alvesta"]),
        ("vilka kommuner har Trafikverket som part", ["Alvesta", "Skellefteå", "Örnsköldsvik"]),
        ("vem samarbetar med RISE", ["Avesta"]),
        ("vilka avsiktsförklaringar har antagit åtagande 10", ["Avesta", "Kristinehamn"]),
    ],
)
def test_relation_questions_are_answered_from_the_graph(
    searcher: Searcher, graph: GraphReader, question: str, expected: list[str]
) -> None:
    answer = searcher.answer(question, k=50, graph=graph)
    assert answer.path == "graph" and answer.sparql and answer.relation
    assert sorted(m.municipality for m in answer.answering) == expected


def test_every_answer_carries_its_evidence_paragraph_from_prov(searcher: Searcher, graph: GraphReader) -> None:
    answer = searcher.answer("vilka kommuner samarbetar med sin tvillingkommun", graph=graph)
    for town in answer.answering:
        assert town.evidence and all(
            e.paragraph.startswith("https://w3id.org/klimatgraf/id/paragraph/") for e in town.evidence
        )
        assert all(e.text for e in town.evidence)


def test_the_query_shown_gives_the_same_answer_when_run_again(
    searcher: Searcher, graph: GraphReader, seed_build: Path, tmp_path: Path
) -> None:
    answer = searcher.answer("vilka kommuner har antagit åtagande 8", graph=graph)
    assert answer.sparql is not None
    query = tmp_path / "q.rq"
    query.write_text(answer.sparql, encoding="utf-8")
    rows = json.loads(run_cli("sparql", str(query), "--build-dir", str(seed_build), "--format", "json").stdout)
    names = {b["answer"]["value"] for b in rows["results"]["bindings"]}
    assert names == {m.municipality for m in answer.answering}


def test_a_named_entity_the_graph_lacks_is_nobody_not_a_guess(searcher: Searcher, graph: GraphReader) -> None:
    assert _answer(searcher, graph, "vilken kommun är tvilling till Umeå") == []
    assert _answer(searcher, graph, "vilka kontrakt har Boverket som part") == []
    assert _answer(searcher, graph, "vilka kommuner nämner Uppsala universitet") == []


def test_a_half_matched_question_is_one_clear_line(searcher: Searcher, graph: GraphReader) -> None:
    with pytest.raises(InputError, match="no shared commitment 12"):
        searcher.answer("vilka kommuner har antagit åtagande 12", graph=graph)


def test_a_topic_question_is_not_read_as_a_relation(graph: GraphReader) -> None:
    for question in ("vem arbetar med matsvinn", "vilka kommuner bygger laddstolpar", "who works on cycling"):
        assert read_relation(question, graph.names) is None


def test_a_relation_and_a_topic_are_answered_together(searcher: Searcher, graph: GraphReader) -> None:
    both = searcher.answer("vilka kommuner har antagit åtagande 6 och arbetar med matsvinn", k=50, graph=graph)
    relation = _answer(searcher, graph, "vilka kommuner har antagit åtagande 6")
    topic = _answer(searcher, graph, "vem arbetar med matsvinn")
    assert both.path == "graph+concepts"
    assert sorted(m.municipality for m in both.answering) == sorted(set(relation) & set(topic))


def test_the_cli_picks_the_graph_and_explains_the_query(served_build: Path) -> None:
    found = run_cli(
        "search", "vilka kommuner har antagit åtagande 8", "--build-dir", str(served_build), "--explain", "-f", "json"
    )
    assert found.returncode == 0, found.stderr
    assert "svaret från grafen" in found.stderr and "SELECT DISTINCT ?answer" in found.stderr
    assert sorted(r["municipality"] for r in json.loads(found.stdout)) == ["Alvesta", "Skellefteå"]
    assert all(r["path"] == "graph" for r in json.loads(found.stdout))
    paragraphs = run_cli(
        "search",
        "vilka kommuner har antagit åtagande 8",
        "--group",
        "paragraph",
        "--build-dir",
        str(served_build),
        "-f",
        "json",
    )
    assert "pid" in json.loads(paragraphs.stdout)[0]  # asked for paragraphs: paragraphs
    bad = run_cli("search", "vilka har antagit åtagande 12", "--build-dir", str(served_build))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_the_api_answers_from_the_graph_with_the_query(served: str) -> None:
    record = httpx.get(f"{served}/api/answer", params={"q": "vilka kommuner har antagit åtagande 8"}).json()
    assert record["path"] == "graph" and "SELECT" in record["sparql"] and record["relation"] == "commitment"
    assert sorted(m["municipality"] for m in record["municipalities"]) == ["Alvesta", "Skellefteå"]
    listed = httpx.get(
        f"{served}/api/search", params={"q": "vilka kommuner har antagit åtagande 8", "group": "municipality"}
    )
    assert listed.headers["X-Klimatgraf-Answered-By"] == "graph"
