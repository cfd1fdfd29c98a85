"""Answers: the hit records every interface renders, the who-answer's cut-off, and the configs as
the CLI and API override them.

A municipality is an answer to "who works on X" because of what its own text says, never because
it signed the shared template (`AnswersMixin.municipality_rows` skips template entries).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ..vocabulary import FusionMethod, Retriever
from .fusion import FusionConfig, _scaled, _zscores
from .highlight import highlight_html

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..index import LoadedIndex


@dataclass(frozen=True)
class CutoffConfig:
    """Which municipalities answer a who-question: evidence ≥ `min_evidence` (absolute) and
    ≥ best evidence − `max_gap` (relative to the best hit). A paragraph's evidence is how far
    it stands out from the corpus for this question: its dense and BM25 z-scores, weighed by
    `bm25_weight` (a bare heading's scaled by the heading weight). Evidence is relative, so
    some paragraph always stands out; `min_cosine` adds an absolute test: a paragraph passes
    only if its raw e5 query–passage cosine (comparable across questions, unlike z-scores)
    is ≥ `min_cosine` too (not applied when the dense retriever is not used). The opt-in
    `min_keyword_evidence` is a question-level gate (see `answerable`). Calibrated by
    cross-validation on the question bank (docs/benchmarks.md)."""

    min_evidence: float = 1.75
    max_gap: float = 0.5
    bm25_weight: float = 0.1  # evidence = (z_dense + w·z_bm25) / (1 + w)
    min_cosine: float = 0.0  # e5 cosines of Swedish text lie in about 0.7–0.95; 0 = off
    sparse_weight: float = 0.0  # evidence weight of a sparse latent-term z-score (bench/cv.py only)
    # question-level "nobody": when BM25 takes part and no paragraph's BM25 z-score reaches this, no
    # contract uses the question's words (after decompounding) distinctively and nobody answers; 0 = off
    min_keyword_evidence: float = 0.0

    def answerable(self, bm25_scores: np.ndarray | None) -> bool:
        """The question-level gate: False when BM25 was used and its best z-score over every entry
        (no match counts as 0) is below `min_keyword_evidence`."""
        if self.min_keyword_evidence <= 0 or bm25_scores is None:
            return True
        return float(_zscores(bm25_scores, 0.0).max(initial=0.0)) >= self.min_keyword_evidence

    def passes(self, evidence: float, cosine: float, floor: float) -> bool:
        """Whether a paragraph with this evidence and raw cosine answers, given the floor."""
        return evidence >= floor and cosine >= self.min_cosine

    def floor(self, strengths: Iterable[float]) -> float:
        """The evidence a paragraph needs, given every candidate paragraph's evidence."""
        return max(self.min_evidence, max(strengths, default=self.min_evidence) - self.max_gap)


def tuned_configs(
    *,
    bm25_weight: float | None = None,
    dense_weight: float | None = None,
    rrf_k: float | None = None,
    method: str | None = None,
    min_evidence: float | None = None,
    max_gap: float | None = None,
    min_similarity: float | None = None,
    min_keyword_evidence: float | None = None,
) -> tuple[FusionConfig, CutoffConfig]:
    """The tuned defaults with any of their values overridden (CLI and API options)."""
    fusion, cutoff = FusionConfig(), CutoffConfig()
    if method is not None:
        try:
            chosen = FusionMethod(method)
        except ValueError:
            raise InputError(f"unknown fusion {method!r}; use rrf, minmax or z") from None
        fusion = replace(fusion, method=chosen)
    if bm25_weight is not None:
        fusion = replace(fusion, bm25_weight=bm25_weight)
    if dense_weight is not None:
        fusion = replace(fusion, dense_weight=dense_weight)
    if rrf_k is not None:
        fusion = replace(fusion, rrf_k=rrf_k)
    if min_evidence is not None:
        cutoff = replace(cutoff, min_evidence=min_evidence)
    if max_gap is not None:
        cutoff = replace(cutoff, max_gap=max_gap)
    if min_similarity is not None:
        if not -1.0 <= min_similarity <= 1.0:
            raise InputError(f"min similarity is a cosine between -1 and 1, not {min_similarity}")
        cutoff = replace(cutoff, min_cosine=min_similarity)
    if min_keyword_evidence is not None:
        if not 0.0 <= min_keyword_evidence <= 100.0:
            raise InputError(f"min keyword evidence is a z-score between 0 (off) and 100, not {min_keyword_evidence}")
        cutoff = replace(cutoff, min_keyword_evidence=min_keyword_evidence)
    return fusion, cutoff


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    municipality: str
    kommunkod: str
    document: str  # doc_id of the shown member
    paragraph: str  # IRI
    pid: str
    section: str
    page: int | None
    text: str
    boilerplate: bool
    documents: tuple[str, ...]  # every document holding this text (collapsed template)
    municipalities: tuple[str, ...]
    retrievers: tuple[str, ...]
    doc_type: str = ""
    html: str = ""  # the whole text HTML-escaped, query words in <mark> (for web pages)
    marks: tuple[tuple[int, int], ...] = ()  # the concept path: where the text names the concept (not in JSON)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["marks"]
        data["documents"] = list(self.documents)
        data["municipalities"] = list(self.municipalities)
        data["retrievers"] = list(self.retrievers)
        return data


@dataclass(frozen=True)
class MunicipalityHit:
    rank: int
    municipality: str
    kommunkod: str
    score: float
    evidence: tuple[Hit, ...] = field(default=())
    strength: float = 0.0  # evidence (z-fused score) of its best own paragraph; see CutoffConfig
    answers: bool = True  # passes the cut-off (always true unless the full ranking was asked for)
    path: str = "similarity"  # which path answered: "concepts" (the vocabulary's tags) or "similarity"
    concepts: tuple[str, ...] = ()  # the concepts its evidence names (the concept path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "kommunkod": self.kommunkod,
            "score": self.score,
            "strength": self.strength,
            "answers": self.answers,
            "path": self.path,
            "concepts": list(self.concepts),
            "evidence": [
                {
                    "paragraph": e.paragraph,
                    "text": e.text,
                    "score": e.score,
                    "section": e.section,
                    "html": e.html,
                    "document": e.document,
                    "pid": e.pid,
                    "page": e.page,
                }
                for e in self.evidence
            ],
        }


