"""Property tests (Hypothesis): segmentation, Swedish numbers and dates, and generated graphs vs the shapes.

Profiles: "dev" (default, quick) and "ci" (more examples, derandomised so CI runs are
reproducible), chosen by HYPOTHESIS_PROFILE or, when unset, by the CI variable.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klimatgraf.models import Document, Page
from klimatgraf.reference import Gazetteer
from klimatgraf.segment import FOOTER_RE, PAGE_NUMBER_RE, TOC_RE, segment
from klimatgraf.swedish import format_date, format_number, parse_date, parse_number

settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

GAZETTEER = Gazetteer.from_csv(Path(__file__).resolve().parent.parent / "data" / "reference" / "kommuner.csv")
MUNICIPALITY = GAZETTEER.by_code["0764"]

# ----------------------------------------------------------------------------- segmentation

any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
words = st.sampled_from(
    ["Kommunen", "ska", "minska", "utsläppen", "med", "50", "procent", "till", "år", "2030.", "energi", "och",
     "trans-", "porter", "Klimatkontrakt", "åtar", "sig", "att:", "Örnsköldsvik", "1 108 880", "ton", "44,8"]
)  # fmt: skip
sentence = st.lists(words, min_size=1, max_size=12).map(" ".join)
line = st.one_of(
    sentence,
    sentence.map(lambda s: f"▪ {s}"),
    sentence.map(lambda s: f"◦ {s}"),
    sentence.map(lambda s: f"– {s}"),
    sentence.map(lambda s: f"5.1.\t {s}"),
    sentence.map(lambda s: f"3. {s.capitalize()}"),
    sentence.map(lambda s: f"Bilaga 2 – {s}"),
    st.integers(1, 99).map(lambda n: f"viablecities.se {n}"),
    st.integers(1, 99).map(str),
    st.just(""),
    st.just(" "),
    sentence.map(lambda s: f" {s}"),  # a page start in PDF-extracted text
    sentence.map(lambda s: f"{s} ........ 12"),
    any_text,
)
document_text = st.lists(line, max_size=40).map("\n".join)


def _document(text: str, pages: tuple[str, ...] | None = None) -> Document:
    return Document(
        doc_id="prov",
        file_name="prov.txt",
        sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
        text=text,
        pages=tuple(Page(i + 1, p) for i, p in enumerate(pages or (text,))),
        municipality=MUNICIPALITY,
        doc_type="klimatkontrakt",
        title="Prov",
    )


def _is_artefact(raw: str) -> bool:
    """The lines segment drops by design: page footers, lone page numbers, table-of-contents lines."""
    text = raw.rstrip()
    return bool(FOOTER_RE.match(text) or TOC_RE.search(text) or (PAGE_NUMBER_RE.match(text) and text.strip()))


# Layout that segmentation adds or removes: whitespace, bullet marks it normalises, and the
# hyphen of a word broken at a line end.
_LAYOUT = re.compile(r"[\s\u200b▪•◦●○■□▫‣⁃∙·–—-]")


def _content(text: str) -> str:
    return _LAYOUT.sub("", text)


@given(document_text)
def test_segmentation_never_crashes_and_keeps_content_in_order(text: str) -> None:
    paragraphs = segment(_document(text))
    kept = "".join(_content(raw) for raw in text.split("\n") if not _is_artefact(raw))
    assert "".join(_content(p.text) for p in paragraphs) == kept


@given(st.lists(document_text, min_size=1, max_size=4))
def test_segmentation_of_real_pages_keeps_content_in_order(pages: list[str]) -> None:
    paragraphs = segment(_document("\n".join(pages), tuple(pages)))
    kept = "".join(_content(raw) for page in pages for raw in page.split("\n") if not _is_artefact(raw))
    assert "".join(_content(p.text) for p in paragraphs) == kept


@given(document_text)
def test_paragraph_ids_are_unique_consecutive_and_stable(text: str) -> None:
    first, second = segment(_document(text)), segment(_document(text))
    assert [p.ordinal for p in first] == list(range(1, len(first) + 1))
    assert len({p.pid for p in first}) == len(first)
    assert [(p.pid, p.text) for p in first] == [(p.pid, p.text) for p in second]
    assert all(p.text.strip() for p in first)


# ----------------------------------------------------------------------------- Swedish numbers and dates

_SPACES = st.sampled_from([" ", "\u00a0", "\u202f", "\u2009"])


@given(st.integers(0, 10**12), _SPACES)
def test_whole_numbers_round_trip(value: int, space: str) -> None:
    text = format_number(value)
    assert parse_number(text) == value
    assert parse_number(text.replace(" ", space)) == value
    assert format_number(parse_number(text)) == text


@given(st.integers(0, 10**9), st.integers(1, 999).map(str).filter(lambda s: not s.endswith("0")))
def test_decimal_numbers_round_trip(whole: int, decimals: str) -> None:
    text = f"{format_number(whole)},{decimals}"  # "1 108 880,5", "44,8"
    assert format_number(parse_number(text)) == text
    assert abs(parse_number(text) - float(f"{whole}.{decimals}")) < 1e-6


@given(st.integers(1, 999), st.sampled_from(["tusen", "miljoner", "miljarder"]))
def test_multipliers(value: int, word: str) -> None:
    factor = {"tusen": 1e3, "miljoner": 1e6, "miljarder": 1e9}[word]
    assert parse_number(f"{value} {word}") == value * factor


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.booleans())
def test_dates_round_trip(value: date, capitalised: bool) -> None:
    text = format_date(value)  # "5 december 2025"
    assert parse_date(text) == value
    assert parse_date(f"Avtalet undertecknas den {text.title() if capitalised else text} i Stockholm.") == value


# ----------------------------------------------------------------------------- generated documents vs the shapes

_names = st.sampled_from(sorted(m.name for m in GAZETTEER.municipalities))
_commitment = st.integers(1, 10).map(lambda n: f"Åtagande {n} - Vi åtar oss att arbeta med omställningen.")
_target = st.tuples(st.integers(2025, 2045), st.integers(10, 100)).map(
    lambda t: f"Kommunen ska minska utsläppen från den egna verksamheten med {t[1]} procent till år {t[0]}."
)
_neutral = st.integers(2025, 2045).map(lambda y: f"Kommunen ska vara klimatneutral år {y}.")
_emission = st.tuples(st.integers(1000, 2_000_000), st.integers(1990, 2024)).map(
    lambda t: f"De territoriella utsläppen var {format_number(t[0])} ton koldioxidekvivalenter år {t[1]}."
)
_themes = st.lists(st.sampled_from(["energi", "mobilitet", "matsvinn", "byggande", "konsumtion"]), min_size=2,
                   max_size=4, unique=True).map(lambda t: "Våra fokusområden är " + ", ".join(t[:-1]) + f" och {t[-1]}.")  # fmt: skip
_organisation = st.sampled_from(["Skellefteå Kraft AB", "RISE", "Högskolan Dalarna", "Luleå tekniska universitet"])
_body = st.lists(
    st.one_of(
        _commitment, _target, _neutral, _emission, _themes, _organisation.map(lambda o: f"Vi samarbetar med {o}.")
    ),
    max_size=8,
)


@settings(max_examples=15)
@given(_names, _names, _body, st.booleans())
def test_graphs_built_from_generated_documents_conform(own: str, pioneer: str, body: list[str], contract: bool) -> None:
    from rdflib import Graph

    from klimatgraf.extract import extract
    from klimatgraf.graph import build_graph
    from klimatgraf.ingest import read_document
    from klimatgraf.segment import mark_boilerplate
    from klimatgraf.validate import validate

    head = (
        f"Klimatkontrakt 2030\nMellan {own} kommun och myndigheterna Energimyndigheten, Formas och Vinnova.\n\n"
        f"{own} kommun väljer att ingå i Klimatkontrakt 2030."
        if contract
        else f"{own} kommun avser genom denna fördjupade avsiktsförklaring att kraftsamla för omställningen."
    )
    twin = f"\n\nVi har {pioneer} som pionjärstad och lär av erfarenheterna därifrån." if pioneer != own else ""
    text = head + twin + "\n\n" + "\n\n".join(body) + "\n"
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "genererat.txt"
        path.write_text(text, encoding="utf-8")
        document = read_document(path, GAZETTEER, municipality=own)
    paragraphs = mark_boilerplate({document.doc_id: segment(document)}, GAZETTEER)[document.doc_id]
    graph = build_graph([extract(document, paragraphs, GAZETTEER)], paragraphs, GAZETTEER)
    assert isinstance(graph, Graph) and len(graph) > 0
    result = validate(graph)
    assert result.conforms, result.report_text
