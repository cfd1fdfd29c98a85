"""Extraction on the five seed documents: the facts a reader finds in each one."""

from __future__ import annotations

import pytest

from klimatgraf.corpus import Corpus
from klimatgraf.extract import extract
from klimatgraf.models import Facts

AGENCIES = {"Energimyndigheten", "Formas", "Naturvårdsverket", "Tillväxtverket", "Trafikverket", "Vinnova"}


@pytest.fixture(scope="module")
def facts(corpus: Corpus) -> dict[str, Facts]:
    return {d.municipality.name: extract(d, corpus.paragraphs_of(d.doc_id), corpus.gazetteer) for d in corpus.documents}


@pytest.mark.parametrize(
    ("municipality", "numbers"),
    [
        ("Alvesta", [1, 2, 3, 6, 8, 9]),
        ("Örnsköldsvik", [1, 2, 3, 6, 9]),
        ("Skellefteå", [1, 2, 3, 4, 8]),
        ("Avesta", [1, 2, 3, 4, 6, 10]),
        ("Kristinehamn", [1, 2, 3, 10]),
    ],
)
def test_adopted_commitments_per_seed(facts: dict[str, Facts], municipality: str, numbers: list[int]) -> None:
    assert [c.number for c in facts[municipality].commitments] == numbers


def test_commitment_labels_are_short_and_read_from_the_text(facts: dict[str, Facts]) -> None:
    kristinehamn = {c.number: c.label for c in facts["Kristinehamn"].commitments}
    assert kristinehamn[10] == "Kommunikation för omställning"
    assert kristinehamn[1] == "Förstärkt styrning och ledning"
    alvesta = {c.number: c.label for c in facts["Alvesta"].commitments}
    assert alvesta[8].startswith("Stärka klimatomställning genom att samordna den med klimatanpassning")
    for f in facts.values():
        for c in f.commitments:
            assert 10 < len(c.label) <= 101 and not c.label.lower().startswith("vi åtar"), c


def test_contracts_name_six_agencies_viable_cities_and_the_municipality(facts: dict[str, Facts]) -> None:
    for name in ("Alvesta", "Örnsköldsvik", "Skellefteå"):
        parties = {(p.name, p.kind) for p in facts[name].parties}
        assert {(a, "agency") for a in AGENCIES} <= parties
        assert ("Viable Cities", "programme") in parties
        assert (name, "municipality") in parties


def test_declarations_have_viable_cities_but_no_agencies_as_parties(facts: dict[str, Facts]) -> None:
    for name in ("Avesta", "Kristinehamn"):
        parties = {p.name: p.kind for p in facts[name].parties}
        assert parties == {name: "municipality", "Viable Cities": "programme"}


def test_twins_point_at_pioneers_with_explicit_evidence(facts: dict[str, Facts], corpus: Corpus) -> None:
    code = {m.name: m.kommunkod for m in corpus.gazetteer.municipalities}
    found = {(t.twin, t.pioneer) for f in facts.values() for t in f.twins}
    assert found == {
        (code["Alvesta"], code["Växjö"]),
        (code["Avesta"], code["Borlänge"]),
        (code["Kristinehamn"], code["Karlstad"]),
    }
    by_pid = corpus.by_pid
    assert "tvillingstad till" in by_pid[facts["Alvesta"].twins[0].evidence].text
    assert "vår pionjärkommun Karlstad" in by_pid[facts["Kristinehamn"].twins[0].evidence].text


def test_mentioned_municipalities_are_the_other_named_ones(facts: dict[str, Facts], corpus: Corpus) -> None:
    names = {m: [corpus.gazetteer.by_code[c].name for c in f.mentioned_municipalities] for m, f in facts.items()}
    assert names == {
        "Alvesta": ["Växjö"],
        "Avesta": ["Borlänge"],
        "Kristinehamn": ["Karlstad"],
        "Örnsköldsvik": [],
        "Skellefteå": [],
    }


