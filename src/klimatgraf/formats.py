"""One table of result formats and media types, one serialiser and one content negotiation,
for the CLI (`klimatgraf sparql/query --format`) and the server (`/sparql`, `/api/query`) alike.

SELECT and ASK answers are written in the W3C SPARQL 1.1 Query Results formats: JSON, CSV,
TSV and XML (https://www.w3.org/TR/rdf-sparql-XMLres/); CONSTRUCT and DESCRIBE graphs in the
RDF serialisations of `vocabulary.RdfFormat`. The same query thus gives the same bytes on the
CLI and over HTTP.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from .errors import QueryError
from .vocabulary import RdfFormat, SparqlFormat

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

    from .sparql import Result

JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
XML_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"

# the media type of each result format (SELECT/ASK); `table` is for people and has none
RESULT_MEDIA: dict[SparqlFormat, str] = {
    SparqlFormat.json: JSON_RESULTS,
    SparqlFormat.csv: "text/csv",
    SparqlFormat.tsv: "text/tab-separated-values",
    SparqlFormat.xml: XML_RESULTS,
}
RDF_MEDIA: dict[RdfFormat, str] = {
    RdfFormat.turtle: "text/turtle",
    RdfFormat.nt: "application/n-triples",
    RdfFormat.jsonld: "application/ld+json",
    RdfFormat.xml: "application/rdf+xml",
}
RDFLIB_NAME: dict[RdfFormat, str] = {
    RdfFormat.turtle: "turtle",
    RdfFormat.nt: "nt",
    RdfFormat.jsonld: "json-ld",
    RdfFormat.xml: "xml",
}
# plain `application/json` is answered in the JSON format of the kind of answer
JSON_ALIAS = "application/json"

# what the server offers per kind of answer, its preference first (the answer to */*)
SELECT_TYPES = (JSON_RESULTS, JSON_ALIAS, "text/csv", "text/tab-separated-values", XML_RESULTS)
ASK_TYPES = (JSON_RESULTS, JSON_ALIAS, XML_RESULTS)
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", JSON_ALIAS, "application/rdf+xml")

# characters XML 1.0 cannot carry at all, not even as a character reference
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# ----------------------------------------------------------------------------- media types


def result_format(media: str) -> SparqlFormat:
    """The result format of an offered media type (`application/json`: SPARQL results JSON)."""
    media = JSON_RESULTS if media == JSON_ALIAS else media
    return next(f for f, m in RESULT_MEDIA.items() if m == media)


def rdf_format(media: str) -> RdfFormat:
    """The RDF format of an offered media type (`application/json`: JSON-LD)."""
    media = RDF_MEDIA[RdfFormat.jsonld] if media == JSON_ALIAS else media
    return next(f for f, m in RDF_MEDIA.items() if m == media)


def content_type(media: str) -> str:
    """The Content-Type header for an answer in `media` (text types say their charset)."""
    return f"{media}; charset=utf-8" if media.startswith("text/") else media


def _ranges(accept: str | None) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q values, in the client's order."""
    ranges = []
    for part in (accept or "*/*").split(","):
        bits = [b.strip() for b in part.split(";")]
        if not bits[0]:
            continue
        q = 1.0
        for param in bits[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, float(value))
                except ValueError:
                    q = 0.0
        media = bits[0].lower()
        ranges.append(("*/*" if media == "*" else media, q))
    return ranges


def negotiate(accept: str | None, offered: tuple[str, ...]) -> str | None:
    """The offered media type the client prefers, or None when it accepts none of them (406).

    Each offered type takes the q of the most specific range that matches it (RFC 9110 12.5.1),
    so `q=0` refuses a type even beside `*/*`. The highest q wins; among equals, the type named
    earliest in the header, then the server's order (so `*/*` gets the first offered type).
    Plain `application/json` matches only when named: no wildcard reaches a refused JSON through it.
    """
    ranges = _ranges(accept)
    best: tuple[float, int, int] | None = None
    chosen = None
    for rank, media in enumerate(offered):
        match: tuple[int, int, float] | None = None  # (specificity, position, q)
        for position, (pattern, q) in enumerate(ranges):
            if pattern == media:
                specificity = 2
            elif media == JSON_ALIAS:  # offered only for clients that name it: a wildcard means the real type
                continue
            elif pattern.endswith("/*") and (pattern == "*/*" or media.startswith(pattern[:-1])):
                specificity = 0 if pattern == "*/*" else 1
            else:
                continue
            if match is None or specificity > match[0]:
                match = (specificity, position, q)
        if match is None or match[2] <= 0:
            continue
        key = (-match[2], match[1], rank)
        if best is None or key < best:
            best, chosen = key, media
    return chosen


