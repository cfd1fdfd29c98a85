"""The graph path of who-answers (issue 26): a relation query run on the build's graph, its rows
grouped by the name they answer with their evidence paragraphs (`relations` reads the question)."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..vocabulary import Retriever
from .answers import Hit, MunicipalityHit, Reading, WhoAnswer, _renumber
from .relations import GraphNames, RelationQuery, graph_names, read_relation

PARAGRAPH_PREFIX = "https://w3id.org/klimatgraf/id/paragraph/"


@dataclass(frozen=True)
class GraphRow:
    """One answer of a relation query: the name, its kommunkod, the evidence paragraphs."""

    name: str
    code: str
    paragraphs: tuple[tuple[str, str, str], ...]  # (paragraph IRI, text, section path)
    value: float | None = None


class GraphReader:
    """Reads questions for relations and answers them on a loaded graph (an `sparql.Engine`)."""

    def __init__(self, engine: Any, gazetteer: Any = None, common: Callable[[str], bool] = lambda name: False) -> None:
        self.engine = engine
        self.gazetteer = gazetteer  # every Swedish municipality: names a question may use that the graph lacks
        self._names: GraphNames | None = None
        self._common = common

    def select(self, query: str, *, trusted: bool = False) -> list[dict[str, Any]]:
        """Rows of `query`; `trusted`: one of klimatgraf's own fixed texts (oxigraph then skips the
        guard's parse, sparql.Engine). A relation query carries words of the question: never trusted."""
        result = self.engine.run(query, trusted=trusted)
        return [dict(zip(result.variables, row, strict=True)) for row in result.rows]

    @property
    def names(self) -> GraphNames:
        if self._names is None:
            self._names = graph_names(lambda text: self.select(text, trusted=True), self.gazetteer)  # fixed texts
            self._names.common = self._common
        return self._names

    def read(self, question: str) -> RelationQuery | None:
        return read_relation(question, self.names)

    def rows(self, query: RelationQuery) -> list[GraphRow]:
        """The answer of a relation query, one row per name; "max" and "decrease" keep the first."""
        by_name: dict[str, dict[str, Any]] = {}
        for row in self.select(query.sparql):
            name = str(row["answer"])
            entry = by_name.setdefault(name, {"code": str(row.get("code") or ""), "paragraphs": {}, "values": []})
            if row.get("paragraph") is not None:
                section = str(row.get("section") or "")
                entry["paragraphs"][str(row["paragraph"])] = (str(row.get("text") or ""), section)
            if query.rank and row.get("value") is not None:
                year = row.get("year")
                entry["values"].append((int(str(year)) if year is not None else None, float(str(row["value"]))))
        out = [
            GraphRow(
                name,
                e["code"],
                tuple((i, *ts) for i, ts in e["paragraphs"].items()),
                _rank_value(query.rank, e["values"]),
            )
            for name, e in by_name.items()
        ]
        if query.rank == "fell":
            return sorted((r for r in out if r.value is not None and r.value < 0), key=lambda r: r.name)
        if query.rank:
            scored = [r for r in out if r.value is not None]
            scored.sort(key=lambda r: (r.value or 0.0) if query.rank == "decrease" else -(r.value or 0.0))
            best = scored[0].value if scored else None
            return [r for r in scored if r.value == best]  # ties are all answers
        return sorted(out, key=lambda r: r.name)


def _rank_value(rank: str, values: list[tuple[int | None, float]]) -> float | None:
    """ "max": the largest figure; "decrease": the relative change from the earliest year's largest
    figure to the latest year's (negative is a fall), when two years are given."""
    if not values:
        return None
    if rank == "max":
        return max(v for _, v in values)
    if rank in ("decrease", "fell"):
        by_year: dict[int, float] = {}
        for year, value in values:
            if year is not None:
                by_year[year] = max(value, by_year.get(year, 0.0))
        if len(by_year) < 2:
            return None
        first, last = by_year[min(by_year)], by_year[max(by_year)]
        return (last - first) / first if first else None
    return None


