"""`fuse` (rrf, min-max, z, per-query BM25 floor), the who cut-off and the answer-set metrics, on
made-up scores: exact numbers that a wrong formula changes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from klimatgraf.errors import InputError
from klimatgraf.evaluate import answer_set_arrays, answer_set_scores, load_questions, passage_scores, who_scores
from klimatgraf.index import IndexOptions, _windows, make_passages, sentence_windows
from klimatgraf.retrieval import CutoffConfig, FusionConfig, evidence_of, fuse, tuned_configs, z_parts

INF = -np.inf
OK = np.ones(4, dtype=bool)


def rows(result: list[tuple[int, float, tuple[str, ...], float]]) -> list[int]:
    return [r for r, _, _, _ in result]


def test_rrf_adds_weighted_reciprocal_ranks() -> None:
    signals = {"bm25": np.array([3.0, INF, 1.0, INF]), "dense": np.array([0.1, 0.9, 0.5, 0.2])}
    out = fuse(signals, FusionConfig(method="rrf", bm25_weight=1.0, dense_weight=1.0, rrf_k=1.0), OK)
    scores = {r: s for r, s, _, _ in out}
    assert scores[0] == pytest.approx(1 / 2 + 1 / 5)  # BM25 rank 1, dense rank 4
    assert scores[2] == pytest.approx(1 / 3 + 1 / 3)
    assert scores[1] == pytest.approx(1 / 2)
    assert rows(out) == [0, 2, 1, 3]
    assert dict((r, f) for r, _, f, _ in out)[1] == ("dense",)


def test_minmax_scales_each_retriever_over_its_candidates() -> None:
    signals = {"bm25": np.array([4.0, INF, 2.0, INF]), "dense": np.array([0.2, 0.8, 0.6, 0.4])}
    out = fuse(signals, FusionConfig(method="minmax", bm25_weight=0.5, dense_weight=0.5), OK)
    scores = {r: s for r, s, _, _ in out}
    assert scores[0] == pytest.approx(0.5 * 1 + 0.5 * 0)
    assert scores[1] == pytest.approx(0.5 * 1)
    assert scores[2] == pytest.approx(0.5 * 0 + 0.5 * (0.4 / 0.6))
    assert scores[3] == pytest.approx(0.5 * (0.2 / 0.6))


def test_z_fusion_and_evidence_count_no_bm25_match_as_zero() -> None:
    bm25 = np.array([3.0, INF, INF, INF])
    dense = np.array([0.5, 0.9, 0.5, 0.5])
    config = FusionConfig(method="z", bm25_weight=0.25, dense_weight=0.75)
    out = fuse({"bm25": bm25, "dense": dense}, config, OK, evidence_bm25=1 / 3)  # evidence = .75 zd + .25 zb
    zb = (np.array([3.0, 0, 0, 0]) - 0.75) / np.array([3.0, 0, 0, 0]).std()
    zd = (dense - dense.mean()) / dense.std()
    expected = 0.25 * zb + 0.75 * zd
    for row, score, _, evidence in out:
        assert score == pytest.approx(expected[row]) and evidence == pytest.approx(expected[row])
    assert rows(out)[0] == 1
    dense_only = fuse({"bm25": bm25, "dense": dense}, config, OK, evidence_bm25=0.0)
    assert {r: e for r, _, _, e in dense_only} == pytest.approx({r: zd[r] for r in range(4)})


def test_a_bm25_match_that_does_not_stand_out_is_left_out_per_query() -> None:
    bm25 = np.array([1.0, 1.0, 1.0, 1.1])  # no distinctive BM25 hit: best z-score ≈ 1.7
    dense = np.array([0.9, 0.1, 0.2, 0.3])
    config = FusionConfig(method="z", bm25_weight=0.5, dense_weight=0.5, bm25_floor=2.0)
    out = fuse({"bm25": bm25, "dense": dense}, config, OK)
    zd = (dense - dense.mean()) / dense.std()
    assert [s for _, s, _, _ in out] == pytest.approx(sorted(zd, reverse=True))
    kept = fuse({"bm25": bm25, "dense": dense}, FusionConfig(method="z", bm25_weight=0.5, dense_weight=0.5), OK)
    assert [s for _, s, _, _ in kept] != pytest.approx(sorted(zd, reverse=True))


def test_a_sparse_latent_term_signal_is_a_third_weighted_retriever() -> None:
    signals = {
        "bm25": np.array([4.0, INF, 2.0, INF]),
        "dense": np.array([0.2, 0.8, 0.6, 0.4]),
        "sparse": np.array([0.3, 0.1, 0.5, 0.2]),
    }
    config = FusionConfig(method="minmax", bm25_weight=0.2, dense_weight=0.8, sparse_weight=0.5)
    scores = {r: s for r, s, _, _ in fuse(signals, config, OK)}
    assert scores[2] == pytest.approx(0.2 * 0 + 0.8 * (0.4 / 0.6) + 0.5 * 1)
    assert scores[1] == pytest.approx(0.8 * 1 + 0.5 * 0)
    assert scores[0] == pytest.approx(0.2 * 1 + 0.8 * 0 + 0.5 * (0.2 / 0.4))
    without = {r: s for r, s, _, _ in fuse(signals, FusionConfig(method="minmax", bm25_weight=0.2), OK)}
    assert max(without, key=without.__getitem__) == 1 and max(scores, key=scores.__getitem__) == 2


def test_evidence_weighs_each_z_score_and_ignores_a_missing_sparse_signal() -> None:
    signals = {
        "bm25": np.array([3.0, INF, INF, INF]),
        "dense": np.array([0.5, 0.9, 0.5, 0.5]),
        "sparse": np.array([0.1, 0.2, 0.6, 0.1]),
    }
    z = z_parts(signals, FusionConfig())
    expected = (z["dense"] + 0.5 * z["bm25"] + 0.25 * z["sparse"]) / 1.75
    assert evidence_of(z, 0.5, 0.25) == pytest.approx(expected)
    assert evidence_of(z, 0.5) == pytest.approx((z["dense"] + 0.5 * z["bm25"]) / 1.5)
    del z["sparse"]
    assert evidence_of(z, 0.5, 0.25) == pytest.approx((z["dense"] + 0.5 * z["bm25"]) / 1.5)


def test_filters_and_depth_limit_the_candidates() -> None:
    signals = {"bm25": np.array([4.0, 3.0, 2.0, 1.0]), "dense": np.array([0.1, 0.2, 0.3, 0.4])}
    ok = np.array([True, False, True, True])
    out = fuse(signals, FusionConfig(depth=1), ok)
    assert sorted(rows(out)) == [0, 3]  # BM25's best allowed and dense's best allowed


def test_cut_off_floor_is_absolute_and_relative() -> None:
    cutoff = CutoffConfig(min_evidence=2.0, max_gap=1.5)
    assert cutoff.floor([5.0, 4.0, 1.0]) == 3.5  # relative to the best
    assert cutoff.floor([2.5, 1.0]) == 2.0  # absolute
    assert cutoff.floor([]) == 2.0


def test_min_cosine_is_an_absolute_test_on_top_of_the_evidence_floor() -> None:
    cutoff = CutoffConfig(min_evidence=1.0, max_gap=9.0, min_cosine=0.8)
    assert cutoff.passes(3.0, 0.80, 1.0) and cutoff.passes(3.0, np.inf, 1.0)  # inf: no dense retriever
    assert not cutoff.passes(3.0, 0.79, 1.0)  # stands out, but is not similar enough
    assert not cutoff.passes(0.5, 0.95, 1.0)  # similar, but below the evidence floor
    assert CutoffConfig().passes(1.75, 0.0, 1.75)  # the default (0) never binds: e5 cosines are > 0.5
    _, tuned = tuned_configs(min_similarity=0.85)
    assert tuned.min_cosine == 0.85 and tuned.min_evidence == CutoffConfig().min_evidence
    with pytest.raises(InputError, match="between -1 and 1"):
        tuned_configs(min_similarity=1.5)


def test_the_keyword_gate_reads_the_best_bm25_z_score_of_the_question() -> None:
    spread = np.array([2.0, 2.0, 1.9, 1.9])  # every paragraph matches alike: nothing stands out (z = 1)
    focused = np.array([5.0, INF, INF, INF])  # one paragraph matches: z = √3
    gate = CutoffConfig(min_keyword_evidence=1.7)
    assert gate.answerable(focused) and not gate.answerable(spread)
    assert not gate.answerable(np.full(4, INF))  # no word of the question is in any paragraph
    assert gate.answerable(None)  # BM25 not used: the gate does not apply
    assert CutoffConfig().answerable(np.full(4, INF))  # the default: off
    _, tuned = tuned_configs(min_keyword_evidence=3.7)
    assert tuned.min_keyword_evidence == 3.7 and tuned.max_gap == CutoffConfig().max_gap
    with pytest.raises(InputError, match="z-score"):
        tuned_configs(min_keyword_evidence=-1.0)


def test_tuned_configs_override_single_values_and_refuse_unknown_methods() -> None:
    fusion, cutoff = tuned_configs(bm25_weight=0.1, method="minmax", max_gap=0.5)
    assert (fusion.bm25_weight, fusion.method, cutoff.max_gap) == (0.1, "minmax", 0.5)
    assert fusion.dense_weight == FusionConfig().dense_weight and cutoff.min_evidence == CutoffConfig().min_evidence
    with pytest.raises(InputError, match="unknown fusion"):
        tuned_configs(method="max")


def test_answer_set_metrics() -> None:
    assert answer_set_scores(["Alvesta", "Avesta", "Skellefteå"], ["avesta", "Alvesta"]) == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8}
    )
    assert answer_set_scores([], ["Avesta"]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    towns = ["Alvesta", "Avesta", "Skellefteå"]
    answers = np.array([[True, True, True], [False, False, False], [False, True, False]])
    expected = np.array([True, True, False])
    batch = answer_set_arrays(answers, expected)
    for i, row in enumerate(answers):
        one = answer_set_scores([t for t, a in zip(towns, row, strict=True) if a], ["Alvesta", "Avesta"])
        assert {k: batch[k][i] for k in one} == pytest.approx(one)
    assert batch["nobody"].tolist() == [0.0, 1.0, 0.0]
    first, scores = who_scores(["Skellefteå", "Avesta", "Alvesta"], ["Avesta"], ["Alvesta", "Avesta"])
    assert first == 2 and scores["recall@3"] == 1.0 and scores["mrr"] == 0.5 and scores["f1"] == pytest.approx(2 / 3)
    first, scores = passage_scores(["a b", "x  99 % FÖRNYBAR y"], ["99 % förnybar"])
    assert first == 2 and scores == {"hit@1": 0.0, "hit@5": 1.0, "mrr@10": 0.5}


def test_no_answer_questions_are_their_own_set() -> None:
    data = load_questions(
        {
            "who": [{"q": "a", "expect": ["Avesta"]}, {"q": "b", "expect": []}],
            "passage": [{"q": "c", "snippets": ["x"]}],
        }
    )
    assert [len(data[k]) for k in ("who", "none", "passage")] == [1, 1, 1]
    with pytest.raises(InputError, match="snippet"):
        load_questions({"passage": [{"q": "c", "snippets": []}]})


def test_long_paragraphs_get_sentence_windows_and_titles_only_on_own_text() -> None:
    text = " ".join(f"Mening nummer {i} handlar om klimat." for i in range(40))
    windows = _windows(text, 200)
    assert len(windows) > 5 and all(len(w) <= 200 for w in windows)
    assert windows[0].startswith("Mening nummer 0") and "nummer 39" in windows[-1]
    assert _windows("Kort. Text.", 200) == []
    member = {"doc_id": "d1", "municipality": "A", "title": "Klimatkontrakt för A"}
    own = {
        "text": text,
        "section": ["Mål"],
        "kind": "paragraph",
        "items": [],
        "boilerplate": False,
        "members": [member],
    }
    shared = dict(own, boilerplate=True, members=[member, dict(member, doc_id="d2")])
    framing = IndexOptions(context="heading", title=True, window_chars=300, sentence_passages=0)
    texts, owners = make_passages([own, shared], framing)
    assert texts[0].startswith("Klimatkontrakt för A. Mål. Mening")
    assert owners.count(0) == 1 + len(_windows(" ".join(text.split()), 300)) and owners.count(1) > 1
    assert all(not t.startswith("Klimatkontrakt") for t, o in zip(texts, owners, strict=True) if o == 1)
    plain, _ = make_passages([own], IndexOptions())
    assert plain == [text, *sentence_windows(text, 1)]  # the default: the bare paragraph and its sentences
    assert make_passages([own], IndexOptions(context="heading", sentence_passages=0))[0] == ["Mål. " + text]


def test_sentence_passages_add_runs_of_sentences_to_paragraphs_only() -> None:
    text = "Kommunen ska t.ex. minska matsvinnet. Skolorna mäter svinnet två gånger per år. Se bilaga 2. Bussarna går på biogas sedan 2024."
    sentences = [
        "Kommunen ska t.ex. minska matsvinnet.",
        "Skolorna mäter svinnet två gånger per år. Se bilaga 2.",  # a short fragment joins the one before
        "Bussarna går på biogas sedan 2024.",
    ]
    assert sentence_windows(text, 1) == sentences
    assert sentence_windows(text, 2) == [" ".join(sentences[:2]), " ".join(sentences[1:])]
    assert sentence_windows(text, 3) == [] and sentence_windows("En enda mening om klimatet här.", 1) == []
    member = {"doc_id": "d1", "municipality": "A", "title": "T"}
    paragraph = {"text": text, "section": ["Mål"], "kind": "paragraph", "items": [], "boilerplate": False}
    listed = dict(
        paragraph,
        kind="list",
        text="Kommunen ska göra två saker. Den ska: • cykla mer • åka buss",
        items=["cykla mer", "åka buss"],
    )
    heading = dict(paragraph, text="Mål. Delmål. Fler mål här nu.", kind="heading")
    entries = [dict(e, members=[member]) for e in (paragraph, listed, heading)]
    off, _ = make_passages(entries, IndexOptions(sentence_passages=0))
    texts, owners = make_passages(entries, IndexOptions(sentence_passages=1))
    assert texts[: len(sentences) + 1] == [text, *sentences] and owners.count(0) == 1 + len(sentences)
    assert [t for t, o in zip(texts, owners, strict=True) if o > 0] == [t for t in off if t != text]  # lists, headings
    framed, _ = make_passages(entries[:1], IndexOptions(context="heading", sentence_passages=2))
    assert framed == ["Mål. " + text, *("Mål. " + w for w in sentence_windows(text, 2))]


def _bench_cv() -> ModuleType:
    """bench/cv.py as a module (the cross-validation's own helpers, not shipped in klimatgraf)."""
    if "bench_cv" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_cv", Path(__file__).parents[1] / "bench" / "cv.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_cv"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_cv"]


