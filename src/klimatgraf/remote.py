"""Hand the graph to a shared triple store and query it there, with the W3C SPARQL 1.1 protocols.

A team keeps one graph in a real store (Virtuoso, Fuseki, …) instead of everyone's own build.
`push` uploads with the Graph Store HTTP Protocol and `query` sends the SPARQL 1.1 Protocol;
only the standard library speaks HTTP here (urllib handles both basic and digest auth), so the
runtime needs no extra dependency.

Why upload-then-MOVE instead of one PUT: Virtuoso 7.2's Graph Store PUT clears the graph first
and loads as it parses, so an upload that fails half way leaves half a graph (seen in testing).
We PUT into a fresh temporary graph, check its triple count, and only then swap it into place
with one SPARQL Update `MOVE`; a failed upload never touches the team's graph.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from email.message import Message
from typing import TYPE_CHECKING, Any

from .errors import InputError, QueryError, StoreError
from .sparql import Result

if TYPE_CHECKING:
    from rdflib.term import Node

DEFAULT_GRAPH = "https://w3id.org/klimatgraf/graph"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
TIMEOUT_S = 120.0
IRI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
UPDATE_REFUSED = "SPARQL Update is not allowed here; use `klimatgraf push` to change the store's graph"


@dataclass(frozen=True)
class Store:
    """Where a team's store answers: the SPARQL query endpoint and, for pushing, two more URLs."""

    endpoint: str
    graph_store: str | None = None  # SPARQL 1.1 Graph Store HTTP Protocol endpoint
    update: str | None = None  # SPARQL 1.1 Update endpoint
    user: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class PushSummary:
    graph: str
    triples: int
    previous: int  # triples the graph held before the push
    seconds: float


def connect(
    endpoint: str,
    *,
    graph_store: str | None = None,
    update: str | None = None,
    user: str | None = None,
    password: str | None = None,
) -> Store:
    """Check the URLs and fill in Virtuoso's conventions (…/sparql → …/sparql-graph-crud-auth, …/sparql-auth)."""
    _check_url(endpoint, "--endpoint")
    if graph_store is None or update is None:
        base = endpoint.split("?", 1)[0].rstrip("/")
        if base.endswith("/sparql"):
            graph_store = graph_store or base + "-graph-crud-auth"
            update = update or base + "-auth"
    if graph_store is not None:
        _check_url(graph_store, "--graph-store")
    if update is not None:
        _check_url(update, "--update-endpoint")
    return Store(endpoint, graph_store, update, user, password)


def check_graph_iri(graph: str) -> str:
    if not IRI_RE.match(graph):
        raise InputError(f"--graph {graph!r} is not an absolute IRI; use e.g. {DEFAULT_GRAPH}")
    return graph


