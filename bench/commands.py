"""Every one-shot command at N generated documents, each in a cold CLI process (issue 27).

    python bench/commands.py --n 300 [--seed 0] [--work DIR] [--rounds 3] [--save FILE]
    python bench/commands.py --table BEFORE.json AFTER.json     # two saved runs side by side

A corpus from bench/make_corpus.py goes through the real CLI: `build --no-index` (graph only,
timed once), `build` with the index (timed once, its embedding cache copied from `--cache-from`,
by default the N-document build of bench/scale.py, so that nothing is embedded twice), then each
read command once untimed (the first run after a build: it may make build/.oxigraph) and
`--rounds` times timed: `query` (default edition, `--edition all`, `--edition YEAR`, `--engine
rdflib`), `compare`, `themes` (and its heatmap), `search`, `history`, `diff`, every `export`, `sparql`,
`validate`, and
`serve` (seconds from start until `/healthz` answers 200, a first named query, `/readyz` 200 and a
first `/sparql` answer).

The machine is shared, so each figure is the median wall time *and* the median CPU seconds of
the process (user + system; the better guide to a quiet machine), with the 1-minute load average
when the command's runs began. Timings are reported (docs/benchmarks.md), never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KG = str(Path(sys.executable).parent / "klimatgraf")
sys.path.insert(0, str(ROOT / "bench"))

from make_corpus import make_corpus  # noqa: E402

QUESTION = "vem arbetar med matsvinn"
USER_QUERY = (
    "PREFIX kg: <https://w3id.org/klimatgraf/ontology#> "
    "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY ?type"
)


def run(cmd: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one command; stdout is discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {err.strip()[-500:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def measure(cmd: list[str], rounds: int, ok: tuple[int, ...] = (0,)) -> dict[str, Any]:
    """One untimed first run (what a user meets right after a build), then `rounds` timed runs."""
    load = os.getloadavg()[0]
    first = run(cmd, ok)
    runs = [run(cmd, ok) for _ in range(rounds)] if rounds else [first]
    return {
        "first_s": first[0],
        "wall_s": statistics.median(r[0] for r in runs),
        "cpu_s": statistics.median(r[1] for r in runs),
        "rss_mib": max(r[2] for r in runs) / 1024,
        "load": load,
        "rounds": len(runs),
    }


def measure_once(cmd: list[str], ok: tuple[int, ...] = (0,)) -> dict[str, Any]:
    load = os.getloadavg()[0]
    wall, cpu, rss = run(cmd, ok)
    return {"first_s": wall, "wall_s": wall, "cpu_s": cpu, "rss_mib": rss / 1024, "load": load, "rounds": 1}


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_once(build_dir: Path, data: Path, limit: float = 600.0) -> dict[str, float]:
    """Seconds (and the server's CPU seconds) from start until /healthz answers 200, a first named
    query is answered, /readyz answers 200 (everything loaded) and a first /sparql answer (200),
    asked in that order, on a free port; the server is stopped afterwards."""
    with tempfile.TemporaryFile(mode="w+") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [KG, "serve", "--build-dir", str(build_dir), "--data-dir", str(data), "--port", "0", "--timeout", "60"],
            cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        out: dict[str, float] = {}
        try:
            url = None
            while url is None:
                if proc.poll() is not None or time.perf_counter() - start > limit:
                    log.seek(0)
                    raise SystemExit(f"serve did not start: {log.read()[-500:]}")
                log.seek(0)
                match = re.search(r"http://([\d.]+:\d+)/", log.read())
                url = f"http://{match.group(1)}" if match else None
                time.sleep(0.02)
            for name, path in (
                ("ready", "/healthz"),
                ("named", "/api/query/twins"),
                ("loaded", "/readyz"),  # 200 once the model and the SPARQL graph are loaded (issue 27)
                ("sparql", "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D"),
            ):
                while True:
                    try:
                        with urllib.request.urlopen(url + path, timeout=120) as response:
                            if response.status == 200:
                                break
                    except OSError:
                        pass
                    if time.perf_counter() - start > limit:
                        raise SystemExit(f"serve: no 200 from {path} within {limit:g} s")
                    time.sleep(0.02)
                out[f"{name}_s"], out[f"{name}_cpu_s"] = time.perf_counter() - start, _cpu_of(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return out


def measure_serve(build_dir: Path, data: Path, rounds: int) -> dict[str, dict[str, Any]]:
    load = os.getloadavg()[0]
    first = serve_once(build_dir, data)
    runs = [serve_once(build_dir, data) for _ in range(rounds)] if rounds else [first]
    return {
        f"serve: start until {what}": {
            "first_s": first[f"{key}_s"],
            "wall_s": statistics.median(r[f"{key}_s"] for r in runs),
            "cpu_s": statistics.median(r[f"{key}_cpu_s"] for r in runs),
            "load": load,
            "rounds": len(runs),
        }
        for key, what in (
            ("ready", "/healthz answers 200"),
            ("named", "a first named query (/api/query/twins)"),
            ("loaded", "/readyz answers 200 (model and SPARQL graph loaded)"),
            ("sparql", "a first /sparql answer"),
        )
    }


def editions_of(build_dir: Path) -> tuple[str, str]:
    """A municipality with two documents in the build, and the edition year fewest documents have."""
    manifest = json.loads((build_dir / "build.json").read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for d in manifest["documents_detail"]:
        counts[d["municipality"]] = counts.get(d["municipality"], 0) + 1
    town = min((m for m, c in counts.items() if c > 1), default=next(iter(counts)))
    years: dict[str, int] = {}
    for line in (build_dir / "graph.nt").open(encoding="utf-8"):
        match = re.search(r'#editionYear> "(\d{4})"', line)
        if match:
            years[match.group(1)] = years.get(match.group(1), 0) + 1
    year = min(years, key=lambda y: (years[y], y)) if years else "2025"
    return town, year


def bench(n: int, seed: int, work: Path, rounds: int, cache_from: Path | None, phase: str) -> dict[str, Any]:
    """`phase`: "graph" (the graph-only build and every command that reads only the graph),
    "commands" (those commands again, on the graph-only build already made), "index" (the build
    with the index, `search` and `serve`) or "all"."""
    data, graph, full = work / "data", work / "graph-only", work / "full"
    if not (data / "contracts").is_dir():
        make_corpus(n, data, seed=seed, data_dir=ROOT / "data")
    results: dict[str, Any] = {}
    d = ["--data-dir", str(data)]
    if phase in ("graph", "all"):
        shutil.rmtree(graph, ignore_errors=True)
        print("build --no-index …", file=sys.stderr, flush=True)
        results["build --no-index (graph only)"] = measure_once(
            [KG, "build", "--no-index", *d, "--build-dir", str(graph)]
        )
    if phase in ("graph", "commands", "all"):
        results.update(graph_commands(data, graph, rounds))
    if phase in ("index", "all"):
        cache = full / "cache"
        if cache_from is not None and (cache_from / "cache").is_dir() and not cache.is_dir():
            shutil.copytree(cache_from / "cache", cache)
        print("build (index) …", file=sys.stderr, flush=True)
        results["build (graph + index, embedding cache warm)"] = measure_once(
            [KG, "build", *d, "--build-dir", str(full)]
        )
        label = f'search "{QUESTION}"'
        print(f"{label} …", file=sys.stderr, flush=True)
        results[label] = measure([KG, "search", QUESTION, "-f", "json", "--build-dir", str(full)], rounds)
        print("serve …", file=sys.stderr, flush=True)
        results.update(measure_serve(full, data, rounds))
    manifest = json.loads(((full if phase == "index" else graph) / "build.json").read_text(encoding="utf-8"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "commit": commit.stdout.strip(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "corpus": f"make_corpus.py {n} --seed {seed}: {manifest['documents']} documents, {manifest['triples']} triples",
        "results": results,
    }


def graph_commands(data: Path, graph: Path, rounds: int) -> dict[str, Any]:
    """Every command that reads the graph only, on a graph-only build."""
    d = ["--data-dir", str(data)]
    town, year = editions_of(graph)
    g = ["--build-dir", str(graph)]
    out = Path(tempfile.mkdtemp(prefix="kg-commands-"))
    results: dict[str, Any] = {}
    commands: list[tuple[str, list[str], tuple[int, ...], int]] = [
        ("query municipalities", ["query", "municipalities", "-f", "json", *g], (0,), rounds),
        ("query twins", ["query", "twins", "-f", "json", *g], (0,), rounds),
        ("query evidence", ["query", "evidence", "-f", "json", *g], (0,), rounds),
        ("query municipalities --edition all", ["query", "municipalities", "-f", "json", "--edition", "all", *g],
         (0,), rounds),
        (f"query municipalities --edition {year}",
         ["query", "municipalities", "-f", "json", "--edition", year, *g], (0,), rounds),
        ("query municipalities --engine rdflib", ["query", "municipalities", "-f", "json", "--engine", "rdflib", *g],
         (0,), 1),
        ("compare --all", ["compare", "--all", "-f", "json", *d, *g], (0,), rounds),
        (f"compare {town} (one municipality)", ["compare", town, "-f", "json", *d, *g], (0,), rounds),
        (f"history {town}", ["history", town, "-f", "json", *d, *g], (0,), rounds),
        (f"diff {town}", ["diff", town, "-f", "json", *d, *g], (0, 1), rounds),
        ("themes (top concepts)", ["themes", "-f", "json", *g], (0,), rounds),
        ("themes --level 2", ["themes", "--level", "2", "-f", "json", *g], (0,), rounds),
        ("themes --edition all", ["themes", "--edition", "all", "-f", "json", *g], (0,), rounds),
        ("themes -f svg (heatmap)", ["themes", "-f", "svg", "-o", str(out / "m.svg"), *g], (0,), rounds),
        ("query concept-matrix", ["query", "concept-matrix", "-f", "json", *g], (0,), rounds),
        ("sparql (a user query: triples per class)", ["sparql", USER_QUERY, "-f", "json", *g], (0,), rounds),
        ("export gephi", ["export", "gephi", "-o", str(out / "n.gexf"), *g], (0,), rounds),
        ("export graphml", ["export", "graphml", "-o", str(out / "n.graphml"), *g], (0,), rounds),
        ("export csv", ["export", "csv", "-o", str(out / "csv"), *g], (0,), rounds),
        ("export rdf -f nt", ["export", "rdf", "-f", "nt", "-o", str(out / "g.nt"), *g], (0,), rounds),
        ("export rdf (Turtle)", ["export", "rdf", "-o", str(out / "g.ttl"), *g], (0,), 1),
        ("validate (SHACL)", ["validate", "-f", "json", *g], (0, 1), 0),
    ]  # fmt: skip
    for label, args, ok, times in commands:
        print(f"{label} …", file=sys.stderr, flush=True)
        results[label] = measure([KG, *args], times, ok) if times else measure_once([KG, *args], ok)
    shutil.rmtree(out, ignore_errors=True)
    return results


def table(runs: list[dict[str, Any]]) -> str:
    """Markdown: one row per command, per run "wall s (CPU s) · load", and the first run after the build."""
    labels = list(dict.fromkeys(label for r in runs for label in r["results"]))
    header = "| command | " + " | ".join(f"{r.get('label', r['commit'])}: wall (CPU) · load" for r in runs)
    lines = [header + " | first run after the build |", "|---|" + "---|" * (len(runs) + 1)]
    for label in labels:
        cells = []
        for r in runs:
            m = r["results"].get(label)
            cells.append("–" if m is None else f"{m['wall_s']:.2f} s ({m['cpu_s']:.2f}) · {m['load']:.1f}")
        last = runs[-1]["results"].get(label)
        first = (
            "–"
            if last is None or (last["rounds"] == 1 and last["first_s"] == last["wall_s"])
            else f"{last['first_s']:.2f} s"
        )
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {first} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache-from", type=Path, help="A build whose embedding cache the index build starts from.")
    parser.add_argument("--save", type=Path, help="Write the results as JSON here.")
    parser.add_argument("--label", help="Name of this run in the table (default: the commit).")
    parser.add_argument("--table", type=Path, nargs="+", help="Print saved runs side by side; measure nothing.")
    parser.add_argument(
        "--phase", choices=["graph", "commands", "index", "all"], default="all",
        help="graph: the graph-only build and commands; commands: the commands again on that build; "
        "index: the build with the index, search and serve (with --save, added to what FILE holds).",
    )  # fmt: skip
    args = parser.parse_args()
    if args.table:
        runs = [json.loads(p.read_text(encoding="utf-8")) for p in args.table]
    else:
        work = args.work / f"n{args.n}" / "commands"
        cache_from = args.cache_from or args.work / f"n{args.n}" / "build"
        result = bench(args.n, args.seed, work, args.rounds, cache_from, args.phase)
        if args.label:
            result["label"] = args.label
        if args.save and args.save.is_file() and args.phase != "all":
            earlier = json.loads(args.save.read_text(encoding="utf-8"))
            result["results"] = {**earlier["results"], **result["results"]}
            result["date"] = f"{earlier['date']} – {result['date']}"
        if args.save:
            args.save.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
        runs = [result]
    for r in runs:
        print(f"- {r.get('label', r['commit'])}: {r['machine']}; commit {r['commit']}; {r['date']}; {r['corpus']}")
    print()
    print(table(runs))


if __name__ == "__main__":
    main()