def test_rocchio_moves_the_question_towards_the_mean_of_its_top_m_passages() -> None:
    cv = _bench_cv()
    passages = np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    query = np.array([0.96, 0.28, 0.0], dtype=np.float32)  # nearest: passages 0 and 1
    moved = cv.rocchio(query, passages, 2, 0.5)
    expected = query + 0.5 * (passages[0] + passages[1]) / 2
    assert np.allclose(moved, expected / np.linalg.norm(expected), atol=1e-6)
    assert np.allclose(cv.rocchio(query, passages, 2, 0.0), query, atol=1e-6)  # β 0: unchanged
    everything = query + 1.0 * passages.mean(0)  # m past the passages: all of them
    assert np.allclose(cv.rocchio(query, passages, 10, 1.0), everything / np.linalg.norm(everything), atol=1e-6)


def test_the_largest_drop_cut_off_answers_down_to_the_biggest_fall_in_evidence() -> None:
    cv = _bench_cv()
    inf = float("inf")
    # two contracts well above the rest: both answer, however far apart they are
    assert cv.largest_drop_floor([5.3, 4.7, 2.2, 1.4, 1.0], 1.75) == 4.7
    # one stands out: it alone
    assert cv.largest_drop_floor([6.0, 2.0, 1.9, -inf], 1.0) == 6.0
    # the last candidate's drop is to the next municipality, even one below the floor ...
    assert cv.largest_drop_floor([3.0, 2.8, 0.1], 2.0) == 2.8
    # ... and to min_evidence when every municipality is a candidate
    assert cv.largest_drop_floor([3.0, 2.9, 2.8], 0.0) == 2.8
    assert cv.largest_drop_floor([1.0, 0.5], 1.75) == inf  # nobody reaches min_evidence: nobody
    assert cv.largest_drop_floor([4.0, 3.0, 2.0], 1.0) == 4.0  # equal drops: the first (fewest answers)


