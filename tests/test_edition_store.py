"""The default edition answered from the build's stores (issue 27): the same bytes as before, no rdflib parse.

The build writes graph-latest.nt (edition_graph) when some municipality has an earlier edition,
and oxigraph answers `--edition latest` (the default) from its on-disk copy; `--edition YEAR`
restricts an in-memory oxigraph store. A real build (CLI, graph only) of the seeds plus the
fixture editions of tests/fixtures/editions (Järfälla 2022 and 2024, Skellefteå 2023 beside the
seed's 2025-2026) is the material, as in test_editions.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from rdflib import Graph

from conftest import DATA, run_cli
from edition_outputs import GOLDEN, _call, digest, graph_digest, make_data, outputs
from klimatgraf import edition_graph, editions, sparql
from klimatgraf.errors import BuildCorruptError, QueryError
from klimatgraf.store import (
    BUILD_MANIFEST,
    GRAPH_LATEST_NT,
    GRAPH_NT,
    GRAPH_TTL,
    OXIGRAPH_DIR,
    TOPICS_JSON,
    BuildManifest,
)

FIXTURE_DOCUMENTS = {
    "jarfalla-klimatkontrakt-2022": False,
    "jarfalla-klimatkontrakt-2024": True,
    "skelleftea-klimatkontrakt-2023": False,
    "skelleftea-klimatkontrakt": True,
}


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("edition-store")
    data = make_data(root, DATA)
    result = run_cli("build", "--data-dir", str(data), "--build-dir", str(root / "build"), "--no-index")
    assert result.returncode == 0, result.stderr
    return data, root / "build"


def _copy(build: tuple[Path, Path], tmp_path: Path) -> Path:
    target = tmp_path / "build"
    shutil.copytree(build[1], target, ignore=shutil.ignore_patterns(OXIGRAPH_DIR))
    return target


# ----------------------------------------------------------------------------- the same bytes as before


@pytest.fixture(scope="module")
def found(build: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every output of the matrix (tests/edition_outputs.py) on today's code, as recorded in the golden file."""
    data, build_dir = build
    return digest(outputs(data, build_dir, tmp_path_factory.mktemp("work")))


def test_every_output_is_byte_identical_to_the_record_made_before_issue_27(
    build: tuple[Path, Path], found: dict[str, dict[str, Any]]
) -> None:
    """381 outputs: every named query × edition selector (none, latest, all, five years) × engine, compare,
    history, diff, sparql and every export, against tests/golden/edition_outputs.json, recorded by the
    code before issue 27 (the default edition then parsed and copied the whole graph with rdflib)."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert graph_digest(build[1]) == golden["graph_nt_sorted_sha256"], (
        "the seeds + fixture editions give another graph than the one the golden record was made of "
        "(the extraction or the fixtures changed): check the differences, then run tests/edition_outputs.py"
    )
    assert found.keys() == golden["outputs"].keys()
    changed = [key for key in found if found[key] != golden["outputs"][key]]
    assert not changed, f"{len(changed)} outputs changed, e.g. {changed[:5]}"
    assert sum(r["code"] == 0 for r in found.values()) > 200  # most of them are answers, not errors


def test_oxigraph_prints_what_the_rdflib_reference_prints_for_every_selector(found: dict[str, dict[str, Any]]) -> None:
    """The same matrix, engine against engine: the rdflib engine's path is the code before issue 27
    (a copy of the parsed graph without the other editions, evaluated by rdflib), so this holds
    whatever graph the seeds give, also after the golden record is made again."""
    pairs = [(key, key.replace("--engine oxigraph", "--engine rdflib")) for key in found if "--engine oxigraph" in key]
    # every named query (17 since issue 23) and compare for every selector, history, diff, the exports
    assert len(pairs) == 187
    different = [fast for fast, reference in pairs if found[fast] != found[reference]]
    assert not different, different[:5]


def test_a_build_from_before_graph_latest_gives_the_same_answers(build: tuple[Path, Path], tmp_path: Path) -> None:
    """Without graph-latest.nt (a build of an earlier version), the default edition is restricted in
    oxigraph at read time: the same bytes as the build's own file gives."""
    build_dir = build[1]
    old = _copy(build, tmp_path)
    (old / GRAPH_LATEST_NT).unlink()
    manifest = BuildManifest.read(old)
    files = {name: d for name, d in manifest.files.items() if name != GRAPH_LATEST_NT}
    (old / BUILD_MANIFEST).write_text(dataclasses.replace(manifest, files=files).to_json(), encoding="utf-8")
    for name in ("municipalities", "organisations", "targets", "twins"):
        args = ("query", name, "-f", "json")
        fresh = run_cli(*args, "--build-dir", str(build_dir))
        before = run_cli(*args, "--build-dir", str(old))
        assert before.returncode == 0, before.stderr
        assert (before.stdout, before.stderr) == (fresh.stdout, fresh.stderr), name
    assert not any(p.name.startswith(GRAPH_LATEST_NT) for p in (old / OXIGRAPH_DIR).iterdir())


