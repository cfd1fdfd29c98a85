"""Shared commitments (gemensamma åtaganden) a document adopts, by number.

Adoption is stated three ways: "Åtagande N - Vi åtar oss …" / "Åtagande nr N – …" (a
paragraph, list item or heading); a numbered list whose lead-in chooses commitments
("… initiera ett strukturerat arbete inom följande gemensamma åtaganden:"); or a numbered
heading whose body begins "Vi åtar oss" / "Kommunen åtar sig". Numbers under "Koppling
till andra åtaganden:" (label headings ending in ':' and the paragraphs below them) are
links between commitments, never adoptions.

The adoption statement is template wording by design (every contract says "Åtagande 1 -
Vi åtar oss att …"), so boilerplate paragraphs are read here too; only a template *menu*
listing every commitment without an adoption verb is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..models import CommitmentAdoption, Paragraph
from ._text import capitalise, in_section

_ATAGANDE = re.compile(r"^\s*Åtagande\s+(?:nr\.?\s*)?(\d{1,2})\s*[-–—:.]\s*(.+)", re.IGNORECASE | re.DOTALL)
_NUMBERED = re.compile(r"^(\d{1,2})\.\s+(.+)$", re.DOTALL)
_LINK_SECTION = r"^koppling"
_ADOPTING_LEAD = re.compile(
    r"åtagande.*?:\s*$|(?:välj|ingå|initiera|prioriter|anta|antar|arbete\s+inom|åtar).{0,120}åtagande", re.I | re.S
)
_BODY_ADOPTS = re.compile(r"^\s*(?:Vi|Kommunen|[A-ZÅÄÖ]\w+\s+kommun)\s+(?:åtar\s+(?:oss|sig)|antar)\b")
_VI_ATAR = re.compile(r"^(?:Vi|Kommunen|[A-ZÅÄÖ]\w+\s+kommun)\s+åtar\s+(?:oss|sig)\s+att\s+", re.I)
# Clause boundaries where a long adoption sentence can be cut into a label, in order of preference.
_CUTS = re.compile(r"\s+[–—-]\s+|,\s+(?:både|samt|och)\s+|,?\s+för att\s+|,?\s+som\s+|\s+genom att\b")
VALID = range(1, 11)
MIN_LABEL_WORDS = 4
MAX_LABEL_CHARS = 100


def label_from(text: str) -> str:
    """A short label: the first line, without "Vi åtar oss att", cut at the earliest clause
    boundary (dash, "för att", "som", "genom att") that still leaves at least four words (so "Stärka klimatomställning genom att
    samordna den med klimatanpassning …" keeps its distinguishing part)."""
    first = re.split(r"\n|(?<=[.:])\s", text.strip(), maxsplit=1)[0]
    first = _VI_ATAR.sub("", first).strip(" .:;")
    for match in _CUTS.finditer(first):
        if len(first[: match.start()].split()) >= MIN_LABEL_WORDS:
            first = first[: match.start()]
            break
    first = first.strip(" .:;,-–")
    if len(first) > MAX_LABEL_CHARS:
        first = first[:MAX_LABEL_CHARS].rsplit(" ", 1)[0] + " …"
    return capitalise(first)


def _is_link(paragraph: Paragraph) -> bool:
    if in_section(paragraph, _LINK_SECTION) or re.match(r"^koppling", paragraph.text, re.I):
        return True
    return paragraph.kind == "heading" and paragraph.text.rstrip().endswith(":")


# "3. Järfällas åtaganden", "5. Myndigheternas åtaganden": a section of a party's undertakings, not one commitment
_UNDERTAKINGS_SECTION = re.compile(r"\båtaganden(?:a)?\s*$", re.I)


def extract_commitments(paragraphs: Sequence[Paragraph], numbered_scheme: bool = True) -> list[CommitmentAdoption]:
    """`numbered_scheme=False` for documents without the shared commitments 1–10 (the yearly
    editions of 2020–2024): there only an explicit "Åtagande N -" counts, never a numbered heading
    or list, since their section numbers ("3.", "7.1") are not commitment numbers."""
    found: dict[int, CommitmentAdoption] = {}

    def adopt(number: int, label: str, pid: str) -> None:
        if number in VALID and number not in found:
            found[number] = CommitmentAdoption(number, label_from(label), pid)

    for index, paragraph in enumerate(paragraphs):
        if _is_link(paragraph):
            continue
        match = _ATAGANDE.match(paragraph.text)
        if match:
            adopt(int(match.group(1)), match.group(2), paragraph.pid)
            continue
        if not numbered_scheme:
            continue
        if paragraph.kind == "list":
            _adopt_from_list(paragraph, adopt)
            continue
        numbered = _NUMBERED.match(paragraph.text)
        if paragraph.kind == "heading" and numbered and not _UNDERTAKINGS_SECTION.search(numbered.group(2)):
            body = next((p for p in paragraphs[index + 1 : index + 3] if p.kind != "heading"), None)
            if body is not None and _BODY_ADOPTS.match(body.text):
                adopt(int(numbered.group(1)), numbered.group(2), paragraph.pid)
    return sorted(found.values(), key=lambda c: c.number)


def _adopt_from_list(paragraph: Paragraph, adopt: Callable[[int, str, str], None]) -> None:
    lead = paragraph.text.split("\n", 1)[0]
    items = [i for i in paragraph.items if not i.startswith("◦")]
    for item in items:
        match = _ATAGANDE.match(item)
        if match:
            adopt(int(match.group(1)), match.group(2), paragraph.pid)
    if not _ADOPTING_LEAD.search(lead):
        return
    numbered = [m for m in (_NUMBERED.match(i) for i in items) if m]
    if paragraph.boilerplate and len(numbered) >= len(VALID):
        return  # the template's menu of all commitments, not a choice
    for m in numbered:
        adopt(int(m.group(1)), m.group(2), paragraph.pid)