class GraphAnswersMixin:
    """`Searcher.answer`'s graph path: a relation question answered from the graph's facts, alone,
    or together with the concepts the question names beside the relation ("mål om klimatneutralitet
    2030" and "matsvinn": the municipalities both give)."""

    index: Any
    if TYPE_CHECKING:

        @property
        def concepts(self) -> Any: ...  # concepts.ConceptIndex | None (that module imports this one)
        def read_concepts(self, query: str) -> Reading: ...
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
        ) -> WhoAnswer: ...

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
    ) -> WhoAnswer:
        rows = graph.rows(relation)
        reading = Reading(labels=(relation.description,), how="graph")
        # a topic besides the relation, asked as work ("… som arbetar med matsvinn"), narrows the answer
        works = re.search(
            r"\b(?:arbetar|jobbar|satsar|engagerar sig|works?|working)\s+(?:med|på|inom|on|with)\b", text, re.IGNORECASE
        )
        topics = self._other_concepts(text, relation) if works else Reading()
        path = "graph"
        extra: dict[str, MunicipalityHit] = {}
        if topics.concepts and relation.entity == "municipality":
            concept = self._concept_answer(text, topics, allowed, 200, evidence, retriever, False, {"query": query})
            extra = {m.municipality: m for m in concept.answering}
            rows = [r for r in rows if r.name in extra]
            path = "graph+concepts"
            reading = Reading(
                concepts=topics.concepts, labels=(f"{relation.description}, som arbetar med {' och '.join(topics.labels)}",),
                how="graph",
            )  # fmt: skip
        hits = []
        for i, row in enumerate(rows[:k], start=1):
            shown = [_paragraph_hit(j, row, *paragraph) for j, paragraph in enumerate(row.paragraphs[:evidence], 1)]
            if row.name in extra:
                shown += list(extra[row.name].evidence[: max(1, evidence - len(shown))])
            hits.append(
                MunicipalityHit(
                    rank=i,
                    municipality=row.name,
                    kommunkod=row.code,
                    score=round(row.value, 4) if row.value is not None else 1.0,
                    evidence=tuple(_renumber(shown)),
                    strength=0.0,
                    answers=True,
                    path=path,
                    concepts=tuple(topics.labels),
                )
            )
        return WhoAnswer(query, path, reading, tuple(hits), sparql=relation.sparql, relation=relation.relation)

    def _other_concepts(self, text: str, relation: RelationQuery) -> Reading:
        """The concepts the question names that the relation does not already say (its description is
        read with the same matcher: "mål om klimatneutralitet" names Klimatneutralitet itself)."""
        concepts = self.concepts
        if concepts is None:
            return Reading()
        reading = self.read_concepts(text)
        said = set(concepts.read(relation.description).concepts)
        said |= {a for c in said for a in concepts.scheme.ancestors(c)}
        keep = [(c, label) for c, label in zip(reading.concepts, reading.labels, strict=True) if c not in said]
        if not keep or reading.how != "labels":
            return Reading()
        return Reading(concepts=tuple(c for c, _ in keep), labels=tuple(label for _, label in keep), how="labels")


def _paragraph_hit(rank: int, row: GraphRow, iri: str, text: str, section: str) -> Hit:
    """A fact's evidence paragraph as a hit (from the graph: its IRI and text)."""
    pid = iri.removeprefix(PARAGRAPH_PREFIX)
    document = pid.rsplit("/", 1)[0]
    return Hit(
        rank=rank,
        score=1.0,
        municipality=row.name,
        kommunkod=row.code,
        document=document,
        paragraph=iri,
        pid=pid,
        section=section,
        page=None,
        text=text,
        boilerplate=False,
        documents=(document,),
        municipalities=(row.name,),
        retrievers=("graph",),
        html=html_lib.escape(text),
    )
