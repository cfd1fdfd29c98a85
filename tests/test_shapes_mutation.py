"""Mutation test of the shapes: remove each required triple of the seed graph alone; validation must fail.

A triple is *required* when its predicate is the path of a property shape with sh:minCount ≥ 1
in a node shape that targets its subject (sh:targetClass, following rdfs:subClassOf of the
ontology), and it is the subject's only value for that path. Every such removal must make
pySHACL report a violation for that subject, or the shapes miss it.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from klimatgraf.config import ontology_path
from klimatgraf.validate import load_shapes


def required_paths(shapes: Graph, ontology: Graph) -> dict[URIRef, set[URIRef]]:
    """class → predicates that each instance must carry (simple paths with minCount ≥ 1)."""
    out: dict[URIRef, set[URIRef]] = {}
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        paths = set()
        for prop in shapes.objects(shape, SH.property):
            path, minimum = shapes.value(prop, SH.path), shapes.value(prop, SH.minCount)
            if isinstance(path, URIRef) and minimum is not None and int(minimum) >= 1:
                paths.add(path)
        for target in shapes.objects(shape, SH.targetClass):
            assert isinstance(target, URIRef)
            for cls in ontology.transitive_subjects(RDFS.subClassOf, target):
                out.setdefault(cls, set()).update(paths)  # type: ignore[arg-type]
    return out


def mutations(data: Graph, required: dict[URIRef, set[URIRef]]) -> list[tuple[Node, Node, Node]]:
    triples = []
    for cls, paths in sorted(required.items()):
        for subject in sorted(set(data.subjects(RDF.type, cls))):
            for path in sorted(paths):
                values = list(data.objects(subject, path))
                if len(values) == 1:
                    triples.append((subject, path, values[0]))
    return sorted(set(triples))


def test_removing_any_required_triple_makes_validation_fail(seed_build: Path) -> None:
    from pyshacl import validate

    data = Graph().parse(seed_build / "graph.nt", format="nt")
    shapes = load_shapes()
    ontology = Graph().parse(ontology_path(), format="turtle")
    candidates = mutations(data, required_paths(shapes, ontology))
    assert len(candidates) > 100  # the seed graph has many; a collapse here would make the test vacuous
    subjects = sorted({s for s, _, _ in candidates})
    baseline = validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, inplace=True,
                        focus_nodes=subjects)  # fmt: skip
    assert baseline[0], "the unmutated seed graph must conform, or every 'catch' below is vacuous"
    missed = []
    for triple in candidates:
        data.remove(triple)
        conforms, _, _ = validate(
            data,
            shacl_graph=shapes,
            ont_graph=ontology,
            inference="none",
            advanced=True,
            inplace=True,
            focus_nodes=[triple[0]],
        )
        data.add(triple)
        if conforms:
            missed.append(triple)
    caught = len(candidates) - len(missed)
    print(f"shape mutations caught: {caught}/{len(candidates)}")
    assert not missed, f"{len(missed)} removals not caught, e.g. {missed[:3]}"
