"""The theme matrix as the server answers it once warm (issue 23: < 100 ms at N = 300).

    python bench/themes_warm.py BUILD_DIR [--rounds 50]

`klimatgraf serve` reads the build's topic profiles (topics.json) once at start; each `/api/themes`
request is then `topics.matrix` over them and its JSON. This times exactly that work in one process
(p50/p95 ms over `--rounds` calls per request, after one untimed call), for the requests the web
page and the CLI make. It leaves out the HTTP round trip (about a millisecond on localhost, see
docs/benchmarks.md "Web service") because `serve` needs a search index and the N = 300 benchmark
builds the graph alone. JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from klimatgraf.topics import matrix, read_profiles

REQUESTS = {
    "/api/themes (top concepts, latest)": {"edition": "latest"},
    "/api/themes?level=2": {"edition": "latest", "level": 2},
    "/api/themes?under=Mobilitet": {"edition": "latest", "under": "Mobilitet"},
    "/api/themes?edition=all": {"edition": "all"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir", type=Path)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    started = time.perf_counter()
    profiles = read_profiles(args.build_dir)
    out: dict[str, object] = {"read_profiles_ms": round((time.perf_counter() - started) * 1000, 1)}
    for label, options in REQUESTS.items():
        json.dumps(matrix(profiles, **options).to_dict())  # untimed: the first call
        times = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            json.dumps(matrix(profiles, **options).to_dict(), ensure_ascii=False)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[label] = {
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
