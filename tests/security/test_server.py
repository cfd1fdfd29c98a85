"""The guards that need the real `klimatgraf serve` process: connections (finding 3), the memory
bomb measured on the server's RSS (2), log amplification and forging (4), the open-file limit.

One server of the seeds with short connection limits, started for this module.
"""

from __future__ import annotations

import json
import resource
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import serve_fixtures

from .test_guards import BOMB_STEPS, concat_bomb

served_build = serve_fixtures.served_build

HEADER_TIMEOUT = 1
KEEP_ALIVE = 1
MAX_CONNECTIONS = 8
LOWERED_NOFILE = 512


def _start(build: Path, log: Path, soft: int, hard: int | None, *flags: str) -> serve_fixtures.Server:
    """start_server with the open-file limits set in the server's process before it starts."""

    def limits() -> None:
        current_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        new_hard = current_hard if hard is None else min(hard, current_hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, new_hard), new_hard))

    return serve_fixtures.start_server(build, log, *flags, preexec_fn=limits)


@pytest.fixture(scope="module")
def server(served_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[serve_fixtures.Server]:
    log = tmp_path_factory.mktemp("guarded") / "stderr.log"
    flags = ["--header-timeout", str(HEADER_TIMEOUT), "--keep-alive", str(KEEP_ALIVE),
             "--max-connections", str(MAX_CONNECTIONS)]  # fmt: skip
    running = _start(served_build, log, LOWERED_NOFILE, None, *flags)
    try:
        yield running
    finally:
        running.stop()


def _address(server: serve_fixtures.Server) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True  # the server closed it
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def _sparql(server: serve_fixtures.Server, query: str) -> tuple[int, bytes]:
    data = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(f"{server.url}/sparql", data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_slow_headers_are_timed_out(server: serve_fixtures.Server) -> None:
    with socket.create_connection(_address(server), timeout=5) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHo")  # and never the rest
        assert _closed_within(slow, HEADER_TIMEOUT + 4)


def test_a_connection_that_sends_nothing_is_timed_out(server: serve_fixtures.Server) -> None:
    with socket.create_connection(_address(server), timeout=5) as idle:
        assert _closed_within(idle, HEADER_TIMEOUT + 4)


def test_an_idle_keep_alive_connection_is_closed(server: serve_fixtures.Server) -> None:
    host, port = _address(server)
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        first = conn.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        assert _closed_within(conn, KEEP_ALIVE + 4)


def test_connections_past_the_limit_get_503_and_healthz_is_answered(server: serve_fixtures.Server) -> None:
    host, port = _address(server)
    held = [socket.create_connection((host, port), timeout=5) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)
        with socket.create_connection((host, port), timeout=5) as extra:
            extra.sendall(f"GET /api/municipalities HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            assert extra.recv(65536).startswith(b"HTTP/1.1 503")
        with socket.create_connection((host, port), timeout=5) as health:  # issue 24: never turned away
            health.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            assert health.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:
        assert json.load(response)["status"] == "ok"


def test_open_file_limit_is_raised_at_start(server: serve_fixtures.Server) -> None:
    limits = Path(f"/proc/{server.process.pid}/limits").read_text()
    line = next(x for x in limits.splitlines() if x.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    assert soft == hard and int(soft) >= LOWERED_NOFILE, line


def test_memory_bomb_adds_under_300_mb_to_the_server(server: serve_fixtures.Server) -> None:
    pid = server.process.pid
    _sparql(server, "ASK {}")
    before = _rss_kib(pid)
    status, body = _sparql(server, concat_bomb(BOMB_STEPS))
    after = _rss_kib(pid)
    print(f"memory bomb ({BOMB_STEPS} steps): HTTP {status}, server RSS {before} → {after} KiB")
    assert status in (400, 413) and len(body) < 2000, body[:300]
    assert after - before < 300 * 1024


def test_invalid_decimals_write_under_10_kb_of_log(server: serve_fixtures.Server) -> None:
    values = " ".join(f'"not-a-decimal-value-number-{i:05d}"^^xsd:decimal' for i in range(1800))
    query = (
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
        f"SELECT (SUM(?v) AS ?n) (MAX(?v) AS ?m) WHERE {{ VALUES ?v {{ {values} }} }}"
    )
    before = server.log.stat().st_size
    status, body = _sparql(server, query)
    time.sleep(0.5)
    grown = server.log.stat().st_size - before
    print(f"1,800 invalid decimals ({len(query)} bytes of query): HTTP {status}, {grown} bytes of log")
    assert status in (200, 400) and b"Error" not in body
    assert grown < 10 * 1024


def test_a_query_cannot_forge_a_log_line(server: serve_fixtures.Server) -> None:
    forged = "klimatgraf serve: ERROR FORGED"
    query = f"SELECT * WHERE {{ <http://x/a\\u000A{forged.replace(' ', '%20')}\\u001B[31m> ?p ?o }}"
    _sparql(server, query)
    _sparql(server, f'SELECT * WHERE {{ ?s ?p "\n{forged}\x1b[31m" }}')
    time.sleep(0.5)
    text = server.log.read_text(encoding="utf-8", errors="replace")
    assert "\x1b" not in text
    assert not any(line.startswith(forged) for line in text.splitlines())


FD_LIMIT = 192  # the server's hard open-file limit in the next test: its clients run it out


def test_out_of_file_descriptors_logs_little_and_healthz_recovers(
    served_build: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    log = tmp_path_factory.mktemp("fds") / "stderr.log"
    server = _start(served_build, log, FD_LIMIT, FD_LIMIT, "--header-timeout", "2", "--max-connections", "1000")
    held: list[socket.socket] = []
    try:
        before = log.stat().st_size
        started = time.monotonic()
        for _ in range(FD_LIMIT + 100):  # more idle connections than the server has descriptors
            try:
                held.append(socket.create_connection(_address(server), timeout=0.5))
            except OSError:
                break  # the backlog is full
        # while the clients still hold every socket, the header timeout frees the server's side
        deadline = time.monotonic() + 20
        healthy = False
        while not healthy and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{server.url}/healthz", timeout=3) as response:
                    healthy = json.load(response)["status"] == "ok"
            except OSError:
                time.sleep(0.2)
        elapsed = time.monotonic() - started
        text = log.read_text(encoding="utf-8", errors="replace")[before:]
        floods = text.count("out of system resource")
        print(f"{len(held)} idle connections vs {FD_LIMIT} descriptors: /healthz again after {elapsed:.1f} s, "
              f"{log.stat().st_size - before} bytes of log, {floods} accept errors logged")  # fmt: skip
        assert healthy, text[-2000:]
        assert len(held) > FD_LIMIT // 2
        assert floods <= elapsed + 2 and log.stat().st_size - before < 64 * 1024
    finally:
        for sock in held:
            sock.close()
        server.stop()


def test_the_default_allowed_hosts_of_the_cli(server: serve_fixtures.Server) -> None:
    """Started without --allowed-host on 127.0.0.1: its address and localhost are answered, another name 421."""
    host, port = _address(server)
    for name, status in ((f"{host}:{port}", b"200"), (f"localhost:{port}", b"200"), ("rebound.example", b"421")):
        with socket.create_connection((host, port), timeout=5) as conn:
            conn.sendall(f"GET /healthz HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
            assert conn.recv(65536).startswith(b"HTTP/1.1 " + status), name
