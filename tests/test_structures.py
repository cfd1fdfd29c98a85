"""Every structure of the contracts (2020, 2021–2024, 2025, avsiktsförklaring), read from fixtures in our
own words (tests/fixtures/structures/README.md): cover, parties, targets with kind, scope, modality and
value, emission figures, organisations in prose and steering documents named in sentences."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from klimatgraf.corpus import load_gazetteer
from klimatgraf.extract import extract
from klimatgraf.ingest import read_document
from klimatgraf.models import Facts
from klimatgraf.reference import Gazetteer
from klimatgraf.segment import segment

FIXTURES = Path(__file__).parent / "fixtures" / "structures"
AGENCIES_2020 = {"Energimyndigheten", "Formas", "Vinnova", "Tillväxtverket"}
AGENCIES_2021 = AGENCIES_2020 | {"Trafikverket"}
AGENCIES_2022 = AGENCIES_2021 | {"Naturvårdsverket"}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer(Path("/nonexistent"))  # the package's own kommuner.csv


@pytest.fixture(scope="module")
def facts(gazetteer: Gazetteer) -> dict[str, Facts]:
    found = {}
    for path in sorted(FIXTURES.glob("*.txt")):
        document = read_document(path, gazetteer)  # no --municipality: every cover is read on its own
        found[path.stem] = extract(document, segment(document), gazetteer)
    return found


@pytest.mark.parametrize(
    ("stem", "municipality", "doc_type", "version", "signed", "edition"),
    [
        ("enkoping-klimatkontrakt-2020", "Enköping", "klimatkontrakt", "2020", datetime.date(2020, 12, 11), 2020),
        ("gavle-klimatkontrakt-2021", "Gävle", "klimatkontrakt", "2021", datetime.date(2021, 12, 3), 2021),
        ("lulea-klimatkontrakt-2023", "Luleå", "klimatkontrakt", "2023", datetime.date(2023, 12, 5), 2023),
        ("vaxjo-klimatkontrakt-2025", "Växjö", "klimatkontrakt", "2025-2026", None, 2025),
        ("boras-fordjupad-avsiktsforklaring", "Borås", "avsiktsforklaring", None, datetime.date(2025, 12, 5), 2025),
    ],
)
def test_every_cover_is_read_without_help(
    facts: dict[str, Facts],
    stem: str,
    municipality: str,
    doc_type: str,
    version: str | None,
    signed: datetime.date | None,
    edition: int,
) -> None:
    d = facts[stem].document
    assert (d.municipality.name, d.doc_type, d.version, d.signed, d.edition_year) == (
        municipality,
        doc_type,
        version,
        signed,
        edition,
    )


@pytest.mark.parametrize(
    ("stem", "agencies"),
    [
        ("enkoping-klimatkontrakt-2020", AGENCIES_2020),
        ("gavle-klimatkontrakt-2021", AGENCIES_2021),
        ("lulea-klimatkontrakt-2023", AGENCIES_2022),
        ("vaxjo-klimatkontrakt-2025", AGENCIES_2022),
    ],
)
def test_the_municipality_and_viable_cities_are_parties_beside_the_agencies(
    facts: dict[str, Facts], stem: str, agencies: set[str]
) -> None:
    f = facts[stem]
    parties = {(p.name, p.kind) for p in f.parties}
    assert parties == {(a, "agency") for a in agencies} | {
        (f.document.municipality.name, "municipality"),
        ("Viable Cities", "programme"),
    }


def goals(f: Facts) -> set[tuple[object, ...]]:
    return {(t.scope, t.kind, t.target_year, t.base_year, t.value, t.value_max, t.unit, t.modality) for t in f.targets}


def test_a_2023_target_list_in_every_form(facts: dict[str, Facts]) -> None:
    assert goals(facts["lulea-klimatkontrakt-2023"]) == {
        ("geographic", "neutrality", 2030, None, None, None, None, "target"),
        ("geographic", "positive", 2045, None, None, None, None, "target"),
        ("geographic", "annual_reduction", 2030, None, 10.0, 14.0, "percent/year", "target"),  # the range's both ends
        ("geographic", "relative_cap", 2030, 2020, 25.0, None, "percent", "target"),
        ("geographic", "cap", 2030, None, 90_000.0, None, "tCO2e", "target"),  # 90 kiloton through QUDT
        ("geographic", "reduction", 2030, 1990, 85.0, None, "percent", "target"),
        ("geographic", "net_zero", 2030, None, None, None, None, "target"),
        ("town", "neutrality", 2030, None, None, None, None, "target"),  # the town by 2030 …
        ("geographic", "neutrality", 2040, None, None, None, None, "target"),  # … the whole municipality by 2040
        ("geographic", "cap", 2025, None, 300_000.0, None, "tCO2e", "budget"),  # "enligt koldioxidbudgeten bör …"
    }  # and nothing from "innebär inte klimatneutralitet 2030" or "Om alla sektorer skulle …"


def test_the_accounting_note_is_kept_on_the_list_s_targets(facts: dict[str, Facts]) -> None:
    noted = {t.kind: t.note for t in facts["lulea-klimatkontrakt-2023"].targets if t.target_year == 2030}
    assert "långväga resor" in str(noted["net_zero"]) and "byggande ingår inte" in str(noted["net_zero"])
    assert noted["relative_cap"] == noted["net_zero"]


def test_targets_of_the_2020_and_2021_editions_and_an_ambition(facts: dict[str, Facts]) -> None:
    assert goals(facts["enkoping-klimatkontrakt-2020"]) == {
        ("geographic", "neutrality", 2030, None, None, None, None, "target"),
        ("geographic", "reduction", 2025, 2015, 50.0, None, "percent", "target"),
        ("geographic", "positive", 2040, None, None, None, None, "ambition"),  # "vill på sikt"
    }
    assert goals(facts["gavle-klimatkontrakt-2021"]) == {
        ("geographic", "neutrality", 2035, None, None, None, None, "target"),
        ("organisation", "annual_reduction", 2030, None, 8.0, None, "percent/year", "target"),
    }
    assert goals(facts["vaxjo-klimatkontrakt-2025"]) == {
        ("organisation", "neutrality", 2030, None, None, None, None, "target"),
        ("consumption", "per_person_cap", 2035, None, 3.0, None, "tCO2e/person", "target"),
    }


def test_an_emission_figure_written_as_a_sentence(facts: dict[str, Facts]) -> None:
    found = {(e.year, e.value, e.unit) for e in facts["lulea-klimatkontrakt-2023"].emissions}
    assert found == {(2005, 600_000.0, "tCO2e"), (2021, 420_000.0, "tCO2e")}  # not the goal's "90 kiloton"
    assert facts["vaxjo-klimatkontrakt-2025"].emissions == ()  # "ska … understiga 3 ton" is a goal


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        (
            "enkoping-klimatkontrakt-2020",
            {
                ("Uppsala universitet", "university"),
                ("Enköpings folkhögskola", "school"),
                ("Region Uppsala", "region"),
            },
        ),
        (
            "gavle-klimatkontrakt-2021",
            {("Gävle Sparbank", "company"), ("X-trafik", "authority"), ("Högskolan i Gävle", "university")},
        ),
        (
            "lulea-klimatkontrakt-2023",
            {
                ("Hushållningssällskapet Norrbotten", "association"),
                ("Studieförbundet Vuxenskolan", "association"),
                ("Luleå Energi", "municipal_company"),
            },
        ),
        (
            "vaxjo-klimatkontrakt-2025",
            {("Linnéuniversitetet", "university"), ("Länstrafiken Kronoberg", "authority")},
        ),
        (
            "boras-fordjupad-avsiktsforklaring",
            {("Sjuhärads kommunalförbund", "authority"), ("Högskolan i Borås", "university")},
        ),
    ],
)
def test_organisations_named_in_running_prose(
    facts: dict[str, Facts], stem: str, expected: set[tuple[str, str]]
) -> None:
    assert {(o.name, o.kind) for o in facts[stem].organisations} == expected  # exactly: precision too


def test_steering_documents_named_in_sentences(facts: dict[str, Facts]) -> None:
    enkoping = {(d.title, d.year) for d in facts["enkoping-klimatkontrakt-2020"].steering_documents}
    assert enkoping == {("Klimatprogrammet för Enköpings kommun 2019–2030", 2019)}
    lulea = {d.title for d in facts["lulea-klimatkontrakt-2023"].steering_documents}
    assert lulea == {"Klimatstrategi 2022", "Trafikstrategin"}  # the annex's entry and the one in a sentence


def test_commitments_of_the_2025_format_and_the_declaration(facts: dict[str, Facts]) -> None:
    assert [c.number for c in facts["vaxjo-klimatkontrakt-2025"].commitments] == [1, 2, 6]
    assert [c.number for c in facts["boras-fordjupad-avsiktsforklaring"].commitments] == [
        1,
        3,
    ]  # links are not adoptions
    assert facts["enkoping-klimatkontrakt-2020"].commitments == ()  # sections 3.1–3.7 are no commitments
    assert facts["gavle-klimatkontrakt-2021"].commitments == ()
