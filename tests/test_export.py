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
    assert {"municipality", "agency", "programme", "commitment", "concept"} <= types
    labels = {data["label"]: data for _, data in graph.nodes(data=True)}
    assert labels["Alvesta"]["kommunkod"] == "0764"
    assert labels["Alvesta"]["document_type"] == "klimatkontrakt"
    relations = {
        (graph.nodes[s]["label"], graph.nodes[t]["label"], d["relation"]) for s, t, d in graph.edges(data=True)
    }
    assert ("Avesta", "Borlänge", "twin-of") in relations
    assert ("Kristinehamn", "Karlstad", "twin-of") in relations
    assert all(d["weight"] == 1.0 for _, _, d in graph.edges(data=True) if d["relation"] != "works-on")
    assert all("viz" in data and "color" in data["viz"] for _, data in graph.nodes(data=True))


def test_concept_nodes_are_weighted_by_the_passages_of_the_matrix(seed_build: Path, gexf: Path) -> None:
    """A bipartite topic network: each municipality → each top concept its own text names, weighted by
    its own passages, exactly the cells of `klimatgraf themes`; nothing the matrix does not have."""
    import json

    graph = nx.read_gexf(gexf)
    matrix = json.loads(run_cli("themes", "--build-dir", str(seed_build), "--format", "json").stdout)
    expected = {
        (row["municipality"], concept["label"]): row["cells"][concept["id"]]["passages"]
        for row in matrix["rows"]
        for concept in matrix["concepts"]
        if row["cells"][concept["id"]]["passages"]
    }
    found = {
        (graph.nodes[s]["label"], graph.nodes[t]["label"]): d["weight"]
        for s, t, d in graph.edges(data=True)
        if d["relation"] == "works-on"
    }
    assert found == expected and len(found) > 40
    concepts = [data for _, data in graph.nodes(data=True) if data["type"] == "concept"]
    assert {c["label"] for c in concepts} == {c["label"] for c in matrix["concepts"]}
    assert all(c["level"] == "1" and c["label_en"] for c in concepts)


def test_similarity_links_are_the_top_k_cosines_of_the_concept_profiles(seed_build: Path, tmp_path: Path) -> None:
    import math

    from klimatgraf.topics import read_profiles

    out = tmp_path / "similar.graphml"
    result = run_cli("export", "graphml", "--build-dir", str(seed_build), "-o", str(out), "--similar", "1")
    assert result.returncode == 0, result.stderr
    graph = nx.read_graphml(out)
    links = {(s.rsplit("/", 1)[-1], t.rsplit("/", 1)[-1]): d["weight"] for s, t, d in graph.edges(data=True)
             if d["relation"] == "similar-to"}  # fmt: skip
    # the cosines recomputed here from the profiles, by plain Python: each municipality's nearest one is linked
    profiles = read_profiles(seed_build)
    vectors: dict[str, dict[str, int]] = {}
    for doc in profiles.documents.values():
        vector = vectors.setdefault(doc.edition.kommunkod, {})
        for concept, ordinals in doc.concepts.items():
            vector[concept] = vector.get(concept, 0) + len(ordinals)

    def cosine(a: dict[str, int], b: dict[str, int]) -> float:
        dot = sum(n * b.get(c, 0) for c, n in a.items())
        return dot / math.sqrt(sum(n * n for n in a.values()) * sum(n * n for n in b.values()))

    expected = {}
    for code, vector in vectors.items():
        best = min((other for other in vectors if other != code), key=lambda o: (-cosine(vector, vectors[o]), o))
        expected[tuple(sorted((code, best)))] = round(cosine(vector, vectors[best]), 4)
    assert links == expected
    assert all(0 < w <= 1 for w in links.values())


def test_concept_level_and_similar_take_bad_input_as_exit_2(seed_build: Path, tmp_path: Path) -> None:
    for extra in (["--concept-level", "0"], ["--concept-level", "9"], ["--similar", "-1"]):
        result = run_cli("export", "gephi", "--build-dir", str(seed_build), "-o", str(tmp_path / "x.gexf"), *extra)
        assert result.returncode == 2, extra
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
        assert not (tmp_path / "x.gexf").exists()


def test_nodes_have_colours(gexf: Path) -> None:
    graph = nx.read_gexf(gexf)
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
