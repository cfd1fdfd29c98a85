"""Every named query gives the same rows on rdflib and on pyoxigraph (an independent SPARQL engine).

The first tests compare raw pyoxigraph with rdflib; the rest check the `--engine` abstraction
(sparql.open_engine): identical values, identical W3C output bytes, identical `compare --all`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from rdflib import Graph, Literal

from conftest import ROOT, run_cli
from klimatgraf.cli.sparql_cmds import _print_result
from klimatgraf.compare import compare
from klimatgraf.errors import BuildCorruptError, BuildMissingError, QueryError
from klimatgraf.formats import serialise_result
from klimatgraf.reference import Gazetteer
from klimatgraf.sparql import (
    DEFAULT_ENGINE,
    ENGINES,
    OXIGRAPH_DIR,
    Engine,
    RdflibEngine,
    Result,
    list_queries,
    named_query,
    open_engine,
    run,
)
from klimatgraf.vocabulary import SparqlFormat

QUERIES = [q.name for q in list_queries()]


@pytest.fixture(scope="module")
def graphs(seed_build: Path) -> tuple[Graph, pyoxigraph.Store]:
    store = pyoxigraph.Store()
    store.bulk_load(path=str(seed_build / "graph.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return Graph().parse(seed_build / "graph.nt", format="nt"), store


NUMERIC = {"http://www.w3.org/2001/XMLSchema#decimal", "http://www.w3.org/2001/XMLSchema#integer"}


def to_csv(result: Result) -> str:
    return serialise_result(result, SparqlFormat.csv)


def to_json(result: Result) -> str:
    return serialise_result(result, SparqlFormat.json)


def _value(lexical: str, datatype: str | None) -> object:
    """Compare RDF values, not lexical forms: pyoxigraph writes the decimal 4.0 as "4"."""
    return Decimal(lexical) if datatype in NUMERIC else lexical


def _oxi_value(term: Any) -> object:
    if term is None:
        return None
    datatype = term.datatype.value if isinstance(term, pyoxigraph.Literal) else None
    return _value(term.value, datatype)


def _rdflib_value(term: Any) -> object:
    if term is None:
        return None
    datatype = str(term.datatype) if isinstance(term, Literal) and term.datatype else None
    return _value(str(term), datatype)


# the seeds hold no pioneer's contract, so no twin pair has both sides: checked on the generated corpus below
SEEDS_HAVE_NO_ROWS = {"twin-concepts"}


def test_there_are_seventeen_named_queries() -> None:
    # goals (issue 25) beside the thirteen before; concept-matrix, theme-headings and twin-concepts (issue 23)
    assert len(QUERIES) == 17


@pytest.mark.parametrize("name", QUERIES)
def test_named_query_rows_agree_on_rdflib_and_pyoxigraph(name: str, graphs: tuple[Graph, pyoxigraph.Store]) -> None:
    graph, store = graphs
    query = named_query(name)
    result = run(graph, query.text)
    rdflib_rows = [[_rdflib_value(t) for t in row] for row in result.rows]
    solutions = store.query(query.text)
    variables = [v.value for v in solutions.variables]
    oxigraph_rows = [[_oxi_value(solution[v]) for v in variables] for solution in solutions]
    assert variables == result.variables
    assert rdflib_rows or name in SEEDS_HAVE_NO_ROWS, f"{name} returned no rows on the seeds"
    assert rdflib_rows == oxigraph_rows


# ----------------------------------------------------------------------------- the --engine abstraction


def _plain_set(result: Result) -> set[tuple[object, ...]]:
    return {tuple(row[v] for v in result.variables) for row in result.plain_rows()}


@pytest.fixture(scope="module")
def engines(seed_build: Path) -> dict[str, Engine]:
    return {name: open_engine(seed_build, name) for name in ENGINES}


def test_both_engines_are_offered_and_oxigraph_is_the_default() -> None:
    assert set(ENGINES) == {"rdflib", "oxigraph"}
    assert DEFAULT_ENGINE == "oxigraph"


@pytest.mark.parametrize("name", QUERIES)
def test_open_engine_results_are_identical(name: str, engines: dict[str, Engine]) -> None:
    text = named_query(name).text
    reference, fast = engines["rdflib"].run(text), engines["oxigraph"].run(text)
    assert fast.variables == reference.variables
    assert _plain_set(fast) == _plain_set(reference)
    assert len(fast.rows) == len(reference.rows)
    # the W3C serialisations agree too, term by term (datatype, language), not only the values
    assert sorted(to_csv(fast).splitlines()) == sorted(to_csv(reference).splitlines())
    assert sorted(map(str, json.loads(to_json(fast))["results"]["bindings"])) == sorted(
        map(str, json.loads(to_json(reference))["results"]["bindings"])
    )


def test_compare_all_is_identical_on_both_engines(engines: dict[str, Engine], gazetteer: Gazetteer) -> None:
    reference = compare(engines["rdflib"], None, gazetteer)
    fast = compare(engines["oxigraph"], None, gazetteer)
    assert fast.columns == reference.columns
    assert fast.rows == reference.rows
    assert compare(load_graph_for_test(engines), None, gazetteer).rows == reference.rows


def load_graph_for_test(engines: dict[str, Engine]) -> Graph:
    """compare() still takes a plain rdflib Graph, as other callers (export, serve) pass one."""
    engine = engines["rdflib"]
    assert isinstance(engine, RdflibEngine)
    return engine.graph


def test_ask_and_construct_agree(engines: dict[str, Engine]) -> None:
    ask = "PREFIX kg: <https://w3id.org/klimatgraf/ontology#> ASK { ?t kg:twinOf ?p }"
    assert engines["rdflib"].run(ask).boolean is True
    assert engines["oxigraph"].run(ask).boolean is True
    construct = (
        "PREFIX kg: <https://w3id.org/klimatgraf/ontology#> CONSTRUCT { ?t kg:twinOf ?p } WHERE { ?t kg:twinOf ?p }"
    )
    a, b = engines["rdflib"].run(construct).graph, engines["oxigraph"].run(construct).graph
    assert a is not None and b is not None and len(a) == 3
    assert set(a) == set(b)


@pytest.mark.parametrize("engine", ENGINES)
def test_errors_are_query_errors_on_both_engines(engine: str, engines: dict[str, Engine]) -> None:
    with pytest.raises(QueryError, match=r"syntax error at line 2, column"):
        engines[engine].run("SELECT ?x WHERE {\n  ?x ?y }")
    with pytest.raises(QueryError, match="read-only"):
        engines[engine].run("INSERT DATA { <urn:a> <urn:b> <urn:c> }")


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_build_is_a_clear_error(engine: str, tmp_path: Path) -> None:
    with pytest.raises(BuildMissingError, match="klimatgraf build"):
        open_engine(tmp_path / "nothing", engine)


@pytest.mark.parametrize("fmt", list(SparqlFormat))
def test_printed_output_is_byte_identical_on_both_engines(
    fmt: SparqlFormat, engines: dict[str, Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    """What `query NAME --format F` prints (the CLI's own printer), for every named query."""
    for name in QUERIES:
        printed = {}
        for engine, loaded in engines.items():
            _print_result(loaded.run(named_query(name).text), fmt)
            printed[engine] = capsys.readouterr().out
        assert printed["oxigraph"] == printed["rdflib"], name


@pytest.mark.slow
def test_cli_query_is_byte_identical_on_both_engines(seed_build: Path) -> None:
    out = {e: run_cli("query", "targets", "--engine", e, "-f", "json", "--build-dir", str(seed_build)) for e in ENGINES}
    assert out["oxigraph"].returncode == 0, out["oxigraph"].stderr
    assert out["oxigraph"].stdout == out["rdflib"].stdout
    default = run_cli("query", "targets", "-f", "json", "--build-dir", str(seed_build))
    assert default.stdout == out["oxigraph"].stdout


@pytest.mark.slow
def test_cli_compare_all_is_byte_identical_on_both_engines(seed_build: Path) -> None:
    out = {e: run_cli("compare", "--all", "--engine", e, "-f", "csv", "--build-dir", str(seed_build)) for e in ENGINES}
    assert out["oxigraph"].returncode == 0, out["oxigraph"].stderr
    assert out["oxigraph"].stdout == out["rdflib"].stdout


def test_engine_cannot_be_combined_with_an_endpoint(seed_build: Path) -> None:
    result = run_cli("query", "twins", "--engine", "rdflib", "--endpoint", "http://127.0.0.1:9/sparql")
    assert result.returncode == 2
    assert result.stderr.startswith("klimatgraf: error: --engine")


@pytest.fixture(scope="module")
def generated_engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Engine]:
    """A generated corpus of 12 documents (bench/make_corpus.py): more twins, figures and targets than the seeds."""
    data = tmp_path_factory.mktemp("engines") / "data"
    made = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_corpus.py"), "12", str(data), "--seed", "11"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert made.returncode == 0, made.stderr
    build_dir = data.parent / "build"
    built = run_cli("build", "--no-index", "--data-dir", str(data), "--build-dir", str(build_dir))
    assert built.returncode == 0, built.stderr
    return {name: open_engine(build_dir, name) for name in ENGINES}


