"""Score the search on a question file (the format of tests/dev_queries.json).

"who" questions are judged on `Searcher.answer` (the concept path when the question names a concept
of the vocabulary, else similarity; per retriever): on its full ranking, hit@1 (an expected
municipality first), recall@3 (share of the expected municipalities in the top 3) and MRR;
on its cut-off answer (the municipalities that pass the cut-off), answer-set precision,
recall and F1 (means over the questions; an empty answer has precision 0). A who-question
with `"expect": []` is a *no-answer* question: it counts only in the "none" set, whose one
metric is the share answered with nobody. "passage" questions
are judged on `search`: a paragraph is relevant when its whitespace-normalised, casefolded
text contains one of the snippets; hit@1, hit@5 and MRR@10. Every retriever is run on every
question so the table shows what fusion adds. Plain data out; the CLI formats it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError
from .retrieval import Searcher
from .swedish import fold
from .vocabulary import Retriever

RETRIEVERS: tuple[Retriever, ...] = (Retriever.bm25, Retriever.dense, Retriever.hybrid)
WHO_METRICS = ("hit@1", "recall@3", "mrr", "precision", "recall", "f1")
NONE_METRICS = ("nobody",)
PASSAGE_METRICS = ("hit@1", "hit@5", "mrr@10")
KINDS: dict[str, tuple[str, ...]] = {"who": WHO_METRICS, "none": NONE_METRICS, "passage": PASSAGE_METRICS}
DEPTH = 10


@dataclass(frozen=True)
class QuestionResult:
    kind: str  # "who" | "none" | "passage"
    question: str
    retriever: str
    rank: int | None  # rank of the first relevant answer within the top 10
    passed: bool  # who: expected municipality first; none: nobody answers; passage: relevant paragraph in the top 5
    expected: tuple[str, ...]
    got: tuple[str, ...]  # top 3 municipalities, or "municipality: text…" of the top 3 paragraphs
    scores: dict[str, float] = field(default_factory=dict)
    answer: tuple[str, ...] = ()  # who/none: the municipalities that pass the cut-off


@dataclass
class EvalReport:
    metrics: dict[str, dict[str, dict[str, float]]]  # retriever → "who"/"passage" → metric → value
    results: list[QuestionResult]
    counts: dict[str, int]

    def rows(self) -> list[dict[str, Any]]:
        """One row per (question set, metric), one column per retriever."""
        rows = []
        for kind, names in KINDS.items():
            if not self.counts.get(kind):
                continue
            for metric in names:
                row: dict[str, Any] = {"set": f"{kind} ({self.counts[kind]})", "metric": metric}
                for retriever, by_kind in self.metrics.items():
                    row[retriever] = round(by_kind[kind][metric], 3)
                rows.append(row)
        return rows

    def failures(self, retriever: str | None = "hybrid") -> list[str]:
        """Questions below the quality bar, as one line each."""
        lines = []
        for r in self.results:
            if r.passed or (retriever is not None and r.retriever != retriever):
                continue
            if r.kind == "none":
                lines.append(f"[{r.retriever}] none: {r.question!r} — answered {', '.join(r.answer)}; expected nobody")
                continue
            where = f"rank {r.rank}" if r.rank else "not in top 10"
            lines.append(
                f"[{r.retriever}] {r.kind}: {r.question!r} — {where}; expected {', '.join(r.expected)}; got {' | '.join(r.got)}"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"metrics": self.metrics, "counts": self.counts, "results": [asdict(r) for r in self.results]}


def load_questions(source: Path | dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """ "who", "none" (who-questions expecting nobody) and "passage" lists from a question file."""
    if isinstance(source, dict):
        data = source
    else:
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except OSError:
            raise InputError(f"{source}: cannot read the question file") from None
        except ValueError:
            raise InputError(f"{source} is not valid JSON; see tests/dev_queries.json for the format") from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected an object with 'who' and/or 'passage' lists")
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, key in (("who", "expect"), ("passage", "snippets")):
        items = data.get(kind, [])
        if not isinstance(items, list) or any(
            not isinstance(i, dict) or not isinstance(i.get("q"), str) or not isinstance(i.get(key), list)
            for i in items
        ):
            raise InputError(f"{source}: every '{kind}' item needs a 'q' string and a '{key}' list")
        out[kind] = items
    if any(not i["snippets"] for i in out["passage"]):
        raise InputError(f"{source}: every 'passage' item needs at least one snippet")
    out["none"] = [i for i in out["who"] if not i["expect"]]
    out["who"] = [i for i in out["who"] if i["expect"]]
    if not out["who"] and not out["passage"] and not out["none"]:
        raise InputError(f"{source} has no 'who' or 'passage' questions")
    return {kind: out[kind] for kind in KINDS}


def answer_set_scores(answer: Sequence[str], expected: Sequence[str]) -> dict[str, float]:
    """Precision, recall and F1 of an answer set (case-insensitive names; empty answer → precision 0)."""
    got = {a.casefold() for a in answer}
    wanted = {e.casefold() for e in expected}
    right = len(got & wanted)
    precision = right / len(got) if got else 0.0
    recall = right / len(wanted) if wanted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if right else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def answer_set_arrays(answers: np.ndarray, expected: np.ndarray) -> dict[str, np.ndarray]:
    """`answer_set_scores` for many answers at once: boolean masks over municipalities (last
    axis), `expected` broadcast against `answers`; empty answer → precision 0."""
    right = (answers & expected).sum(-1)
    got, wanted = answers.sum(-1), expected.sum(-1)
    precision = np.divide(right, got, out=np.zeros(right.shape), where=got > 0)
    recall = np.divide(right, wanted, out=np.zeros(right.shape), where=wanted > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros(right.shape), where=right > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "nobody": (got == 0).astype(float)}


def who_scores(
    ranking: Sequence[str], answer: Sequence[str], expected: Sequence[str]
) -> tuple[int | None, dict[str, float]]:
    """Rank of the first expected municipality in `ranking`, and the who-metrics (needs `expected`)."""
    wanted = {e.casefold() for e in expected}
    ranks = [i for i, n in enumerate(ranking, start=1) if n.casefold() in wanted]
    first = ranks[0] if ranks else None
    return first, {
        "hit@1": float(first == 1),
        "recall@3": sum(1 for r in ranks if r <= 3) / len(wanted),
        "mrr": 1.0 / first if first else 0.0,
        **answer_set_scores(answer, expected),
    }


def passage_scores(texts: Sequence[str], snippets: Sequence[str]) -> tuple[int | None, dict[str, float]]:
    """Rank of the first paragraph (of `texts`, best first) holding a snippet, and the passage metrics."""
    wanted = [fold(str(s)) for s in snippets]
    ranks = [i for i, t in enumerate(texts, start=1) if any(s in fold(t) for s in wanted)]
    first = ranks[0] if ranks else None
    return first, {
        "hit@1": float(first == 1),
        "hit@5": float(first is not None and first <= 5),
        "mrr@10": 1.0 / first if first and first <= DEPTH else 0.0,
    }


def _who(
    searcher: Searcher, item: dict[str, Any], retriever: Retriever, path: str = "auto"
) -> tuple[QuestionResult, dict[str, float]]:
    expected = [str(e) for e in item["expect"]]
    wanted = {e.casefold() for e in expected}
    groups = searcher.answer(item["q"], k=DEPTH, retriever=retriever, full_ranking=True, path=path).municipalities
    names = [g.municipality for g in groups]
    answer = tuple(g.municipality for g in groups if g.answers)
    if not wanted:  # a no-answer question
        result = QuestionResult("none", item["q"], retriever, None, not answer, (), tuple(names[:3]), {}, answer)
        result.scores["nobody"] = float(not answer)
        return result, result.scores
    first, scores = who_scores(names, answer, expected)
    result = QuestionResult(
        "who", item["q"], retriever, first, first == 1, tuple(expected), tuple(names[:3]), scores, answer
    )
    return result, scores


def _passage(
    searcher: Searcher, item: dict[str, Any], retriever: Retriever, path: str = "auto"
) -> tuple[QuestionResult, dict[str, float]]:
    del path  # paragraphs have one path
    hits = searcher.search(item["q"], k=DEPTH, retriever=retriever)
    first, scores = passage_scores([h.text for h in hits], item["snippets"])
    got = tuple(f"{h.municipality}: {' '.join(h.text.split())[:60]}…" for h in hits[:3])
    passed = first is not None and first <= 5
    return QuestionResult("passage", item["q"], retriever, first, passed, tuple(item["snippets"]), got, scores), scores


def evaluate(
    searcher: Searcher,
    questions: Path | dict[str, Any],
    retrievers: Sequence[Retriever] = RETRIEVERS,
    path: str = "auto",
) -> EvalReport:
    """Run every question with every retriever; metrics are means over the questions. `path` is
    `Searcher.answer`'s for who-questions ("similarity" judges the similarity ranking alone)."""
    data = load_questions(questions)
    results: list[QuestionResult] = []
    metrics: dict[str, dict[str, dict[str, float]]] = {}
    for retriever in retrievers:
        sums = {kind: dict.fromkeys(names, 0.0) for kind, names in KINDS.items()}
        for kind in KINDS:
            run = _passage if kind == "passage" else _who
            for item in data[kind]:
                result, scores = run(searcher, item, retriever, path)
                results.append(result)
                for name, value in scores.items():
                    sums[kind][name] += value
        metrics[retriever] = {
            kind: {name: (v / len(data[kind]) if data[kind] else 0.0) for name, v in values.items()}
            for kind, values in sums.items()
        }
    return EvalReport(metrics, results, {kind: len(items) for kind, items in data.items()})
