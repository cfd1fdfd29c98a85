"""`klimatgraf serve`: the built graph and index over HTTP (FastAPI), for a team and a web page.

FastAPI is imported at module level (it reads the route signatures at run time); the CLI
imports this module only inside the `serve` command.

Everything is loaded once at start: the graph (`sparql.load_graph`), the search index (the
e5 model warms in a background thread, so the server answers at once and the first search
does not pay for the model), build.json, the named queries and the network. Nothing is
written to disk.

SPARQL runs in a forked child process per query. rdflib cannot cancel a running query, and a
thread cannot be killed, so a runaway query (a cartesian product) would keep a core busy
forever; a child process can be killed. With the 'fork' start method the child shares the
parent's graph copy-on-write, so nothing is serialised on the way in; the child sends the
finished, serialised answer back over a pipe, and the parent waits at most `timeout` seconds
and then kills it. The cost is one fork per query (see README, "Web service").
"""

from __future__ import annotations

import difflib
import json
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .config import BUILD_MANIFEST, INDEX_DIR, PACKAGE_DIR
from .errors import BuildCorruptError, BuildMissingError, InputError, KlimatgrafError, QueryError

if TYPE_CHECKING:
    from rdflib import Graph

    from .search import Searcher

WEB_DIR = PACKAGE_DIR / "web"
# rdflib's SPARQL parser keeps shared state and is not thread-safe: parses in request threads
# (compare) hold this lock, and so does every fork of a query child, which must not copy that
# state half-updated.
PARSE_LOCK = threading.Lock()
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # an answer larger than this is refused (413)
DEFAULT_MAX_MEMORY_MB = 1024  # address space each query child may add (RLIMIT_AS)
DEFAULT_MAX_CLIENT_QUERIES = 2  # SPARQL queries one client address may run at once
MAX_QUERY_BYTES = 100_000  # a SPARQL text longer than this is refused before parsing
MAX_SEARCH_CHARS = 1000

JSON_RESULTS = "application/sparql-results+json"
SELECT_TYPES = (JSON_RESULTS, "application/json", "text/csv", "text/tab-separated-values")
ASK_TYPES = (JSON_RESULTS, "application/json")
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/json")
RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
}


