"""In-process checks of the server's guards: Host and Origin (finding 1c, 7), security headers and
/docs (7), answer size and memory caps of a query child (2), faults (5), per-client limits and
the start-time answers (6), log escaping and rate limits (3, 4)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

import serve_fixtures
from conftest import ROOT
from klimatgraf.serve.loading import loaded

served_build = serve_fixtures.served_build

BOMB_STEPS = 24
HOSTS = ["127.0.0.1", "localhost", "::1"]


def concat_bomb(steps: int) -> str:
    """~1 KB of SPARQL whose one row doubles `steps` times (2**steps × 16 characters)."""
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(steps))
    return f'SELECT (STRLEN(?v{steps}) AS ?n) ?v{steps} WHERE {{ BIND("klimatkontrakt!!" AS ?v0) {binds} }}'


@pytest.fixture(scope="module")
def service(served_build: Path) -> Any:
    from klimatgraf.serve import load_service

    return load_service(served_build, ROOT / "data", timeout=10, max_rows=1000)


@pytest.fixture(scope="module")
def client(service: Any) -> Any:
    from fastapi.testclient import TestClient

    from klimatgraf.serve import create_app

    return TestClient(create_app(service, HOSTS), base_url="http://127.0.0.1:8000")


# ----------------------------------------------------------------------------- Host, Origin, headers


def test_a_host_not_allowed_is_refused(client: Any) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "[::1]:8000"}).status_code == 200
    refused = client.get("/healthz", headers={"Host": "attacker.example"})
    assert refused.status_code == 421 and "--allowed-host" in refused.json()["error"]


def test_allowed_host_star_and_the_default_list(service: Any) -> None:
    from fastapi.testclient import TestClient

    from klimatgraf.serve import create_app
    from klimatgraf.serve.guard import default_allowed_hosts

    anyhost = TestClient(create_app(service, ["*"]))
    assert anyhost.get("/healthz", headers={"Host": "attacker.example"}).status_code == 200
    assert set(default_allowed_hosts("10.1.2.3")) >= {"10.1.2.3", "localhost", "127.0.0.1", "::1"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://attacker.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:9999"},
    ],
)
def test_cross_site_post_is_refused(client: Any, headers: dict[str, str]) -> None:
    response = client.post("/sparql", data={"query": "ASK {}"}, headers=headers)
    assert response.status_code == 403, response.text
    assert "cross-site" in response.json()["error"]


def test_same_origin_and_non_browser_posts_are_answered(client: Any) -> None:
    for headers in ({}, {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"}):
        response = client.post("/sparql", data={"query": "ASK {}"}, headers=headers)
        assert response.status_code == 200 and response.json()["boolean"] is True


def test_security_headers_on_every_answer(client: Any) -> None:
    for response in (
        client.get("/"),
        client.get("/healthz"),
        client.get("/static/app.js"),
        client.get("/api/nothing"),
        client.get("/sparql", params={"query": "SELEC"}),
        client.get("/healthz", headers={"Host": "attacker.example"}),
        client.post("/sparql", data={"query": "ASK {}"}, headers={"Origin": "http://attacker.example"}),
    ):
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_the_page_needs_nothing_the_csp_forbids() -> None:
    """No inline script or style, no outside URL in the page: `default-src 'self'` lets it all load."""
    import re

    web = ROOT / "src" / "klimatgraf" / "web"
    page = (web / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) and "<style" not in page
    assert not re.search(r"\son[a-z]+=|style=", page)
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    script = (web / "app.js").read_text(encoding="utf-8")
    assert "eval(" not in script and "new Function" not in script and "setAttribute('style'" not in script


def test_docs_and_redoc_are_off_and_openapi_stays(client: Any) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert "/sparql" in client.get("/openapi.json").json()["paths"]


# ----------------------------------------------------------------------------- query children


def test_answer_size_cap_is_413(service: Any) -> None:
    from klimatgraf.serve import QueryRunner

    runner = QueryRunner(service.graph, timeout=10, max_rows=1000, max_bytes=4096)
    answer = runner.run("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 500", "application/sparql-results+json")
    assert answer.status == 413 and b"--max-bytes" in answer.body
    small = runner.run("ASK {}", None)
    assert small.status == 200


def test_the_parent_reads_no_more_than_the_cap(service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that ignores the cap (here: made to) still cannot make the parent read past it."""
    from klimatgraf.serve import runner as serve

    monkeypatch.setattr(serve, "evaluate", lambda *a, **k: serve.Answer(200, "text/plain", b"x" * 200_000))
    runner = serve.QueryRunner(service.graph, timeout=10, max_bytes=10_000)
    answer = runner.run("ASK {}", None)
    assert answer.status == 413 and len(answer.body) < 1000


