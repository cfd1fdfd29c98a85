"""Extraction rules on small texts of our own (varied wording, negative cases) and on the seeds."""

from __future__ import annotations

from klimatgraf.corpus import Corpus
from klimatgraf.extract import extract
from klimatgraf.models import Document, Facts, Page
from klimatgraf.reference import Gazetteer
from klimatgraf.segment import segment

LUND_TEXT = """Lunds kommun avser genom denna fördjupade avsiktsförklaring att kraftsamla. Lund är
tvillingkommun till Malmö och lär av deras arbete.

Lunds kommun kommer att initiera ett strukturerat arbete inom följande gemensamma åtaganden:
1. Styrning och ledning
2. Klimatanalyser
7. Energi och mobilitet

1. Styrning och ledning

Vi åtar oss att utveckla styrningen.

Koppling till andra åtaganden:

5. Upphandling:

Upphandling är ett viktigt verktyg.

Lunds kommuns mål är att minska växthusgasutsläppen inom det geografiska området med 70 procent
till år 2035 jämfört med 1990. EU:s mål om klimatneutralitet senast 2050 ligger fast.

Kommunkoncernen ska vara klimatneutral senast 2030.

År 2022 var växthusgasutsläppen i Lund 1,2 miljoner ton CO2e.

Arbetet sker tillsammans med Lunds universitet, Kraftringen Energi AB och forskare från RISE.
"""


def facts_for(text: str, gazetteer: Gazetteer, doc_type: str = "avsiktsforklaring") -> Facts:
    lund = gazetteer.by_code["1281"]
    document = Document("lund", "lund.txt", "0" * 64, text, (Page(1, text),), lund, doc_type, "t")  # type: ignore[arg-type]
    return extract(document, segment(document), gazetteer)


def test_twin_relation_from_tvillingkommun_till(gazetteer: Gazetteer) -> None:
    facts = facts_for(LUND_TEXT, gazetteer)
    assert [(t.twin, t.pioneer) for t in facts.twins] == [("1281", "1280")]


def test_pioneer_speaking_of_its_twin_gives_the_reverse_relation(gazetteer: Gazetteer) -> None:
    text = "Malmö stads arbete.\n\nLunds kommun väljer att ingå. Vi samarbetar med vår tvillingkommun Staffanstorp.\n"
    assert [(t.twin, t.pioneer) for t in facts_for(text, gazetteer).twins] == [("1230", "1281")]


def test_commitments_from_a_numbered_list_but_not_from_links(gazetteer: Gazetteer) -> None:
    numbers = [c.number for c in facts_for(LUND_TEXT, gazetteer).commitments]
    assert numbers == [1, 2, 7]  # 5 appears only under "Koppling till andra åtaganden"


def test_contract_style_commitments(gazetteer: Gazetteer) -> None:
    text = "Åtagande 3 - Vi åtar oss att finansiera omställningen genom att:\n\n\t▪ Bygga kapacitet\n\nÅtagande nr 10 - Kommunikation för omställning\n"
    assert [c.number for c in facts_for(text, gazetteer, "klimatkontrakt").commitments] == [3, 10]


def test_reduction_target_with_base_year_and_no_eu_goal(gazetteer: Gazetteer) -> None:
    targets = {(t.scope, t.kind, t.target_year): t for t in facts_for(LUND_TEXT, gazetteer).targets}
    reduction = targets[("geographic", "reduction", 2035)]
    assert (reduction.value, reduction.unit, reduction.base_year) == (70.0, "percent", 1990)
    assert ("organisation", "neutrality", 2030) in targets
    assert not any(year == 2050 for _, _, year in targets)


def test_emissions_in_millions_of_tonnes(gazetteer: Gazetteer) -> None:
    [figure] = facts_for(LUND_TEXT, gazetteer).emissions
    assert (figure.year, figure.value, figure.unit) == (2022, 1_200_000.0, "tCO2e")


def test_organisations_by_pattern(gazetteer: Gazetteer) -> None:
    found = {(o.name, o.kind) for o in facts_for(LUND_TEXT, gazetteer).organisations}
    assert ("Lunds universitet", "university") in found
    assert ("Kraftringen Energi AB", "company") in found
    assert ("RISE", "research") in found


def test_every_fact_points_at_a_paragraph_of_its_document(corpus: Corpus) -> None:
    pids = {p.pid for p in corpus.paragraphs}
    for document in corpus.documents:
        facts = extract(document, corpus.paragraphs_of(document.doc_id), corpus.gazetteer)
        evidence = [
            f.evidence
            for group in (
                facts.parties,
                facts.twins,
                facts.commitments,
                facts.targets,
                facts.emissions,
                facts.themes,
                facts.organisations,
                facts.steering_documents,
            )
            for f in group
        ]
        assert evidence and all(e in pids and e.startswith(document.doc_id + "/") for e in evidence)


def test_template_organisations_are_not_attributed_to_a_municipality(corpus: Corpus) -> None:
    for document in corpus.documents:
        names = {
            o.name for o in extract(document, corpus.paragraphs_of(document.doc_id), corpus.gazetteer).organisations
        }
        assert not names & {"UN-Habitat", "C40", "World Economic Forum"}, document.doc_id