class HTTPError(KlimatgrafError):
    """A user error with its HTTP status; answered as JSON `{"error", "suggestions"?}`."""

    def __init__(self, status: int, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.suggestions = suggestions


# ----------------------------------------------------------------------------- SPARQL in a child


@dataclass(frozen=True)
class Answer:
    """What a query child sends back: an HTTP status, a media type and the body."""

    status: int
    media_type: str
    body: bytes

    @classmethod
    def error(cls, status: int, message: str) -> Answer:
        return cls(status, "application/json", json.dumps({"error": message}, ensure_ascii=False).encode())


def _accepted(accept: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q values, best first (stable)."""
    ranges = []
    for part in (accept or "*/*").split(","):
        bits = [b.strip() for b in part.split(";")]
        if not bits[0]:
            continue
        q = 1.0
        for param in bits[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((bits[0].lower(), q))
    return sorted(ranges, key=lambda r: -r[1])


def negotiate(accept: str | None, offered: tuple[str, ...]) -> str | None:
    """The offered media type the client prefers (the first offered one for */*), or None."""
    for media, q in _accepted(accept):
        if q <= 0:
            continue
        if media in ("*/*", "*"):
            return offered[0]
        if media.endswith("/*"):
            match = next((o for o in offered if o.startswith(media[:-1])), None)
            if match:
                return match
        elif media in offered:
            return media
    return None


def _not_acceptable(accept: str | None, offered: tuple[str, ...], kind: str) -> Answer:
    return Answer.error(406, f"cannot answer a {kind} query as {accept!r}; ask for one of {', '.join(offered)}")


def evaluate(graph: Graph, query: str, accept: str | None, max_rows: int, max_bytes: int = 0) -> Answer:
    """Run one query and serialise it as the client asked (runs inside the child process)."""
    from . import sparql, sparql_guard

    try:
        result = sparql.run(graph, query)
    except QueryError as exc:
        if str(exc) == sparql_guard.UPDATE_REFUSED:
            return Answer.error(403, "SPARQL Update is refused: this endpoint is read-only (rebuild the graph instead)")
        return Answer.error(400, str(exc))
    return render(result, accept, max_rows, max_bytes)


def render(result: Any, accept: str | None, max_rows: int, max_bytes: int = 0) -> Answer:
    """A query's result serialised as the client asked; a fault while serialising is the query's (400)."""
    from . import sparql_guard

    try:
        answer = _render(result, accept, max_rows)
    except Exception as exc:  # e.g. a lone surrogate cannot be encoded
        return Answer.error(400, sparql_guard.evaluation_message(exc))
    if max_bytes and len(answer.body) > max_bytes:
        return _too_large(len(answer.body), max_bytes)
    return answer


def _too_large(size: int | None, limit: int) -> Answer:
    what = f"is {size} bytes" if size is not None else "is larger than that"
    return Answer.error(
        413,
        f"the answer {what}, more than the server's limit of {limit} bytes (--max-bytes); "
        "add a LIMIT or select fewer or shorter values",
    )


def _render(result: Any, accept: str | None, max_rows: int) -> Answer:
    from . import sparql

    if result.kind == "ASK":
        media = negotiate(accept, ASK_TYPES)
        if media is None:
            return _not_acceptable(accept, ASK_TYPES, "ASK")
        return Answer(200, JSON_RESULTS if media == "application/json" else media, sparql.to_json(result).encode())
    if result.kind == "CONSTRUCT":
        assert result.graph is not None
        if len(result.graph) > max_rows:
            return _too_many(len(result.graph), max_rows, "triples")
        media = negotiate(accept, GRAPH_TYPES)
        if media is None:
            return _not_acceptable(accept, GRAPH_TYPES, "CONSTRUCT/DESCRIBE")
        body = result.graph.serialize(format=RDFLIB_FORMAT[media], encoding="utf-8")
        return Answer(200, "application/ld+json" if media == "application/json" else media, body)
    if len(result.rows) > max_rows:
        return _too_many(len(result.rows), max_rows, "rows")
    media = negotiate(accept, SELECT_TYPES)
    if media is None:
        return _not_acceptable(accept, SELECT_TYPES, "SELECT")
    if media == "text/csv":
        return Answer(200, "text/csv; charset=utf-8", sparql.to_csv(result).encode())
    if media == "text/tab-separated-values":
        return Answer(200, "text/tab-separated-values; charset=utf-8", sparql.to_tsv(result).encode())
    return Answer(200, JSON_RESULTS, sparql.to_json(result).encode())


def _too_many(count: int, limit: int, what: str) -> Answer:
    return Answer.error(
        413, f"the query returned {count} {what}, more than the server's limit of {limit} (--max-rows); add a LIMIT"
    )


def _is_update(query: str) -> bool:
    """True when the text is a SPARQL Update (which rdflib's query parser rejects as a syntax error)."""
    from .sparql_guard import is_update

    return is_update(query)


def _child(graph: Graph, query: str, accept: str | None, limits: tuple[int, int, int], conn: Connection) -> None:
    """Body of the query child: cap its memory, evaluate, send the answer (a header, then the body),
    exit without running the parent's atexit."""
    import logging

    from . import sparql_guard
    from .serve_guard import child_memory_cap

    max_rows, max_bytes, max_memory_mb = limits
    try:
        child_memory_cap(max_memory_mb)
        answer = evaluate(graph, query, accept, max_rows, max_bytes)
    except MemoryError as exc:  # past --max-memory outside the evaluation proper (serialising, encoding)
        answer = Answer.error(400, sparql_guard.evaluation_message(exc))
    except Exception:  # a bug of the server: logged (escaped, one line), answered without internals
        logging.getLogger("klimatgraf.serve").exception("query process failed")
        answer = Answer.error(500, "internal error while answering the query; see the server log")
    try:
        conn.send_bytes(json.dumps([answer.status, answer.media_type, len(answer.body)]).encode())
        conn.send_bytes(answer.body)
    except Exception:  # the parent gave up waiting, or no memory left to send
        pass
    finally:
        conn.close()
        os._exit(0)


class QueryRunner:
    """Runs each query in a forked child with a deadline; a child past it is killed (SIGKILL).

    Every wait (a per-client slot, a query slot, the parse lock, the answer) counts against the
    one deadline of the request; the parent reads at most `max_bytes` of an answer.
    """

    def __init__(
        self,
        graph: Graph,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_memory_mb: int = DEFAULT_MAX_MEMORY_MB,
        max_client_queries: int = DEFAULT_MAX_CLIENT_QUERIES,
    ) -> None:
        from .serve_guard import ClientLimiter

        self.graph = graph
        self.timeout = timeout
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.max_memory_mb = max_memory_mb
        self.clients = ClientLimiter(max_client_queries)
        self._context = multiprocessing.get_context("fork")
        # at most this many queries at once: each one is a process on its own core
        self._slots = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))

    def run(self, query: str, accept: str | None, client: str = "") -> Answer:
        if len(query.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
            return Answer.error(413, f"the query is longer than {MAX_QUERY_BYTES} bytes; send a shorter query")
        if not query.strip():
            return Answer.error(400, "empty query; send a SPARQL query in the query parameter")
        started = time.monotonic()

        def left() -> float:
            return max(0.0, self.timeout - (time.monotonic() - started))

        if not self.clients.acquire(client, self.timeout):
            return Answer.error(
                429,
                f"this client already runs {self.clients.limit} queries (the server's --max-client-queries); "
                "wait for them to finish",
            )
        try:
            if not self._slots.acquire(timeout=left()):
                return Answer.error(
                    503, f"the server is busy with other queries; try again (timeout {self.timeout:g} s)"
                )
            try:
                return self._fork(query, accept, left)
            finally:
                self._slots.release()
        finally:
            self.clients.release(client)

    def _fork(self, query: str, accept: str | None, left: Any) -> Answer:
        receiver, sender = self._context.Pipe(duplex=False)
        limits = (self.max_rows, self.max_bytes, self.max_memory_mb)
        child = self._context.Process(target=_child, args=(self.graph, query, accept, limits, sender), daemon=True)
        if not PARSE_LOCK.acquire(timeout=left()):
            receiver.close()
            sender.close()
            return self._stopped()
        try:
            child.start()
        finally:
            PARSE_LOCK.release()
        sender.close()
        try:
            if not receiver.poll(left()):
                return self._stopped()
            try:
                status, media, size = json.loads(receiver.recv_bytes(4096))
                if size > self.max_bytes:
                    return _too_large(size, self.max_bytes)
                if not receiver.poll(left()):
                    return self._stopped()
                # recv_bytes reads the length first and refuses, unread, a message over maxlength
                return Answer(int(status), str(media), receiver.recv_bytes(self.max_bytes + 1))
            except OSError:
                return _too_large(None, self.max_bytes)
            except (EOFError, ValueError, TypeError):
                return Answer.error(
                    400,
                    "SPARQL evaluation failed: the query process ended without an answer "
                    "(most often: it needed more memory than the server's --max-memory)",
                )
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join()

    def _stopped(self) -> Answer:
        return Answer.error(
            503,
            f"the query was stopped after {self.timeout:g} s (the server's --timeout); narrow it or add a LIMIT",
        )


# ----------------------------------------------------------------------------- loaded state


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
    fixed: Any = None  # serve_cache.FixedAnswers: compare and the named queries, computed at start
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
) -> Service:
    """Read the build (graph, index, build.json) and the named queries; any problem is one line."""
    from .build import reading
    from .corpus import load_gazetteer
    from .search import Searcher
    from .sparql import list_queries, load_graph

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
    # one reader scope for graph, index and build.json: a build committing meanwhile cannot give
    # the server a graph of one build and the index or document list of the next
    with reading(build_dir):
        graph = load_graph(build_dir)
        index_dir = build_dir / INDEX_DIR
        searcher = Searcher(index_dir)  # the model loads in a background thread meanwhile
        manifest_path = build_dir / BUILD_MANIFEST
        if not manifest_path.is_file():
            raise BuildMissingError(f"{manifest_path} is missing; run `klimatgraf build` first")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            documents = [
                {
                    "municipality": d["municipality"],
                    "kommunkod": d["kommunkod"],
                    "document": d["doc_id"],
                    "file": d["file"],
                    "type": d["type"],
                }
                for d in manifest["documents_detail"]
            ]
        except (OSError, ValueError, KeyError, TypeError):
            raise BuildCorruptError(f"{manifest_path} is unreadable; run `klimatgraf build` to rebuild it") from None
    service = Service(
        build_dir=build_dir,
        graph=graph,
        searcher=searcher,
        runner=QueryRunner(graph, timeout, max_rows, max_bytes, max_memory_mb, max_client_queries),
        documents=documents,
        paragraphs=_paragraphs(graph),
        queries={q.name: {"name": q.name, "description": q.description, "query": q.text} for q in list_queries()},
        gazetteer=load_gazetteer(data_dir),
    )
    service.network = _network_json(graph)
    _prime(graph)
    service.fixed = fixed_answers(service)
    threading.Thread(target=_warm_search, args=(service,), daemon=True, name="warm-search").start()
    return service


def fixed_answers(service: Service) -> Any:
    """Compare and the named queries, answered once at start (serve_cache) over the latest edition of
    each municipality, as the CLI reads them (issue 14)."""
    from . import serve_cache
    from .editions import latest_graph

    queries = {n: q["query"] for n, q in service.queries.items()}
    return serve_cache.compute(latest_graph(service.graph), queries, service.gazetteer)


def _prime(graph: Graph) -> None:
    """Import rdflib's parser, evaluator and serialisers now, so query children never import."""
    from . import sparql

    probe = sparql.run(graph, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1")
    if probe.graph is not None:
        for fmt in set(RDFLIB_FORMAT.values()):
            probe.graph.serialize(format=fmt)
    sparql.to_json(sparql.run(graph, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"))
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

    from .namespaces import KG

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


def _network_json(graph: Graph) -> dict[str, Any]:
    from .export import COLOURS, _size, network

    net = network(graph)
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


def suggestions(name: str, known: list[str], n: int = 5) -> list[str]:
    """Close matches by difflib (case-insensitive), for 404 answers."""
    folded = {k.casefold(): k for k in known}
    return [folded[c] for c in difflib.get_close_matches(name.casefold(), list(folded), n=n, cutoff=0.5)]


# ----------------------------------------------------------------------------- the application


def create_app(service: Service, allowed_hosts: list[str] | None = None) -> FastAPI:
    """The FastAPI application over a loaded `Service` (routes documented in the README).

    `allowed_hosts`: the Host names answered (None: any; `klimatgraf serve` always passes its
    --allowed-host list). /docs and /redoc are off: they load scripts and fonts from outside.
    """
    from . import __version__
    from .diff import diff as run_diff
    from .editions import municipality_editions
    from .serve_guard import GuardMiddleware

    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="klimatgraf",
        version=__version__,
        description="Swedish municipal climate contracts: SPARQL over the knowledge graph, hybrid search, "
        "comparison and the network. Read-only.",
    )

    app.add_middleware(GuardMiddleware, allowed_hosts=allowed_hosts)

    @app.exception_handler(Exception)
    async def _fault(request: Request, exc: Exception) -> JSONResponse:
        import logging

        from .serve_guard import SECURITY_HEADERS

        logging.getLogger("klimatgraf.serve").error("internal error on %s", request.url.path, exc_info=exc)
        response = error(500, "internal error; see the server log")  # sent outside the middleware: add its headers
        response.headers.update({k.decode(): v.decode() for k, v in SECURITY_HEADERS})
        return response

    def error(status: int, message: str, suggestions_: list[str] | None = None) -> JSONResponse:
        body: dict[str, Any] = {"error": " ".join(message.split())}
        if suggestions_ is not None:
            body["suggestions"] = suggestions_
        return JSONResponse(body, status_code=status)

    @app.exception_handler(HTTPError)
    async def _http_error(request: Request, exc: HTTPError) -> JSONResponse:
        return error(exc.status, str(exc), exc.suggestions)

    @app.exception_handler(KlimatgrafError)
    async def _user_error(request: Request, exc: KlimatgrafError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return error(400, f"bad parameter {where}: {first.get('msg', 'invalid value')}")

    @app.exception_handler(StarletteHTTPException)
    async def _starlette(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such route {request.url.path}; see /openapi.json for the routes"
        return error(exc.status_code, message)

    def answer(result: Answer) -> Response:
        return Response(result.body, status_code=result.status, media_type=result.media_type)

    # ------------------------------------------------------------------ page and health

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        page = WEB_DIR / "index.html"
        if not page.is_file():
            return PlainTextResponse(f"the web page is not installed ({page} is missing)\n", status_code=503)
        return FileResponse(page, media_type="text/html")

    app.mount("/static", StaticFiles(directory=WEB_DIR, check_dir=False), name="static")

    @app.get("/healthz", summary="Liveness and what is loaded")
    def healthz() -> dict[str, Any]:
        manifest = service.searcher.index.manifest
        return {
            "status": "ok",
            "triples": len(service.graph),
            "documents": len(service.documents),
            "passages": manifest.passages,
            "model": manifest.model_id,
            "model_ready": service.model_ready,
        }

    # ------------------------------------------------------------------ SPARQL protocol

    def protocol(query: str | None, update: str | None, accept: str | None, client: str = "") -> Response:
        if update is not None:
            raise HTTPError(403, "SPARQL Update is refused: this endpoint is read-only (rebuild the graph instead)")
        if query is None:
            raise HTTPError(
                400, "missing query; send ?query=… (GET), a form field query=… or an application/sparql-query body"
            )
        return answer(service.runner.run(query, accept, client))

    @app.get("/sparql", summary="SPARQL 1.1 Protocol query (read-only)")
    def sparql_get(request: Request, query: str | None = None, update: str | None = None) -> Response:
        return protocol(query, update, request.headers.get("accept"), _client(request))

    @app.post("/sparql", summary="SPARQL 1.1 Protocol query by POST (form or application/sparql-query)")
    async def sparql_post(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if len(body) > MAX_QUERY_BYTES * 4:
            raise HTTPError(413, f"the request body is longer than {MAX_QUERY_BYTES * 4} bytes")
        query: str | None
        update: str | None = None
        if media == "application/sparql-update":
            update = body.decode("utf-8", "replace")
            query = None
        elif media == "application/sparql-query":
            query = body.decode("utf-8", "replace")
        elif media == "application/x-www-form-urlencoded":
            from urllib.parse import parse_qs

            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            query = form["query"][0] if "query" in form else None
            update = form["update"][0] if "update" in form else None
        else:
            raise HTTPError(
                415,
                f"unsupported content type {media or '(none)'}; POST application/x-www-form-urlencoded "
                "(query=…) or application/sparql-query",
            )
        if query is None and update is None:
            query = request.query_params.get("query")
        return await run_in_threadpool(protocol, query, update, request.headers.get("accept"), _client(request))

    # ------------------------------------------------------------------ named queries

    @app.get("/api/query", summary="The named queries (queries/*.rq)")
    def query_list() -> list[dict[str, str]]:
        return list(service.queries.values())

    @app.get("/api/query/{name}", summary="Run a named query; SPARQL results JSON, CSV or TSV")
    def query_named(name: str, request: Request) -> Response:
        named = service.queries.get(name)
        if named is None:
            known = sorted(service.queries)
            raise HTTPError(404, f"unknown query {name!r}; see /api/query", suggestions(name, known) or known)
        fixed = service.fixed.results[name]  # computed at start (serve_cache)
        if isinstance(fixed, str):
            raise HTTPError(400, fixed)
        accept = request.headers.get("accept")
        runner = service.runner
        return answer(
            service.fixed.rendered(name, accept, lambda r: render(r, accept, runner.max_rows, runner.max_bytes))
        )

    # ------------------------------------------------------------------ search

    @app.get("/api/search", summary="Hybrid search; the JSON of `klimatgraf search --format json`")
    def search(
        q: str = "",
        k: int = 10,
        group: str = "paragraph",
        m: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's way to declare a repeated parameter
        type: str | None = None,
        retriever: str = "hybrid",
        all: bool = False,
    ) -> Response:
        if not q.strip():
            raise HTTPError(400, "empty query; pass q=, e.g. /api/search?q=vem+arbetar+med+matsvinn")
        if len(q) > MAX_SEARCH_CHARS:
            raise HTTPError(400, f"the query is {len(q)} characters; ask in at most {MAX_SEARCH_CHARS}")
        if not 1 <= k <= 200:
            raise HTTPError(400, f"k must be between 1 and 200, not {k}")
        if group not in ("paragraph", "municipality"):
            raise HTTPError(400, f"group must be paragraph or municipality, not {group!r}")
        if type is not None and type not in ("klimatkontrakt", "avsiktsforklaring"):
            raise HTTPError(400, f"type must be klimatkontrakt or avsiktsforklaring, not {type!r}")
        if retriever not in ("hybrid", "bm25", "dense"):
            raise HTTPError(400, f"retriever must be hybrid, bm25 or dense, not {retriever!r}")
        towns = m or None
        if towns:
            known = sorted({d["municipality"] for d in service.documents})
            for name in towns:
                try:
                    service.searcher._resolve_municipalities([name])
                except InputError as exc:
                    raise HTTPError(404, str(exc), suggestions(name, known) or known) from None
        with service.search_lock:
            return _search(q, k, group, towns, type, retriever, all)

    def _search(
        q: str, k: int, group: str, towns: list[str] | None, type: str | None, retriever: str, full: bool = False
    ) -> Response:
        if group == "municipality":  # only municipalities past the cut-off ([] = nobody); all=true: every one
            groups = service.searcher.search_grouped(
                q,
                k=k,
                municipalities=towns,
                doc_type=type,
                retriever=retriever,  # type: ignore[arg-type]
                full_ranking=full,
            )
            data: list[dict[str, Any]] = [g.to_dict() for g in groups]
        else:
            hits = service.searcher.search(q, k=k, municipalities=towns, doc_type=type, retriever=retriever)  # type: ignore[arg-type]
            data = [h.to_dict() for h in hits]
        return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")

    # ------------------------------------------------------------------ browse

    @app.get("/api/municipalities", summary="One row per built document (build.json)")
    def municipalities() -> list[dict[str, Any]]:
        return service.documents

    @app.get("/api/documents/{doc_id}", summary="A document's paragraphs in reading order")
    def document(doc_id: str) -> dict[str, Any]:
        info = next((d for d in service.documents if d["document"] == doc_id), None)
        if info is None:
            known = [d["document"] for d in service.documents]
            raise HTTPError(
                404, f"unknown document {doc_id!r}; see /api/municipalities", suggestions(doc_id, known) or known
            )
        return {**info, "paragraphs": service.paragraphs.get(doc_id, [])}

    @app.get("/api/compare", summary="Municipalities side by side; `klimatgraf compare --format json`")
    def compare(m: list[str] = Query(default=[]), all: bool = False) -> dict[str, Any]:  # noqa: B008
        if not m and not all:
            raise HTTPError(400, "name at least one municipality (?m=NAME&m=NAME) or pass all=true")
        known = sorted({d["municipality"] for d in service.documents})
        for name in m if not all else []:
            try:
                service.gazetteer.resolve(name)
            except InputError as exc:
                raise HTTPError(404, str(exc), suggestions(name, known) or known) from None
        try:
            result = service.fixed.compare(None if all else m, service.gazetteer)  # computed at start
        except InputError as exc:
            raise HTTPError(404, str(exc), known) from None
        return {"columns": result.columns, "rows": result.rows}

    @app.get("/api/network", summary="Nodes and edges of the network (as exported for Gephi)")
    def network_() -> dict[str, Any]:
        return service.network

    # ------------------------------------------------------------------ editions (issue 14; see editions.py, diff.py)

    @app.get("/api/history/{name}", summary="A municipality's editions; `klimatgraf history NAME --format json`")
    def history(name: str) -> list[dict[str, Any]]:
        return [e.to_dict() for e in _editions_call(municipality_editions, service.graph, name, service.gazetteer)]

    @app.get("/api/diff/{name}", summary="What changed between two editions; `klimatgraf diff NAME --format json`")
    def diff_(name: str, from_: str | None = Query(default=None, alias="from"), to: str | None = None) -> Any:
        return _editions_call(run_diff, service.graph, name, service.gazetteer, from_, to).to_dict()

    def _editions_call(function: Any, *args: Any) -> Any:
        """Run an editions query under the parse lock, waiting no longer than a query may run."""
        if not PARSE_LOCK.acquire(timeout=service.runner.timeout):
            raise HTTPError(503, f"the server is busy; no answer within {service.runner.timeout:g} s, try again")
        try:
            return function(*args)
        except InputError as exc:
            known = sorted({d["municipality"] for d in service.documents})
            raise HTTPError(404, str(exc), suggestions(args[1], known) or known) from None
        finally:
            PARSE_LOCK.release()

    return app


def _client(request: Request) -> str:
    """The client's address (behind a reverse proxy: the proxy's, see docs/security.md)."""
    return request.client.host if request.client else ""
