"""Parties: the municipality, the six agencies and the programme Viable Cities.

A party is taken from where a document *names its parties*: a "Parter" section or a
"Parter i … är:" list, or a cover line "Mellan X kommun och myndigheterna …". A
fördjupad avsiktsförklaring has no party list; there Viable Cities counts as a party
when the document has a section for Viable Cities' own commitment ("Viable Cities
åtagande"), and agencies only where such a list names them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import Document, Paragraph, Party, PartyKind
from ._text import in_section

# Long forms may be written in lower case after the first word ("Statens energimyndighet");
# "Formas" stays case-sensitive because "formas" is also an ordinary verb.
AGENCIES = {
    "Energimyndigheten": r"(?i:energimyndighet)",
    "Formas": r"\bFormas\b|\bFORMAS\b|(?i:forskningsrådet\s+för\s+miljö)",
    "Naturvårdsverket": r"(?i:naturvårdsverket)",
    "Tillväxtverket": r"(?i:tillväxtverket)",
    "Trafikverket": r"(?i:trafikverket)",
    "Vinnova": r"\bVinnova\b|\bVINNOVA\b|(?i:verket\s+för\s+innovationssystem)",
}
PROGRAMME = ("Viable Cities", r"Viable\s+Cities")
_PARTY_LIST = re.compile(
    r"^\s*Parter(?:na)?(?:\s+i\s+[^.:\n]{0,60}?)?\s*(?:är\b|:|$)|^.{0,40}?\bMellan\s+\S+(?:\s+\S+)?\s+(?:kommun|stad)|"
    r"\b(?:undertecknas|tecknas|ingås)\s+(?:av|mellan)\b",
    re.IGNORECASE,
)


def _party_paragraphs(paragraphs: Sequence[Paragraph]) -> list[Paragraph]:
    return [
        p
        for p in paragraphs
        if _PARTY_LIST.search(p.text[:200]) or (p.kind != "heading" and in_section(p, r"^\d*\.?\s*Parter$"))
    ]


def extract_parties(document: Document, paragraphs: Sequence[Paragraph]) -> list[Party]:
    listed = _party_paragraphs(paragraphs)
    parties: dict[str, Party] = {}
    for paragraph in listed:
        for name, pattern in (*AGENCIES.items(), PROGRAMME):
            if name not in parties and re.search(pattern, paragraph.text):
                kind: PartyKind = "programme" if name == PROGRAMME[0] else "agency"
                parties[name] = Party(name, kind, paragraph.pid)
    if PROGRAMME[0] not in parties:
        for paragraph in paragraphs:
            if paragraph.kind == "heading" and re.match(r"^(\d+\.?\s*)?Viable Cities\s+åtagande", paragraph.text, re.I):
                parties[PROGRAMME[0]] = Party(PROGRAMME[0], "programme", paragraph.pid)
                break
    own = document.municipality.name
    evidence = next((p for p in listed if own in p.text), None) or next(
        (p for p in paragraphs if re.search(rf"\b{re.escape(own)}s?\s+[Kk]ommun", p.text)), None
    )
    result = list(parties.values())
    if evidence is not None:
        result.insert(0, Party(own, "municipality", evidence.pid))
    return result
