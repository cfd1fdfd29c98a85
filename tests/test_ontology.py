"""The ontology parses, labels every term in Swedish and English, and matches namespaces.KG."""

from __future__ import annotations

from rdflib import OWL, RDF, RDFS, Graph, URIRef

from klimatgraf.config import ontology_path
from klimatgraf.namespaces import KG

NS = str(KG._NS)


def ontology() -> Graph:
    return Graph().parse(ontology_path(), format="turtle")


def declared_terms(graph: Graph) -> set[str]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual, OWL.AnnotationProperty)
    return {str(s)[len(NS) :] for kind in kinds for s in graph.subjects(RDF.type, kind) if str(s).startswith(NS)}


def test_namespace_module_and_ontology_declare_the_same_terms() -> None:
    in_module = {name for name in KG.__annotations__}
    assert declared_terms(ontology()) == in_module


def test_every_term_has_swedish_and_english_labels_and_a_comment() -> None:
    graph = ontology()
    for term in declared_terms(graph):
        iri = URIRef(NS + term)
        languages = {label.language for label in graph.objects(iri, RDFS.label)}  # type: ignore[attr-defined]
        assert {"sv", "en"} <= languages, term
        assert graph.value(iri, RDFS.comment) is not None, term


def test_a_typo_in_a_term_fails_at_access() -> None:
    import pytest

    with pytest.raises(AttributeError):
        _ = KG.Municipalty  # type: ignore[attr-defined]
