"""The graph of chosen editions, made inside pyoxigraph: no rdflib graph is parsed or copied.

The build marks each document `kg:latestEdition`; when some municipality has an earlier edition,
it also writes `graph-latest.nt` (`write_latest`): the graph without the other editions'
documents, paragraphs and fact nodes, with the shortcut triples (kg:adopts,
kg:mentions, kg:twinOf, kg:pioneerOf) derived again from the fact nodes left. Readers answer the
default edition from that file's on-disk oxigraph store, in milliseconds (issue 27); `--edition
YEAR` restricts an in-memory store the same way (`restrict`).

This is the rule of `editions.restrict` (the rdflib engine's, kept as the reference), written
for pyoxigraph: tests/test_edition_store.py checks that both give the same triples for every
choice of editions. The listing of documents (`LISTING`) is the one `editions.editions` reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

KG = "https://w3id.org/klimatgraf/ontology#"
ID = "https://w3id.org/klimatgraf/id/"
DCTERMS = "http://purl.org/dc/terms/"

# Every document with its municipality, type and edition: `editions.editions` reads these rows.
LISTING = """
PREFIX kg: <https://w3id.org/klimatgraf/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?document ?municipality ?kommunkod ?document_type ?version ?edition_year ?signed ?latest ?file WHERE {
  ?doc kg:municipality ?m ; dcterms:type/skos:notation ?document_type ; kg:fileName ?file .
  ?m skos:prefLabel ?municipality ; dcterms:identifier ?kommunkod .
  OPTIONAL { ?doc kg:version ?version }
  OPTIONAL { ?doc kg:editionYear ?edition_year }
  OPTIONAL { ?doc dcterms:issued ?signed }
  OPTIONAL { ?doc kg:latestEdition ?latest }
  BIND(STRAFTER(STR(?doc), "/document/") AS ?document)
}
ORDER BY ?municipality ?document_type ?edition_year ?signed ?document
"""

SHORTCUTS = ("adopts", "mentions", "twinOf", "pioneerOf")

# The shortcut triples again, from the fact nodes left (graph.py adds them while building).
DERIVE = """
PREFIX kg: <https://w3id.org/klimatgraf/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
INSERT { ?town kg:adopts ?target } WHERE {
  ?node rdf:type kg:CommitmentAdoption ; kg:aboutMunicipality ?town ; kg:commitment ?target FILTER(isIRI(?town)) } ;
INSERT { ?town kg:mentions ?target } WHERE {
  ?node rdf:type kg:OrganisationMention ; kg:aboutMunicipality ?town ; kg:organisation ?target FILTER(isIRI(?town)) } ;
INSERT { ?twin kg:twinOf ?pioneer . ?pioneer kg:pioneerOf ?twin } WHERE {
  ?node rdf:type kg:TwinRelation ; kg:twin ?twin ; kg:pioneer ?pioneer }
"""


def is_latest(value: str | None) -> bool:
    """A `kg:latestEdition` value as `editions.editions` reads it: absent (a graph built before
    editions) is latest; otherwise true or 1."""
    return value is None or value in ("true", "1")


def latest_documents(store: Any) -> tuple[list[str], list[str]]:
    """Every document the listing names (doc_ids, one per row) and those that are the latest edition."""
    every, latest = [], []
    for solution in store.query(LISTING):
        doc = solution["document"].value
        flag = solution["latest"]
        every.append(doc)
        if is_latest(flag.value if flag is not None else None):
            latest.append(doc)
    return every, latest


def documents_in(store: Any) -> set[str]:
    """The doc_ids of the documents (subjects of kg:municipality) in a pyoxigraph store: after
    `restrict(store, keep)`, those of `keep` the graph has."""
    import pyoxigraph

    prefix = f"{ID}document/"
    return {
        q.subject.value.removeprefix(prefix)
        for q in store.quads_for_pattern(None, pyoxigraph.NamedNode(f"{KG}municipality"), None)
        if isinstance(q.subject, pyoxigraph.NamedNode)
    }


def restrict(store: Any, keep: Iterable[str]) -> bool:
    """Leave in the in-memory pyoxigraph `store` only the documents `keep` (doc_ids) of all that
    have a kg:municipality, their paragraphs, facts and concept tags; derive the shortcuts again.

    False (and the store untouched) when no document is left out."""
    import pyoxigraph

    def iri(term: str) -> Any:
        return pyoxigraph.NamedNode(term)

    kept = {iri(f"{ID}document/{d}") for d in keep}
    documents = {q.subject for q in store.quads_for_pattern(None, iri(f"{KG}municipality"), None)}
    dropped_documents = documents - kept
    if not dropped_documents:
        return False
    dropped = set(dropped_documents)
    for link in (iri(f"{KG}statedIn"), iri(f"{DCTERMS}isPartOf")):
        for document in dropped_documents:
            dropped.update(q.subject for q in store.quads_for_pattern(None, link, document))
    derived = iri("http://www.w3.org/ns/prov#wasDerivedFrom")  # the concept tags of the paragraphs left out
    dropped.update(q.subject for node in list(dropped) for q in store.quads_for_pattern(None, derived, node))
    doomed = set()
    for node in dropped:
        doomed.update(store.quads_for_pattern(node, None, None))
        doomed.update(store.quads_for_pattern(None, None, node))
    for name in SHORTCUTS:
        doomed.update(store.quads_for_pattern(None, iri(f"{KG}{name}"), None))
    for quad in doomed:
        store.remove(quad)
    store.update(DERIVE)
    return True


def load(path: Path) -> Any:
    """An in-memory pyoxigraph store of an N-Triples file (bulk load: the fastest way in)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def write_latest(graph_nt: Path, target: Path) -> bool:
    """Write to `target` the N-Triples of `graph_nt` restricted to each municipality's latest
    edition; False (nothing written) when every document is the latest edition.

    Literals come out in oxigraph's canonical form ("80" for the decimal "80.0"): the file is read
    by oxigraph, which stores them so anyway, and whose answers `sparql._from_oxigraph` writes as
    rdflib would."""
    import pyoxigraph

    store = load(graph_nt)
    every, latest = latest_documents(store)
    if len(latest) == len(every) or not restrict(store, latest):
        return False
    store.dump(str(target), pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph())
    return True
