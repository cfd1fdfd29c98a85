"""`klimatgraf serve`: the real console script over HTTP, plus TestClient checks of each route."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import serve_fixtures
from conftest import ROOT, run_cli
from klimatgraf.serve.loading import loaded

served = serve_fixtures.served  # session fixtures shared with the other serve tests
served_build = serve_fixtures.served_build


def get(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def get_json(url: str) -> tuple[int, Any]:
    status, _, body = get(url)
    return status, json.loads(body)


def test_healthz_of_the_real_server(served: str, served_build: Path) -> None:
    status, health = get_json(f"{served}/healthz")
    assert status == 200 and health["status"] == "ok"
    manifest = json.loads((served_build / "build.json").read_text(encoding="utf-8"))
    assert health["documents"] == manifest["documents"] == 5
    assert health["triples"] == manifest["triples"]
    assert health["model"] == json.loads((served_build / "index" / "manifest.json").read_text())["model_id"]
    # started without --host, so it listens on the loopback address only (as its socket reports)
    log = serve_fixtures._MEMO["server"].log.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    assert f"klimatgraf serve: {served}/ (" in log
    assert served.startswith("http://127.0.0.1:")


def post(url: str, body: bytes, content_type: str, accept: str | None = None) -> tuple[int, str, bytes]:
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def sparql_url(base: str, query: str) -> str:
    return f"{base}/sparql?{urllib.parse.urlencode({'query': query})}"


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("klimatgraf: error: ")
    return lines[0]


MUNICIPALITIES_QUERY = (
    "PREFIX kg: <https://w3id.org/klimatgraf/ontology#> "
    "SELECT ?m ?name WHERE { ?m a kg:Municipality ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?name } "
    "ORDER BY ?m"
)
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


# ----------------------------------------------------------------------------- the real server


@pytest.mark.slow
@pytest.mark.parametrize(("flag", "param"), [((), "true"), (("--no-named-first",), "false")])
def test_named_first_is_the_clis(served: str, served_build: Path, flag: tuple[str, ...], param: str) -> None:
    question = "fjärrvärme i Avesta"  # names a municipality: its own text first unless told not to
    cli = run_cli("search", question, "--build-dir", str(served_build), "-k", "5", *flag, "--format", "json")
    assert cli.returncode == 0, cli.stderr
    query = urllib.parse.urlencode({"q": question, "k": "5", "named_first": param})
    status, api = get_json(f"{served}/api/search?{query}")
    assert status == 200 and api == json.loads(cli.stdout)
    assert ({h["municipality"] for h in api} == {"Avesta"}) == (param == "true")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("group", "extra"),
    [("paragraph", ()), ("municipality", ()), ("paragraph", ("-m", "Avesta", "--type", "avsiktsforklaring"))],
)
def test_search_json_is_the_clis(served: str, served_build: Path, group: str, extra: tuple[str, ...]) -> None:
    question = "vem arbetar med matsvinn?"
    cli = run_cli(
        "search", question, "--build-dir", str(served_build), "--group", group, "-k", "4", *extra, "--format", "json"
    )
    assert cli.returncode == 0, cli.stderr
    params: list[tuple[str, str]] = [("q", question), ("k", "4"), ("group", group)]
    params += [("m" if flag == "-m" else "type", value) for flag, value in zip(extra[::2], extra[1::2], strict=True)]
    status, api = get_json(f"{served}/api/search?{urllib.parse.urlencode(params)}")
    assert status == 200
    assert api == json.loads(cli.stdout)
    assert api, "the seeds answer this question"
    items = [e for g in api for e in g["evidence"]] if group == "municipality" else api
    for item in items:
        assert {"html", "document", "pid", "page", "section", "text"} <= set(item)
        assert "<mark>" in item["html"] or "matsvinn" not in item["text"].casefold()
        assert item["pid"].startswith(item["document"] + "/")


@pytest.mark.slow
def test_search_says_how_it_read_a_question_typed_without_diacritics(served: str) -> None:
    """As the CLI's stderr: a header with the question as read; the answer is the one for that reading."""
    for group in ("paragraph", "municipality"):
        typed = urllib.parse.urlencode({"q": "vem arbetar med atervinning", "group": group})
        with urllib.request.urlopen(f"{served}/api/search?{typed}", timeout=60) as response:
            read = urllib.parse.unquote(response.headers["X-Klimatgraf-Read-As"])
            answer = json.loads(response.read())
        assert read == "vem arbetar med återvinning"
        written = urllib.parse.urlencode({"q": read, "group": group})
        with urllib.request.urlopen(f"{served}/api/search?{written}", timeout=60) as response:
            assert "X-Klimatgraf-Read-As" not in response.headers
            assert json.loads(response.read()) == answer


