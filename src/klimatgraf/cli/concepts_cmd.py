"""`concepts`: the concept vocabulary, and which concept a word belongs to and why."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..errors import InputError
from ..output import Format, render
from ..vocabulary import ConceptsFormat
from .common import DataDir, data_dir_of, err


def concepts(
    term: Annotated[
        str | None, typer.Argument(help="A word or phrase to look up (any case, inflected, in a compound).")
    ] = None,
    under: Annotated[
        str | None, typer.Option("--under", help="List only this concept and those under it (id or label).")
    ] = None,
    data_dir: DataDir = None,
    fmt: Annotated[
        ConceptsFormat, typer.Option("--format", "-f", help="table, json, csv or ttl (the vocabulary as Turtle).")
    ] = ConceptsFormat.table,
) -> None:
    """The concept vocabulary (ontology/concepts.ttl, or the data directory's own concepts.ttl): every
    concept under its top concept, or with TERM the concepts its words name and why (which label
    matched, how, and what a negative label ruled out). Exit 1 when TERM names no concept."""
    from ..concepts.lookup import LIST_COLUMNS, LOOKUP_COLUMNS, concept_rows, lookup_rows
    from ..concepts.scheme import load_vocabulary, vocabulary_path

    path = vocabulary_path(data_dir_of(data_dir))
    scheme, graph = load_vocabulary(path)
    if term is None:
        root = _concept_named(scheme, under) if under else None
        rows = concept_rows(scheme, root)
        if fmt is ConceptsFormat.ttl:
            keep = {r["concept"] for r in rows}
            _turtle(graph, [c.iri for c in scheme.concepts if c.slug in keep] if under else None)
        else:
            render(rows, LIST_COLUMNS, Format(fmt.value), sys.stdout)
        err().print(
            f"concepts: {len(rows)} of {len(scheme.concepts)} concepts in {path}", markup=False, highlight=False
        )
        return
    if under:
        raise InputError("--under lists a part of the vocabulary; give either TERM or --under")
    from ..concepts.tagger import matcher_for
    from ..index.analyzer import SWEDISH_STOPWORDS

    rows = lookup_rows(matcher_for(scheme, (), SWEDISH_STOPWORDS), term)
    kept = [r for r in rows if r["verdict"] == "kept"]
    if fmt is ConceptsFormat.ttl:
        _turtle(graph, [scheme.concepts[[c.slug for c in scheme.concepts].index(r["concept"])].iri for r in kept])
    else:
        render(rows, LOOKUP_COLUMNS, Format(fmt.value), sys.stdout)
    if not kept:
        err().print(f"concepts: no concept of the vocabulary is named in {term!r}", markup=False, highlight=False)
        raise typer.Exit(1)


def _concept_named(scheme: object, name: str) -> str:
    """A concept's IRI from its id (slug) or a Swedish or English preferred label, any case."""
    from ..concepts.scheme import Scheme

    assert isinstance(scheme, Scheme)
    wanted = " ".join(name.casefold().split())
    for concept in scheme.concepts:
        if wanted in (concept.slug, concept.pref_sv.casefold(), concept.pref_en.casefold(), concept.iri.casefold()):
            return concept.iri
    raise InputError(f"no concept {name!r} in the vocabulary; `klimatgraf concepts` lists them")


def _turtle(graph: object, iris: list[str] | None) -> None:
    """The vocabulary's triples as Turtle: all of them, or those about the concepts given."""
    from rdflib import Graph, URIRef

    assert isinstance(graph, Graph)
    out = graph
    if iris is not None:
        out = Graph()
        for prefix, namespace in graph.namespaces():
            out.bind(prefix, namespace)
        for iri in iris:
            for triple in graph.triples((URIRef(iri), None, None)):
                out.add(triple)
    sys.stdout.write(out.serialize(format="turtle"))
