"""formats.py: one result serialiser, media-type table and content negotiation for the CLI and HTTP.

SPARQL XML results are read back by independent parsers: rdflib's XML results parser,
SPARQLWrapper (against a real `klimatgraf serve`) and sparqlxml-parse (Node, the parser
Comunica uses), and compared with the JSON answer of the same query. The W3C XML schema is
not available offline, so it is not validated against it.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Literal, URIRef

import serve_fixtures
from conftest import ROOT, run_cli
from klimatgraf.errors import QueryError
from klimatgraf.formats import (
    ASK_TYPES,
    GRAPH_TYPES,
    JSON_RESULTS,
    SELECT_TYPES,
    XML_RESULTS,
    negotiate,
    serialise_result,
)
from klimatgraf.sparql import Result
from klimatgraf.vocabulary import SparqlFormat

served = serve_fixtures.served
served_build = serve_fixtures.served_build

CLIENTS = ROOT / "tests" / "clients"
NAMED = sorted(q.stem for q in (ROOT / "queries").glob("*.rq"))
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
ORDERED = "SELECT ?m ?label WHERE { ?m a ?type ; rdfs:label ?label } ORDER BY STR(?label) STR(?m) LIMIT 50"
PREFIXED = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " + ORDERED

Term = tuple[str, str, str]  # (kind, value, "@lang" or datatype IRI or "")


def sample() -> Result:
    """Every kind of term, an unbound variable and text XML must escape (<, &, quotes, CR)."""
    rows: list[list[Any]] = [
        [URIRef("https://example.org/a?x=1&y=2"), Literal("Örnsköldsvik <&> \"'\r\n", lang="sv"), None],
        [BNode("b0"), Literal("42", datatype=XSD_INTEGER), Literal("plain")],
    ]
    return Result("SELECT", ["s", "label", "extra"], rows)


def json_rows(body: str | bytes) -> Counter[tuple[tuple[str, Term], ...]]:
    """Rows of SPARQL 1.1 Results JSON as multisets of (variable, term)."""

    def term(t: dict[str, str]) -> Term:
        if t["type"] == "bnode":
            return ("bnode", "", "")
        lang = t.get("xml:lang")
        return (t["type"], t["value"], "@" + lang.lower() if lang else t.get("datatype", ""))

    bindings = json.loads(body)["results"]["bindings"]
    return Counter(tuple(sorted((v, term(t)) for v, t in b.items())) for b in bindings)


def rdflib_rows(xml: bytes) -> tuple[list[str], Counter[tuple[tuple[str, Term], ...]]]:
    """Variables and rows of SPARQL XML results as rdflib's own XML results parser reads them."""
    import io

    from rdflib.query import Result as RdflibResult

    parsed = RdflibResult.parse(io.BytesIO(xml), format="xml")

    def term(t: Any) -> Term:
        if isinstance(t, BNode):
            return ("bnode", "", "")
        if isinstance(t, URIRef):
            return ("uri", str(t), "")
        return ("literal", str(t), "@" + t.language.lower() if t.language else str(t.datatype or ""))

    rows = Counter(
        tuple(sorted((str(v), term(row[v])) for v in parsed.vars if row.get(v) is not None)) for row in parsed.bindings
    )
    return [str(v) for v in parsed.vars], rows


# ----------------------------------------------------------------------------- negotiation


def test_q_zero_refuses_a_type_even_beside_a_wildcard() -> None:
    refused_json = "application/sparql-results+json;q=0, */*"
    assert negotiate(refused_json, SELECT_TYPES) == "text/csv"
    assert negotiate(refused_json, ASK_TYPES) == XML_RESULTS
    assert negotiate("text/turtle;q=0, */*", GRAPH_TYPES) == "application/n-triples"
    assert negotiate("*/*;q=0", SELECT_TYPES) is None
    assert negotiate("application/sparql-results+json;q=0", SELECT_TYPES) is None
    assert negotiate("text/*;q=0, */*", SELECT_TYPES) == JSON_RESULTS
    # the most specific range decides: text/csv keeps its 0.5 although text/* is refused
    assert negotiate("text/csv;q=0.5, text/*;q=0, application/sparql-results+json;q=0.4", SELECT_TYPES) == "text/csv"
    assert negotiate("text/csv;Q=0, text/tab-separated-values;q=0.2", SELECT_TYPES) == "text/tab-separated-values"


def test_negotiation_order_wildcards_and_aliases() -> None:
    assert negotiate(None, SELECT_TYPES) == JSON_RESULTS
    assert negotiate("", SELECT_TYPES) == JSON_RESULTS
    assert negotiate("*", SELECT_TYPES) == JSON_RESULTS
    assert negotiate("application/*", SELECT_TYPES) == JSON_RESULTS
    assert negotiate("Application/Sparql-Results+XML", SELECT_TYPES) == XML_RESULTS
    assert negotiate("application/json", ASK_TYPES) == "application/json"
    # equal q: the type the client names first; a bad q value counts as 0
    assert negotiate("text/tab-separated-values, text/csv", SELECT_TYPES) == "text/tab-separated-values"
    assert negotiate("text/csv;q=high, application/sparql-results+xml", SELECT_TYPES) == XML_RESULTS
    assert negotiate("text/csv;q=0.3, application/sparql-results+xml;q=0.9", SELECT_TYPES) == XML_RESULTS
    assert negotiate("text/html, image/png", SELECT_TYPES) is None


# ----------------------------------------------------------------------------- SPARQL XML results


