"""`--endpoint` queries refuse SPARQL Update with the one detector (sparql_guard.is_update), before any request.

A small HTTP server on 127.0.0.1 stands in for the store and records every request it gets: an update
must never reach it, and a plain SELECT (the control) must, so the test cannot pass by refusing all.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from conftest import run_cli
from klimatgraf import remote, sparql_guard
from klimatgraf.errors import QueryError

# the same updates in the forms the old regex of remote.py missed (BASE/PREFIX on the update's line,
# a comment first) and the ones it caught; every one must read the same: remote's update refusal
UPDATES = [
    "BASE <http://example.org/> INSERT DATA { <a> <b> <c> }",
    "PREFIX ex: <http://example.org/> DELETE WHERE { ?s ex:p ?o }",
    "PREFIX ex: <http://example.org/>\nDELETE WHERE { ?s ex:p ?o }",
    "BASE <http://example.org/>\nPREFIX ex: <http://example.org/> INSERT DATA { ex:a ex:b ex:c }",
    "# a comment first\nDROP GRAPH <urn:x>",
    "insert data { <http://a> <http://b> <http://c> }",
]
SELECT = 'SELECT ?s WHERE { ?s ?p "INSERT DATA" } LIMIT 1'


class _Store(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        _Store.seen.append(self.rfile.read(length).decode())
        body = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": []}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def store() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Store)
    _Store.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("text", UPDATES)
def test_remote_refuses_what_the_guard_calls_an_update_before_any_request(store: str, text: str) -> None:
    assert sparql_guard.is_update(text)
    with pytest.raises(QueryError) as caught:
        remote.query(remote.connect(store), text)
    assert str(caught.value) == remote.UPDATE_REFUSED
    assert _Store.seen == []


def test_a_select_mentioning_insert_goes_to_the_store(store: str) -> None:
    assert not sparql_guard.is_update(SELECT)
    result = remote.query(remote.connect(store), SELECT)
    assert result.rows == [] and len(_Store.seen) == 1


@pytest.mark.parametrize("text", UPDATES[:2])
def test_cli_refuses_an_update_for_the_endpoint_in_one_line(store: str, text: str) -> None:
    result = run_cli("sparql", text, "--endpoint", store)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == f"klimatgraf: error: {remote.UPDATE_REFUSED}"
    assert _Store.seen == []
