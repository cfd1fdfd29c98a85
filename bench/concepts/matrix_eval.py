"""The theme matrix against one written by hand from the labelled passages (issue 23, "Done when").

    python bench/concepts/matrix_eval.py [--split seeds|heldout] [--json OUT]

The hand matrix: for each municipality and top concept, the number of the municipality's own (not
shared-template) passages that the annotators labelled with a concept of the sheet under that top
concept (bench/concepts/labels/labels-{A,B,C}.jsonl; the annotators never saw the matcher). The
tool's matrix, like for like: the same passages counted when a tier-1 tag names a sheet concept (or
one under it, or a concept above a sheet concept) under that top concept, which is what `klimatgraf
themes` counts restricted to the sheet. Cells are compared on presence (the municipality works on the topic or not: what the heatmap
and "who works on mobility" read) and on counts; every cell whose presence differs is listed with the
passages that make the difference. A third figure says how many of the tool's cells are non-empty
only through concepts outside the sheet (the hand labels cannot judge those).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from tag_eval import closure_on, corpora, gold_labels, sheet  # noqa: E402

from klimatgraf.concepts.morphology import Morphology  # noqa: E402
from klimatgraf.concepts.scheme import read_scheme  # noqa: E402
from klimatgraf.concepts.tagger import matcher_for, tag_text  # noqa: E402
from klimatgraf.index.analyzer import SWEDISH_STOPWORDS  # noqa: E402


def tops_of(scheme: Any, iri: str) -> set[str]:
    """Every top concept at or above a concept (the vocabulary has concepts with two broader)."""
    return {a for a in [iri, *scheme.ancestors(iri)] if scheme[a].top}


def compare(split: str) -> dict[str, Any]:
    corpus = corpora()[split]
    gold = gold_labels(["labels-A.jsonl", "labels-B.jsonl", "labels-C.jsonl"])
    scheme = read_scheme()
    by_slug = {c.slug: c.iri for c in scheme.concepts}
    slugs = sheet()
    under = closure_on(scheme, slugs)
    on_sheet = set().union(*under.values())
    # and the concepts above them: at the top level a tag on "Industri och näringsliv" itself stands
    # where a label of "Industriell omställning" does
    on_sheet |= {scheme[a].slug for s in list(on_sheet) for a in scheme.ancestors(by_slug[s])}
    matcher = matcher_for(scheme, (), SWEDISH_STOPWORDS, Morphology())
    towns = {d.doc_id: d.municipality.name for d in corpus.documents}
    top_names = {c.iri: c.pref_sv for c in scheme.top}
    hand: dict[tuple[str, str], set[str]] = defaultdict(set)
    tool: dict[tuple[str, str], set[str]] = defaultdict(set)
    full: dict[tuple[str, str], set[str]] = defaultdict(set)  # the tool, every concept of the vocabulary
    labelled = 0
    for p in corpus.paragraphs:
        key = f"{split}:{p.pid}"
        if key not in gold or p.boilerplate:
            continue
        labelled += 1
        town = towns[p.doc_id]
        for slug in gold[key]:
            for top in tops_of(scheme, by_slug[slug]):
                hand[(town, top)].add(key)
        for tag in tag_text(matcher, p.text):
            slug = tag.concept.rsplit("/", 1)[-1]
            for top in tops_of(scheme, tag.concept):
                full[(town, top)].add(key)
                if slug in on_sheet:
                    tool[(town, top)].add(key)
    cells = [(town, top) for town in sorted(set(towns.values())) for top in top_names]
    differ = []
    for cell in cells:
        if bool(hand[cell]) != bool(tool[cell]):
            town, top = cell
            differ.append(
                {
                    "municipality": town,
                    "concept": top_names[top],
                    "hand": len(hand[cell]),
                    "tool": len(tool[cell]),
                    "passages_only_hand": sorted(hand[cell] - tool[cell]),
                    "passages_only_tool": sorted(tool[cell] - hand[cell]),
                }
            )
    hand_on = {c for c in cells if hand[c]}
    tool_on = {c for c in cells if tool[c]}
    exact = sum(len(hand[c]) == len(tool[c]) for c in cells)
    outside = sum(1 for c in cells if full[c] and not tool[c])
    return {
        "split": split,
        "own_labelled_passages": labelled,
        "cells": len(cells),
        "presence_agree": len(cells) - len(differ),
        "presence_precision": round(len(hand_on & tool_on) / len(tool_on), 3) if tool_on else None,
        "presence_recall": round(len(hand_on & tool_on) / len(hand_on), 3) if hand_on else None,
        "counts_equal": exact,
        "mean_abs_count_difference": round(sum(abs(len(hand[c]) - len(tool[c])) for c in cells) / len(cells), 3),
        "cells_nonempty_only_through_concepts_off_the_sheet": outside,
        "differ": differ,
        "matrix": {
            f"{town} × {top_names[top]}": {"hand": len(hand[(town, top)]), "tool": len(tool[(town, top)])}
            for town, top in cells
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["seeds", "heldout"], default="seeds")
    parser.add_argument("--json", type=Path, help="write the whole report here")
    args = parser.parse_args()
    report = compare(args.split)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    summary = {k: v for k, v in report.items() if k not in ("differ", "matrix")}
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    for d in report["differ"]:
        print(f"{d['municipality']} × {d['concept']}: hand {d['hand']}, tool {d['tool']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
