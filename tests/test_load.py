"""Load on a real `klimatgraf serve` (127.0.0.1 only, bounded in time): wrk from Debian sends
30 s (KLIMATGRAF_LOAD_SECONDS) of mixed search and SPARQL traffic from 4 concurrent connections,
while a cartesian-product query is stopped by the server's timeout and other requests keep being
answered.

Slow by design (half a minute of traffic), so it runs in `make test-reliability`, which `.ci/run`
calls.
The figures (requests, p50/p99) are printed, and written as JSON to $KLIMATGRAF_LOAD_REPORT when
set; docs/benchmarks.md quotes them. No timing is asserted, only correctness under load.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from serve_fixtures import served, served_build  # noqa: F401  (session fixtures)

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "load" / "mixed.lua"
DURATION_S = int(os.environ.get("KLIMATGRAF_LOAD_SECONDS", "30"))
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _post_sparql(url: str, query: str, timeout: float) -> tuple[int, dict[str, object], float]:
    data = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(
        f"{url}/sparql", data=data, headers={"Accept": "application/sparql-results+json"}, method="POST"
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), time.monotonic() - started


def _get(url: str, timeout: float = 30) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        response.read()
        return int(response.status)


def test_mixed_load_has_no_server_errors_and_a_cartesian_query_is_stopped(served: str) -> None:  # noqa: F811
    wrk = shutil.which("wrk")
    assert wrk, "wrk is missing: `make test-reliability` installs it (apt-get install wrk)"
    load = subprocess.Popen(
        [wrk, "-t2", "-c4", f"-d{DURATION_S}s", "--latency", "--timeout", "30s", "-s", str(SCRIPT), served + "/"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(min(5, DURATION_S / 4))  # the load is running
        slow: dict[str, object] = {}

        def run_slow() -> None:
            slow["status"], slow["body"], slow["seconds"] = _post_sparql(served, CARTESIAN, timeout=120)

        thread = threading.Thread(target=run_slow)
        thread.start()
        answered_meanwhile = []
        while thread.is_alive() and len(answered_meanwhile) < 20:
            answered_meanwhile.append(_get(f"{served}/healthz"))
            answered_meanwhile.append(_get(f"{served}/api/search?q=matsvinn&k=3"))
            time.sleep(0.2)
        thread.join(timeout=120)
        output, _ = load.communicate(timeout=DURATION_S + 120)
    finally:
        if load.poll() is None:
            load.kill()
    assert load.returncode == 0, output
    found = re.search(r"^KLIMATGRAF_LOAD (\{.*\})$", output, re.MULTILINE)
    assert found, output
    figures = json.loads(found.group(1))
    figures["slow_query_status"] = slow["status"]
    figures["slow_query_stopped_after_s"] = round(float(slow["seconds"]), 2)  # type: ignore[arg-type]
    print(json.dumps(figures, indent=2))
    if report := os.environ.get("KLIMATGRAF_LOAD_REPORT"):
        Path(report).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")

    assert figures["requests"] > 0
    assert not [s for s in figures["statuses"] if int(s) >= 500], figures["statuses"]
    assert set(figures["statuses"]) == {"200"}, figures["statuses"]
    for kind in ("errors_connect", "errors_read", "errors_write", "errors_timeout"):
        assert figures[kind] == 0, figures
    # the cartesian product was stopped by the server's timeout (503 with a one-line reason) …
    assert slow["status"] == 503, slow
    assert "stopped after" in str(slow["body"]), slow
    # … and while it ran, every other request was answered
    assert answered_meanwhile and all(status == 200 for status in answered_meanwhile)
