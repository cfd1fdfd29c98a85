"""Small text helpers shared by the extraction rules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..models import Paragraph

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9•])|\n")
# First-person or named self-reference: text a municipality wrote about itself, not template prose.
_SELF_REFERENCE = re.compile(r"\b(?:vi|vår|vårt|våra|oss|kommunen|kommunens|kommunkoncern\w*)\b", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """Sentences and list lines; good enough for rule context windows."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def in_section(paragraph: Paragraph, pattern: str) -> bool:
    return any(re.search(pattern, heading, re.IGNORECASE) for heading in paragraph.section)


def lead_in(paragraph: Paragraph) -> str:
    """The text before the first list item of a list paragraph."""
    return paragraph.text.split("\n", 1)[0] if paragraph.kind == "list" else paragraph.text


def capitalise(label: str) -> str:
    label = re.sub(r"\s+", " ", label).strip(" :.;,•–-\t\"”“'")
    return label[:1].upper() + label[1:] if label else label


def unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.casefold()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def template_like(paragraphs: Sequence[Paragraph], index: int, own_name: str) -> bool:
    """A paragraph that is template text although the exact-match boilerplate flag missed it.

    The flag compares whole paragraphs verbatim, so one typo ("bland anna") in a copied
    template paragraph leaves it unflagged. Such a copy sits *between* flagged paragraphs
    (the template section around it) and never speaks of the municipality itself; a
    municipality's own insertion into a template section does ("vi", "kommunen", its name).
    """
    paragraph = paragraphs[index]
    if paragraph.boilerplate:
        return True
    if index == 0 or index + 1 >= len(paragraphs):
        return False
    before, after = paragraphs[index - 1], paragraphs[index + 1]
    if not (before.boilerplate and after.boilerplate):
        return False
    return not (_SELF_REFERENCE.search(paragraph.text) or (own_name and own_name in paragraph.text))


# Sections where the *other* parties speak ("4. Viable Cities åtaganden", "5. Myndigheternas åtaganden",
# "7.3 Viktigaste uppdateringar för Viable Cities / myndigheterna"): never the municipality's own facts,
# even in a corpus where no second document shares their template text.
_OTHER_PARTY_SECTION = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?\s*)?(?:Viable\s+Cities\W{0,2}s?\s+(?:gemensamma\s+)?åtagande\w*|"
    r"Myndigheternas\b.{0,40}?åtagande\w*|Viktigaste\s+uppdateringar(?:na)?\s+för\s+(?:Viable\s+Cities|myndigheterna))",
    re.I,
)


def other_party_section(paragraph: Paragraph) -> bool:
    return any(_OTHER_PARTY_SECTION.match(heading) for heading in paragraph.section)


def own_paragraphs(paragraphs: Sequence[Paragraph], own_name: str, yearly_edition: bool = False) -> list[Paragraph]:
    """The municipality's own text: neither flagged boilerplate nor an unflagged template copy.

    In the yearly editions of 2020–2024 the sections where Viable Cities and the agencies state
    their undertakings (4, 5, 7.3, 7.4) are template by structure, even in a corpus where no other
    document shares their text. (The 2025 formats name networks of their own there, so the rule is
    kept to the yearly structure.)"""
    return [
        p
        for i, p in enumerate(paragraphs)
        if not template_like(paragraphs, i, own_name) and not (yearly_edition and other_party_section(p))
    ]


YEAR_RE = re.compile(r"\b(19[89]\d|20[0-5]\d)\b")
