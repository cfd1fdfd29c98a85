"""Shared commitments (gemensamma åtaganden) a document adopts, by number.

Adoption is stated as "Åtagande N - Vi åtar oss …" / "Åtagande nr N - …", as a numbered
list introduced by a sentence about commitments ("… inom följande gemensamma åtaganden:"),
or as a numbered heading whose body begins "Vi åtar oss". Numbers listed under "Koppling
till andra åtaganden:" (label headings ending in ':') are links to other commitments and
are never adoptions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import CommitmentAdoption, Paragraph
from ._text import in_section

_ATAGANDE = re.compile(r"^Åtagande\s+(?:nr\.?\s*)?(\d{1,2})\s*[-–—:.]\s*(.+)", re.IGNORECASE | re.DOTALL)
_NUMBERED = re.compile(r"^(\d{1,2})\.\s+(.+)$")
_LINK_SECTION = r"koppling"
VALID = range(1, 11)


def _label(text: str) -> str:
    """A short label: up to the first sentence end, list line or ' genom att'; at most ~90 characters."""
    first = re.split(r"\n|(?<=[.:])\s|\s+genom att\b|\s+–\s+(?=lokalt)", text.strip(), maxsplit=1)[0]
    first = re.sub(r"^Vi åtar oss att\s+", "", first).strip(" .:;-–")
    if len(first) > 90:
        first = first[:90].rsplit(" ", 1)[0] + " …"
    return first[:1].upper() + first[1:]


def extract_commitments(paragraphs: Sequence[Paragraph]) -> list[CommitmentAdoption]:
    found: dict[int, CommitmentAdoption] = {}

    def adopt(number: int, label: str, pid: str) -> None:
        if number in VALID and number not in found:
            found[number] = CommitmentAdoption(number, _label(label), pid)

    for index, paragraph in enumerate(paragraphs):
        if in_section(paragraph, _LINK_SECTION) or (
            paragraph.text.rstrip().endswith(":") and paragraph.kind == "heading"
        ):
            continue
        match = _ATAGANDE.match(paragraph.text)
        if match:
            adopt(int(match.group(1)), match.group(2), paragraph.pid)
            continue
        if paragraph.kind == "list" and re.search(r"åtagande", paragraph.text.split("\n", 1)[0], re.IGNORECASE):
            for item in paragraph.items:
                numbered = _NUMBERED.match(item)
                if numbered:
                    adopt(int(numbered.group(1)), numbered.group(2), paragraph.pid)
            continue
        numbered = _NUMBERED.match(paragraph.text)
        if paragraph.kind == "heading" and numbered:
            body = next((p for p in paragraphs[index + 1 : index + 3] if p.kind != "heading"), None)
            if body is not None and re.match(r"^\s*Vi\s+åtar\s+oss\b", body.text):
                adopt(int(numbered.group(1)), numbered.group(2), paragraph.pid)
    return sorted(found.values(), key=lambda c: c.number)
