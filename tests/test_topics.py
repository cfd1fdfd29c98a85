"""Municipalities compared by topic (issue 23): the municipality × concept matrix, its named queries,
its pictures and its bad input, on real builds of the seeds (and of the seeds with the fixture editions).

The expected numbers are never written here: each is read another way (the graph with SPARQL on
rdflib and on oxigraph, the named queries, the JSON's passage ids, the passages' own tags), and the
ways must agree. Timings are in bench/topics_bench.py, never asserted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import Graph

from conftest import DATA, ROOT, run_cli
from klimatgraf.concepts.scheme import read_scheme
from klimatgraf.errors import BuildCorruptError
from klimatgraf.sparql import RdflibEngine, named_query, open_engine, run
from klimatgraf.topics import matrix, profiles_from_graph, read_profiles

FIXTURES = ROOT / "tests" / "fixtures" / "editions"
SEEDS = {"Alvesta", "Avesta", "Kristinehamn", "Skellefteå", "Örnsköldsvik"}


@pytest.fixture(scope="module")
def editions_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seeds plus the fixture editions (Järfälla 2022 and 2024, Skellefteå 2023), graph only."""
    root = tmp_path_factory.mktemp("topics-editions")
    data = root / "data"
    shutil.copytree(DATA / "reference", data / "reference")
    shutil.copytree(DATA / "contracts", data / "contracts")
    for path in sorted(FIXTURES.glob("*.txt")):
        shutil.copy(path, data / "contracts" / path.name)
    result = run_cli("build", "--data-dir", str(data), "--build-dir", str(root / "build"), "--no-index")
    assert result.returncode == 0, result.stderr
    return data, root / "build"


def themes(build: Path, *args: str, data: Path = DATA) -> subprocess.CompletedProcess[str]:
    return run_cli("themes", *args, "--build-dir", str(build), "--data-dir", str(data))


def as_json(build: Path, *args: str, data: Path = DATA) -> dict:
    result = themes(build, *args, "--format", "json", data=data)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def cells(m: dict) -> dict[tuple[str, str, str], int]:
    return {
        (row["municipality"], row["edition"], c["label"]): row["cells"][c["id"]]["passages"]
        for row in m["rows"]
        for c in m["concepts"]
    }


# ----------------------------------------------------------------------------- one matrix, read three ways


def test_the_build_file_and_the_graph_give_the_same_profiles_on_both_engines(
    editions_build: tuple[Path, Path],
) -> None:
    """topics.json is a view of the graph: read back from the graph with SPARQL (rdflib, oxigraph) it is the same."""
    build = editions_build[1]
    from_file = read_profiles(build)
    graph = Graph().parse(build / "graph.nt", format="nt")
    for source in (RdflibEngine(graph), open_engine(build, "oxigraph")):
        from_graph = profiles_from_graph(source)
        assert from_graph.documents == from_file.documents
        assert from_graph.hierarchy.nodes == from_file.hierarchy.nodes
        for edition in ("latest", "all", "2022"):
            for level in (1, 2, 3):
                assert matrix(from_graph, edition=edition, level=level, keep_empty=True) == matrix(
                    from_file, edition=edition, level=level, keep_empty=True
                )


def test_the_named_queries_give_the_same_matrix_with_skos_broader(seed_build: Path) -> None:
    """`themes` (top concepts) and `concept-matrix` (every level) count what `klimatgraf themes` counts."""
    graph = Graph().parse(seed_build / "graph.nt", format="nt")
    top = {
        (r["municipality"], str(r["edition"]), r["theme"]): int(r["passages"])
        for r in run(graph, named_query("themes").text).plain_rows()
    }
    assert {k: v for k, v in cells(as_json(seed_build)).items() if v} == top
    every = {
        (r["municipality"], str(r["edition"]), r["concept"]): int(r["passages"])
        for r in run(graph, named_query("concept-matrix").text).plain_rows()
    }
    for level in (1, 2, 3):
        found = {k: v for k, v in cells(as_json(seed_build, "--level", str(level))).items() if v}
        assert found and found.items() <= every.items()
    assert sum(v for k, v in every.items()) == sum(
        sum(v for v in cells(as_json(seed_build, "--level", str(level))).values()) for level in (1, 2, 3)
    )


