"""Who-answers grounded in the concept vocabulary (issue 22).

A question is read for the vocabulary's concepts with the same matcher that tagged the passages
(`concepts.matcher`), against the index's own words; when it names none, the question's e5 vector is
compared with each concept's (its labels and definition, embedded at build time) and the nearest
concept is taken if it is near enough (`ConceptConfig.min_similarity`, calibrated out-of-fold). The
answer is then a fact of the tags: the municipalities whose *own* text (never the shared template)
is tagged with the concept or a narrower one, ranked by how well their tagged paragraphs answer the
question, with those paragraphs as evidence and the words that carry the concept marked. When the
concept is known and nobody's text names it, the answer is "nobody", with the related and broader
concepts that do occur as near misses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..concepts.matcher import Matcher
from ..concepts.scheme import Scheme
from ..errors import InputError
from ..vocabulary import Retriever
from .answers import Hit, MunicipalityHit, NearMiss, Reading, WhoAnswer, _renumber
from .fusion import evidence_of, z_parts
from .graphpath import GraphReader
from .highlight import highlight_html
from .relations import RelationQuery

MAX_CONCEPTS = 20  # a question that names more is asked to narrow
NEAR_CONCEPTS = 5  # near misses shown when nobody answers
_OR = re.compile(r"\b(?:eller|or)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ConceptConfig:
    """How a question is read for concepts. `min_similarity`: the e5 cosine a question's nearest
    concept needs when no label names one (0 = never read by similarity); `unread`: what a question
    that names no concept gets — "similarity" (today's ranking, marked uncertain) or "nobody" (with
    the nearest paragraphs as near misses). Chosen out-of-fold on the question bank (docs/benchmarks.md)."""

    min_similarity: float = 0.0  # measured: 0.87 was chosen in 4 of 5 folds but changed no answer
    unread: str = "similarity"
    # a question that asks more than the concept ("vem har slutat elda torv i kraftvärmeverket" beside
    # "Fjärrvärme"): only the municipalities whose tagged evidence is within this of the best answer
    specific_gap: float = 1.5

    def __post_init__(self) -> None:
        if self.unread not in ("similarity", "nobody"):
            raise InputError(f"unread must be similarity or nobody, not {self.unread!r}")
        if self.specific_gap < 0:
            raise InputError(
                f"the specific-question gap is an evidence difference of 0 or more, not {self.specific_gap}"
            )
        if not 0.0 <= self.min_similarity <= 1.0:
            raise InputError(f"min concept similarity is a cosine between 0 (off) and 1, not {self.min_similarity}")


@dataclass
class ConceptIndex:
    """The vocabulary and the tags of an index (`concepts.json`), ready to read questions with."""

    scheme: Scheme
    classifier: str
    tags: list[dict[int, list[tuple[int, int]]]]  # entry row → concept number → spans
    vectors: np.ndarray | None = None  # one e5 vector per concept (labels and definition), or None
    vocabulary: frozenset[str] = frozenset()
    entries_of: dict[int, list[int]] = field(default_factory=dict)  # concept number → tagged entry rows
    _matcher: Matcher | None = None
    _closure: dict[int, frozenset[int]] = field(default_factory=dict)

    @classmethod
    def from_index(cls, data: dict[str, Any], vocabulary: Iterable[str], vectors: np.ndarray | None) -> ConceptIndex:
        scheme = Scheme.from_dict(data["scheme"])
        tags = [{int(c): [(int(a), int(b)) for a, b in spans] for c, spans, _ in row} for row in data["tags"]]
        found = cls(scheme, str(data["classifier"]), tags, vectors, frozenset(vocabulary))
        for row, by_concept in enumerate(tags):
            for number in by_concept:
                found.entries_of.setdefault(number, []).append(row)
        return found

    @property
    def matcher(self) -> Matcher:
        """The tagging matcher, its lexicon the index's words (made on the first question)."""
        if self._matcher is None:
            from ..concepts.tagger import matcher_for
            from ..index.analyzer import SWEDISH_STOPWORDS

            self._matcher = matcher_for(self.scheme, self.vocabulary, SWEDISH_STOPWORDS)
        return self._matcher

    def number(self, iri: str) -> int:
        return next(i for i, c in enumerate(self.scheme.concepts) if c.iri == iri)

    def closure(self, number: int) -> frozenset[int]:
        """A concept and every concept under it, by number."""
        found = self._closure.get(number)
        if found is None:
            iri = self.scheme.concepts[number].iri
            wanted = {iri, *self.scheme.descendants(iri)}
            found = frozenset(i for i, c in enumerate(self.scheme.concepts) if c.iri in wanted)
            self._closure[number] = found
        return found

    def rows(self, number: int) -> set[int]:
        """Entry rows tagged with the concept or one under it."""
        return {row for n in self.closure(number) for row in self.entries_of.get(n, ())}

    def spans(self, row: int, numbers: Iterable[int]) -> list[tuple[int, int]]:
        """Where an entry's text names any of the concepts (or those under them), in order."""
        wanted = set().union(*(self.closure(n) for n in numbers))
        return sorted({s for n, spans in self.tags[row].items() if n in wanted for s in spans})

    def read(self, question: str) -> Reading:
        """The concepts the question names in words of the vocabulary (most specific reading)."""
        found = self.matcher.find(question)
        seen: dict[str, list[str]] = {}
        for match in found:
            seen.setdefault(match.concept, []).append(question[match.start : match.end])
        if not seen:
            return Reading()
        # "laddstolpar för elbilar": Laddinfrastruktur is a kind of Elfordon, so it alone is asked about
        broader = {a for c in seen for a in self.scheme.ancestors(c)}
        seen = {c: w for c, w in seen.items() if c not in broader}
        if len(seen) > MAX_CONCEPTS:
            names = ", ".join(self.scheme[c].pref_sv for c in seen)
            raise InputError(f"the question names {len(seen)} concepts ({names}); ask about fewer to get an answer")
        return Reading(
            concepts=tuple(seen),
            labels=tuple(self.scheme[c].pref_sv for c in seen),
            words=tuple(" ".join(w) for w in seen.values()),
            how="labels",
            any_of=len(seen) > 1 and bool(_OR.search(question)),
            spans=tuple((m.start, m.end) for m in found),  # all of them: none is the question's own words
        )

    def nearest(self, query_vector: np.ndarray, min_similarity: float) -> Reading:
        """The concept whose e5 vector is nearest the question's, when it is at least `min_similarity`."""
        if self.vectors is None or min_similarity <= 0:
            return Reading()
        sims = self.vectors @ np.asarray(query_vector, dtype=np.float32)
        best = int(np.argmax(sims))
        if float(sims[best]) < min_similarity:
            return Reading()
        concept = self.scheme.concepts[best]
        return Reading(
            (concept.iri,), (concept.pref_sv,), (concept.pref_sv,), "similarity", round(float(sims[best]), 4)
        )

    def near_concepts(self, concepts: Sequence[str]) -> list[tuple[str, str]]:
        """(concept, relation) near the ones asked about: related ones, then the broader ones."""
        out: list[tuple[str, str]] = []
        for iri in concepts:
            concept = self.scheme[iri]
            out += [(r, "related") for r in concept.related]
            out += [(b, "broader") for b in concept.broader]
        seen: set[str] = set(concepts)
        unique = []
        for iri, relation in out:
            if iri not in seen:
                seen.add(iri)
                unique.append((iri, relation))
        return unique


