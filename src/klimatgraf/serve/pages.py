"""The web page (`/`, its files under `/static`), `/healthz` (liveness) and `/readyz` (readiness)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles

from ..config import PACKAGE_DIR
from .deps import ServiceDep
from .limits import RETRY_AFTER_BUSY
from .loading import LoadingGraph

WEB_DIR = PACKAGE_DIR / "web"

router = APIRouter()


@router.get("/", include_in_schema=False)
def index() -> Response:
    page = WEB_DIR / "index.html"
    if not page.is_file():
        return PlainTextResponse(f"the web page is not installed ({page} is missing)\n", status_code=503)
    return FileResponse(page, media_type="text/html")


@router.get("/healthz", summary="Liveness and what is loaded")
async def healthz(service: ServiceDep) -> dict[str, Any]:
    """Answered on the event loop from what start computed: no thread, no queue, no lock, and the
    connection limit lets it through (issue 24: it once waited behind searches and queries)."""
    return {**service.health, "model_ready": service.model_ready, "sparql_ready": service.sparql_ready}


@router.get(
    "/readyz",
    summary="Readiness: 200 when a request would be taken now, 503 (with Retry-After) when saturated",
    responses={503: {"description": "saturated: the body says what is full"}},
)
async def readyz(service: ServiceDep, request: Request) -> Response:
    """What is busy: the connections, the SPARQL and search queues, the model. Not ready (503) when
    the model or the SPARQL graph still loads, the connections are past --max-connections, or a
    queue is full."""
    gate = getattr(request.app.state, "gate", None)
    queues = {"sparql": service.sparql_queue, "search": service.search_queue}
    reasons = [f"the {name} queue is full" for name, queue in queues.items() if queue is not None and queue.saturated]
    if gate is not None and gate.saturated:
        reasons.insert(0, f"{gate.open} connections are open, the most allowed is {gate.limit}")
    if not service.model_ready:
        reasons.append("the search model is loading")
    if not service.sparql_ready:
        failed = service.graph.failed if isinstance(service.graph, LoadingGraph) else None
        reasons.append(f"the graph for SPARQL queries could not be read: {failed}" if failed else
                       "the graph for SPARQL queries is loading")  # fmt: skip
    body = {
        "ready": not reasons,
        "reasons": reasons,
        "connections": {"open": gate.open, "max": gate.limit} if gate is not None else None,
        **{name: queue.stats() for name, queue in queues.items() if queue is not None},
        "model_ready": service.model_ready,
        "sparql_ready": service.sparql_ready,
    }
    headers = {"Retry-After": str(RETRY_AFTER_BUSY)} if reasons else None
    return JSONResponse(body, status_code=503 if reasons else 200, headers=headers)


def mount_static(app: FastAPI) -> None:
    """The page's scripts and styles (files only: no listing, nothing outside WEB_DIR)."""
    app.mount("/static", StaticFiles(directory=WEB_DIR, check_dir=False), name="static")
