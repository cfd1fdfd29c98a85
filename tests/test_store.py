"""`klimatgraf push` and `--endpoint` against a real Virtuoso started by the test on 127.0.0.1.

The fixture runs its own `virtuoso-t +foreground` with a private database directory and free ports,
gives dba a fresh password through isql, and stops the server at the end; the system service is
never used. Every named query must give the same rows there as on the local build.
"""

from __future__ import annotations

import base64
import csv
import http.server
import io
import json
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from conftest import run_cli
from klimatgraf import remote
from klimatgraf.errors import InputError, StoreError
from klimatgraf.formats import serialise_result
from klimatgraf.sparql import list_queries, run
from klimatgraf.vocabulary import SparqlFormat

GRAPH = remote.DEFAULT_GRAPH
QUERIES = [q.name for q in list_queries()]
# named queries the seeds give no rows: the seeds hold no pioneer's contract, so no twin pair has both
# sides; these are compared on a generated corpus pushed to a graph of its own (`generated_pushed`)
SEEDS_HAVE_NO_ROWS = {"twin-concepts"}
GENERATED_GRAPH = "https://w3id.org/klimatgraf/graph-generated"
PASSWORD_ENV = "KLIMATGRAF_TEST_STORE_PASSWORD"


@dataclass(frozen=True)
class Virtuoso:
    endpoint: str
    password: str
    log: Path

    def env(self, password: str | None = None) -> dict[str, str]:
        return {PASSWORD_ENV: self.password if password is None else password}

    def store(self) -> remote.Store:
        return remote.connect(self.endpoint, user="dba", password=self.password)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
