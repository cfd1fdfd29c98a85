"""The concept vocabulary (issue 22): the scheme read and checked, the Swedish label matcher, the tags
of a build in the graph and the index, and `klimatgraf concepts`."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF

import search_fixtures
import serve_fixtures
from conftest import DATA, run_cli
from klimatgraf.concepts.matcher import Matcher
from klimatgraf.concepts.morphology import Lexicon, Stems, hunspell
from klimatgraf.concepts.scheme import default_vocabulary, read_scheme
from klimatgraf.concepts.tagger import matcher_for, tag_text
from klimatgraf.errors import InputError
from klimatgraf.index.analyzer import SWEDISH_STOPWORDS
from klimatgraf.namespaces import KG
from klimatgraf.retrieval import Searcher
from search_fixtures import E5Index

KGC = "https://w3id.org/klimatgraf/id/concept/"
e5_index = search_fixtures.e5_index  # the seeds' index as `klimatgraf build` makes it (session fixtures)
served_build = serve_fixtures.served_build
served = serve_fixtures.served

# A small vocabulary written for these tests: the rules, not the shipped labels, are under test.
SMALL = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix kg: <https://w3id.org/klimatgraf/ontology#> .
@prefix kgc: <https://w3id.org/klimatgraf/id/concept/> .
@prefix s: <https://w3id.org/klimatgraf/id/concepts> .

<https://w3id.org/klimatgraf/id/concepts> a skos:ConceptScheme ; skos:hasTopConcept kgc:mat, kgc:transport .
kgc:mat a skos:Concept ; skos:inScheme <https://w3id.org/klimatgraf/id/concepts> ;
  skos:topConceptOf <https://w3id.org/klimatgraf/id/concepts> ; skos:narrower kgc:matsvinn ;
  skos:prefLabel "Mat"@sv, "Food"@en ; skos:definition "Mat."@sv .
kgc:matsvinn a skos:Concept ; skos:inScheme <https://w3id.org/klimatgraf/id/concepts> ; skos:broader kgc:mat ;
  skos:prefLabel "Matsvinn"@sv, "Food waste"@en ; skos:altLabel "mat som slängs"@sv, "food waste"@en ;
  skos:definition "Mat som kastas."@sv .
kgc:transport a skos:Concept ; skos:inScheme <https://w3id.org/klimatgraf/id/concepts> ;
  skos:topConceptOf <https://w3id.org/klimatgraf/id/concepts> ; skos:narrower kgc:cykel, kgc:laddning, kgc:trafik ;
  skos:prefLabel "Transport"@sv, "Transport"@en ; skos:definition "Transporter."@sv .
kgc:cykel a skos:Concept ; skos:inScheme <https://w3id.org/klimatgraf/id/concepts> ; skos:broader kgc:transport ;
  skos:prefLabel "Cykling"@sv, "Cycling"@en ; skos:altLabel "cykel"@sv ; kg:negativeLabel "livscykel"@sv ;
  skos:definition "Cykling."@sv .
kgc:laddning a skos:Concept ; skos:inScheme <https://w3id.org/klimatgraf/id/concepts> ; skos:broader kgc:transport ;
  skos:prefLabel "Laddinfrastruktur"@sv, "Charging"@en ; skos:altLabel "laddning"@sv, "laddstolpe"@sv ;
  skos:definition "Laddning av elfordon."@sv .
kgc:trafik a skos:Concept ; skos:inScheme <https://w3id.org/klimatgraf/id/concepts> ; skos:broader kgc:transport ;
  skos:prefLabel "Kollektivtrafik"@sv, "Public transport"@en ; skos:altLabel "rivning"@sv ;
  skos:definition "Kollektivtrafik."@sv .
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vocab") / "concepts.ttl"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def matcher(small: Path) -> Matcher:
    return matcher_for(read_scheme(small), (), SWEDISH_STOPWORDS)


def _found(matcher: Matcher, text: str) -> list[tuple[str, str]]:
    return [(m.concept.removeprefix(KGC), text[m.start : m.end]) for m in matcher.find(text)]


# ----------------------------------------------------------------------------- the scheme


def test_the_shipped_vocabulary_reads_and_holds_its_rules() -> None:
    scheme = read_scheme()
    assert len(scheme.concepts) >= 150
    assert 10 <= len(scheme.top) <= 14
    for concept in scheme.concepts:
        assert concept.pref_sv and concept.pref_en and concept.definition, concept.iri
        assert concept.top or concept.broader, concept.iri
        assert scheme.top_of(concept.iri) in {t.iri for t in scheme.top}
    labels = [" ".join(t.casefold().split()) for c in scheme.concepts for t in (c.pref_sv, *c.alt_sv)]
    assert len(labels) == len(set(labels)), "a Swedish label leads to two concepts"


def test_every_label_with_swedish_letters_has_its_typed_form() -> None:
    for concept in read_scheme().concepts:
        for label in (concept.pref_sv, *concept.alt_sv):
            if set(label) & set("åäöÅÄÖ"):
                typed = label.translate(str.maketrans("åäöÅÄÖ", "aaoAAO")).casefold()
                assert typed in {h.casefold() for h in concept.hidden}, (concept.iri, label)


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        (lambda t: t.replace('skos:definition "Mat."@sv .', 'skos:definition "Mat."@sv'), "not valid Turtle"),
        (lambda t: t.replace('"Food waste"@en ;', '"Mat"@en ;').replace('"Matsvinn"@sv', '"Mat"@sv'), "names both"),
        (lambda t: t.replace('"cykel"@sv', '"laddning"@sv'), "names both"),
        (lambda t: t.replace("skos:topConceptOf <https://w3id.org/klimatgraf/id/concepts> ; skos:narrower kgc:matsvinn", "skos:broader kgc:matsvinn ; skos:narrower kgc:matsvinn"), "cycle"),
        (lambda t: t.replace(', "Cycling"@en', ""), "English skos:prefLabel"),
        (lambda t: t.replace("skos:broader kgc:transport ;\n  skos:prefLabel \"Cykling\"", "skos:prefLabel \"Cykling\"").replace("kgc:cykel, ", ""), "reached from no top concept"),
    ],
    ids=["broken-turtle", "shared-preflabel", "shared-altlabel", "broader-cycle", "no-english-label", "unreachable"],
)  # fmt: skip
def test_a_broken_vocabulary_is_one_error_naming_the_file_and_the_fault(tmp_path: Path, change, fault: str) -> None:
    path = tmp_path / "concepts.ttl"
    path.write_text(change(SMALL), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_scheme(path)
    message = str(raised.value)
    assert str(path) in message and fault in message and "\n" not in message


# ----------------------------------------------------------------------------- the matcher


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Arbetet mot matsvinn fortsätter.", [("matsvinn", "matsvinn")]),
        ("MATSVINNET i skolorna minskar.", [("matsvinn", "MATSVINNET")]),  # case-folded, inflected
        ("Matsvinnsarbetet har gett resultat.", [("matsvinn", "Matsvinnsarbetet")]),  # first part, linking -s
        ("Vi bygger ut elbilsladdning.", [("laddning", "elbilsladdning")]),  # last part of a compound
        ("Laddstolparna vid stationen.", [("laddning", "Laddstolparna")]),
        ("Laddinfrastrukturen byggs ut.", [("laddning", "Laddinfrastrukturen")]),
        ("All mat som slängs vägs.", [("matsvinn", "mat som slängs")]),  # a phrase, not its word "mat"
        ("En livscykelanalys görs.", []),  # the negative label rules the cycling label out
        ("Cyklar parkeras vid stationen.", []),  # stem shared but not the label's letters: no guess
        ("En beskrivning av läget.", []),  # "besk" cannot begin a compound: no "rivning"
        ("Utbyggnad av cykelbanor.", [("cykel", "cykelbanor")]),
        ("Food waste is measured.", [("matsvinn", "Food waste")]),  # English labels match whole words
    ],
)
def test_labels_match_as_swedish_words_and_compound_parts(matcher: Matcher, text: str, expected: list) -> None:
    assert _found(matcher, text) == expected


def test_a_match_inside_a_longer_match_of_another_concept_gives_way(matcher: Matcher) -> None:
    # "mat" (Mat) is inside "mat som slängs" (Matsvinn): the reading is the specific one
    assert [c for c, _ in _found(matcher, "mat som slängs")] == ["matsvinn"]


def test_spans_point_at_the_words_in_the_text_as_given(matcher: Matcher) -> None:
    text = "Kommunen mäter Matsvinnet och bygger laddstolpar."
    for m in matcher.find(text):
        assert text[m.start : m.end] in ("Matsvinnet", "laddstolpar")


def test_the_dictionary_decides_what_may_begin_a_compound() -> None:
    found = hunspell()
    assert found is not None, "hunspell-sv is a dependency (pyproject.toml)"
    assert found.begins("klimat") and found.begins("elbils") and not found.begins("besk")


def test_without_a_known_word_after_it_a_label_does_not_begin_a_compound(small: Path) -> None:
    bare = Matcher(read_scheme(small), Lexicon((), Stems(), SWEDISH_STOPWORDS))
    assert _found(bare, "matsvinnsxyzqw") == []


def test_tags_of_a_text_group_every_span_of_a_concept(matcher: Matcher) -> None:
    tags = tag_text(matcher, "Matsvinn mäts. Matsvinnet minskar. En cykel.")
    by = {t.concept.removeprefix(KGC): t for t in tags}
    assert len(by["matsvinn"].spans) == 2 and by["matsvinn"].tier == 1 and by["matsvinn"].score == 1.0
    assert by["cykel"].classifier.startswith("labels-") and by["cykel"].classifier.endswith(matcher.scheme.digest[:12])


# ----------------------------------------------------------------------------- a build


def test_a_build_tags_paragraphs_in_the_graph_with_provenance(seed_build: Path) -> None:
    graph = Graph().parse(seed_build / "graph.ttl")
    tags = list(graph.subjects(RDF.type, KG.ConceptTag))
    assert tags
    manifest = json.loads((seed_build / "build.json").read_text(encoding="utf-8"))
    assert manifest["tags"] == len(tags)
    assert manifest["vocabulary"]["digest"] == read_scheme().digest
    for tag in tags[:50]:
        paragraph = graph.value(tag, PROV.wasDerivedFrom)
        text = str(graph.value(paragraph, KG.text))
        start, end = int(graph.value(tag, KG.spanStart)), int(graph.value(tag, KG.spanEnd))
        assert text[start:end] == str(graph.value(tag, KG.matchedText))
        assert (graph.value(tag, PROV.wasAttributedTo), RDF.type, KG.Classifier) in graph
        assert (graph.value(tag, KG.concept), None, None) in graph  # the vocabulary is in the graph
    matsvinn = URIRef(KGC + "matsvinn")
    assert any(graph.value(t, KG.concept) == matsvinn for t in tags)


def test_a_broken_vocabulary_in_the_data_directory_stops_the_build_and_keeps_the_last_one(
    tmp_path: Path, seed_build: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    build = tmp_path / "build"
    shutil.copytree(seed_build, build)
    before = (build / "graph.nt").read_bytes()
    (data / "concepts.ttl").write_text(default_vocabulary().read_text(encoding="utf-8") + "\nkgc:x a .\n")
    result = run_cli("build", "--no-index", "--data-dir", str(data), "--build-dir", str(build))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("klimatgraf: error")]
    assert len(lines) == 1 and "concepts.ttl" in lines[0] and "Turtle" in lines[0]
    assert (build / "graph.nt").read_bytes() == before


# ----------------------------------------------------------------------------- the CLI


def test_concepts_lists_the_vocabulary_in_every_format() -> None:
    listed = json.loads(run_cli("concepts", "--format", "json").stdout)
    assert len(listed) == len(read_scheme().concepts)
    csv = run_cli("concepts", "--under", "Mobilitet och transporter", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("concept,label_sv") and any(line.startswith("laddinfrastruktur,") for line in csv)
    ttl = run_cli("concepts", "--under", "matsvinn", "--format", "ttl")
    graph = Graph().parse(data=ttl.stdout, format="turtle")
    assert (URIRef(KGC + "matsvinn"), None, Literal("Matsvinn", lang="sv")) in graph


def test_concepts_says_which_label_matched_a_word_and_exits_1_when_none_does() -> None:
    found = run_cli("concepts", "matsvinnsarbetet", "--format", "json")
    rows = json.loads(found.stdout)
    assert found.returncode == 0 and rows[0]["concept"] == "matsvinn" and rows[0]["how"] == "compound"
    none = run_cli("concepts", "qwertyuiop", "--format", "json")
    assert none.returncode == 1 and json.loads(none.stdout) == [] and "no concept" in none.stderr
    bad = run_cli("concepts", "--under", "nothing-like-it")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


# ----------------------------------------------------------------------------- who-answers from the tags


@pytest.fixture(scope="module")
def who(e5_index: E5Index) -> Searcher:
    return Searcher(e5_index.path)


def test_a_question_that_names_a_concept_is_answered_from_the_tags(who: Searcher) -> None:
    answer = who.answer("vem arbetar med matsvinn?")
    assert answer.path == "concepts" and answer.reading.labels == ("Matsvinn",)
    assert answer.reading.said() == "läst som: Matsvinn"
    index = who.concepts
    assert index is not None
    tagged = index.rows(index.number(KGC + "matsvinn"))
    for town in answer.answering:
        assert town.path == "concepts" and town.concepts == ("Matsvinn",)
        for hit in town.evidence:
            row = next(i for i, e in enumerate(who.index.entries) if e["text"] == hit.text)
            assert row in tagged and not who.index.entries[row]["boilerplate"]  # own text, tagged
            assert hit.marks and "<mark>" in hit.html
            assert all(hit.text[a:b].casefold().startswith("matsvinn") for a, b in hit.marks)


def test_every_municipality_whose_own_text_names_the_concept_answers(who: Searcher) -> None:
    index = who.concepts
    assert index is not None
    number = index.number(KGC + "kollektivtrafik")
    expected = {
        who.index.entries[row]["members"][0]["municipality"]
        for row in index.rows(number)
        if not who.index.entries[row]["boilerplate"]
    }
    answer = who.answer("vem arbetar med kollektivtrafik", k=50)
    assert {m.municipality for m in answer.answering} == expected and expected


def test_a_known_concept_nobody_names_is_nobody_with_near_misses(who: Searcher) -> None:
    answer = who.answer("vem arbetar med kärnkraft")
    index = who.concepts
    assert index is not None and not index.rows(index.number(KGC + "karnkraft")) - {
        r for r, e in enumerate(who.index.entries) if e["boilerplate"]
    }
    assert answer.path == "concepts" and answer.answering == ()
    assert answer.nobody().startswith("Ingen kommun nämner Kärnkraft")
    assert answer.near and all(n.municipalities for n in answer.near)
    assert {n.relation for n in answer.near} <= {"related", "broader"}


def test_a_question_without_a_concept_falls_back_to_similarity_marked_uncertain(who: Searcher) -> None:
    answer = who.answer("vem har slutat elda med torv")
    assert answer.reading.concepts == () and answer.reading.said() == "inget begrepp i vokabulären"
    assert answer.path == "similarity" and answer.uncertain


def test_the_similarity_path_is_todays_answer(who: Searcher) -> None:
    answer = who.answer("vem arbetar med matsvinn?", path="similarity")
    assert [m.municipality for m in answer.municipalities] == [
        m.municipality for m in who.search_grouped("vem arbetar med matsvinn?")
    ]


def test_or_between_concepts_takes_any_and_otherwise_all(who: Searcher) -> None:
    either = who.answer("vem arbetar med cykling eller matsvinn", k=50)
    both = who.answer("vem arbetar med cykling och matsvinn", k=50)
    assert either.reading.any_of and not both.reading.any_of
    assert {m.municipality for m in both.answering} <= {m.municipality for m in either.answering}
    assert all(set(m.concepts) == {"Cykling", "Matsvinn"} for m in both.answering)


def test_a_question_naming_too_many_concepts_is_asked_to_narrow(who: Searcher) -> None:
    scheme = read_scheme()  # leaves: a broader concept named beside a narrower one is read as the narrower alone
    labels = [c.pref_sv for c in scheme.concepts if not scheme.descendants(c.iri)][:25]
    assert len(labels) == 25
    with pytest.raises(InputError, match="ask about fewer"):
        who.answer("vem arbetar med " + ", ".join(labels))


def test_the_cli_says_which_path_answered_and_exits_1_for_nobody(served_build: Path) -> None:
    found = run_cli(
        "search", "vem arbetar med matsvinn?", "--group", "municipality", "--build-dir", str(served_build), "-f", "json"
    )
    assert found.returncode == 0 and "läst som: Matsvinn" in found.stderr and "begreppen" in found.stderr
    rows = json.loads(found.stdout)
    assert rows and all(r["path"] == "concepts" and r["concepts"] == ["Matsvinn"] for r in rows)
    nobody = run_cli(
        "search", "vem arbetar med kärnkraft", "--group", "municipality", "--build-dir", str(served_build), "-f", "json"
    )
    assert nobody.returncode == 1 and json.loads(nobody.stdout) == []
    assert "Ingen kommun nämner Kärnkraft" in nobody.stderr and "visa fler" in nobody.stderr
    table = run_cli("search", "vem arbetar med matsvinn?", "--group", "municipality", "--build-dir", str(served_build))
    assert "**matsvinn**" in table.stdout.casefold()


def test_a_concept_and_a_narrower_one_read_as_the_narrower(who: Searcher) -> None:
    reading = who.read_concepts("vilka kommuner bygger laddstolpar för elbilar")
    assert reading.labels == ("Laddinfrastruktur",)  # a kind of Elfordon: asking for both is asking for it


def test_the_api_says_how_it_read_the_question_and_which_path_answered(served: str) -> None:
    import httpx

    found = httpx.get(f"{served}/api/search", params={"q": "vem arbetar med matsvinn", "group": "municipality"})
    assert found.status_code == 200 and found.headers["X-Klimatgraf-Answered-By"] == "concepts"
    assert "Matsvinn" in urllib.parse.unquote(found.headers["X-Klimatgraf-Concepts"])
    assert all(row["path"] == "concepts" for row in found.json())
    record = httpx.get(f"{served}/api/answer", params={"q": "vem arbetar med kärnkraft"}).json()
    assert record["path"] == "concepts" and record["municipalities"] == []
    assert record["nobody"].startswith("Ingen kommun nämner Kärnkraft") and record["near_misses"]
    assert record["read_as"]["labels"] == ["Kärnkraft"]
    plain = httpx.get(f"{served}/api/answer", params={"q": "vem arbetar med atervinning"})  # no å: read as spelled
    assert urllib.parse.unquote(plain.headers["X-Klimatgraf-Read-As"]) == "vem arbetar med återvinning"
    assert (
        "X-Klimatgraf-Read-As"
        not in httpx.get(f"{served}/api/answer", params={"q": "vem arbetar med återvinning"}).headers
    )
    bad = httpx.get(f"{served}/api/answer", params={"q": "  "})
    assert bad.status_code == 400