def _check_url(url: str, option: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{option} {url!r} is not an http(s) URL; use e.g. http://localhost:8890/sparql")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InputError(f"{option} {url!r} has an invalid port") from None


# ----------------------------------------------------------------------------- push


def push(store: Store, graph: str, ntriples: bytes, triples: int) -> PushSummary:
    """Replace `graph` in the store by `ntriples` (holding `triples` triples) and check the count there."""
    check_graph_iri(graph)
    if store.graph_store is None or store.update is None:
        raise InputError(
            f"cannot derive the Graph Store and Update URLs from {store.endpoint}; pass --graph-store and --update-endpoint"
        )
    started = time.monotonic()
    previous = count_triples(store, graph)
    temporary = f"urn:klimatgraf:upload:{uuid.uuid4().hex}"
    separator = "&" if "?" in store.graph_store else "?"
    target = store.graph_store + separator + urllib.parse.urlencode({"graph": temporary})
    try:
        _request(store, target, ntriples, "application/n-triples", "*/*", method="PUT")
        uploaded = count_triples(store, temporary)
        if uploaded != triples:
            raise StoreError(
                f"the store kept {uploaded} of {triples} uploaded triples; {graph} is unchanged (check the store's log)"
            )
        _update(store, f"MOVE <{temporary}> TO <{graph}>")
    except BaseException:
        with contextlib.suppress(StoreError):  # the original error is the one worth reporting
            _update(store, f"DROP SILENT GRAPH <{temporary}>")
        raise
    stored = count_triples(store, graph)
    if stored != triples:
        raise StoreError(f"after the push {graph} holds {stored} triples, expected {triples}; push again")
    return PushSummary(graph, stored, previous, time.monotonic() - started)


def count_triples(store: Store, graph: str) -> int:
    """The number of triples in one named graph, asked with a SPARQL query."""
    result = query(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    try:
        return int(str(result.rows[0][0]))
    except (IndexError, ValueError, TypeError):
        raise StoreError(f"{store.endpoint} gave no triple count for {graph}; is it a SPARQL endpoint?") from None


def _update(store: Store, update: str) -> None:
    assert store.update is not None
    form = urllib.parse.urlencode({"update": update}).encode()
    _request(store, store.update, form, "application/x-www-form-urlencoded", "*/*")


# ----------------------------------------------------------------------------- query


def query(store: Store, text: str, graph: str | None = None) -> Result:
    """Run a read-only query on the store (SPARQL 1.1 Protocol, POST form) as a sparql.Result.

    The query is parsed locally first, so syntax errors read the same as for the local graph and
    only standard SPARQL goes out. `graph` becomes the default graph (`default-graph-uri`).
    """
    kind = _query_kind(text)
    form = {"query": text}
    if graph is not None:
        form["default-graph-uri"] = check_graph_iri(graph)
    body = urllib.parse.urlencode(form).encode()
    content_type = "application/x-www-form-urlencoded"
    if kind == "CONSTRUCT":
        raw, headers = _request(store, store.endpoint, body, content_type, "application/n-triples, text/turtle;q=0.9")
        return Result("CONSTRUCT", [], [], graph=_parse_graph(raw, headers.get("Content-Type", ""), store.endpoint))
    raw, headers = _request(store, store.endpoint, body, content_type, "application/sparql-results+json")
    try:
        document = json.loads(raw)
    except ValueError:
        raise StoreError(
            f"{store.endpoint} did not answer with SPARQL JSON results; is it a SPARQL endpoint?"
        ) from None
    result = parse_json_results(document, store.endpoint)
    _check_complete(result, headers.get("X-SPARQL-MaxRows"), store.endpoint)
    return result


def _check_complete(result: Result, max_rows: str | None, source: str) -> None:
    """Virtuoso cuts an answer at ResultSetMaxRows without an error, only a header: refuse a cut answer."""
    if max_rows is not None and max_rows.strip().isdigit() and len(result.rows) >= int(max_rows):
        raise StoreError(
            f"{source} cut the answer at {int(max_rows)} rows (Virtuoso's ResultSetMaxRows); raise it in the "
            "[SPARQL] section of virtuoso.ini, or narrow the query"
        )


def _query_kind(text: str) -> str:
    from rdflib.plugins.sparql import prepareQuery

    from .sparql import _syntax_message
    from .sparql_guard import is_update

    # the one update detector (sparql_guard, as the CLI and the server use), before any request
    if is_update(text):
        raise QueryError(UPDATE_REFUSED)
    try:
        prepared = prepareQuery(text)
    except Exception as exc:  # pyparsing.ParseException and friends
        raise QueryError(_syntax_message(text, exc)) from None
    name = prepared.algebra.name
    return {"SelectQuery": "SELECT", "AskQuery": "ASK"}.get(name, "CONSTRUCT")


def parse_json_results(document: Any, source: str) -> Result:
    """W3C SPARQL 1.1 Query Results JSON → Result, with the store's literal quirks normalised."""
    if not isinstance(document, dict) or ("boolean" not in document and "results" not in document):
        raise StoreError(f"{source} answered JSON that is not a SPARQL result")
    if "boolean" in document:
        return Result("ASK", [], [], boolean=bool(document["boolean"]))
    variables = [str(v) for v in document.get("head", {}).get("vars", [])]
    rows = []
    for binding in document["results"].get("bindings", []):
        rows.append([_term(binding[v]) if v in binding else None for v in variables])
    return Result("SELECT", variables, rows)


def _term(value: dict[str, str]) -> Node:
    """One JSON term. Normalised so rows equal the local ones: the old `typed-literal` type,
    xsd:string on simple literals (RDF 1.1: the same literal), and rdf:langString."""
    from rdflib import BNode, Literal, URIRef

    kind = value.get("type")
    lexical = value.get("value", "")
    if kind == "uri":
        return URIRef(lexical)
    if kind == "bnode":
        return BNode(lexical)
    language = value.get("xml:lang")
    if language:
        return Literal(lexical, lang=language)
    datatype = value.get("datatype")
    if datatype in (None, XSD + "string", RDF_LANGSTRING):
        return Literal(lexical)
    if datatype == XSD + "decimal":
        lexical = canonical_decimal(lexical)
    return Literal(lexical, datatype=URIRef(datatype))


def canonical_decimal(lexical: str) -> str:
    """The XSD canonical decimal form the build writes ("4.0", "2.334"); Virtuoso answers "4"."""
    try:
        value = Decimal(lexical.strip())
    except InvalidOperation:
        return lexical
    if not value.is_finite():
        return lexical
    if value.is_zero():
        return "0.0"
    text = format(value, "f")
    if "." not in text:
        return text + ".0"
    text = text.rstrip("0")
    return text + "0" if text.endswith(".") else text


def _parse_graph(raw: bytes, media: str, source: str) -> Any:
    """A CONSTRUCT answer as an rdflib Graph, decimals in the build's canonical form (as for rows)."""
    from rdflib import Graph, Literal, URIRef

    fmt = "nt" if "n-triples" in media or media.startswith("text/plain") else "turtle"
    try:
        parsed = Graph().parse(data=raw.decode("utf-8"), format=fmt)
    except Exception as exc:
        raise StoreError(f"{source} answered an unreadable graph ({type(exc).__name__})") from None
    decimal = URIRef(XSD + "decimal")
    graph = Graph()
    for prefix, namespace in parsed.namespaces():
        graph.bind(prefix, namespace)
    for s, p, o in parsed:
        if isinstance(o, Literal) and o.datatype == decimal:
            o = Literal(canonical_decimal(str(o)), datatype=decimal)
        graph.add((s, p, o))
    return graph


# ----------------------------------------------------------------------------- HTTP


def _request(
    store: Store, url: str, body: bytes, content_type: str, accept: str, method: str = "POST"
) -> tuple[bytes, Message]:
    """One HTTP request with the store's credentials (basic or digest, as the server asks)."""
    handlers: list[urllib.request.BaseHandler] = []
    if store.user is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, store.user, store.password or "")
        handlers += [urllib.request.HTTPDigestAuthHandler(passwords), urllib.request.HTTPBasicAuthHandler(passwords)]
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(
        url, data=body, method=method, headers={"Content-Type": content_type, "Accept": accept}
    )
    try:
        _authorize(store, request)
        with opener.open(request, timeout=TIMEOUT_S) as response:
            return response.read(), response.headers
    except urllib.error.HTTPError as exc:
        raise _http_error(store, url, exc) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ConnectionRefusedError):
            raise StoreError(f"cannot reach {_origin(url)}: connection refused; is the store running there?") from None
        if isinstance(reason, TimeoutError):
            raise StoreError(_timeout(url)) from None
        if isinstance(reason, socket.gaierror):
            raise StoreError(f"cannot reach {_origin(url)}: unknown host; check the URL") from None
        raise StoreError(f"cannot reach {_origin(url)}: {reason}") from None
    except TimeoutError:
        raise StoreError(_timeout(url)) from None
    except (ConnectionError, http.client.HTTPException) as exc:
        raise StoreError(f"{_origin(url)} broke the connection ({type(exc).__name__}); try again") from None
    except ValueError as exc:  # urllib's own URL checks
        raise InputError(f"{url!r} is not a usable URL ({exc})") from None