MaxClientConnections = 10
CheckpointInterval = 60
NumberOfBuffers = 2000
MaxDirtyBuffers = 1500
DirsAllowed = {d}
CaseMode = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {d}
MaxClientConnections = 10
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 10000
MaxQueryExecutionTime = 60
"""


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    server = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt")
    if server is None or isql is None:
        pytest.fail("virtuoso-t/isql-vt not found: run `make store` (Debian package virtuoso-opensource-7-bin)")
    directory = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = _free_port(), _free_port()
    (directory / "virtuoso.ini").write_text(INI.format(d=directory, sql=sql_port, http=http_port))
    log = directory / "stdout.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [server, "+foreground", "+configfile", str(directory / "virtuoso.ini")],
            cwd=directory,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        endpoint = f"http://127.0.0.1:{http_port}/sparql"
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"virtuoso-t exited early:\n{log.read_text(errors='replace')[-2000:]}"
            try:
                with urllib.request.urlopen(f"{endpoint}?query=ASK%7B%7D", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, f"virtuoso-t did not answer in 120 s:\n{log.read_text()[-2000:]}"
            time.sleep(0.3)
        password = "kg-" + secrets.token_hex(8)
        changed = subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"EXEC=USER_SET_PASSWORD('dba', '{password}');"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert changed.returncode == 0, changed.stdout + changed.stderr
        yield Virtuoso(endpoint, password, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def local_graph(seed_build: Path) -> Graph:
    return Graph().parse(seed_build / "graph.nt", format="nt")


@pytest.fixture(scope="module")
def pushed(virtuoso: Virtuoso, seed_build: Path) -> subprocess.CompletedProcess[str]:
    """The seed build pushed once with the real CLI (digest auth, password from the environment)."""
    args = ["push", "--endpoint", virtuoso.endpoint, "--build-dir", str(seed_build)]
    return run_cli(*args, "--user", "dba", "--password-env", PASSWORD_ENV, env=virtuoso.env())


@pytest.fixture(scope="module")
def generated_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated corpus of 8 documents (bench/make_corpus.py), where twins and their pioneers both have one."""
    import sys

    from conftest import ROOT

    data = tmp_path_factory.mktemp("generated") / "data"
    made = subprocess.run([sys.executable, str(ROOT / "bench" / "make_corpus.py"), "8", str(data), "--seed", "1"],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert made.returncode == 0, made.stderr
    build = data.parent / "build"
    built = run_cli("build", "--no-index", "--data-dir", str(data), "--build-dir", str(build))
    assert built.returncode == 0, built.stderr
    return build


@pytest.fixture(scope="module")
def generated_pushed(virtuoso: Virtuoso, generated_build: Path) -> subprocess.CompletedProcess[str]:
    args = ["push", "--endpoint", virtuoso.endpoint, "--build-dir", str(generated_build), "--graph", GENERATED_GRAPH]
    return run_cli(*args, "--user", "dba", "--password-env", PASSWORD_ENV, env=virtuoso.env())


def _count(virtuoso: Virtuoso, graph: str = GRAPH) -> int:
    return remote.count_triples(virtuoso.store(), graph)


def _upload_graphs(virtuoso: Virtuoso) -> list[str]:
    text = 'SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "urn:klimatgraf:upload:")) }'
    return [str(row[0]) for row in remote.query(virtuoso.store(), text).rows]


def _rows(csv_text: str) -> tuple[list[str], Counter[tuple[str, ...]]]:
    rows = list(csv.reader(io.StringIO(csv_text)))
    return rows[0], Counter(tuple(row) for row in rows[1:])


# ----------------------------------------------------------------------------- push


def test_push_uploads_the_graph_and_checks_the_count(
    pushed: subprocess.CompletedProcess[str], virtuoso: Virtuoso, local_graph: Graph
) -> None:
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout == ""
    assert f"0 triples replaced by {len(local_graph)}" in pushed.stderr
    assert "count matches" in pushed.stderr
    assert _count(virtuoso) == len(local_graph)
    assert _upload_graphs(virtuoso) == []


def test_the_store_holds_exactly_the_built_graph(pushed: subprocess.CompletedProcess[str], virtuoso: Virtuoso,
                                                 local_graph: Graph) -> None:  # fmt: skip
    # in sixteen parts by the first hex digit of the subject's MD5: the whole graph is more triples
    # than the store's ResultSetMaxRows, and Virtuoso cuts a CONSTRUCT there without a word
    assert not any(isinstance(term, BNode) for triple in local_graph for term in triple)
    stored = Graph()
    for digit in "0123456789abcdef":
        query = f'CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(STRSTARTS(MD5(STR(?s)), "{digit}")) }}'
        result = run_cli("sparql", query, "--endpoint", virtuoso.endpoint)
        assert result.returncode == 0, result.stderr
        stored.parse(data=result.stdout, format="turtle")
    assert len(stored) == len(local_graph)
    assert isomorphic(stored, local_graph)  # literals, language tags and datatypes survive the trip


def test_push_again_replaces_without_duplicates(
    pushed: subprocess.CompletedProcess[str], virtuoso: Virtuoso, local_graph: Graph, seed_build: Path
) -> None:
    assert pushed.returncode == 0, pushed.stderr
    again = run_cli(
        "push", "--endpoint", virtuoso.endpoint, "--build-dir", str(seed_build), "--user", "dba",
        "--password-env", PASSWORD_ENV, env=virtuoso.env(),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"{len(local_graph)} triples replaced by {len(local_graph)}" in again.stderr
    assert _count(virtuoso) == len(local_graph)
    distinct = remote.query(
        virtuoso.store(),
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }} }}",
    )
    assert int(str(distinct.rows[0][0])) == len(local_graph)
    assert _upload_graphs(virtuoso) == []


