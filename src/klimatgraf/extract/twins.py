"""Twin → pioneer relations, and the other municipalities a document names.

A twin speaks of its pioneer ("vår pionjärkommun Karlstad", "pionjärstaden Växjö kommuns",
"Växjö, som Alvesta kommun är tvillingstad till", "tvillingkommun till X"); a pioneer of
its twin ("vår tvillingkommun X"). The document's own municipality is one side of the pair.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ..models import Document, Paragraph, TwinRelation
from ..reference import Gazetteer

_BEFORE_PIONEER = re.compile(r"(pionjär\w*|tvilling\w*\s+till|erfarenheter\w*\s+från\s+(vår\s+)?pionjär\w*)\s*$", re.I)
_AFTER_PIONEER = re.compile(r"^\W{0,3}\s*som\s+.{0,60}?tvilling\w*\s+till\b", re.I)
_BEFORE_TWIN = re.compile(r"(tvilling(?:kommun|stad|staden|en)|tvillingar)\s*$", re.I)


def extract_twins(document: Document, paragraphs: Sequence[Paragraph], gazetteer: Gazetteer) -> list[TwinRelation]:
    own = document.municipality.kommunkod
    pioneers: Counter[str] = Counter()
    twins: Counter[str] = Counter()
    evidence: dict[tuple[str, str], str] = {}
    for paragraph in paragraphs:
        text = paragraph.text
        for mention in gazetteer.mentions(text):
            code = mention.municipality.kommunkod
            if code == own:
                continue
            before = text[max(0, mention.start - 45) : mention.start]
            after = text[mention.end : mention.end + 90]
            if _BEFORE_PIONEER.search(before) or _AFTER_PIONEER.search(after):
                pioneers[code] += 1
                evidence.setdefault((own, code), paragraph.pid)
            elif _BEFORE_TWIN.search(before):
                twins[code] += 1
                evidence.setdefault((code, own), paragraph.pid)
    relations = [TwinRelation(own, code, evidence[(own, code)]) for code, _ in pioneers.most_common(1)]
    relations += [TwinRelation(code, own, evidence[(code, own)]) for code in sorted(twins) if code not in pioneers]
    return relations


def mentioned_municipalities(document: Document, paragraphs: Sequence[Paragraph], gazetteer: Gazetteer) -> list[str]:
    """Other municipalities named in the document's own text (short ambiguous names need 'kommun')."""
    counts: Counter[str] = Counter()
    strong: set[str] = set()
    for paragraph in paragraphs:
        for mention in gazetteer.mentions(paragraph.text):
            code = mention.municipality.kommunkod
            if code == document.municipality.kommunkod:
                continue
            counts[code] += 1
            if mention.with_kommun or len(mention.municipality.name) >= 6:
                strong.add(code)
    return sorted(code for code in counts if code in strong)
