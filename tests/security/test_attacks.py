"""The attack corpus (tests/security/attacks/) against /sparql in-process, and the CLI on both engines.

Findings 1 (SERVICE, FROM, GRAPH: refused from the parsed algebra, one message whatever the
target) and 5 (query faults: 400 with a fixed plain message, never a Python exception).
"""

from __future__ import annotations

import json
import re
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

import serve_fixtures
from conftest import ROOT, run_cli

from .conftest import Listener

served_build = serve_fixtures.served_build

CASES = Path(__file__).parent / "attacks"
EXPECTED: dict[str, dict[str, Any]] = {
    k: v for k, v in json.loads((CASES / "expected.json").read_text(encoding="utf-8")).items() if not k.startswith("_")
}
# what no answer may carry: a Python exception's name, a traceback, an interpreter limit
INTERNALS = re.compile(r"[A-Z][a-z]+(Error|Exception)\b|Traceback|recursion|NoneType|not supported between|File \"")


def attack(name: str, listener: Listener, build: Path, tmp: Path) -> str:
    text = (CASES / name).read_text(encoding="utf-8")
    return (
        text.replace("{LISTENER}", listener.url)
        .replace("{EXISTING_FILE}", str(build / "graph.nt"))
        .replace("{MISSING_FILE}", str(tmp / "no-such-file"))
        .replace("{DIRECTORY}", str(tmp))
    )


@pytest.fixture(scope="module")
def service(served_build: Path) -> Any:
    from klimatgraf.serve import load_service

    return load_service(served_build, ROOT / "data", timeout=10, max_rows=1000)


@pytest.fixture(scope="module")
def client(service: Any) -> Any:
    from fastapi.testclient import TestClient

    from klimatgraf.serve import create_app

    return TestClient(create_app(service))


def test_every_attack_has_an_expectation() -> None:
    assert {p.name for p in CASES.glob("*.rq")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_attack_on_the_endpoint(name: str, client: Any, listener: Listener, served_build: Path, tmp_path: Path) -> None:
    query = attack(name, listener, served_build, tmp_path)
    expected = EXPECTED[name]
    for response in (
        client.get("/sparql", params={"query": query}),
        client.post("/sparql", content=query.encode("utf-8", "surrogatepass"),
                    headers={"Content-Type": "application/sparql-query"}),
    ):  # fmt: skip
        assert response.status_code == expected["status"], response.text
        assert not INTERNALS.search(response.text), response.text
        if expected["status"] != 200:
            error = response.json()["error"]
            assert re.search(expected["error"], error), error
            assert "\n" not in error and listener.url not in error and str(tmp_path) not in error
    assert listener.connections == 0


def test_service_message_is_the_same_whatever_the_target(
    client: Any, listener: Listener, served_build: Path, tmp_path: Path
) -> None:
    names = [n for n in EXPECTED if n.startswith("service_")]
    errors = {client.get("/sparql", params={"query": attack(n, listener, served_build, tmp_path)}).text for n in names}
    assert len(names) >= 8 and len(errors) == 1, errors


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
@pytest.mark.parametrize("name", ["service_http.rq", "service_file_existing.rq", "from_url.rq", "graph_variable.rq"])
def test_cli_refuses_on_both_engines(
    name: str, engine: str, listener: Listener, served_build: Path, tmp_path: Path
) -> None:
    query_file = tmp_path / name
    query_file.write_text(attack(name, listener, served_build, tmp_path), encoding="utf-8")
    result = run_cli("sparql", str(query_file), "--build-dir", str(served_build), "--engine", engine)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(EXPECTED[name]["error"].lstrip("^").rstrip("$"), lines[0]), result.stderr
    if name.startswith("service_"):
        assert "--allow-service" in lines[0]
    assert result.stdout == "" and listener.connections == 0


def test_cli_allow_service_opts_in(served_build: Path) -> None:
    """With --allow-service the rdflib engine does call the named endpoint (a second, local listener)."""
    opted_in = Listener()
    try:
        query = f"SELECT * WHERE {{ SERVICE <{opted_in.url}> {{ ?s ?p ?o }} }}"
        result = run_cli("sparql", query, "--build-dir", str(served_build), "--engine", "rdflib", "--allow-service")
        assert opted_in.connections >= 1, result.stderr
        assert "SERVICE is refused" not in result.stderr
    finally:
        opted_in.close()


def test_a_listener_counts_what_it_receives() -> None:
    """The canary would notice a call: a second listener counts one connection made to it."""
    probe = Listener()
    try:
        with socket.create_connection(("127.0.0.1", probe.port), timeout=5):
            pass
        for _ in range(100):
            if probe.connections:
                break
            threading.Event().wait(0.02)
        assert probe.connections == 1
    finally:
        probe.close()


def test_the_canary_received_nothing(listener: Listener) -> None:
    assert listener.connections == 0


@pytest.mark.parametrize("name", ["regex_open_paren.rq", "lone_surrogate.rq", "year_of_garbage.rq", "sum_of_iris.rq"])
def test_cli_query_faults_are_one_line_and_exit_2(name: str, served_build: Path, tmp_path: Path) -> None:
    """The rdflib engine's faults (oxigraph answers these with unbound values) as one plain line."""
    query_file = tmp_path / name
    query_file.write_text((CASES / name).read_text(encoding="utf-8"), encoding="utf-8")
    for fmt in ("table", "json"):
        result = run_cli("sparql", str(query_file), "--build-dir", str(served_build), "--engine", "rdflib", "-f", fmt)
        assert result.returncode == 2 and result.stdout == "", result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "SPARQL evaluation failed" in lines[0] and not INTERNALS.search(lines[0])