@dataclass(frozen=True)
class Reading:
    """How a question was read for concepts: which, by which of its words, and how ("labels",
    "similarity", or "" when none)."""

    concepts: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # the concepts' Swedish preferred labels
    words: tuple[str, ...] = ()  # the question's words that named them (labels), or the concept (similarity)
    how: str = ""  # "unread": the similarity path was asked for by name, the vocabulary not consulted
    similarity: float | None = None
    any_of: bool = False  # "… eller …": any of the concepts answers, not all of them
    spans: tuple[tuple[int, int], ...] = ()  # where the question names them (labels)

    def said(self) -> str:
        """ "läst som: Matsvinn" — the line every interface shows."""
        if self.how == "graph":
            return f"läst som en fråga till grafen: {self.labels[0]}"
        if self.how == "unread":
            return "inte läst mot vokabulären (--path similarity)"
        if not self.concepts:
            return "inget begrepp i vokabulären"
        joined = (" eller " if self.any_of else " och ").join(self.labels)
        return f"läst som: {joined}" + (" (närmaste begrepp)" if self.how == "similarity" else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "concepts": list(self.concepts),
            "labels": list(self.labels),
            "words": list(self.words),
            "how": self.how or None,
            "similarity": self.similarity,
            "any_of": self.any_of,
            "said": self.said(),
        }


@dataclass(frozen=True)
class NearMiss:
    """A concept near the one asked about that does occur, and whose own text names it."""

    concept: str
    label: str
    relation: str  # related, broader
    municipalities: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "label": self.label,
            "relation": self.relation,
            "municipalities": list(self.municipalities),
        }


@dataclass(frozen=True)
class WhoAnswer:
    """The answer to "who works on X", whichever path gave it: how the question was read, the
    municipalities (those that answer first; with the full ranking the rest follow, `answers` false),
    the near misses when nobody answers, and whether the answer is uncertain (no concept was read).
    Every interface renders this record; none recomputes it."""

    question: str
    path: str  # "graph", "graph+concepts", "concepts", "similarity" or "nobody"
    reading: Reading
    municipalities: tuple[MunicipalityHit, ...] = ()
    near: tuple[NearMiss, ...] = ()
    uncertain: bool = False
    sparql: str | None = None  # the graph path: the query it ran, to copy and change
    relation: str | None = None  # the graph path: which relation (twin, target, …)

    @property
    def answering(self) -> tuple[MunicipalityHit, ...]:
        return tuple(m for m in self.municipalities if m.answers)

    def nobody(self) -> str:
        """The line said when nobody answers ("Ingen kommun nämner Matsvinn …")."""
        if self.relation is not None:
            return f"Grafen har inget svar: {self.reading.labels[0]} (the graph holds no such fact)"
        if self.reading.concepts:
            named = (" eller " if self.reading.any_of else " och ").join(self.reading.labels)
            return f"Ingen kommun nämner {named} i sin egen text (no municipality's own text names it)"
        return f"Ingen kommun nämner det i sin egen text (no municipality answers {self.question!r})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "path": self.path,
            "read_as": self.reading.to_dict(),
            "uncertain": self.uncertain,
            "municipalities": [m.to_dict() for m in self.municipalities],
            "near_misses": [n.to_dict() for n in self.near],
            "nobody": None if self.answering else self.nobody(),
            "relation": self.relation,
            "sparql": self.sparql,
        }


