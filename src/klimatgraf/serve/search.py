"""`GET /api/search`: hybrid search, the JSON of `klimatgraf search --format json`.

Under load (issue 24): a question's cost is bounded before it is encoded (its e5 tokens,
`--max-query-tokens`), searches are admitted by the search queue (queues.py: per client, in
all, a bounded wait, then 429 or 503 with Retry-After), each runs on one of the service's
searchers on the queue's own threads, and each has a deadline (`--search-timeout`, its wait
included): past it the answer is 503, and the searcher goes back to the pool when it is done.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..errors import InputError
from ..vocabulary import DocType, GroupBy, Retriever
from .deps import HTTPError, ServiceDep, client_of, municipalities_of, suggestions
from .limits import RETRY_AFTER_BUSY
from .queues import Refused
from .service import Service

if TYPE_CHECKING:
    from ..retrieval import Searcher

router = APIRouter()
READ_AS = "X-Klimatgraf-Read-As"  # the question as the search read it, percent-encoded UTF-8
ANSWERED_BY = "X-Klimatgraf-Answered-By"  # group=municipality: concepts, similarity or nobody
READ_AS_CONCEPTS = "X-Klimatgraf-Concepts"  # group=municipality: "läst som: Matsvinn", percent-encoded UTF-8
UNCERTAIN = "X-Klimatgraf-Uncertain"  # group=municipality: true when no concept was read
E = TypeVar("E", bound=StrEnum)


@router.get("/api/search", summary="Hybrid search; the JSON of `klimatgraf search --format json`")
async def search(
    service: ServiceDep,
    request: Request,
    q: str = "",
    k: int = 10,
    group: str = "paragraph",
    m: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's way to declare a repeated parameter
    type: str | None = None,
    retriever: str = "hybrid",
    all: bool = False,
    named_first: bool = True,
) -> Response:
    started = time.monotonic()
    if not q.strip():
        raise HTTPError(400, "empty query; pass q=, e.g. /api/search?q=vem+arbetar+med+matsvinn")
    if not 1 <= k <= 200:
        raise HTTPError(400, f"k must be between 1 and 200, not {k}")
    grouping = _choice(GroupBy, "group", group)
    doc_type = None if type is None else _choice(DocType, "type", type)
    how = _choice(Retriever, "retriever", retriever)
    towns = _towns(service, m)
    return await _queued(service, request, started, _search, q, k, grouping, towns, doc_type, how, all, named_first)


@router.get(
    "/api/answer", summary="Who works on X: the whole answer record (reading, path, municipalities, near misses)"
)
async def answer(
    service: ServiceDep,
    request: Request,
    q: str = "",
    k: int = 10,
    m: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's way to declare a repeated parameter
    type: str | None = None,
    all: bool = False,
) -> Response:
    """The record `klimatgraf search --group municipality` renders: how the question was read ("läst
    som: Matsvinn"), which path answered (concepts, similarity or nobody), whether the answer is
    uncertain, the municipalities with their evidence (the concept's words marked in `html`), and
    when nobody answers, the related and broader concepts that do occur. Queued as /api/search is."""
    started = time.monotonic()
    if not q.strip():
        raise HTTPError(400, "empty query; pass q=, e.g. /api/answer?q=vem+arbetar+med+matsvinn")
    if not 1 <= k <= 200:
        raise HTTPError(400, f"k must be between 1 and 200, not {k}")
    doc_type = None if type is None else _choice(DocType, "type", type)
    towns = _towns(service, m)
    return await _queued(service, request, started, _answer, q, k, towns, doc_type, all)


def _towns(service: Service, names: list[str]) -> list[str] | None:
    """The municipality filter, each name known to the index (else a 404 with suggestions)."""
    if not names:
        return None
    known = municipalities_of(service)
    for name in names:
        try:
            service.searcher._resolve_municipalities([name])
        except InputError as exc:
            raise HTTPError(404, str(exc), suggestions(name, known) or known) from None
    return names


async def _queued(service: Service, request: Request, started: float, work_of: Any, *args: Any) -> Response:
    """Run `work_of(searcher, graph_reader, *args)` on a search thread once the search queue admits it, within the
    search's deadline (its wait included)."""
    queue = service.search_queue
    assert queue is not None
    try:
        ticket = await queue.acquire(client_of(request), service.search_timeout)
    except Refused as refusal:
        raise HTTPError.refused(refusal) from None
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(service.pool("search"), _run, service, work_of, *args)
    work.add_done_callback(lambda _: queue.release(ticket))  # when the search ends, answered or not
    left = service.search_timeout - (time.monotonic() - started)
    try:
        return await asyncio.wait_for(asyncio.shield(work), max(0.0, left))
    except TimeoutError:
        raise HTTPError(
            503,
            f"the search took longer than {service.search_timeout:g} s (the server's --search-timeout); "
            "try a shorter question or try again",
            retry_after=RETRY_AFTER_BUSY,
        ) from None


def _within_cost(service: Service, searcher: Searcher, q: str) -> None:
    """Refuse a question that would cost more than --max-query-tokens to encode (issue 24: one
    letter and 999 combining accents is 1,000 characters, ~1,000 tokens and 5.5 s of e5).

    Runs on the search's thread, first (so fifty refused questions never crowd the event loop or
    anyio's threads): the question is cleaned as the Searcher cleans it (its --max-query-chars
    refusal comes first, as before), then its tokens are counted with the model's own tokenizer
    (`token_count`: about 2 ms for 1,000 characters); encoding costs time growing with them."""
    from ..retrieval import clean_query

    text = clean_query(q, searcher.max_query_chars)
    count = getattr(searcher.embedder, "token_count", None)
    tokens = count(text) if callable(count) else len(text.encode("utf-8")) // 2  # no tokenizer: a bound
    if tokens > service.max_query_tokens:
        raise HTTPError(
            400,
            f"the question is {tokens} tokens long; ask in at most {service.max_query_tokens} (the server's "
            "--max-query-tokens; a question in plain words is rarely more than 60)",
        )


def _run(service: Service, work_of: Any, *args: Any) -> Response:
    """On a search thread: take an idle searcher (the queue admits no more searches than there are
    searchers), search, give it back."""
    searcher = service.take_searcher()
    while searcher is None:  # only while the warm-up at start holds one
        service.warmed.wait(1)
        searcher = service.take_searcher()
    try:
        _within_cost(service, searcher, args[0])
        response: Response = work_of(searcher, service.graph_reader, *args)
        return response
    finally:
        service.give_back(searcher)


def _choice(choices: type[E], name: str, value: str) -> E:
    """The vocabulary member named `value`, or a 400 that lists the choices (the CLI's choices)."""
    try:
        return choices(value)
    except ValueError:
        *first, last = list(choices)
        raise HTTPError(400, f"{name} must be {', '.join(first)} or {last}, not {value!r}") from None


def _search(
    searcher: Searcher,
    graph: Any,
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
        answer = searcher.answer(
            q, k=k, municipalities=towns, doc_type=type, retriever=retriever, full_ranking=full, graph=graph
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
        hits = searcher.search(
            q, k=k, municipalities=towns, doc_type=type, retriever=retriever, named_first=named_first
        )
        data = [h.to_dict() for h in hits]
    # a question typed without å/ä/ö is read as the contracts spell it (`Searcher.spelled`); the
    # body stays the CLI's JSON, and this header says how it was read, as the CLI's stderr does
    read = searcher.spelled(q)
    headers = ({READ_AS: urllib.parse.quote(read)} if read != q else {}) | extra
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json", headers=headers or None)


def _answer(
    searcher: Searcher, graph: Any, q: str, k: int, towns: list[str] | None, type: DocType | None, full: bool
) -> Response:
    found = searcher.answer(q, k=k, municipalities=towns, doc_type=type, full_ranking=full, graph=graph)
    read = searcher.spelled(q)  # typed without å/ä/ö: the same header as /api/search
    headers = {READ_AS: urllib.parse.quote(read)} if read != q else None
    return Response(json.dumps(found.to_dict(), ensure_ascii=False), media_type="application/json", headers=headers)
