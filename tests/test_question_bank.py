"""The question banks (bench/questions/bank.json and the sealed holdout.json) are well formed and true to the documents.

Checked against the project's own reading of data/contracts (ingest → segment → boilerplate):
every passage snippet lies inside one paragraph of a document (a snippet that spans two
paragraphs, a page footer or a hyphenated line break is not found), every who-answer names a
document's municipality and is backed by that municipality's own (non-template) text, and a
question tagged "paraphrase" shares no content word with the paragraphs that answer it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from klimatgraf.corpus import Corpus
from klimatgraf.evaluate import load_questions
from question_bank_words import content_words, shared_words

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "bench" / "questions" / "bank.json"
HOLDOUT = ROOT / "bench" / "questions" / "holdout.json"  # sealed: only reported on, never tuned on
DEV = ROOT / "tests" / "dev_queries.json"
KINDS = {"paraphrase", "lexical", "english", "no-answer"}
# per file: who-questions, of them with an answer, of them with none, passage questions
MIN_COUNTS = {BANK.name: (130, 100, 30, 130), HOLDOUT.name: (90, 60, 30, 80)}


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@pytest.fixture(scope="module", params=[BANK, HOLDOUT], ids=lambda path: path.name)
def bank(request: pytest.FixtureRequest) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(request.param.read_text(encoding="utf-8"))
    data["_file"] = request.param.name
    return data


@pytest.fixture(scope="module")
def paragraphs(corpus: Corpus) -> list[tuple[str, str, bool]]:
    """(municipality, normalised text, boilerplate) of every paragraph of the seed documents."""
    municipality = {d.doc_id: d.municipality.name for d in corpus.documents}
    return [(municipality[p.doc_id], _norm(p.text), p.boilerplate) for p in corpus.paragraphs]


@pytest.fixture(scope="module")
def raw_texts(corpus: Corpus, data_dir: Path) -> dict[str, str]:
    """Municipality → the document's raw text, whitespace-normalised and casefolded."""
    return {
        d.municipality.name: _norm((data_dir / "contracts" / f"{d.doc_id}.txt").read_text(encoding="utf-8"))
        for d in corpus.documents
    }


