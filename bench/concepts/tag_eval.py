"""Tier-1 tagging against the labelled passages (issue 22, "An evaluation that could prove it wrong").

    python bench/concepts/tag_eval.py [--split seeds|heldout|all] [--morphology snowball|hunspell|simplemma|all]
                                      [--vocabulary FILE] [--misses N] [--json OUT]

The labels (bench/concepts/labels/labels-{A,B,C}.jsonl) were written by annotators who saw the
passages and a sheet of 52 concepts (preferred labels, definitions, hierarchy), never the matcher or
its labels; labels-D.jsonl double-labels a fifth of the passages for Cohen's kappa. A passage is gold
for a concept when it was labelled with it or with a concept under it on the sheet; a passage is
tagged with a concept when a tier-1 tag names it or a concept under it (as a who-answer reads tags).

Reported per concept and pooled over the labelled concepts: passage precision, recall and F1;
municipality precision and recall (a municipality works on a concept when one of its own, non-template
passages is gold/tagged); the negative predictive value of "nobody" (concepts no municipality's own
text is tagged with, and the share of them that no labelled own passage names) and of "this
municipality does not" (municipality × concept pairs). `seeds` is the development split (the
vocabulary's labels may be changed after reading its misses); `heldout` is eight contracts written for
evaluation that no label was tuned on: its figures are the ones that count.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from klimatgraf.concepts.morphology import Morphology  # noqa: E402
from klimatgraf.concepts.scheme import read_scheme  # noqa: E402
from klimatgraf.concepts.tagger import matcher_for, tag_text  # noqa: E402
from klimatgraf.corpus import Corpus, load_corpus  # noqa: E402
from klimatgraf.index.analyzer import SWEDISH_STOPWORDS  # noqa: E402

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels"
MORPHOLOGIES = {
    "snowball": Morphology(hunspell=False),
    "hunspell": Morphology(),
    "simplemma": Morphology(lemmas=True),
}


def corpora() -> dict[str, Corpus]:
    """The seeds and the held-out contracts, each segmented as its own corpus (template text is what
    two or more documents of that corpus share)."""
    out = {"seeds": load_corpus(ROOT / "data")}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(ROOT / "bench" / "heldout" / "contracts", data / "contracts")
        out["heldout"] = load_corpus(data)
    return out


def gold_labels(files: list[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name in files:
        for line in (LABELS / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found[row["id"]] = set(row["concepts"])
    return found


def sheet() -> list[str]:
    return [c["concept"] for c in json.loads((HERE / "concept_sheet.json").read_text(encoding="utf-8"))]


def closure_on(scheme: Any, slugs: list[str]) -> dict[str, set[str]]:
    """Sheet concept → itself and every concept under it (slugs), from the vocabulary."""
    by_slug = {c.slug: c.iri for c in scheme.concepts}
    return {s: {s} | {scheme[d].slug for d in scheme.descendants(by_slug[s])} for s in slugs}


def prf(tp: int, fp: int, fn: int) -> dict[str, float | None]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"precision": _r(p), "recall": _r(r), "f1": _r(f), "tp": tp, "fp": fp, "fn": fn}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def evaluate(
    corpus: Corpus, split: str, gold: dict[str, set[str]], morphology: Morphology, vocabulary: Path | None
) -> dict[str, Any]:
    scheme = read_scheme(vocabulary)
    slugs = sheet()
    under = closure_on(scheme, slugs)
    started = time.process_time()
    matcher = matcher_for(scheme, (), SWEDISH_STOPWORDS, morphology)
    docs = {d.doc_id: d for d in corpus.documents}
    rows = []
    for p in corpus.paragraphs:
        key = f"{split}:{p.pid}"
        if key not in gold:
            continue
        tagged = {t.concept.rsplit("/", 1)[-1] for t in tag_text(matcher, p.text)}
        rows.append((key, p, docs[p.doc_id].municipality.name, tagged, gold[key]))
    seconds = time.process_time() - started
    per: dict[str, dict[str, Any]] = {}
    pooled = defaultdict(int)
    own_pooled = defaultdict(int)  # the municipalities' own passages only (what a who-answer reads)
    town_pooled = defaultdict(int)
    misses: list[dict[str, Any]] = []
    nobody_said = nobody_right = pair_said = pair_right = 0
    towns = sorted({r[2] for r in rows})
    for slug in slugs:
        tp = fp = fn = 0
        gold_towns: set[str] = set()
        tag_towns: set[str] = set()
        for key, p, town, tagged, labelled in rows:
            g = bool(labelled & under[slug] or slug in labelled)
            t = bool(tagged & under[slug])
            tp += g and t
            fp += t and not g
            fn += g and not t
            if not p.boilerplate:
                own_pooled["tp"] += g and t
                own_pooled["fp"] += t and not g
                own_pooled["fn"] += g and not t
            if g != t:
                misses.append({"id": key, "concept": slug, "kind": "fp" if t else "fn", "text": p.text[:300]})
            if not p.boilerplate:
                if g:
                    gold_towns.add(town)
                if t:
                    tag_towns.add(town)
        stats = prf(tp, fp, fn)
        town_stats = prf(len(gold_towns & tag_towns), len(tag_towns - gold_towns), len(gold_towns - tag_towns))
        per[slug] = {"passages": stats, "municipalities": town_stats, "gold_passages": tp + fn}
        for k in ("tp", "fp", "fn"):
            pooled[k] += stats[k]  # type: ignore[operator]
            town_pooled[k] += town_stats[k]  # type: ignore[operator]
        if not tag_towns:
            nobody_said += 1
            nobody_right += not gold_towns
        for town in towns:
            if town not in tag_towns:
                pair_said += 1
                pair_right += town not in gold_towns
    return {
        "split": split,
        "morphology": morphology.name,
        "passages": len(rows),
        "tagging_cpu_s": round(seconds, 3),
        "pooled_passages": prf(pooled["tp"], pooled["fp"], pooled["fn"]),
        "pooled_own_passages": prf(own_pooled["tp"], own_pooled["fp"], own_pooled["fn"]),
        "pooled_municipalities": prf(town_pooled["tp"], town_pooled["fp"], town_pooled["fn"]),
        "nobody": {
            "said": nobody_said,
            "right": nobody_right,
            "npv": _r(nobody_right / nobody_said) if nobody_said else None,
        },
        "not_this_municipality": {
            "said": pair_said,
            "right": pair_right,
            "npv": _r(pair_right / pair_said) if pair_said else None,
        },
        "per_concept": per,
        "misses": misses,
    }


def kappa() -> dict[str, Any]:
    """Cohen's kappa between labels-D and the first labellers on the passages both labelled, over
    every (passage, sheet concept) decision, pooled, and the per-concept mean where both used it."""
    first = gold_labels(["labels-A.jsonl", "labels-B.jsonl", "labels-C.jsonl"])
    second = gold_labels(["labels-D.jsonl"])
    shared = sorted(set(first) & set(second))
    slugs = sheet()
    a = [(s in first[i]) for i in shared for s in slugs]
    b = [(s in second[i]) for i in shared for s in slugs]
    return {
        "passages": len(shared),
        "decisions": len(a),
        "kappa": _r(_cohen(a, b)),
        "agreement": _r(sum(x == y for x, y in zip(a, b, strict=True)) / len(a)),
    }


def _cohen(a: list[bool], b: list[bool]) -> float:
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["seeds", "heldout", "all"], default="seeds")
    parser.add_argument("--morphology", choices=[*MORPHOLOGIES, "all"], default="hunspell")
    parser.add_argument("--vocabulary", type=Path, default=None)
    parser.add_argument("--misses", type=int, default=0, help="print this many misses (development split only)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    gold = gold_labels(["labels-A.jsonl", "labels-B.jsonl", "labels-C.jsonl"])
    found = corpora()
    splits = ["seeds", "heldout"] if args.split == "all" else [args.split]
    names = list(MORPHOLOGIES) if args.morphology == "all" else [args.morphology]
    results = [evaluate(found[s], s, gold, MORPHOLOGIES[m], args.vocabulary) for s in splits for m in names]
    print(
        "| split | morphology | passages | P | R | F1 | own text P / R | municipality P | municipality R | nobody said (right) | NPV not-this-municipality | tagging CPU-s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        p, t, o = r["pooled_passages"], r["pooled_municipalities"], r["pooled_own_passages"]
        n, pair = r["nobody"], r["not_this_municipality"]
        print(
            f"| {r['split']} | {r['morphology']} | {r['passages']} | {p['precision']} | {p['recall']} | {p['f1']} | "
            f"{o['precision']} / {o['recall']} | "
            f"{t['precision']} | {t['recall']} | {n['said']} ({n['right']}) | {pair['npv']} | {r['tagging_cpu_s']} |"
        )
    k = kappa()
    print(
        f"\nkappa (labels-D against A/B/C): {k['kappa']} over {k['passages']} passages, {k['decisions']} decisions, agreement {k['agreement']}"
    )
    if args.misses:
        for r in results:
            if r["split"] != "seeds":
                print("\n(misses are printed for the development split only)")
                continue
            for m in r["misses"][: args.misses]:
                print(f"{m['kind']} {m['concept']:28} {m['id']}: {' '.join(m['text'].split())[:200]}")
    if args.json:
        args.json.write_text(
            json.dumps({"results": results, "kappa": k}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
