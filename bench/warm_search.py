"""Warm search time of index variants, interleaved so that the machine's load hits each alike.

    python bench/warm_search.py INDEX [INDEX ...] [--rounds 20]

For each index: p50/p95 (ms) of `Searcher.search` and `search_grouped` over bench/scale.py's
questions with each question's vector cached: the ranking alone (faiss search, entry maxima,
fusion, hits), which is what the index's passages change; the e5 query encoding is the same for
every index. Each call searches faiss afresh (the last question's passage scores are forgotten).
JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from scale import QUESTIONS, percentile

from klimatgraf.search import Searcher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path, nargs="+")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    searchers = {str(p): Searcher(p) for p in args.index}
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
