"""bench/extract_eval.py scores extraction against an answer key: right, wrong and missed facts per kind."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "structures"
STEM = "lulea-klimatkontrakt-2023"


def load_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_eval", ROOT / "bench" / "extract_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["extract_eval"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def heldout(tmp_path: Path) -> Path:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "facts").mkdir()
    shutil.copy(FIXTURES / f"{STEM}.txt", tmp_path / "contracts")
    shutil.copy(FIXTURES / "facts" / f"{STEM}.json", tmp_path / "facts")
    return tmp_path


def test_a_key_that_lists_what_is_extracted_scores_one(heldout: Path) -> None:
    totals, misses, _ = load_eval().run(heldout, with_seeds=False)
    assert all(s.fp == 0 and s.fn == 0 for s in totals.values()), misses
    assert totals["targets"].tp == 9 and totals["organisations"].tp == 3


def test_a_wrong_and_a_missed_fact_lower_precision_and_recall(heldout: Path) -> None:
    path = heldout / "facts" / f"{STEM}.json"
    key = json.loads(path.read_text(encoding="utf-8"))
    key["organisations"] = key["organisations"][1:]  # what the pipeline still finds is now wrong
    key["targets"].append({"kind": "neutrality", "scope": "organisation", "modality": "target", "target_year": 2028})
    path.write_text(json.dumps(key, ensure_ascii=False), encoding="utf-8")
    totals, misses, _ = load_eval().run(heldout, with_seeds=False)
    assert (totals["organisations"].tp, totals["organisations"].fp) == (2, 1)
    assert totals["organisations"].precision == pytest.approx(2 / 3)
    assert (totals["targets"].tp, totals["targets"].fn) == (9, 1)
    assert misses[STEM]["targets"]["missed"][0]["year"] == 2028
