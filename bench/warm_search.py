"""Warm search time of index variants, interleaved so that the machine's load hits each alike.

    python bench/warm_search.py INDEX [INDEX ...] [--rounds 20] [--new-questions] [--sorted]

For each index: p50/p95 (ms) of `Searcher.search` and `search_grouped` over bench/scale.py's
questions with each question's vector cached: the ranking alone (faiss search, entry maxima,
fusion, hits), which is what the index's passages change; the e5 query encoding is the same for
every index. Each call searches faiss afresh (the last question's passage scores are forgotten).
`--new-questions`: every call encodes its question anew (e5 timed too, as a new question is).
`--sorted`: each index is also timed as "INDEX (sorted)", scoring every passage by a faiss
`search` for all rows (the code before `LoadedIndex.every_score`), interleaved with the default.
JSON on stdout.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from scale import QUESTIONS, percentile

from klimatgraf.retrieval import Searcher


def _sorted_scores(index: Any, query: Any) -> tuple[Any, Any]:
    """Every passage's score as before `every_score`: a faiss search for all rows (sorted)."""
    found, rows = index.vectors.search(query[None, :], index.vectors.ntotal)
    keep = rows[0] >= 0
    return found[0][keep], rows[0][keep]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path, nargs="+")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--new-questions", action="store_true", help="encode each question anew (e5 timed)")
    parser.add_argument("--sorted", action="store_true", help="also time a full faiss search per question")
    args = parser.parse_args(argv)
    searchers = {str(p): Searcher(p) for p in args.index}
    if args.sorted:
        for p in args.index:
            old = Searcher(p)
            old.index.every_score = functools.partial(_sorted_scores, old.index)  # type: ignore[method-assign]
            searchers[f"{p} (sorted)"] = old
    first = next(iter(searchers.values()))
    for s in searchers.values():
        s._embedder = first.embedder  # one model in memory
        for question in QUESTIONS:  # warm every code path
            s.search(question, k=10)
            s.search_grouped(question)
    times: dict[str, dict[str, list[float]]] = {n: {} for n in searchers}
    for _ in range(args.rounds):
        for name, s in searchers.items():
            for question in QUESTIONS:
                for call in ("search", "search_grouped"):
                    s._last_dense = None
                    if args.new_questions:
                        s._query_vectors.clear()
                    start = time.perf_counter()
                    s.search(question, k=10) if call == "search" else s.search_grouped(question)
                    times[name].setdefault(call, []).append((time.perf_counter() - start) * 1000)
    report: dict[str, Any] = {}
    for name, s in searchers.items():
        report[name] = {"passages": s.index.manifest.passages} | {
            f"{key}_p{int(q * 100)}_ms": round(percentile(values, q), 2)
            for key, values in times[name].items()
            for q in (0.5, 0.95)
        }
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
