"""Extraction rules on small Swedish texts of our own: varied wording and negative cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from klimatgraf.corpus import load_corpus
from klimatgraf.extract import extract
from klimatgraf.models import DocType, Document, Facts, Page
from klimatgraf.reference import Gazetteer
from klimatgraf.segment import segment


def facts_for(text: str, gazetteer: Gazetteer, name: str = "Lund", doc_type: DocType = "klimatkontrakt") -> Facts:
    municipality = gazetteer.resolve(name)
    document = Document(
        name.lower(), f"{name.lower()}.txt", "0" * 64, text, (Page(1, text),), municipality, doc_type, "t", "2025-2026"
    )
    return extract(document, segment(document), gazetteer)


def code(gazetteer: Gazetteer, name: str) -> str:
    return gazetteer.resolve(name).kommunkod


# ----------------------------------------------------------------------------- twins


@pytest.mark.parametrize(
    "sentence",
    [
        "Lund är tvillingkommun till Malmö och lär av deras arbete.",
        "Vi samarbetar nära med vår pionjärstad Malmö.",
        "Lunds kommun tar del av erfarenheter från pionjärkommunen Malmö stads arbete.",
        "Samarbetet med Malmö, som Lunds kommun är tvillingstad till, fördjupas.",
        "Malmö är vår pionjärkommun inom Klimatkontrakt 2030.",
    ],
)
def test_twin_cues_point_from_lund_to_its_pioneer(gazetteer: Gazetteer, sentence: str) -> None:
    facts = facts_for(f"Lunds kommun väljer att ingå i arbetet.\n\n{sentence}\n", gazetteer)
    assert [(t.twin, t.pioneer) for t in facts.twins] == [(code(gazetteer, "Lund"), code(gazetteer, "Malmö"))]


@pytest.mark.parametrize(
    "sentence",
    [
        "Vi fortsätter att stödja vår tvillingkommun Staffanstorp.",
        "Staffanstorp är vår tvillingkommun och vi delar metoder.",
    ],
)
def test_a_pioneer_naming_its_twin_gives_the_reverse_relation(gazetteer: Gazetteer, sentence: str) -> None:
    facts = facts_for(f"Lunds kommun väljer att ingå.\n\n{sentence}\n", gazetteer)
    assert [(t.twin, t.pioneer) for t in facts.twins] == [(code(gazetteer, "Staffanstorp"), code(gazetteer, "Lund"))]


def test_learning_from_a_municipality_is_a_pioneer_only_when_the_document_is_a_twin(gazetteer: Gazetteer) -> None:
    plain = "Lunds kommun ingår.\n\nVi vill ta del av erfarenheter från Malmö stad inom energi.\n"
    assert facts_for(plain, gazetteer).twins == ()
    twin = plain + "\nSom tvillingkommun deltar Lund i det gemensamma lärandet.\n"
    assert [t.pioneer for t in facts_for(twin, gazetteer).twins] == [code(gazetteer, "Malmö")]


def test_template_pioneer_and_twin_words_without_a_name_give_no_relation(gazetteer: Gazetteer) -> None:
    text = "Lunds kommun kommer att arbeta tillsammans med övriga pionjär- och tvillingstäder i Sverige.\n"
    assert facts_for(text, gazetteer).twins == ()


def test_only_one_relation_per_pair_with_the_most_explicit_evidence(gazetteer: Gazetteer) -> None:
    text = (
        "Lunds kommun ingår.\n\nVi lär av pionjärstaden Malmö.\n\n"
        "Lund är tvillingkommun till Malmö sedan 2025.\n\nVi inspireras av pionjärkommunen Malmö.\n"
    )
    facts = facts_for(text, gazetteer)
    assert len(facts.twins) == 1
    assert facts.twins[0].evidence == "lund/3"


# ----------------------------------------------------------------------------- commitments

DECLARATION = """Lunds kommun avser genom denna fördjupade avsiktsförklaring att kraftsamla.

Lunds kommun kommer att initiera ett strukturerat arbete inom följande gemensamma åtaganden:
1. Styrning och ledning för omställning
2. Klimatanalyser
7. Energi och mobilitet för alla

1. Styrning och ledning för omställning

Vi åtar oss att utveckla styrningen.

Koppling till andra åtaganden:

5. Upphandling:

Upphandling är ett viktigt verktyg.

9. Medborgare:

