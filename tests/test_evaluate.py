"""`evaluate`: metrics per retriever on the dev questions, exact numbers on a made-up file, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import search_fixtures
from klimatgraf.errors import InputError
from klimatgraf.evaluate import evaluate, load_questions
from klimatgraf.retrieval import CutoffConfig, Searcher

pytestmark = pytest.mark.slow
e5_index = search_fixtures.e5_index  # session fixtures shared with the other search tests
searcher = search_fixtures.searcher
DEV = Path(__file__).resolve().parent / "dev_queries.json"


def test_dev_questions_meet_the_quality_bar_with_hybrid(searcher: Searcher) -> None:
    report = evaluate(searcher, DEV)
    assert set(report.metrics) == {"bm25", "dense", "hybrid"}
    assert report.counts == {"who": 6, "none": 0, "passage": 4}
    hybrid = report.metrics["hybrid"]
    assert hybrid["who"]["hit@1"] == 1.0 and hybrid["who"]["mrr"] == 1.0
    assert hybrid["passage"]["hit@5"] == 1.0
    assert report.failures() == []
    rows = report.rows()
    assert [(r["set"], r["metric"]) for r in rows] == [
        ("who (6)", "hit@1"),
        ("who (6)", "recall@3"),
        ("who (6)", "mrr"),
        ("who (6)", "precision"),
        ("who (6)", "recall"),
        ("who (6)", "f1"),
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
            {"q": "vem arbetar med matsvinn?", "expect": []},
        ],
        "passage": [
            {"q": "hur stor andel av fjärrvärmen är förnybar i Alvesta", "snippets": ["99  %   FÖRNYBAR"]},
            {"q": "hur stor andel av fjärrvärmen är förnybar i Alvesta", "snippets": ["text som inte finns"]},
        ],
    }
    saved = searcher.cutoff
    try:
        # the similarity path's cut-off set by hand (the concept path does not use it: below)
        searcher.cutoff = CutoffConfig(min_evidence=-1e9, max_gap=1e9)  # every municipality answers
        report = evaluate(searcher, questions, retrievers=("hybrid",), path="similarity")
        searcher.cutoff = CutoffConfig(min_evidence=1e9)  # nobody answers
        nobody = evaluate(searcher, questions, retrievers=("hybrid",), path="similarity")
        concepts = evaluate(searcher, questions, retrievers=("hybrid",))  # "matsvinn" is a concept: its tags answer
    finally:
        searcher.cutoff = saved
    # the tags name exactly Alvesta and Avesta: P = R = F1 = 1 for the first question, 0 for the second;
    # the no-answer question is answered by them too
    assert concepts.metrics["hybrid"]["who"] == pytest.approx(
        {"hit@1": 0.5, "recall@3": 0.5, "mrr": 0.5, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    )
    assert concepts.metrics["hybrid"]["none"] == {"nobody": 0.0}
    assert report.counts == {"who": 2, "none": 1, "passage": 2}
    who, passage = report.metrics["hybrid"]["who"], report.metrics["hybrid"]["passage"]
    # answer = all five municipalities: P 2/5, R 1, F1 4/7 for the first question, 0 for the second
    assert who == pytest.approx(
        {"hit@1": 0.5, "recall@3": 0.5, "mrr": 0.5, "precision": 0.2, "recall": 0.5, "f1": 2 / 7}
    )
    assert passage == {"hit@1": 0.5, "hit@5": 0.5, "mrr@10": 0.5}
    assert report.metrics["hybrid"]["none"] == {"nobody": 0.0}
    failures = report.failures()
    assert len(failures) == 3 and "Ingenstans" in failures[0] and "expected nobody" in failures[1]
    assert "text som inte finns" in failures[2]
    assert nobody.metrics["hybrid"]["none"] == {"nobody": 1.0}
    assert nobody.metrics["hybrid"]["who"]["f1"] == 0.0 and nobody.metrics["hybrid"]["who"]["hit@1"] == 0.5
    assert ("none (1)", "nobody") in [(r["set"], r["metric"]) for r in report.rows()]


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