# ----------------------------------------------------------------------------- serialisers


def serialise_result(result: Result, fmt: SparqlFormat) -> str:
    """A SELECT or ASK result in a W3C results format (CSV and TSV have no form for ASK's boolean)."""
    if fmt is SparqlFormat.json:
        return _json(result)
    if fmt is SparqlFormat.xml:
        return _xml(result)
    if fmt is SparqlFormat.csv:
        return _csv(result)
    if fmt is SparqlFormat.tsv:
        return _tsv(result)
    raise QueryError(f"{fmt} is not a SPARQL results format; use json, xml, csv or tsv")


def serialise_graph(graph: Graph, fmt: RdfFormat) -> bytes:
    """A CONSTRUCT/DESCRIBE graph in an RDF serialisation (UTF-8)."""
    return graph.serialize(format=RDFLIB_NAME[fmt], encoding="utf-8")


def _json(result: Result) -> str:
    """W3C SPARQL 1.1 Query Results JSON."""
    if result.kind == "ASK":
        return json.dumps({"head": {}, "boolean": result.boolean})
    bindings = []
    for row in result.rows:
        binding = {}
        for var, term in zip(result.variables, row, strict=True):
            if term is not None:
                binding[var] = _json_term(term)
        bindings.append(binding)
    return json.dumps(
        {"head": {"vars": result.variables}, "results": {"bindings": bindings}}, ensure_ascii=False, indent=2
    )


def _json_term(term: Node) -> dict[str, str]:
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def _csv(result: Result) -> str:
    """W3C SPARQL 1.1 CSV: plain lexical values, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow(["" if t is None else str(t) for t in row])
    return buffer.getvalue()


def _tsv(result: Result) -> str:
    """W3C SPARQL 1.1 TSV: terms in Turtle/N-Triples syntax, variables with '?'."""
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join("" if t is None else _tsv_term(t) for t in row))
    return "\n".join(lines) + "\n"


def _tsv_term(term: Node) -> str:
    from rdflib import Literal

    if isinstance(term, Literal) and term.datatype is None and not term.language:
        return json.dumps(str(term), ensure_ascii=False)  # a quoted string with escapes
    return term.n3()


def _xml(result: Result) -> str:
    """W3C SPARQL Query Results XML Format (second edition); unbound variables have no binding."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sparql xmlns="{XML_RESULTS_NS}">']
    if result.kind == "ASK":
        out += ["  <head/>", f"  <boolean>{'true' if result.boolean else 'false'}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    out.append("  <head>")
    out += [f"    <variable name={quoteattr(v)}/>" for v in result.variables]
    out += ["  </head>", "  <results>"]
    for row in result.rows:
        out.append("    <result>")
        for var, term in zip(result.variables, row, strict=True):
            if term is not None:
                out.append(f"      <binding name={quoteattr(var)}>{_xml_term(term)}</binding>")
        out.append("    </result>")
    out += ["  </results>", "</sparql>"]
    return "\n".join(out) + "\n"


def _xml_term(term: Node) -> str:
    from rdflib import BNode, Literal, URIRef

    text = _xml_text(str(term))
    if isinstance(term, URIRef):
        return f"<uri>{text}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{text}</bnode>"
    assert isinstance(term, Literal)
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{text}</literal>"
    if term.datatype:
        return f"<literal datatype={quoteattr(str(term.datatype))}>{text}</literal>"
    return f"<literal>{text}</literal>"


def _xml_text(value: str) -> str:
    """Character data; a carriage return is kept as a reference (a parser would fold it into a newline)."""
    bad = _NOT_XML.search(value)
    if bad:
        raise QueryError(
            f"the answer holds the character U+{ord(bad.group()):04X}, which SPARQL XML results cannot carry; "
            "ask for json, csv or tsv"
        )
    return escape(value, {"\r": "&#13;"})