def _authorize(store: Store, request: urllib.request.Request) -> None:
    """Answer the server's challenge before the body goes out, and check the credentials on the way.

    urllib's auth handlers send the request, read the 401 and send it again; with a large upload
    Virtuoso answers 401 and closes the connection while the body is still going out (a broken
    pipe, no status to report). So bodiless GETs fetch the challenge and try the credentials first,
    and the real request carries a ready answer.
    """
    challenges = _challenges(request.full_url, None)
    if not challenges:
        return  # no challenge: the opener's handlers still answer one on the real request
    if store.user is None:
        raise StoreError(
            f"{_where(request.full_url)} asks for credentials (HTTP 401); pass --user and --password-env VAR"
        )
    answer = _answer(store, challenges)
    if answer is None:
        raise StoreError(f"{_where(request.full_url)} asks for an authentication scheme other than basic or digest")
    if _challenges(request.full_url, answer(urllib.request.Request(request.full_url, method="GET"))):
        raise StoreError(
            f"{_where(request.full_url)} refused user {store.user!r} (HTTP 401); check the user name and password"
        )
    header = answer(request)
    if header:
        request.add_unredirected_header("Authorization", header)


def _challenges(url: str, authorization: str | None) -> dict[str, str]:
    """A bodiless GET: {} when it is let through, else the 401's challenges by scheme."""
    probe = urllib.request.Request(url, method="GET")
    if authorization:
        probe.add_unredirected_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(probe, timeout=TIMEOUT_S):
            return {}
    except urllib.error.HTTPError as exc:
        if exc.code != 401:
            return {}
        found = exc.headers.get_all("WWW-Authenticate") or []
    return {c.split(" ", 1)[0].lower(): c.partition(" ")[2] for c in found} or {"": ""}


