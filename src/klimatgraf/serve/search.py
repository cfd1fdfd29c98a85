"""`GET /api/search`: hybrid search, the JSON of `klimatgraf search --format json`."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ..errors import InputError
from .deps import HTTPError, ServiceDep, municipalities_of, suggestions
from .limits import MAX_SEARCH_CHARS
from .service import Service

router = APIRouter()


@router.get("/api/search", summary="Hybrid search; the JSON of `klimatgraf search --format json`")
def search(
    service: ServiceDep,
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
        known = municipalities_of(service)
        for name in towns:
            try:
                service.searcher._resolve_municipalities([name])
            except InputError as exc:
                raise HTTPError(404, str(exc), suggestions(name, known) or known) from None
    with service.search_lock:
        return _search(service, q, k, group, towns, type, retriever, all)


def _search(
    service: Service,
    q: str,
    k: int,
    group: str,
    towns: list[str] | None,
    type: str | None,
    retriever: str,
    full: bool = False,
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
