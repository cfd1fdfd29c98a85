"""How far label-free question features tell the bank's no-answer who-questions from the others.

    python bench/separability.py bench/questions/bank.json [--index build/index]

For every who-question of the bank, features the search could compute without knowing the answer:
the best raw e5 cosine of the question (or of its topic, `topic_of`: without the "vem/vilka
kommuner" words) over all passages, sentence passages only or paragraphs and list items only;
best minus tenth-best cosine; the best cosine's z-score over the corpus; and the share of the
question's words that the BM25 vocabulary holds (stem or compound part). For each: the AUC of
"answerable above no-answer", and the share of answerable questions that a gate would shut if it
answered 90 % of the no-answer questions with nobody (threshold at that quantile of the
no-answer questions; in-sample, so if anything optimistic). No parameter of the search is
changed or chosen here. JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from klimatgraf.retrieval import Searcher, expand_english, topic_of


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a random answerable question scores above a random no-answer one), ties counting half."""
    above = (positive[:, None] > negative[None, :]).mean()
    tied = (positive[:, None] == negative[None, :]).mean()
    return float(above + 0.5 * tied)


def features(searcher: Searcher, vectors: np.ndarray, question: str) -> dict[str, float]:
    index = searcher.index
    sentence = index.sentence if index.sentence is not None else np.zeros(len(vectors), dtype=bool)
    out: dict[str, float] = {}
    for name, text in (("question", question), ("topic", topic_of(question))):
        cosines = vectors @ searcher.embedder.embed_query(text)
        ranked = np.sort(cosines)[::-1]
        out[f"{name} best cosine"] = float(ranked[0])
        if sentence.any():
            out[f"{name} best cosine, sentence passages"] = float(cosines[sentence].max())
        out[f"{name} best cosine, paragraphs and items"] = float(cosines[~sentence].max())
        out[f"{name} best − 10th cosine"] = float(ranked[0] - ranked[min(9, len(ranked) - 1)])
        out[f"{name} best cosine's z-score"] = float((ranked[0] - cosines.mean()) / cosines.std())
    analyzer, vocab = searcher.analyzer, searcher.index.bm25.vocab_dict
    words = [w for w in analyzer.words(expand_english(question)) if analyzer.tokens(w, query=True)]
    held = [any(t in vocab for t in analyzer.tokens(w, query=True)) for w in words]
    out["share of words in the BM25 vocabulary"] = float(np.mean(held)) if held else 0.0
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--index", type=Path, default=Path("build/index"))
    args = parser.parse_args(argv)
    bank = json.loads(args.questions.read_text(encoding="utf-8"))
    searcher = Searcher(args.index)
    vectors = searcher.index.vectors.reconstruct_n(0, searcher.index.vectors.ntotal)
    rows = [(bool(item["expect"]), features(searcher, vectors, item["q"])) for item in bank["who"]]
    answerable = np.array([a for a, _ in rows])
    report: dict[str, Any] = {
        "who_questions": int(answerable.sum()),
        "no_answer_questions": int((~answerable).sum()),
        "features": {},
    }
    for name in rows[0][1]:
        values = np.array([f[name] for _, f in rows])
        threshold = float(np.quantile(values[~answerable], 0.9))
        report["features"][name] = {
            "auc": round(auc(values[answerable], values[~answerable]), 3),
            "answerable_shut_at_90pct_nobody": round(float(np.mean(values[answerable] <= threshold)), 3),
        }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