def test_every_cell_lists_the_passages_it_counts_and_each_is_tagged_under_its_concept(seed_build: Path) -> None:
    """The JSON's passage ids per cell: as many as the count, own text only, each tagged with the
    column's concept or a narrower one (read from the graph's kg:ConceptTag nodes)."""
    graph = Graph().parse(seed_build / "graph.nt", format="nt")
    tags = defaultdict(set)
    for r in run(
        graph,
        """PREFIX kg: <https://w3id.org/klimatgraf/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?p ?c ?template WHERE { ?t kg:concept ?c ; prov:wasDerivedFrom ?p . ?p kg:boilerplate ?template }""",
    ).plain_rows():
        tags[str(r["p"]).rsplit("/paragraph/", 1)[1]].add((str(r["c"]), bool(r["template"])))
    scheme = read_scheme()
    m = as_json(seed_build)
    for row in m["rows"]:
        for c in m["concepts"]:
            cell = row["cells"][c["id"]]
            assert len(cell["paragraphs"]) == cell["passages"] == len(set(cell["paragraphs"]))
            for pid in cell["paragraphs"]:
                assert pid.split("/")[0] in row["documents"]
                under = {t for t, template in tags[pid] if not template and c["concept"] in [t, *scheme.ancestors(t)]}
                assert under, (pid, c["label"])


def test_no_municipality_is_left_without_themes_and_no_two_top_concepts_say_the_same_thing(seed_build: Path) -> None:
    m = as_json(seed_build, "--keep-empty")
    assert {r["municipality"] for r in m["rows"]} == SEEDS
    for row in m["rows"]:  # Kristinehamn and Örnsköldsvik had no theme heading at all before
        assert sum(cell["passages"] for cell in row["cells"].values()) > 0, row["municipality"]
    scheme = read_scheme()
    tops = scheme.top
    assert len(tops) == len(m["concepts"]) == 13
    labels = [c.pref_sv.casefold() for c in tops]
    assert len(set(labels)) == len(labels)
    # no top concept's words lead to another top concept's subtree: read by the tagger's own matcher
    from klimatgraf.concepts.tagger import matcher_for, tag_text
    from klimatgraf.index.analyzer import SWEDISH_STOPWORDS

    matcher = matcher_for(scheme, (), SWEDISH_STOPWORDS)
    for top in tops:
        for label in (top.pref_sv, *top.alt_sv):
            named = {scheme.top_of(t.concept) for t in tag_text(matcher, label)}
            assert named <= {top.iri}, (top.pref_sv, label, named)


# ----------------------------------------------------------------------------- levels, under, editions


def test_under_a_concept_shows_its_narrower_ones_and_never_more_than_it(seed_build: Path) -> None:
    top = cells(as_json(seed_build))
    under = as_json(seed_build, "--under", "Mobilitet", "--keep-empty")
    assert under["under"]["label"] == "Mobilitet och transporter" and under["level"] == 2
    scheme = read_scheme()
    children = {scheme[c].pref_sv for c in scheme[under["under"]["concept"]].narrower}
    assert {c["label"] for c in under["concepts"]} == children
    for (town, edition, _), n in cells(under).items():
        assert n <= top[(town, edition, "Mobilitet och transporter")]
    deeper = as_json(seed_build, "--under", "mobilitet-och-transporter", "--level", "3", "--keep-empty")
    assert {c["level"] for c in deeper["concepts"]} == {3}
    assert all(scheme.top_of(c["concept"]).endswith("/mobilitet-och-transporter") for c in deeper["concepts"])


def test_empty_concepts_are_left_out_and_said_unless_kept(seed_build: Path) -> None:
    result = themes(seed_build, "--level", "3", "--format", "csv")
    assert result.returncode == 0, result.stderr
    kept = as_json(seed_build, "--level", "3", "--keep-empty")
    shown = result.stdout.splitlines()[0].split(",")[2:]
    empty = [c["label"] for c in kept["concepts"] if not any(r["cells"][c["id"]]["passages"] for r in kept["rows"])]
    assert empty and set(shown) == {c["label"] for c in kept["concepts"]} - set(empty)
    assert f"{len(empty)} concepts named by no municipality left out" in result.stderr


