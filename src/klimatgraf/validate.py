"""SHACL validation of the graph with pySHACL against shapes/klimatgraf.ttl.

Conformance is an answer (exit 0 or 1 in the CLI), not an error; only unreadable shapes
or data raise InputError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph
from rdflib.namespace import RDF, SH

from .config import ontology_path
from .config import shapes_path as default_shapes_path
from .errors import InputError


@dataclass
class ValidationResult:
    conforms: bool
    report_text: str
    report_graph: Graph
    results: list[dict[str, Any]] = field(default_factory=list)


def load_shapes(path: Path | None = None) -> Graph:
    path = path or default_shapes_path()
    try:
        return Graph().parse(path, format="turtle")
    except FileNotFoundError:
        raise InputError(f"shapes file {path} is missing; restore shapes/klimatgraf.ttl") from None
    except Exception as exc:
        raise InputError(f"shapes file {path} is not valid Turtle ({type(exc).__name__})") from None


def validate(data_graph: Graph, shapes_path: Path | None = None) -> ValidationResult:
    """pySHACL without RDFS inference (the graph is validated as written), SPARQL constraints on."""
    from pyshacl import validate as shacl_validate

    shapes = load_shapes(shapes_path)
    # The ontology is mixed in so that sh:class follows rdfs:subClassOf (ClimateContract ⊑ Agreement).
    ontology = Graph().parse(ontology_path(), format="turtle")
    conforms, report_graph, report_text = shacl_validate(
        data_graph, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=False
    )
    assert isinstance(report_graph, Graph)
    results = []
    for result in sorted(report_graph.subjects(RDF.type, SH.ValidationResult), key=str):
        row = {
            "focus": report_graph.value(result, SH.focusNode),
            "path": report_graph.value(result, SH.resultPath),
            "value": report_graph.value(result, SH.value),
            "message": report_graph.value(result, SH.resultMessage),
            "severity": report_graph.value(result, SH.resultSeverity),
            "shape": report_graph.value(result, SH.sourceShape),
        }
        results.append({k: (None if v is None else str(v)) for k, v in row.items()})
    results.sort(key=lambda r: (r["focus"] or "", r["message"] or ""))
    return ValidationResult(bool(conforms), str(report_text), report_graph, results)