Vi åtar oss inte detta här, det är bara en koppling.
"""


def test_numbered_list_adopts_but_koppling_labels_only_link(gazetteer: Gazetteer) -> None:
    facts = facts_for(DECLARATION, gazetteer, doc_type="avsiktsforklaring")
    assert [(c.number, c.label) for c in facts.commitments] == [
        (1, "Styrning och ledning för omställning"),
        (2, "Klimatanalyser"),
        (7, "Energi och mobilitet för alla"),
    ]


def test_contract_style_commitments_with_nr_and_dashes(gazetteer: Gazetteer) -> None:
    text = (
        "Lunds kommun väljer att ingå i följande gemensamma åtaganden.\n\n"
        "Åtagande 3 - Vi åtar oss att finansiera omställningen genom att:\n\n\t▪ Bygga kapacitet\n\n"
        "Åtagande nr 5 – Vi åtar oss att stärka det cirkulära byggandet i hela kommunen.\n\n"
        "Åtagande nr 10: Kommunikation för omställning\n"
    )
    found = {c.number: c.label for c in facts_for(text, gazetteer).commitments}
    assert set(found) == {3, 5, 10}
    assert found[5] == "Stärka det cirkulära byggandet i hela kommunen"
    assert found[10] == "Kommunikation för omställning"


def test_numbered_heading_with_an_adopting_body(gazetteer: Gazetteer) -> None:
    text = "Lunds kommun ingår.\n\n4. Social hållbarhet och rättvis omställning\n\nKommunen åtar sig att arbeta med rättvisa.\n\n6. Upphandling\n\nUpphandling beskrivs här utan åtagande.\n"
    assert [c.number for c in facts_for(text, gazetteer, doc_type="avsiktsforklaring").commitments] == [4]


def test_a_numbered_list_without_a_commitment_lead_in_adopts_nothing(gazetteer: Gazetteer) -> None:
    text = "Lunds kommun har tre prioriteringar:\n1. Cykel\n2. Sol\n3. Vind\n"
    assert facts_for(text, gazetteer).commitments == ()


def test_numbers_outside_1_to_10_are_not_commitments(gazetteer: Gazetteer) -> None:
    text = "Åtagande 12 - Vi åtar oss att göra något annat.\n"
    assert facts_for(text, gazetteer).commitments == ()


# ----------------------------------------------------------------------------- targets


def _targets(facts: Facts) -> set[tuple[str, str, int, int | None, float | None, str | None]]:
    return {(t.scope, t.kind, t.target_year, t.base_year, t.value, t.unit) for t in facts.targets}


def test_reduction_with_base_year_and_eu_goal_ignored(gazetteer: Gazetteer) -> None:
    text = (
        "Lunds kommuns mål är att minska växthusgasutsläppen inom det geografiska området med 70 procent "
        "till år 2035 jämfört med 1990. EU:s mål om klimatneutralitet senast 2050 ligger fast.\n"
    )
    assert _targets(facts_for(text, gazetteer)) == {("geographic", "reduction", 2035, 1990, 70.0, "percent")}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Kommunkoncernen ska vara klimatneutral senast 2030.", ("organisation", "neutrality", 2030)),
        ("Kommunens egen verksamhet ska nå nettonollutsläpp till 2035.", ("organisation", "net_zero", 2035)),
        ("Lund som geografiskt område ska vara klimatneutralt år 2040.", ("geographic", "neutrality", 2040)),
        ("Till år 2045 ska den geografiska kommunen vara klimatneutral.", ("geographic", "neutrality", 2045)),
        ("Lund ska ha netto noll utsläpp 2038.", ("geographic", "net_zero", 2038)),
    ],
)
def test_neutrality_targets_in_varied_wording(
    gazetteer: Gazetteer, sentence: str, expected: tuple[str, str, int]
) -> None:
    found = {(t.scope, t.kind, t.target_year) for t in facts_for(f"{sentence}\n", gazetteer).targets}
    assert found == {expected}


def test_consumption_cap_per_person(gazetteer: Gazetteer) -> None:
    text = "De konsumtionsbaserade utsläppen får inte överstiga 2,5 ton CO2e per invånare år 2035.\n"
    assert _targets(facts_for(text, gazetteer)) == {("consumption", "per_person_cap", 2035, None, 2.5, "tCO2e/person")}


def test_reduction_with_percent_sign_and_base_after_from(gazetteer: Gazetteer) -> None:
    text = "Kommunkoncernens utsläpp ska minska med 50 % till 2030 från 2015 års nivå.\n"
    assert _targets(facts_for(text, gazetteer)) == {("organisation", "reduction", 2030, 2015, 50.0, "percent")}


@pytest.mark.parametrize(
    "sentence",
    [
        "Sverige ska vara klimatneutralt senast 2045.",
        "Missionen Klimatneutrala städer 2030 är ett gemensamt åtagande.",
        "Arbetet sker inom Klimatneutrala Lund 2030 tillsammans med näringslivet.",
        "En budget i linje med Parisavtalet innebär inte klimatneutralitet 2030.",
        "Utsläppen har minskat med 30 procent sedan 2020.",
        "Det krävs en minskning om 12 procent per år med start 2026.",
        "Under 2026 tar kommunen fram en plan mot nettonoll.",
        "Regionens mål är att vara fossilfri och klimatneutral 2035.",
    ],
)
def test_not_municipal_targets(gazetteer: Gazetteer, sentence: str) -> None:
    assert facts_for(f"Lunds kommun ingår.\n\n{sentence}\n", gazetteer).targets == ()


def test_municipal_target_next_to_a_national_one(gazetteer: Gazetteer) -> None:
    text = "Sverige ska vara klimatneutralt 2045 och Lunds kommun ska vara klimatneutral redan 2030.\n"
    assert {(t.kind, t.target_year) for t in facts_for(text, gazetteer).targets} == {("neutrality", 2030)}


def test_boilerplate_targets_are_ignored(tmp_path: Path, data_dir: Path) -> None:
    shared = "Parterna har som mål att alla kommuner ska vara klimatneutrala år 2035 i hela landet och framåt."
    for name in ("Lund", "Malmö"):
        (tmp_path / "contracts").mkdir(exist_ok=True)
        (tmp_path / "contracts" / f"{name.lower()}.txt").write_text(
            f"Klimatkontrakt 2030 för {name} kommun\n\n{name} kommun väljer att ingå i partnerskapet.\n\n{shared}\n",
            encoding="utf-8",
        )
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "kommuner.csv").write_bytes((data_dir / "reference" / "kommuner.csv").read_bytes())
    corpus = load_corpus(tmp_path)
    for document in corpus.documents:
        paragraphs = corpus.paragraphs_of(document.doc_id)
        assert any(p.boilerplate for p in paragraphs)
        assert extract(document, paragraphs, corpus.gazetteer).targets == ()


# ----------------------------------------------------------------------------- emissions


def _emissions(facts: Facts) -> set[tuple[int | None, float, str]]:
    return {(e.year, e.value, e.unit) for e in facts.emissions}


def test_millions_thousands_and_kg_are_converted(gazetteer: Gazetteer) -> None:
    text = (
        "År 2022 var växthusgasutsläppen i Lund 1,2 miljoner ton CO2e. Utsläppen från transporter var "
        "420 tusen ton 2021 och per invånare 3 400 kg CO2e per invånare.\n"
    )
    assert _emissions(facts_for(text, gazetteer)) == {
        (2022, 1_200_000.0, "tCO2e"),
        (2021, 420_000.0, "tCO2e"),
        (2021, 3.4, "tCO2e/person"),
    }


def test_limits_needs_and_shares_are_not_emission_figures(gazetteer: Gazetteer) -> None:
    text = (
        "Utsläppen bör inte överstiga 150 000 ton år 2027. Behovet av minskning är 80 tusen ton. "
        "Av utsläppen kommer 44,8 % från jordbruket. Målet är att utsläppen ska minska till 40 000 ton.\n"
    )
    assert facts_for(text, gazetteer).emissions == ()


def test_past_reduction_does_not_hide_the_figure_before_it(gazetteer: Gazetteer) -> None:
    text = "År 2019 var växthusgasutsläppen 108 293 ton, vilket innebär att utsläppen har minskat med 11,6 %.\n"
    [figure] = facts_for(text, gazetteer).emissions
    assert (figure.year, figure.value, figure.description) == (2019, 108293.0, "växthusgasutsläppen")


def test_table_row_without_year_keeps_year_none(gazetteer: Gazetteer) -> None:
    text = "Sammanfattning av utsläpp 2030:\n\nKommunförvaltningens tjänsteresor: 1 250 ton CO2e\n"
    [figure] = facts_for(text, gazetteer).emissions
    assert (figure.year, figure.value, figure.description) == (None, 1250.0, "Kommunförvaltningens tjänsteresor")


def test_carbon_budget_figures(gazetteer: Gazetteer) -> None:
    text = "Enligt koldioxidbudgeten kan 2 500 000 ton släppas ut från och med 2020. År 2025 återstår 900 000 ton av budgeten.\n"
    found = {(e.year, e.value, e.description) for e in facts_for(text, gazetteer).emissions}
    assert found == {(2020, 2_500_000.0, "koldioxidbudget"), (2025, 900_000.0, "koldioxidbudget, återstående")}


# ----------------------------------------------------------------------------- themes, organisations, documents


def test_themes_from_a_prioritised_enumeration_and_label_headings(gazetteer: Gazetteer) -> None:
    text = (
        "Vi vill samverka inom följande prioriterade områden:\n\n"
        "Energi, Mat och jordbruk, Byggd miljö samt Konsumtion.\n\n"
        "Tematiska åtaganden:\n\nTransport och mobilitet:\n\n\t▪ Vi bygger cykelvägar.\n\n"
        "Cirkularitet:\n\n\t▪ Vi startar ett återbruk.\n"
    )
    labels = [t.label for t in facts_for(text, gazetteer).themes]
    assert labels == [
        "Energi",
        "Mat och jordbruk",
        "Byggd miljö",
        "Konsumtion",
        "Transport och mobilitet",
        "Cirkularitet",
    ]


def test_bulleted_theme_items_after_the_cue(gazetteer: Gazetteer) -> None:
    text = "Kommunen prioriterar följande insatsområden:\n\t▪ Hållbart resande\n\t▪ Förnybar energi\n"
    assert [t.label for t in facts_for(text, gazetteer).themes] == ["Hållbart resande", "Förnybar energi"]


def test_organisations_by_general_patterns(gazetteer: Gazetteer) -> None:
    text = (
        "Arbetet sker tillsammans med Lunds universitet, Högskolan Kristianstad, Kraftringen Energi AB, "
        "Lunds Energikoncernen AB och forskare från RISE och Svenska miljöinstitutet (IVL). "
        "Kommunen deltar i nätverk, exempelvis Klimatkommunerna, Eurocities och Fossilfritt Sverige.\n"
    )
    found = {o.name: o.kind for o in facts_for(text, gazetteer).organisations}
    assert found["Lunds universitet"] == "university"
    assert found["Högskolan Kristianstad"] == "university"
    assert found["Kraftringen Energi AB"] == "company"
    assert found["Lunds Energikoncernen AB"] == "municipal_company"
    assert found["RISE"] == "research"
    assert found["Svenska miljöinstitutet (IVL)"] == "research"
    assert {found["Klimatkommunerna"], found["Eurocities"], found["Fossilfritt Sverige"]} == {"network"}


def test_agencies_and_the_programme_are_not_organisations(gazetteer: Gazetteer) -> None:
    text = "Projektet finansieras av Energimyndigheten och Vinnova inom Viable Cities.\n"
    assert facts_for(text, gazetteer).organisations == ()


def test_steering_documents_pair_urls_in_order(gazetteer: Gazetteer) -> None:
    text = (
        "Bilaga 1 - Länkar till dokument\n\nNedan finns länkar till de mest relevanta dokumenten.\n\n"
        "\t▪ Miljöprogram 2021–2030\n\t▪ Cykelplan (2019)\n\t▪ Kommande Klimatfärdplan\n\n"
        "https://lund.se/miljoprogram.pdf https://lund.se/cykelplan.pdf\n"
    )
    found = {(d.title, d.year, d.url) for d in facts_for(text, gazetteer).steering_documents}
    assert found == {
        ("Miljöprogram 2021–2030", 2021, "https://lund.se/miljoprogram.pdf"),
        ("Cykelplan", 2019, "https://lund.se/cykelplan.pdf"),
    }


# ----------------------------------------------------------------------------- parties


def test_cover_line_names_the_parties(gazetteer: Gazetteer) -> None:
    text = "Klimatkontrakt 2030 Mellan Lunds kommun och myndigheterna Statens Energimyndighet, Formas och Trafikverket samt Viable Cities.\n"
    parties = {(p.name, p.kind) for p in facts_for(text, gazetteer).parties}
    assert parties == {
        ("Lund", "municipality"),
        ("Energimyndigheten", "agency"),
        ("Formas", "agency"),
        ("Trafikverket", "agency"),
        ("Viable Cities", "programme"),
    }


def test_agencies_named_outside_a_party_list_are_not_parties(gazetteer: Gazetteer) -> None:
    text = "Lunds kommun avser genom denna avsiktsförklaring att kraftsamla.\n\nProjektet finansieras av Formas och Vinnova.\n"
    parties = {p.name for p in facts_for(text, gazetteer, doc_type="avsiktsforklaring").parties}
    assert parties == {"Lund"}


def test_declaration_with_a_viable_cities_commitment_section(gazetteer: Gazetteer) -> None:
    text = "Lunds kommun avser att kraftsamla.\n\nViable Cities åtagande\n\nViable Cities stödjer städerna.\n"
    parties = {p.name for p in facts_for(text, gazetteer, doc_type="avsiktsforklaring").parties}
    assert parties == {"Lund", "Viable Cities"}


def test_mentioned_municipalities_exclude_itself(gazetteer: Gazetteer) -> None:
    text = "Lunds kommun samarbetar med Malmö stad och Helsingborgs kommun.\n"
    names = {gazetteer.by_code[c].name for c in facts_for(text, gazetteer).mentioned_municipalities}
    assert names == {"Malmö", "Helsingborg"}
