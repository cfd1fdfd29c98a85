"""Score the search on a question file (the format of tests/dev_queries.json).

"who" questions are judged on `search_grouped`: hit@1 (an expected municipality first),
recall@3 (share of the expected municipalities in the top 3) and MRR. "passage" questions
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

from .errors import InputError
from .search import Retriever, Searcher

RETRIEVERS: tuple[Retriever, ...] = ("bm25", "dense", "hybrid")
WHO_METRICS = ("hit@1", "recall@3", "mrr")
PASSAGE_METRICS = ("hit@1", "hit@5", "mrr@10")
DEPTH = 10


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class QuestionResult:
    kind: str  # "who" | "passage"
    question: str
    retriever: str
    rank: int | None  # rank of the first relevant answer within the top 10
    passed: bool  # who: expected municipality first; passage: relevant paragraph in the top 5
    expected: tuple[str, ...]
    got: tuple[str, ...]  # top 3 municipalities, or "municipality: text…" of the top 3 paragraphs
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class EvalReport:
    metrics: dict[str, dict[str, dict[str, float]]]  # retriever → "who"/"passage" → metric → value
    results: list[QuestionResult]
    counts: dict[str, int]

    def rows(self) -> list[dict[str, Any]]:
        """One row per (question set, metric), one column per retriever."""
        rows = []
        for kind, names in (("who", WHO_METRICS), ("passage", PASSAGE_METRICS)):
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
            where = f"rank {r.rank}" if r.rank else "not in top 10"
            lines.append(
                f"[{r.retriever}] {r.kind}: {r.question!r} — {where}; expected {', '.join(r.expected)}; got {' | '.join(r.got)}"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"metrics": self.metrics, "counts": self.counts, "results": [asdict(r) for r in self.results]}


def load_questions(source: Path | dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
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
    if not out["who"] and not out["passage"]:
        raise InputError(f"{source} has no 'who' or 'passage' questions")
    return out


def _who(searcher: Searcher, item: dict[str, Any], retriever: Retriever) -> tuple[QuestionResult, dict[str, float]]:
    expected = [str(e) for e in item["expect"]]
    wanted = {e.casefold() for e in expected}
    groups = searcher.search_grouped(item["q"], k=DEPTH, retriever=retriever)
    names = [g.municipality for g in groups]
    ranks = [i for i, n in enumerate(names, start=1) if n.casefold() in wanted]
    first = ranks[0] if ranks else None
    scores = {
        "hit@1": float(first == 1),
        "recall@3": sum(1 for r in ranks if r <= 3) / len(wanted) if wanted else 0.0,
        "mrr": 1.0 / first if first else 0.0,
    }
    result = QuestionResult("who", item["q"], retriever, first, first == 1, tuple(expected), tuple(names[:3]), scores)
    return result, scores


def _passage(searcher: Searcher, item: dict[str, Any], retriever: Retriever) -> tuple[QuestionResult, dict[str, float]]:
    snippets = [_norm(str(s)) for s in item["snippets"]]
    hits = searcher.search(item["q"], k=DEPTH, retriever=retriever)
    ranks = [h.rank for h in hits if any(s in _norm(h.text) for s in snippets)]
    first = ranks[0] if ranks else None
    scores = {
        "hit@1": float(first == 1),
        "hit@5": float(first is not None and first <= 5),
        "mrr@10": 1.0 / first if first else 0.0,
    }
    got = tuple(f"{h.municipality}: {' '.join(h.text.split())[:60]}…" for h in hits[:3])
    passed = first is not None and first <= 5
    return QuestionResult("passage", item["q"], retriever, first, passed, tuple(item["snippets"]), got, scores), scores


def evaluate(
    searcher: Searcher, questions: Path | dict[str, Any], retrievers: Sequence[Retriever] = RETRIEVERS
) -> EvalReport:
    """Run every question with every retriever; metrics are means over the questions."""
    data = load_questions(questions)
    results: list[QuestionResult] = []
    metrics: dict[str, dict[str, dict[str, float]]] = {}
    for retriever in retrievers:
        sums = {"who": dict.fromkeys(WHO_METRICS, 0.0), "passage": dict.fromkeys(PASSAGE_METRICS, 0.0)}
        for kind, run in (("who", _who), ("passage", _passage)):
            for item in data[kind]:
                result, scores = run(searcher, item, retriever)
                results.append(result)
                for name, value in scores.items():
                    sums[kind][name] += value
        metrics[retriever] = {
            kind: {name: (v / len(data[kind]) if data[kind] else 0.0) for name, v in values.items()}
            for kind, values in sums.items()
        }
    return EvalReport(metrics, results, {kind: len(items) for kind, items in data.items()})
