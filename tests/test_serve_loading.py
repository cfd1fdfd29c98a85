"""The SPARQL endpoint's graph loads after start (issue 27): early queries wait within their deadline,
/readyz says what is loading, a graph that cannot be read is one line (serve/loading.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA
from klimatgraf.serve import QueryRunner
from klimatgraf.serve.loading import LoadingGraph, loaded
from serve_fixtures import served_build  # noqa: F401  (fixture)

TRIPLES = b"".join(f"<urn:s{i}> <urn:p> <urn:o{i}> .\n".encode() for i in range(50))


def _pipe() -> tuple[Any, Any]:
    """A file the loader reads from, written by the test when it chooses (a graph that takes its time)."""
    read_end, write_end = os.pipe()
    return os.fdopen(read_end, "rb"), os.fdopen(write_end, "wb")


def test_a_query_waits_for_the_graph_within_its_deadline_and_is_answered_once_it_is_there() -> None:
    reader, writer = _pipe()
    graph = LoadingGraph(reader, "nt", 50)
    runner = QueryRunner(graph, timeout=0.3)
    assert len(graph) == 50 and not graph.ready and graph.get(0.05) is None
    early = runner.run("ASK { ?s ?p ?o }", None)
    assert early.status == 503 and b"still loading the graph" in early.body
    writer.write(TRIPLES)
    writer.close()
    assert graph.get(30) is not None and graph.ready and graph.failed is None
    answer = QueryRunner(graph, timeout=30).run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "text/csv")
    assert answer.status == 200 and answer.body.decode().split() == ["n", "50"]
    assert len(loaded(graph)) == 50


def test_a_graph_that_cannot_be_parsed_is_one_line_for_every_query(tmp_path: Path) -> None:
    path = tmp_path / "graph.nt"
    path.write_bytes(b"<urn:s> <urn:p> this is not n-triples\n")
    graph = LoadingGraph(path.open("rb"), "nt", 1)
    with pytest.raises(Exception, match=r"graph\.nt is unreadable .*run `klimatgraf build`"):
        graph.get(30)
    assert not graph.ready and graph.failed is not None and "\n" not in graph.failed
    answer = QueryRunner(graph, timeout=5).run("ASK {}", None)
    assert answer.status == 503 and b"graph.nt is unreadable" in answer.body


def test_readyz_says_the_sparql_graph_is_loading_and_healthz_answers_meanwhile(
    served_build: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A real service over the seed build, its SPARQL graph held back: the page's routes and /healthz
    answer, /readyz is 503 with the reason, /sparql waits; then it loads and all is ready."""
    from fastapi.testclient import TestClient

    from klimatgraf.serve import create_app, load_service
    from klimatgraf.serve import service as service_module

    reader, writer = _pipe()
    held: list[bytes] = []

    class HeldBack(LoadingGraph):
        """Reads the real file now, and parses the pipe: its bytes arrive when the test writes them."""

        def __init__(self, handle: Any, fmt: str, triples: int, then: Any = None) -> None:
            held.append(handle.read())
            handle.close()
            super().__init__(reader, fmt, triples, then)

    monkeypatch.setattr(service_module, "LoadingGraph", HeldBack)
    service = load_service(served_build, DATA, timeout=0.5)
    client = TestClient(create_app(service))
    health = client.get("/healthz").json()
    assert health["sparql_ready"] is False and health["triples"] > 10_000
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "the graph for SPARQL queries is loading" in ready.json()["reasons"]
    assert client.get("/api/query/twins").status_code == 200  # answered from the store meanwhile
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 503
    writer.write(held[0])
    writer.close()
    service.graph.get(60)
    assert client.get("/healthz").json()["sparql_ready"] is True
    assert "the graph for SPARQL queries is loading" not in client.get("/readyz").json()["reasons"]
    asked = client.get("/sparql", params={"query": "ASK { ?s a <https://w3id.org/klimatgraf/ontology#Municipality> }"})
    assert asked.status_code == 200 and asked.json()["boolean"] is True


class _CountingSource:
    """An engine that counts what it is asked and takes its time (a slow named query)."""

    def __init__(self) -> None:
        from klimatgraf.sparql import Result

        self.asked: list[str] = []
        self.result = Result("ASK", [], [], boolean=True)

    def run(self, query: str, *, allow_service: bool = False, trusted: bool = False) -> Any:
        import time

        self.asked.append(query)
        time.sleep(0.2)
        return self.result


def test_each_fixed_answer_is_computed_once_by_whoever_comes_first() -> None:
    """The named queries' answers are no longer all computed before the server answers (15 s at
    N = 300): the warm-up thread or the first request computes each, and nobody computes it twice."""
    from concurrent.futures import ThreadPoolExecutor

    from klimatgraf.serve.cache import compute

    source = _CountingSource()
    fixed = compute(source, {"a": "ASK { <urn:a> ?p ?o }", "b": "ASK { <urn:b> ?p ?o }"}, gazetteer=None)  # type: ignore[arg-type]
    assert source.asked == []  # nothing at construction
    with ThreadPoolExecutor(8) as pool:  # eight requests for the same answer at once
        answers = list(pool.map(lambda _: fixed.result("a"), range(8)))
    assert all(a is source.result for a in answers) and source.asked == ["ASK { <urn:a> ?p ?o }"]
    fixed.warm()  # the warm-up thread computes what is left (the comparison too: its queries go to `source`)
    assert source.asked.count("ASK { <urn:a> ?p ?o }") == 1 and source.asked.count("ASK { <urn:b> ?p ?o }") == 1
    before = len(source.asked)
    assert fixed.results == {"a": source.result, "b": source.result} and len(source.asked) == before