def test_memory_cap_stops_a_concat_bomb_in_the_child(service: Any) -> None:
    from klimatgraf.serve import QueryRunner

    runner = QueryRunner(service.graph, timeout=30, max_memory_mb=64, max_bytes=1 << 30)
    answer = runner.run(concat_bomb(BOMB_STEPS), None)
    assert answer.status == 400, answer.body
    assert b"--max-memory" in answer.body and b"Error" not in answer.body


def test_memory_bomb_on_the_endpoint_is_refused_without_internals(client: Any) -> None:
    response = client.get("/sparql", params={"query": concat_bomb(BOMB_STEPS)})
    assert response.status_code in (400, 413), response.text[:300]
    assert "Error" not in response.text and ("--max-bytes" in response.text or "--max-memory" in response.text)


def test_a_server_fault_is_500_without_internals(service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from klimatgraf.serve import runner as serve

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise AttributeError("'NoneType' object has no attribute 'x'")

    monkeypatch.setattr(serve, "evaluate", broken)
    answer = serve.QueryRunner(service.graph, timeout=10).run("ASK {}", None)
    assert answer.status == 500
    assert b"AttributeError" not in answer.body and b"NoneType" not in answer.body


# ----------------------------------------------------------------------------- contention


def test_per_client_limit_is_429_and_other_clients_go_on() -> None:
    from klimatgraf.serve.queues import FairQueue, Refused

    async def scenario() -> None:
        queue = FairQueue(
            "SPARQL queries", slots=3, per_client=1, length=4, client_flag="--max-client-queries", pause=False
        )
        held = await queue.acquire("10.0.0.1", 1)  # that client's one query is running
        waiting = asyncio.create_task(queue.acquire("10.0.0.1", 0.2))  # its second waits, bounded
        await asyncio.sleep(0)
        with pytest.raises(Refused) as busy:  # its third: as many waiting as it may run, at once
            await queue.acquire("10.0.0.1", 1)
        assert busy.value.status == 429 and "--max-client-queries" in str(busy.value)
        assert busy.value.retry_after >= 1
        other = await queue.acquire("10.0.0.2", 1)  # another client goes on
        with pytest.raises(Refused) as late:
            await waiting
        assert late.value.status == 429  # its own limit held it until the deadline
        queue.release(held)
        queue.release(other)
        again = await queue.acquire("10.0.0.1", 1)
        queue.release(again)
        assert queue.stats() == {"running": 0, "waiting": 0, "slots": 3, "queue": 4}

    asyncio.run(scenario())


def test_waiting_clients_are_served_in_turn_and_a_full_queue_is_503() -> None:
    from klimatgraf.serve.queues import FairQueue, Refused

    async def scenario() -> None:
        queue = FairQueue("searches", slots=1, per_client=2, length=3, client_flag="--max-client-searches", pause=False)
        first = await queue.acquire("flood", 5)
        order: list[str] = []

        async def wait(client: str) -> None:
            ticket = await queue.acquire(client, 5)
            order.append(client)
            await asyncio.sleep(0.01)
            queue.release(ticket)

        tasks = [asyncio.create_task(wait("flood")), asyncio.create_task(wait("flood"))]
        await asyncio.sleep(0)
        tasks.append(asyncio.create_task(wait("other")))  # came last, served second
        await asyncio.sleep(0)
        assert queue.saturated  # every slot busy, the queue full
        with pytest.raises(Refused) as full:
            await queue.acquire("third", 5)
        assert full.value.status == 503 and full.value.retry_after >= 1
        queue.release(first)
        await asyncio.gather(*tasks)
        assert order == ["flood", "other", "flood"]

    asyncio.run(scenario())


def test_a_wait_past_its_deadline_is_503_when_the_server_is_busy() -> None:
    from klimatgraf.serve.queues import FairQueue, Refused

    async def scenario() -> None:
        queue = FairQueue("SPARQL queries", slots=1, per_client=2, length=8, client_flag="--max-client-queries")
        held = await queue.acquire("a", 1)
        with pytest.raises(Refused) as busy:
            await queue.acquire("b", 0.05)
        assert busy.value.status == 503 and "busy" in str(busy.value)
        queue.release(held)
        assert queue.stats()["waiting"] == 0

    asyncio.run(scenario())


def test_the_sum_of_query_memory_bounds_how_many_run_at_once(service: Any) -> None:
    """Finding 6: each query process may add --max-memory; with --max-total-memory for two, two run."""
    from klimatgraf.serve import QueryRunner
    from klimatgraf.serve.limits import default_query_memory_mb

    assert QueryRunner(service.graph, max_memory_mb=256, max_total_memory_mb=512, max_queries=8).slots == 2
    assert QueryRunner(service.graph, max_memory_mb=256, max_total_memory_mb=100, max_queries=8).slots == 1
    assert QueryRunner(service.graph, max_memory_mb=64, max_total_memory_mb=1 << 20, max_queries=5).slots == 5
    assert QueryRunner(service.graph).max_memory_mb == default_query_memory_mb(len(service.graph)) == 256
    assert default_query_memory_mb(250_000) == 976 and default_query_memory_mb(10_000_000) == 1024


def test_compare_and_named_queries_come_from_the_start_cache(client: Any, service: Any) -> None:
    """No query slot, no parse lock: answered while both are held, equal to a fresh computation."""
    from klimatgraf.compare import compare
    from klimatgraf.serve import PARSE_LOCK

    fresh_all = compare(loaded(service.graph), None, service.gazetteer)
    fresh_two = compare(loaded(service.graph), ["Ornskoldsvik", "alvesta"], service.gazetteer)
    name = sorted(service.queries)[0]
    with PARSE_LOCK:
        everything = client.get("/api/compare", params={"all": "true"})
        two = client.get("/api/compare", params=[("m", "Ornskoldsvik"), ("m", "alvesta")])
        named = client.get(f"/api/query/{name}")
    assert everything.json() == {"columns": fresh_all.columns, "rows": fresh_all.rows}
    assert two.json() == {"columns": fresh_two.columns, "rows": fresh_two.rows}
    assert named.status_code == 200 and "results" in named.json()


def test_a_lock_wait_carries_the_deadline(service: Any) -> None:
    from klimatgraf.serve import PARSE_LOCK, QueryRunner

    runner = QueryRunner(service.graph, timeout=0.5)
    with PARSE_LOCK:  # held by someone else past the request's deadline
        answer = runner.run("ASK {}", None)
    assert answer.status == 503 and b"--timeout" in answer.body


# ----------------------------------------------------------------------------- logs


def test_log_lines_escape_control_characters() -> None:
    from klimatgraf.serve.guard import EscapingFormatter

    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "bad IRI %s", ("a\nklimatgraf serve: FORGED\x1b[31m",), None
    )
    line = EscapingFormatter("%(message)s").format(record)
    assert "\n" not in line and "\x1b" not in line and "\\n" in line and "\\x1b" in line


