"""Each document's concept profile, written by the build as `topics.json` beside the graph (issue 23).

A profile is what the topic matrix reads: for every document, its edition (municipality, type,
version, edition year, latest or not) and, for each concept its *own* text is tagged with
directly, the paragraphs (ordinals) that carry it; shared template text never counts for a
municipality. The vocabulary's hierarchy comes along (concepts in file order, their broader
concepts, which are top concepts), so a reader needs neither the graph nor the vocabulary file.

It is a materialised view of the graph made by the same build from the same tags: the graph
holds every tag as a `kg:ConceptTag` linked to its paragraph, and `topics.profiles_from_graph`
reads the same profile back with SPARQL (tests check that both agree). It exists because
reading 60 000 tags out of oxigraph's on-disk store costs about a second at 300 documents,
where this file is read in milliseconds (docs/benchmarks.md, "Issue 23").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .corpus import latest_editions

if TYPE_CHECKING:
    from .concepts.scheme import Scheme
    from .concepts.tagger import Tag
    from .models import Document, Paragraph

FORMAT = 1


def make_profiles(
    documents: Sequence[Document],
    paragraphs: Sequence[Paragraph],
    scheme: Scheme,
    tags: Mapping[str, Sequence[Tag]],
    vocabulary: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The contents of topics.json: the hierarchy and every document's own-text concepts."""
    latest = latest_editions(documents)
    own: dict[str, dict[str, list[int]]] = {d.doc_id: {} for d in documents}
    counts: dict[str, int] = dict.fromkeys(own, 0)
    for p in paragraphs:
        if p.boilerplate or p.doc_id not in own:
            continue
        counts[p.doc_id] += 1
        for tag in tags.get(p.pid, ()):
            own[p.doc_id].setdefault(tag.concept, []).append(p.ordinal)
    return {
        "format": FORMAT,
        "vocabulary": dict(vocabulary or {}),
        "concepts": [
            {
                "iri": c.iri,
                "label": c.pref_sv,
                "label_en": c.pref_en,
                "broader": list(c.broader),
                "top": c.top,
            }
            for c in scheme.concepts
        ],
        "documents": {
            d.doc_id: {
                "municipality": d.municipality.name,
                "kommunkod": d.municipality.kommunkod,
                "type": d.doc_type,
                "version": d.version,
                "edition_year": d.edition_year,
                "signed": d.signed.isoformat() if d.signed else None,
                "latest": d.doc_id in latest,
                "file": d.file_name,
                "own_paragraphs": counts[d.doc_id],
                "concepts": {concept: sorted(set(ordinals)) for concept, ordinals in sorted(own[d.doc_id].items())},
            }
            for d in documents
        },
    }


def write_profiles(path: Path, profiles: Mapping[str, Any]) -> None:
    """topics.json, compact (it is read by programs; about 1 MB at 300 documents)."""
    path.write_text(json.dumps(profiles, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
