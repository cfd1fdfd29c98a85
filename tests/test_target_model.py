"""The target model on sentences of our own: kinds, ranges, scopes, modality, and sentences that set nothing."""

from __future__ import annotations

import pytest

from klimatgraf.reference import Gazetteer
from test_extract_rules import facts_for

INTRO = "Lunds kommun väljer att ingå i partnerskapet.\n\n"


def goals(text: str, gazetteer: Gazetteer) -> set[tuple[object, ...]]:
    facts = facts_for(INTRO + text + "\n", gazetteer)
    return {(t.scope, t.kind, t.target_year, t.base_year, t.value, t.value_max, t.modality) for t in facts.targets}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Kommunen ska ha nettonollutsläpp senast 2035.",
            {("geographic", "net_zero", 2035, None, None, None, "target")},
        ),
        (
            "Lund har som mål att halvera utsläppen till 2030 jämfört med 2010.",
            {("geographic", "reduction", 2030, 2010, 50.0, None, "target")},
        ),
        (
            "Utsläppen ska minska med 60–70 procent till 2035 jämfört med 1990.",
            {("geographic", "reduction", 2035, 1990, 60.0, 70.0, "target")},
        ),
        (
            "År 2035 ska utsläppen uppgå till högst 2 megaton koldioxidekvivalenter.",
            {("geographic", "cap", 2035, None, 2_000_000.0, None, "target")},
        ),
        (
            "Utsläppen 2030 får inte överstiga 1,5 miljoner ton CO2e.",
            {("geographic", "cap", 2030, None, 1_500_000.0, None, "target")},
        ),
        (
            "Kommunkoncernens utsläpp ska 2030 vara högst 40 % av utsläppen 2018.",
            {("organisation", "relative_cap", 2030, 2018, 40.0, None, "target")},
        ),
        (
            "Centralorten ska vara klimatneutral 2030 och landsbygden 2035.",
            {
                ("town", "neutrality", 2030, None, None, None, "target"),
                ("town", "neutrality", 2035, None, None, None, "target"),
            },
        ),
    ],
)
def test_kinds_values_and_scopes(gazetteer: Gazetteer, sentence: str, expected: set[tuple[object, ...]]) -> None:
    assert goals(sentence, gazetteer) == expected


@pytest.mark.parametrize(
    ("sentence", "modality"),
    [
        ("Lunds kommun ska vara klimatneutral 2030.", "target"),
        ("Lunds kommun har som mål att vara klimatneutral 2030.", "target"),
        ("Visionen är att Lund är klimatneutralt år 2030.", "target"),
        ("Lunds kommun bör vara klimatneutral 2030.", "ambition"),
        ("Vi vill vara klimatneutrala 2030.", "ambition"),
        ("Kommunen strävar efter att vara klimatneutral 2030.", "ambition"),
        ("Enligt koldioxidbudgeten bör utsläppen 2027 inte överstiga 40 000 ton.", "budget"),
    ],
)
def test_modality(gazetteer: Gazetteer, sentence: str, modality: str) -> None:
    assert {m for *_, m in goals(sentence, gazetteer)} == {modality}


def test_a_rate_tied_to_a_budget_by_ska_stays_a_target(gazetteer: Gazetteer) -> None:
    text = "Lund ska vara klimatneutralt 2035. Till dess ska utsläppen minska med 12 % per år, i linje med koldioxidbudgeten."
    assert ("geographic", "annual_reduction", 2035, None, 12.0, None, "target") in goals(text, gazetteer)


@pytest.mark.parametrize(
    "sentence",
    [
        "Att följa Parisavtalet innebär inte klimatneutralitet 2030.",
        "Kommunen kommer inte att vara klimatneutral 2030.",
        "Om alla kommuner skulle vara klimatneutrala 2030 vore mycket vunnet.",
        "Om utsläppen ska minska med 80 procent till 2030 krävs nya åtgärder.",
        "Det är viktigt med samverkan för att kommunen ska nå klimatneutralitet år 2030.",
        "Utsläppen har minskat med 30 procent sedan 2005 och var 2022 lägre än någonsin.",
        "Sverige ska ha nettonollutsläpp senast 2045.",
        "Projektet Klimatneutrala Lund 2030 samlar företag.",
        "Läs mer på https://www.lund.se/klimatneutrala-lund-2030 om arbetet.",
    ],
)
def test_sentences_that_set_nothing(gazetteer: Gazetteer, sentence: str) -> None:
    assert goals(sentence, gazetteer) == set()


