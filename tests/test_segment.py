"""Segmentation of PDF-extracted text into paragraphs as a person reads them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from klimatgraf.corpus import Corpus
from klimatgraf.models import Document, Municipality, Page, Paragraph
from klimatgraf.segment import mark_boilerplate, segment

LUND = Municipality("1281", "Lund", "12", "Skåne län")


def doc(text: str, doc_id: str = "lund", pages: tuple[Page, ...] | None = None) -> Document:
    return Document(doc_id, f"{doc_id}.txt", "0" * 64, text, pages or (Page(1, text),), LUND, "klimatkontrakt", "t")


def texts(text: str) -> list[str]:
    return [p.text for p in segment(doc(text))]


def test_hard_wrapped_lines_are_rejoined_and_hyphenation_undone() -> None:
    text = "Klimat- och energiplanen kommer innehålla mål för förnybar energi-\nproduktion och bygg- \noch fastighetsbranschen.\n"
    assert texts(text) == [
        "Klimat- och energiplanen kommer innehålla mål för förnybar energiproduktion och bygg- och fastighetsbranschen."
    ]


def test_hyphen_after_digit_or_capital_is_kept() -> None:
    assert texts("Mätbarhet av CO2-\nutsläpp för matsedlar görs nu.\n") == [
        "Mätbarhet av CO2-utsläpp för matsedlar görs nu."
    ]


def test_page_footers_toc_lines_and_lone_numbers_are_dropped() -> None:
    text = (
        "Innehåll\n1.\t Klimatkontrakt 2030 \ufffd 3\n\n2.\t Syftet\ufffd 4\n\nviablecities.se 2\n\n"
        "Text före sidbrytningen fortsätter\n\n\nviablecities.se 3\n\nefter sidbrytningen.\n\n7\n"
    )
    result = segment(doc(text))
    assert [p.text for p in result] == ["Innehåll", "Text före sidbrytningen fortsätter efter sidbrytningen."]
    assert all("viablecities.se" not in p.text and "\ufffd" not in p.text for p in result)


def test_bullets_stay_items_of_their_lead_in_paragraph() -> None:
    text = "Kommunen åtar sig att:\n\n\t▪ Integrera klimatstrategins mål\n\n\t▪ Ta fram en klimatfärdplan som stödjer \ngenomförandet\n\n\t◦ en underpunkt\n"
    [paragraph] = segment(doc(text))
    assert paragraph.kind == "list"
    assert paragraph.items == (
        "Integrera klimatstrategins mål",
        "Ta fram en klimatfärdplan som stödjer genomförandet",
        "◦ en underpunkt",
    )
    assert paragraph.text.startswith("Kommunen åtar sig att:\n• Integrera")


def test_numbered_headings_make_a_section_path() -> None:
    text = (
        "5.\t Kommunens åtaganden\nLund väljer att ingå.\n\n5.1.\t Klimatmål 2030 \nMålet är klimatneutralitet.\n\n"
        "Utsläpp av växthusgaser\n\nÅr 2019 var utsläppen 57 215 ton.\n\n6.\t Myndigheternas gemensamma \nåtaganden \nMyndigheterna samverkar.\n"
    )
    result = segment(doc(text))
    by_text = {p.text: p for p in result}
    assert by_text["Målet är klimatneutralitet."].section == ("5. Kommunens åtaganden", "5.1. Klimatmål 2030")
    assert by_text["År 2019 var utsläppen 57 215 ton."].section == (
        "5. Kommunens åtaganden",
        "5.1. Klimatmål 2030",
        "Utsläpp av växthusgaser",
    )
    assert by_text["Myndigheterna samverkar."].section == ("6. Myndigheternas gemensamma åtaganden",)


def test_a_new_page_that_starts_a_sentence_splits_the_paragraph() -> None:
    text = (
        "Utsläppen för hushåll är 5 \n157 kg per person år 2022.\n Utifrån den analys som gjordes 2022 framkom det.\n"
    )
    assert texts(text) == [
        "Utsläppen för hushåll är 5 157 kg per person år 2022.",
        "Utifrån den analys som gjordes 2022 framkom det.",
    ]


def test_a_blank_line_inside_a_sentence_does_not_split_the_paragraph() -> None:
    text = (
        "Genomförandet av planen får ekonomiska konsekvenser, såväl i form av \n\n"
        "(om-)riktning av finansiering som investeringsbehov.\n\n"
        "Nästa stycke börjar här.\n\nEtt stycke utan punkt\n\n• en punkt i en lista\n\n"
        "Kommunen åtar sig att:\n\nsamverka med regionen.\n\nLänkar till planen\n\nhttps://example.se/plan.pdf\n"
    )
    assert texts(text) == [
        "Genomförandet av planen får ekonomiska konsekvenser, såväl i form av (om-)riktning av finansiering "
        "som investeringsbehov.",
        "Nästa stycke börjar här.",
        "Ett stycke utan punkt",  # a bullet after a blank line starts its own unit, lower case or not
        "• en punkt i en lista",
        "Kommunen åtar sig att:",  # a lead-in's colon ends it
        "samverka med regionen.",
        "Länkar till planen",  # a web address is no continuation
        "https://example.se/plan.pdf",
    ]


def test_pdf_pages_give_paragraph_pages() -> None:
    pages = (Page(1, "Första sidans text."), Page(2, "Andra sidans text."))
    result = segment(doc("", pages=pages))
    assert [(p.text, p.page) for p in result] == [("Första sidans text.", 1), ("Andra sidans text.", 2)]


def test_seed_segmentation_has_stable_unique_ids_and_sane_size(corpus: Corpus) -> None:
    pids = [p.pid for p in corpus.paragraphs]
    assert len(pids) == len(set(pids))
    assert 350 <= len(pids) <= 480  # one careful manual segmentation found 398
    assert all(p.text.strip() for p in corpus.paragraphs)
    assert not any("viablecities.se " in p.text and "http" not in p.text for p in corpus.paragraphs)
    assert not any("\ufffd" in p.text for p in corpus.paragraphs)


def test_shared_template_is_flagged_as_boilerplate(corpus: Corpus) -> None:
    flagged = [p for p in corpus.paragraphs if p.boilerplate]
    assert 180 <= len(flagged) <= 240  # measured: 201 verbatim, 213 with names masked
    template = [p for p in corpus.paragraphs if p.text.startswith("Klimatfrågan är vår tids största utmaning")]
    assert len(template) == 3 and all(p.boilerplate for p in template)
    own = [p for p in corpus.paragraphs if "99 % förnybar" in p.text]
    assert len(own) == 1 and not own[0].boilerplate


def test_boilerplate_masks_municipality_names(gazetteer) -> None:  # type: ignore[no-untyped-def]
    a = [Paragraph("a", 1, "Alvesta kommun väljer att ingå i partnerskapet kring Klimatneutrala städer 2030.")]
    b = [Paragraph("b", 1, "Avesta kommun väljer att ingå i partnerskapet kring Klimatneutrala städer 2030.")]
    flagged = mark_boilerplate({"a": a, "b": b}, gazetteer)
    assert flagged["a"][0].boilerplate and flagged["b"][0].boilerplate


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_segmentation_never_crashes_and_ids_are_unique(text: str) -> None:
    result = segment(doc(text))
    assert len({p.pid for p in result}) == len(result)
    assert [p.ordinal for p in result] == list(range(1, len(result) + 1))


_WORDS = st.lists(
    st.sampled_from(["klimat", "Omställning", "och", "för", "energi", "2030", "åtagande", "kommunen"]),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=15))
def test_every_word_of_plain_prose_survives_in_order(lines: list[list[str]]) -> None:
    text = "\n".join(" ".join(words) for words in lines)
    joined = " ".join(p.text.replace("\n", " ") for p in segment(doc(text)))
    assert joined.split() == text.split()