def test_the_nobody_models_logistic_fit_is_the_weighted_maximum_likelihood() -> None:
    cv = _bench_cv()
    rng = np.random.default_rng(12)
    x = rng.normal(size=(80, 2))
    y = (x[:, 0] + rng.normal(size=80) > 0).astype(float)  # only the first feature matters
    model = cv.fit_logistic(x, y, l2=0.0)
    p = 1 / (1 + np.exp(-cv.logit(model, x)))
    assert np.abs(np.hstack([np.ones((80, 1)), x]).T @ (p - y)).max() < 1e-8  # the likelihood's gradient is 0
    assert model[2][1] > 1.0 and abs(model[2][2]) < model[2][1] / 3
    # a row of weight 2 counts as the row twice (without a penalty the fit ignores the standardisation)
    weight = np.ones(80)
    weight[0] = 2.0
    twice = cv.fit_logistic(np.vstack([x, x[:1]]), np.append(y, y[0]), l2=0.0)
    assert np.allclose(cv.logit(cv.fit_logistic(x, y, l2=0.0, weight=weight), x), cv.logit(twice, x), atol=1e-6)
    # the ridge penalty pulls the weights towards 0
    assert abs(cv.fit_logistic(x, y, l2=50.0)[2][1]) < abs(model[2][1])


