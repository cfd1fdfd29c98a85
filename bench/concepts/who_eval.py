"""Who-answers on a question bank: today's similarity answer against the concept path, out-of-fold.

    python bench/concepts/who_eval.py INDEX_DIR [QUESTIONS.json] [--folds 5] [--seed 12] [--json OUT]
    python bench/concepts/who_eval.py INDEX_DIR bench/heldout/relation_questions.json --fixed 0 similarity 1.5

QUESTIONS is a bank in the format of bench/questions/bank.json ("who"), or the held-out relation bank,
whose topic questions ("relation": "none") are read.

For every who-question (an answer set, or `[]` for "no contract says this") the answer is computed
once per path:
- `similarity`: `Searcher.answer(path="similarity")`, the ranking and cut-off before the vocabulary;
- `labels`: the concepts the question names in the vocabulary's words, answered from the tags;
- `nearest`: for a question that names none, its nearest concept by e5 (labels and definition) and
  that concept's answer, with the cosine.
The concept path's three free choices, the cosine a nearest concept needs (`min_similarity`, 0 =
never), what an unread question gets (`unread`: the similarity answer, or nobody) and how far below
the best a municipality may stand when the question asks more than its concept (`specific_gap`), are
chosen on four folds by the answer objective (mean answer-set F1, a no-answer question scoring 1 when answered with
nobody) and scored on the fifth. Reported: the objective, answer-set P/R/F1 on answerable questions,
the share of no-answer questions answered with nobody, and the precision of "nobody" (how often it is
right when said), split by whether the question names a concept of the vocabulary (`labels`) or not.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from klimatgraf.evaluate import answer_set_scores  # noqa: E402
from klimatgraf.retrieval import ConceptConfig, Searcher  # noqa: E402

SIMILARITIES = [0.0, *[round(0.80 + 0.005 * i, 3) for i in range(25)]]  # 0 = never read by similarity
UNREAD = ["similarity", "nobody"]
GAPS = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, float("inf")]  # ConceptConfig.specific_gap


def run(index: Path, path: Path, graph: Any = None) -> list[dict[str, Any]]:
    searcher = Searcher(index, concepts=ConceptConfig(min_similarity=1e-6, unread="nobody", specific_gap=float("inf")))
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data["who"] if "who" in data else [q for q in data["questions"] if q.get("relation") == "none"]
    out = []
    for item in items:
        similar = searcher.answer(item["q"], k=50, path="similarity")
        routed = searcher.answer(item["q"], k=50, graph=graph) if graph is not None else None
        concept = searcher.answer(item["q"], k=50, path="concepts")
        text, _ = searcher._prepared(item["q"], 50, None, None, "latest")
        out.append(
            {
                "q": item["q"],
                "expect": item["expect"],
                "kind": item.get("kind", ""),
                "similarity": [m.municipality for m in similar.answering],
                "how": concept.reading.how,
                "cosine": concept.reading.similarity,
                "concepts": list(concept.reading.labels),
                "concept": [m.municipality for m in concept.answering],
                "strengths": [m.strength for m in concept.answering],
                "asks_more": searcher._asks_more(text, concept.reading),
                "graph": [m.municipality for m in routed.answering]
                if routed and routed.path.startswith("graph")
                else None,
            }
        )
    return out


def answer_of(
    row: dict[str, Any], min_similarity: float, unread: str, gap: float = float("inf")
) -> tuple[list[str], str]:
    if row.get("graph") is not None:
        return row["graph"], "graph"  # --graph: the question was read for a relation and answered from the graph
    if row["how"] == "labels" or (
        row["how"] == "similarity" and min_similarity > 0 and row["cosine"] >= min_similarity
    ):
        towns = row["concept"]
        if row["asks_more"] and towns:
            best = row["strengths"][0]
            towns = [t for t, s in zip(towns, row["strengths"], strict=True) if s >= best - gap]
        return towns, "concepts"
    return (row["similarity"], "similarity") if unread == "similarity" else ([], "nobody")


def score(answer: list[str], expect: list[str]) -> float:
    if not expect:
        return float(not answer)
    return answer_set_scores(answer, expect)["f1"]


def objective(rows: list[dict[str, Any]], min_similarity: float, unread: str, gap: float) -> float:
    return sum(score(answer_of(r, min_similarity, unread, gap)[0], r["expect"]) for r in rows) / max(1, len(rows))


def summary(rows: list[dict[str, Any]], answers: list[list[str]]) -> dict[str, Any]:
    answerable = [(r, a) for r, a in zip(rows, answers, strict=True) if r["expect"]]
    none = [(r, a) for r, a in zip(rows, answers, strict=True) if not r["expect"]]
    said_nobody = [(r, a) for r, a in zip(rows, answers, strict=True) if not a]

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 3) if values else None

    sets = [answer_set_scores(a, r["expect"]) for r, a in answerable]
    return {
        "questions": len(rows),
        "objective": mean([score(a, r["expect"]) for r, a in zip(rows, answers, strict=True)]),
        "precision": mean([s["precision"] for s in sets]),
        "recall": mean([s["recall"] for s in sets]),
        "f1": mean([s["f1"] for s in sets]),
        "no_answer": len(none),
        "nobody_share": mean([float(not a) for _, a in none]),
        "nobody_said": len(said_nobody),
        "nobody_right": mean([float(not r["expect"]) for r, _ in said_nobody]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("questions", type=Path, nargs="?", default=ROOT / "bench" / "questions" / "bank.json")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--graph", type=Path, default=None, help="a build directory: relation questions go to its graph first"
    )
    parser.add_argument("--fixed", nargs=3, metavar=("MIN_SIMILARITY", "UNREAD", "GAP"), default=None,
                        help="score one setting on the whole file instead (a sealed set: nothing is chosen)")  # fmt: skip
    args = parser.parse_args()
    graph = None
    if args.graph is not None:
        from klimatgraf.corpus import load_gazetteer
        from klimatgraf.retrieval.graphpath import GraphReader
        from klimatgraf.sparql import open_engine

        graph = GraphReader(open_engine(args.graph), load_gazetteer(ROOT / "data"))
    rows = run(args.index, args.questions, graph)
    print(f"questions answered from the graph: {sum(r.get('graph') is not None for r in rows)} of {len(rows)}")
    order = list(range(len(rows)))
    random.Random(args.seed).shuffle(order)
    fold_of = {q: i % args.folds for i, q in enumerate(order)}
    concept_answers: list[list[str]] = [[] for _ in rows]
    chosen = []
    if args.fixed:
        setting = (float(args.fixed[0]), args.fixed[1], float(args.fixed[2]))
        concept_answers = [answer_of(r, *setting)[0] for r in rows]
        chosen.append(setting)
    else:
        for fold in range(args.folds):
            train = [r for i, r in enumerate(rows) if fold_of[i] != fold]
            best = max(
                ((s, u, g) for s in SIMILARITIES for u in UNREAD for g in GAPS), key=lambda sug: objective(train, *sug)
            )
            chosen.append(best)
            for i, r in enumerate(rows):
                if fold_of[i] == fold:
                    concept_answers[i] = answer_of(r, *best)[0]
    groups = {
        "all": list(range(len(rows))),
        "names a concept": [i for i, r in enumerate(rows) if r["how"] == "labels"],
        "names none": [i for i, r in enumerate(rows) if r["how"] != "labels"],
    }
    report: dict[str, Any] = {"chosen": chosen, "groups": {}}
    print(f"settings chosen per fold (min_similarity, unread, specific_gap): {chosen}")
    print("| questions | path | n | objective | P | R | F1 | no-answer → nobody | nobody said | nobody right |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, ids in groups.items():
        part = [rows[i] for i in ids]
        for label, answers in (("similarity (today)", [rows[i]["similarity"] for i in ids]),
                               ("concepts (out-of-fold)", [concept_answers[i] for i in ids])):  # fmt: skip
            s = summary(part, answers)
            report["groups"].setdefault(name, {})[label] = s
            print(
                f"| {name} | {label} | {s['questions']} | {s['objective']} | {s['precision']} | {s['recall']} | "
                f"{s['f1']} | {s['nobody_share']} ({s['no_answer']}) | {s['nobody_said']} | {s['nobody_right']} |"
            )
    unread = [r["q"] for r in rows if r["how"] != "labels"]
    report["names_none"] = unread
    if args.json:
        args.json.write_text(json.dumps({"report": report, "rows": rows}, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
