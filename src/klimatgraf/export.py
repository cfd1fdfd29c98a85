"""The network of cities, twins, agencies, commitments, concepts and organisations, for Gephi & co.

The network is read from the graph with SPARQL over the shortcut triples (kg:twinOf,
kg:adopts, kg:hasParty, kg:mentions), so the export shows exactly what the graph says; on an
rdflib Graph or any engine (the CLI uses oxigraph's on-disk store: no graph is parsed, issue 27).
The concepts come from the topic matrix (`with_topics`, issue 23): a node per concept of one level
of the vocabulary and an edge from each municipality to each concept its own text names,
weighted by the passages (a bipartite network: a force layout draws cities with the same topics
together), and, on request, edges between the municipalities most alike in their topics.
Writers: GEXF 1.3 with viz colours and sizes (Gephi, Gephi Lite), GraphML
(networkx, yEd, Cytoscape) and Gephi's spreadsheet CSV pair (nodes.csv, edges.csv).
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError
from .store import write_atomically

if TYPE_CHECKING:
    from rdflib import Graph

    from .sparql import Engine
    from .topics import Profiles

NODE_TYPES = ("municipality", "agency", "programme", "commitment", "concept", "organisation")
# Colour-blind-safe palette (Okabe–Ito), one colour per node type.
COLOURS = {
    "municipality": (0, 114, 178),
    "agency": (230, 159, 0),
    "programme": (213, 94, 0),
    "commitment": (0, 158, 115),
    "concept": (204, 121, 167),
    "organisation": (86, 180, 233),
}
NODE_ATTRIBUTES = ("type", "kommunkod", "lan", "document_type", "label_sv", "label_en", "level")
EDGE_ATTRIBUTES = ("relation", "weight")  # weight is also the native GEXF edge weight

_PREFIXES = """
PREFIX kg: <https://w3id.org/klimatgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
_NODE_QUERY = (
    _PREFIXES
    + """
SELECT ?node ?type ?label ?code ?lan ?doctype WHERE {
  {
    ?node a kg:Municipality . BIND("municipality" AS ?type)
    OPTIONAL { ?node dcterms:identifier ?code }
    OPTIONAL { ?node kg:countyName ?lan }
    OPTIONAL { ?doc kg:municipality ?node ; dcterms:type/skos:notation ?doctype }
  } UNION { ?node a kg:Agency . BIND("agency" AS ?type) }
  UNION { ?node a kg:Programme . BIND("programme" AS ?type) }
  UNION { ?m kg:adopts ?node . BIND("commitment" AS ?type) }
  UNION { ?m kg:mentions ?node . BIND("organisation" AS ?type) }
  OPTIONAL { ?node skos:prefLabel ?label FILTER(lang(?label) = "sv" || lang(?label) = "") }
  OPTIONAL { ?node rdfs:label ?label }
}
"""
)
_EDGE_QUERY = (
    _PREFIXES
    + """
SELECT DISTINCT ?source ?target ?relation WHERE {
  { ?source kg:twinOf ?target . BIND("twin-of" AS ?relation) }
  UNION { ?source kg:adopts ?target . BIND("adopts" AS ?relation) }
  UNION { ?source kg:mentions ?target . BIND("mentions-organisation" AS ?relation) }
  UNION {
    ?doc kg:municipality ?target ; kg:hasParty ?source .
    FILTER(?source != ?target)
    BIND("party-to" AS ?relation)
  }
}
"""
)


@dataclass(frozen=True)
class Node:
    id: str  # the resource IRI
    label: str
    type: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    relation: str
    weight: float = 1.0