def test_editions_latest_all_and_a_year(editions_build: tuple[Path, Path]) -> None:
    data, build = editions_build
    latest = as_json(build, "--keep-empty", data=data)
    every = as_json(build, "--edition", "all", "--keep-empty", data=data)
    year = as_json(build, "--edition", "2022", "--keep-empty", data=data)

    def rows(m: dict, town: str) -> list[tuple[str, list[str]]]:
        return [(r["edition"], r["documents"]) for r in m["rows"] if r["municipality"] == town]

    assert rows(latest, "Järfälla") == [("2024", ["jarfalla-klimatkontrakt-2024"])]
    assert rows(every, "Järfälla") == [
        ("2022", ["jarfalla-klimatkontrakt-2022"]),
        ("2024", ["jarfalla-klimatkontrakt-2024"]),
    ]
    assert rows(every, "Skellefteå") == [
        ("2023", ["skelleftea-klimatkontrakt-2023"]),
        ("2025", ["skelleftea-klimatkontrakt"]),
    ]
    assert [(r["municipality"], r["edition"]) for r in year["rows"]] == [("Järfälla", "2022")]
    # the same edition gives the same cells whichever selection it is read in
    assert year["rows"][0]["cells"] == next(r["cells"] for r in every["rows"] if r["edition"] == "2022")
    assert next(r["cells"] for r in latest["rows"] if r["municipality"] == "Järfälla") == next(
        r["cells"] for r in every["rows"] if r["municipality"] == "Järfälla" and r["edition"] == "2024"
    )
    assert "latest edition of each municipality" in themes(build, data=data).stderr


def test_naming_municipalities_keeps_their_rows(seed_build: Path) -> None:
    m = as_json(seed_build, "alvesta", "0764", "Ornskoldsvik", "--keep-empty")
    assert [r["municipality"] for r in m["rows"]] == ["Alvesta", "Örnsköldsvik"]
    full = {r["municipality"]: r["cells"] for r in as_json(seed_build, "--keep-empty")["rows"]}
    assert all(r["cells"] == full[r["municipality"]] for r in m["rows"])


# ----------------------------------------------------------------------------- a cell opened


