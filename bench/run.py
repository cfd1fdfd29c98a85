"""`make bench`: measure build, CLI start-up, SPARQL and search on the seeds; print a Markdown table.

Timings are wall-clock medians over repeated runs on this machine; they are reported in
docs/benchmarks.md, never asserted in tests.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KG = str(Path(sys.executable).parent / "klimatgraf")


def wall(cmd: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    rows: list[tuple[str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    build_dir = work / "build"
    env = {**os.environ, "KLIMATGRAF_BUILD": str(build_dir)}

    start = time.perf_counter()
    subprocess.run([KG, "build", "--no-index"], check=True, capture_output=True, cwd=ROOT, env=env)
    rows.append(("graph build, 5 seeds (no index), cold process", f"{time.perf_counter() - start:.2f} s"))

    start = time.perf_counter()
    subprocess.run([KG, "build"], check=True, capture_output=True, cwd=ROOT, env=env)
    rows.append(("full build incl. index, empty embedding cache", f"{time.perf_counter() - start:.2f} s"))
    start = time.perf_counter()
    subprocess.run([KG, "build"], check=True, capture_output=True, cwd=ROOT, env=env)
    rows.append(("full rebuild, nothing changed (cache warm)", f"{time.perf_counter() - start:.2f} s"))

    rows.append(("`klimatgraf --help`", f"{wall([KG, '--help']):.3f} s"))
    rows.append(
        (
            "`klimatgraf query twins` (cold process)",
            f"{wall([KG, 'query', 'twins', '--build-dir', str(build_dir)]):.3f} s",
        )
    )
    rows.append(
        (
            '`klimatgraf search "vem arbetar med matsvinn"` (cold, incl. model load)',
            f"{wall([KG, 'search', 'vem arbetar med matsvinn', '--build-dir', str(build_dir)], repeat=3):.3f} s",
        )
    )

    sys.path.insert(0, str(ROOT / "src"))
    from klimatgraf.retrieval import Searcher

    searcher = Searcher(build_dir / "index")
    questions = []
    for name in ("tests/dev_queries.json", "bench/tuning_queries.json"):
        data = json.loads((ROOT / name).read_text())
        questions += [q["q"] for q in data["who"] + data["passage"]]
    searcher.search("uppvärmning")  # load the model
    fresh, repeated = [], []
    for _ in range(5):  # each round a fresh query-vector cache: every question is new to the searcher
        searcher._query_vectors.clear()
        for question in questions:
            start = time.perf_counter()
            searcher.search(question, k=10)
            fresh.append((time.perf_counter() - start) * 1000)
    for question in questions * 3:
        start = time.perf_counter()
        searcher.search(question, k=10)
        repeated.append((time.perf_counter() - start) * 1000)
    rows.append(
        (
            f"warm `Searcher.search`, new question, p50 / p95 (n={len(fresh)})",
            f"{percentile(fresh, 0.5):.1f} / {percentile(fresh, 0.95):.1f} ms",
        )
    )
    rows.append(
        (
            f"warm `Searcher.search`, repeated question, p50 / p95 (n={len(repeated)})",
            f"{percentile(repeated, 0.5):.1f} / {percentile(repeated, 0.95):.1f} ms",
        )
    )

    from klimatgraf.evaluate import evaluate

    for name in ("tests/dev_queries.json", "bench/tuning_queries.json"):
        print(f"\neval on {name}:\n")
        print("| set | metric | bm25 | dense | hybrid |\n|---|---|---|---|---|")
        for row in evaluate(searcher, ROOT / name).rows():
            print("| " + " | ".join(str(v) for v in row.values()) + " |")

    shutil.rmtree(work, ignore_errors=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; commit {commit}; "
        f"date {time.strftime('%Y-%m-%d')}\n"
    )
    print("| measurement | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