def _targets(f: Facts) -> set[tuple[str, str, int, int | None, float | None, str | None]]:
    return {(t.scope, t.kind, t.target_year, t.base_year, t.value, t.unit) for t in f.targets}


def test_alvesta_targets(facts: dict[str, Facts]) -> None:
    assert _targets(facts["Alvesta"]) == {
        ("geographic", "reduction", 2030, 2019, 80.0, "percent"),
        ("geographic", "neutrality", 2045, None, None, None),
        ("consumption", "per_person_cap", 2030, None, 4.0, "tCO2e/person"),
    }


def test_ornskoldsvik_sets_one_target_and_keeps_its_carbon_budget_as_a_budget(facts: dict[str, Facts]) -> None:
    # the budget line "bör … inte överstiga 219 517 ton, enligt koldioxidbudgeten" is guidance from a budget,
    # the Paris sentence is negated ("innebär inte klimatneutralitet 2030") and the geographic 2030 sentence
    # is a need ("för att … ska nå klimatneutralitet år 2030 … krävs"): only the organisation's goal is a target
    goals = {(t.scope, t.kind, t.target_year, t.value, t.modality) for t in facts["Örnsköldsvik"].targets}
    assert goals == {
        ("organisation", "neutrality", 2030, None, "target"),
        ("geographic", "cap", 2025, 219517.0, "budget"),
    }


def test_the_seeds_state_six_targets(facts: dict[str, Facts]) -> None:
    stated = [t for f in facts.values() for t in f.targets if t.modality == "target"]
    assert len(stated) == 6


def test_skelleftea_targets_two_scopes_in_one_sentence(facts: dict[str, Facts]) -> None:
    assert _targets(facts["Skellefteå"]) == {
        ("organisation", "neutrality", 2030, None, None, None),
        ("geographic", "neutrality", 2040, None, None, None),
    }


def test_declarations_without_targets_get_none(facts: dict[str, Facts]) -> None:
    assert facts["Avesta"].targets == () and facts["Kristinehamn"].targets == ()


def test_no_target_year_outside_2020_2050_and_base_before_target(facts: dict[str, Facts]) -> None:
    for f in facts.values():
        for t in f.targets:
            assert 2020 <= t.target_year <= 2050
            assert t.base_year is None or t.base_year < t.target_year


def _emissions(f: Facts) -> set[tuple[int | None, float, str]]:
    return {(e.year, e.value, e.unit) for e in f.emissions}


def test_alvesta_emission_figures(facts: dict[str, Facts]) -> None:
    assert _emissions(facts["Alvesta"]) == {
        (2019, 57215.0, "tCO2e"),
        (2019, 2.841, "tCO2e/person"),
        (2023, 46770.0, "tCO2e"),
        (2023, 2.334, "tCO2e/person"),
        (2023, 95864.0, "tCO2e"),
        (2019, 108293.0, "tCO2e"),
        (2022, 5.157, "tCO2e/person"),
    }
    household = next(e for e in facts["Alvesta"].emissions if e.value == 5.157)
    assert "konsumtionsbaserade" in household.description


def test_ornskoldsvik_carbon_budget_is_described_as_budget(facts: dict[str, Facts]) -> None:
    found = {(e.year, e.value, e.description) for e in facts["Örnsköldsvik"].emissions}
    assert found == {(2022, 1867216.0, "koldioxidbudget"), (2025, 1108880.0, "koldioxidbudget, återstående")}


def test_skelleftea_table_rows_keep_their_labels_and_no_year(facts: dict[str, Facts]) -> None:
    rows = {e.description: (e.year, e.value) for e in facts["Skellefteå"].emissions}
    assert rows == {
        "Kommunförvaltningens egen verksamhet": (None, 12700.0),
        "Skellefteå krafts egen verksamhet (Scope 1)": (None, 30000.0),
        "Skellefteå Kraft indirekta utsläpp tex inköp (Scope 3)": (None, 290000.0),
        "Övriga kommunbolag egna verksamhet": (None, 2800.0),
        "Kommunförvaltningens inköp": (None, 125000.0),
    }  # and not the 590 tusen ton reduction *need*


