"""A SPARQL query's answer as HTTP: status, media type and body, negotiated and serialised by
`klimatgraf.formats` (the same bytes as the CLI's `--format`). Runs inside the query child."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import KlimatgrafError, QueryError
from ..formats import (
    ASK_TYPES,
    GRAPH_TYPES,
    RDF_MEDIA,
    RESULT_MEDIA,
    SELECT_TYPES,
    content_type,
    negotiate,
    rdf_format,
    result_format,
    serialise_graph,
    serialise_result,
)

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = ["ASK_TYPES", "GRAPH_TYPES", "SELECT_TYPES", "Answer", "evaluate", "negotiate", "render"]

UPDATE_REFUSED = "SPARQL Update is refused: this endpoint is read-only (rebuild the graph instead)"


@dataclass(frozen=True)
class Answer:
    """What a query child sends back: an HTTP status, a media type and the body."""

    status: int
    media_type: str
    body: bytes

    @classmethod
    def error(cls, status: int, message: str) -> Answer:
        return cls(status, "application/json", json.dumps({"error": message}, ensure_ascii=False).encode())


def _not_acceptable(accept: str | None, offered: tuple[str, ...], kind: str) -> Answer:
    return Answer.error(406, f"cannot answer a {kind} query as {accept!r}; ask for one of {', '.join(offered)}")


def evaluate(graph: Graph, query: str, accept: str | None, max_rows: int, max_bytes: int = 0) -> Answer:
    """Run one query and serialise it as the client asked (runs inside the child process)."""
    from .. import sparql, sparql_guard

    try:
        result = sparql.run(graph, query)
    except QueryError as exc:
        if str(exc) == sparql_guard.UPDATE_REFUSED:
            return Answer.error(403, UPDATE_REFUSED)
        return Answer.error(exc.http_status, str(exc))
    return render(result, accept, max_rows, max_bytes)


def render(result: Any, accept: str | None, max_rows: int, max_bytes: int = 0) -> Answer:
    """A query's result serialised as the client asked; a fault while serialising is the query's (400)."""
    from .. import sparql_guard

    try:
        answer = _render(result, accept, max_rows)
    except KlimatgrafError as exc:  # e.g. a character SPARQL XML results cannot carry
        return Answer.error(exc.http_status, str(exc))
    except Exception as exc:  # e.g. a lone surrogate cannot be encoded
        return Answer.error(400, sparql_guard.evaluation_message(exc))
    if max_bytes and len(answer.body) > max_bytes:
        return too_large(len(answer.body), max_bytes)
    return answer


def too_large(size: int | None, limit: int) -> Answer:
    what = f"is {size} bytes" if size is not None else "is larger than that"
    return Answer.error(
        413,
        f"the answer {what}, more than the server's limit of {limit} bytes (--max-bytes); "
        "add a LIMIT or select fewer or shorter values",
    )


def _render(result: Any, accept: str | None, max_rows: int) -> Answer:
    if result.kind == "CONSTRUCT":
        assert result.graph is not None
        if len(result.graph) > max_rows:
            return _too_many(len(result.graph), max_rows, "triples")
        media = negotiate(accept, GRAPH_TYPES)
        if media is None:
            return _not_acceptable(accept, GRAPH_TYPES, "CONSTRUCT/DESCRIBE")
        graph_format = rdf_format(media)
        return Answer(200, RDF_MEDIA[graph_format], serialise_graph(result.graph, graph_format))
    ask = result.kind == "ASK"
    if not ask and len(result.rows) > max_rows:
        return _too_many(len(result.rows), max_rows, "rows")
    offered = ASK_TYPES if ask else SELECT_TYPES
    media = negotiate(accept, offered)
    if media is None:
        return _not_acceptable(accept, offered, "ASK" if ask else "SELECT")
    fmt = result_format(media)
    return Answer(200, content_type(RESULT_MEDIA[fmt]), serialise_result(result, fmt).encode())


def _too_many(count: int, limit: int, what: str) -> Answer:
    return Answer.error(
        413, f"the query returned {count} {what}, more than the server's limit of {limit} (--max-rows); add a LIMIT"
    )