# ----------------------------------------------------------------------------- what the build writes


def test_the_build_writes_the_latest_editions_graph_and_lists_it(build: tuple[Path, Path]) -> None:
    _, build_dir = build
    manifest = BuildManifest.read(build_dir)
    assert set(manifest.files) == {GRAPH_TTL, GRAPH_NT, GRAPH_LATEST_NT, TOPICS_JSON}
    store = edition_graph.load(build_dir / GRAPH_LATEST_NT)
    documents = edition_graph.documents_in(store)
    every, latest = edition_graph.latest_documents(edition_graph.load(build_dir / GRAPH_NT))
    assert documents == set(latest) and len(every) == len(latest) + 2
    for doc, is_latest in FIXTURE_DOCUMENTS.items():
        assert (doc in documents) is is_latest, doc
    # nothing of an earlier edition is left: its paragraphs and facts went with it
    text = (build_dir / GRAPH_LATEST_NT).read_text(encoding="utf-8")
    assert "jarfalla-klimatkontrakt-2022" not in text and "skelleftea-klimatkontrakt-2023" not in text
    assert "jarfalla-klimatkontrakt-2024/" in text


def test_a_build_of_single_editions_writes_no_latest_graph(seed_build: Path) -> None:
    assert set(BuildManifest.read(seed_build).files) == {GRAPH_TTL, GRAPH_NT, TOPICS_JSON}
    assert not (seed_build / GRAPH_LATEST_NT).exists()
    assert sparql.open_latest(seed_build) is None


def test_a_later_build_without_editions_removes_the_latest_graph_and_its_store(
    build: tuple[Path, Path], tmp_path: Path
) -> None:
    build_dir = _copy(build, tmp_path)
    assert run_cli("query", "twins", "--build-dir", str(build_dir)).returncode == 0  # makes both stores
    assert {p.name.rsplit("-", 3)[0] for p in (build_dir / OXIGRAPH_DIR).iterdir()} == {GRAPH_NT, GRAPH_LATEST_NT}
    result = run_cli("build", "--no-index", "--data-dir", str(DATA), "--build-dir", str(build_dir))  # the seeds only
    assert result.returncode == 0, result.stderr
    assert not (build_dir / GRAPH_LATEST_NT).exists()
    assert GRAPH_LATEST_NT not in BuildManifest.read(build_dir).files
    # the build made the new graph's store; the latest editions' store of the earlier build is gone
    assert [p.name.rsplit("-", 3)[0] for p in (build_dir / OXIGRAPH_DIR).iterdir()] == [GRAPH_NT]
    query = run_cli("query", "municipalities", "--build-dir", str(build_dir))
    assert query.returncode == 0 and "edition" not in query.stderr


def _triples(store: Any) -> set[str]:
    return {f"{q.subject} {q.predicate} {q.object}" for q in store}


@pytest.mark.parametrize("choice", ["latest", "2022", "2023", "2024", "2025", "one document"])
def test_oxigraph_restrict_leaves_the_triples_rdflib_restrict_leaves(build: tuple[Path, Path], choice: str) -> None:
    """edition_graph.restrict (pyoxigraph, what the build and --edition YEAR use) against editions.restrict
    (rdflib, the reference engine's): the same triples for every choice of editions."""
    _, build_dir = build
    graph = Graph().parse(build_dir / GRAPH_NT, format="nt")
    every = editions.editions(graph)
    chosen = every[:1] if choice == "one document" else editions.selected(every, choice)
    keep = [e.document for e in chosen]
    assert keep and len(keep) < len(every)
    reference = pyoxigraph.Store()
    reference.load(
        editions.restrict(graph, keep).serialize(format="nt", encoding="utf-8"), pyoxigraph.RdfFormat.N_TRIPLES
    )
    store = edition_graph.load(build_dir / GRAPH_NT)
    assert edition_graph.restrict(store, keep)
    assert _triples(store) == _triples(reference)
    assert edition_graph.documents_in(store) == set(keep)


