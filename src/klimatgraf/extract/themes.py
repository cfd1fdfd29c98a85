"""Themes (insatsområden): the thematic areas a municipality names as its priorities.

Found as an enumeration after a cue ("prioriterade områden", "tematiska områden",
"fokusområden", "insatsområden", "nyckelområden") — inline after a colon or in the next
paragraph — as short bullet items following such a cue, and as short label lines
("Transport och mobilitet:") under a thematic heading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import Paragraph, Theme
from ._text import capitalise, in_section

_CUE = re.compile(
    r"(prioriterade|tematiska)\s+(?:områden|åtaganden|insatsområden)|fokusområden\w*|insatsområden\w*|nyckelområden\w*",
    re.I,
)
_THEMATIC_SECTION = r"tematisk|insatsområde|fokusområde|prioriterade områden"
# "Våra fokusområden är energi, mobilitet och cirkulär ekonomi." — the enumeration after a verb
_INLINE_ENUMERATION = re.compile(r"\s+(?:är|omfattar|innefattar|utgörs\s+av)\s+([^.:\n]+)", re.I)
MAX_WORDS = 5
MAX_COUNTED_WORDS = 10
_COUNTS = {"två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "åtta": 8, "nio": 9, "tio": 10}
_COUNT_BEFORE_CUE = re.compile(r"\b(" + "|".join(_COUNTS) + r"|\d)\s+(?:\w+\s+){0,2}$", re.I)


def _split_enumeration(text: str, expected: int | None = None) -> list[str]:
    """Items of "A, B, C samt D"; a stated count ("tre fokusområden:") lets longer items through,
    because the count proves where the item boundaries are."""
    text = re.split(r"\.\s|\.$|\s+som\s+(?:fångar|speglar|vägleder)\b", text.strip(), maxsplit=1)[0]
    parts = [p.strip() for p in re.split(r",\s*|\s+samt\s+", text) if p.strip()]
    if parts and len(parts) > 1 and all(len(p.split()) == 1 for p in parts[:-1]) and len(parts) != expected:
        last = parts.pop()
        parts += [p.strip() for p in re.split(r"\s+och\s+", last)]
    limit = MAX_COUNTED_WORDS if expected is not None and len(parts) == expected else MAX_WORDS
    return [p for p in parts if 0 < len(p.split()) <= limit and not re.search(r"\d", p)]


def _expected_count(text_before_cue: str) -> int | None:
    match = _COUNT_BEFORE_CUE.search(text_before_cue)
    if match is None:
        return None
    word = match.group(1).lower()
    return int(word) if word.isdigit() else _COUNTS[word]


def _is_enumeration(text: str) -> bool:
    """ "Transport och mobilitet, Energi, Byggd miljö samt Konsumtion." — mostly short parts."""
    parts = [p for p in re.split(r",\s*|\s+samt\s+", text.rstrip(". ")) if p.strip()]
    return len(parts) >= 3 and sum(len(p.split()) <= MAX_WORDS for p in parts) >= 0.8 * len(parts)


def _label(item: str) -> str | None:
    item = item.strip()
    if item.startswith("◦") or re.search(r"[.!?]$", item) or len(item.split()) > MAX_WORDS:
        return None
    return capitalise(item)


def extract_themes(paragraphs: Sequence[Paragraph]) -> list[Theme]:
    themes: dict[str, Theme] = {}

    def add(label: str | None, pid: str) -> None:
        if label and len(label) > 2 and label.casefold() not in themes:
            themes[label.casefold()] = Theme(capitalise(label), pid)

    for index, paragraph in enumerate(paragraphs):
        if paragraph.boilerplate:
            continue
        first_line = paragraph.text.split("\n", 1)[0]
        cue = _CUE.search(first_line)
        if cue:
            after_colon = first_line[cue.end() :].split(":", 1)
            inline = _INLINE_ENUMERATION.match(first_line, cue.end())
            expected = _expected_count(first_line[: cue.start()])
            if len(after_colon) == 2 and after_colon[1].strip():
                for item in _split_enumeration(after_colon[1], expected):
                    add(item, paragraph.pid)
            elif inline and (expected is not None or _is_enumeration(inline.group(1).replace(" och ", ", "))):
                for item in _split_enumeration(inline.group(1), expected):
                    add(item, paragraph.pid)
            for item in paragraph.items:
                add(_label(item), paragraph.pid)
            for follower in paragraphs[index + 1 : index + 4]:
                if follower.ordinal > paragraph.ordinal + 3 or follower.section[:1] != paragraph.section[:1]:
                    break  # template text removed in between, or another chapter: not a continuation
                if follower.kind == "heading" and not follower.text.endswith(":"):
                    break
                if follower.kind == "paragraph" and _is_enumeration(follower.text):
                    for item in _split_enumeration(follower.text):
                        add(item, follower.pid)
                for item in follower.items:
                    add(_label(item), follower.pid)
        label_line = re.match(r"^([^\n:]{3,60}):\s*(\n|$)", paragraph.text)
        in_thematic = in_section(paragraph, _THEMATIC_SECTION) or bool(_CUE.search(paragraph.section_path))
        short_label = bool(label_line) and len(label_line.group(1).split()) <= MAX_WORDS  # type: ignore[union-attr]
        if label_line and in_thematic and short_label and paragraph.kind in ("list", "heading"):
            add(label_line.group(1), paragraph.pid)
    return list(themes.values())