def test_themes_per_seed(facts: dict[str, Facts]) -> None:
    themes = {m: {t.label for t in f.themes} for m, f in facts.items()}
    assert {
        "Transport och mobilitet",
        "Energi",
        "Byggd miljö",
        "Anläggning",
        "Renovering",
        "Cirkularitet och resurseffektivitet",
        "Konsumtion",
    } <= themes["Alvesta"]
    assert {"Transport och mobilitet", "Energi", "Konsumtion", "Regionala klimatutmaningar"} <= themes["Avesta"]
    assert {"Anläggning", "Transport och mobilitet", "Mobilitet", "Byggande", "Industri"} <= themes["Skellefteå"]
    assert "Förnybar energi som lösning och hållbar mobilitet som norm" in themes["Skellefteå"]  # "tre fokusområden"
    assert themes["Kristinehamn"] == set()
    for labels in themes.values():
        assert all(label[0].isupper() and not label.endswith(":") for label in labels)


def test_organisations_per_seed(facts: dict[str, Facts]) -> None:
    orgs = {m: {o.name: o.kind for o in f.organisations} for m, f in facts.items()}
    assert orgs["Avesta"] == {
        "Fairtrade": "network",
        "Upphandlingscenter (UHC)": "other",
        "Avesta Vatten och Avfall AB": "municipal_company",
        "RISE": "research",
        "SEI": "research",
        "Högskolan Dalarna": "university",
        "Dalarna Science Park": "research",
        "Klimatsekretariatet": "other",
    }
    assert {"Skellefteå Kraft", "Skellefteå Buss", "Klimatkommunerna", "NetZeroCities"} <= set(orgs["Skellefteå"])
    assert orgs["Skellefteå"]["Klimatkommunerna"] == "network"
    assert {"Övik Energi", "Klimatsekretariatet"} <= set(orgs["Örnsköldsvik"])
    assert set(orgs["Alvesta"]) == {"CDP", "WWF"}  # NetZeroCities there is only in a template copy


def test_template_organisations_are_never_attributed(facts: dict[str, Facts]) -> None:
    for f in facts.values():
        names = {o.name for o in f.organisations}
        assert not names & {"UN-Habitat", "C40", "C40 Cities", "World Economic Forum", "Viable Cities", *AGENCIES}


def test_steering_documents_with_years_and_urls(facts: dict[str, Facts]) -> None:
    alvesta = {d.title: (d.year, d.url) for d in facts["Alvesta"].steering_documents}
    assert alvesta["Energi- och klimatprogram 2030"][0] == 2025
    assert str(alvesta["Energi- och klimatprogram 2030"][1]).endswith(
        "Energi-och-klimatprogram-for-Alvesta-kommun-2025-2030.pdf"
    )
    assert alvesta["Trafikstrategi"] == (2015, "https://www.alvesta.se/wp-content/uploads/2023/08/Trafikstrategi-1.pdf")
    ovik = {d.title: d.year for d in facts["Örnsköldsvik"].steering_documents}
    assert ovik["Klimatstrategi 2021-2026"] == 2021
    assert ovik["Klimatneutrala Örnsköldsvik 2030"] is None  # a horizon, not an issue year
    avesta = [d.title for d in facts["Avesta"].steering_documents]
    assert avesta == ["Hållbarhetsprogram", "Mål och budget 2025–2027", "Kretsloppsplan"]
    skelleftea = {d.title: d.year for d in facts["Skellefteå"].steering_documents}
    assert skelleftea["Energiplan"] == 2024 and "Styrning och mål" in skelleftea


def test_every_fact_cites_a_paragraph_of_its_own_document(facts: dict[str, Facts], corpus: Corpus) -> None:
    pids = corpus.by_pid
    for f in facts.values():
        groups = (f.parties, f.twins, f.commitments, f.targets, f.emissions, f.themes, f.organisations)
        for fact in (x for g in (*groups, f.steering_documents) for x in g):
            assert fact.evidence in pids and fact.evidence.startswith(f.document.doc_id + "/")
