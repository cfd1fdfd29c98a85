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


def spread(candidates: list[tuple[Node, Node, Node]], data: Graph, per_pair: int = 3) -> list[tuple[Node, Node, Node]]:
    """Up to `per_pair` removals for each (class, path): the first, the middle and the last subject.

    The shapes are per class and path, so one more instance of the same pair tries the same
    constraint again; the seed graph's 7,000 concept tags would otherwise make this a ten-minute test.
    """
    groups: dict[tuple[Node, Node], list[tuple[Node, Node, Node]]] = {}
    for triple in candidates:
        groups.setdefault((data.value(triple[0], RDF.type), triple[1]), []).append(triple)
    chosen = []
    for members in groups.values():
        picks = {0, len(members) // 2, len(members) - 1} if len(members) > per_pair else set(range(len(members)))
        chosen.extend(members[i] for i in sorted(picks))
    return sorted(set(chosen))


def violations(report: Graph, focus: Node) -> set[tuple[Node | None, ...]]:
    """What a report says about one focus node: (constraint component, path, message) of each result."""
    return {
        (
            report.value(r, SH.sourceConstraintComponent),
            report.value(r, SH.resultPath),
            report.value(r, SH.resultMessage),
        )
        for r in report.subjects(SH.focusNode, focus)
    }


def test_removing_any_required_triple_makes_validation_fail(seed_build: Path) -> None:
    from pyshacl import validate

    data = Graph().parse(seed_build / "graph.nt", format="nt")
    shapes = load_shapes()
    ontology = Graph().parse(ontology_path(), format="turtle")
    every = mutations(data, required_paths(shapes, ontology))
    candidates = spread(every, data)
    assert len(candidates) > 100  # the seed graph has many; a collapse here would make the test vacuous
    options = {"shacl_graph": shapes, "ont_graph": ontology, "inference": "none", "advanced": True, "inplace": True}
    assert validate(data, **options)[0], "the unmutated seed graph must conform, or every 'catch' below is vacuous"

    def said(focus: Node) -> set[tuple[Node | None, ...]]:
        # pySHACL 0.40 with focus_nodes reports qualified value shapes (a concept's one Swedish and one
        # English prefLabel) as broken on a conforming graph; a removal counts as caught when it adds a
        # violation to what the unmutated graph's report says about that node.
        return violations(validate(data, focus_nodes=[focus], **options)[1], focus)

    before: dict[Node, set[tuple[Node | None, ...]]] = {}
    missed = []
    for triple in candidates:
        if triple[0] not in before:
            before[triple[0]] = said(triple[0])
        data.remove(triple)
        added = said(triple[0]) - before[triple[0]]
        data.add(triple)
        if not added:
            missed.append(triple)
    caught = len(candidates) - len(missed)
    print(f"shape mutations caught: {caught}/{len(candidates)} (of {len(every)} required triples)")
    assert not missed, f"{len(missed)} removals not caught, e.g. {missed[:3]}"
