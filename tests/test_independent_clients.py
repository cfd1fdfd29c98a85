"""Outputs checked by independent real clients: graphology-gexf (Gephi Lite's parser), xmllint,
rapper (raptor2) and rdf-validate-shacl. `make test` installs them (see the Makefile's clients target)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Graph

from conftest import ROOT, run_cli
from klimatgraf.validate import validate

CLIENTS = ROOT / "tests" / "clients"
CASES = sorted((ROOT / "tests" / "shapes").glob("*/*.ttl"))


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed; run `make clients` (installs npm packages and Debian tools)"
    return path


def node(script: str, *args: str) -> dict:
    assert (CLIENTS / "node_modules").is_dir(), "tests/clients/node_modules is missing; run `make clients`"
    result = subprocess.run([tool("node"), str(CLIENTS / script), *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def exports(seed_build: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports")
    files = {"gexf": out / "net.gexf", "graphml": out / "net.graphml"}
    for kind, path in (("gephi", files["gexf"]), ("graphml", files["graphml"])):
        # the topic network too: concept nodes, municipality–concept edges, the similarity links
        result = run_cli("export", kind, "--build-dir", str(seed_build), "-o", str(path), "--similar", "2")
        assert result.returncode == 0, result.stderr
    return files


def test_graphology_gexf_reads_what_networkx_reads(exports: dict[str, Path]) -> None:
    parsed = node("check_gexf.mjs", str(exports["gexf"]))
    reference = nx.read_gexf(exports["gexf"])
    assert (parsed["order"], parsed["size"]) == (reference.number_of_nodes(), reference.number_of_edges())
    assert parsed["type"] == "directed"
    alvesta = parsed["nodes"]["https://w3id.org/klimatgraf/id/kommun/0764"]
    assert (alvesta["label"], alvesta["kommunkod"], alvesta["type"], alvesta["document_type"]) == (
        "Alvesta", "0764", "municipality", "klimatkontrakt",
    )  # fmt: skip
    colours = {attrs["type"]: attrs["color"] for attrs in parsed["nodes"].values()}
    assert colours["municipality"] == "rgba(0,114,178,1.0)" and len(set(colours.values())) == len(colours)
    assert all(attrs["size"] > 0 for attrs in parsed["nodes"].values())
    relations = {
        (e["source"].rsplit("/", 1)[-1], e["target"].rsplit("/", 1)[-1], e["relation"]) for e in parsed["edges"]
    }
    assert ("2084", "2081", "twin-of") in relations  # Avesta → Borlänge
    # weights: 1 for the graph's own links, passages for works-on (as networkx reads them), cosines for similar-to
    by_pair = {(s, t, d["relation"]): d["weight"] for s, t, d in reference.edges(data=True)}
    for e in parsed["edges"]:
        assert e["weight"] == by_pair[(e["source"], e["target"], e["relation"])]
        if e["relation"] not in ("works-on", "similar-to"):
            assert e["weight"] == 1
    assert ("0764", "mat-och-konsumtion", "works-on") in relations and ("0764", "2482", "similar-to") in relations
    concept = parsed["nodes"]["https://w3id.org/klimatgraf/id/concept/energisystem"]
    assert (concept["type"], concept["label"], concept["level"]) == ("concept", "Energisystem", "1")


def test_every_gexf_export_is_valid_against_the_gexf_1_3_schema(exports: dict[str, Path], seed_build: Path,
                                                                tmp_path: Path) -> None:  # fmt: skip
    """The normative RelaxNG of GEXF 1.3 (tests/clients/gexf-1.3, from gephi/gexf), with and without the
    topic network, and at another level of the vocabulary."""
    plain, level_two = tmp_path / "plain.gexf", tmp_path / "level2.gexf"
    for path, extra in ((plain, ["--exclude", "concept"]), (level_two, ["--concept-level", "2"])):
        result = run_cli("export", "gephi", "--build-dir", str(seed_build), "-o", str(path), *extra)
        assert result.returncode == 0, result.stderr
    schema = CLIENTS / "gexf-1.3" / "gexf.rng"
    for path in (exports["gexf"], plain, level_two):
        done = subprocess.run([tool("xmllint"), "--noout", "--relaxng", str(schema), str(path)],
                              capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "validates" in done.stderr


@pytest.mark.parametrize("kind", ["gexf", "graphml"])
def test_exports_are_well_formed_xml(exports: dict[str, Path], kind: str) -> None:
    result = subprocess.run([tool("xmllint"), "--noout", str(exports[kind])], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_rapper_parses_the_turtle_with_the_same_triple_count(seed_build: Path) -> None:
    result = subprocess.run(
        [tool("rapper"), "-i", "turtle", "-c", str(seed_build / "graph.ttl")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    count = int(re.search(r"returned (\d+) triples", result.stderr).group(1))  # type: ignore[union-attr]
    assert count == len(Graph().parse(seed_build / "graph.ttl"))


def _js_conforms(*data: Path) -> bool:
    shapes, ontology = ROOT / "shapes" / "klimatgraf.ttl", ROOT / "ontology" / "klimatgraf.ttl"
    return bool(node("shacl.mjs", str(shapes), str(ontology), *map(str, data))["conforms"])


def test_both_shacl_engines_accept_the_seed_graph(seed_build: Path) -> None:
    assert validate(Graph().parse(seed_build / "graph.ttl")).conforms
    assert _js_conforms(seed_build / "graph.ttl")


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_pyshacl_and_rdf_validate_shacl_agree(case: Path) -> None:
    assert validate(Graph().parse(case)).conforms == _js_conforms(case) == (case.parent.name == "valid")
