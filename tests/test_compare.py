"""`klimatgraf compare` over the real seed build."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from conftest import run_cli


def test_compare_five_municipalities_matches_the_documents(seed_build: Path) -> None:
    result = run_cli(
        "compare",
        "Avesta",
        "Alvesta",
        "Kristinehamn",
        "Ornskoldsvik",
        "2482",
        "--build-dir",
        str(seed_build),
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    rows = {r["attribute"]: r for r in json.loads(result.stdout)}
    assert rows["Dokumenttyp"]["Avesta"] == "avsiktsforklaring"
    assert rows["Dokumenttyp"]["Örnsköldsvik"] == "klimatkontrakt"
    assert rows["Tvilling till (pionjär)"]["Kristinehamn"] == "Karlstad"
    commitment_8 = next(r for a, r in rows.items() if a.startswith("Åtagande 8"))
    assert commitment_8["Alvesta"] == "ja" and commitment_8["Skellefteå"] == "ja" and commitment_8["Avesta"] == "–"
    assert "2040" in rows["Mål: geografiskt"]["Skellefteå"]


def test_compare_all_in_csv(seed_build: Path) -> None:
    result = run_cli("compare", "--all", "--build-dir", str(seed_build), "--format", "csv")
    assert result.returncode == 0, result.stderr
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header[0] == "attribute" and len(header) == 6


def test_compare_unknown_name_suggests_the_closest(seed_build: Path) -> None:
    result = run_cli("compare", "Alvestaa", "--build-dir", str(seed_build))
    assert result.returncode == 2
    assert "did you mean Alvesta" in result.stderr


def test_compare_municipality_without_contract_is_explained(seed_build: Path) -> None:
    result = run_cli("compare", "Lund", "--build-dir", str(seed_build))
    assert result.returncode == 2
    assert "no contract in the graph" in result.stderr