def test_show_lists_the_cells_passages_with_the_tagged_words_marked(seed_build: Path) -> None:
    m = as_json(seed_build)
    (row,) = [r for r in m["rows"] if r["municipality"] == "Alvesta"]
    busiest = max(m["concepts"], key=lambda c: row["cells"][c["id"]]["passages"])
    result = themes(seed_build, "--show", f"Alvesta:{busiest['label']}", "--format", "json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert [p["pid"] for p in shown["passages"]] == row["cells"][busiest["id"]]["paragraphs"]
    for p in shown["passages"]:
        assert p["concepts"]
        for tag in p["concepts"]:  # each tag's span holds the words the graph says it matched
            assert p["text"][tag["start"] : tag["end"]] == tag["matched"]
            assert f"<mark>{tag['matched']}" in p["html"] or tag["matched"] in p["html"]
        assert p["html"].count("<mark>") >= 1
    table = themes(seed_build, "--show", f"alvesta:{busiest['id']}", "--format", "markdown")
    assert table.returncode == 0 and table.stdout.count("**") >= 2 * len(shown["passages"])


def test_an_empty_cell_is_a_negative_answer_exit_1(seed_build: Path) -> None:
    m = as_json(seed_build, "--keep-empty")
    (row,) = [r for r in m["rows"] if r["municipality"] == "Alvesta"]
    empty = next(c for c in m["concepts"] if row["cells"][c["id"]]["passages"] == 0)
    for fmt, stdout in (("csv", "municipality,edition,concept,paragraph,section,text\n"), ("table", "")):
        result = themes(seed_build, "--show", f"Alvesta:{empty['label']}", "--format", fmt)
        assert result.returncode == 1 and result.stdout == stdout, (result.returncode, result.stdout, result.stderr)
        assert "0 passages" in result.stderr
    shown = themes(seed_build, "--show", f"Alvesta:{empty['label']}", "--format", "json")
    assert shown.returncode == 1 and json.loads(shown.stdout)["passages"] == []


# ----------------------------------------------------------------------------- pictures


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_the_matrix_as_a_picture(seed_build: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"m.{fmt}"
    result = themes(seed_build, "--format", fmt, "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and f"wrote {out}" in result.stderr
    data = out.read_bytes()
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    else:
        svg = ET.fromstring(data)
        assert svg.tag.endswith("svg")
        texts = "".join(svg.itertext())
        assert "Egna stycken per kommun och begrepp" in texts or b"<path" in data
    again = tmp_path / f"again.{fmt}"
    assert themes(seed_build, "--format", fmt, "--output", str(again)).returncode == 0
    assert again.read_bytes() == data  # the same matrix, the same picture


def test_matplotlib_is_imported_only_for_a_picture(seed_build: Path) -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from klimatgraf.cli import app\n"
        f"r = CliRunner().invoke(app, ['themes', '--build-dir', {str(seed_build)!r}, '--format', 'csv'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--level", "0"], "--level must be 1 or more"),
        (["--level", "9"], "no concepts at level 9"),
        (["--under", "Rymdfart"], "unknown concept 'Rymdfart'"),
        (["--under", "Kärnkraft"], "has no narrower concepts"),
        (["--under", "Laddinfrastruktur", "--level", "2"], "is above it"),
        (["--edition", "2019"], "no edition of 2019 in the graph"),
        (["--edition", "förra"], "--edition must be latest, all or a year"),
        (["Alvestaa"], "did you mean Alvesta?"),
        (["--show", "Alvesta"], "--show takes MUNICIPALITY:CONCEPT"),
        (["--show", "Alvesta:Rymdfart"], "unknown concept"),
        (["--show", "Alvesta:Energisystem", "--format", "svg"], "--show lists passages"),
        (["--format", "png", "--output", "/no/such/dir/m.png"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(seed_build: Path, args: list[str], says: str) -> None:
    result = themes(seed_build, *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("klimatgraf: error: ") and says in lines[0], result.stderr
    assert result.stdout == ""


def test_a_damaged_topics_file_is_one_line_and_a_build_without_one_reads_the_graph(
    seed_build: Path, tmp_path: Path
) -> None:
    build = tmp_path / "build"
    shutil.copytree(seed_build, build, ignore=shutil.ignore_patterns(".oxigraph", ".lock", ".commit.lock"))
    expected = as_json(seed_build)
    (build / "topics.json").write_text("{}", encoding="utf-8")
    result = themes(build)
    assert result.returncode == 2 and "topics.json" in result.stderr and "klimatgraf build" in result.stderr
    with pytest.raises(BuildCorruptError):
        read_profiles(build)
    # a build made before topics.json: build.json does not list it; the matrix is read from the graph
    manifest = json.loads((build / "build.json").read_text(encoding="utf-8"))
    del manifest["files"]["topics.json"]
    manifest.pop("manifest_sha256", None)
    (build / "build.json").write_text(json.dumps(manifest), encoding="utf-8")
    (build / "topics.json").unlink()
    assert as_json(build) == expected


# ----------------------------------------------------------------------------- twins by topic


@pytest.fixture(scope="module")
def generated_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated corpus of 8 documents (bench/make_corpus.py): twins whose pioneers have a contract too
    (the seeds have none: their pioneers' contracts are not among them)."""
    data = tmp_path_factory.mktemp("topics-generated") / "data"
    made = subprocess.run([sys.executable, str(ROOT / "bench" / "make_corpus.py"), "8", str(data), "--seed", "1"],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert made.returncode == 0, made.stderr
    build = data.parent / "build"
    built = run_cli("build", "--no-index", "--data-dir", str(data), "--build-dir", str(build))
    assert built.returncode == 0, built.stderr
    return build


def test_twin_concepts_lists_what_one_side_of_a_pair_names_and_the_other_does_not(generated_build: Path) -> None:
    """The named query against the matrix of every level: for each twin–pioneer pair with two contracts,
    the concepts (any level) under which one side has own passages and the other none."""
    graph = Graph().parse(generated_build / "graph.nt", format="nt")
    rows = run(graph, named_query("twin-concepts").text).plain_rows()
    pairs = {(r["twin"], r["pioneer"]) for r in run(graph, named_query("twins").text).plain_rows()}
    profiles = read_profiles(generated_build)
    counts: dict[str, dict[str, int]] = {}
    for level in range(1, profiles.hierarchy.depth + 1):
        for row in matrix(profiles, level=level).rows:
            counts.setdefault(row.municipality, {}).update({c: len(p) for c, p in row.cells.items()})
    expected = set()
    for twin, pioneer in pairs:
        if twin not in counts or pioneer not in counts:
            continue
        for a, b, relation in ((twin, pioneer, "pioneer"), (pioneer, twin, "twin")):
            for concept, n in counts[a].items():
                if not counts[b].get(concept):
                    expected.add((a, b, relation, profiles.hierarchy[concept].label, n))
    found = {(r["municipality"], r["partner"], r["relation"], r["concept"], int(r["passages"])) for r in rows}
    assert expected and found == expected