def _renumber(hits: Iterable[Hit]) -> list[Hit]:
    return [replace(h, rank=i) for i, h in enumerate(hits, start=1)]


class AnswersMixin:
    """The who-answer of a `Searcher`: municipalities whose own text passes the cut-off."""

    index: LoadedIndex
    fusion: FusionConfig
    cutoff: CutoffConfig

    if TYPE_CHECKING:  # the ranking this reads: `Searcher` and `SignalsMixin` define these

        def _ranked_signals(
            self, query: str, retriever: Retriever, allowed: list[list[int]], whole: bool = False
        ) -> tuple[list[tuple[int, float, tuple[str, ...], float]], np.ndarray | None]: ...
        def _adjusted(self, row: int, score: float) -> float: ...
        def _prepared(
            self, query: str, k: int, municipalities: Sequence[str] | None, doc_type: str | None, edition: str
        ) -> tuple[str, list[list[int]]]: ...
        def _bm25_scores(self, query: str, whole: bool = False) -> np.ndarray: ...
        def _hit(
            self, rank: int, row: int, score: float, retrievers: tuple[str, ...], members: list[int], query: str = ""
        ) -> Hit: ...

    def municipality_rows(
        self, query: str, retriever: Retriever, allowed: list[list[int]]
    ) -> dict[str, list[tuple[int, float, tuple[str, ...], float, float]]]:
        """Municipality → its own (non-template) rows as (row, score, retrievers, evidence,
        raw dense cosine — +inf when the dense retriever is not used), best score first. Entries
        score by their passages other than sentence passages: those rank paragraphs for `search`,
        and in the who-answer they let a few short general sentences win too many questions."""
        groups: dict[str, list[tuple[int, float, tuple[str, ...], float, float]]] = {}
        ranked, dense = self._ranked_signals(query, retriever, allowed, whole=True)
        for row, score, found, strength in ranked:
            entry = self.index.entries[row]
            if entry["boilerplate"]:
                continue  # template text never makes a municipality an answer
            if entry["kind"] == "heading":
                strength = _scaled(strength, self.fusion.heading_weight)
            member = entry["members"][allowed[row][0] if allowed[row] else 0]
            cosine = float(dense[row]) if dense is not None else np.inf
            groups.setdefault(member["municipality"], []).append(
                (row, self._adjusted(row, score), found, strength, cosine)
            )
        for rows in groups.values():
            rows.sort(key=lambda t: -t[1])
        return groups

    def _gated(self, retriever: Retriever) -> bool:
        """Whether the question-level gate reads BM25 for this retriever (only when it is on)."""
        return self.cutoff.min_keyword_evidence > 0 and retriever in ("hybrid", "bm25")

    def search_grouped(
        self,
        query: str,
        k: int = 10,
        municipalities: Sequence[str] | None = None,
        doc_type: str | None = None,
        retriever: Retriever = Retriever.hybrid,
        evidence: int = 3,
        edition: str = "latest",
        full_ranking: bool = False,
    ) -> list[MunicipalityHit]:
        """Municipalities whose own text answers, best first, each with up to `evidence`
        paragraphs that pass the cut-off (`self.cutoff`); an empty list when nobody answers
        (also when the question-level gate, `CutoffConfig.min_keyword_evidence`, is on and shuts).

        `full_ranking`: every municipality with any scored paragraph, ranked by its best own
        paragraph (its top `evidence` paragraphs as evidence); `answers` says which pass.
        """
        if evidence < 1:
            raise InputError(f"evidence must be at least 1, not {evidence}")
        query, allowed = self._prepared(query, k, municipalities, doc_type, edition)
        groups = self.municipality_rows(query, retriever, allowed)
        answerable = self.cutoff.answerable(self._bm25_scores(query, whole=True) if self._gated(retriever) else None)
        floor = self.cutoff.floor(t[3] for rows in groups.values() for t in rows) if answerable else np.inf
        ordered: list[tuple[list[Hit], float, bool]] = []
        for rows in groups.values():
            strength = max(t[3] for t in rows)
            passing = [t for t in rows if self.cutoff.passes(t[3], t[4], floor)]
            if not full_ranking and not passing:
                continue
            shown = rows[:evidence] if full_ranking else passing[:evidence]
            hits = [self._hit(0, row, score, found, allowed[row]) for row, score, found, _, _ in shown]
            ordered.append((hits, strength, bool(passing)))
        ordered.sort(key=lambda t: -t[0][0].score)
        return [
            MunicipalityHit(
                rank=i,
                municipality=hs[0].municipality,
                kommunkod=hs[0].kommunkod,
                score=hs[0].score,
                evidence=tuple(  # only the evidence that is shown is highlighted
                    _renumber(replace(h, html=highlight_html(h.text, query, analyzer=self.index.analyzer)) for h in hs)
                ),
                strength=round(strength, 4),
                answers=answers,
            )
            for i, (hs, strength, answers) in enumerate(ordered[:k], start=1)
        ]
