"""`create_app`: the FastAPI application over a loaded `Service`: the guard middleware, the error
answers (one JSON shape, the status each error class carries) and the routers."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import KlimatgrafError
from . import browse, pages, search, sparql, topics
from .deps import error_response
from .guard import SECURITY_HEADERS, ConnectionGate, GuardMiddleware
from .limits import DEFAULT_MAX_BODY, DEFAULT_REQUEST_TIMEOUT
from .service import Service

LOG = logging.getLogger("klimatgraf.serve")


def create_app(
    service: Service,
    allowed_hosts: list[str] | None = None,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    gate: ConnectionGate | None = None,
) -> FastAPI:
    """The FastAPI application over a loaded `Service` (routes documented in the README).

    `allowed_hosts`: the Host names answered (None: any; `klimatgraf serve` always passes its
    --allowed-host list). /docs and /redoc are off: they load scripts and fonts from outside.
    `max_body` and `request_timeout` bound a request's body (GuardMiddleware); `gate` is the
    connection count the protocol keeps (guard.guarded_h11), which /readyz reports.
    Routes reach the service through `deps.get_service` (it is `app.state.service`).
    """
    from .. import __version__

    app = FastAPI(
        docs_url=None,
        redoc_url=None,
        title="klimatgraf",
        version=__version__,
        description="Swedish municipal climate contracts: SPARQL over the knowledge graph, hybrid search, "
        "comparison and the network. Read-only.",
    )
    app.state.service = service
    app.state.gate = gate
    app.add_middleware(GuardMiddleware, allowed_hosts=allowed_hosts, max_body=max_body, request_timeout=request_timeout)
    app.add_exception_handler(Exception, _fault)
    app.add_exception_handler(KlimatgrafError, _klimatgraf_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _starlette)  # type: ignore[arg-type]
    app.include_router(pages.router)
    pages.mount_static(app)
    app.include_router(sparql.router)
    app.include_router(browse.router)
    app.include_router(search.router)
    app.include_router(topics.router)
    return app


async def _fault(request: Request, exc: Exception) -> JSONResponse:
    """A bug of the server: logged, answered without internals."""
    LOG.error("internal error on %s", request.url.path, exc_info=exc)
    response = error_response(500, "internal error; see the server log")
    # sent outside the middleware: add its headers
    response.headers.update({k.decode(): v.decode() for k, v in SECURITY_HEADERS})
    return response


async def _klimatgraf_error(request: Request, exc: KlimatgrafError) -> JSONResponse:
    """Every error of ours, with the status its class carries (errors.py): bad input 400, a missing
    or corrupt build 500, …; the body is its one line (and close matches, where a route gives them)."""
    if exc.http_status >= 500 and getattr(exc, "retry_after", None) is None:  # a busy queue is no fault
        LOG.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
    return error_response(
        exc.http_status, str(exc), getattr(exc, "suggestions", None), getattr(exc, "retry_after", None)
    )


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
    return error_response(400, f"bad parameter {where}: {first.get('msg', 'invalid value')}")


async def _starlette(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such route {request.url.path}; see /openapi.json for the routes"
    return error_response(exc.status_code, message)