def test_paired_bootstrap_of_the_ranking_objective_is_the_difference_of_the_four_metrics_mean() -> None:
    cv = _bench_cv()
    rng = np.random.default_rng(5)
    questions = [{"_kind": "who"}] * 30 + [{"_kind": "none"}] * 10 + [{"_kind": "passage"}] * 40

    def scores() -> dict[int, dict[str, float]]:
        out: dict[int, dict[str, float]] = {}
        for i, q in enumerate(questions):
            hit = rng.integers(0, 2, 3).astype(float)
            if q["_kind"] == "who":
                out[i] = {"hit@1": hit[0], "recall@3": max(hit[0], hit[1]), "f1": hit[2]}
            elif q["_kind"] == "none":
                out[i] = {"nobody": hit[0]}
            else:
                out[i] = {"hit@1": hit[0], "hit@5": max(hit[0], hit[1])}
        return out

    base, other = {"per_question": scores()}, {"per_question": scores()}

    def objective(run: dict[str, Any]) -> float:
        s = run["per_question"]
        mean = {
            (kind, name): np.mean([s[i][name] for i, q in enumerate(questions) if q["_kind"] == kind])
            for kind, name in cv.RANK_OBJECTIVE
        }
        return float(np.mean(list(mean.values())))

    diff, low, high = cv.paired_bootstrap(base, other, questions, 12)["ranking objective"]
    assert diff == round(objective(other) - objective(base), 3) and low < diff < high
    assert cv.paired_bootstrap(base, base, questions, 12)["ranking objective"] == [0.0, 0.0, 0.0]