class ConceptAnswersMixin:
    """`Searcher.answer`: the one entry point of who-answers (CLI, API, eval), concept path first."""

    index: Any
    fusion: Any
    cutoff: Any
    concept_config: ConceptConfig
    _concept_index: ConceptIndex | bool | None

    if TYPE_CHECKING:

        def _prepared(
            self, query: str, k: int, municipalities: Sequence[str] | None, doc_type: str | None, edition: str
        ) -> tuple[str, list[list[int]]]: ...
        def _bm25_scores(self, query: str, whole: bool = False) -> np.ndarray: ...
        def _dense_scores(self, query: str, whole: bool = False) -> np.ndarray: ...
        def _query_vector(self, text: str) -> np.ndarray: ...
        def _hit(
            self, rank: int, row: int, score: float, retrievers: tuple[str, ...], members: list[int], query: str = ""
        ) -> Hit: ...
        def _graph_answer(
            self,
            query: str,
            text: str,
            relation: RelationQuery,
            graph: GraphReader,
            allowed: list[list[int]],
            k: int,
            evidence: int,
            retriever: Retriever,
        ) -> WhoAnswer: ...
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
        ) -> list[MunicipalityHit]: ...

    @property
    def concepts(self) -> ConceptIndex | None:
        """The index's vocabulary and tags, or None for an index built without them."""
        if self._concept_index is False:
            data = self.index.concepts
            self._concept_index = (
                ConceptIndex.from_index(data, self.index.analyzer.vocabulary, self.index.concept_vectors)
                if data is not None
                else None
            )
        return self._concept_index if isinstance(self._concept_index, ConceptIndex) else None

    def read_concepts(self, query: str) -> Reading:
        """How `answer` reads a question for concepts: its labels, else its nearest concept."""
        concepts = self.concepts
        if concepts is None:
            return Reading()
        reading = concepts.read(query)
        if not reading.concepts and self.concept_config.min_similarity > 0:
            reading = concepts.nearest(self._query_vector(query), self.concept_config.min_similarity)
        return reading

    def answer(
        self,
        query: str,
        k: int = 10,
        municipalities: Sequence[str] | None = None,
        doc_type: str | None = None,
        retriever: Retriever = Retriever.hybrid,
        evidence: int = 3,
        edition: str = "latest",
        full_ranking: bool = False,
        path: str = "auto",
        graph: GraphReader | None = None,
    ) -> WhoAnswer:
        """Who works on what the question asks about. `path`: "auto" (the graph when `graph` is given
        and the question asks for a relation it holds, else the concepts when the question names one,
        else `concept_config.unread`), "graph", "concepts" or "similarity" (today's ranking only)."""
        if path not in ("auto", "graph", "concepts", "similarity"):
            raise InputError(f"path must be auto, graph, concepts or similarity, not {path!r}")
        if evidence < 1:
            raise InputError(f"evidence must be at least 1, not {evidence}")
        text, allowed = self._prepared(query, k, municipalities, doc_type, edition)
        if path in ("auto", "graph") and graph is not None and edition == "latest":
            relation = graph.read(text)
            if relation is not None:
                return self._graph_answer(query, text, relation, graph, allowed, k, evidence, retriever)
            if path == "graph":
                raise InputError("the question asks for no relation the graph holds (twins, parties, commitments, "
                                 "targets, emissions, organisations, steering documents, editions); try --path auto")  # fmt: skip
        reading = self.read_concepts(text) if path != "similarity" else Reading(how="unread")
        ranked: dict[str, Any] = {
            "query": query,
            "k": k,
            "municipalities": municipalities,
            "doc_type": doc_type,
            "retriever": retriever,
            "evidence": evidence,
            "edition": edition,
        }  # today's similarity ranking of the same question (`search_grouped`)
        if reading.concepts:
            return self._concept_answer(text, reading, allowed, k, evidence, retriever, full_ranking, ranked)
        if path == "similarity" or self.concepts is None:
            return WhoAnswer(
                query, "similarity", reading, tuple(self.search_grouped(**ranked, full_ranking=full_ranking))
            )
        if self.concept_config.unread == "nobody" or path == "concepts":
            rest = self.search_grouped(**ranked, full_ranking=True)
            near = tuple(replace(m, answers=False) for m in rest) if full_ranking else ()
            return WhoAnswer(query, "nobody", reading, near, uncertain=True)
        return WhoAnswer(
            query,
            "similarity",
            reading,
            tuple(self.search_grouped(**ranked, full_ranking=full_ranking)),
            uncertain=True,
        )

    def _concept_answer(
        self,
        text: str,
        reading: Reading,
        allowed: list[list[int]],
        k: int,
        evidence: int,
        retriever: Retriever,
        full_ranking: bool,
        ranked: dict[str, Any],
    ) -> WhoAnswer:
        concepts = self.concepts
        assert concepts is not None
        numbers = [concepts.number(c) for c in reading.concepts]
        strength = self._evidence(text, retriever)
        towns = self._tagged_towns(concepts, numbers, allowed)
        qualified = {
            town: rows
            for town, rows in towns.items()
            if (any(rows.values()) if reading.any_of else all(rows.get(i) for i in range(len(numbers))))
        }
        hits = []
        for town, by_concept in qualified.items():
            rows = sorted({r for rs in by_concept.values() for r in rs}, key=lambda r: -strength[r])
            shown = []
            for row in rows[:evidence]:
                spans = tuple(concepts.spans(row, numbers))
                hit = self._hit(0, row, round(float(strength[row]), 4), ("concepts",), allowed[row])
                html = highlight_html(hit.text, text, spans=spans)
                shown.append(replace(hit, html=html, marks=spans))
            best = float(strength[rows[0]])
            named = tuple(reading.labels[i] for i in sorted(by_concept) if by_concept[i])
            hits.append((best, town, shown, named))
        hits.sort(key=lambda t: (-t[0], t[1]))
        if hits and self._asks_more(text, reading):
            hits = [h for h in hits if h[0] >= hits[0][0] - self.concept_config.specific_gap]
        answering = [
            MunicipalityHit(
                rank=i,
                municipality=town,
                kommunkod=shown[0].kommunkod,
                score=round(best, 4),
                evidence=tuple(_renumber(shown)),
                strength=round(best, 4),
                answers=True,
                path="concepts",
                concepts=named,
            )
            for i, (best, town, shown, named) in enumerate(hits[:k], start=1)
        ]
        if full_ranking:
            done = {m.municipality for m in answering}
            rest = [m for m in self.search_grouped(**ranked, full_ranking=True) if m.municipality not in done]
            answering += [
                replace(m, rank=len(answering) + i, answers=False)
                for i, m in enumerate(rest[: max(0, k - len(answering))], 1)
            ]
        near = () if qualified else tuple(self._near_misses(concepts, reading, allowed))
        return WhoAnswer(ranked["query"], "concepts", reading, tuple(answering), near)

    def _asks_more(self, text: str, reading: Reading) -> bool:
        """Whether the question has words of its own besides the concepts it names (and the words
        every who-question has): then it asks about something narrower than the concept."""
        rest = list(text)
        for a, b in reading.spans:
            rest[a:b] = " " * (b - a)
        return bool(reading.spans) and bool(self.index.analyzer.tokens("".join(rest), query=True))

    def _evidence(self, text: str, retriever: Retriever) -> np.ndarray:
        """How well each entry answers the question: the who-answer's evidence (`fusion.evidence_of`)."""
        used = ("bm25", "dense") if retriever == "hybrid" else (str(retriever),)
        signals = {
            name: self._bm25_scores(text, True) if name == "bm25" else self._dense_scores(text, True) for name in used
        }
        return evidence_of(z_parts(signals, self.fusion), self.cutoff.bm25_weight)

    def _tagged_towns(
        self, concepts: ConceptIndex, numbers: Sequence[int], allowed: list[list[int]]
    ) -> dict[str, dict[int, list[int]]]:
        """Municipality → for each concept asked about (by position), its own entries tagged with it
        (or a narrower one) that the filters let through. Template text never counts."""
        towns: dict[str, dict[int, list[int]]] = {}
        for i, number in enumerate(numbers):
            for row in concepts.rows(number):
                entry = self.index.entries[row]
                if entry["boilerplate"] or not allowed[row]:
                    continue
                town = entry["members"][allowed[row][0]]["municipality"]
                towns.setdefault(town, {}).setdefault(i, []).append(row)
        return towns

    def _near_misses(self, concepts: ConceptIndex, reading: Reading, allowed: list[list[int]]) -> list[NearMiss]:
        """Related and broader concepts that some municipality's own text does name."""
        out = []
        for iri, relation in concepts.near_concepts(reading.concepts):
            towns = sorted(self._tagged_towns(concepts, [concepts.number(iri)], allowed))
            if towns:
                out.append(NearMiss(iri, concepts.scheme[iri].pref_sv, relation, tuple(towns)))
            if len(out) >= NEAR_CONCEPTS:
                break
        return out
