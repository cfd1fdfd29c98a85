"""The graph builder, compared by isomorphism with a reviewed golden file (never by string)."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import FOAF

from klimatgraf.graph import build_graph
from klimatgraf.models import (
    ClimateTarget,
    CommitmentAdoption,
    Document,
    EmissionFigure,
    Facts,
    Organisation,
    Page,
    Paragraph,
    Party,
    SteeringDocument,
    Theme,
    TwinRelation,
)
from klimatgraf.namespaces import QUDT
from klimatgraf.reference import Gazetteer
from klimatgraf.validate import validate

GOLDEN = Path(__file__).parent / "golden" / "small.ttl"


def small_facts(gazetteer: Gazetteer) -> tuple[list[Facts], list[Paragraph]]:
    """Hand-made facts for a fictional Lund declaration (a fixture, not extraction output)."""
    lund = gazetteer.by_code["1281"]
    doc = Document("lund-avsikt", "lund-avsikt.txt", "a" * 64, "…", (Page(1, "…"),), lund, "avsiktsforklaring",
                   "Fördjupad avsiktsförklaring – Lund", None, date(2025, 12, 5))  # fmt: skip
    paragraphs = [
        Paragraph("lund-avsikt", 1, "Lunds kommun avser …", (), 1),
        Paragraph("lund-avsikt", 2, "Vi lär av vår pionjärkommun Malmö.", ("1. Styrning",), 1),
        Paragraph(
            "lund-avsikt", 3, "Viable Cities är Sveriges strategiska innovationsprogram.", (), 2, boilerplate=True
        ),
    ]
    facts = Facts(
        document=doc,
        parties=(Party("Lund", "municipality", "lund-avsikt/1"), Party("Viable Cities", "programme", "lund-avsikt/3")),
        twins=(TwinRelation("1281", "1280", "lund-avsikt/2"),),
        commitments=(CommitmentAdoption(1, "Styrning och ledning", "lund-avsikt/2"),),
        targets=(ClimateTarget("geographic", "reduction", 2035, "lund-avsikt/1", 1990, 70.0, "percent"),),
        emissions=(EmissionFigure(2022, 1_200_000.0, "växthusgasutsläpp", "lund-avsikt/1"),),
        themes=(Theme("Energi", "lund-avsikt/1"),),
        organisations=(Organisation("Lunds universitet", "university", "lund-avsikt/1"),),
        steering_documents=(SteeringDocument("Klimatstrategi", "lund-avsikt/1", 2021, "https://lund.se/k.pdf"),),
        mentioned_municipalities=("1280",),
    )
    return [facts], paragraphs


def test_graph_matches_the_golden_file(gazetteer: Gazetteer) -> None:
    graph = build_graph(*small_facts(gazetteer), gazetteer)
    if os.environ.get("KLIMATGRAF_REGEN_GOLDEN"):
        GOLDEN.write_text(graph.serialize(format="turtle"), encoding="utf-8")
    golden = Graph().parse(GOLDEN, format="turtle")
    if not isomorphic(graph, golden):
        _, only_built, only_golden = graph_diff(to_isomorphic(graph), to_isomorphic(golden))
        raise AssertionError(
            f"only in built:\n{only_built.serialize(format='nt')}\nonly in golden:\n{only_golden.serialize(format='nt')}"
        )


def test_building_twice_gives_isomorphic_graphs(gazetteer: Gazetteer) -> None:
    assert isomorphic(build_graph(*small_facts(gazetteer), gazetteer), build_graph(*small_facts(gazetteer), gazetteer))


def test_small_graph_conforms_to_the_shapes(gazetteer: Gazetteer) -> None:
    result = validate(build_graph(*small_facts(gazetteer), gazetteer))
    assert result.conforms, result.report_text


def test_every_removal_of_a_provenance_triple_is_caught(gazetteer: Gazetteer) -> None:
    from rdflib.namespace import PROV

    graph = build_graph(*small_facts(gazetteer), gazetteer)
    fact_links = [t for t in graph.triples((None, PROV.wasDerivedFrom, None)) if "/fact/" in str(t[0])]
    assert len(fact_links) >= 8
    for triple in fact_links:
        mutated = Graph()
        for t in graph:
            if t != triple:
                mutated.add(t)
        assert not validate(mutated).conforms, f"removing {triple} was not caught"


def test_municipalities_are_organisations_in_the_data_and_pages_are_iris(gazetteer: Gazetteer) -> None:
    """Standard types stated in the data: `?x a org:Organization` finds them with no ontology or reasoner."""
    graph = build_graph(*small_facts(gazetteer), gazetteer)
    found = {
        str(row.x)
        for row in graph.query(
            "PREFIX org: <http://www.w3.org/ns/org#> PREFIX cpov: <http://data.europa.eu/m8g/> "
            "SELECT ?x WHERE { ?x a org:Organization, cpov:PublicOrganisation }"
        )
    }
    assert found == {"https://w3id.org/klimatgraf/id/kommun/1280", "https://w3id.org/klimatgraf/id/kommun/1281"}
    pages = list(graph.objects(None, FOAF.page))
    assert pages and all(isinstance(page, URIRef) for page in pages)


def _unit_facts(gazetteer: Gazetteer) -> list[Facts]:
    """The small facts with one target in every unit and an emission figure per person."""
    (facts,), _ = small_facts(gazetteer)
    targets = (
        ClimateTarget("geographic", "reduction", 2035, "lund-avsikt/1", 1990, 70.0, "percent"),
        ClimateTarget("geographic", "annual_reduction", 2045, "lund-avsikt/1", None, 15.0, "percent/year"),
        ClimateTarget("organisation", "cap", 2030, "lund-avsikt/1", None, 250_000.0, "tCO2e"),
        ClimateTarget("consumption", "per_person_cap", 2040, "lund-avsikt/1", None, 3.0, "tCO2e/person"),
    )
    emissions = (
        EmissionFigure(2022, 1_200_000.0, "växthusgasutsläpp", "lund-avsikt/1"),
        EmissionFigure(2022, 6.5, "konsumtionsbaserade utsläpp per invånare", "lund-avsikt/1", "tCO2e/person"),
    )
    return [replace(facts, targets=targets, emissions=emissions)]


def test_units_are_qudt_units_with_quantity_kinds(gazetteer: Gazetteer) -> None:
    """unit:TONNE/unit:PERCENT from QUDT; CO2e, per person and per year are the quantity kind, never a unit of ours."""
    _, paragraphs = small_facts(gazetteer)
    graph = build_graph(_unit_facts(gazetteer), paragraphs, gazetteer)
    rows = graph.query(
        "PREFIX qudt: <http://qudt.org/schema/qudt/> "
        "SELECT ?v ?u ?k WHERE { ?f qudt:numericValue ?v ; qudt:unit ?u OPTIONAL { ?f qudt:hasQuantityKind ?k } }"
    )
    found = {(float(r.v), str(r.u).rsplit("/", 1)[-1], str(r.k).rsplit("/", 1)[-1] if r.k else None) for r in rows}  # type: ignore[union-attr]
    assert found == {
        (70.0, "PERCENT", None),
        (15.0, "PERCENT", "ontology#AnnualReductionRate"),
        (250_000.0, "TONNE", "CO2Equivalent"),
        (3.0, "TONNE", "ontology#CO2EquivalentPerCapita"),
        (1_200_000.0, "TONNE", "CO2Equivalent"),
        (6.5, "TONNE", "ontology#CO2EquivalentPerCapita"),
    }
    assert all(str(u).startswith("http://qudt.org/vocab/unit/") for u in graph.objects(None, QUDT.unit))
    assert validate(graph).conforms


def test_named_queries_read_every_unit_back(gazetteer: Gazetteer) -> None:
    """queries/targets.rq and emissions.rq give back the extracted unit names from the QUDT terms."""
    from klimatgraf.sparql import named_query, run

    _, paragraphs = small_facts(gazetteer)
    graph = build_graph(_unit_facts(gazetteer), paragraphs, gazetteer)
    targets = run(graph, named_query("targets").text).plain_rows()
    assert sorted((float(r["value"]), r["unit"]) for r in targets) == [
        (3.0, "tCO2e/person"),
        (15.0, "percent/year"),
        (70.0, "percent"),
        (250_000.0, "tCO2e"),
    ]
    emissions = run(graph, named_query("emissions").text).plain_rows()
    assert sorted((float(r["value"]), r["unit"]) for r in emissions) == [(6.5, "tCO2e/person"), (1_200_000.0, "tCO2e")]