@pytest.mark.slow
def test_search_all_and_nobody_are_the_clis(served: str, served_build: Path) -> None:
    for question, extra, query in (
        ("vem arbetar med matsvinn?", ("--all",), [("all", "true")]),
        ("xyzzy qwerty", (), []),
    ):
        cli = run_cli(
            "search", question, "--build-dir", str(served_build), "--group", "municipality", *extra, "--format", "json"
        )
        status, api = get_json(
            f"{served}/api/search?{urllib.parse.urlencode([('q', question), ('group', 'municipality'), *query])}"
        )
        assert status == 200 and api == json.loads(cli.stdout)
        assert cli.returncode == (0 if api else 1)
    assert api == []  # nobody: an empty list, not an error
    status, everyone = get_json(f"{served}/api/search?q=xyzzy+qwerty&group=municipality&all=true")
    assert status == 200 and everyone and not any(g["answers"] for g in everyone)


@pytest.mark.slow
def test_sparql_protocol_formats_match_the_cli(served: str, served_build: Path) -> None:
    for fmt, accept, media in (
        ("json", "application/sparql-results+json", "application/sparql-results+json"),
        ("csv", "text/csv", "text/csv"),
        ("tsv", "text/tab-separated-values", "text/tab-separated-values"),
    ):
        cli = run_cli("sparql", MUNICIPALITIES_QUERY, "--build-dir", str(served_build), "--format", fmt)
        assert cli.returncode == 0, cli.stderr
        status, content_type, body = get(sparql_url(served, MUNICIPALITIES_QUERY), accept)
        assert status == 200 and content_type.startswith(media)
        text = body.decode()
        if fmt == "csv":
            # W3C CSV: CRLF line ends (the CLI's text-mode pipe reads them as \n)
            rows = len(cli.stdout.splitlines()) - 1
            assert text.count("\r\n") == rows + 1 and rows > 5
        assert text.replace("\r\n", "\n").strip() == cli.stdout.strip()
    # the same query by POST, as a form and as an application/sparql-query body
    form = urllib.parse.urlencode({"query": MUNICIPALITIES_QUERY}).encode()
    by_form = post(f"{served}/sparql", form, "application/x-www-form-urlencoded")
    direct = post(f"{served}/sparql", MUNICIPALITIES_QUERY.encode(), "application/sparql-query")
    assert by_form[0] == direct[0] == 200 and by_form[2] == direct[2]
    assert len(json.loads(by_form[2])["results"]["bindings"]) == rows


