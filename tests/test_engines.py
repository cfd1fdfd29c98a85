"""Every named query gives the same rows on rdflib and on pyoxigraph (an independent SPARQL engine)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from rdflib import Graph, Literal

from klimatgraf.sparql import list_queries, named_query, run

QUERIES = [q.name for q in list_queries()]


@pytest.fixture(scope="module")
def graphs(seed_build: Path) -> tuple[Graph, pyoxigraph.Store]:
    store = pyoxigraph.Store()
    store.bulk_load(path=str(seed_build / "graph.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return Graph().parse(seed_build / "graph.nt", format="nt"), store


NUMERIC = {"http://www.w3.org/2001/XMLSchema#decimal", "http://www.w3.org/2001/XMLSchema#integer"}


def _value(lexical: str, datatype: str | None) -> object:
    """Compare RDF values, not lexical forms: pyoxigraph writes the decimal 4.0 as "4"."""
    return Decimal(lexical) if datatype in NUMERIC else lexical


def _oxi_value(term: Any) -> object:
    if term is None:
        return None
    datatype = term.datatype.value if isinstance(term, pyoxigraph.Literal) else None
    return _value(term.value, datatype)


def _rdflib_value(term: Any) -> object:
    if term is None:
        return None
    datatype = str(term.datatype) if isinstance(term, Literal) and term.datatype else None
    return _value(str(term), datatype)


def test_there_are_thirteen_named_queries() -> None:
    assert len(QUERIES) == 13


@pytest.mark.parametrize("name", QUERIES)
def test_named_query_rows_agree_on_rdflib_and_pyoxigraph(name: str, graphs: tuple[Graph, pyoxigraph.Store]) -> None:
    graph, store = graphs
    query = named_query(name)
    result = run(graph, query.text)
    rdflib_rows = [[_rdflib_value(t) for t in row] for row in result.rows]
    solutions = store.query(query.text)
    variables = [v.value for v in solutions.variables]
    oxigraph_rows = [[_oxi_value(solution[v]) for v in variables] for solution in solutions]
    assert variables == result.variables
    assert rdflib_rows, f"{name} returned no rows on the seeds"
    assert rdflib_rows == oxigraph_rows
