"""Rules that read facts out of segmented contract paragraphs; every fact keeps its evidence.

The rules are written against how these documents *speak* (a party list, "Åtagande N - Vi
åtar oss", "vår pionjärkommun X", "minska … med N procent till år Y jämfört med Z"), not
against any one document's wording.

Shared template text (boilerplate, and unflagged copies of it between flagged paragraphs)
never produces municipality-specific facts, with two exceptions where the template *is* the
statement: the party list ("Parter i Klimatkontrakt 2030 är: …", identical in every
contract once the name is masked) and the adoption lines of the shared commitments
("Åtagande 1 - Vi åtar oss att …"), which a contract copies to adopt them.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Document, Facts, Paragraph
from ..reference import Gazetteer
from ._text import own_paragraphs
from .commitments import extract_commitments
from .emissions import extract_emissions
from .organisations import extract_organisations
from .parties import extract_parties
from .steering import extract_steering_documents
from .targets import extract_targets
from .themes import extract_themes
from .twins import extract_twins, mentioned_municipalities


def extract(document: Document, paragraphs: Sequence[Paragraph], gazetteer: Gazetteer) -> Facts:
    """All facts of one document; `paragraphs` are that document's, in reading order."""
    own = own_paragraphs(paragraphs, document.municipality.name, document.yearly_edition)
    return Facts(
        document=document,
        parties=tuple(extract_parties(document, paragraphs)),
        twins=tuple(extract_twins(document, own, gazetteer)),
        commitments=tuple(extract_commitments(paragraphs, numbered_scheme=not document.yearly_edition)),
        targets=tuple(extract_targets(document, own)),
        emissions=tuple(extract_emissions(own, document.text)),
        themes=tuple(extract_themes(own)),
        organisations=tuple(extract_organisations(document, own, gazetteer)),
        steering_documents=tuple(extract_steering_documents(document, own)),
        mentioned_municipalities=tuple(mentioned_municipalities(document, own, gazetteer)),
    )


__all__ = ["extract"]
