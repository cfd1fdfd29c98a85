"""Small text helpers shared by the extraction rules."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..models import Paragraph

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9•])|\n")


def sentences(text: str) -> list[str]:
    """Sentences and list lines; good enough for rule context windows."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def in_section(paragraph: Paragraph, pattern: str) -> bool:
    return any(re.search(pattern, heading, re.IGNORECASE) for heading in paragraph.section)


def lead_in(paragraph: Paragraph) -> str:
    """The text before the first list item of a list paragraph."""
    return paragraph.text.split("\n", 1)[0] if paragraph.kind == "list" else paragraph.text


def capitalise(label: str) -> str:
    label = label.strip(" :.;,•–-\t")
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


YEAR_RE = re.compile(r"\b(19[89]\d|20[0-5]\d)\b")
