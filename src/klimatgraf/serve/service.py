"""What the server loads once at start: oxigraph's on-disk stores of the whole graph and of the
latest editions (compare and the named queries' answers, cache.py, the network, the documents'
paragraphs, history, diff and the theme cells come from them, issue 27: no copy of the graph is
made), the search index, build.json and the named queries. The rest loads in background threads,
so the server answers within seconds of its start: the answers (each computed once, by the
warm-up or by the first request that needs it), the e5 model and the rdflib graph of the SPARQL
endpoint's query children (loading.py); `/readyz` says while the last two load. Nothing is
written to disk; everything is read-only afterwards.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
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
    DEFAULT_MAX_CLIENT_SEARCHES,
    DEFAULT_MAX_QUERY_TOKENS,
    DEFAULT_MAX_ROWS,
    DEFAULT_QUEUE_LENGTH,
    DEFAULT_SEARCH_TIMEOUT,
    DEFAULT_SEARCH_WORKERS,
    DEFAULT_TIMEOUT,
)
from .loading import LoadingGraph, loaded
from .queues import FairQueue
from .runner import QueryRunner, _is_update

if TYPE_CHECKING:
    from rdflib import Graph

    from ..retrieval import Searcher
    from ..sparql import Engine


@dataclass
class Service:
    """Everything the routes read, loaded once at start; read-only afterwards."""

    build_dir: Path
    graph: Graph | LoadingGraph  # the SPARQL endpoint's (loading.py); `store` answers everything else
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
    # searches (issue 24): `searchers` run at once, each its own Searcher (its own caches and model
    # handle, none shared between threads); `searcher` is the first, for what is read at start
    searchers: list[Searcher] = field(default_factory=list)
    search_queue: FairQueue | None = None
    search_timeout: float = DEFAULT_SEARCH_TIMEOUT
    max_query_tokens: int = DEFAULT_MAX_QUERY_TOKENS
    sparql_queue: FairQueue | None = None
    health: dict[str, Any] = field(default_factory=dict)  # /healthz, computed at start
    profiles: Any = None  # topics.Profiles: every document's own-text concepts (topics.json), for /api/themes
    graph_reader: Any = None  # retrieval.graphpath.GraphReader: relation questions answered from the graph
    store: Any = None  # sparql.Engine (oxigraph) over the whole graph; None: `graph` (tests)
    _pools: dict[str, ThreadPoolExecutor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.searchers and self.searcher is not None:
            self.searchers = [self.searcher]
        if self.search_queue is None:
            self.search_queue = FairQueue(
                "searches", max(1, len(self.searchers)), DEFAULT_MAX_CLIENT_SEARCHES, DEFAULT_QUEUE_LENGTH,
                "--max-client-searches",
            )  # fmt: skip
        if self.sparql_queue is None:
            self.sparql_queue = FairQueue(
                "SPARQL queries", self.runner.slots, DEFAULT_MAX_CLIENT_QUERIES, DEFAULT_QUEUE_LENGTH,
                "--max-client-queries",
            )  # fmt: skip
        self.idle_searchers = list(self.searchers)
        self._idle_lock = threading.Lock()
        manifest = self.searcher.index.manifest if self.searcher is not None else None  # None: a graph-only test
        self.health = {
            "status": "ok",
            "triples": len(self.graph),
            "documents": len(self.documents),
            "passages": manifest.passages if manifest is not None else 0,
            "model": manifest.model_id if manifest is not None else None,
        }

    def topic_profiles(self) -> Any:
        """The profiles read at start; a service made without them (tests) reads them from its graph."""
        if self.profiles is None:
            from ..topics import profiles_from_graph

            self.profiles = profiles_from_graph(loaded(self.graph))
        return self.profiles

    def document_paragraphs(self, doc_id: str) -> list[dict[str, Any]]:
        """A document's paragraphs in reading order: given at start (tests), or read from the store
        on first request and kept (one query of ms; reading all of them at start took 2.5 s at N = 300)."""
        if doc_id not in self.paragraphs and self.store is not None:
            self.paragraphs[doc_id] = _paragraphs(self.store, doc_id).get(doc_id, [])
        return self.paragraphs.get(doc_id, [])

    def source(self) -> Graph | Engine:
        """What history, diff and the theme cells read: oxigraph over the whole graph, or (a service
        made without it, in tests) the rdflib graph."""
        return self.store if self.store is not None else loaded(self.graph)

    @property
    def sparql_ready(self) -> bool:
        return not isinstance(self.graph, LoadingGraph) or self.graph.ready

    @property
    def model_ready(self) -> bool:
        return self.warmed.is_set()

    def take_searcher(self, wanted: Searcher | None = None) -> Searcher | None:
        """An idle searcher (`wanted` if it is idle), or None; the search queue's slots ensure one
        is idle for each granted search (the warm-up may hold one for a moment at start)."""
        with self._idle_lock:
            if wanted is not None:
                if wanted not in self.idle_searchers:
                    return None
                self.idle_searchers.remove(wanted)
                return wanted
            return self.idle_searchers.pop() if self.idle_searchers else None

    def give_back(self, searcher: Searcher) -> None:
        with self._idle_lock:
            self.idle_searchers.append(searcher)

    def pool(self, name: str) -> ThreadPoolExecutor:
        """The threads of the searches ("search") or of the SPARQL queries ("sparql"): their own,
        as many as may run at once, never anyio's (which the other routes use)."""
        if name not in self._pools:
            size = max(1, len(self.searchers)) if name == "search" else self.runner.slots
            self._pools[name] = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"kg-{name}")
        return self._pools[name]


