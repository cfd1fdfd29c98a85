"""What the server loads once at start: the graph (`sparql.read_graph`, for the SPARQL endpoint's
query children), oxigraph's on-disk stores of the whole graph and of the latest editions (the
answers computed at start — compare, the named queries, cache.py — and the network come from
them, issue 27: no copy of the graph is made), the search index (the e5 model warms in a
background thread, so the server answers at once and the first search does not pay for the
model), build.json and the named queries. Nothing is written to disk; everything is read-only
afterwards.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MAX_QUERY_CHARS
from ..errors import InputError
from ..formats import RDFLIB_NAME
from ..store import open_snapshot
from .limits import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CLIENT_QUERIES,
    DEFAULT_MAX_MEMORY_MB,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
)
from .runner import QueryRunner, _is_update

if TYPE_CHECKING:
    from rdflib import Graph

    from ..search import Searcher
    from ..sparql import Engine


@dataclass
class Service:
    """Everything the routes read, loaded once at start; read-only afterwards."""

    build_dir: Path
    graph: Graph
    searcher: Searcher
    runner: QueryRunner
    documents: list[dict[str, Any]]
    paragraphs: dict[str, list[dict[str, Any]]]
    queries: dict[str, dict[str, str]]
    gazetteer: Any
    network: dict[str, Any] = field(default_factory=dict)
    fixed: Any = None  # cache.FixedAnswers: compare and the named queries, computed at start
    latest: Any = None  # sparql.Engine over the latest editions (oxigraph); None: restrict `graph` (rdflib)
    warmed: threading.Event = field(default_factory=threading.Event)
    # one search at a time: the searcher's query-vector cache and the model are not shared between threads
    search_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def model_ready(self) -> bool:
        return self.warmed.is_set()


def load_service(
    build_dir: Path,
    data_dir: Path,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_memory_mb: int = DEFAULT_MAX_MEMORY_MB,
    max_client_queries: int = DEFAULT_MAX_CLIENT_QUERIES,
    *,
    max_query_chars: int = MAX_QUERY_CHARS,
) -> Service:
    """Read the build (graph, index, build.json) and the named queries; any problem is one line."""
    from ..corpus import load_gazetteer
    from ..search import Searcher
    from ..sparql import list_queries

    if timeout <= 0:
        raise InputError(f"--timeout must be positive, not {timeout:g}")
    if max_rows < 1:
        raise InputError(f"--max-rows must be at least 1, not {max_rows}")
    for flag, value, least in (
        ("--max-bytes", max_bytes, 1024),
        ("--max-memory", max_memory_mb, 64),
        ("--max-client-queries", max_client_queries, 1),
    ):
        if value < least:
            raise InputError(f"{flag} must be at least {least}, not {value}")

    # one snapshot (one reader scope) for graph, index and build.json: a build committing meanwhile
    # cannot give the server a graph of one build and the index or document list of the next
    def searcher_of(index_dir: Path) -> Searcher:  # the model warms in a thread meanwhile
        return Searcher(index_dir, max_query_chars=max_query_chars)

    snap = open_snapshot(build_dir, load_graph=_graph_and_stores, load_index=searcher_of)
    (graph, whole, latest), searcher = snap.graph, snap.index
    documents = [
        {"municipality": d.municipality, "kommunkod": d.kommunkod, "document": d.doc_id, "file": d.file, "type": d.type}
        for d in snap.manifest.documents_detail
    ]
    service = Service(
        build_dir=build_dir,
        graph=graph,
        searcher=searcher,
        runner=QueryRunner(graph, timeout, max_rows, max_bytes, max_memory_mb, max_client_queries),
        documents=documents,
        paragraphs=_paragraphs(graph),
        queries={q.name: {"name": q.name, "description": q.description, "query": q.text} for q in list_queries()},
        gazetteer=load_gazetteer(data_dir),
        latest=latest,
    )
    service.network = _network_json(whole)
    _prime(graph)
    service.fixed = fixed_answers(service)
    threading.Thread(target=_warm_search, args=(service,), daemon=True, name="warm-search").start()
    return service


def fixed_answers(service: Service) -> Any:
    """Compare and the named queries, answered once at start (cache.py) over the latest edition of
    each municipality, as the CLI reads them (issue 14): from `service.latest` (oxigraph, issue 27),
    or a copy of `service.graph` without the earlier editions where the service has no such store."""
    from ..editions import latest_graph
    from ..sparql import RdflibEngine, list_queries
    from . import cache

    queries = {n: q["query"] for n, q in service.queries.items()}
    shipped = {q.name for q in list_queries() if q.trusted and queries.get(q.name) == q.text}
    source = service.latest if service.latest is not None else RdflibEngine(latest_graph(service.graph))
    return cache.compute(source, queries, service.gazetteer, shipped)


def _graph_and_stores(build_dir: Path) -> tuple[Graph, Engine, Engine]:
    """Inside the snapshot's one reader scope: the rdflib graph (parsed; the query children's), and
    oxigraph over the whole graph and over the latest editions (`editions.open_edition`: the store
    the CLI's default edition reads), both on disk, opened in milliseconds."""
    from ..editions import open_edition
    from ..errors import InputError
    from ..sparql import open_engine, read_graph

    whole = open_engine(build_dir, "oxigraph")
    try:
        latest, _ = open_edition(build_dir, "oxigraph", "latest")
    except InputError:  # a graph without documents: nothing to leave out
        latest = whole
    return read_graph(build_dir), whole, latest


def _prime(graph: Graph) -> None:
    """Import rdflib's parser, evaluator and serialisers now, so query children never import."""
    from .. import sparql
    from ..formats import serialise_result
    from ..vocabulary import SparqlFormat

    probe = sparql.run(graph, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1")
    if probe.graph is not None:
        for fmt in set(RDFLIB_NAME.values()):
            probe.graph.serialize(format=fmt)
    rows = sparql.run(graph, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
    for result_format in SparqlFormat:
        if result_format is not SparqlFormat.table:
            serialise_result(rows, result_format)
    _is_update("ASK {}")


def _warm_search(service: Service) -> None:
    """One real search: the model's weights, faiss and BM25 are then all in memory."""
    try:
        with service.search_lock:
            service.searcher.search("klimat", k=1)
    except Exception:  # the same error reaches the first real search
        pass
    finally:
        service.warmed.set()


def _paragraphs(graph: Graph) -> dict[str, list[dict[str, Any]]]:
    """Every document's paragraphs in reading order, read from the graph."""
    from rdflib import RDF, Literal
    from rdflib.namespace import DCTERMS

    from ..namespaces import KG

    by_doc: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for iri in graph.subjects(RDF.type, KG.Paragraph):
        doc = graph.value(iri, DCTERMS.isPartOf)
        ordinal = graph.value(iri, KG.ordinal)
        if doc is None or not isinstance(ordinal, Literal):
            continue
        doc_id = str(doc).rsplit("/document/", 1)[-1]
        page = graph.value(iri, KG.page)
        section = graph.value(iri, KG.section)
        boilerplate = graph.value(iri, KG.boilerplate)
        by_doc.setdefault(doc_id, []).append(
            (
                int(ordinal.toPython()),
                {
                    "pid": f"{doc_id}/{int(ordinal.toPython())}",
                    "section": str(section) if section is not None else "",
                    "page": int(page.toPython()) if isinstance(page, Literal) else None,
                    "text": str(graph.value(iri, KG.text) or ""),
                    "boilerplate": bool(boilerplate.toPython()) if isinstance(boilerplate, Literal) else False,
                },
            )
        )
    return {doc_id: [p for _, p in sorted(items, key=lambda t: t[0])] for doc_id, items in by_doc.items()}


def _network_json(source: Graph | Engine) -> dict[str, Any]:
    from ..export import COLOURS, _size, network

    net = network(source)
    degree = net.degree()
    return {
        "nodes": [
            {
                "id": n.id,
                "label": n.label,
                "type": n.type,
                "color": "#{:02x}{:02x}{:02x}".format(*COLOURS[n.type]),
                "size": _size(degree[n.id]),
                **{k: v for k, v in n.attributes.items() if k not in ("type", "label_sv")},
            }
            for n in net.nodes
        ],
        "edges": [
            {"source": e.source, "target": e.target, "relation": e.relation, "weight": e.weight} for e in net.edges
        ],
    }
