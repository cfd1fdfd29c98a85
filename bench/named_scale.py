"""Naming a municipality at scale: passage questions that name a seed municipality, asked of a
scale corpus (bench/make_corpus.py) about each municipality whose own text holds the answer.

    python bench/named_scale.py INDEX_DIR QUESTIONS.json [QUESTIONS.json ...] [--per-question 3] [--json]

A scale document is a seed with its municipality replaced by another, so the answer paragraph of a
seed question exists, re-parameterised, in several municipalities' documents. For each passage
question that names exactly one municipality X of the seeds (in a form that a plain replacement
keeps: "Alvesta", "Alvestas"), and each municipality Y of the scale index (up to --per-question,
in order of name) whose own, non-template text holds one of the question's snippets, the
question is asked with X replaced by Y. Relevant: a paragraph of Y holding a snippet. Reports
hit@1, hit@5 and MRR@10 with `named_first` on and off (nothing is tuned: the feature has no
parameter).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from klimatgraf.evaluate import load_questions
from klimatgraf.retrieval import Searcher
from klimatgraf.swedish import fold

SEEDS = ("Alvesta", "Avesta", "Kristinehamn", "Skellefteå", "Örnsköldsvik")


def genitive(name: str) -> str:
    return name if name[-1:].casefold() in "sxz" else name + "s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--per-question", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    searcher = Searcher(args.index)
    entries = searcher.index.entries
    own: dict[str, list[str]] = {}  # municipality → folded own (non-template) texts
    for entry in entries:
        if not entry["boilerplate"]:
            for member in entry["members"]:
                own.setdefault(member["municipality"], []).append(fold(entry["text"]))
    cases = []
    for path in args.questions:
        for item in load_questions(path)["passage"]:
            named = [x for x in SEEDS if re.search(rf"\b{x}s?\b", item["q"], re.IGNORECASE)]
            if len(named) != 1:
                continue
            x = named[0]
            snippets = [fold(s) for s in item["snippets"]]
            holders = sorted(y for y, texts in own.items() if any(s in t for s in snippets for t in texts))
            for y in holders[: args.per_question]:
                pattern = re.compile(rf"\b{x}(s?)\b", re.IGNORECASE)
                question = pattern.sub(lambda m, y=y: genitive(y) if m.group(1) else y, item["q"])
                cases.append((path.name, item["q"], question, y, snippets))
    results: dict[str, dict[str, float]] = {}
    firsts: dict[str, list[int | None]] = {}
    for mode in ("named_first", "plain"):
        ranks: list[int | None] = []
        for _, _, question, y, snippets in cases:
            hits = searcher.search(question, k=10, named_first=mode == "named_first")
            relevant = [
                i for i, h in enumerate(hits, 1) if y in h.municipalities and any(s in fold(h.text) for s in snippets)
            ]
            ranks.append(relevant[0] if relevant else None)
        n = len(ranks) or 1
        results[mode] = {
            "hit@1": sum(r == 1 for r in ranks) / n,
            "hit@5": sum(r is not None and r <= 5 for r in ranks) / n,
            "mrr@10": sum(1 / r for r in ranks if r) / n,
        }
        firsts[mode] = ranks
    summary = {
        "index": str(args.index),
        "documents": len({m["doc_id"] for e in entries for m in e["members"]}),
        "questions": len({(c[0], c[1]) for c in cases}),
        "cases": len(cases),
        "results": results,
    }
    if args.json:
        summary["cases_detail"] = [
            {"file": c[0], "seed_question": c[1], "asked": c[2], "about": c[3], **{m: firsts[m][i] for m in firsts}}
            for i, c in enumerate(cases)
        ]
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
