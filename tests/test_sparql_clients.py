"""Real SPARQL clients against a real `klimatgraf serve`: SPARQLWrapper (Python) and Comunica (Node).

Every named query in queries/ is sent over the SPARQL 1.1 Protocol and must give the same
rows as `klimatgraf query NAME --format json` from the CLI. Rows are compared as multisets of
plain terms (kind, lexical value, language or datatype), with xsd:string and rdf:langString
read as RDF 1.1 defines them, so a client that makes plain literals explicit still agrees.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from SPARQLWrapper import JSON, POST, SPARQLWrapper

import serve_fixtures
from conftest import ROOT, run_cli

served = serve_fixtures.served  # session fixtures shared with the other serve tests
served_build = serve_fixtures.served_build

QUERIES = sorted((ROOT / "queries").glob("*.rq"))
NAMES = [q.stem for q in QUERIES]
CLIENTS = ROOT / "tests" / "clients"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

Term = tuple[str, str, str]  # (kind, value, "@lang" or datatype IRI or "")
Rows = Counter[tuple[tuple[str, Term], ...]]


def w3c_term(term: dict[str, str]) -> Term:
    """A term of SPARQL 1.1 Results JSON ('typed-literal' is the 2008 spelling of a typed literal)."""
    kind = {"typed-literal": "literal"}.get(term["type"], term["type"])
    if kind == "bnode":
        return ("bnode", "", "")  # blank node labels are local to one answer
    if "xml:lang" in term:
        return (kind, term["value"], "@" + term["xml:lang"].lower())
    datatype = term.get("datatype", "")
    return (kind, term["value"], "" if datatype == XSD_STRING else datatype)


def rdfjs_term(term: dict[str, str]) -> Term:
    """A term as Comunica's RDF/JS terms print it (see tests/clients/sparql_comunica.mjs)."""
    kind = {"NamedNode": "uri", "Literal": "literal", "BlankNode": "bnode"}[term["termType"]]
    if kind == "bnode":
        return ("bnode", "", "")
    if term.get("language"):
        return (kind, term["value"], "@" + term["language"].lower())
    datatype = term.get("datatype", "")
    return (kind, term["value"], "" if datatype in (XSD_STRING, LANG_STRING) else datatype)


def w3c_rows(results: dict[str, Any]) -> Rows:
    return Counter(tuple(sorted((v, w3c_term(t)) for v, t in b.items())) for b in results["results"]["bindings"])


@pytest.fixture(scope="module")
def expected(served_build: Path) -> dict[str, Rows]:
    """`klimatgraf query NAME --format json` for every named query (the CLI, in subprocesses)."""

    def one(name: str) -> Rows:
        result = run_cli("query", name, "--build-dir", str(served_build), "--format", "json")
        assert result.returncode == 0, result.stderr
        return w3c_rows(json.loads(result.stdout))

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = dict(zip(NAMES, pool.map(one, NAMES), strict=True))
    # twin-concepts: the seeds hold no pioneer's contract (its rows are checked in test_engines and test_store)
    assert all(rows for name, rows in answers.items() if name != "twin-concepts"), (
        f"a named query has no rows: {answers}"
    )
    return answers


def test_every_named_query_is_checked() -> None:
    assert len(NAMES) >= 13 and "twins" in NAMES


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_sparqlwrapper_gets_the_cli_rows(served: str, expected: dict[str, Rows], name: str) -> None:
    client = SPARQLWrapper(f"{served}/sparql")
    client.setQuery((ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8"))
    client.setReturnFormat(JSON)
    if NAMES.index(name) % 2:
        client.setMethod(POST)  # half of them by POST (a form), the rest by GET
    answer = client.query()
    assert answer.response.headers["Content-Type"].startswith("application/sparql-results+json")
    assert w3c_rows(answer.convert()) == expected[name]  # type: ignore[arg-type]


@pytest.mark.slow
def test_comunica_gets_the_cli_rows(served: str, expected: dict[str, Rows]) -> None:
    result = subprocess.run(
        ["node", str(CLIENTS / "sparql_comunica.mjs"), f"{served}/sparql", *map(str, QUERIES)],
        capture_output=True,
        text=True,
        cwd=CLIENTS,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(NAMES)
    for name, line in zip(NAMES, lines, strict=True):
        rows = Counter(tuple(sorted((v, rdfjs_term(t)) for v, t in b.items())) for b in json.loads(line))
        assert rows == expected[name], name


@pytest.mark.slow
def test_sparqlwrapper_sees_the_servers_syntax_error_and_update_refusal(served: str) -> None:
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    client = SPARQLWrapper(f"{served}/sparql")
    client.setReturnFormat(JSON)
    client.setQuery("SELECT ?s WHERE { ?s ?p }")
    with pytest.raises(QueryBadFormed, match="line 1"):
        client.query()
    client.setQuery("INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }")
    client.setMethod(POST)
    with pytest.raises(urllib.error.HTTPError) as refused:  # SPARQLWrapper passes a 403 through as it is
        client.query()
    assert refused.value.code == 403
    assert "read-only" in json.loads(refused.value.read())["error"]
