"""`GET /api/search`: hybrid search, the JSON of `klimatgraf search --format json`."""

from __future__ import annotations

import json
import urllib.parse
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ..errors import InputError
from ..vocabulary import DocType, GroupBy, Retriever
from .deps import HTTPError, ServiceDep, municipalities_of, suggestions
from .service import Service

router = APIRouter()
READ_AS = "X-Klimatgraf-Read-As"  # the question as the search read it, percent-encoded UTF-8
ANSWERED_BY = "X-Klimatgraf-Answered-By"  # group=municipality: concepts, similarity or nobody
READ_AS_CONCEPTS = "X-Klimatgraf-Concepts"  # group=municipality: "läst som: Matsvinn", percent-encoded UTF-8
UNCERTAIN = "X-Klimatgraf-Uncertain"  # group=municipality: true when no concept was read
E = TypeVar("E", bound=StrEnum)


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
    named_first: bool = True,
) -> Response:
    if not q.strip():
        raise HTTPError(400, "empty query; pass q=, e.g. /api/search?q=vem+arbetar+med+matsvinn")
    if not 1 <= k <= 200:
        raise HTTPError(400, f"k must be between 1 and 200, not {k}")
    grouping = _choice(GroupBy, "group", group)
    doc_type = None if type is None else _choice(DocType, "type", type)
    how = _choice(Retriever, "retriever", retriever)
    towns = m or None
    if towns:
        known = municipalities_of(service)
        for name in towns:
            try:
                service.searcher._resolve_municipalities([name])
            except InputError as exc:
                raise HTTPError(404, str(exc), suggestions(name, known) or known) from None
    with service.search_lock:
        return _search(service, q, k, grouping, towns, doc_type, how, all, named_first)


def _choice(choices: type[E], name: str, value: str) -> E:
    """The vocabulary member named `value`, or a 400 that lists the choices (the CLI's choices)."""
    try:
        return choices(value)
    except ValueError:
        *first, last = list(choices)
        raise HTTPError(400, f"{name} must be {', '.join(first)} or {last}, not {value!r}") from None


def _search(
    service: Service,
    q: str,
    k: int,
    group: GroupBy,
    towns: list[str] | None,
    type: DocType | None,
    retriever: Retriever,
    full: bool = False,
    named_first: bool = True,
) -> Response:
    extra: dict[str, str] = {}
    if group is GroupBy.municipality:  # only municipalities that answer ([] = nobody); all=true: every one
        answer = service.searcher.answer(
            q, k=k, municipalities=towns, doc_type=type, retriever=retriever, full_ranking=full
        )
        data: list[dict[str, Any]] = [g.to_dict() for g in answer.municipalities]
        # the body stays the CLI's JSON list; how the question was read and which path answered are
        # headers (the whole record, near misses included, is GET /api/answer)
        extra = {
            ANSWERED_BY: answer.path,
            READ_AS_CONCEPTS: urllib.parse.quote(answer.reading.said()),
            UNCERTAIN: "true" if answer.uncertain else "false",
        }
    else:
        hits = service.searcher.search(
            q, k=k, municipalities=towns, doc_type=type, retriever=retriever, named_first=named_first
        )
        data = [h.to_dict() for h in hits]
    # a question typed without å/ä/ö is read as the contracts spell it (`Searcher.spelled`); the
    # body stays the CLI's JSON, and this header says how it was read, as the CLI's stderr does
    read = service.searcher.spelled(q)
    headers = ({READ_AS: urllib.parse.quote(read)} if read != q else {}) | extra
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json", headers=headers or None)


@router.get(
    "/api/answer", summary="Who works on X: the whole answer record (reading, path, municipalities, near misses)"
)
def answer(
    service: ServiceDep,
    q: str = "",
    k: int = 10,
    m: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's way to declare a repeated parameter
    type: str | None = None,
    all: bool = False,
) -> Response:
    """The record `klimatgraf search --group municipality` renders: how the question was read ("läst
    som: Matsvinn"), which path answered (concepts, similarity or nobody), whether the answer is
    uncertain, the municipalities with their evidence (the concept's words marked in `html`), and
    when nobody answers, the related and broader concepts that do occur."""
    if not q.strip():
        raise HTTPError(400, "empty query; pass q=, e.g. /api/answer?q=vem+arbetar+med+matsvinn")
    if not 1 <= k <= 200:
        raise HTTPError(400, f"k must be between 1 and 200, not {k}")
    doc_type = None if type is None else _choice(DocType, "type", type)
    with service.search_lock:
        found = service.searcher.answer(q, k=k, municipalities=m or None, doc_type=doc_type, full_ranking=all)
    return Response(json.dumps(found.to_dict(), ensure_ascii=False), media_type="application/json")