def test_xml_results_read_back_by_rdflib_equal_the_json() -> None:
    result = sample()
    xml = serialise_result(result, SparqlFormat.xml).encode()
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>') and b"www.w3.org/2005/sparql-results#" in xml
    variables, rows = rdflib_rows(xml)
    assert variables == ["s", "label", "extra"]  # an unbound variable is still declared in the head
    assert rows == json_rows(serialise_result(result, SparqlFormat.json))
    assert ("label", ("literal", "Örnsköldsvik <&> \"'\r\n", "@sv")) in next(iter(rows))  # CR survives


def test_xml_ask_results() -> None:
    from rdflib.query import Result as RdflibResult

    for value in (True, False):
        xml = serialise_result(Result("ASK", [], [], boolean=value), SparqlFormat.xml).encode()
        assert RdflibResult.parse(__import__("io").BytesIO(xml), format="xml").askAnswer is value


def test_xml_refuses_a_character_xml_cannot_carry() -> None:
    result = Result("SELECT", ["x"], [[Literal("bell \x07 here")]])
    with pytest.raises(QueryError) as refused:
        serialise_result(result, SparqlFormat.xml)
    assert "U+0007" in str(refused.value) and "\n" not in str(refused.value)
    assert "bell" in serialise_result(result, SparqlFormat.json)  # JSON escapes it


def test_xml_read_by_sparqlxml_parse_node() -> None:
    """sparqlxml-parse (Node; Comunica's parser) reads what we write, term for term."""
    script = """
import { SparqlXmlParser } from 'sparqlxml-parse';
const rows = [];
new SparqlXmlParser().parseXmlResultsStream(process.stdin)
  .on('data', (b) => rows.push(Object.fromEntries(Object.entries(b).map(([v, t]) =>
      [v, [t.termType, t.value, t.termType === 'Literal' ? (t.language || t.datatype.value) : '']]))))
  .on('error', (e) => { process.stderr.write(e.message); process.exit(1); })
  .on('end', () => process.stdout.write(JSON.stringify(rows)));
"""
    xml = serialise_result(sample(), SparqlFormat.xml)
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script], input=xml.encode(), capture_output=True, cwd=CLIENTS, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    rows = json.loads(done.stdout)
    assert rows[0]["label"] == ["Literal", "Örnsköldsvik <&> \"'\r\n", "sv"] and "extra" not in rows[0]
    assert rows[0]["s"] == ["NamedNode", "https://example.org/a?x=1&y=2", ""]
    assert rows[1]["s"][0] == "BlankNode" and rows[1]["label"] == ["Literal", "42", XSD_INTEGER]


# ----------------------------------------------------------------------------- over HTTP and on the CLI


def http(url: str, accept: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read()


@pytest.mark.parametrize("name", NAMED)
def test_every_named_query_in_xml_equals_its_json(served: str, name: str) -> None:
    status, media, xml = http(f"{served}/api/query/{name}", XML_RESULTS)
    assert status == 200 and media == XML_RESULTS, xml[:300]
    _, _, body = http(f"{served}/api/query/{name}", JSON_RESULTS)
    if b'"boolean"' in body:
        assert json.loads(body)["boolean"] == (b"<boolean>true</boolean>" in xml)
        return
    assert rdflib_rows(xml)[1] == json_rows(body)


def test_sparqlwrapper_reads_xml_results(served: str) -> None:
    """SPARQLWrapper's XML return format (what many older clients ask for by default)."""
    from SPARQLWrapper import JSON, XML, SPARQLWrapper

    client = SPARQLWrapper(f"{served}/sparql")
    client.setQuery(PREFIXED)
    client.setReturnFormat(XML)
    document = client.query().convert()  # an xml.dom.minidom Document
    results = document.getElementsByTagNameNS("http://www.w3.org/2005/sparql-results#", "result")
    rows = [
        {b.getAttribute("name"): b.firstChild.firstChild.data for b in r.getElementsByTagName("binding")}
        for r in results
    ]
    client.setReturnFormat(JSON)
    expected = client.query().convert()["results"]["bindings"]
    assert rows and rows == [{v: t["value"] for v, t in b.items()} for b in expected]


def test_q_zero_and_406_on_the_endpoint(served: str) -> None:
    url = f"{served}/sparql?{urllib.parse.urlencode({'query': PREFIXED})}"
    status, media, body = http(url, "application/sparql-results+json;q=0, */*")
    assert status == 200 and not media.startswith(JSON_RESULTS) and not media.startswith("application/json")
    assert media.startswith("text/csv") and body.startswith(b"m,label\r\n")
    status, _, body = http(url, "application/sparql-results+json;q=0, application/json;q=0, text/*;q=0")
    assert status == 406 and "application/sparql-results+xml" in json.loads(body)["error"]
    status, _, body = http(f"{served}/api/query/twins", "*/*;q=0")
    assert status == 406


def test_cli_xml_and_http_xml_are_the_same_bytes(served: str, served_build: Path) -> None:
    """The same query (totally ordered) gives the same bytes on the CLI, on either engine, and over HTTP."""
    status, _, body = http(f"{served}/sparql?{urllib.parse.urlencode({'query': PREFIXED})}", XML_RESULTS)
    assert status == 200 and body.count(b"<result>") == 50
    for engine in ("rdflib", "oxigraph"):
        cli = run_cli("sparql", PREFIXED, "--build-dir", str(served_build), "--format", "xml", "--engine", engine)
        assert cli.returncode == 0 and cli.stdout.encode() == body, (engine, cli.stderr)
    named = run_cli("query", "twins", "--build-dir", str(served_build), "--format", "xml", "--engine", "rdflib")
    assert named.returncode == 0, named.stderr
    assert named.stdout.encode() == http(f"{served}/api/query/twins", XML_RESULTS)[2]
