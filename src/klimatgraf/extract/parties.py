"""Parties: the municipality, the agencies and the programme Viable Cities.

An agency is taken from where a document *names its parties*: a "Parter" section or a
"Parter i … är:" list, or the cover block "Mellan X kommun och myndigheterna", the agencies
and "samt Viable Cities", however its lines are broken (the 2020 covers are in capitals with
stray spaces inside words, so the cover block is read squashed: see `cover.squash`).
The municipality and Viable Cities are parties of every Klimatkontrakt, whether or not a list
repeats them. A fördjupad avsiktsförklaring has no party list; there Viable Cities counts
as a party when the document has a section for Viable Cities' own commitment ("Viable
Cities åtagande"), and agencies only where such a list names them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..cover import PARTIES_NAMED, squash
from ..models import Document, Paragraph, Party, PartyKind
from ..vocabulary import DocType
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
_VIABLE = re.compile(r"V\s*I\s*A\s*B\s*L\s*E\s*C\s*I\s*T\s*I\s*E\s*S", re.I)  # however its letters are spaced
_PARTY_LIST = re.compile(
    r"^\s*Parter(?:na)?(?:\s+i\s+[^.:\n]{0,60}?)?\s*(?:är\b|:|$)|^.{0,40}?\bMellan\s+\S+(?:\s+\S+)?\s+(?:kommun|stad)|"
    r"\b(?:undertecknas|tecknas|ingås)\s+(?:av|mellan)\b",
    re.IGNORECASE,
)


# the parties as the cover block names them once squashed (case, accents and spaces gone)
_SQUASHED = {
    "Energimyndigheten": ("energimyndighet",),
    "Formas": ("formas", "forskningsradetformiljo"),
    "Naturvårdsverket": ("naturvardsverket",),
    "Tillväxtverket": ("tillvaxtverket",),
    "Trafikverket": ("trafikverket",),
    "Vinnova": ("vinnova", "verketforinnovationssystem"),
    "Viable Cities": ("viablecities",),
}
COVER_PARAGRAPHS = 12  # the cover block lies among a document's first paragraphs
_COVER_CHARS = 400
_COVER_BLOCK_LINES = 5  # "Mellan X kommun och myndigheterna", the agencies over a few lines, "samt Viable Cities"


def _party_paragraphs(paragraphs: Sequence[Paragraph]) -> list[Paragraph]:
    return [
        p
        for p in paragraphs
        if _PARTY_LIST.search(p.text[:200]) or (p.kind != "heading" and in_section(p, r"^\d*\.?\s*Parter$"))
    ]


def _cover_block(paragraphs: Sequence[Paragraph]) -> list[Paragraph]:
    """The cover's "Mellan X kommun och myndigheterna … samt Viable Cities", in capitals or not."""
    # a cover line is short: its first 400 characters are enough to read it (and keep this linear)
    head = [squash(p.text[:_COVER_CHARS]) for p in paragraphs[:COVER_PARAGRAPHS]]
    for i, squashed in enumerate(head):
        if not squashed.startswith("mellan"):
            continue
        named = "".join(head[i : i + _COVER_BLOCK_LINES])
        if re.match(r"mellan.{2,40}?(?:kommun|stad)", squashed) and PARTIES_NAMED.search(named):
            block = []
            for j in range(i, min(i + _COVER_BLOCK_LINES, len(head))):
                block.append(paragraphs[j])
                if "viablecities" in head[j]:
                    break
            return block
    return []


def extract_parties(document: Document, paragraphs: Sequence[Paragraph]) -> list[Party]:
    cover = _cover_block(paragraphs)
    listed = _party_paragraphs(paragraphs)
    parties: dict[str, Party] = {}
    for paragraph in cover:
        squashed = squash(paragraph.text)
        for name, forms in _SQUASHED.items():
            if name not in parties and any(form in squashed for form in forms):
                kind: PartyKind = "programme" if name == PROGRAMME[0] else "agency"
                parties[name] = Party(name, kind, paragraph.pid)
    for paragraph in listed:
        for name, pattern in (*AGENCIES.items(), PROGRAMME):
            if name not in parties and re.search(pattern, paragraph.text):
                kind = "programme" if name == PROGRAMME[0] else "agency"
                parties[name] = Party(name, kind, paragraph.pid)
    contract = document.doc_type == DocType.klimatkontrakt
    if PROGRAMME[0] not in parties and contract:
        named = next((p for p in paragraphs if _VIABLE.search(p.text)), None)
        if named is not None:
            parties[PROGRAMME[0]] = Party(PROGRAMME[0], "programme", named.pid)
    if PROGRAMME[0] not in parties:
        for paragraph in paragraphs:
            if paragraph.kind == "heading" and re.match(r"^(\d+\.?\s*)?Viable Cities\s+åtagande", paragraph.text, re.I):
                parties[PROGRAMME[0]] = Party(PROGRAMME[0], "programme", paragraph.pid)
                break
    own = document.municipality.name
    own_squashed = squash(own)
    evidence = (
        next((p for p in cover if own_squashed in squash(p.text)), None)
        or next((p for p in listed if own in p.text), None)
        or next((p for p in paragraphs if re.search(rf"\b{re.escape(own)}s?\s+[Kk]ommun", p.text)), None)
        or (next((p for p in paragraphs if own_squashed in squash(p.text[:_COVER_CHARS])), None) if contract else None)
        or (paragraphs[0] if contract and paragraphs else None)
    )
    result = list(parties.values())
    if evidence is not None:
        result.insert(0, Party(own, "municipality", evidence.pid))
    return result
