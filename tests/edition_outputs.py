"""Every output that depends on the edition selector or the engine, on one build (issue 27).

`outputs(data, build)` runs the CLI's own command functions in this process (what `klimatgraf
query|compare|history|diff|export|sparql` run after parsing their arguments) for every named
query × edition selector × engine, `compare` likewise, `history`/`diff` on both engines and every
export, and records each one's exit code, stdout (as sha256 and length) and stderr.

tests/golden/edition_outputs.json holds that record as the code before issue 27 printed it (the
full rdflib load and copy on every default path); tests/test_edition_store.py checks that today's
code prints the same bytes. Run this file to write the record again, after a change that is
*meant* to change the outputs (the extraction, the seeds or the fixtures):

    .venv/bin/python tests/edition_outputs.py            # builds seeds + fixtures, writes the golden
    .venv/bin/python tests/edition_outputs.py --raw DIR  # also every output in full, to read a diff
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "editions"
GOLDEN = Path(__file__).parent / "golden" / "edition_outputs.json"

SELECTORS: tuple[str | None, ...] = (None, "latest", "all", "2022", "2023", "2024", "2025", "2026", "2030")
ENGINES = ("oxigraph", "rdflib")
EDITION_TOWNS = ("Järfälla", "Skellefteå")  # the municipalities with two editions in the build
USER_QUERY = (
    "PREFIX kg: <https://w3id.org/klimatgraf/ontology#> "
    "SELECT ?doc ?latest WHERE { ?doc kg:latestEdition ?latest } ORDER BY ?doc"
)


def make_data(root: Path, data_dir: Path = ROOT / "data") -> Path:
    """The seeds plus the fixture editions (Järfälla 2022 and 2024, Skellefteå 2023) as a data directory."""
    data = root / "data"
    shutil.copytree(data_dir / "reference", data / "reference")
    shutil.copytree(data_dir / "contracts", data / "contracts")
    for path in sorted(FIXTURES.glob("*.txt")):
        shutil.copy(path, data / "contracts" / path.name)
    return data


def build(data: Path, build_dir: Path) -> None:
    exe = Path(sys.executable).parent / "klimatgraf"
    args = [str(exe), "build", "--no-index", "--data-dir", str(data), "--build-dir", str(build_dir)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(done.stderr)


def _call(function: Callable[[], Any], files: Callable[[], bytes] | None = None) -> dict[str, Any]:
    """Exit code, stdout and stderr of one command function, as `klimatgraf.cli.main` would leave them."""
    from klimatgraf.cli.common import READ_ONLY
    from klimatgraf.errors import KlimatgrafError

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            function()
        except typer.Exit as done:
            code = done.exit_code
        except KlimatgrafError as exc:
            err.write(f"klimatgraf: error: {exc}\n")
            code = exc.exit_code
        finally:
            READ_ONLY.clear()  # the mark a command sets for `main`'s fast exit: no `main` runs here
    stdout = out.getvalue().encode("utf-8") + (files() if files is not None and code == 0 else b"")
    return {"code": code, "stdout": stdout, "stderr": err.getvalue()}


@contextlib.contextmanager
def one_parse() -> Any:
    """The rdflib paths read the same file, parse the same query texts and copy the same editions
    hundreds of times in the matrix: `sparql.load_graph`, `sparql_guard.check` and
    `editions.restrict` are memoised meanwhile. Each is a pure function of its arguments (no reader
    changes a graph or a prepared query), so every output is the one an uncached run prints."""
    import functools

    from klimatgraf import editions, sparql, sparql_guard

    copies: dict[tuple[int, tuple[str, ...]], Any] = {}
    restrict = editions.restrict

    def restrict_once(graph: Any, keep: Any) -> Any:
        key = (id(graph), tuple(keep))
        if key not in copies:
            copies[key] = restrict(graph, keep)
        return copies[key]

    patches = {
        (sparql, "load_graph"): functools.cache(sparql.load_graph),
        (sparql_guard, "check"): functools.cache(sparql_guard.check),
        (editions, "restrict"): restrict_once,
    }
    originals = {target: getattr(*target) for target in patches}
    for (module, name), replacement in patches.items():
        setattr(module, name, replacement)
    try:
        yield
    finally:
        for (module, name), original in originals.items():
            setattr(module, name, original)


def outputs(data: Path, build_dir: Path, work: Path) -> dict[str, dict[str, Any]]:
    """key → {"code", "stdout" (bytes), "stderr"} for every command of the matrix (see the module doc)."""
    with one_parse():
        return _outputs(data, build_dir, work)


def _outputs(data: Path, build_dir: Path, work: Path) -> dict[str, dict[str, Any]]:
    from functools import partial

    from klimatgraf.cli.editions_cmds import compare, diff, history
    from klimatgraf.cli.export_cmds import export_csv, export_gephi, export_graphml, export_rdf
    from klimatgraf.cli.sparql_cmds import query, sparql
    from klimatgraf.output import Format
    from klimatgraf.sparql import list_queries
    from klimatgraf.vocabulary import DiffFormat, Engine, RdfFormat, SparqlFormat

    found: dict[str, dict[str, Any]] = {}
    local = {"build_dir": build_dir, "endpoint": None, "graph": None, "user": None, "password_env": None}
    for engine_name in ENGINES:
        engine = Engine(engine_name)
        named = partial(query, list_=False, engine=engine, allow_service=False, **local)
        for selector in SELECTORS:
            flag = f"--edition {selector}" if selector else "(default edition)"
            for q in list_queries():
                found[f"query {q.name} -f json --engine {engine_name} {flag}"] = _call(
                    partial(named, name=q.name, fmt=SparqlFormat.json, edition=selector)
                )
            found[f"query municipalities -f table --engine {engine_name} {flag}"] = _call(
                partial(named, name="municipalities", fmt=SparqlFormat.table, edition=selector)
            )
            side_by_side = partial(compare, build_dir=build_dir, data_dir=data, engine=engine, edition=selector)
            found[f"compare --all -f json --engine {engine_name} {flag}"] = _call(
                partial(side_by_side, municipalities=None, all_=True, fmt=Format.json)
            )
            found[f"compare {' '.join(EDITION_TOWNS)} -f csv --engine {engine_name} {flag}"] = _call(
                partial(side_by_side, municipalities=list(EDITION_TOWNS), all_=False, fmt=Format.csv)
            )
        for town in EDITION_TOWNS:
            found[f"history {town} -f json --engine {engine_name}"] = _call(
                partial(history, name=town, build_dir=build_dir, data_dir=data, fmt=Format.json, engine=engine)
            )
            for diff_format in (DiffFormat.json, DiffFormat.markdown):
                found[f"diff {town} -f {diff_format.value} --engine {engine_name}"] = _call(
                    partial(diff, name=town, from_=None, to=None, build_dir=build_dir, data_dir=data, fmt=diff_format,
                            engine=engine)
                )  # fmt: skip
        found[f"sparql USER_QUERY -f csv --engine {engine_name}"] = _call(
            partial(sparql, query=USER_QUERY, fmt=SparqlFormat.csv, engine=engine, allow_service=False, **local)
        )
    for rdf_format in RdfFormat:
        found[f"export rdf -f {rdf_format.value}"] = _call(
            partial(export_rdf, build_dir=build_dir, fmt=rdf_format, output=None)
        )
    for name, command, suffix in (("gephi", export_gephi, "gexf"), ("graphml", export_graphml, "graphml")):
        target = work / f"network.{suffix}"
        found[f"export {name}"] = _call(
            partial(command, build_dir=build_dir, output=target, include=None, exclude=None),
            files=target.read_bytes,
        )
    target = work / "network"
    found["export csv"] = _call(
        partial(export_csv, build_dir=build_dir, output=target, include=None, exclude=None),
        files=lambda: (target / "nodes.csv").read_bytes() + b"\n--\n" + (target / "edges.csv").read_bytes(),
    )
    for record in found.values():
        record["stderr"] = record["stderr"].replace(str(work), "WORK")
        record["stdout"] = re.sub(rb'lastmodifieddate="[0-9-]+"', b'lastmodifieddate="DATE"', record["stdout"])
    return found


# Outputs whose order follows Python's hash seed (rdflib's N-Triples, RDF/XML and JSON-LD writers):
# the record keeps the digest of their sorted lines (JSON-LD: of the JSON with every array sorted).
UNORDERED = ("export rdf -f nt", "export rdf -f xml")
UNORDERED_JSON = ("export rdf -f jsonld",)


def digest(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The record kept in the golden file: code, stderr, and the stdout's sha256 and length."""
    return {
        key: {
            "code": r["code"],
            "stdout_sha256": _sha256(
                _sorted_json(r["stdout"]) if key in UNORDERED_JSON else r["stdout"], sort_lines=key in UNORDERED
            ),
            "stdout_bytes": len(r["stdout"]),
            "stderr": r["stderr"],
        }
        for key, r in sorted(found.items())
    }


