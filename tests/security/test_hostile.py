"""Issue 24: `klimatgraf serve` under hostile load, the fast cases (seconds each; `make test`).

A real `klimatgraf serve` of the seeds on 127.0.0.1 with short limits, attacked from other
loopback addresses as the issue's probe did: huge and slow bodies (findings 1, 2), connections
held past the limit (2), floods of long searches and heavy SPARQL queries (3, 4), hung-up
clients (5), the query processes' memory limit (6) and uvicorn's own answers (8). The minute-long
versions with the issue's numbers are in test_hostile_load.py (`make test-reliability`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import serve_fixtures

from .hostile import (
    ATTACKER,
    CARTESIAN,
    HEAVY_QUESTION,
    VICTIM,
    HealthProbe,
    children,
    closed_within,
    connect,
    get,
    head,
    json_of,
    read_answer,
    rss_kib,
    search_path,
    sparql_path,
    timed_get,
)

served_build = serve_fixtures.served_build

REQUEST_TIMEOUT = 2
MAX_CONNECTIONS = 60
QUERY_TIMEOUT = 3
MIB = 1024 * 1024
# /healthz during a flood of fifty requests at once (the issue measured 10 s and timeouts): the
# issue's 200 ms is held over minutes in test_hostile_load.py; here, on a machine that may be
# busy with other tests, a looser bound that still fails by far without the fix
HEALTHZ_BOUND = 0.5
FLAGS = [
    "--request-timeout", str(REQUEST_TIMEOUT), "--header-timeout", str(REQUEST_TIMEOUT),
    "--max-connections", str(MAX_CONNECTIONS), "--timeout", str(QUERY_TIMEOUT),
]  # fmt: skip


@pytest.fixture(scope="module")
def server(served_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[serve_fixtures.Server]:
    log = tmp_path_factory.mktemp("hostile") / "stderr.log"
    running = serve_fixtures.start_server(served_build, log, *FLAGS)
    try:
        yield running
    finally:
        running.stop()


def _security_headers(headers: dict[str, str]) -> None:
    assert "default-src 'self'" in headers.get("content-security-policy", ""), headers
    assert headers.get("x-content-type-options") == "nosniff", headers


# ----------------------------------------------------------------------------- finding 1: bodies


def test_a_content_length_over_the_cap_is_refused_before_the_body(server: serve_fixtures.Server) -> None:
    with connect(server.url) as sock:
        sock.sendall(
            head(server.url, "POST", "/sparql",
                 {"Content-Type": "application/sparql-query", "Content-Length": str(200 * MIB)})
        )  # fmt: skip
        answer = read_answer(sock, timeout=5)  # not one byte of the body was sent
        assert answer is not None, "no answer before the body"
        assert answer.status == 413 and b"--max-body" in answer.body, answer
        assert answer.headers.get("connection") == "close"
        _security_headers(answer.headers)
        assert closed_within(sock, 5)


def _stream(url: str, total: int, chunked: bool) -> tuple[int, int]:
    """POST `total` bytes to /sparql as fast as the server takes them; (status or 0, bytes sent)."""
    headers = {"Content-Type": "application/sparql-query"}
    headers.update({"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(total)})
    sent = 0
    piece = b"#" * (256 * 1024)
    with connect(url, ATTACKER, timeout=10) as sock:
        sock.sendall(head(url, "POST", "/sparql", headers))
        try:
            while sent < total:
                data = piece[: total - sent]
                sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                sent += len(data)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server refused and closed: what it should do
        answer = read_answer(sock, timeout=10)
    return (answer.status if answer else 0), sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_three_200_mib_bodies_add_under_100_mb_to_the_server(server: serve_fixtures.Server, chunked: bool) -> None:
    pid = server.process.pid
    get(server.url, "/healthz")
    before = rss_kib(pid)
    peak = before
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(_stream, server.url, 200 * MIB, chunked) for _ in range(3)]
        while not all(f.done() for f in futures):
            peak = max(peak, rss_kib(pid))
            time.sleep(0.05)
        results = [f.result() for f in futures]
    print(
        f"3 × 200 MiB ({'chunked' if chunked else 'Content-Length'}): {results}, server RSS {before} → peak {peak} KiB"
    )
    assert all(status in (413, 0) for status, _ in results), results
    assert any(status == 413 for status, _ in results), results
    assert peak - before < 100 * 1024


# ----------------------------------------------------------------------------- finding 2: slow clients


def test_a_body_that_never_comes_is_cut_off(server: serve_fixtures.Server) -> None:
    with connect(server.url) as sock:
        sock.sendall(head(server.url, "POST", "/sparql",
                          {"Content-Type": "application/sparql-query", "Content-Length": "100"}) + b"ASK")  # fmt: skip
        started = time.monotonic()
        answer = read_answer(sock, timeout=REQUEST_TIMEOUT + 5)
        waited = time.monotonic() - started
        assert answer is None or answer.status == 408, answer
        assert waited < REQUEST_TIMEOUT + 3
        assert closed_within(sock, 3)


def test_a_trickling_body_is_cut_off(server: serve_fixtures.Server) -> None:
    with connect(server.url) as sock:
        sock.sendall(head(server.url, "POST", "/sparql",
                          {"Content-Type": "application/sparql-query", "Content-Length": "1000"}))  # fmt: skip
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < REQUEST_TIMEOUT + 5:
            try:
                sock.sendall(b"A")
            except OSError:
                closed = True
                break
            if closed_within(sock, 0.5):
                closed = True
                break
        assert closed, "a body sent one byte at a time kept its connection"
        assert time.monotonic() - started < REQUEST_TIMEOUT + 3


def _slow_bodies(url: str, count: int) -> list[socket.socket]:
    held = []
    for _ in range(count):
        sock = connect(url, ATTACKER)
        sock.sendall(
            head(url, "POST", "/sparql", {"Content-Type": "application/sparql-query", "Content-Length": "100"})
        )
        held.append(sock)
    return held


def test_healthz_answers_while_slow_bodies_hold_every_connection(server: serve_fixtures.Server) -> None:
    held = _slow_bodies(server.url, MAX_CONNECTIONS)  # every connection the server allows
    try:
        time.sleep(0.3)
        for _ in range(5):
            status, seconds = timed_get(server.url, "/healthz", timeout=5)
            assert status == 200 and seconds < HEALTHZ_BOUND, (status, seconds)
        status, headers, body = get(server.url, "/readyz")
        assert status == 503 and "retry-after" in headers, (status, body)
        assert json_of(body)["ready"] is False
        extra, _, _ = get(server.url, "/api/municipalities")
        assert extra == 503  # past --max-connections: still refused
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)
    status, _, body = get(server.url, "/readyz")
    assert status == 200 and json_of(body)["ready"] is True


def test_healthz_answers_while_300_idle_sockets_are_open(server: serve_fixtures.Server) -> None:
    idle = [connect(server.url, ATTACKER) for _ in range(300)]
    try:
        time.sleep(0.3)
        status, seconds = timed_get(server.url, "/healthz", timeout=5)
        assert status == 200 and seconds < HEALTHZ_BOUND, (status, seconds)
    finally:
        for sock in idle:
            sock.close()


# ----------------------------------------------------------------------------- finding 3: search floods


def test_a_search_flood_from_one_client_is_turned_away_and_others_are_served(server: serve_fixtures.Server) -> None:
    flood = search_path(HEAVY_QUESTION, k=200)
    with HealthProbe(server.url) as probe, ThreadPoolExecutor(50) as pool:
        futures = [pool.submit(get, server.url, flood, ATTACKER, 60) for _ in range(50)]
        time.sleep(0.5)
        other, seconds = timed_get(server.url, search_path("vem arbetar med matsvinn", group="municipality"), VICTIM)
        answers = [f.result() for f in futures]
    statuses = [status for status, _, _ in answers]
    print(f"50 long searches from one client: {sorted(statuses)}; another client's search {other} in {seconds:.2f} s; "
          f"/healthz {probe.summary()}")  # fmt: skip
    assert other == 200
    assert statuses.count(429) >= 35, statuses  # 1 runs, a quarter of the queue (8) may wait
    assert all(status in (200, 429, 503) for status in statuses), statuses
    assert all("retry-after" in headers for status, headers, _ in answers if status in (429, 503))
    assert probe.samples and all(status == 200 for status, _ in probe.samples)
    assert probe.worst < HEALTHZ_BOUND, probe.summary()


def test_a_question_of_many_tokens_is_refused_before_it_is_encoded(server: serve_fixtures.Server) -> None:
    question = "a" + "\u0301" * 999  # one letter and 999 combining accents: 1,000 characters, ~1,000 tokens
    status, _, body = get(server.url, search_path(question), VICTIM)
    assert status == 400, body
    assert "--max-query-tokens" in json_of(body)["error"]  # type: ignore[operator]


# ----------------------------------------------------------------------------- finding 4: SPARQL floods


def test_a_sparql_flood_leaves_healthz_and_other_clients_answered(server: serve_fixtures.Server) -> None:
    with HealthProbe(server.url) as probe, ThreadPoolExecutor(50) as pool:
        futures = [pool.submit(get, server.url, sparql_path(CARTESIAN), ATTACKER, 60) for _ in range(50)]
        time.sleep(0.5)
        ask, seconds = timed_get(server.url, sparql_path("ASK {}"), VICTIM)
        answers = [f.result() for f in futures]
    statuses = sorted(status for status, _, _ in answers)
    print(f"50 heavy queries from one client: {statuses}; ASK from another client {ask} in {seconds:.2f} s; "
          f"/healthz {probe.summary()}")  # fmt: skip
    assert ask == 200 and seconds < 2
    assert all(status in (429, 503) for status in statuses), statuses
    assert all("retry-after" in headers for status, headers, _ in answers if status == 429)
    assert probe.samples and all(status == 200 for status, _ in probe.samples)
    assert probe.worst < HEALTHZ_BOUND, probe.summary()


# ----------------------------------------------------------------------------- finding 5: hung-up clients


def test_200_aborted_requests_write_under_10_kb_of_log(server: serve_fixtures.Server) -> None:
    before = server.log.stat().st_size
    for _ in range(200):
        with connect(server.url, ATTACKER) as sock:
            sock.sendall(head(server.url, "POST", "/sparql",
                              {"Content-Type": "application/sparql-query", "Content-Length": "1000"}) + b"ASK {")  # fmt: skip
    time.sleep(1)
    assert get(server.url, "/healthz")[0] == 200
    grown = server.log.stat().st_size - before
    text = server.log.read_text(encoding="utf-8", errors="replace")
    print(f"200 aborted POSTs: {grown} bytes of log")
    assert grown < 10 * 1024
    assert "Traceback" not in text and "internal error" not in text


# ----------------------------------------------------------------------------- finding 6: memory per query


def _address_space_limit(pid: int) -> int | None:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            value = line.split()[3]
            return None if value == "unlimited" else int(value)
    return None


def test_a_query_process_may_add_memory_sized_to_the_graph(server: serve_fixtures.Server) -> None:
    """The seeds' graph is small: its query processes get the floor (256 MiB), not a fixed gigabyte."""
    pid = server.process.pid
    worker = threading.Thread(target=get, args=(server.url, sparql_path(CARTESIAN)), daemon=True)
    worker.start()
    deadline = time.monotonic() + QUERY_TIMEOUT
    limit = vm_size = None
    while time.monotonic() < deadline and limit is None:
        for child in children(pid):
            try:
                status = Path(f"/proc/{child}/status").read_text()
                limit = _address_space_limit(child)
            except OSError:
                continue
            vm_size = next(int(x.split()[1]) * 1024 for x in status.splitlines() if x.startswith("VmSize:"))
            if limit is not None:
                break
        time.sleep(0.01)
    worker.join()
    assert limit is not None and vm_size is not None, "no query process seen"
    added = (limit - vm_size) / MIB
    print(f"query process: address space {vm_size / MIB:.0f} MiB, limit {limit / MIB:.0f} MiB (+{added:.0f})")
    assert added <= 256 + 64


# ----------------------------------------------------------------------------- finding 8: uvicorn's own answers


def test_a_malformed_request_gets_400_with_the_security_headers(server: serve_fixtures.Server) -> None:
    with connect(server.url) as sock:
        sock.sendall(b"GARBAGE\x00 / HTTP/1.1\r\n\r\n")
        answer = read_answer(sock, timeout=5)
    assert answer is not None and answer.status == 400
    _security_headers(answer.headers)


def test_an_answer_past_the_connection_limit_carries_the_security_headers(server: serve_fixtures.Server) -> None:
    held = [connect(server.url, ATTACKER) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.3)
        status, headers, _ = get(server.url, "/api/municipalities")
        assert status == 503 and "retry-after" in headers
        _security_headers(headers)
    finally:
        for sock in held:
            sock.close()
