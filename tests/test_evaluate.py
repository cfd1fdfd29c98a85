"""`evaluate`: metrics per retriever on the dev questions, exact numbers on a made-up file, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import search_fixtures
from klimatgraf.errors import InputError
from klimatgraf.evaluate import evaluate, load_questions
from klimatgraf.search import Searcher

pytestmark = pytest.mark.slow
e5_index = search_fixtures.e5_index  # session fixtures shared with the other search tests
searcher = search_fixtures.searcher
DEV = Path(__file__).resolve().parent / "dev_queries.json"


def test_dev_questions_meet_the_quality_bar_with_hybrid(searcher: Searcher) -> None:
    report = evaluate(searcher, DEV)
    assert set(report.metrics) == {"bm25", "dense", "hybrid"}
    assert report.counts == {"who": 6, "passage": 4}
    hybrid = report.metrics["hybrid"]
    assert hybrid["who"]["hit@1"] == 1.0 and hybrid["who"]["mrr"] == 1.0
    assert hybrid["passage"]["hit@5"] == 1.0
    assert report.failures() == []
    rows = report.rows()
    assert [(r["set"], r["metric"]) for r in rows] == [
        ("who (6)", "hit@1"),
        ("who (6)", "recall@3"),
        ("who (6)", "mrr"),
        ("passage (4)", "hit@1"),
        ("passage (4)", "hit@5"),
        ("passage (4)", "mrr@10"),
    ]
    assert all({"bm25", "dense", "hybrid"} <= set(r) for r in rows)
    json.dumps(report.to_dict(), ensure_ascii=False)


def test_exact_numbers_and_failures_on_a_small_question_set(searcher: Searcher) -> None:
    questions = {
        "who": [
            {"q": "vem arbetar med matsvinn", "expect": ["Alvesta", "Avesta"]},
            {"q": "vem arbetar med matsvinn", "expect": ["Ingenstans"]},
        ],
        "passage": [
            {"q": "hur stor andel av fjärrvärmen är förnybar i Alvesta", "snippets": ["99  %   FÖRNYBAR"]},
            {"q": "hur stor andel av fjärrvärmen är förnybar i Alvesta", "snippets": ["text som inte finns"]},
        ],
    }
    report = evaluate(searcher, questions, retrievers=("hybrid",))
    who, passage = report.metrics["hybrid"]["who"], report.metrics["hybrid"]["passage"]
    assert who == {"hit@1": 0.5, "recall@3": 0.5, "mrr": 0.5}
    assert passage == {"hit@1": 0.5, "hit@5": 0.5, "mrr@10": 0.5}
    failures = report.failures()
    assert len(failures) == 2 and "Ingenstans" in failures[0] and "text som inte finns" in failures[1]


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"who": [{"q": 1, "expect": []}]}', '{"passage": [{"q": "x"}]}', "{}"],
)
def test_malformed_question_files_are_input_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "q.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError):
        load_questions(path)


def test_missing_question_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_questions(tmp_path / "none.json")
