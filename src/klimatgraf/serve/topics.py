"""The topic matrix over HTTP (issue 23): `/api/themes` is `klimatgraf themes --format json`, and
`/api/themes/passages` one cell's passages with the tagged words in `<mark>` (the web page's heatmap).

The profiles are read once at start (service.py, from the build's topics.json); a matrix is then
computed per request from memory, without a query or a lock, and written with the standard
`json` encoder (FastAPI's own encoder walks every value: slower for the thousands of passage ids
of a large build). A cell's texts and spans come from the graph under the parse lock, as the other
routes that query it in the request thread.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ..editions import parse_edition
from ..errors import InputError
from ..topics import cell, matrix
from .deps import HTTPError, ServiceDep, municipalities_of, suggestions
from .limits import PARSE_LOCK
from .service import Service

router = APIRouter()


def _json(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")


def _municipalities(service: Service, names: list[str]) -> None:
    """Unknown names are 404 with close matches, as /api/compare answers them."""
    known = municipalities_of(service)
    for name in names:
        try:
            service.gazetteer.resolve(name)
        except InputError as exc:
            raise HTTPError(404, str(exc), suggestions(name, known) or known) from None


@router.get(
    "/api/themes", summary="Municipalities × concepts: own passages per cell; `klimatgraf themes --format json`"
)
def themes(
    service: ServiceDep,
    level: int | None = None,
    under: str | None = None,
    edition: str = "latest",
    m: list[str] = Query(default=[]),  # noqa: B008
    keep_empty: bool = False,
) -> Response:
    _municipalities(service, m)
    result = matrix(
        service.topic_profiles(),
        edition=parse_edition(edition),
        level=level,
        under=under,
        names=m or None,
        gazetteer=service.gazetteer,
        keep_empty=keep_empty,
    )
    return _json({**result.to_dict(), "note": result.note})


@router.get("/api/themes/passages", summary="One cell of the matrix: its passages, the tagged words in <mark>")
def passages(service: ServiceDep, m: str, concept: str, edition: str = "latest") -> Response:
    _municipalities(service, [m])
    chosen = parse_edition(edition)
    profiles = service.topic_profiles()
    profiles.hierarchy.resolve(concept)  # an unknown concept is one line (400) before the lock is taken
    if not PARSE_LOCK.acquire(timeout=service.runner.timeout):
        raise HTTPError(503, f"the server is busy; no answer within {service.runner.timeout:g} s, try again")
    try:
        found = cell(profiles, service.source(), m, concept, service.gazetteer, edition=chosen)
    finally:
        PARSE_LOCK.release()
    return _json(found.to_dict())