def load_service(
    build_dir: Path,
    data_dir: Path,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_memory_mb: int | None = None,
    max_client_queries: int = DEFAULT_MAX_CLIENT_QUERIES,
    *,
    max_query_chars: int = MAX_QUERY_CHARS,
    max_total_memory_mb: int | None = None,
    max_queries: int | None = None,
    queue_length: int = DEFAULT_QUEUE_LENGTH,
    search_workers: int = DEFAULT_SEARCH_WORKERS,
    max_client_searches: int = DEFAULT_MAX_CLIENT_SEARCHES,
    search_timeout: float = DEFAULT_SEARCH_TIMEOUT,
    max_query_tokens: int = DEFAULT_MAX_QUERY_TOKENS,
) -> Service:
    """Read the build (graph, index, build.json) and the named queries; any problem is one line.

    `max_memory_mb` None: sized to the graph; `max_total_memory_mb` None: half the machine's
    memory; `max_queries` None: the cores and one (limits.py)."""
    from ..corpus import load_gazetteer
    from ..index import read_manifest
    from ..retrieval import Searcher
    from ..sparql import list_queries

    for flag, seconds in (("--timeout", timeout), ("--search-timeout", search_timeout)):
        if seconds <= 0:
            raise InputError(f"{flag} must be positive, not {seconds:g}")
    if max_rows < 1:
        raise InputError(f"--max-rows must be at least 1, not {max_rows}")
    for flag, value, least in (
        ("--max-bytes", max_bytes, 1024),
        ("--max-memory", 64 if max_memory_mb is None else max_memory_mb, 64),
        ("--max-total-memory", 64 if max_total_memory_mb is None else max_total_memory_mb, 64),
        ("--max-queries", 1 if max_queries is None else max_queries, 1),
        ("--max-client-queries", max_client_queries, 1),
        ("--queue-length", queue_length, 0),
        ("--search-workers", search_workers, 1),
        ("--max-client-searches", max_client_searches, 1),
        ("--max-query-tokens", max_query_tokens, 8),
    ):
        if value < least:
            raise InputError(f"{flag} must be at least {least}, not {value}")

    # one snapshot (one reader scope) for graph, index and build.json: a build committing meanwhile
    # cannot give the server a graph of one build and the index or document list of the next
    def searchers_of(index_dir: Path) -> list[Searcher]:  # the models load in the warm-up thread
        model_id = read_manifest(index_dir).model_id
        return [
            Searcher(index_dir, model=_search_model(model_id, search_workers), max_query_chars=max_query_chars)
            for _ in range(search_workers)
        ]

    snap = open_snapshot(build_dir, load_graph=_graph_and_stores, load_index=searchers_of)
    (graph, whole, latest, profiles), searchers = snap.graph, snap.index
    documents = [
        {"municipality": d.municipality, "kommunkod": d.kommunkod, "document": d.doc_id, "file": d.file, "type": d.type}
        for d in snap.manifest.documents_detail
    ]
    runner = QueryRunner(graph, timeout, max_rows, max_bytes, max_memory_mb, max_total_memory_mb, max_queries)
    service = Service(
        build_dir=build_dir,
        graph=graph,
        searcher=searchers[0],
        runner=runner,
        documents=documents,
        paragraphs={},  # read from the store when a document is asked for (document_paragraphs)
        queries={q.name: {"name": q.name, "description": q.description, "query": q.text} for q in list_queries()},
        gazetteer=load_gazetteer(data_dir),
        searchers=searchers,
        search_queue=FairQueue("searches", search_workers, max_client_searches, queue_length, "--max-client-searches"),
        search_timeout=search_timeout,
        max_query_tokens=max_query_tokens,
        profiles=profiles,
        sparql_queue=FairQueue(
            "SPARQL queries", runner.slots, max_client_queries, queue_length, "--max-client-queries"
        ),
        latest=latest,
        store=whole,
    )
    service.network = _network_json(whole, profiles)
    service.graph_reader = _graph_reader(whole, service.gazetteer)
    if not isinstance(graph, LoadingGraph):
        _prime(graph)
    service.fixed = fixed_answers(service)
    threading.Thread(target=_warm_search, args=(service,), daemon=True, name="warm-search").start()
    threading.Thread(target=_warm_answers, args=(service.fixed, graph), daemon=True, name="warm-answers").start()
    return service


