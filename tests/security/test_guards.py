"""In-process checks of the server's guards: Host and Origin (finding 1c, 7), security headers and
/docs (7), answer size and memory caps of a query child (2), faults (5), per-client limits and
the start-time answers (6), log escaping and rate limits (3, 4)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest

import serve_fixtures
from conftest import ROOT

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


def test_per_client_limit_is_429_and_other_clients_go_on(service: Any) -> None:
    from klimatgraf.serve import QueryRunner

    runner = QueryRunner(service.graph, timeout=1, max_client_queries=1)
    assert runner.clients.acquire("10.0.0.1", 1)  # that client's one query is running
    try:
        busy = runner.run("ASK {}", None, client="10.0.0.1")
        assert busy.status == 429 and b"--max-client-queries" in busy.body
        assert runner.run("ASK {}", None, client="10.0.0.2").status == 200
    finally:
        runner.clients.release("10.0.0.1")
    assert runner.run("ASK {}", None, client="10.0.0.1").status == 200


def test_client_limiter_counts_per_address() -> None:
    from klimatgraf.serve.guard import ClientLimiter

    limiter = ClientLimiter(2)
    assert limiter.acquire("a", 0) and limiter.acquire("a", 0) and not limiter.acquire("a", 0.05)
    assert limiter.acquire("b", 0)
    threading.Timer(0.1, limiter.release, args=("a",)).start()
    assert limiter.acquire("a", 5)  # the wait ends when a slot frees, before the deadline


def test_compare_and_named_queries_come_from_the_start_cache(client: Any, service: Any) -> None:
    """No query slot, no parse lock: answered while both are held, equal to a fresh computation."""
    from klimatgraf.compare import compare
    from klimatgraf.serve import PARSE_LOCK

    fresh_all = compare(service.graph, None, service.gazetteer)
    fresh_two = compare(service.graph, ["Ornskoldsvik", "alvesta"], service.gazetteer)
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

    class Broken(list):  # type: ignore[type-arg]
        def __len__(self) -> int:
            raise KeyError("secret internal detail")

    monkeypatch.setattr(service, "documents", Broken())
    client = TestClient(create_app(service, HOSTS), base_url="http://127.0.0.1:8000", raise_server_exceptions=False)
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "KeyError" not in response.text and "secret" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
