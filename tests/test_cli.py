"""The real `klimatgraf` console script: exit codes, stdout = data, stderr = people, atomic builds."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from conftest import ROOT, run_cli


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("klimatgraf: error: ")
    return lines[0]


def test_build_writes_graph_and_talks_only_on_stderr(seed_build: Path) -> None:
    assert (seed_build / "graph.ttl").stat().st_size > 0
    assert (seed_build / "graph.nt").stat().st_size > 0
    manifest = json.loads((seed_build / "build.json").read_text())
    assert manifest["documents"] == 5
    assert {d["kommunkod"] for d in manifest["documents_detail"]} == {"0764", "2084", "1781", "2284", "2482"}
    assert not list(seed_build.glob(".*.tmp"))


def test_build_summary_is_one_line_on_stderr_and_nothing_on_stdout(tmp_path: Path) -> None:
    result = run_cli("build", "--build-dir", str(tmp_path / "b"), "--no-index")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert re.search(r"built .*graph\.ttl: 5 documents, \d+ paragraphs", result.stderr)


def test_query_twins_lists_the_three_twin_pioneer_pairs(seed_build: Path) -> None:
    result = run_cli("query", "twins", "--build-dir", str(seed_build), "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["results"]["bindings"]
    pairs = {(r["twin"]["value"], r["pioneer"]["value"]) for r in rows}
    assert pairs == {("Avesta", "Borlänge"), ("Alvesta", "Växjö"), ("Kristinehamn", "Karlstad")}


def test_query_list_shows_the_ten_named_queries() -> None:
    result = run_cli("query", "--list", "--format", "csv")
    assert result.returncode == 0, result.stderr
    names = {row["name"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert {
        "municipalities",
        "twins",
        "commitments",
        "parties",
        "targets",
        "emissions",
        "themes",
        "organisations",
        "documents",
        "evidence",
    } <= names


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "tsv"])
def test_sparql_formats(seed_build: Path, fmt: str) -> None:
    query = "SELECT ?s WHERE { ?s a <https://w3id.org/klimatgraf/ontology#Municipality> } ORDER BY ?s LIMIT 2"
    result = run_cli("sparql", query, "--build-dir", str(seed_build), "--format", fmt)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["head"]["vars"] == ["s"] and len(data["results"]["bindings"]) == 2
    elif fmt == "csv":
        assert result.stdout.splitlines()[0] == "s" and len(result.stdout.splitlines()) == 3
    elif fmt == "tsv":
        lines = result.stdout.splitlines()
        assert lines[0] == "?s" and lines[1].startswith("<https://w3id.org/klimatgraf/id/kommun/")
    else:
        assert "kommun/" in result.stdout


def test_sparql_syntax_error_names_line_and_column(seed_build: Path) -> None:
    result = run_cli("sparql", "SELECT ?s WHERE {\n ?s ?p }", "--build-dir", str(seed_build))
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert "SPARQL syntax error at line" in line and "column" in line
    assert result.stdout == ""


def test_sparql_update_is_refused(seed_build: Path) -> None:
    result = run_cli("sparql", "DELETE WHERE { ?s ?p ?o }", "--build-dir", str(seed_build))
    assert result.returncode == 2
    assert "read-only" in one_error_line(result.stderr)


def test_unknown_query_name_lists_the_known_ones(seed_build: Path) -> None:
    result = run_cli("query", "twinz", "--build-dir", str(seed_build))
    assert result.returncode == 2
    assert "twins" in one_error_line(result.stderr)


def test_validate_seed_graph_conforms(seed_build: Path) -> None:
    result = run_cli("validate", "--build-dir", str(seed_build))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conforms" in result.stdout


def test_validate_reports_violations_with_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix kg: <https://w3id.org/klimatgraf/ontology#> .\n"
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        '<https://w3id.org/klimatgraf/id/kommun/12> a kg:Municipality ; dcterms:identifier "12" .\n',
        encoding="utf-8",
    )
    result = run_cli("validate", str(bad), "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["conforms"] is False and report["results"]


def test_validate_unparseable_graph_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text("this is not turtle <<<", encoding="utf-8")
    result = run_cli("validate", str(bad))
    assert result.returncode == 2
    one_error_line(result.stderr)


@pytest.mark.parametrize(
    ("fmt", "rdf_format"), [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("xml", "xml")]
)
def test_export_rdf_round_trips_to_the_same_graph(seed_build: Path, tmp_path: Path, fmt: str, rdf_format: str) -> None:
    out = tmp_path / f"graph.{fmt}"
    result = run_cli("export", "rdf", "--build-dir", str(seed_build), "--format", fmt, "-o", str(out))
    assert result.returncode == 0, result.stderr
    exported = Graph().parse(out, format=rdf_format)
    built = Graph().parse(seed_build / "graph.ttl", format="turtle")
    assert isomorphic(exported, built)


def test_missing_build_says_to_run_build(tmp_path: Path) -> None:
    result = run_cli("query", "twins", "--build-dir", str(tmp_path / "nothing"))
    assert result.returncode == 2
    assert "klimatgraf build" in one_error_line(result.stderr)


def test_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("build", "--data-dir", str(tmp_path / "nope"), "--build-dir", str(tmp_path / "b"), "--no-index")
    assert result.returncode == 2
    assert "does not exist" in one_error_line(result.stderr)


def test_corrupt_graph_names_the_file_and_the_fix(seed_build: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(seed_build, broken)
    (broken / "graph.nt").write_text("<not n-triples", encoding="utf-8")
    result = run_cli("query", "twins", "--build-dir", str(broken))
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert "graph.nt" in line and "klimatgraf build" in line


def test_a_bad_document_leaves_the_previous_build_intact(seed_build: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    build = tmp_path / "build"
    shutil.copytree(seed_build, build)
    before = {p.name: p.read_bytes() for p in build.iterdir() if p.is_file()}
    (data / "contracts" / "empty.txt").write_text("", encoding="utf-8")
    result = run_cli("build", "--data-dir", str(data), "--build-dir", str(build), "--no-index")
    assert result.returncode == 2
    assert "empty.txt" in one_error_line(result.stderr)
    after = {p.name: p.read_bytes() for p in build.iterdir() if p.is_file() and p.name != ".lock"}
    assert after == {k: v for k, v in before.items() if k != ".lock"}


def test_ingest_copies_a_new_contract_and_skips_a_duplicate(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "contracts").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "reference", data / "reference")
    seed = ROOT / "data" / "contracts" / "avesta-fordjupad-avsiktsforklaring.txt"
    args = ("--data-dir", str(data), "--build-dir", str(tmp_path / "b"), "--no-build")
    first = run_cli("ingest", str(seed), *args)
    assert first.returncode == 0, first.stderr
    assert "Avesta (2084), avsiktsforklaring" in first.stderr
    copy = tmp_path / "same-content.txt"
    shutil.copyfile(seed, copy)
    second = run_cli("ingest", str(copy), *args)
    assert second.returncode == 0
    assert "already ingested" in second.stderr
    assert sorted(p.name for p in (data / "contracts").iterdir()) == ["avesta-fordjupad-avsiktsforklaring.txt"]


def test_ingest_refuses_undetectable_text_and_copies_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "contracts").mkdir(parents=True)
    shutil.copytree(ROOT / "data" / "reference", data / "reference")
    odd = tmp_path / "odd.txt"
    odd.write_text("Ett klimatkontrakt utan någon kommun.", encoding="utf-8")
    result = run_cli("ingest", str(odd), "--data-dir", str(data), "--no-build")
    assert result.returncode == 2
    assert "--municipality" in one_error_line(result.stderr)
    assert not list((data / "contracts").iterdir())
    fixed = run_cli("ingest", str(odd), "--data-dir", str(data), "--no-build", "--municipality", "Lund")
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads((data / "overrides.json").read_text())["odd.txt"]["municipality"] == "1281"


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    help_text = run_cli("--help").stdout
    commands = re.findall(r"^  (\w[\w-]*)\s", help_text.split("Commands:")[1], re.MULTILINE)
    assert commands
    for command in commands:
        assert f"klimatgraf {command}" in readme, f"`klimatgraf {command}` is not documented in README.md"


def test_w3c_csv_uses_crlf_and_tsv_uses_n3_terms() -> None:
    from rdflib import Literal, URIRef

    from klimatgraf.formats import serialise_result
    from klimatgraf.sparql import Result
    from klimatgraf.vocabulary import SparqlFormat

    result = Result("SELECT", ["s", "name"], [[URIRef("https://x/1"), Literal("Örnsköldsvik", lang="sv")]])
    assert serialise_result(result, SparqlFormat.csv) == "s,name\r\nhttps://x/1,Örnsköldsvik\r\n"
    assert serialise_result(result, SparqlFormat.tsv) == '?s\t?name\n<https://x/1>\t"Örnsköldsvik"@sv\n'


# ----------------------------------------------------------------------------- the package split (issue 15)


def test_cli_modules_stay_small_and_declare_no_choices_of_their_own() -> None:
    package = ROOT / "src" / "klimatgraf" / "cli"
    modules = sorted(package.glob("*.py"))
    assert {p.name for p in modules} >= {"__init__.py", "common.py"} and len(modules) >= 6
    for module in modules:
        text = module.read_text(encoding="utf-8")
        assert len(text.splitlines()) < 450, module.name
        assert "type: ignore" not in text, module.name
        assert not re.search(r"^class \w+\((str, )?Enum\)", text, re.MULTILINE), module.name
        assert "default_build_dir()" not in text or module.name == "common.py", module.name


def test_an_override_with_an_unknown_type_is_one_line_naming_the_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "contracts").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "contracts" / "alvesta-klimatkontrakt.txt", data / "contracts")
    (data / "overrides.json").write_text(json.dumps({"alvesta-klimatkontrakt.txt": {"type": "avtal"}}))
    result = run_cli("build", "--data-dir", str(data), "--build-dir", str(tmp_path / "b"), "--no-index")
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert "alvesta-klimatkontrakt.txt" in line and "'avtal'" in line and "klimatkontrakt" in line
    assert not (tmp_path / "b" / "graph.ttl").exists()


def test_ingest_type_override_takes_the_vocabulary_choice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    source = ROOT / "data" / "contracts" / "alvesta-klimatkontrakt.txt"
    result = run_cli("ingest", str(source), "--data-dir", str(data), "--type", "avsiktsforklaring", "--no-build")
    assert result.returncode == 0, result.stderr
    assert "avsiktsforklaring" in result.stderr
    overrides = json.loads((data / "overrides.json").read_text())
    assert overrides["alvesta-klimatkontrakt.txt"]["type"] == "avsiktsforklaring"
    wrong = run_cli("ingest", str(source), "--data-dir", str(data), "--type", "avtal", "--no-build")
    assert wrong.returncode == 2 and "avtal" in wrong.stderr
