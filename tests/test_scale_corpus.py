"""bench/make_corpus.py: generated contracts go through the real pipeline as their new municipalities.

The scale corpus is only for benchmarks, but a benchmark on documents the pipeline misreads
would measure nothing: each generated text must be detected as the municipality it was made
for, its twins must point to pioneers in the same set, and the graph must conform to SHACL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from klimatgraf.ingest import doc_id_for
from klimatgraf.reference import fold

pytestmark = pytest.mark.slow


def _make(n: int, out: Path, seed: int) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_corpus.py"), str(n), str(out), "--seed", str(seed)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "contracts").iterdir())}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scale") / "data"
    _make(8, out, seed=7)
    return out


@pytest.fixture(scope="module")
def generated_build(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_dir = tmp_path_factory.mktemp("scale-build")
    result = run_cli("build", "--no-index", "--data-dir", str(generated), "--build-dir", str(build_dir))
    assert result.returncode == 0, result.stderr
    return build_dir


def test_same_seed_gives_byte_identical_corpus(generated: Path, tmp_path: Path) -> None:
    _make(8, tmp_path / "again", seed=7)
    assert _files(tmp_path / "again") == _files(generated)


def test_another_seed_gives_another_corpus(generated: Path, tmp_path: Path) -> None:
    _make(8, tmp_path / "other", seed=8)
    assert _files(tmp_path / "other") != _files(generated)


def test_build_detects_exactly_the_generated_municipalities(generated: Path, generated_build: Path) -> None:
    files = sorted(p.name for p in (generated / "contracts").iterdir())
    assert len(files) == 8
    detail = json.loads((generated_build / "build.json").read_text(encoding="utf-8"))["documents_detail"]
    detected = {d["file"]: d["municipality"] for d in detail}
    assert sorted(detected) == files
    assert len(set(detected.values())) == 8, "eight distinct municipalities"
    for file_name, municipality in detected.items():
        # the generator names each file after the municipality it wrote the text for
        assert file_name.startswith(doc_id_for(Path(fold(municipality))) + "-"), (file_name, municipality)
        assert file_name.split("-")[-1].removesuffix(".txt") in ("klimatkontrakt", "avsiktsforklaring")
    kinds = {d["file"]: d["type"] for d in detail}
    for file_name, kind in kinds.items():
        assert kind in file_name.replace("fordjupad-", "")


def test_twins_point_to_pioneers_in_the_set(generated_build: Path) -> None:
    result = run_cli("query", "twins", "--build-dir", str(generated_build), "--format", "json")
    assert result.returncode == 0, result.stderr
    twins = [(b["twin"]["value"], b["pioneer"]["value"]) for b in json.loads(result.stdout)["results"]["bindings"]]
    municipalities = run_cli("query", "municipalities", "--build-dir", str(generated_build), "--format", "json")
    names = {b["municipality"]["value"] for b in json.loads(municipalities.stdout)["results"]["bindings"]}
    assert twins, "a generated set of 8 has twin documents"
    for twin, pioneer in twins:
        assert twin in names and pioneer in names and twin != pioneer


def test_generated_graph_conforms_to_shacl(generated_build: Path) -> None:
    result = run_cli("validate", "--build-dir", str(generated_build))
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_trace_of_the_seeds_own_names(generated: Path, generated_build: Path, seed_build: Path) -> None:
    """Names are substituted from the data: a seed's own name never leaks into a generated document."""
    seed_detail = json.loads((seed_build / "build.json").read_text(encoding="utf-8"))["documents_detail"]
    detail = json.loads((generated_build / "build.json").read_text(encoding="utf-8"))["documents_detail"]
    in_set = {d["municipality"] for d in detail}
    leaked = {d["municipality"] for d in seed_detail} - in_set  # a seed town may itself be drawn as a new one
    for path in (generated / "contracts").iterdir():
        text = path.read_text(encoding="utf-8")
        assert not [name for name in leaked if name in text], path.name