def test_push_to_another_named_graph_leaves_the_first_alone(
    pushed: subprocess.CompletedProcess[str], virtuoso: Virtuoso, seed_build: Path, local_graph: Graph
) -> None:
    other = "https://example.org/team/klimatgraf-test"
    result = run_cli(
        "push", "--endpoint", virtuoso.endpoint, "--build-dir", str(seed_build), "--graph", other, "--user", "dba",
        "--password-env", PASSWORD_ENV, env=virtuoso.env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _count(virtuoso, other) == len(local_graph)
    assert _count(virtuoso) == len(local_graph)
    twins = run_cli("query", "twins", "--endpoint", virtuoso.endpoint, "--graph", other, "-f", "csv")
    assert twins.returncode == 0, twins.stderr
    assert _rows(twins.stdout) == _rows(run_cli("query", "twins", "--build-dir", str(seed_build), "-f", "csv").stdout)


def test_a_failed_upload_leaves_the_graph_untouched(
    pushed: subprocess.CompletedProcess[str], virtuoso: Virtuoso, local_graph: Graph
) -> None:
    """Virtuoso's own PUT would leave half a graph; push uploads into a temporary graph first."""
    good = local_graph.serialize(format="nt", encoding="utf-8")
    broken = good[: len(good) // 2] + b"\n<urn:broken> <urn:broken\n"
    with pytest.raises(StoreError, match="HTTP 500"):
        remote.push(virtuoso.store(), GRAPH, broken, len(local_graph))
    assert _count(virtuoso) == len(local_graph)
    assert _upload_graphs(virtuoso) == []
    half = b"".join(good.splitlines(keepends=True)[:100])
    with pytest.raises(StoreError, match="unchanged"):
        remote.push(virtuoso.store(), GRAPH, half, len(local_graph))  # the count check catches a short upload
    assert _count(virtuoso) == len(local_graph)
    assert _upload_graphs(virtuoso) == []


# ----------------------------------------------------------------------------- remote queries


@pytest.mark.parametrize("name", QUERIES)
def test_named_query_gives_the_same_rows_on_the_store(
    name: str, pushed: subprocess.CompletedProcess[str], virtuoso: Virtuoso, local_graph: Graph,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    graph, local_graph_used = GRAPH, local_graph
    if name in SEEDS_HAVE_NO_ROWS:
        generated = request.getfixturevalue("generated_pushed")
        assert generated.returncode == 0, generated.stderr
        graph = GENERATED_GRAPH
        local_graph_used = Graph().parse(request.getfixturevalue("generated_build") / "graph.nt", format="nt")
    remote_csv = run_cli("query", name, "--endpoint", virtuoso.endpoint, "--graph", graph, "--format", "csv")
    assert remote_csv.returncode == 0, remote_csv.stderr
    local = run(local_graph_used, _text(name))
    remote_variables, remote_rows = _rows(remote_csv.stdout)
    local_variables, local_rows = _rows(serialise_result(local, SparqlFormat.csv))
    assert remote_variables == local_variables
    assert sum(local_rows.values()) > 0, (
        f"{name} gives no rows on the {'generated corpus' if graph != GRAPH else 'seeds'}"
    )
    assert remote_rows == local_rows
    # the typed JSON path too: plain Python values as the table output shows them
    remote_result = remote.query(virtuoso.store(), _text(name), graph)
    assert _multiset(remote_result.plain_rows()) == _multiset(local.plain_rows())


def _text(name: str) -> str:
    return next(q for q in list_queries() if q.name == name).text


def _multiset(rows: list[dict[str, object]]) -> Counter[str]:
    return Counter(json.dumps(row, sort_keys=True, default=str) for row in rows)


def test_sparql_endpoint_table_and_json_output(
    pushed: subprocess.CompletedProcess[str], virtuoso: Virtuoso, seed_build: Path
) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/klimatgraf/ontology#Municipality> }"
    as_json = run_cli("sparql", count, "--endpoint", virtuoso.endpoint, "-f", "json")
    assert as_json.returncode == 0, as_json.stderr
    local = run_cli("sparql", count, "--build-dir", str(seed_build), "-f", "json")
    assert json.loads(as_json.stdout) == json.loads(local.stdout)  # same W3C JSON, datatype included
    assert json.loads(as_json.stdout)["results"]["bindings"][0]["n"]["datatype"].endswith("#integer")
    table = run_cli("query", "twins", "--endpoint", virtuoso.endpoint)
    assert table.returncode == 0 and "pioneer" in table.stdout
    ask = run_cli("sparql", "ASK { ?s ?p ?o }", "--endpoint", virtuoso.endpoint, "--graph", "urn:klimatgraf:empty")
    assert (ask.returncode, ask.stdout) == (0, "false\n")


# ----------------------------------------------------------------------------- errors: one line, exit 2


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("klimatgraf: error: "), result.stderr
    return lines[0]


def test_wrong_password_is_refused_and_changes_nothing(
    pushed: subprocess.CompletedProcess[str], virtuoso: Virtuoso, seed_build: Path, local_graph: Graph
) -> None:
    result = run_cli(
        "push", "--endpoint", virtuoso.endpoint, "--build-dir", str(seed_build), "--user", "dba",
        "--password-env", PASSWORD_ENV, env=virtuoso.env("not-the-password"),
    )  # fmt: skip
    assert "refused user 'dba'" in _one_error_line(result)
    assert _count(virtuoso) == len(local_graph)


def test_push_without_credentials_says_which_options_to_pass(virtuoso: Virtuoso, seed_build: Path) -> None:
    result = run_cli("push", "--endpoint", virtuoso.endpoint, "--build-dir", str(seed_build))
    assert "pass --user and --password-env" in _one_error_line(result)


def test_connection_refused_is_one_line(seed_build: Path) -> None:
    endpoint = f"http://127.0.0.1:{_free_port()}/sparql"
    assert "connection refused" in _one_error_line(run_cli("query", "twins", "--endpoint", endpoint))
    result = run_cli(
        "push", "--endpoint", endpoint, "--build-dir", str(seed_build), "--user", "dba", "--password-env", "X",
        env={"X": "secret"},
    )  # fmt: skip
    assert "connection refused" in _one_error_line(result)


@pytest.mark.parametrize("endpoint", ["localhost:8890/sparql", "ftp://127.0.0.1/sparql", "http://", "http://h:99999/"])
def test_bad_endpoint_url_is_one_line(endpoint: str, seed_build: Path) -> None:
    assert "--endpoint" in _one_error_line(run_cli("push", "--endpoint", endpoint, "--build-dir", str(seed_build)))
    assert "--endpoint" in _one_error_line(run_cli("sparql", "ASK {}", "--endpoint", endpoint))


def test_password_handling_needs_a_source(virtuoso: Virtuoso, seed_build: Path) -> None:
    base = ["push", "--endpoint", virtuoso.endpoint, "--build-dir", str(seed_build), "--user", "dba"]
    assert "--password-env" in _one_error_line(run_cli(*base, input=""))  # no terminal to prompt on
    unset = run_cli(*base, "--password-env", "KLIMATGRAF_SURELY_UNSET_VARIABLE")
    assert "KLIMATGRAF_SURELY_UNSET_VARIABLE is not set" in _one_error_line(unset)
    assert "need --endpoint" in _one_error_line(run_cli("query", "twins", "--graph", GRAPH))


def test_bad_graph_iri_and_update_are_refused(virtuoso: Virtuoso) -> None:
    bad_graph = run_cli("query", "twins", "--endpoint", virtuoso.endpoint, "--graph", "not an iri")
    assert "absolute IRI" in _one_error_line(bad_graph)
    update = run_cli("sparql", "DROP GRAPH <urn:x>", "--endpoint", virtuoso.endpoint)
    assert "klimatgraf push" in _one_error_line(update)


def test_an_answer_cut_by_the_store_is_an_error_not_fewer_rows(
    pushed: subprocess.CompletedProcess[str], virtuoso: Virtuoso, local_graph: Graph
) -> None:
    """ResultSetMaxRows (10000, Debian's default, in the test's ini) cuts answers with only a header."""
    query = "SELECT ?s ?p ?o ?copy WHERE { ?s ?p ?o VALUES ?copy { 1 2 3 } }"
    assert 3 * len(local_graph) > 10000
    line = _one_error_line(run_cli("sparql", query, "--endpoint", virtuoso.endpoint, "-f", "csv"))
    assert "cut the answer at 10000 rows" in line


def test_a_server_error_is_reported_in_one_line(pushed: subprocess.CompletedProcess[str], virtuoso: Virtuoso) -> None:
    # valid SPARQL 1.1 for rdflib, but Virtuoso has no such function: its own message comes through
    query = "SELECT ?x WHERE { BIND(<urn:klimatgraf:no-such-function>(1) AS ?x) }"
    line = _one_error_line(run_cli("sparql", query, "--endpoint", virtuoso.endpoint))
    assert "failed with HTTP" in line


# ----------------------------------------------------------------------------- units (no server)


def test_json_results_are_normalised_to_local_terms() -> None:
    document = {
        "head": {"vars": ["a", "b", "c", "d", "e", "f"]},
        "results": {
            "bindings": [
                {
                    "a": {
                        "type": "typed-literal",
                        "datatype": "http://www.w3.org/2001/XMLSchema#decimal",
                        "value": "4",
                    },
                    "b": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#string", "value": "x"},
                    "c": {"type": "literal", "xml:lang": "sv", "value": "Växjö"},
                    "d": {"type": "uri", "value": "https://w3id.org/klimatgraf/id/kommun/0780"},
                    "e": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "7"},
                }
            ]
        },
    }
    result = remote.parse_json_results(document, "test")
    a, b, c, d, e, f = result.rows[0]
    assert a == Literal("4.0", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))
    assert b == Literal("x") and b.datatype is None
    assert c == Literal("Växjö", lang="sv")
    assert d == URIRef("https://w3id.org/klimatgraf/id/kommun/0780")
    assert e is not None and e.toPython() == 7
    assert f is None
    assert remote.parse_json_results({"head": {}, "boolean": True}, "test").boolean is True
    with pytest.raises(StoreError):
        remote.parse_json_results({"unexpected": 1}, "test")


@pytest.mark.parametrize(
    ("lexical", "canonical"),
    [("4", "4.0"), ("4.0", "4.0"), ("4.50", "4.5"), ("2.334", "2.334"), ("-0.0", "0.0"), ("1E3", "1000.0"),
     ("007.100", "7.1"), (".5", "0.5"), ("-12", "-12.0"), ("not a number", "not a number")],
)  # fmt: skip
def test_canonical_decimal(lexical: str, canonical: str) -> None:
    assert remote.canonical_decimal(lexical) == canonical


def test_connect_derives_virtuoso_urls_and_checks_them() -> None:
    store = remote.connect("http://host:8890/sparql")
    assert store.graph_store == "http://host:8890/sparql-graph-crud-auth"
    assert store.update == "http://host:8890/sparql-auth"
    fuseki = remote.connect("http://host:3030/ds/query", graph_store="http://host:3030/ds/data",
                            update="http://host:3030/ds/update")  # fmt: skip
    assert (fuseki.graph_store, fuseki.update) == ("http://host:3030/ds/data", "http://host:3030/ds/update")
    with pytest.raises(InputError, match="--graph-store"):
        remote.push(remote.connect("http://host:3030/ds/query"), GRAPH, b"", 0)
    with pytest.raises(InputError, match="--graph-store"):
        remote.connect("http://host/sparql", graph_store="file:///etc/passwd")


class _BasicAuthSparql(http.server.BaseHTTPRequestHandler):
    """A minimal endpoint that wants HTTP basic auth (Virtuoso uses digest); answers one fixed row."""

    expected = "Basic " + base64.b64encode(b"team:s3cret").decode()

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer()

    def _answer(self) -> None:
        if self.headers.get("Authorization") != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="klimatgraf-test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps(
            {"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", "value": "1"}}]}}
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_basic_auth_is_supported() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BasicAuthSparql)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        ok = remote.query(remote.connect(endpoint, user="team", password="s3cret"), "SELECT ?n WHERE { ?s ?p ?n }")
        assert [str(t) for t in ok.rows[0]] == ["1"]
        with pytest.raises(StoreError, match="refused user 'team'"):
            remote.query(remote.connect(endpoint, user="team", password="wrong"), "SELECT ?n WHERE { ?s ?p ?n }")
        with pytest.raises(StoreError, match="asks for credentials"):
            remote.query(remote.connect(endpoint), "SELECT ?n WHERE { ?s ?p ?n }")
    finally:
        server.shutdown()
        server.server_close()
