"""The ten named queries over the real seed build return what a reader finds in the documents."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph

from klimatgraf.sparql import named_query, run


@pytest.fixture(scope="module")
def graph(seed_build: Path) -> Graph:
    return Graph().parse(seed_build / "graph.nt", format="nt")


def rows(graph: Graph, name: str) -> list[dict[str, Any]]:
    return run(graph, named_query(name).text).plain_rows()


def test_municipalities_have_type_version_and_signing_date(graph: Graph) -> None:
    found = {r["municipality"]: r for r in rows(graph, "municipalities")}
    assert set(found) == {"Alvesta", "Avesta", "Kristinehamn", "Örnsköldsvik", "Skellefteå"}
    assert found["Alvesta"]["kommunkod"] == "0764"
    assert found["Örnsköldsvik"]["kommunkod"] == "2284"
    assert {m for m, r in found.items() if r["document_type"] == "avsiktsforklaring"} == {"Avesta", "Kristinehamn"}
    assert found["Örnsköldsvik"]["version"] == "2025-2026"
    assert str(found["Avesta"]["signed"]) == "2025-12-05"
    assert str(found["Kristinehamn"]["signed"]) == "2025-12-05"


def test_twins_point_at_their_pioneers(graph: Graph) -> None:
    assert {(r["twin"], r["pioneer"]) for r in rows(graph, "twins")} == {
        ("Avesta", "Borlänge"),
        ("Alvesta", "Växjö"),
        ("Kristinehamn", "Karlstad"),
    }


def test_adopted_commitments_per_municipality(graph: Graph) -> None:
    adopted: dict[str, set[int]] = defaultdict(set)
    for r in rows(graph, "commitments"):
        adopted[r["municipality"]].add(int(r["number"]))
    assert dict(adopted) == {
        "Alvesta": {1, 2, 3, 6, 8, 9},
        "Örnsköldsvik": {1, 2, 3, 6, 9},
        "Skellefteå": {1, 2, 3, 4, 8},
        "Avesta": {1, 2, 3, 4, 6, 10},
        "Kristinehamn": {1, 2, 3, 10},
    }


def test_contracts_name_the_six_agencies_and_viable_cities_as_parties(graph: Graph) -> None:
    parties: dict[str, set[str]] = defaultdict(set)
    for r in rows(graph, "parties"):
        parties[r["municipality"]].add(r["party"])
    agencies = {"Energimyndigheten", "Formas", "Naturvårdsverket", "Tillväxtverket", "Trafikverket", "Vinnova"}
    for contract in ("Alvesta", "Örnsköldsvik", "Skellefteå"):
        assert agencies | {"Viable Cities"} <= parties[contract]


def test_targets_match_the_documents(graph: Graph) -> None:
    targets = {(r["municipality"], r["scope"], r["kind"], int(r["target_year"])): r for r in rows(graph, "targets")}
    reduction = targets[("Alvesta", "geographic", "reduction", 2030)]
    assert float(reduction["value"]) == 80 and int(reduction["base_year"]) == 2019 and reduction["unit"] == "percent"
    assert ("Alvesta", "consumption", "per_person_cap", 2030) in targets
    assert ("Skellefteå", "organisation", "neutrality", 2030) in targets
    assert ("Skellefteå", "geographic", "neutrality", 2040) in targets
    assert ("Örnsköldsvik", "organisation", "neutrality", 2030) in targets
    assert len(targets) == 6  # the budget line and the "för att … ska nå" need are not targets (issue 25)
    goals = {(r["municipality"], r["modality"], r["kind"], int(r["target_year"])) for r in rows(graph, "goals")}
    assert ("Örnsköldsvik", "budget", "cap", 2025) in goals


def test_emission_figures_use_swedish_number_formats(graph: Graph) -> None:
    figures = {(r["municipality"], r["year"] and int(r["year"]), float(r["value"])) for r in rows(graph, "emissions")}
    assert ("Alvesta", 2019, 57215.0) in figures
    assert ("Alvesta", 2023, 95864.0) in figures
    assert any(m == "Skellefteå" and v == 12700.0 for m, _, v in figures)


def test_themes_organisations_and_steering_documents_are_found(graph: Graph) -> None:
    # the contracts' own headings, kept as written, each with the concepts of the vocabulary it names
    headings = {(r["municipality"], r["heading"], r["concept"]) for r in rows(graph, "theme-headings")}
    assert ("Avesta", "Transport och mobilitet", "Mobilitet och transporter") in headings
    assert ("Alvesta", "Transporter", "Mobilitet och transporter") in headings  # two wordings, one concept
    assert any(m == "Skellefteå" and h == "Anläggning" for m, h, _ in headings)
    # what a municipality works on comes from the tags of its own text: every seed municipality has themes
    themes = {(r["municipality"], r["theme"]) for r in rows(graph, "themes")}
    assert {m for m, _ in themes} == {"Alvesta", "Avesta", "Kristinehamn", "Skellefteå", "Örnsköldsvik"}
    assert ("Kristinehamn", "Klimatanpassning") in themes and ("Avesta", "Mobilitet och transporter") in themes
    organisations = {(r["municipality"], r["organisation"]) for r in rows(graph, "organisations")}
    assert any(m == "Avesta" and "Högskolan Dalarna" in o for m, o in organisations)
    documents = rows(graph, "documents")
    assert any(
        r["municipality"] == "Alvesta" and str(r["title"]).startswith("Energi- och klimatprogram") for r in documents
    )
    assert any(r["url"] and str(r["url"]).startswith("https://www.alvesta.se/") for r in documents)


def test_every_fact_has_evidence_text(graph: Graph) -> None:
    evidence = rows(graph, "evidence")
    assert len(evidence) > 50
    assert all(r["text"] and "/id/paragraph/" in r["paragraph"] for r in evidence)
    twin_evidence = [r for r in evidence if r["municipality"] == "Kristinehamn" and "Karlstad" in r["text"]]
    assert twin_evidence


def test_shared_commitments_lists_every_adopter(graph: Graph) -> None:
    eight = [r for r in rows(graph, "shared-commitments") if int(r["number"]) == 8]
    assert {r["municipality"] for r in eight} == {"Alvesta", "Skellefteå"}
    assert all(int(r["adopters"]) == 2 for r in eight)


def test_neutrality_targets_are_sorted_by_year(graph: Graph) -> None:
    found = rows(graph, "neutrality-targets")
    years = [int(r["year"]) for r in found]
    assert years == sorted(years)
    assert ("Skellefteå", "geographic", 2040) in {(r["municipality"], r["scope"], int(r["year"])) for r in found}


def test_twin_network_shows_what_each_twin_adopted(graph: Graph) -> None:
    network: dict[tuple[str, str], set[int]] = defaultdict(set)
    for r in rows(graph, "twin-network"):
        network[(r["pioneer"], r["twin"])].add(int(r["number"]))
    assert network[("Borlänge", "Avesta")] == {1, 2, 3, 4, 6, 10}
    assert network[("Karlstad", "Kristinehamn")] == {1, 2, 3, 10}
    assert network[("Växjö", "Alvesta")] == {1, 2, 3, 6, 8, 9}
