"""Network exports read back by an independent client (networkx) with the same content."""

from __future__ import annotations

import csv
from pathlib import Path

import networkx as nx
import pytest

from conftest import run_cli


@pytest.fixture(scope="module")
def gexf(seed_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gephi") / "net.gexf"
    result = run_cli("export", "gephi", "--build-dir", str(seed_build), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    return out


def test_gexf_is_read_by_networkx_with_typed_nodes_and_relations(gexf: Path) -> None:
    graph = nx.read_gexf(gexf)
    types = {data["type"] for _, data in graph.nodes(data=True)}
    assert {"municipality", "agency", "programme", "commitment"} <= types
    labels = {data["label"]: data for _, data in graph.nodes(data=True)}
    assert labels["Alvesta"]["kommunkod"] == "0764"
    assert labels["Alvesta"]["document_type"] == "klimatkontrakt"
    relations = {
        (graph.nodes[s]["label"], graph.nodes[t]["label"], d["relation"]) for s, t, d in graph.edges(data=True)
    }
    assert ("Avesta", "Borlänge", "twin-of") in relations
    assert ("Kristinehamn", "Karlstad", "twin-of") in relations
    assert all(d["weight"] == 1.0 for _, _, d in graph.edges(data=True))
    assert all("viz" in data and "color" in data["viz"] for _, data in graph.nodes(data=True))


def test_graphml_has_the_same_nodes_and_edges_as_gexf(seed_build: Path, gexf: Path, tmp_path: Path) -> None:
    out = tmp_path / "net.graphml"
    result = run_cli("export", "graphml", "--build-dir", str(seed_build), "-o", str(out))
    assert result.returncode == 0, result.stderr
    graphml, from_gexf = nx.read_graphml(out), nx.read_gexf(gexf)
    assert graphml.number_of_nodes() == from_gexf.number_of_nodes()
    assert graphml.number_of_edges() == from_gexf.number_of_edges()
    assert {d["relation"] for _, _, d in graphml.edges(data=True)} == {
        d["relation"] for _, _, d in from_gexf.edges(data=True)
    }


def test_csv_export_and_node_type_filters(seed_build: Path, tmp_path: Path) -> None:
    result = run_cli("export", "csv", "--build-dir", str(seed_build), "-o", str(tmp_path), "--include", "municipality")
    assert result.returncode == 0, result.stderr
    nodes = list(csv.DictReader((tmp_path / "nodes.csv").open(encoding="utf-8")))
    edges = list(csv.DictReader((tmp_path / "edges.csv").open(encoding="utf-8")))
    assert nodes and {n["type"] for n in nodes} == {"municipality"}
    assert {e["relation"] for e in edges} == {"twin-of"}


def test_unknown_node_type_is_exit_2(seed_build: Path, tmp_path: Path) -> None:
    result = run_cli(
        "export", "gephi", "--build-dir", str(seed_build), "-o", str(tmp_path / "x.gexf"), "--include", "city"
    )
    assert result.returncode == 2
    assert "unknown node type" in result.stderr