def _warm_answers(fixed: Any, graph: Graph | LoadingGraph) -> None:
    """After start: compare and the named queries' answers (cache.py), then the parse of the SPARQL
    graph (loading.py), one after the other: a parse beside other Python work slows both many
    times over (each release of the GIL waits for the parsing thread's switch interval). A
    request that needs one of them first computes it, or starts the parse, itself."""
    try:
        fixed.warm()
    except Exception:  # the same error reaches the request that asks for that answer
        pass
    finally:
        if isinstance(graph, LoadingGraph):
            graph.start()


def _graph_reader(engine: Any, gazetteer: Any) -> Any:
    """Relation questions (issue 26) are answered on the whole graph's oxigraph store (every edition:
    a question may name one); its names are read now, not on the first question."""
    from ..retrieval.graphpath import GraphReader

    reader = GraphReader(engine, gazetteer)
    reader.names  # noqa: B018 - read at start
    return reader


def _search_model(model_id: str, workers: int) -> Any:
    """The embedder of one searcher: e5 with the cores shared among the searchers (issue 24: two
    searches at once, each with an OpenMP team as large as the machine, stalled each other at
    every barrier; on 2 cores, 1 thread each took a short search's p50 from 0.4-1.6 s to 48 ms
    under outside load). Any other model as the CLI loads it."""
    from ..embed import E5Embedder, get_embedder

    if model_id == E5Embedder.model_id:
        return E5Embedder(num_threads=max(1, (os.cpu_count() or 2) // workers))
    return get_embedder(model_id)


def fixed_answers(service: Service) -> Any:
    """Compare and the named queries, each answered once (cache.py: by the warm-up thread after start,
    or by the first request that needs it) over the latest edition of each municipality, as the CLI
    reads them (issue 14): from `service.latest` (oxigraph, issue 27), or a copy of `service.graph`
    without the earlier editions where the service has no such store."""
    from ..editions import latest_graph
    from ..sparql import RdflibEngine, list_queries
    from . import cache

    queries = {n: q["query"] for n, q in service.queries.items()}
    listed = list_queries()
    shipped = {q.name for q in listed if q.trusted and queries.get(q.name) == q.text}
    if all(q.trusted for q in listed):  # compare reads the named queries: all of them klimatgraf's own
        shipped.add(cache.COMPARISON)
    source = service.latest if service.latest is not None else RdflibEngine(latest_graph(loaded(service.graph)))
    return cache.compute(source, queries, service.gazetteer, shipped)


def _graph_and_stores(build_dir: Path) -> tuple[Graph | LoadingGraph, Engine, Engine, Any]:
    """Inside the snapshot's one reader scope (graph files already checked against build.json):
    oxigraph over the whole graph and over the latest editions (`editions.open_edition`: the store
    the CLI's default edition reads), both on disk, opened in milliseconds; the topic profiles
    (topics.json, issue 23); and the SPARQL endpoint's rdflib graph, to be parsed in a background
    thread from the file opened now (loading.py).
    A graph without build.json (put there by hand: no triple count to size the limits by) is
    parsed here, before the server answers."""
    from ..editions import open_edition
    from ..errors import InputError
    from ..sparql import open_engine, read_graph
    from ..store import BUILD_MANIFEST, GRAPH_NT, GRAPH_TTL, BuildManifest
    from ..topics import read_profiles

    whole = open_engine(build_dir, "oxigraph")
    try:
        latest, _ = open_edition(build_dir, "oxigraph", "latest")
    except InputError:  # a graph without documents: nothing to leave out
        latest = whole
    triples = BuildManifest.read(build_dir).triples if (build_dir / BUILD_MANIFEST).is_file() else 0
    graph: Graph | LoadingGraph
    name, fmt = (GRAPH_NT, "nt") if (build_dir / GRAPH_NT).is_file() else (GRAPH_TTL, "turtle")
    if triples > 0:
        graph = LoadingGraph((build_dir / name).open("rb"), fmt, triples, then=_prime)
    else:
        graph = read_graph(build_dir)
    return graph, whole, latest, read_profiles(build_dir)


def _prime(graph: Graph) -> None:
    """Import rdflib's parser, evaluator and serialisers now, so query children never import (under
    the parse lock: it runs in the loading thread while request threads may parse)."""
    from .. import sparql
    from ..formats import serialise_result
    from ..vocabulary import SparqlFormat
    from .limits import PARSE_LOCK

    with PARSE_LOCK:
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
    """One real search on each searcher: the model's weights, faiss and BM25 are then all in memory."""
    try:
        for searcher in service.searchers:
            if service.take_searcher(searcher) is not None:  # else a request has it: it warms it
                try:
                    searcher.search("klimat", k=1)
                finally:
                    service.give_back(searcher)
    except Exception:  # the same error reaches the first real search
        pass
    finally:
        service.warmed.set()


PARAGRAPHS_QUERY = """PREFIX kg: <https://w3id.org/klimatgraf/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?doc ?ordinal ?page ?section ?text ?boilerplate WHERE {
  %s
  ?paragraph a kg:Paragraph ; dcterms:isPartOf ?doc ; kg:ordinal ?ordinal .
  OPTIONAL { ?paragraph kg:page ?page }
  OPTIONAL { ?paragraph kg:section ?section }
  OPTIONAL { ?paragraph kg:text ?text }
  OPTIONAL { ?paragraph kg:boilerplate ?boilerplate }
}"""


def _paragraphs(source: Graph | Engine, doc_id: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every document's paragraphs in reading order (or one document's: `doc_id`, a document of the
    build), read from the graph in one query (our own text: oxigraph runs it without the guard's parse)."""
    from rdflib import Graph, Literal

    from ..sparql import run
    from ..topics import DOCUMENT, _safe

    query = PARAGRAPHS_QUERY % (f"VALUES ?doc {{ <{DOCUMENT}{doc_id}> }}" if doc_id is not None else "")
    trusted = doc_id is None or _safe([doc_id])  # an id that could not stand in an IRI gets the guard's parse
    result = run(source, query) if isinstance(source, Graph) else source.run(query, trusted=trusted)
    by_doc: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for doc, ordinal, page, section, text, boilerplate in result.rows:
        if doc is None or not isinstance(ordinal, Literal):
            continue
        doc_id = str(doc).rsplit("/document/", 1)[-1]
        number = int(ordinal.toPython())
        by_doc.setdefault(doc_id, []).append(
            (
                number,
                {
                    "pid": f"{doc_id}/{number}",
                    "section": str(section) if section is not None else "",
                    "page": int(page.toPython()) if isinstance(page, Literal) else None,
                    "text": str(text or ""),
                    "boilerplate": bool(boilerplate.toPython()) if isinstance(boilerplate, Literal) else False,
                },
            )
        )
    return {doc_id: [p for _, p in sorted(items, key=lambda t: t[0])] for doc_id, items in by_doc.items()}


def _network_json(source: Graph | Engine, profiles: Any = None) -> dict[str, Any]:
    """The network of `export gephi` (with the top concepts, when the profiles are given)."""
    from ..export import COLOURS, _size, network, with_topics

    net = network(source)
    if profiles is not None:
        net = with_topics(net, profiles)
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
