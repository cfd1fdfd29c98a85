"""Reading the build: municipalities, documents, the named queries, compare, the network and the
editions (history, diff; issue 14). Each answers the JSON of the matching `--format json`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..diff import diff as run_diff
from ..editions import municipality_editions
from ..errors import InputError
from .answer import render
from .deps import HTTPError, ServiceDep, answer_response, municipalities_of, suggestions
from .limits import PARSE_LOCK
from .service import Service

router = APIRouter()


# ----------------------------------------------------------------------------- named queries


@router.get("/api/query", summary="The named queries (queries/*.rq)")
def query_list(service: ServiceDep) -> list[dict[str, str]]:
    return list(service.queries.values())


@router.get("/api/query/{name}", summary="Run a named query; SPARQL results JSON, CSV, TSV or XML")
def query_named(service: ServiceDep, name: str, request: Request) -> Response:
    named = service.queries.get(name)
    if named is None:
        known = sorted(service.queries)
        raise HTTPError(404, f"unknown query {name!r}; see /api/query", suggestions(name, known) or known)
    fixed = service.fixed.result(name)  # computed once, at start or now (cache.py)
    if isinstance(fixed, str):
        raise HTTPError(400, fixed)
    accept = request.headers.get("accept")
    runner = service.runner
    return answer_response(
        service.fixed.rendered(name, accept, lambda r: render(r, accept, runner.max_rows, runner.max_bytes))
    )


# ----------------------------------------------------------------------------- the build


@router.get("/api/municipalities", summary="One row per built document (build.json)")
def municipalities(service: ServiceDep) -> list[dict[str, Any]]:
    return service.documents


@router.get("/api/documents/{doc_id}", summary="A document's paragraphs in reading order")
def document(service: ServiceDep, doc_id: str) -> dict[str, Any]:
    info = next((d for d in service.documents if d["document"] == doc_id), None)
    if info is None:
        known = [d["document"] for d in service.documents]
        raise HTTPError(
            404, f"unknown document {doc_id!r}; see /api/municipalities", suggestions(doc_id, known) or known
        )
    return {**info, "paragraphs": service.document_paragraphs(doc_id)}


@router.get("/api/compare", summary="Municipalities side by side; `klimatgraf compare --format json`")
def compare(service: ServiceDep, m: list[str] = Query(default=[]), all: bool = False) -> dict[str, Any]:  # noqa: B008
    if not m and not all:
        raise HTTPError(400, "name at least one municipality (?m=NAME&m=NAME) or pass all=true")
    known = municipalities_of(service)
    for name in m if not all else []:
        try:
            service.gazetteer.resolve(name)
        except InputError as exc:
            raise HTTPError(404, str(exc), suggestions(name, known) or known) from None
    try:
        result = service.fixed.compare(None if all else m, service.gazetteer)  # computed once (cache.py)
    except InputError as exc:
        raise HTTPError(404, str(exc), known) from None
    return {"columns": result.columns, "rows": result.rows}


@router.get("/api/network", summary="Nodes and edges of the network (as exported for Gephi)")
def network_(service: ServiceDep) -> dict[str, Any]:
    return service.network


# ----------------------------------------------------------------------------- editions (see editions.py, diff.py)


@router.get("/api/history/{name}", summary="A municipality's editions; `klimatgraf history NAME --format json`")
def history(service: ServiceDep, name: str) -> list[dict[str, Any]]:
    editions = _editions_call(service, municipality_editions, service.source(), name, service.gazetteer)
    return [e.to_dict() for e in editions]


@router.get("/api/diff/{name}", summary="What changed between two editions; `klimatgraf diff NAME --format json`")
def diff_(
    service: ServiceDep, name: str, from_: str | None = Query(default=None, alias="from"), to: str | None = None
) -> Any:
    return _editions_call(service, run_diff, service.source(), name, service.gazetteer, from_, to).to_dict()


def _editions_call(service: Service, function: Any, *args: Any) -> Any:
    """Run an editions query under the parse lock, waiting no longer than a query may run."""
    if not PARSE_LOCK.acquire(timeout=service.runner.timeout):
        raise HTTPError(503, f"the server is busy; no answer within {service.runner.timeout:g} s, try again")
    try:
        return function(*args)
    except InputError as exc:
        known = municipalities_of(service)
        raise HTTPError(404, str(exc), suggestions(args[1], known) or known) from None
    finally:
        PARSE_LOCK.release()