def test_restrict_keeping_every_document_changes_nothing(build: tuple[Path, Path]) -> None:
    _, build_dir = build
    store = edition_graph.load(build_dir / GRAPH_NT)
    before = _triples(store)
    assert not edition_graph.restrict(store, edition_graph.documents_in(store))
    assert _triples(store) == before


# ----------------------------------------------------------------------------- no rdflib parse on the default paths


@pytest.fixture
def no_rdflib_graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """rdflib may neither parse a graph nor copy one without the other editions: each raises."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an rdflib graph was parsed or copied on a default path")

    monkeypatch.setattr(Graph, "parse", refuse)
    monkeypatch.setattr(editions, "restrict", refuse)
    monkeypatch.setattr(editions, "latest_graph", refuse)
    yield


def test_the_default_paths_of_query_compare_and_export_parse_no_graph_with_rdflib(
    build: tuple[Path, Path], tmp_path: Path, no_rdflib_graph: None
) -> None:
    """Deterministic guard (issue 27): with rdflib's parser patched to raise, the default paths of
    query, compare, history, diff and the exports still answer; the rdflib engine (which must parse)
    does fail, so the patch is in force. (`export rdf` in Turtle, JSON-LD and RDF/XML is rdflib's
    writers over the parsed graph; N-Triples is graph.nt itself.)"""
    from klimatgraf.cli.editions_cmds import compare, diff, history
    from klimatgraf.cli.export_cmds import export_csv, export_gephi, export_graphml, export_rdf
    from klimatgraf.cli.sparql_cmds import query
    from klimatgraf.output import Format
    from klimatgraf.vocabulary import DiffFormat, Engine, RdfFormat, SparqlFormat

    data, build_dir = build
    common = {"build_dir": build_dir, "engine": None}
    named = partial(query, list_=False, endpoint=None, graph=None, user=None, password_env=None, allow_service=False)
    commands: dict[str, Callable[[], None]] = {
        "query twins": partial(named, name="twins", fmt=SparqlFormat.json, edition=None, **common),
        "query organisations --edition 2022": partial(
            named, name="organisations", fmt=SparqlFormat.csv, edition="2022", **common
        ),
        "compare --all": partial(
            compare, municipalities=None, all_=True, data_dir=data, fmt=Format.json, edition=None, **common
        ),
        "compare Järfälla": partial(
            compare, municipalities=["Järfälla"], all_=False, data_dir=data, fmt=Format.csv, edition=None, **common
        ),
        "history": partial(history, name="Järfälla", data_dir=data, fmt=Format.json, **common),
        "diff": partial(diff, name="Järfälla", from_=None, to=None, data_dir=data, fmt=DiffFormat.json, **common),
        "export gephi": partial(
            export_gephi, build_dir=build_dir, output=tmp_path / "n.gexf", include=None, exclude=None
        ),
        "export graphml": partial(
            export_graphml, build_dir=build_dir, output=tmp_path / "n.graphml", include=None, exclude=None
        ),
        "export csv": partial(export_csv, build_dir=build_dir, output=tmp_path / "csv", include=None, exclude=None),
        "export rdf -f nt": partial(export_rdf, build_dir=build_dir, fmt=RdfFormat.nt, output=tmp_path / "g.nt"),
    }
    for label, command in commands.items():
        result = _call(command)
        assert result["code"] == 0, (label, result["stderr"])
        assert result["stdout"] or label.startswith("export"), label
    assert "latest edition" in _call(commands["query twins"])["stderr"]
    refused = _call(partial(named, name="twins", fmt=SparqlFormat.json, edition=None, build_dir=build_dir,
                            engine=Engine.rdflib))  # fmt: skip
    assert refused["code"] == 2 and "AssertionError" in refused["stderr"], refused["stderr"]


def test_the_guard_catches_the_old_default_path(build: tuple[Path, Path], no_rdflib_graph: None) -> None:
    """The code before issue 27 answered the default edition with `restrict(load_graph(…))`: both refused."""
    with pytest.raises(BuildCorruptError, match="unreadable \\(AssertionError\\)"):
        sparql.load_graph(build[1])
    with pytest.raises(AssertionError, match="parsed or copied"):
        editions.restrict(Graph(), [])


# ----------------------------------------------------------------------------- trusted query texts


def test_every_shipped_query_passes_the_guard_so_trusting_it_skips_nothing() -> None:
    from klimatgraf.config import queries_dir
    from klimatgraf.sparql_guard import check, check_text

    queries = sparql.list_queries()
    assert len(queries) == len(list(queries_dir().glob("*.rq"))) >= 13
    for q in queries:
        assert q.trusted, q.name
        check(q.text)  # raises on SERVICE, FROM, GRAPH, an update or a syntax error
        check_text(q.text)  # the guard the oxigraph engine runs on any other text
    check(edition_graph.LISTING)


def test_a_query_of_ones_own_queries_directory_is_not_trusted(
    build: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.rq").write_text(
        "# description: calls out\nSELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KLIMATGRAF_QUERIES", str(tmp_path))
    assert not sparql.named_query("mine").trusted
    result = run_cli("query", "mine", "--build-dir", str(build[1]), env={"KLIMATGRAF_QUERIES": str(tmp_path)})
    assert result.returncode == 2 and "SERVICE is refused" in result.stderr


# ----------------------------------------------------------------------------- checks: what is read is checked


def _same_size_damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4] = b"XXXX" if data[middle : middle + 4] != b"XXXX" else b"YYYY"
    path.write_bytes(bytes(data))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a write a second later


@pytest.mark.parametrize("name", [GRAPH_LATEST_NT, GRAPH_NT])
def test_a_damaged_graph_file_that_a_store_is_made_from_is_an_error_naming_it(
    build: tuple[Path, Path], tmp_path: Path, name: str
) -> None:
    build_dir = _copy(build, tmp_path)
    _same_size_damage(build_dir / name)
    result = run_cli("query", "municipalities", "--build-dir", str(build_dir))
    assert result.returncode == 2 and result.stdout == ""
    assert (
        name in result.stderr and "does not match its checksum" in result.stderr and "klimatgraf build" in result.stderr
    )


def test_a_truncated_graph_file_is_an_error_even_with_its_store_made(build: tuple[Path, Path], tmp_path: Path) -> None:
    build_dir = _copy(build, tmp_path)
    assert run_cli("query", "twins", "--build-dir", str(build_dir)).returncode == 0  # the stores exist now
    path = build_dir / GRAPH_TTL  # not read by oxigraph at all: its size is still checked
    path.write_bytes(path.read_bytes()[:-100])
    result = run_cli("query", "twins", "--build-dir", str(build_dir))
    assert result.returncode == 2 and GRAPH_TTL in result.stderr and "truncated" in result.stderr


def test_oxigraph_hashes_only_what_it_reads_and_rdflib_everything(build: tuple[Path, Path], tmp_path: Path) -> None:
    """graph.ttl damaged in place (same size): oxigraph, which reads graph.nt's stores, answers rightly;
    the rdflib engine, which checks every graph file before it parses one, refuses."""
    build_dir = _copy(build, tmp_path)
    expected = run_cli("query", "twins", "-f", "csv", "--build-dir", str(build_dir))
    _same_size_damage(build_dir / GRAPH_TTL)
    again = run_cli("query", "twins", "-f", "csv", "--build-dir", str(build_dir))
    assert again.returncode == 0 and again.stdout == expected.stdout
    refused = run_cli("query", "twins", "--engine", "rdflib", "--build-dir", str(build_dir))
    assert refused.returncode == 2 and GRAPH_TTL in refused.stderr and "checksum" in refused.stderr
    with pytest.raises(BuildCorruptError, match=r"graph\.ttl does not match"):
        sparql.load_graph(build_dir)


# ----------------------------------------------------------------------------- the server's start


def test_the_server_computes_the_same_answers_from_oxigraph(build: tuple[Path, Path]) -> None:
    """load_service answers compare and the named queries from oxigraph's latest-editions store, and
    the network from the whole graph's: the same as the rdflib copy (`latest_graph`) gave."""
    from klimatgraf.corpus import load_gazetteer
    from klimatgraf.formats import serialise_result
    from klimatgraf.serve import QueryRunner, Service, fixed_answers
    from klimatgraf.serve.loading import LoadingGraph, loaded
    from klimatgraf.serve.service import _graph_and_stores, _network_json, _paragraphs
    from klimatgraf.vocabulary import SparqlFormat

    data, build_dir = build
    parsing, whole, latest, _ = _graph_and_stores(build_dir)  # and the topic profiles (issue 23)
    assert isinstance(latest, sparql.OxigraphEngine) and isinstance(whole, sparql.OxigraphEngine)
    assert isinstance(parsing, LoadingGraph)  # the SPARQL endpoint's graph is parsed in a thread (issue 27)
    parsing.start()
    graph = loaded(parsing)
    assert len(graph) == len(parsing) == BuildManifest.read(build_dir).triples
    # the documents' paragraphs from the store are what the parsed graph gives, all or one by one
    paragraphs = _paragraphs(whole)
    assert paragraphs == _paragraphs(graph) and sum(map(len, paragraphs.values())) > 400
    assert all(_paragraphs(whole, doc) == {doc: paragraphs[doc]} for doc in paragraphs)
    queries = {q.name: {"name": q.name, "description": q.description, "query": q.text} for q in sparql.list_queries()}
    fields = {"build_dir": build_dir, "graph": graph, "searcher": None, "runner": QueryRunner(graph),
              "documents": [], "paragraphs": {}, "queries": queries, "gazetteer": load_gazetteer(data)}  # fmt: skip
    fast = fixed_answers(Service(**fields, latest=latest))  # type: ignore[arg-type]
    reference = fixed_answers(Service(**fields))  # type: ignore[arg-type]
    assert fast.comparison == reference.comparison and fast.comparison is not None
    for name in queries:
        a, b = fast.results[name], reference.results[name]
        assert not isinstance(a, str) and not isinstance(b, str), name
        for fmt in (SparqlFormat.json, SparqlFormat.csv, SparqlFormat.xml):
            assert serialise_result(a, fmt) == serialise_result(b, fmt), (name, fmt)
    assert _network_json(whole) == _network_json(graph)


