"""Rules that read facts out of segmented contract paragraphs; every fact keeps its evidence.

The rules are written against how these documents *speak* (a party list, "Åtagande N - Vi
åtar oss", "vår pionjärkommun X", "minska … med N procent till år Y jämfört med Z"), not
against any one document's wording. Shared template paragraphs (boilerplate) never produce
municipality-specific facts, except the party list, which is template by design.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Document, Facts, Paragraph
from ..reference import Gazetteer
from .commitments import extract_commitments
from .emissions import extract_emissions
from .organisations import extract_organisations
from .parties import extract_parties
from .steering import extract_steering_documents
from .targets import extract_targets
from .themes import extract_themes
from .twins import extract_twins, mentioned_municipalities


def extract(document: Document, paragraphs: Sequence[Paragraph], gazetteer: Gazetteer) -> Facts:
    """All facts of one document."""
    own = [p for p in paragraphs if not p.boilerplate]
    return Facts(
        document=document,
        parties=tuple(extract_parties(document, paragraphs)),
        twins=tuple(extract_twins(document, own, gazetteer)),
        commitments=tuple(extract_commitments(paragraphs)),
        targets=tuple(extract_targets(document, own)),
        emissions=tuple(extract_emissions(own)),
        themes=tuple(extract_themes(paragraphs)),
        organisations=tuple(extract_organisations(document, own, gazetteer)),
        steering_documents=tuple(extract_steering_documents(own)),
        mentioned_municipalities=tuple(mentioned_municipalities(document, own, gazetteer)),
    )


__all__ = ["extract"]