@pytest.mark.parametrize(
    "sentence",
    [
        "Vi samarbetar med föreningar, skolor och regionen i frågan.",
        "Med Folkhögskolan som förebild bygger vi kurser. Förbundet har också intresse.",
        "Tillsammans med Sparbanken ordnar vi en dag om klimat.",
        "Kollektivtrafiken och Trafikförvaltningen samverkar med kommunen.",
    ],
)
def test_generic_words_in_prose_are_not_organisations(gazetteer: Gazetteer, sentence: str) -> None:
    names = {o.name for o in facts_for(INTRO + sentence + "\n", gazetteer).organisations}
    assert names == set(), names


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Det kommunala bostadsbolaget Mimer bygger i trä.", {("Mimer", "municipal_company")}),
        ("Energibolaget Jämtkraft levererar fjärrvärme.", {("Jämtkraft", "company")}),
        ("Vi samarbetar med föreningen Cykelfrämjandet.", {("Cykelfrämjandet", "association")}),
        ("Hushållningssällskapets rådgivare deltar.", {("Hushållningssällskapet", "association")}),
        (
            "Västra Mälardalens myndighetsförbund sköter tillsynen.",
            {("Västra Mälardalens myndighetsförbund", "authority")},
        ),
        (
            "Kurserna ges med Sensus och ABF.",
            {("Sensus studieförbund", "association"), ("Arbetarnas bildningsförbund", "association")},
        ),
    ],
)
def test_organisations_by_apposition_genitive_and_reference_list(
    gazetteer: Gazetteer, sentence: str, expected: set[tuple[str, str]]
) -> None:
    assert {(o.name, o.kind) for o in facts_for(INTRO + sentence + "\n", gazetteer).organisations} == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Arbetet följer kommunens Policy för ekologisk hållbarhet och Plan för klimatanpassning 2022.",
            {("Policy för ekologisk hållbarhet", None), ("Plan för klimatanpassning 2022", 2022)},
        ),
        (
            "Vi följer Miljöprogrammet. Enligt Klimatstrategi 2030 ska utsläppen minska.",
            {("Miljöprogrammet", None), ("Klimatstrategi 2030", None)},
        ),
        ("Under året tar vi fram en Handlingsplan för energi. Den kommande Trafikstrategin beslutas 2026.", set()),
        ("Strategin följs upp varje år. Handlingsplanen uppdateras.", set()),
    ],
)
def test_steering_documents_named_in_sentences(gazetteer: Gazetteer, text: str, expected: set[object]) -> None:
    found = {(d.title, d.year) for d in facts_for(INTRO + text + "\n", gazetteer).steering_documents}
    assert found == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Till 2030 ska vi nå en 80 procents minskning jämfört med 1990.", ("reduction", 2030, 1990, 80.0)),
        (
            "År 2030 ska utsläppen vara högst 30 procent av 2020 års nivå (cirka 150 kton CO2e).",
            ("cap", 2030, None, 150_000.0),
        ),
    ],
)
def test_more_ways_to_write_a_reduction_and_a_cap(
    gazetteer: Gazetteer, sentence: str, expected: tuple[object, ...]
) -> None:
    found = {
        (t.kind, t.target_year, t.base_year, t.value) for t in facts_for(INTRO + sentence + "\n", gazetteer).targets
    }
    assert expected in found


def test_an_accounting_note_on_the_goal_it_qualifies(gazetteer: Gazetteer) -> None:
    (target,) = facts_for(
        INTRO + "Kommunen ska vara klimatneutral 2035. Målet omfattar även invånarnas flygresor.\n", gazetteer
    ).targets
    assert target.note == "Målet omfattar även invånarnas flygresor."


def test_a_flattened_table_with_its_unit_in_the_header(gazetteer: Gazetteer) -> None:
    text = (
        "Utsläppen har utvecklats så här:\n\nÅr\nUtsläpp, kiloton CO2e\n2010\n410\n2020\n305\n\n"
        "Sektor\nKiloton CO2e 2020\nTransporter\n150\nIndustri\n90\n\nUtsläppen minskar.\n"
    )
    found = {(e.year, e.value) for e in facts_for(INTRO + text, gazetteer).emissions}
    assert found == {(2010, 410_000.0), (2020, 305_000.0), (2020, 150_000.0), (2020, 90_000.0)}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Lundafastigheter, kommunens fastighetsbolag, renoverar skolor.", {("Lundafastigheter", "municipal_company")}),
        ("Sysav, det avfallsbolag som ägs av flera kommuner, sorterar.", {("Sysav", "company")}),
        ("Kraftringen, som ägs av fyra kommuner, bygger fjärrvärme.", {("Kraftringen", "company")}),
        ("Inkubatorn Ideon hjälper nya företag.", {("Ideon", "research")}),
        ("Skåne, som är en jordbruksregion, har goda förutsättningar.", set()),  # a place, not a body
    ],
)
def test_a_name_described_by_the_words_around_it(gazetteer: Gazetteer, sentence: str, expected: set[object]) -> None:
    assert {(o.name, o.kind) for o in facts_for(INTRO + sentence + "\n", gazetteer).organisations} == expected


def test_the_signature_block_s_place_and_date(tmp_path: object, gazetteer: Gazetteer) -> None:
    from pathlib import Path

    from klimatgraf.ingest import read_document

    path = Path(str(tmp_path)) / "lund-klimatkontrakt.txt"
    path.write_text(
        "Lunds kommun väljer att ingå i Klimatkontrakt 2030 version 2025/26.\n\nLund den 4 december 2025\n",
        encoding="utf-8",
    )
    assert str(read_document(path, gazetteer).signed) == "2025-12-04"