@pytest.mark.slow
def test_engines_agree_on_a_generated_corpus(generated_engines: dict[str, Engine], gazetteer: Gazetteer) -> None:
    for name in QUERIES:
        text = named_query(name).text
        reference, fast = generated_engines["rdflib"].run(text), generated_engines["oxigraph"].run(text)
        assert reference.rows, name
        assert _plain_set(fast) == _plain_set(reference), name
        assert sorted(to_csv(fast).splitlines()) == sorted(to_csv(reference).splitlines()), name
    assert (
        compare(generated_engines["oxigraph"], None, gazetteer).rows
        == compare(generated_engines["rdflib"], None, gazetteer).rows
    )


# ----------------------------------------------------------------------------- oxigraph's on-disk copy


def _count(engine: Engine) -> int:
    result = engine.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(result.plain_rows()[0]["n"])


def test_oxigraph_keeps_an_on_disk_copy_and_never_a_stale_one(seed_build: Path, tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    lines = (seed_build / "graph.nt").read_text(encoding="utf-8").splitlines(keepends=True)
    (build / "graph.nt").write_text("".join(lines), encoding="utf-8")
    first = open_engine(build, "oxigraph")
    copies = list((build / OXIGRAPH_DIR).iterdir())
    assert len(copies) == 1 and copies[0].is_dir()
    assert _count(first) == len(set(lines))
    again = open_engine(build, "oxigraph")  # opens the copy
    assert list((build / OXIGRAPH_DIR).iterdir()) == copies
    assert _count(again) == _count(first)
    # a new build replaces graph.nt: the next open must see the new graph, and the old copy goes
    replacement = tmp_path / "new.nt"
    replacement.write_text("".join(lines[:100]), encoding="utf-8")
    os.replace(replacement, build / "graph.nt")
    del first, again
    newer = open_engine(build, "oxigraph")
    assert _count(newer) == len(set(lines[:100]))
    assert [p.name for p in (build / OXIGRAPH_DIR).iterdir()] != [c.name for c in copies]
    assert len(list((build / OXIGRAPH_DIR).iterdir())) == 1


def test_oxigraph_falls_back_to_memory_when_no_copy_can_be_written(seed_build: Path, tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    shutil.copyfile(seed_build / "graph.nt", build / "graph.nt")
    (build / OXIGRAPH_DIR).write_text("not a directory", encoding="utf-8")
    engine = open_engine(build, "oxigraph")
    assert _count(engine) == _count(open_engine(seed_build, "rdflib"))
    assert (build / OXIGRAPH_DIR).is_file()


def test_a_corrupt_graph_is_a_clear_error_on_oxigraph(tmp_path: Path) -> None:
    (tmp_path / "graph.nt").write_text("<urn:a> <urn:b> this is not n-triples .\n", encoding="utf-8")
    with pytest.raises(BuildCorruptError, match="klimatgraf build"):
        open_engine(tmp_path, "oxigraph")


def test_oxigraph_in_memory_gives_the_same_answers_and_writes_nothing(seed_build: Path, tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    shutil.copyfile(seed_build / "graph.nt", build / "graph.nt")
    in_memory = open_engine(build, "oxigraph", memory=True)
    assert not (build / OXIGRAPH_DIR).exists()
    on_disk = open_engine(build, "oxigraph")
    for name in QUERIES:
        text = named_query(name).text
        assert to_csv(in_memory.run(text)) == to_csv(on_disk.run(text)), name