def _answer(store: Store, challenges: dict[str, str]) -> Any:
    """A function from a request to its Authorization header for the offered scheme (digest preferred)."""
    user, password = store.user or "", store.password or ""
    if "digest" in challenges:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        handler = urllib.request.HTTPDigestAuthHandler(passwords)
        fields = urllib.request.parse_keqv_list([f for f in urllib.request.parse_http_list(challenges["digest"]) if f])

        def digest(request: urllib.request.Request) -> str | None:
            passwords.add_password(None, request.full_url, user, password)
            value = handler.get_authorization(request, fields)
            return f"Digest {value}" if value else None

        return digest
    if "basic" in challenges:
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return lambda request: f"Basic {token}"
    return None


def _http_error(store: Store, url: str, exc: urllib.error.HTTPError) -> StoreError:
    if exc.code in (401, 403):
        if store.user is None:
            return StoreError(
                f"{_where(url)} asks for credentials (HTTP {exc.code}); pass --user and --password-env VAR"
            )
        return StoreError(
            f"{_where(url)} refused user {store.user!r} (HTTP {exc.code}); check the user name and password"
        )
    if exc.code == 404:
        return StoreError(f"{_where(url)} does not exist (HTTP 404); check the store's URL")
    try:
        detail = exc.read().decode("utf-8", "replace")
    except Exception:
        detail = ""
    detail = re.sub(r"<[^>]+>", " ", detail)
    detail = " ".join(detail.split())[:300] or str(exc.reason)
    return StoreError(f"{_where(url)} failed with HTTP {exc.code}: {detail}")


def _timeout(url: str) -> str:
    return f"{_origin(url)} did not answer within {TIMEOUT_S:.0f} s; is the store overloaded?"


def _where(url: str) -> str:
    """The URL without its query string (which may hold a whole query or a temporary graph)."""
    return url.split("?", 1)[0]


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