def test_repeated_accept_errors_are_logged_once_a_second() -> None:
    from klimatgraf.serve.guard import OncePerSecond

    limiter = OncePerSecond()
    record = logging.LogRecord(
        "asyncio", logging.ERROR, __file__, 1, "socket.accept() out of system resource", (), None
    )
    passed = sum(limiter.filter(record) for _ in range(2000))
    assert passed == 1 and limiter.suppressed == 1999


def test_open_file_limit_is_raised_to_the_hard_limit() -> None:
    import resource

    from klimatgraf.serve.guard import raise_open_file_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        if hard > 256:
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        assert raise_open_file_limit() == (hard, hard)
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_route_fault_is_500_without_internals_and_with_headers(service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from klimatgraf.serve import create_app

    class Broken(dict):  # type: ignore[type-arg]
        def items(self) -> Any:
            raise KeyError("secret internal detail")

    monkeypatch.setattr(service, "network", Broken())
    client = TestClient(create_app(service, HOSTS), base_url="http://127.0.0.1:8000", raise_server_exceptions=False)
    response = client.get("/api/network")
    assert response.status_code == 500
    assert "KeyError" not in response.text and "secret" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


# ----------------------------------------------------------------------------- issue 24 (in-process)


def test_an_origin_of_another_scheme_is_refused(client: Any) -> None:
    """Finding 8: https://HOST is another origin than http://HOST; the scheme is compared too."""
    response = client.post("/sparql", data={"query": "ASK {}"}, headers={"Origin": "https://127.0.0.1:8000"})
    assert response.status_code == 403 and "cross-site" in response.json()["error"]
    same = client.post("/sparql", data={"query": "ASK {}"}, headers={"Origin": "http://127.0.0.1:8000"})
    assert same.status_code == 200


def test_the_named_query_cache_is_keyed_by_the_negotiated_type(client: Any, service: Any) -> None:
    """Finding 8: 600 distinct Accept headers are a handful of entries, each answered as before."""
    name = sorted(service.queries)[0]
    service.fixed._rendered.clear()
    answers: dict[str, set[bytes]] = {}
    for i in range(600):
        accept = f"text/csv;q=0.{i % 9 + 1}, application/x-probe-{i};q=0.5" if i % 2 else f"*/*;q=0.{i % 9 + 1}"
        response = client.get(f"/api/query/{name}", headers={"Accept": accept})
        assert response.status_code == 200
        answers.setdefault(response.headers["content-type"], set()).add(response.content)
    assert len(service.fixed._rendered) <= 2, list(service.fixed._rendered)
    assert all(len(bodies) == 1 for bodies in answers.values())
    refused = client.get(f"/api/query/{name}", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and "image/png" in refused.json()["error"]
    assert len(service.fixed._rendered) <= 2


def test_a_body_over_the_cap_is_413_and_a_body_under_it_is_read(client: Any) -> None:
    """Finding 1, in-process: the cap (`--max-body`) answers 413 without the route."""
    big = client.post("/sparql", content=b"#" * 400_001, headers={"Content-Type": "application/sparql-query"})
    assert big.status_code == 413 and "--max-body" in big.json()["error"]
    assert big.headers["connection"] == "close" and big.headers["x-content-type-options"] == "nosniff"
    fine = client.post(
        "/sparql", content=b"ASK {}" + b" " * 300_000, headers={"Content-Type": "application/sparql-query"}
    )
    assert fine.status_code == 413 and "100000 bytes" in fine.json()["error"]  # the query's own limit, as before
    small = client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "application/sparql-query"})
    assert small.status_code == 200 and small.json()["boolean"] is True


