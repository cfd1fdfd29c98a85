"""Issue 24: an API fuzzer against every JSON route of a real `klimatgraf serve`, its cases
derived from the server's own OpenAPI schema (/openapi.json) by Schemathesis (installed by the
project's test extras): every answer must be below 500. Bounded in time: a fixed number of
examples per route, sent one at a time (so no queue is ever full and no 503 is by design).

Schemathesis's strategies are driven with Hypothesis directly (one run per operation, every
operation the schema lists), which needs nothing of its pytest plugin.
"""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

import serve_fixtures

served = serve_fixtures.served
served_build = serve_fixtures.served_build
EXAMPLES = 25  # per route: ~13 routes, well under a minute on 2 cores
JSON_ROUTES = {
    "GET /healthz", "GET /readyz", "GET /sparql", "POST /sparql", "GET /api/query", "GET /api/query/{name}",
    "GET /api/municipalities", "GET /api/documents/{doc_id}", "GET /api/compare", "GET /api/network",
    "GET /api/history/{name}", "GET /api/diff/{name}", "GET /api/search",
}  # fmt: skip


def _ready(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # /readyz says 503 while the model loads
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)


def test_no_route_answers_a_server_error(served: str) -> None:
    _ready(served)
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= JSON_ROUTES, {op.label for op in operations}
    server_errors: list[str] = []
    calls: dict[str, int] = {}
    for operation in operations:
        _fuzz(operation, calls, server_errors)
    print(f"\nSchemathesis: {sum(calls.values())} requests over {len(calls)} operations, "
          f"{len(server_errors)} answers of 500 or more")  # fmt: skip
    assert server_errors == []
    assert set(calls) >= JSON_ROUTES


def _fuzz(operation: Any, calls: dict[str, int], server_errors: list[str]) -> None:
    """EXAMPLES cases of one operation, drawn from its part of the schema."""
    label = operation.label

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(operation.as_strategy())
    def fuzz(case: Any) -> None:
        response = case.call(timeout=60)
        calls[label] = calls.get(label, 0) + 1
        if response.status_code >= 500:
            server_errors.append(f"{label} {response.status_code}: {case.path_parameters} {case.query} "
                                 f"{response.text[:200]}")  # fmt: skip

    fuzz()
