"""What the hostile-load tests share: raw sockets from chosen loopback addresses, a reader of one
HTTP answer, a /healthz prober that samples its latency in a thread, and the server's memory.

Every socket goes to the test's own `klimatgraf serve` on 127.0.0.1; "another user" is another
loopback source address (127.0.0.2, 127.0.0.3, …: all of 127.0.0.0/8 is this machine), so the
server's per-client limits see separate clients. Every loop here is bounded in count and time.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ATTACKER = "127.0.0.2"
VICTIM = "127.0.0.3"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# a long question of real Swedish words (about 190 tokens of e5): admitted, but the costliest kind
HEAVY_QUESTION = ("kommunen arbetar med energieffektivisering och förnybar energi i alla verksamheter " * 13)[:990]


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def connect(url: str, source: str = "127.0.0.1", timeout: float = 10) -> socket.socket:
    """A TCP connection to the server from `source` (a loopback address)."""
    return socket.create_connection(address(url), timeout=timeout, source_address=(source, 0))


def head(url: str, method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    """A request head (no body) with the Host the server answers for."""
    host, port = address(url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def read_answer(sock: socket.socket, timeout: float) -> Answer | None:
    """One HTTP answer from `sock`, or None when the server closed it without one (or nothing came in time)."""
    sock.settimeout(timeout)
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
    except (TimeoutError, ConnectionError, http.client.HTTPException, OSError):
        return None
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes `sock` (or resets it) within `seconds`; reads and drops what comes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except TimeoutError:
            return False
        except OSError:
            return True
    return False


def get(url: str, path: str, source: str = "127.0.0.1", timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """GET from `source`; (status, headers, body); status 0 when no answer came."""
    host, port = address(url)
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    except (OSError, http.client.HTTPException):
        return 0, {}, b""
    finally:
        conn.close()


def search_path(question: str, **params: str | int) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": question, **params})


def sparql_path(query: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query})


def timed_get(url: str, path: str, source: str = "127.0.0.1", timeout: float = 30) -> tuple[int, float]:
    started = time.perf_counter()
    status, _, _ = get(url, path, source, timeout)
    return status, time.perf_counter() - started


_PROBE = """
import http.client, sys, time
host, port, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
while True:
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        status = response.status
        conn.close()
    except (OSError, http.client.HTTPException):
        status = 0
    print(status, time.perf_counter() - started, flush=True)
    time.sleep(interval)
"""


@dataclass
class HealthProbe:
    """Samples GET /healthz every `interval` s until stopped: (status, seconds) each.

    It runs in a process of its own, so the attack's own threads in the test process (fifty
    clients at once) cannot delay the probe and be counted as the server's latency."""

    url: str
    interval: float = 0.1
    samples: list[tuple[int, float]] = field(default_factory=list)
    _process: subprocess.Popen[str] | None = None

    def __enter__(self) -> HealthProbe:
        host, port = address(self.url)
        self._process = subprocess.Popen(
            [sys.executable, "-c", _PROBE, host, str(port), str(self.interval)], stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        self._process.stdout.readline()  # the first sample: the probe is running
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None
        self._process.terminate()
        out, _ = self._process.communicate(timeout=30)
        for line in out.splitlines():
            status, seconds = line.split()
            self.samples.append((int(status), float(seconds)))

    @property
    def worst(self) -> float:
        return max((s for _, s in self.samples), default=0.0)

    def summary(self) -> str:
        times = sorted(s for _, s in self.samples)
        statuses = sorted({st for st, _ in self.samples})
        if not times:
            return "no samples"
        return (
            f"{len(times)} samples, statuses {statuses}, median {times[len(times) // 2] * 1000:.0f} ms, "
            f"worst {times[-1] * 1000:.0f} ms"
        )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def children(pid: int) -> list[int]:
    """The server's child processes (its query processes), from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def json_of(body: bytes) -> dict[str, object]:
    value = json.loads(body)
    assert isinstance(value, dict)
    return value