def test_a_client_that_hangs_up_is_one_info_line(service: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Finding 5: a body cut short by the client is an info line, no answer and no error."""
    from klimatgraf.serve import create_app

    app = create_app(service, HOSTS)
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "http.request", "body": b"ASK", "more_body": True}, {"type": "http.disconnect"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": "/sparql", "raw_path": b"/sparql", "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/sparql-query"),
                    (b"content-length", b"1000")],
        "client": ("127.0.0.2", 5000), "server": ("127.0.0.1", 8000), "scheme": "http", "http_version": "1.1",
        "root_path": "", "asgi": {"version": "3.0"},
    }  # fmt: skip
    with caplog.at_level(logging.INFO):
        asyncio.run(app(scope, receive, send))
    assert sent == []
    records = [r for r in caplog.records if r.name.startswith("klimatgraf")]
    assert len(records) == 1 and records[0].levelno == logging.INFO and "hung up" in records[0].getMessage()
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)


def test_every_logger_a_client_reaches_is_rate_limited(capsys: pytest.CaptureFixture[str]) -> None:
    """Finding 5: the one handler lets a message through once a second, whichever logger wrote it."""
    from klimatgraf.serve.guard import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging()
        for name in ("klimatgraf.serve", "uvicorn.error", "asyncio", "starlette"):
            for _ in range(500):
                logging.getLogger(name).error("internal error on %s", "/sparql", exc_info=ValueError("x" * 3000))
        lines = capsys.readouterr().err.splitlines()
    finally:
        root.handlers[:], root.level = saved
    assert len(lines) <= 4 and sum(len(line) for line in lines) < 4 * 4096, len(lines)


def test_healthz_is_answered_while_every_thread_and_lock_is_taken(client: Any, service: Any) -> None:
    """Findings 3, 4: /healthz runs on the event loop from values computed at start."""
    from klimatgraf.serve import PARSE_LOCK

    with PARSE_LOCK:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["triples"] == len(loaded(service.graph))
    ready = client.get("/readyz")
    assert ready.status_code in (200, 503) and "sparql" in ready.json() and "search" in ready.json()


def test_every_serve_limit_has_a_flag_a_default_and_a_line_in_the_docs() -> None:
    """Rule 6 (every limit: a flag, a default and a test) for the flags of issue 24: the CLI's
    defaults are serve/limits.py's, and each flag is in the README's table and docs/security.md."""
    import inspect
    import typing

    from klimatgraf.cli.serve_cmd import serve
    from klimatgraf.serve import limits

    flags: dict[str, Any] = {}
    for parameter in inspect.signature(serve, eval_str=True).parameters.values():
        for meta in typing.get_args(parameter.annotation)[1:]:
            names = [*getattr(meta, "param_decls", ()), getattr(meta, "default", None)]  # typer keeps the first here
            for name in names:
                if isinstance(name, str) and name.startswith("--"):
                    flags[name] = parameter.default
    expected = {
        "--max-body": limits.DEFAULT_MAX_BODY,
        "--request-timeout": limits.DEFAULT_REQUEST_TIMEOUT,
        "--queue-length": limits.DEFAULT_QUEUE_LENGTH,
        "--search-workers": limits.DEFAULT_SEARCH_WORKERS,
        "--max-client-searches": limits.DEFAULT_MAX_CLIENT_SEARCHES,
        "--search-timeout": limits.DEFAULT_SEARCH_TIMEOUT,
        "--max-query-tokens": limits.DEFAULT_MAX_QUERY_TOKENS,
        "--max-client-queries": limits.DEFAULT_MAX_CLIENT_QUERIES,
        "--max-memory": None,  # sized to the graph (limits.default_query_memory_mb)
        "--max-total-memory": None,  # half the machine's memory (limits.default_total_memory_mb)
        "--max-queries": None,  # the cores + 1 (limits.default_max_queries)
    }
    for flag, default in expected.items():
        assert flags.get(flag, "missing") == default, (flag, flags.get(flag, "missing"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    security = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for flag in [*expected, "--max-connections", "--header-timeout", "--keep-alive", "--timeout", "--max-rows"]:
        assert f"`{flag} " in readme and f"`{flag} " in security, flag


def test_a_refusal_waits_its_retry_after_so_a_client_cannot_spin() -> None:
    """A client that never waits for Retry-After gets its 429 only after it: the server answers a
    handful of refusals a second, not hundreds (the event loop stays free for everyone else)."""
    import time

    from klimatgraf.serve.queues import FairQueue, Refused

    async def scenario() -> float:
        queue = FairQueue("searches", slots=1, per_client=1, length=4, client_flag="--max-client-searches")
        held = await queue.acquire("a", 5)
        waiting = asyncio.create_task(queue.acquire("a", 5))
        await asyncio.sleep(0)
        started = time.monotonic()
        with pytest.raises(Refused) as refused:
            await queue.acquire("a", 5)
        took = time.monotonic() - started
        assert refused.value.status == 429
        queue.release(held)
        queue.release(await waiting)
        return took

    assert asyncio.run(scenario()) >= 0.9  # RETRY_AFTER_CLIENT, 1 s
