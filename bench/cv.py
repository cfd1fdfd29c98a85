"""k-fold cross-validation of the search's ranking and who-cut-off on a question bank.

    python bench/cv.py bench/questions/bank.json --index build/index [--index other/index ...]
    python bench/cv.py bench/questions/bank.json --index build/index --default-ranking  # cut-off only

Questions are split into K folds (fixed seed, stratified by kind: who / no-answer /
passage). For each fold, every parameter is chosen on the other K−1 folds only and the
choice is measured on the held-out fold; only these out-of-fold figures are reported.
Two stages per fold: (1) the ranking (index variant × fusion method × weights) that
maximises the mean of who hit@1, who recall@3, passage hit@1 and passage hit@5; (2) for
that ranking, the cut-off (evidence BM25 weight × min_cosine × min_evidence × max_gap) that maximises
the mean answer-set F1 over who- and no-answer questions together (a no-answer question
scores 1 when answered with nobody, else 0). Each question is embedded once (one query vector
cache shared by every index variant), and BM25/dense scores are computed once per
(question, index): the grid then reruns only the fusion, so it is cheap on 2 cores.

Every metric comes from klimatgraf.evaluate (the one place for metrics). Output: JSON
(stdout) with the grid's out-of-fold figures per method family, the procedure's
out-of-fold figures, and the configuration it chooses on the whole bank.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from klimatgraf.evaluate import KINDS, answer_set_arrays, load_questions, passage_scores, who_scores
from klimatgraf.search import CutoffConfig, FusionConfig, Searcher, evidence_of, z_parts

RANK_OBJECTIVE = (("who", "hit@1"), ("who", "recall@3"), ("passage", "hit@1"), ("passage", "hit@5"))
MIN_EVIDENCE = [round(x, 2) for x in np.arange(0.0, 8.01, 0.25)]
MAX_GAP = [round(x, 2) for x in np.arange(0.25, 6.01, 0.25)] + [99.0]
EVIDENCE_BM25 = [0.0, 0.1, 0.25, 0.5, 1.0, 2.0]
# raw e5 cosine an answering paragraph needs; the first value (-1) is "off" and wins ties
MIN_COSINE = [-1.0] + [round(x, 3) for x in np.arange(0.75, 0.9001, 0.005)]


def fusion_grid() -> dict[str, list[FusionConfig]]:
    """Every fusion configuration compared, by family."""
    base = FusionConfig()
    grid: dict[str, list[FusionConfig]] = {"rrf": [], "minmax": [], "z": [], "z+floor": []}
    for w, k in itertools.product((0.0, 0.25, 0.5, 0.75, 1.0), (5.0, 10.0, 20.0, 60.0)):
        grid["rrf"].append(replace(base, method="rrf", bm25_weight=w, dense_weight=1.0, rrf_k=k))
    for d in (0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        for method in ("minmax", "z"):
            grid[method].append(replace(base, method=method, dense_weight=d, bm25_weight=round(1 - d, 2)))
        for floor in (1.0, 2.0, 3.0, 5.0):
            grid["z+floor"].append(
                replace(base, method="z", dense_weight=d, bm25_weight=round(1 - d, 2), bm25_floor=floor)
            )
    return grid


class CachedSearcher(Searcher):
    """A Searcher whose BM25 and dense scores are computed once per question."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.query_cache = 1_000_000
        self._memo: dict[tuple[str, str], np.ndarray] = {}

    def _bm25_scores(self, query: str) -> np.ndarray:
        key = ("bm25", query)
        if key not in self._memo:
            self._memo[key] = super()._bm25_scores(query)
        return self._memo[key]

    def _dense_scores(self, query: str) -> np.ndarray:
        key = ("dense", query)
        if key not in self._memo:
            self._memo[key] = super()._dense_scores(query)
        return self._memo[key]


@dataclass
class Run:
    """One (index, fusion) configuration run on every question: per-question rank metrics,
    and for who/none questions the ranking with each municipality's evidence."""

    index: str
    fusion: FusionConfig
    rank_scores: dict[int, dict[str, float]]  # question id → metric → value (cut-off free metrics)
    groups: dict[int, list[str]]  # who/none question id → municipalities, ranked
    # who/none question id → (len(EVIDENCE_BM25), len(MIN_COSINE), len(groups[i])): each municipality's
    # best evidence among its paragraphs whose raw cosine ≥ the MIN_COSINE value (-inf: none)
    strengths: dict[int, np.ndarray]


