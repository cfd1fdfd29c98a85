"""Relation questions answered from the graph (issue 26), against their exact answer sets.

    python bench/relations_eval.py BUILD_DIR [QUESTIONS.json] [--misses] [--json OUT]

BUILD_DIR is a complete build (graph and index) of the corpus the questions are written over:
bench/heldout/relation_questions.json is over the five seeds and the eight held-out contracts
together (`klimatgraf build --data-dir DIR` with both in DIR/contracts). Each question goes through
`Searcher.answer` with the build's graph, as `klimatgraf search` does. Reported: answer-set
precision, recall and F1 (a question whose answer is nobody scores 1 when answered with nobody),
and the share of questions routed to the wrong path (a relation question not answered from the
graph, a topic question answered from it), per relation and in all. The templates are rules written
from the issue and the ontology, not tuned on these questions; `--misses` prints the failures.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from klimatgraf.corpus import load_gazetteer  # noqa: E402
from klimatgraf.errors import KlimatgrafError  # noqa: E402
from klimatgraf.evaluate import answer_set_scores  # noqa: E402
from klimatgraf.retrieval import Searcher  # noqa: E402
from klimatgraf.retrieval.graphpath import GraphReader  # noqa: E402
from klimatgraf.sparql import open_engine  # noqa: E402


def run(build: Path, questions: Path) -> list[dict[str, Any]]:
    searcher = Searcher(build / "index")
    graph = GraphReader(open_engine(build), load_gazetteer(ROOT / "data"))
    out = []
    for item in json.loads(questions.read_text(encoding="utf-8"))["questions"]:
        try:
            answer = searcher.answer(item["q"], k=50, graph=graph)
            got, path, note = [m.municipality for m in answer.answering], answer.path, answer.reading.said()
        except KlimatgrafError as exc:
            got, path, note = [], "refused", str(exc)
        expect = item["expect"]
        score = float(not got) if not expect else answer_set_scores(got, expect)["f1"]
        sets = answer_set_scores(got, expect) if expect else {"precision": float(not got), "recall": 1.0}
        graph_wanted = item.get("relation", "none") != "none"
        out.append(
            {
                "q": item["q"],
                "relation": item.get("relation", "none"),
                "expect": expect,
                "got": got,
                "path": path,
                "note": note,
                "f1": score,
                "precision": sets["precision"],
                "recall": sets["recall"],
                "wrong_path": graph_wanted != path.startswith("graph") and path != "refused",
            }
        )
    return out


def table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["relation"]].append(r)
        groups["all relation questions" if r["relation"] != "none" else "topic questions"].append(r)
        groups["all"].append(r)
    out = []
    for name in sorted(groups, key=lambda g: (g.startswith("all"), g)):
        part = groups[name]

        def mean(key: str, part: list[dict[str, Any]] = part) -> float:
            return round(sum(float(r[key]) for r in part) / len(part), 3)

        out.append({"group": name, "n": len(part), "precision": mean("precision"), "recall": mean("recall"),
                    "f1": mean("f1"), "wrong_path": mean("wrong_path")})  # fmt: skip
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build", type=Path)
    parser.add_argument(
        "questions", type=Path, nargs="?", default=ROOT / "bench" / "heldout" / "relation_questions.json"
    )
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = run(args.build, args.questions)
    print("| questions | n | precision | recall | F1 | wrong path |")
    print("|---|---|---|---|---|---|")
    summary = table(rows)
    for r in summary:
        print(f"| {r['group']} | {r['n']} | {r['precision']} | {r['recall']} | {r['f1']} | {r['wrong_path']} |")
    if args.misses:
        for r in rows:
            if r["f1"] < 1 or r["wrong_path"]:
                print(
                    f"\n{r['q']}\n  {r['relation']} via {r['path']}: {r['note']}\n  expected {sorted(r['expect'])}\n  got      {sorted(r['got'])}"
                )
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