@pytest.mark.slow
def test_construct_in_every_rdf_syntax_is_the_same_graph(served: str) -> None:
    from rdflib import Graph
    from rdflib.compare import isomorphic

    query = "CONSTRUCT { ?m ?p ?o } WHERE { ?m a <https://w3id.org/klimatgraf/ontology#Municipality> ; ?p ?o }"
    graphs = []
    for accept, rdf_format in (
        (None, "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ):
        status, content_type, body = get(sparql_url(served, query), accept)
        assert status == 200, body
        assert content_type.startswith(accept or "text/turtle")
        graphs.append(Graph().parse(data=body.decode(), format=rdf_format))
    assert len(graphs[0]) > 20
    assert all(isomorphic(graphs[0], other) for other in graphs[1:])


@pytest.mark.slow
def test_bad_sparql_update_and_negotiation(served: str) -> None:
    status, _, body = get(sparql_url(served, "SELECT ?s WHERE { ?s ?p }"))
    assert status == 400 and "line 1, column" in json.loads(body)["error"]
    status, _, body = get(f"{served}/sparql?{urllib.parse.urlencode({'update': 'CLEAR ALL'})}")
    assert status == 403 and "read-only" in json.loads(body)["error"]
    status, _, body = post(f"{served}/sparql", b"INSERT DATA { <a:b> <a:c> <a:d> }", "application/sparql-update")
    assert status == 403
    form = urllib.parse.urlencode({"query": "DELETE WHERE { ?s ?p ?o }"}).encode()
    status, _, body = post(f"{served}/sparql", form, "application/x-www-form-urlencoded")
    assert status == 403 and "read-only" in json.loads(body)["error"]
    status, _, body = get(sparql_url(served, MUNICIPALITIES_QUERY), "text/html")  # XML is offered since issue 15
    assert status == 406 and "application/sparql-results+json" in json.loads(body)["error"]
    status, _, body = get(f"{served}/sparql")
    assert status == 400 and "query" in json.loads(body)["error"]


@pytest.mark.slow
def test_a_runaway_query_is_stopped_while_others_are_served(served: str) -> None:
    import threading

    answers: list[tuple[int, str, bytes]] = []
    runaway = threading.Thread(target=lambda: answers.append(get(sparql_url(served, CARTESIAN))))
    runaway.start()
    status, health = get_json(f"{served}/healthz")
    twins = get(f"{served}/api/query/twins")
    still_running = runaway.is_alive()
    runaway.join(timeout=60)
    assert status == 200 and health["status"] == "ok" and twins[0] == 200
    assert still_running, "the runaway query should still be running when /healthz answers"
    assert answers and answers[0][0] == 503
    assert "stopped after 10 s" in json.loads(answers[0][2])["error"]


@pytest.mark.slow
def test_limits_port_in_use_and_missing_build(served: str, served_build: Path, tmp_path: Path) -> None:
    strict = serve_fixtures.start_server(served_build, tmp_path / "strict.log", "--timeout", "1", "--max-rows", "3")
    try:
        status, _, body = get(sparql_url(strict.url, MUNICIPALITIES_QUERY))
        assert status == 413 and "--max-rows" in json.loads(body)["error"]
        status, _, body = get(sparql_url(strict.url, MUNICIPALITIES_QUERY + " LIMIT 3"))
        assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 3
        status, _, body = get(sparql_url(strict.url, CARTESIAN))
        assert status == 503 and "stopped after 1 s" in json.loads(body)["error"]
        port = strict.url.rsplit(":", 1)[1]
        taken = run_cli("serve", "--build-dir", str(served_build), "--port", port)
        assert taken.returncode == 2 and "in use" in one_error_line(taken.stderr)
    finally:
        strict.stop()
    assert strict.process.returncode is not None
    missing = run_cli("serve", "--build-dir", str(tmp_path / "nothing"), "--port", "0")
    assert missing.returncode == 2
    assert "klimatgraf build" in one_error_line(missing.stderr)


@pytest.mark.slow
def test_serving_writes_nothing(served: str, served_build: Path) -> None:
    def snapshot() -> dict[str, tuple[int, int]]:
        return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(served_build.rglob("*"))}

    before = snapshot()
    for path in ("/healthz", "/api/search?q=laddinfrastruktur", "/api/query/twins", "/api/network",
                 "/api/compare?all=true", "/api/municipalities", "/openapi.json"):  # fmt: skip
        assert get(f"{served}{path}")[0] == 200, path
    assert snapshot() == before


# ----------------------------------------------------------------------------- routes in-process (TestClient)


@pytest.fixture(scope="module")
def service(served_build: Path) -> Any:
    from klimatgraf.serve import load_service

    return load_service(served_build, ROOT / "data", timeout=5, max_rows=1000)


@pytest.fixture(scope="module")
def client(service: Any) -> Any:
    from fastapi.testclient import TestClient

    from klimatgraf.serve import create_app

    return TestClient(create_app(service))


def error_of(response: Any, status: int) -> dict[str, Any]:
    """The JSON error body of a response with `status`: one line, never FastAPI's 422 'detail'."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) <= {"error", "suggestions"} and "\n" not in body["error"]
    return body


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"q": ""}, 400, "empty"),
        ({"q": "   "}, 400, "empty"),
        ({"q": "a" * 1001}, 400, "1000"),
        ({"q": "matsvinn", "k": "0"}, 400, "between 1 and 200"),
        ({"q": "matsvinn", "k": "201"}, 400, "between 1 and 200"),
        ({"q": "matsvinn", "k": "many"}, 400, "k"),
        ({"q": "matsvinn", "group": "county"}, 400, "municipality"),
        ({"q": "matsvinn", "type": "avtal"}, 400, "klimatkontrakt"),
        ({"q": "matsvinn", "retriever": "magic"}, 400, "hybrid"),
        ({"q": "matsvinn", "m": "Alvestaa"}, 404, "Alvestaa"),
    ],
)
def test_search_refuses_bad_input(client: Any, params: dict[str, str], status: int, says: str) -> None:
    body = error_of(client.get("/api/search", params=params), status)
    assert says in body["error"]
    if status == 404:
        assert "Alvesta" in body["suggestions"]


@pytest.mark.slow
def test_unknown_names_get_404_with_suggestions(client: Any) -> None:
    assert "twins" in error_of(client.get("/api/query/twinz"), 404)["suggestions"]
    body = error_of(client.get("/api/documents/alvesta-klimatkontract"), 404)
    assert body["suggestions"][0] == "alvesta-klimatkontrakt"
    assert "Avesta" in error_of(client.get("/api/compare", params={"m": ["Alvesta", "Avestaa"]}), 404)["suggestions"]
    assert "municipality" in error_of(client.get("/api/compare"), 400)["error"]
    assert "/openapi.json" in error_of(client.get("/api/nothing"), 404)["error"]


@pytest.mark.slow
def test_compare_is_the_clis(client: Any, served_build: Path) -> None:
    cli = run_cli("compare", "alvesta", "Ornskoldsvik", "--build-dir", str(served_build), "--format", "json")
    assert cli.returncode == 0, cli.stderr
    response = client.get("/api/compare", params={"m": ["alvesta", "Ornskoldsvik"]})
    assert response.status_code == 200
    assert response.json()["columns"] == ["attribute", "Alvesta", "Örnsköldsvik"]
    assert response.json()["rows"] == json.loads(cli.stdout)
    every = client.get("/api/compare", params={"all": "true"}).json()
    assert len(every["columns"]) == 1 + 5


@pytest.mark.slow
def test_concurrent_compares_all_get_the_same_answer(served: str) -> None:
    """rdflib's SPARQL parser is not thread-safe: parallel requests must not see false syntax errors."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    def fetch(_: int) -> tuple[int, bytes]:
        with urllib.request.urlopen(f"{served}/api/compare?all=true", timeout=120) as response:
            return response.status, response.read()

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(fetch, range(12)))
    assert {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1


@pytest.mark.slow
def test_documents_and_municipalities_come_from_the_build(client: Any, served_build: Path, corpus: Any) -> None:
    manifest = json.loads((served_build / "build.json").read_text(encoding="utf-8"))
    listed = client.get("/api/municipalities").json()
    assert [d["document"] for d in listed] == [d["doc_id"] for d in manifest["documents_detail"]]
    assert {"municipality", "kommunkod", "document", "file", "type"} == set(listed[0])
    for info in listed:
        document = client.get(f"/api/documents/{info['document']}").json()
        assert {k: document[k] for k in info} == info
        expected = [
            {"pid": p.pid, "section": p.section_path, "page": p.page, "text": p.text, "boilerplate": p.boilerplate}
            for p in corpus.paragraphs_of(info["document"])
        ]
        assert document["paragraphs"] == expected


@pytest.mark.slow
def test_named_queries_and_network(client: Any, service: Any) -> None:
    from klimatgraf.export import network, with_topics

    listed = client.get("/api/query").json()
    assert [q["name"] for q in listed] == sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    assert all(q["description"] and "SELECT" in q["query"] for q in listed)
    csv = client.get("/api/query/twins", headers={"Accept": "text/csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.startswith("twin,pioneer\r\n")
    net = client.get("/api/network").json()
    expected = with_topics(network(loaded(service.graph)), service.topic_profiles())  # the top concepts too (issue 23)
    assert any(n["type"] == "concept" for n in net["nodes"])
    assert len(net["nodes"]) == len(expected.nodes) and len(net["edges"]) == len(expected.edges)
    ids = {n["id"] for n in net["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in net["edges"])
    assert all(len(n["color"]) == 7 and n["color"].startswith("#") and n["size"] > 0 for n in net["nodes"])


@pytest.mark.slow
def test_page_static_and_openapi(client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from klimatgraf.serve import pages as serve

    monkeypatch.setattr(serve, "WEB_DIR", tmp_path)
    missing = client.get("/")
    assert missing.status_code == 503 and len(missing.text.strip().splitlines()) == 1
    (tmp_path / "index.html").write_text("<!doctype html><title>klimatgraf</title>", encoding="utf-8")
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "klimatgraf" in page.text
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/sparql", "/api/search", "/api/query/{name}", "/api/compare", "/api/network", "/healthz"):
        assert route in paths


def test_content_negotiation() -> None:
    from klimatgraf.serve import GRAPH_TYPES, SELECT_TYPES, negotiate

    assert negotiate(None, SELECT_TYPES) == "application/sparql-results+json"
    assert negotiate("*/*", GRAPH_TYPES) == "text/turtle"
    assert negotiate("text/csv;q=0.5, application/sparql-results+json", SELECT_TYPES) == SELECT_TYPES[0]
    assert negotiate("text/*", SELECT_TYPES) == "text/csv"
    assert negotiate("application/sparql-results+xml", SELECT_TYPES) == "application/sparql-results+xml"
    assert negotiate("text/html", SELECT_TYPES) is None
    assert negotiate("text/csv;q=0, */*;q=0.1", SELECT_TYPES) == SELECT_TYPES[0]
    assert negotiate("application/n-triples, text/turtle;q=0.9", GRAPH_TYPES) == "application/n-triples"


@pytest.mark.slow
def test_a_stopped_query_leaves_no_process_behind(service: Any) -> None:
    import multiprocessing

    from klimatgraf.serve import QueryRunner

    runner = QueryRunner(service.graph, timeout=0.5, max_rows=10)
    stopped = runner.run(CARTESIAN, None)
    assert stopped.status == 503 and "stopped after 0.5 s" in json.loads(stopped.body)["error"]
    assert multiprocessing.active_children() == []
    fine = runner.run("ASK { ?s ?p ?o }", None)
    assert fine.status == 200 and json.loads(fine.body)["boolean"] is True


# ----------------------------------------------------------------------------- the status each error class carries


def test_a_corrupt_build_found_at_request_time_is_500_with_its_line(
    client: Any, service: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An index read while answering (here: a copy whose faiss file is damaged, read by the real
    `load_index`) is a fault of the build, not of the request: 500 and the one line that says what to do."""
    import shutil

    from klimatgraf.errors import BuildCorruptError
    from klimatgraf.index import VECTORS, load_index

    damaged = tmp_path / "index"
    shutil.copytree(service.build_dir / "index", damaged)
    (damaged / VECTORS).write_bytes(b"not a faiss index")
    with pytest.raises(BuildCorruptError) as expected:
        load_index(damaged)
    for searcher in service.searchers:  # the server's pool of searchers (--search-workers)
        monkeypatch.setattr(searcher, "search", lambda *args, **kwargs: load_index(damaged))
    response = client.get("/api/search", params={"q": "matsvinn"})
    assert error_of(response, 500) == {"error": str(expected.value)}
    assert "klimatgraf build" in str(expected.value) and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("InputError", 400),
        ("DetectionError", 400),
        ("QueryError", 400),
        ("BuildMissingError", 500),
        ("BuildCorruptError", 500),
        ("LockError", 503),
        ("StoreError", 502),
    ],
)
def test_each_error_class_answers_its_status(
    client: Any, service: Any, monkeypatch: pytest.MonkeyPatch, name: str, status: int
) -> None:
    from klimatgraf import errors

    error = getattr(errors, name)
    assert error.http_status == status

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error("the reason;\n  what to do next")

    for searcher in service.searchers:  # the server's pool of searchers (--search-workers)
        monkeypatch.setattr(searcher, "search", fail)
    assert error_of(client.get("/api/search", params={"q": "matsvinn"}), status) == {
        "error": "the reason; what to do next"
    }


def test_bad_input_is_400(client: Any) -> None:
    assert "syntax error" in error_of(client.get("/sparql", params={"query": "SELEKT ?s"}), 400)["error"]
    assert "bad parameter" in error_of(client.get("/api/search", params={"q": "x", "all": "maybe"}), 400)["error"]


def test_a_router_answers_on_its_own(service: Any) -> None:
    """A router needs nothing from `create_app` but the service in `app.state` (deps.get_service)."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from klimatgraf.serve import browse

    app = FastAPI()
    app.state.service = service
    app.include_router(browse.router)
    alone = TestClient(app)
    assert alone.get("/api/municipalities").json() == service.documents
    assert alone.get("/api/query").json() == list(service.queries.values())
    assert alone.get("/sparql").status_code == 404  # the SPARQL router is not included


def test_a_search_past_its_deadline_is_503_and_its_slot_is_freed_when_it_ends(
    service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--search-timeout (issue 24): the answer comes at the deadline with Retry-After; the search
    itself cannot be stopped (a thread), so its slot and searcher come back when it ends (on the
    server's event loop: here the client's, kept for the whole test as uvicorn keeps its own)."""
    import threading
    import time

    from fastapi.testclient import TestClient

    from klimatgraf.serve import create_app

    release = threading.Event()
    slow = [searcher.search for searcher in service.searchers]

    def stuck(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return []

    for searcher in service.searchers:
        monkeypatch.setattr(searcher, "search", stuck)
    monkeypatch.setattr(service, "search_timeout", 0.3)
    with TestClient(create_app(service)) as client:
        started = time.monotonic()
        response = client.get("/api/search", params={"q": "matsvinn"})
        assert error_of(response, 503)["error"].startswith("the search took longer than 0.3 s")
        assert response.headers["retry-after"] and time.monotonic() - started < 5
        assert service.search_queue.running == 1  # still searching
        release.set()
        deadline = time.monotonic() + 5
        while service.search_queue.running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert service.search_queue.running == 0 and len(service.idle_searchers) == len(service.searchers)
    assert slow  # the real searches come back with monkeypatch
