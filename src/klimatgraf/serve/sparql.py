"""The SPARQL 1.1 Protocol endpoint, read-only: `GET /sparql?query=…` and `POST /sparql` (form or
`application/sparql-query`). Each query runs in a child process (runner.py); an update is 403.

Admission is the SPARQL queue's (queues.py, issue 24): a request waits for a slot on the event
loop, holding no thread, and is answered 429 or 503 with Retry-After when its wait ends; the
query then runs on the queue's own threads, never on those of the other routes."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .answer import UPDATE_REFUSED
from .deps import HTTPError, ServiceDep, answer_response, client_of
from .queues import Refused
from .service import Service

router = APIRouter()


async def protocol(
    service: Service, query: str | None, update: str | None, accept: str | None, client: str = ""
) -> Response:
    if update is not None:
        raise HTTPError(403, UPDATE_REFUSED)
    if query is None:
        raise HTTPError(
            400, "missing query; send ?query=… (GET), a form field query=… or an application/sparql-query body"
        )
    runner, queue = service.runner, service.sparql_queue
    assert queue is not None
    refused = runner.refusal(query)
    if refused is not None:
        return answer_response(refused)
    started = time.monotonic()
    try:
        ticket = await queue.acquire(client, runner.timeout)
    except Refused as refusal:
        raise HTTPError.refused(refusal) from None
    try:
        loop = asyncio.get_running_loop()
        deadline = started + runner.timeout  # the wait counts against the query's one deadline
        answer = await loop.run_in_executor(service.pool("sparql"), runner.run, query, accept, deadline)
    finally:
        queue.release(ticket)
    return answer_response(answer)


@router.get("/sparql", summary="SPARQL 1.1 Protocol query (read-only)")
async def sparql_get(
    service: ServiceDep, request: Request, query: str | None = None, update: str | None = None
) -> Response:
    return await protocol(service, query, update, request.headers.get("accept"), client_of(request))


_POST_BODY = {  # what the OpenAPI description says a POST carries (the route reads the body itself)
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": {"query": {"type": "string"}, "update": {"type": "string"}}}
            },
            "application/sparql-query": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/sparql", summary="SPARQL 1.1 Protocol query by POST (form or application/sparql-query)", openapi_extra=_POST_BODY
)
async def sparql_post(service: ServiceDep, request: Request) -> Response:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()  # read already, under --max-body and --request-timeout (guard.py)
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
    return await protocol(service, query, update, request.headers.get("accept"), client_of(request))