def test_a_failing_query_leaves_no_oxigraph_object_for_another_thread(build: tuple[Path, Path]) -> None:
    """pyoxigraph frees its result objects only on the thread that made them; rdflib's parser leaves
    reference cycles through the frames below it, so the engine keeps its answer out of those frames."""
    import gc

    engine = sparql.open_engine(build[1], "oxigraph")
    gc.collect()
    gc.disable()
    try:
        engine.run("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
        with pytest.raises(QueryError):
            engine.run('SELECT ?x WHERE { BIND(xsd:integer("x") + 1 AS ?x) FILTER(?x > "a") }')
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [o for o in gc.garbage if type(o).__module__ == "pyoxigraph"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []


# ----------------------------------------------------------------------------- half-made stores


def test_a_build_removes_half_made_stores_of_killed_processes(build: tuple[Path, Path], tmp_path: Path) -> None:
    """The CLI's build makes the stores after its commit; killed then, it leaves a temporary
    directory in .oxigraph/, which the next build's recovery removes (no stray .tmp is left)."""
    build_dir = _copy(build, tmp_path)
    stale = build_dir / OXIGRAPH_DIR / ".graph.nt-1-2-3.0123456789ab.tmp"
    stale.mkdir(parents=True)
    (stale / "000004.log").write_bytes(b"half")
    result = run_cli("build", "--no-index", "--data-dir", str(build[0]), "--build-dir", str(build_dir))
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert [p.name for p in build_dir.rglob("*") if p.name.endswith(".tmp")] == []
    assert {p.name.rsplit("-", 3)[0] for p in (build_dir / OXIGRAPH_DIR).iterdir()} == {GRAPH_NT, GRAPH_LATEST_NT}


def test_a_reader_whose_half_made_store_is_removed_loads_the_graph_into_memory(
    build: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_dir = _copy(build, tmp_path)
    real = sparql._bulk_load
    calls: list[Path] = []

    def removed_meanwhile(store: Any, path: Path, fmt: Any) -> None:
        calls.append(path)
        if len(calls) == 1:  # the first load goes into the staging directory: removed from outside (not by
            # a build's recovery, which waits for readers: test_store_dir)
            (staging,) = (build_dir / OXIGRAPH_DIR).glob(".*.tmp")
            shutil.rmtree(staging)
            raise BuildCorruptError("gone")
        real(store, path, fmt)

    monkeypatch.setattr(sparql, "_bulk_load", removed_meanwhile)
    engine = sparql.open_engine(build_dir, "oxigraph")
    assert len(calls) == 2 and engine.run("ASK { ?s ?p ?o }").boolean is True
    assert list((build_dir / OXIGRAPH_DIR).iterdir()) == []
