"""More wording variants for the extraction rules (hand-written Swedish, negatives included)."""

from __future__ import annotations

import pytest

from klimatgraf.reference import Gazetteer
from test_extract_rules import code, facts_for

INTRO = "Lunds kommun väljer att ingå i partnerskapet.\n\n"


@pytest.mark.parametrize(
    "sentence",
    [
        "Lund är en tvillingstad och har Malmö som pionjärstad.",
        "Vår pionjärkommun är Malmö.",
    ],
)
def test_more_pioneer_cues(gazetteer: Gazetteer, sentence: str) -> None:
    facts = facts_for(INTRO + sentence + "\n", gazetteer)
    assert [(t.twin, t.pioneer) for t in facts.twins] == [(code(gazetteer, "Lund"), code(gazetteer, "Malmö"))]


def test_pioneer_speaking_of_its_twin_city(gazetteer: Gazetteer) -> None:
    facts = facts_for(INTRO + "Tillsammans med Eslövs kommun, vår tvillingstad, utvecklar vi metoder.\n", gazetteer)
    assert [(t.twin, t.pioneer) for t in facts.twins] == [(code(gazetteer, "Eslöv"), code(gazetteer, "Lund"))]


def test_bare_unambiguous_names_are_mentions_but_common_words_are_not(gazetteer: Gazetteer) -> None:
    facts = facts_for(INTRO + "Vi har studerat arbetet i Umeå och Malmö. Vi vill Mark och Vara.\n", gazetteer)
    assert set(facts.mentioned_municipalities) == {code(gazetteer, "Umeå"), code(gazetteer, "Malmö")}


def test_lower_case_long_agency_names_in_the_cover_line(gazetteer: Gazetteer) -> None:
    text = (
        "Klimatkontrakt 2030\n\nMellan Lunds kommun och myndigheterna Statens energimyndighet, Verket för "
        "innovationssystem (Vinnova), Trafikverket samt Viable Cities.\n"
    )
    names = {p.name for p in facts_for(text, gazetteer).parties}
    assert names == {"Lund", "Energimyndigheten", "Vinnova", "Trafikverket", "Viable Cities"}


def test_formas_as_a_verb_is_not_a_party(gazetteer: Gazetteer) -> None:
    text = "Parter i Klimatkontrakt 2030 är:\n\n• Lunds kommun.\n• Trafikverket, där arbetet formas gemensamt.\n"
    assert "Formas" not in {p.name for p in facts_for(text, gazetteer).parties}


def test_halving_and_percent_lower_than_a_base_year(gazetteer: Gazetteer) -> None:
    text = INTRO + (
        "Målet är att de konsumtionsbaserade utsläppen ska halveras till 2035 jämfört med 2020. "
        "Utsläppen inom Lunds geografiska område ska vara 70 procent lägre år 2030 än 1990.\n"
    )
    got = {(t.scope, t.kind, t.target_year, t.base_year, t.value) for t in facts_for(text, gazetteer).targets}
    assert got == {("consumption", "reduction", 2035, 2020, 50.0), ("geographic", "reduction", 2030, 1990, 70.0)}


def test_a_cue_with_its_own_year_does_not_govern_an_earlier_year(gazetteer: Gazetteer) -> None:
    text = INTRO + "Lunds kommun som organisation ska vara fossilfri år 2030 och klimatpositiv år 2045.\n"
    got = [(t.scope, t.kind, t.target_year) for t in facts_for(text, gazetteer).targets]
    assert got == [("organisation", "positive", 2045)]  # klimatpositiv is its own kind (issue 14)


def test_national_halving_and_eu_neutrality_are_not_targets(gazetteer: Gazetteer) -> None:
    text = INTRO + "EU ska vara klimatneutralt 2050 och Sverige ska halvera utsläppen till 2030.\n"
    assert facts_for(text, gazetteer).targets == ()


def test_per_person_figure_cued_before_the_number(gazetteer: Gazetteer) -> None:
    text = INTRO + "Utsläppen i kommunen uppgick 2022 till 1,2 miljoner ton CO2e. Per invånare motsvarar det 6,3 ton.\n"
    got = {(e.year, e.value, e.unit) for e in facts_for(text, gazetteer).emissions}
    assert got == {(2022, 1_200_000.0, "tCO2e"), (2022, 6.3, "tCO2e/person")}


def test_inline_focus_areas_after_a_verb(gazetteer: Gazetteer) -> None:
    text = INTRO + "Våra fokusområden är energi, mobilitet och cirkulär ekonomi.\n"
    assert [t.label for t in facts_for(text, gazetteer).themes] == ["Energi", "Mobilitet", "Cirkulär ekonomi"]


def test_a_sentence_mentioning_focus_areas_without_an_enumeration_gives_no_theme(gazetteer: Gazetteer) -> None:
    text = INTRO + "Våra fokusområden är beslutade av kommunfullmäktige.\n"
    assert facts_for(text, gazetteer).themes == ()


def test_link_list_in_an_annex_is_not_a_theme_list(gazetteer: Gazetteer) -> None:
    text = INTRO + (
        "Vi vill samverka inom följande prioriterade områden:\n\n• Energi\n\n"
        "Bilaga 1 - Länkar till dokument\n\nNedan finns länkar:\n\n• Klimatprogram 2030 (2021)\n• Miljöprogram\n"
    )
    facts = facts_for(text, gazetteer)
    assert [t.label for t in facts.themes] == ["Energi"]
    assert [d.title for d in facts.steering_documents] == ["Klimatprogram 2030", "Miljöprogram"]


def test_universities_parks_and_public_bodies(gazetteer: Gazetteer) -> None:
    text = INTRO + (
        "Vi samarbetar med Luleå tekniska universitet, Linnéuniversitetet, Region Skåne, "
        "Länsstyrelsen i Skåne län och Science Park Mjärdevi.\n"
    )
    got = {(o.name, o.kind) for o in facts_for(text, gazetteer).organisations}
    assert got == {
        ("Luleå tekniska universitet", "university"),
        ("Linnéuniversitetet", "university"),
        ("Region Skåne", "region"),
        ("Länsstyrelsen i Skåne län", "region"),
        ("Science Park Mjärdevi", "research"),
    }
