"""Bad input through the real CLI: every file of tests/bad_inputs/ is given to `klimatgraf ingest`.

Each gives its expected exit code and exactly one stderr line (expected.json), copies nothing
when refused, and leaves the existing build byte-identical.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import DATA, ROOT, run_cli
from reliability_fixtures import e5_index, indexed_build, snapshot  # noqa: F401  (fixtures)

CASES = ROOT / "tests" / "bad_inputs"
FILE_NAMES = "SELECT ?file WHERE { ?doc <https://w3id.org/klimatgraf/ontology#fileName> ?file }"
EXPECTED: dict[str, dict[str, object]] = {
    k: v for k, v in json.loads((CASES / "expected.json").read_text(encoding="utf-8")).items() if not k.startswith("_")
}


def _workspace(tmp_path: Path, seed_build: Path) -> tuple[Path, Path]:
    data, build = tmp_path / "data", tmp_path / "build"
    shutil.copytree(DATA, data)
    shutil.copytree(seed_build, build)
    return data, build


def _stderr_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_every_committed_case_has_an_expectation() -> None:
    files = {p.name for p in CASES.iterdir() if p.name not in ("expected.json", "make_inputs.py", "__pycache__")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ingest_bad_input(name: str, tmp_path: Path, seed_build: Path) -> None:
    data, build = _workspace(tmp_path, seed_build)
    before, contracts = snapshot(build), sorted(p.name for p in (data / "contracts").iterdir())
    expected = EXPECTED[name]
    result = run_cli("ingest", str(CASES / name), "--data-dir", str(data), "--build-dir", str(build), "--no-build")
    assert result.returncode == expected["exit"], result.stderr
    assert re.search(str(expected["stderr"]), _stderr_line(result.stderr)), result.stderr
    assert result.stdout == ""
    assert snapshot(build) == before
    after = sorted(p.name for p in (data / "contracts").iterdir())
    if expected["exit"] == 0:
        assert after == sorted([*contracts, name])
        assert (data / "contracts" / name).read_bytes() == (CASES / name).read_bytes()
    else:
        assert after == contracts


def test_a_bad_file_among_good_ones_stops_the_whole_ingest(tmp_path: Path, seed_build: Path) -> None:
    data, build = _workspace(tmp_path, seed_build)
    result = run_cli(
        "ingest",
        str(CASES / "utf16.txt"),
        str(CASES / "english.txt"),
        "--data-dir",
        str(data),
        "--build-dir",
        str(build),
    )
    assert result.returncode == 2
    assert "english.txt" in _stderr_line(result.stderr)
    assert not (data / "contracts" / "utf16.txt").exists()


def test_a_50_mb_text_file_is_refused_without_reading_it(tmp_path: Path, seed_build: Path) -> None:
    data, build = _workspace(tmp_path, seed_build)
    before = snapshot(build)
    big = tmp_path / "stort kontrakt.txt"
    paragraph = (
        "Lunds kommun väljer att ingå i Klimatkontrakt 2030 och arbetar med energi och transporter. " * 10
    ).encode()
    with big.open("wb") as handle:
        for _ in range(50 * 1024 * 1024 // len(paragraph) + 1):
            handle.write(paragraph + b"\n")
    result = run_cli("ingest", str(big), "--data-dir", str(data), "--build-dir", str(build))
    assert result.returncode == 2
    line = _stderr_line(result.stderr)
    assert re.search(r"stort kontrakt\.txt: 50 MB is too large for a contract \(limit 20 MB\)", line), line
    assert snapshot(build) == before
    assert not (data / "contracts" / big.name).exists()


def test_the_same_file_dropped_into_contracts_fails_the_build_and_keeps_the_old_one(
    tmp_path: Path, seed_build: Path
) -> None:
    """A cron build over a data directory that gained an English file: exit 2, the build untouched."""
    data, build = _workspace(tmp_path, seed_build)
    before = snapshot(build)
    shutil.copyfile(CASES / "german.txt", data / "contracts" / "german.txt")
    result = run_cli("build", "--data-dir", str(data), "--build-dir", str(build), "--no-index")
    assert result.returncode == 2
    assert "german.txt: the text is in German" in _stderr_line(result.stderr)
    assert snapshot(build) == before


def test_a_newer_edition_replaces_the_older_one(tmp_path: Path, seed_build: Path) -> None:
    """Same municipality, type and version: the build keeps the newer (here: later signing date)."""
    data, build = _workspace(tmp_path, seed_build)
    new = "alvesta-klimatkontrakt-ny-utgava.txt"
    assert run_cli("ingest", str(CASES / new), "--data-dir", str(data), "--no-build").returncode == 0
    result = run_cli("build", "--data-dir", str(data), "--build-dir", str(build), "--no-index")
    assert result.returncode == 0, result.stderr
    assert "left out as superseded: alvesta-klimatkontrakt.txt (replaced by alvesta-klimatkontrakt-ny-utgava.txt)" in (
        result.stderr
    )
    manifest = json.loads((build / "build.json").read_text(encoding="utf-8"))
    files = {d["file"] for d in manifest["documents_detail"]}
    assert new in files and "alvesta-klimatkontrakt.txt" not in files and len(files) == 5
    assert manifest["superseded"] == ["alvesta-klimatkontrakt.txt (replaced by alvesta-klimatkontrakt-ny-utgava.txt)"]
    docs = run_cli("sparql", FILE_NAMES, "--build-dir", str(build), "--format", "csv")
    assert new in docs.stdout and "alvesta-klimatkontrakt.txt" not in docs.stdout
    # both files stay in data/contracts: nothing is deleted, and removing the new one brings the old back
    assert (data / "contracts" / "alvesta-klimatkontrakt.txt").exists()


def test_without_signing_dates_the_file_ingested_last_wins(tmp_path: Path, gazetteer: object) -> None:
    import os

    from klimatgraf.corpus import load_corpus

    data = tmp_path / "data"
    shutil.copytree(DATA / "reference", data / "reference")
    (data / "contracts").mkdir()
    text = (CASES / "Härnösand klimatkontrakt 2025 – utkast.txt").read_text(encoding="utf-8")
    older, newer = data / "contracts" / "b-first.txt", data / "contracts" / "a-second.txt"
    older.write_text(text, encoding="utf-8")
    newer.write_text(text + "\nHärnösands kommun har lagt till en plan för laddinfrastruktur.\n", encoding="utf-8")
    os.utime(older, (1_700_000_000, 1_700_000_000))
    os.utime(newer, (1_700_000_100, 1_700_000_100))
    corpus = load_corpus(data)
    assert [d.file_name for d in corpus.documents] == ["a-second.txt"]
    assert [(old.file_name, new.file_name) for old, new in corpus.superseded] == [("b-first.txt", "a-second.txt")]
    os.utime(older, (1_700_000_200, 1_700_000_200))
    assert [d.file_name for d in load_corpus(data).documents] == ["b-first.txt"]


def test_a_non_ascii_file_name_goes_all_the_way_into_graph_and_index(
    tmp_path: Path,
    indexed_build: Path,  # noqa: F811
) -> None:
    data, build = tmp_path / "data", tmp_path / "build"
    shutil.copytree(DATA, data)
    shutil.copytree(indexed_build, build)
    name = "Härnösand klimatkontrakt 2025 – utkast.txt"
    result = run_cli("ingest", str(CASES / name), "--data-dir", str(data), "--build-dir", str(build))
    assert result.returncode == 0, result.stderr
    assert "6 documents" in result.stderr
    hits = run_cli("search", "Härnösand transporter", "-m", "Härnösand", "--build-dir", str(build), "--format", "json")
    assert hits.returncode == 0, hits.stderr
    assert {h["document"] for h in json.loads(hits.stdout)} == {"harnosand-klimatkontrakt-2025-utkast"}
    docs = run_cli("sparql", FILE_NAMES, "--build-dir", str(build), "--format", "csv")
    assert name in docs.stdout
