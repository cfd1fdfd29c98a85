"""Twin → pioneer relations, and the other municipalities a document names.

A twin speaks of its pioneer ("vår pionjärkommun Karlstad", "pionjärstaden Växjö kommuns",
"Växjö, som Alvesta kommun är tvillingstad till", "tvillingkommun till X", "X är vår
pionjärkommun"); a pioneer speaks of its twin ("vår tvillingkommun X", "X är vår
tvillingstad"). The document's own municipality is always one side of the pair, so the
other side is a *different* municipality named next to the cue.

"Erfarenheter från Karlstads kommun" alone is weak (a document learns from many places);
it counts only when the document calls itself a twin and gives no stronger cue. The
template's "övriga pionjär- och tvillingstäder" names no municipality and counts for nothing.
One relation per pair; its evidence is the paragraph with the most explicit cue.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ..models import Document, Paragraph, TwinRelation
from ..reference import Gazetteer

_PIONEER_NOUN = r"pionjär(?:kommun|stad|staden|städer|en|erna|kommunen|kommunerna)?"
_TWIN_NOUN = r"tvilling(?:kommun|stad|staden|städer|en|ar|arna|kommunen|kommunerna)?"
# cue words just before the other municipality's name → that municipality is the pioneer
_BEFORE_PIONEER = re.compile(
    rf"(?:{_PIONEER_NOUN}(?:\s+är)?|{_TWIN_NOUN}\s+till|erfarenheter\w*\s+från\s+(?:vår\s+)?{_PIONEER_NOUN})[\s,]*$",
    re.I,
)
# cue words just after the name → pioneer ("Växjö, som Alvesta kommun är tvillingstad till", "X är vår pionjärkommun")
_AFTER_PIONEER = re.compile(
    rf"^[\s,]*(?:som\s+.{{0,60}}?{_TWIN_NOUN}\s+till\b|(?:är|,)\s+(?:vår|vårt|våra)\s+{_PIONEER_NOUN}\b"
    rf"|som\s+(?:vår\s+|vårt\s+)?{_PIONEER_NOUN}\b)",
    re.I,
)
_BEFORE_TWIN = re.compile(rf"(?:vår|vårt|våra|som)\s+{_TWIN_NOUN}(?:\s+är)?[\s,]*$|{_PIONEER_NOUN}\s+för[\s,]*$", re.I)


def _after_twin(own_name: str) -> re.Pattern[str]:
    """ "Lund är vår tvillingkommun", "Lund, som tvillingkommun till Malmö" (in Malmö's text)."""
    return re.compile(
        rf"^[\s,]*(?:är|,|som)\s+(?:(?:vår|vårt|våra)\s+)?{_TWIN_NOUN}\b"
        rf"(?!\s+till\s+(?!oss\b|{re.escape(own_name)}))",
        re.I,
    )


_WEAK_PIONEER = re.compile(r"(?:erfarenheter\w*\s+från|lära\s+av|inspireras\s+av|ta\s+del\s+av)\s*$", re.I)
_SELF_TWIN = re.compile(rf"(?:vara|är|som)\s+(?:en\s+)?{_TWIN_NOUN}\b|{_TWIN_NOUN}\s+till\b", re.I)
STRONG, WEAK = 2, 1
# Municipality names that are also common Swedish words, first names or surnames.
AMBIGUOUS_NAMES = frozenset(
    [
        "Ale",
        "Berg",
        "Bjuv",
        "Boden",
        "Bräcke",
        "Dorotea",
        "Eda",
        "Flen",
        "Habo",
        "Heby",
        "Hjo",
        "Kil",
        "Kinda",
        "Klippan",
        "Laxå",
        "Malå",
        "Mark",
        "Mora",
        "Nora",
        "Orsa",
        "Osby",
        "Sala",
        "Salem",
        "Sunne",
        "Tanum",
        "Tibro",
        "Vara",
        "Vilhelmina",
        "Ydre",
        "Åre",
        "Ånge",
        "Älvdalen",
    ]
)


def extract_twins(document: Document, paragraphs: Sequence[Paragraph], gazetteer: Gazetteer) -> list[TwinRelation]:
    own = document.municipality.kommunkod
    after_twin = _after_twin(document.municipality.name)
    pioneers: Counter[str] = Counter()
    twins: Counter[str] = Counter()
    weak: Counter[str] = Counter()
    evidence: dict[tuple[str, str], tuple[int, str]] = {}

    def note(pair: tuple[str, str], strength: int, pid: str) -> None:
        if pair not in evidence or strength > evidence[pair][0]:
            evidence[pair] = (strength, pid)

    for paragraph in paragraphs:
        text = paragraph.text
        for mention in gazetteer.mentions(text):
            code = mention.municipality.kommunkod
            if code == own:
                continue
            before = text[max(0, mention.start - 60) : mention.start]
            after = text[mention.end : mention.end + 90]
            explicit = STRONG + (1 if re.search(r"\bvår|till\b", before + after[:50], re.I) else 0)
            if _BEFORE_PIONEER.search(before) or _AFTER_PIONEER.search(after):
                pioneers[code] += 1
                note((own, code), explicit, paragraph.pid)
            elif _BEFORE_TWIN.search(before) or after_twin.search(after):
                twins[code] += 1
                note((code, own), explicit, paragraph.pid)
            elif _WEAK_PIONEER.search(before):
                weak[code] += 1
                note((own, code), WEAK, paragraph.pid)
    if not pioneers and weak and any(_SELF_TWIN.search(p.text) for p in paragraphs):
        pioneers = weak
    relations = [TwinRelation(own, code, evidence[(own, code)][1]) for code, _ in pioneers.most_common(1)]
    relations += [TwinRelation(code, own, evidence[(code, own)][1]) for code in sorted(twins) if code not in pioneers]
    return relations


def mentioned_municipalities(document: Document, paragraphs: Sequence[Paragraph], gazetteer: Gazetteer) -> list[str]:
    """Other municipalities named in the document's own text.

    Names that are also ordinary words or first names ("Mark", "Vara", "Ale", "Berg",
    "Boden", "Nora", "Klippan") count only when written with "kommun" or "stad" somewhere;
    every other municipality name counts when written alone ("Malmö", "Umeå", "Växjö").
    """
    counts: Counter[str] = Counter()
    strong: set[str] = set()
    for paragraph in paragraphs:
        for mention in gazetteer.mentions(paragraph.text):
            code = mention.municipality.kommunkod
            if code == document.municipality.kommunkod:
                continue
            counts[code] += 1
            with_noun = mention.with_kommun or re.match(r"\s+stad\b", paragraph.text[mention.end :])
            if with_noun or mention.municipality.name not in AMBIGUOUS_NAMES:
                strong.add(code)
    return sorted(code for code in counts if code in strong)
