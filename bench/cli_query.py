"""`klimatgraf query twins` as a one-shot command: wall and CPU time of a cold process (issue 24).

The SPARQL guard read every query with rdflib's parser (≈ 150 ms of imports on this path); it
now reads SPARQL tokens without one. This times the command in fresh processes, optionally
interleaved with another source tree (`--against DIR`: its `src/` is put first on PYTHONPATH,
e.g. a worktree of the commit before), so that the machine's load falls on both alike.

    .venv/bin/python bench/cli_query.py --build-dir build [--runs 20] [--against /tmp/base]

Prints a Markdown table (median, min and CPU per run); docs/benchmarks.md quotes it. Never a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(build_dir: Path, src: Path | None) -> tuple[float, float]:
    """(wall s, CPU s) of one `python -m klimatgraf query twins` in a fresh process."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "klimatgraf", "query", "twins", "--build-dir", str(build_dir)],
        check=True, capture_output=True, cwd=ROOT, env=env,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--against", type=Path, help="another checkout: its src/ is timed interleaved")
    args = parser.parse_args()
    trees: dict[str, Path | None] = {"this tree": ROOT / "src"}
    if args.against is not None:
        trees[f"{args.against}"] = args.against / "src"
    one_run(args.build_dir, None)  # the on-disk oxigraph copy and the page cache, once
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, src in trees.items():
            times[name].append(one_run(args.build_dir, src))
    load = os.getloadavg()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load {load:.2f}; {args.runs} runs each, interleaved; build {args.build_dir}")  # fmt: skip
    print("\n| tree | wall median | wall min | CPU median |\n|---|---|---|---|")
    for name, runs in times.items():
        walls = [w for w, _ in runs]
        cpus = [c for _, c in runs]
        print(f"| {name} | {statistics.median(walls):.3f} s | {min(walls):.3f} s | {statistics.median(cpus):.3f} s |")


if __name__ == "__main__":
    main()
