"""Passage questions that name a municipality: the ranking with and without naming it first.

    python bench/named_eval.py QUESTIONS.json [--index build/index] [--append-municipality] [--json]

Three rankings of each passage question that names a municipality with documents in the index:
`plain` (no preference), `named-first` (the named municipality's own text first, ranked by the
whole question) and `named-first, without the name` (what `Searcher.search` does by default:
ranked by the question with the name taken out, `Searcher.without_names`).

`--append-municipality`: a question that names no municipality gets " i <municipality>" added,
the municipality of the document in its `source` ("alvesta-klimatkontrakt / …"): the question
bank's passage questions name places by description ("orten i Kronoberg"), so this asks them as
a user who names the place would. The choice of the default was made on bank.json this way;
holdout.json is only reported.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from klimatgraf.evaluate import load_questions, passage_scores
from klimatgraf.retrieval import Searcher
from klimatgraf.vocabulary import Retriever

MODES = ("plain", "named-first", "named-first, without the name")


def ranked_texts(searcher: Searcher, question: str, mode: str) -> list[str]:
    query, allowed = searcher._prepared(question, 10, None, None, "latest")
    named = searcher.named(query) if mode != "plain" else ()
    if mode == "named-first, without the name":
        rows = searcher.search_rows(query, Retriever.hybrid, allowed)[2]
    else:
        rows = searcher.paragraph_rows(query, Retriever.hybrid, allowed, named)
    return [searcher.index.entries[row]["text"] for row, _, _ in rows[:10]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--index", type=Path, default=Path("build/index"))
    parser.add_argument("--append-municipality", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    searcher = Searcher(args.index)
    by_doc = {m["doc_id"]: m["municipality"] for e in searcher.index.entries for m in e["members"]}
    asked: list[tuple[str, list[str]]] = []
    for item in load_questions(args.questions)["passage"]:
        question = item["q"]
        if not searcher.named(question) and args.append_municipality:
            question = f"{question} i {by_doc[item['source'].split(' / ')[0].strip()]}"
        if searcher.named(question):
            asked.append((question, item["snippets"]))
    firsts: dict[str, list[int | None]] = {}
    report: dict[str, Any] = {"questions": len(asked), "index": str(args.index), "modes": {}}
    for mode in MODES:
        ranks = [passage_scores(ranked_texts(searcher, q, mode), snippets)[0] for q, snippets in asked]
        firsts[mode] = ranks
        n = len(ranks) or 1
        report["modes"][mode] = {
            "hit@1": round(sum(r == 1 for r in ranks) / n, 3),
            "hit@5": round(sum(r is not None and r <= 5 for r in ranks) / n, 3),
            "mrr@10": round(sum(1 / r for r in ranks if r) / n, 3),
        }

    def better(a: str, b: str) -> dict[str, int]:
        pairs = list(zip(firsts[a], firsts[b], strict=True))
        key = [(x or 99, y or 99) for x, y in pairs]
        return {"better": sum(y < x for x, y in key), "worse": sum(y > x for x, y in key)}

    report["named-first vs plain"] = better("plain", "named-first")
    report["without the name vs named-first"] = better("named-first", "named-first, without the name")
    print(json.dumps(report, ensure_ascii=False, indent=1 if args.json else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