@dataclass(frozen=True)
class Network:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def degree(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for edge in self.edges:
            counts[edge.source] += 1
            counts[edge.target] += 1
        return counts


def network(source: Graph | Engine, include: Iterable[str] | None = None, exclude: Iterable[str] = ()) -> Network:
    """Nodes and edges of the given node types (all by default), sorted for stable output.

    A node met in several rows (a municipality with two documents) takes its attributes from the
    rows in sorted order, so that every engine gives the same network."""
    wanted = set(include or NODE_TYPES) - set(exclude)
    unknown = wanted - set(NODE_TYPES) | (set(exclude) - set(NODE_TYPES))
    if unknown:
        raise InputError(f"unknown node type(s) {', '.join(sorted(unknown))}; choose from {', '.join(NODE_TYPES)}")
    nodes: dict[str, Node] = {}
    for node_iri, node_type, label_value, code, lan, doctype in _rows(source, _NODE_QUERY):
        if node_type not in wanted:
            continue
        assert node_iri is not None and node_type is not None  # bound in every branch of the query
        label = label_value if label_value is not None else node_iri.rsplit("/", 1)[-1]
        attributes = {"type": node_type, "label_sv": label}
        for key, value in (("kommunkod", code), ("lan", lan), ("document_type", doctype)):
            if value is not None:
                attributes[key] = value
        previous = nodes.get(node_iri)
        if previous is not None:
            attributes = {**attributes, **previous.attributes}
        nodes[node_iri] = Node(node_iri, label, node_type, attributes)
    edges = {
        (str(source_iri), str(target), str(relation))
        for source_iri, target, relation in _rows(source, _EDGE_QUERY)
        if source_iri in nodes and target in nodes
    }
    return Network(
        tuple(sorted(nodes.values(), key=lambda n: (NODE_TYPES.index(n.type), n.label))),
        tuple(Edge(s, t, rel) for s, t, rel in sorted(edges)),
    )


def _rows(source: Graph | Engine, text: str) -> list[tuple[str | None, ...]]:
    """The rows of one of our queries as strings (None: unbound), sorted (None first)."""
    from rdflib import Graph as RdfGraph

    from .sparql import run

    result = run(source, text) if isinstance(source, RdfGraph) else source.run(text, trusted=True)
    rows = [tuple(None if term is None else str(term) for term in row) for row in result.rows]
    return sorted(rows, key=lambda row: tuple((value is not None, value or "") for value in row))


def with_topics(
    net: Network,
    profiles: Profiles,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    *,
    level: int = 1,
    similar: int = 0,
) -> Network:
    """`net` with the concepts of `level` as nodes, an edge from each municipality to each concept its own
    text names (relation "works-on", weight: the passages, latest editions), and with `similar` > 0 an
    edge between each municipality and its `similar` most alike by the cosine of their concept profiles
    (relation "similar-to", weight: the cosine; one edge per pair, from the smaller kommunkod)."""
    from .topics import concept_links, similar_pairs

    wanted = set(include or NODE_TYPES) - set(exclude)
    nodes = {n.id: n for n in net.nodes}
    edges = list(net.edges)
    town = "https://w3id.org/klimatgraf/id/kommun/"
    if "concept" in wanted and "municipality" in wanted:
        for code, concept, passages in concept_links(profiles, level):
            if town + code not in nodes:
                continue
            if concept not in nodes:
                c = profiles.hierarchy[concept]
                attributes = {"type": "concept", "label_sv": c.label, "label_en": c.label_en, "level": str(c.level)}
                nodes[concept] = Node(concept, c.label, "concept", attributes)
            edges.append(Edge(town + code, concept, "works-on", float(passages)))
    if similar:
        for a, b, cosine in similar_pairs(profiles, similar):
            if town + a in nodes and town + b in nodes:
                edges.append(Edge(town + a, town + b, "similar-to", cosine))
    return Network(
        tuple(sorted(nodes.values(), key=lambda n: (NODE_TYPES.index(n.type), n.label))),
        tuple(sorted(edges, key=lambda e: (e.source, e.target, e.relation))),
    )


def _size(degree: int) -> float:
    return round(6.0 + 3.0 * degree**0.75, 2)


def to_gexf(net: Network) -> bytes:
    """GEXF 1.3 with declared attributes, viz:color by type and viz:size by degree."""
    gexf_ns, viz_ns = "http://gexf.net/1.3", "http://gexf.net/1.3/viz"
    ET.register_namespace("", gexf_ns)
    ET.register_namespace("viz", viz_ns)
    root = ET.Element(f"{{{gexf_ns}}}gexf", {"version": "1.3"})
    meta = ET.SubElement(root, f"{{{gexf_ns}}}meta", {"lastmodifieddate": date.today().isoformat()})
    ET.SubElement(meta, f"{{{gexf_ns}}}creator").text = "klimatgraf"
    ET.SubElement(
        meta, f"{{{gexf_ns}}}description"
    ).text = (
        "Klimatkontrakt 2030: municipalities, twins/pioneers, agencies, programme, commitments, concepts, organisations"
    )
    graph = ET.SubElement(root, f"{{{gexf_ns}}}graph", {"defaultedgetype": "directed", "mode": "static"})
    node_attrs = ET.SubElement(graph, f"{{{gexf_ns}}}attributes", {"class": "node", "mode": "static"})
    for i, name in enumerate(NODE_ATTRIBUTES):
        ET.SubElement(node_attrs, f"{{{gexf_ns}}}attribute", {"id": str(i), "title": name, "type": "string"})
    edge_attrs = ET.SubElement(graph, f"{{{gexf_ns}}}attributes", {"class": "edge", "mode": "static"})
    for i, name in enumerate(EDGE_ATTRIBUTES):
        kind = "double" if name == "weight" else "string"
        ET.SubElement(edge_attrs, f"{{{gexf_ns}}}attribute", {"id": str(i), "title": name, "type": kind})
    degree = net.degree()
    nodes_el = ET.SubElement(graph, f"{{{gexf_ns}}}nodes")
    for node in net.nodes:
        el = ET.SubElement(nodes_el, f"{{{gexf_ns}}}node", {"id": node.id, "label": node.label})
        values = ET.SubElement(el, f"{{{gexf_ns}}}attvalues")
        for i, name in enumerate(NODE_ATTRIBUTES):
            if name in node.attributes:
                ET.SubElement(values, f"{{{gexf_ns}}}attvalue", {"for": str(i), "value": node.attributes[name]})
        r, g, b = COLOURS[node.type]
        ET.SubElement(el, f"{{{viz_ns}}}color", {"r": str(r), "g": str(g), "b": str(b), "a": "1.0"})
        ET.SubElement(el, f"{{{viz_ns}}}size", {"value": str(_size(degree[node.id]))})
    edges_el = ET.SubElement(graph, f"{{{gexf_ns}}}edges")
    for i, edge in enumerate(net.edges):
        el = ET.SubElement(
            edges_el,
            f"{{{gexf_ns}}}edge",
            {
                "id": str(i),
                "source": edge.source,
                "target": edge.target,
                "weight": str(edge.weight),
                "label": edge.relation,
            },
        )
        values = ET.SubElement(el, f"{{{gexf_ns}}}attvalues")
        ET.SubElement(values, f"{{{gexf_ns}}}attvalue", {"for": "0", "value": edge.relation})
        ET.SubElement(values, f"{{{gexf_ns}}}attvalue", {"for": "1", "value": str(edge.weight)})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def to_graphml(net: Network) -> bytes:
    """GraphML with the same node and edge attributes as the GEXF (keys declared up front)."""
    ns = "http://graphml.graphdrawing.org/xmlns"
    ET.register_namespace("", ns)
    root = ET.Element(f"{{{ns}}}graphml")
    for name in (*NODE_ATTRIBUTES, "label", "color", "size"):
        kind = "double" if name == "size" else "string"
        ET.SubElement(root, f"{{{ns}}}key", {"id": f"n_{name}", "for": "node", "attr.name": name, "attr.type": kind})
    for name, kind in (("relation", "string"), ("weight", "double")):
        ET.SubElement(root, f"{{{ns}}}key", {"id": f"e_{name}", "for": "edge", "attr.name": name, "attr.type": kind})
    graph = ET.SubElement(root, f"{{{ns}}}graph", {"id": "klimatgraf", "edgedefault": "directed"})
    degree = net.degree()
    for node in net.nodes:
        el = ET.SubElement(graph, f"{{{ns}}}node", {"id": node.id})
        data = {**node.attributes, "label": node.label, "color": "#{:02x}{:02x}{:02x}".format(*COLOURS[node.type])}
        data["size"] = str(_size(degree[node.id]))
        for name, value in data.items():
            ET.SubElement(el, f"{{{ns}}}data", {"key": f"n_{name}"}).text = value
    for i, edge in enumerate(net.edges):
        el = ET.SubElement(graph, f"{{{ns}}}edge", {"id": f"e{i}", "source": edge.source, "target": edge.target})
        ET.SubElement(el, f"{{{ns}}}data", {"key": "e_relation"}).text = edge.relation
        ET.SubElement(el, f"{{{ns}}}data", {"key": "e_weight"}).text = str(edge.weight)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_csv(net: Network, directory: Path) -> tuple[Path, Path]:
    """Gephi's spreadsheet import: nodes.csv (Id, Label, …) and edges.csv (Source, Target, Type, …)."""
    degree = net.degree()

    def nodes(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["Id", "Label", *NODE_ATTRIBUTES, "degree"])
            for node in net.nodes:
                writer.writerow(
                    [node.id, node.label, *(node.attributes.get(a, "") for a in NODE_ATTRIBUTES), degree[node.id]]
                )

    def edges(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["Source", "Target", "Type", "Label", "relation", "Weight"])
            for edge in net.edges:
                writer.writerow([edge.source, edge.target, "Directed", edge.relation, edge.relation, edge.weight])

    directory.mkdir(parents=True, exist_ok=True)
    write_atomically(directory / "nodes.csv", nodes)
    write_atomically(directory / "edges.csv", edges)
    return directory / "nodes.csv", directory / "edges.csv"
