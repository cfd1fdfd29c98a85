"""Recall where it was weakest (issue 14): organisation types in running text, per-person
consumption targets, annual-rate targets and "klimatpositiv" — with negatives for precision.
Hand-written Swedish, not copied from any contract."""

from __future__ import annotations

import pytest

from klimatgraf.reference import Gazetteer
from test_extract_rules import facts_for

INTRO = "Lunds kommun väljer att ingå i partnerskapet.\n\n"


def orgs(text: str, gazetteer: Gazetteer) -> set[tuple[str, str]]:
    return {(o.name, o.kind) for o in facts_for(INTRO + text + "\n", gazetteer).organisations}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Vi bygger laddplatser tillsammans med Lundahem och Trafikverket.", {("Lundahem", "company")}),
        ("Upphandlingen görs med stöd av Upphandlingsmyndigheten.", {("Upphandlingsmyndigheten", "authority")}),
        (
            "Boverket och Kemikalieinspektionen har bidragit med vägledning.",
            {("Boverket", "authority"), ("Kemikalieinspektionen", "authority")},
        ),
        (
            "Eleverna på Polhemskolan och Katedralskolan mäter skolans utsläpp.",
            {("Polhemskolan", "school"), ("Katedralskolan", "school")},
        ),
        ("Vi samarbetar med Spyken gymnasium om klimatdagar.", {("Spyken gymnasium", "school")}),
        (
            "Naturskyddsföreningen i Lund ordnar cykeldagar med kommunen.",
            {("Naturskyddsföreningen i Lund", "association")},
        ),
        ("Företagarföreningen Österlen deltar i nätverket.", {("Företagarföreningen Österlen", "association")}),
        (
            "Föreningen Cykelfrämjandet leder arbetet med cykelvänliga arbetsplatser.",
            {("Föreningen Cykelfrämjandet", "association")},
        ),
        (
            "Arbetet sker med Länsstyrelsen i Skåne län och Region Skåne.",
            {("Länsstyrelsen i Skåne län", "region"), ("Region Skåne", "region")},
        ),
        ("Lunds Energi och Kraftringen Kraft bygger ut fjärrvärmen.", {("Lunds Energi", "municipal_company")}),
        ("Det kommunala bolaget Lundabostäder renoverar 300 lägenheter.", {("Lundabostäder", "company")}),
        ("Bostadsbolaget Lund-hem bygger i trä.", {("Lund-hem", "municipal_company")}),
    ],
)
def test_organisation_types_in_running_text(
    gazetteer: Gazetteer, sentence: str, expected: set[tuple[str, str]]
) -> None:
    assert expected <= orgs(sentence, gazetteer)


@pytest.mark.parametrize(
    "sentence",
    [
        "Grundskolan och gymnasieskolan arbetar med klimatfrågor i undervisningen.",
        "Myndigheten ska bidra till kommunens arbete. Verket har ett särskilt ansvar.",
        "Föreningen har många medlemmar och bostadsrättsföreningen planerar solceller.",
        "Förvaltningsmyndigheten och tillsynsmyndigheten samverkar.",
        "Bostäder byggs i trä. Hem och skola samarbetar.",
        "Vårdhem och äldreboenden får solceller.",
    ],
)
def test_generic_words_are_not_organisations(gazetteer: Gazetteer, sentence: str) -> None:
    assert orgs(sentence, gazetteer) == set()


def targets(text: str, gazetteer: Gazetteer) -> set[tuple[object, ...]]:
    return {
        (t.scope, t.kind, t.target_year, t.value, t.unit) for t in facts_for(INTRO + text + "\n", gazetteer).targets
    }


def test_klimatpositiv_is_its_own_kind(gazetteer: Gazetteer) -> None:
    got = targets("Lunds kommun ska vara klimatneutral 2030 och klimatpositiv 2040.", gazetteer)
    assert got == {("geographic", "neutrality", 2030, None, None), ("geographic", "positive", 2040, None, None)}


def test_netto_negative_emissions_are_positive(gazetteer: Gazetteer) -> None:
    got = targets("Kommunen som organisation ska ha nettonegativa utsläpp senast 2045.", gazetteer)
    assert got == {("organisation", "positive", 2045, None, None)}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Till 2035 ska de konsumtionsbaserade utsläppen minska till 2,5 ton CO2e per person.",
            {("consumption", "per_person_cap", 2035, 2.5, "tCO2e/person")},
        ),
        (
            "De konsumtionsbaserade utsläppen ska senast 2040 nå ned till 1 ton CO2e per invånare.",
            {("consumption", "per_person_cap", 2040, 1.0, "tCO2e/person")},
        ),
        (
            "År 2035 ska de konsumtionsbaserade utsläppen vara mindre än 2 t CO2e per person och år.",
            {("consumption", "per_person_cap", 2035, 2.0, "tCO2e/person")},
        ),
        (
            "Den konsumtionsbaserade klimatpåverkan ska understiga 1,5 ton koldioxidekvivalenter per invånare till 2045.",
            {("consumption", "per_person_cap", 2045, 1.5, "tCO2e/person")},
        ),
    ],
)
def test_consumption_targets_in_tonnes_per_person(gazetteer: Gazetteer, sentence: str, expected: set[object]) -> None:
    assert targets(sentence, gazetteer) == expected


def test_a_per_person_figure_without_target_is_not_a_target(gazetteer: Gazetteer) -> None:
    assert targets("År 2021 var de konsumtionsbaserade utsläppen 7 ton CO2e per person.", gazetteer) == set()


def test_a_total_below_a_figure_is_a_comparison_not_a_cap(gazetteer: Gazetteer) -> None:
    assert targets("År 2030 var utsläppen mindre än 5 000 ton i de flesta scenarier.", gazetteer) == set()


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Utsläppen inom det geografiska området ska minska med minst 12 % per år till 2030.",
            {("geographic", "annual_reduction", 2030, 12.0, "percent/year")},
        ),
        (
            "Lund ska vara klimatneutralt 2035. Till dess ska utsläppen minska med 10 procent årligen.",
            {
                ("geographic", "neutrality", 2035, None, None),
                ("geographic", "annual_reduction", 2035, 10.0, "percent/year"),
            },
        ),
    ],
)
def test_annual_rate_targets(gazetteer: Gazetteer, sentence: str, expected: set[object]) -> None:
    assert targets(sentence, gazetteer) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "För att hålla budgeten krävs en minskning om 16 procent per år från 2025.",
        "Utsläppen har minskat med 3 % per år sedan 2015.",
        "Sveriges utsläpp behöver minska med 8 procent per år till 2030.",
        "Utsläppen ska minska med 10 procent per år.",  # no year anywhere: no target
    ],
)
def test_rates_that_are_needs_history_national_or_yearless_are_not_targets(gazetteer: Gazetteer, sentence: str) -> None:
    assert not any(kind == "annual_reduction" for _, kind, *_ in targets(sentence, gazetteer))


def test_an_annual_rate_is_never_a_total_reduction(gazetteer: Gazetteer) -> None:
    got = targets("Utsläppen inom det geografiska området ska minska med minst 15 % per år till 2030.", gazetteer)
    assert not any(kind == "reduction" for _, kind, *_ in got)