def stratified_folds(questions: list[dict[str, Any]], k: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    fold = [0] * len(questions)
    for kind in KINDS:
        ids = [i for i, q in enumerate(questions) if q["_kind"] == kind]
        rng.shuffle(ids)
        for n, i in enumerate(ids):
            fold[i] = n % k
    return fold


def run_config(searcher: Searcher, index: str, fusion: FusionConfig, questions: list[dict[str, Any]]) -> Run:
    searcher.fusion = fusion
    allowed = searcher._allowed(None, None)
    entries = searcher.index.entries
    heading = np.array([e["kind"] == "heading" for e in entries])
    rank_scores: dict[int, dict[str, float]] = {}
    groups: dict[int, list[str]] = {}
    strengths: dict[int, np.ndarray] = {}
    for i, q in enumerate(questions):
        if q["_kind"] == "passage":  # the rows `search` shows, without building Hit objects
            rows = searcher.paragraph_rows(q["q"], "hybrid", allowed)[:10]
            rank_scores[i] = passage_scores([entries[r]["text"] for r, _, _ in rows], q["snippets"])[1]
            continue
        # the full ranking of `search_grouped`: municipalities by their best own row
        by_town = searcher.municipality_rows(q["q"], "hybrid", allowed)
        ranked = sorted(by_town.items(), key=lambda kv: -kv[1][0][1])
        groups[i] = [town for town, _ in ranked]
        z = z_parts({"bm25": searcher._bm25_scores(q["q"]), "dense": searcher._dense_scores(q["q"])}, fusion)
        table = np.full((len(EVIDENCE_BM25), len(MIN_COSINE), len(ranked)), -np.inf)
        cosines = np.array(MIN_COSINE)
        for b, weight in enumerate(EVIDENCE_BM25):
            evidence = evidence_of(z, weight)
            w = fusion.heading_weight  # as municipality_rows: a bare heading's evidence is scaled
            evidence = np.where(~heading, evidence, np.where(evidence >= 0, evidence * w, evidence / w))
            for m, (_, rows) in enumerate(ranked):
                ev = evidence[[t[0] for t in rows]]
                cos = np.array([t[4] for t in rows])
                ok = cos[None, :] >= cosines[:, None]  # (C, rows)
                table[b, :, m] = np.where(ok, ev[None, :], -np.inf).max(-1)
        strengths[i] = table
        if q["_kind"] == "who":
            rank_scores[i] = who_scores(groups[i], [], q["expect"])[1]
    return Run(index, fusion, rank_scores, groups, strengths)


def answer(run: Run, i: int, cutoff: CutoffConfig) -> list[str]:
    """The municipalities of question `i` that pass `cutoff` (as `search_grouped` decides)."""
    table = run.strengths[i][EVIDENCE_BM25.index(cutoff.bm25_weight)]
    floor = cutoff.floor(table[0].tolist())  # the floor reads every paragraph's evidence
    strength = table[MIN_COSINE.index(cutoff.min_cosine)] if cutoff.min_cosine in MIN_COSINE else table[0]
    return [m for m, s in zip(run.groups[i], strength, strict=True) if s >= floor]


def cutoff_objective(
    run: Run, questions: list[dict[str, Any]], ids: list[int], cosines: list[float] = MIN_COSINE
) -> tuple[np.ndarray, np.ndarray]:
    """Mean answer-set F1 over the who- and no-answer questions in `ids` (a no-answer question
    scores 1 when answered with nobody) for every (bm25 weight, min_cosine, min_evidence, max_gap);
    and the no-answer share alone. Arrays of shape
    (len(EVIDENCE_BM25), len(cosines), len(MIN_EVIDENCE), len(MAX_GAP))."""
    ids = [i for i in ids if questions[i]["_kind"] != "passage"]
    towns = sorted({m for i in ids for m in run.groups[i]})
    s = np.full((len(EVIDENCE_BM25), len(MIN_COSINE), len(ids), len(towns)), -np.inf)
    expected = np.zeros((len(ids), len(towns)), dtype=bool)
    for n, i in enumerate(ids):
        cols = [towns.index(m) for m in run.groups[i]]
        s[:, :, n, cols] = run.strengths[i]
        wanted = {e.casefold() for e in questions[i]["expect"]}
        expected[n] = [t.casefold() in wanted for t in towns]
    lo = np.array(MIN_EVIDENCE)[None, :, None, None]
    gap = np.array(MAX_GAP)[None, None, :, None]
    best = s[:, 0].max(-1)[:, None, None, :]  # the floor reads every paragraph's evidence
    floor = np.maximum(lo, best - gap)  # (B, L, G, Q): CutoffConfig.floor
    none = ~expected.any(-1)
    value = np.empty((len(EVIDENCE_BM25), len(cosines), len(MIN_EVIDENCE), len(MAX_GAP)))
    nobody = np.zeros_like(value)
    for c, cosine in enumerate(cosines):
        answers = s[:, MIN_COSINE.index(cosine), None, None, :, :] >= floor[..., None]
        scores = answer_set_arrays(answers, expected)
        per_question = np.where(none, scores["nobody"], scores["f1"])
        value[:, c] = per_question.mean(-1)
        if none.any():
            nobody[:, c] = scores["nobody"][..., none].mean(-1)
    return value, nobody


def rank_metrics(run: Run, questions: list[dict[str, Any]], ids: list[int]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for kind in ("who", "passage"):
        rows = [run.rank_scores[i] for i in ids if questions[i]["_kind"] == kind]
        names = [n for n in KINDS[kind] if rows and n in rows[0]]
        out[kind] = {n: float(np.mean([r[n] for r in rows])) for n in names}
    return out


def rank_objective(run: Run, questions: list[dict[str, Any]], ids: list[int]) -> float:
    m = rank_metrics(run, questions, ids)
    return float(np.mean([m[kind][name] for kind, name in RANK_OBJECTIVE]))


def best_cutoff(
    run: Run, questions: list[dict[str, Any]], ids: list[int], cosines: list[float] = MIN_COSINE
) -> CutoffConfig:
    value, _ = cutoff_objective(run, questions, ids, cosines)
    b, c, lo, gap = np.unravel_index(int(np.argmax(value)), value.shape)  # first maximum wins ties
    return CutoffConfig(
        min_evidence=MIN_EVIDENCE[lo], max_gap=MAX_GAP[gap], bm25_weight=EVIDENCE_BM25[b], min_cosine=cosines[c]
    )


def choose(
    runs: list[Run], questions: list[dict[str, Any]], ids: list[int], cosines: list[float] = MIN_COSINE
) -> tuple[Run, CutoffConfig]:
    """Stage 1: the ranking with the best objective on `ids` (first wins ties); stage 2: its cut-off."""
    best = max(runs, key=lambda r: rank_objective(r, questions, ids))
    return best, best_cutoff(best, questions, ids, cosines)


def out_of_fold(
    runs: list[Run], questions: list[dict[str, Any]], folds: list[int], k: int, cosines: list[float] = MIN_COSINE
) -> dict[str, Any]:
    """Choose on K−1 folds, measure on the held-out one; pooled over all held-out questions."""
    per_question: dict[int, dict[str, float]] = {}
    chosen = []
    for f in range(k):
        train = [i for i in range(len(questions)) if folds[i] != f]
        test = [i for i in range(len(questions)) if folds[i] == f]
        run, cutoff = choose(runs, questions, train, cosines)
        chosen.append({"index": run.index, "fusion": _short(run.fusion), "cutoff": asdict(cutoff)})
        for i in test:
            q = questions[i]
            if q["_kind"] == "passage":
                per_question[i] = run.rank_scores[i]
            elif q["_kind"] == "who":
                per_question[i] = who_scores(run.groups[i], answer(run, i, cutoff), q["expect"])[1]
            else:
                per_question[i] = {"nobody": float(not answer(run, i, cutoff))}
    metrics = {}
    for kind, names in KINDS.items():
        rows = [per_question[i] for i in per_question if questions[i]["_kind"] == kind]
        if rows:
            metrics[kind] = {n: round(float(np.mean([r[n] for r in rows])), 3) for n in names}
    return {"metrics": metrics, "chosen_per_fold": chosen}


def _short(f: FusionConfig) -> dict[str, Any]:
    return {
        "method": f.method,
        "bm25_weight": f.bm25_weight,
        "dense_weight": f.dense_weight,
        **({"rrf_k": f.rrf_k} if f.method == "rrf" else {"bm25_floor": f.bm25_floor}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--index", action="append", type=Path, help="index directory (repeatable: variants)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--default-ranking",
        action="store_true",
        help="only the default fusion (the ranking the full grid chose): CV of the cut-off alone, cheap",
    )
    args = parser.parse_args(argv)
    data = load_questions(args.questions)
    questions = [dict(q, _kind=kind) for kind in KINDS for q in data[kind]]
    folds = stratified_folds(questions, args.folds, args.seed)
    indexes = args.index or [Path("build/index")]
    started = time.perf_counter()
    searchers: dict[str, Searcher] = {}
    shared = None
    for path in indexes:
        s = CachedSearcher(path)
        if shared is not None:
            s._query_vectors = shared  # same model: each question is embedded once
        shared = s._query_vectors
        searchers[str(path)] = s
    grid = {"default": [FusionConfig()]} if args.default_ranking else fusion_grid()
    runs: dict[str, list[Run]] = {}
    for family, configs in grid.items():
        for name, s in searchers.items():
            runs.setdefault(family, []).extend(run_config(s, name, c, questions) for c in configs)
    print(f"grid: {sum(len(r) for r in runs.values())} runs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    everything = [r for rs in runs.values() for r in rs]
    report: dict[str, Any] = {
        "questions": {kind: sum(1 for q in questions if q["_kind"] == kind) for kind in KINDS},
        "folds": args.folds,
        "seed": args.seed,
        "families": {},
        "per_index": {},
    }
    for family, rs in runs.items():
        report["families"][family] = out_of_fold(rs, questions, folds, args.folds)
    for name in searchers:
        report["per_index"][name] = out_of_fold(
            [r for r in everything if r.index == name], questions, folds, args.folds
        )
    report["procedure"] = out_of_fold(everything, questions, folds, args.folds)
    report["procedure_without_min_cosine"] = out_of_fold(everything, questions, folds, args.folds, [-1.0])
    all_ids = list(range(len(questions)))
    run, cutoff = choose(everything, questions, all_ids)
    report["chosen_on_whole_bank"] = {"index": run.index, "fusion": _short(run.fusion), "cutoff": asdict(cutoff)}
    report["seconds"] = round(time.perf_counter() - started, 1)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