def _sha256(data: bytes, *, sort_lines: bool = False) -> str:
    return hashlib.sha256(b"\n".join(sorted(data.splitlines())) if sort_lines else data).hexdigest()


def _sorted_json(data: bytes) -> bytes:
    def canonical(value: Any) -> Any:
        if isinstance(value, list):
            return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        if isinstance(value, dict):
            return {k: canonical(v) for k, v in value.items()}
        return value

    return json.dumps(canonical(json.loads(data)), sort_keys=True, ensure_ascii=False).encode("utf-8")


def graph_digest(build_dir: Path) -> str:
    """The digest of the build's graph.nt, lines sorted (the build writes them in hash-seed order):
    the golden record is of this graph."""
    return _sha256((build_dir / "graph.nt").read_bytes(), sort_lines=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", type=Path, help="Also write every output in full into this directory.")
    parser.add_argument("--out", type=Path, default=GOLDEN)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = make_data(root)
        build(data, root / "build")
        (root / "work").mkdir()
        found = outputs(data, root / "build", root / "work")
        record = {"graph_nt_sorted_sha256": graph_digest(root / "build"), "outputs": digest(found)}
    args.out.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.raw:
        args.raw.mkdir(parents=True, exist_ok=True)
        for i, (key, r) in enumerate(sorted(found.items())):
            (args.raw / f"{i:03d}.out").write_bytes(r["stdout"])
            (args.raw / f"{i:03d}.err").write_text(f"{key}\ncode {r['code']}\n{r['stderr']}", encoding="utf-8")
    print(f"wrote {args.out}: {len(found)} outputs", file=sys.stderr)


if __name__ == "__main__":
    main()
