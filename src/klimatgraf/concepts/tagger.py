"""Every passage tagged with the concepts its words name (tier 1: labels), with where and by what.

A tag is data with provenance: the concept, the passage, the tier, the classifier's version (the
matcher's version, its morphology and the vocabulary's digest), the character spans of the words
that carry it, and a score (1 for a label: it was said in so many words). Identical texts are
tagged once. The words a text is checked against (`Lexicon`) are the corpus's own, so the same text
is tagged alike by a build and by a search that reads a question against the same corpus.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .matcher import Matcher
from .morphology import WORD, Lexicon, Morphology, Stems, hunspell
from .scheme import Scheme

CLASSIFIER_NS = "https://w3id.org/klimatgraf/id/classifier/"
LABEL_TIER = 1


@dataclass(frozen=True)
class Tag:
    """A concept on a text: every span where one of its labels stands, and which labels."""

    concept: str
    tier: int
    classifier: str
    spans: tuple[tuple[int, int], ...]
    labels: tuple[str, ...]
    score: float = 1.0

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[0][1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "tier": self.tier,
            "classifier": self.classifier,
            "spans": [list(s) for s in self.spans],
            "labels": list(self.labels),
            "score": self.score,
        }


def corpus_words(texts: Iterable[str]) -> set[str]:
    """The words a corpus is read with: every word of three letters or more that is not a number
    (the search index's vocabulary is made the same way)."""
    return {w for t in texts for w in WORD.findall(t.casefold()) if len(w) >= 3 and not w.isdigit()}


def matcher_for(
    scheme: Scheme, words: Iterable[str], stopwords: Iterable[str], morphology: Morphology | None = None
) -> Matcher:
    """A matcher for one corpus: the vocabulary's labels, the corpus's words as the lexicon."""
    morphology = morphology or Morphology()
    stems = Stems()
    lexicon = Lexicon(words, stems, stopwords, hunspell=hunspell if morphology.hunspell else None)
    lemmas = None
    if morphology.lemmas:
        from .morphology import Lemmas

        lemmas = Lemmas()
    return Matcher(scheme, lexicon, morphology=morphology, stems=stems, lemmas=lemmas)


def tag_text(matcher: Matcher, text: str) -> list[Tag]:
    """The tier-1 tags of one text, one per concept, in the order the concepts first occur."""
    spans: dict[str, list[tuple[int, int]]] = {}
    labels: dict[str, list[str]] = {}
    for match in matcher.find(text):
        spans.setdefault(match.concept, []).append((match.start, match.end))
        found = labels.setdefault(match.concept, [])
        if match.label not in found:
            found.append(match.label)
    return [Tag(c, LABEL_TIER, matcher.version, tuple(s), tuple(labels[c])) for c, s in spans.items()]


def tag_texts(matcher: Matcher, texts: Sequence[str]) -> list[list[Tag]]:
    """Tags of each text; a text that occurs several times is tagged once."""
    done: dict[str, list[Tag]] = {}
    out = []
    for text in texts:
        tags = done.get(text)
        if tags is None:
            tags = done[text] = tag_text(matcher, text)
        out.append(tags)
    return out


def classifier_iri(version: str) -> str:
    return CLASSIFIER_NS + version


def vocabulary_record(scheme: Scheme, matcher: Matcher) -> dict[str, Any]:
    """What a build records of the vocabulary (build.json, the index): re-tag when any of it changes."""
    return {"source": str(Path(scheme.source).name), "digest": scheme.digest, "classifier": matcher.version}
