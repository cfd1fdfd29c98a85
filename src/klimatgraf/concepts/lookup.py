"""`klimatgraf concepts`: the vocabulary as rows, and which concept a word belongs to, and why."""

from __future__ import annotations

from typing import Any

from .matcher import Matcher
from .scheme import Scheme

LIST_COLUMNS = ("concept", "label_sv", "label_en", "level", "broader", "top", "alt_labels", "definition", "links")
LOOKUP_COLUMNS = ("concept", "label_sv", "label_en", "words", "label", "role", "how", "verdict", "path")


def concept_rows(scheme: Scheme, under: str | None = None) -> list[dict[str, Any]]:
    """Every concept (or those under one), top concepts first, each followed by its narrower ones."""
    order: list[str] = []
    for top in scheme.top:
        for iri in [top.iri, *scheme.descendants(top.iri)]:
            if iri not in order:
                order.append(iri)
    if under is not None:
        order = [under, *scheme.descendants(under)]
    return [_row(scheme, iri) for iri in order]


def _row(scheme: Scheme, iri: str) -> dict[str, Any]:
    concept = scheme[iri]
    return {
        "concept": concept.slug,
        "label_sv": concept.pref_sv,
        "label_en": concept.pref_en,
        "level": scheme.depth(iri),
        "broader": ", ".join(scheme[b].pref_sv for b in concept.broader),
        "top": scheme[scheme.top_of(iri)].pref_sv,
        "alt_labels": len(concept.alt_sv) + len(concept.alt_en),
        "definition": concept.definition,
        "links": " ".join(concept.matches),
    }


def lookup_rows(matcher: Matcher, term: str) -> list[dict[str, Any]]:
    """What the matcher finds in `term`: each concept with the label its words matched, the label's
    role, how it matched (a word, a compound part, a phrase) and the verdict (kept, or why not)."""
    scheme = matcher.scheme
    rows = []
    for match, verdict in matcher.explain(term):
        concept = scheme[match.concept]
        chain = [match.concept, *scheme.ancestors(match.concept)]
        rows.append(
            {
                "concept": concept.slug,
                "label_sv": concept.pref_sv,
                "label_en": concept.pref_en,
                "words": term[match.start : match.end],
                "label": match.label,
                "role": match.role,
                "how": match.how,
                "verdict": verdict,
                "path": " › ".join(scheme[c].pref_sv for c in reversed(chain)),
            }
        )
    unique = list({tuple(r.values()): r for r in rows}.values())  # two labels of one text found the same words
    unique.sort(key=lambda r: (r["verdict"] != "kept", r["role"] == "negative", r["concept"]))
    return unique
