"""The project's one vocabulary: every closed set of names that crosses a boundary.

Models, the CLI (typer options), the HTTP API (FastAPI query parameters) and the evaluation
all take their choices from here, so a new retriever or format is declared once. Each is a
`StrEnum`: a member *is* its string (`Retriever.dense == "dense"`), so JSON, CSV, RDF
literals and manifests keep the plain words they had.

These classes share one shape on purpose (the duplicates check lists them; that row is
expected).
"""

from __future__ import annotations

from enum import StrEnum


class DocType(StrEnum):
    """The two kinds of agreement Viable Cities signs."""

    klimatkontrakt = "klimatkontrakt"
    avsiktsforklaring = "avsiktsforklaring"


class Scope(StrEnum):
    """What an emission target or figure covers."""

    organisation = "organisation"
    geographic = "geographic"
    consumption = "consumption"
    town = "town"  # the town (tätort) as against the whole municipality (geographic)


class Retriever(StrEnum):
    """Which signals rank passages."""

    hybrid = "hybrid"
    bm25 = "bm25"
    dense = "dense"


class AnswerPath(StrEnum):
    """Which path answers "who works on X": the graph for a relation question, else the concepts when
    the question names one (auto); the graph, the concepts or similarity only."""

    auto = "auto"
    graph = "graph"
    concepts = "concepts"
    similarity = "similarity"


class Unread(StrEnum):
    """What a who-question that names no concept of the vocabulary gets."""

    similarity = "similarity"
    nobody = "nobody"


class FusionMethod(StrEnum):
    """How the hybrid retriever fuses BM25 and dense scores."""

    rrf = "rrf"
    minmax = "minmax"
    z = "z"


class GroupBy(StrEnum):
    """What one search result is: a paragraph, or a municipality with its evidence."""

    paragraph = "paragraph"
    municipality = "municipality"


class Format(StrEnum):
    """Output formats of listing commands (`--format`)."""

    table = "table"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"


class SparqlFormat(StrEnum):
    """Result formats of SPARQL SELECT/ASK answers, on the CLI and over HTTP."""

    table = "table"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    xml = "xml"


class RdfFormat(StrEnum):
    """RDF serialisations for graphs (export rdf, CONSTRUCT/DESCRIBE answers)."""

    turtle = "turtle"
    nt = "nt"
    jsonld = "jsonld"
    xml = "xml"


class ReportFormat(StrEnum):
    """Formats of a SHACL validation report."""

    text = "text"
    turtle = "turtle"
    json = "json"


class ConceptsFormat(StrEnum):
    """Formats of `klimatgraf concepts`: a listing, or the vocabulary itself as Turtle."""

    table = "table"
    json = "json"
    csv = "csv"
    ttl = "ttl"


class ThemesFormat(StrEnum):
    """Formats of `klimatgraf themes`: the listing formats, and the matrix drawn as a heatmap."""

    table = "table"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"
    svg = "svg"
    png = "png"


class DiffFormat(StrEnum):
    """Formats of `klimatgraf diff`."""

    table = "table"
    json = "json"
    markdown = "markdown"


class Engine(StrEnum):
    """SPARQL engines over a local build."""

    oxigraph = "oxigraph"
    rdflib = "rdflib"
