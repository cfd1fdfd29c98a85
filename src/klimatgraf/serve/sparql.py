"""The SPARQL 1.1 Protocol endpoint, read-only: `GET /sparql?query=…` and `POST /sparql` (form or
`application/sparql-query`). Each query runs in a child process (runner.py); an update is 403."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .answer import UPDATE_REFUSED
from .deps import HTTPError, ServiceDep, answer_response, client_of
from .limits import MAX_QUERY_BYTES
from .service import Service

router = APIRouter()


def protocol(service: Service, query: str | None, update: str | None, accept: str | None, client: str = "") -> Response:
    if update is not None:
        raise HTTPError(403, UPDATE_REFUSED)
    if query is None:
        raise HTTPError(
            400, "missing query; send ?query=… (GET), a form field query=… or an application/sparql-query body"
        )
    return answer_response(service.runner.run(query, accept, client))


@router.get("/sparql", summary="SPARQL 1.1 Protocol query (read-only)")
def sparql_get(service: ServiceDep, request: Request, query: str | None = None, update: str | None = None) -> Response:
    return protocol(service, query, update, request.headers.get("accept"), client_of(request))


@router.post("/sparql", summary="SPARQL 1.1 Protocol query by POST (form or application/sparql-query)")
async def sparql_post(service: ServiceDep, request: Request) -> Response:
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
    accept = request.headers.get("accept")
    return await run_in_threadpool(protocol, service, query, update, accept, client_of(request))
