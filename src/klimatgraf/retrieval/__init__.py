"""Retrieval: a question read once, scored by each retriever, fused, and answered as paragraphs or
as the municipalities whose own text answers.

One module a concern, in the order a question flows through them:
- `reading`: the question cleaned, spelled as the contracts spell it, the municipalities it names;
- `signals`: BM25 and dense scores per entry;
- `fusion`: one ranking and one evidence per entry from those scores;
- `answers`: the hit records, the who-answer's grouping by municipality and its cut-off;
- `concepts`: who-answers from the vocabulary's tags (`Searcher.answer`, the one entry point);
- `highlight`: which words of a paragraph answer the question;
- `searcher`: the `Searcher` that loads an index once and ties them together.
The CLI, the API and `klimatgraf eval` all call the `Searcher` and render its records.
"""

from __future__ import annotations

from .answers import CutoffConfig, Hit, MunicipalityHit, NearMiss, Reading, WhoAnswer, tuned_configs
from .concepts import ConceptConfig, ConceptIndex
from .fusion import RETRIEVERS, FusionConfig, evidence_of, fuse, z_parts
from .highlight import highlight, highlight_html, highlight_spans
from .reading import ENGLISH_TERMS, clean_query, expand_english, fold_name, topic_of
from .searcher import PARAGRAPH_IRI, Searcher
from .signals import QUERY_CACHE

__all__ = [
    "ENGLISH_TERMS",
    "PARAGRAPH_IRI",
    "QUERY_CACHE",
    "RETRIEVERS",
    "ConceptConfig",
    "ConceptIndex",
    "CutoffConfig",
    "FusionConfig",
    "Hit",
    "MunicipalityHit",
    "NearMiss",
    "Reading",
    "Searcher",
    "WhoAnswer",
    "clean_query",
    "evidence_of",
    "expand_english",
    "fold_name",
    "fuse",
    "highlight",
    "highlight_html",
    "highlight_spans",
    "topic_of",
    "tuned_configs",
    "z_parts",
]