def _answering(snippet: str, paragraphs: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
    s = _norm(snippet)
    return [p for p in paragraphs if s in p[1]]


def _questions(bank: dict[str, Any]) -> list[dict[str, Any]]:
    return [*bank["who"], *bank["passage"]]


def test_format_and_counts(bank: dict[str, Any]) -> None:
    assert isinstance(bank["about"], str) and bank["about"]
    for item in _questions(bank):
        assert isinstance(item["q"], str) and item["q"].strip(), item
        assert item["kind"] in KINDS, item
        assert item["lang"] in {"sv", "en"}, item
        assert isinstance(item["source"], str) and item["source"], item
    for item in bank["who"]:
        assert isinstance(item["expect"], list) and all(isinstance(e, str) for e in item["expect"]), item
        assert (item["kind"] == "no-answer") == (item["expect"] == []), item
    for item in bank["passage"]:
        assert item["kind"] != "no-answer", item
        assert isinstance(item["snippets"], list) and item["snippets"], item
    min_who, min_answered, min_no_answer, min_passage = MIN_COUNTS[bank["_file"]]
    assert len(bank["who"]) >= min_who
    assert sum(item["kind"] != "no-answer" for item in bank["who"]) >= min_answered
    assert sum(item["kind"] == "no-answer" for item in bank["who"]) >= min_no_answer
    assert len(bank["passage"]) >= min_passage
    english = [item for item in _questions(bank) if item["lang"] == "en"]
    assert len(english) >= 0.08 * len(_questions(bank))
    assert all(item["kind"] in {"english", "no-answer"} for item in english)


@pytest.mark.parametrize("path", [BANK, HOLDOUT], ids=lambda path: path.name)
def test_the_evaluation_reads_the_bank(path: Path) -> None:
    loaded = load_questions(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    # evaluate splits the who-questions expecting nobody into their own "none" set
    assert len(loaded["who"]) + len(loaded["none"]) == len(data["who"]) and len(loaded["passage"]) == len(
        data["passage"]
    )
    assert len(loaded["none"]) == sum(1 for item in data["who"] if not item["expect"])


def test_no_two_questions_are_the_same(bank: dict[str, Any]) -> None:
    counts = Counter(_norm(item["q"]).rstrip("?") for item in _questions(bank))
    assert [q for q, n in counts.items() if n > 1] == []


def test_no_holdout_question_is_a_bank_or_dev_question() -> None:
    """The sealed set asks nothing that the tuning bank or the dev set already asks: not the same question
    (casefolded), nor a near copy of one (over 60 % of their content words in common)."""

    def asked(path: Path) -> list[str]:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [item["q"] for item in [*data["who"], *data["passage"]]]

    holdout, seen = asked(HOLDOUT), [*asked(BANK), *asked(DEV)]
    assert holdout and seen
    assert sorted({_norm(q).rstrip("?") for q in holdout} & {_norm(q).rstrip("?") for q in seen}) == []
    seen_words = [(q, content_words(q)) for q in seen]
    close = [
        (q1, q2)
        for q1 in holdout
        for q2, w2 in seen_words
        if (w1 := content_words(q1)) and w2 and len(w1 & w2) / len(w1 | w2) > 0.6
    ]
    assert close == []


def test_no_two_questions_are_near_duplicates(bank: dict[str, Any]) -> None:
    """No two questions share more than 60 % of their content words (Jaccard), across both lists."""
    words = [(item["q"], content_words(item["q"])) for item in _questions(bank)]
    close = [
        (q1, q2)
        for i, (q1, w1) in enumerate(words)
        for q2, w2 in words[i + 1 :]
        if w1 and w2 and len(w1 & w2) / len(w1 | w2) > 0.6
    ]
    assert close == []


def test_passage_snippets_lie_inside_one_own_paragraph(
    bank: dict[str, Any], paragraphs: list[tuple[str, str, bool]], raw_texts: dict[str, str]
) -> None:
    problems = []
    for item in bank["passage"]:
        for snippet in item["snippets"]:
            words = len(snippet.split())
            hits = _answering(snippet, paragraphs)
            if not 3 <= words <= 8:
                problems.append(f"{snippet!r}: {words} words")
            if not hits:
                problems.append(f"{snippet!r}: in no paragraph ({item['q']})")
            elif any(boilerplate for _, _, boilerplate in hits):
                problems.append(f"{snippet!r}: in shared template text")
            elif not all(_norm(snippet) in raw_texts[m] for m, _, _ in hits):
                problems.append(f"{snippet!r}: not in the document's text as written (line break or footer)")
    assert problems == []


def test_who_answers_are_municipalities_with_their_own_evidence(
    bank: dict[str, Any], paragraphs: list[tuple[str, str, bool]]
) -> None:
    names = {m for m, _, _ in paragraphs}
    problems = []
    for item in bank["who"]:
        expected = set(item["expect"])
        if not expected <= names:
            problems.append(f"{item['q']}: unknown municipality {sorted(expected - names)}")
        backed: set[str] = set()
        for snippet in item.get("evidence", []):
            hits = [h for h in _answering(snippet, paragraphs) if not h[2]]
            if not hits:
                problems.append(f"{item['q']}: evidence {snippet!r} is in no own paragraph")
            backed |= {m for m, _, _ in hits}
        if backed != expected:
            problems.append(f"{item['q']}: expects {sorted(expected)}, evidence from {sorted(backed)}")
    assert problems == []


def test_every_municipality_is_asked_about(bank: dict[str, Any], paragraphs: list[tuple[str, str, bool]]) -> None:
    names = {m for m, _, _ in paragraphs}
    in_who = {m for item in bank["who"] for m in item["expect"]}
    in_passage = {m for item in bank["passage"] for s in item["snippets"] for m, _, _ in _answering(s, paragraphs)}
    assert in_who == names and in_passage == names


def _answer_texts(item: dict[str, Any], paragraphs: list[tuple[str, str, bool]]) -> list[str]:
    snippets = item.get("snippets") or item.get("evidence") or []
    return [text for s in snippets for _, text, _ in _answering(s, paragraphs)]


def test_paraphrases_share_no_word_with_their_answer(
    bank: dict[str, Any], paragraphs: list[tuple[str, str, bool]]
) -> None:
    wrong = []
    no_shared = 0
    for item in _questions(bank):
        shared = shared_words(item["q"], _answer_texts(item, paragraphs))
        no_shared += not shared
        if item["kind"] == "paraphrase" and shared:
            wrong.append(f"{item['q']!r} shares {sorted(shared)}")
        if item["kind"] == "lexical" and not shared:
            wrong.append(f"{item['q']!r} is tagged lexical but shares no word")
    assert wrong == []
    assert no_shared >= 0.7 * len(_questions(bank))


def test_the_word_check_is_strict_about_word_forms() -> None:
    """The rule the 70 % figure rests on: inflections, compounds and stems count as shared."""
    assert shared_words("vem har laddstolpar", ["utbyggnad av laddinfrastruktur"]) == {"laddstolpar"}
    assert shared_words("slutade elda torv", ["energitorv som bränsle"]) == {"torv"}
    assert shared_words("vilka bilar", ["alla bilar och lätta lastbilar"]) == {"bilar"}
    assert shared_words("vem minskar svinnet", ["reducera matsvinn"]) == {"svinnet"}
    assert shared_words("vem slänger mindre lunch", ["reducera matsvinn"]) == set()
    assert shared_words("utsläpp 2030", ["år 20 procent"]) == set()  # 2030 is no form of 20
    assert "vem" not in content_words("vem har solpaneler") and "solpaneler" in content_words("vem har solpaneler")
