"""Search benchmarks: index build (empty cache, then unchanged), warm search p50/p95, one-shot CLI.

Run: `python bench/search_bench.py [--data-dir data] [--json]`. Prints one line per figure
(or a JSON object), for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from klimatgraf.corpus import load_corpus
from klimatgraf.embed import get_embedder
from klimatgraf.index import build_index
from klimatgraf.retrieval import Searcher

QUERIES = [
    "vem arbetar med matsvinn",
    "vilka kommuner bygger ut kollektivtrafik och cykelvägar",
    "hur stor andel av fjärrvärmen är förnybar i Alvesta",
    "krav på batteristorlek vid inköp av fordon",
    "which municipality is the twin of Borlänge",
    "klimatinvesteringsplan",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--model", default="e5")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = load_corpus(args.data_dir)
        for label in ("build_empty_cache_s", "rebuild_unchanged_s"):
            start = time.perf_counter()
            manifest = build_index(corpus.paragraphs, corpus.documents, root / "index", get_embedder(args.model))
            out[label] = time.perf_counter() - start
            out[label.replace("_s", "_embedded")] = manifest.embedded
        start = time.perf_counter()
        searcher = Searcher(root / "index")
        searcher.search("uppvärmning", k=10)  # loads the model
        out["first_search_incl_load_s"] = time.perf_counter() - start
        for name, run in (("search", searcher.search), ("grouped", searcher.search_grouped)):
            times = []
            for _ in range(args.rounds):
                for query in QUERIES:
                    t = time.perf_counter()
                    run(query, k=10)
                    times.append((time.perf_counter() - t) * 1000)
            out[f"warm_{name}_p50_ms"] = statistics.median(times)
            out[f"warm_{name}_p95_ms"] = percentile(times, 0.95)
        exe = Path(sys.executable).parent / "klimatgraf"
        if exe.exists():
            env = {**os.environ, "HF_HUB_OFFLINE": "1"}
            cmd = [str(exe), "search", QUERIES[0], "--build-dir", str(root), "--group", "municipality"]
            walls = []
            for _ in range(3):
                t = time.perf_counter()
                subprocess.run(cmd, capture_output=True, check=True, env=env)
                walls.append(time.perf_counter() - t)
            out["cli_one_shot_s"] = min(walls)
    if args.json:
        print(json.dumps({k: round(v, 3) for k, v in out.items()}, indent=2))
    else:
        for key, value in out.items():
            print(f"{key:32s} {value:10.3f}")


if __name__ == "__main__":
    main()
