"""The 2020–2024 structure of the contracts (issue 14), on fixtures written in that structure.

tests/fixtures/editions/ holds our own prose (made by make_fixtures.py): two editions of
Järfälla (VERSION 2022 and 2024) and a 2023 edition of the seed municipality Skellefteå.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from klimatgraf.corpus import Corpus, load_corpus
from klimatgraf.extract import extract
from klimatgraf.ingest import detect_signing_date, detect_version, read_document
from klimatgraf.models import Facts
from klimatgraf.reference import Gazetteer
from klimatgraf.segment import segment
from test_extract_rules import facts_for

FIXTURES = Path(__file__).parent / "fixtures" / "editions"
J2022, J2024, S2023 = (
    FIXTURES / "jarfalla-klimatkontrakt-2022.txt",
    FIXTURES / "jarfalla-klimatkontrakt-2024.txt",
    FIXTURES / "skelleftea-klimatkontrakt-2023.txt",
)


def facts_of(path: Path, gazetteer: Gazetteer) -> Facts:
    document = read_document(path, gazetteer)
    return extract(document, segment(document), gazetteer)


@pytest.fixture(scope="module")
def editions_corpus(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Corpus:
    """The seeds plus the three fixture editions, read as one corpus (boilerplate across all)."""
    data = tmp_path_factory.mktemp("editions-data")
    shutil.copytree(data_dir / "reference", data / "reference")
    shutil.copytree(data_dir / "contracts", data / "contracts")
    for path in (J2022, J2024, S2023):
        shutil.copy(path, data / "contracts" / path.name)
    return load_corpus(data)


# ----------------------------------------------------------------------------- version and signing date


def test_version_comes_from_the_version_line_even_when_repeated_and_the_toc_is_garbled() -> None:
    text = J2022.read_text(encoding="utf-8")
    assert text.count("VERSION 2022") == 2 and "Klimatkontrakt 20 0" in text
    assert detect_version(text) == "2022"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VERSION 2023\n\nKlimatkontrakt\n2030\n1.\t Syftet med Klimatkontrakt 20 0\ufffd 3\n", "2023"),
        ("Klimatkontrakt 2030\nVERSION 2025–2026\n", "2025-2026"),
        ("Klimatkontrakt 2030 version 2025/26 gäller", "2025-2026"),
        ("Denna version 2022 av planen i löptext är ingen versionsrad.\n", None),
        ("Klimatkontrakt 20 0\n", None),
    ],
)
def test_version_forms(text: str, expected: str | None) -> None:
    assert detect_version(text) == expected


def test_signing_date_comes_from_the_contract_section_not_an_earlier_date() -> None:
    text = J2022.read_text(encoding="utf-8")
    assert "undertecknades av samtliga nämnder den 15 mars 2022" in text  # an earlier signing verb + date
    assert str(detect_signing_date(text)) == "2022-12-02"


def test_signing_date_in_iso_form_under_kontraktet() -> None:
    text = "Inledning.\n\n9. Kontraktet\nUndertecknat i Stockholm 2023-12-05.\n"
    assert str(detect_signing_date(text)) == "2023-12-05"


def test_the_documents_read_as_editions(gazetteer: Gazetteer) -> None:
    got = [(d.municipality.name, d.doc_type, d.version, str(d.signed), d.edition_year, d.yearly_edition)
           for d in (read_document(p, gazetteer) for p in (J2022, J2024, S2023))]  # fmt: skip
    assert got == [
        ("Järfälla", "klimatkontrakt", "2022", "2022-12-02", 2022, True),
        ("Järfälla", "klimatkontrakt", "2024", "2024-12-03", 2024, True),
        ("Skellefteå", "klimatkontrakt", "2023", "2023-12-05", 2023, True),
    ]


# ----------------------------------------------------------------------------- parties and commitments


def test_parties_from_the_mellan_line(gazetteer: Gazetteer) -> None:
    parties = {(p.name, p.kind) for p in facts_of(J2022, gazetteer).parties}
    agencies = {"Energimyndigheten", "Vinnova", "Formas", "Tillväxtverket", "Trafikverket", "Naturvårdsverket"}
    assert parties == {("Järfälla", "municipality"), ("Viable Cities", "programme")} | {(a, "agency") for a in agencies}


@pytest.mark.parametrize("path", [J2022, J2024, S2023], ids=lambda p: p.stem)
def test_no_commitment_numbers_are_invented(gazetteer: Gazetteer, path: Path) -> None:
    # "3. Järfällas åtaganden" is followed by "Järfälla kommun åtar sig att …", and there are
    # sections 3.3, 3.10, 7.1 …: none of them is a shared commitment
    assert facts_of(path, gazetteer).commitments == ()


def test_a_section_of_undertakings_is_not_a_commitment_in_the_2025_format_either(gazetteer: Gazetteer) -> None:
    text = "3. Lunds kommuns åtaganden\nLunds kommun åtar sig att leda arbetet.\n\n2. Finansiering\nVi åtar oss att finansiera.\n"
    assert [c.number for c in facts_for(text, gazetteer).commitments] == [2]


# ----------------------------------------------------------------------------- targets, emissions, steering


def targets(facts: Facts) -> set[tuple[object, ...]]:
    return {(t.scope, t.kind, t.target_year, t.value, t.unit) for t in facts.targets}


def test_targets_of_the_2022_edition(gazetteer: Gazetteer) -> None:
    assert targets(facts_of(J2022, gazetteer)) == {
        ("geographic", "neutrality", 2030, None, None),
        ("geographic", "positive", 2050, None, None),
        ("geographic", "annual_reduction", 2050, 15.0, "percent/year"),
    }


def test_targets_of_the_2024_edition(gazetteer: Gazetteer) -> None:
    assert targets(facts_of(J2024, gazetteer)) == {
        ("geographic", "neutrality", 2030, None, None),
        ("geographic", "positive", 2045, None, None),
        ("geographic", "annual_reduction", 2045, 15.0, "percent/year"),
        ("consumption", "per_person_cap", 2035, 3.0, "tCO2e/person"),
    }


def test_a_per_person_target_is_not_an_emission_figure(gazetteer: Gazetteer) -> None:
    assert {(e.year, e.value) for e in facts_of(J2024, gazetteer).emissions} == {(2022, 97_500.0)}


def test_emissions_of_the_yearly_editions(gazetteer: Gazetteer) -> None:
    assert {(e.year, e.value, e.unit) for e in facts_of(J2022, gazetteer).emissions} == {(2019, 112_000.0, "tCO2e")}
    assert {(e.year, e.value) for e in facts_of(S2023, gazetteer).emissions} == {(2021, 301_000.0)}


def test_steering_documents_from_bilaga_1(gazetteer: Gazetteer) -> None:
    got = {(s.title, s.year, s.url) for s in facts_of(J2024, gazetteer).steering_documents}
    assert got == {
        ("Klimatstrategi för Järfälla kommun", 2021, "https://www.jarfalla.se/klimatstrategi"),
        ("Klimatfärdplan för Järfälla", 2024, "https://www.jarfalla.se/klimatfardplan"),
    }


def test_organisations_of_the_yearly_editions(gazetteer: Gazetteer) -> None:
    got = {(o.name, o.kind) for o in facts_of(J2022, gazetteer).organisations}
    assert got == {
        ("Järfällahus AB", "company"),
        ("Länsstyrelsen i Stockholms län", "region"),
        ("Viksjö gymnasium", "school"),
        ("Naturskyddsföreningen i Järfälla", "association"),
        ("Upphandlingsmyndigheten", "authority"),
    }


# ----------------------------------------------------------------------------- template text across editions


def test_template_sections_are_flagged_and_own_text_of_two_editions_is_not(editions_corpus: Corpus) -> None:
    paragraphs = editions_corpus.paragraphs_of("jarfalla-klimatkontrakt-2022")
    template = [p for p in paragraphs if p.text.startswith(("Viable Cities håller ihop", "Myndigheterna deltar i"))]
    assert template and all(p.boilerplate for p in template)  # sections 4 and 5, shared with Skellefteå 2023
    own = [p for p in paragraphs if p.text.startswith("Klimatarbetet leds av kommunstyrelsen")]
    # the same paragraph is in Järfälla's 2024 edition, but one municipality repeating itself is not template
    assert own and not any(p.boilerplate for p in own)


def test_both_editions_stay_in_the_corpus(editions_corpus: Corpus) -> None:
    ids = {d.doc_id for d in editions_corpus.documents}
    assert {"jarfalla-klimatkontrakt-2022", "jarfalla-klimatkontrakt-2024", "skelleftea-klimatkontrakt-2023"} <= ids
    assert "skelleftea-klimatkontrakt" in ids and editions_corpus.superseded == ()


def test_other_parties_sections_give_no_facts_even_without_a_second_document(
    tmp_path: Path, gazetteer: Gazetteer
) -> None:
    text = J2022.read_text(encoding="utf-8").replace(
        "5.2.\tStöd till forskning, innovation och utveckling\n",
        "5.2.\tStöd till forskning, innovation och utveckling\n"
        "Boverket stödjer kommunerna så att de kan bli klimatneutrala till 2035.\n\n",
    )
    path = tmp_path / "jarfalla-klimatkontrakt-2022.txt"
    path.write_text(text, encoding="utf-8")
    facts = facts_of(path, gazetteer)  # read alone: nothing is flagged as shared template
    assert "Boverket" not in {o.name for o in facts.organisations}
    assert 2035 not in {t.target_year for t in facts.targets}
    assert facts.organisations and facts.targets  # the municipality's own sections still count


def test_a_toc_without_replacement_marks_gives_the_same_facts(tmp_path: Path, gazetteer: Gazetteer) -> None:
    # some PDF extractions end TOC lines with a bare page number ("3.3. Organisation och styrning 0")
    path = tmp_path / J2022.name
    path.write_text(J2022.read_text(encoding="utf-8").replace("\ufffd", ""), encoding="utf-8")
    plain, marked = facts_of(path, gazetteer), facts_of(J2022, gazetteer)
    assert (plain.document.version, plain.document.signed, plain.commitments) == ("2022", marked.document.signed, ())
    for kind in ("parties", "targets", "emissions", "organisations", "steering_documents", "themes"):
        strip = {tuple(v for k, v in vars(f).items() if k != "evidence") for f in getattr(plain, kind)}
        assert strip == {tuple(v for k, v in vars(f).items() if k != "evidence") for f in getattr(marked, kind)}, kind


def test_a_city_named_stad_in_the_mellan_line(tmp_path: Path, gazetteer: Gazetteer) -> None:
    text = (
        J2022.read_text(encoding="utf-8")
        .replace("Järfälla", "Helsingborg")
        .replace("Mellan Helsingborg kommun", "Mellan Helsingborgs stad")
    )
    path = tmp_path / "helsingborg-klimatkontrakt-2022.txt"
    path.write_text(text, encoding="utf-8")
    facts = facts_of(path, gazetteer)
    assert facts.document.municipality.name == "Helsingborg" and facts.document.version == "2022"
    assert {p.name for p in facts.parties if p.kind == "municipality"} == {"Helsingborg"}
    assert len(facts.parties) == 8
