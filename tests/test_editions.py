"""Editions as a timeline (issue 14): history, diff, --edition, the latest-edition default, SHACL.

A real build (CLI, graph only) of the seeds plus the fixture editions of tests/fixtures/editions:
Järfälla 2022 and 2024 (our own prose) and Skellefteå 2023 next to the seed Skellefteå 2025-2026.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from conftest import run_cli
from klimatgraf.corpus import load_corpus
from klimatgraf.editions import entry_allowed, restrict
from klimatgraf.index import make_entries
from klimatgraf.namespaces import KG
from klimatgraf.validate import validate

FIXTURES = Path(__file__).parent / "fixtures" / "editions"


def _data(root: Path, data_dir: Path, extra: dict[str, str] | None = None) -> Path:
    data = root / "data"
    shutil.copytree(data_dir / "reference", data / "reference")
    shutil.copytree(data_dir / "contracts", data / "contracts")
    for path in sorted(FIXTURES.glob("*.txt")):
        shutil.copy(path, data / "contracts" / path.name)
    for name, text in (extra or {}).items():
        (data / "contracts" / name).write_text(text, encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def editions_build(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("editions")
    data = _data(root, data_dir)
    result = run_cli("build", "--data-dir", str(data), "--build-dir", str(root / "build"), "--no-index")
    assert result.returncode == 0, result.stderr
    assert "superseded" not in result.stderr.casefold()
    return data, root / "build"


def cli(build: tuple[Path, Path], *args: str) -> tuple[int, str, str]:
    data, build_dir = build
    result = run_cli(*args, "--data-dir", str(data), "--build-dir", str(build_dir))
    return result.returncode, result.stdout, result.stderr


def query(build: tuple[Path, Path], *args: str) -> tuple[int, str, str]:
    result = run_cli("query", *args, "--build-dir", str(build[1]))
    return result.returncode, result.stdout, result.stderr


# ----------------------------------------------------------------------------- history


def test_history_lists_the_editions_of_one_municipality(editions_build: tuple[Path, Path]) -> None:
    code, out, _ = cli(editions_build, "history", "jarfalla", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["version"], r["signed"], r["type"], r["document"], r["latest"]) for r in rows] == [
        ("2022", "2022-12-02", "klimatkontrakt", "jarfalla-klimatkontrakt-2022", False),
        ("2024", "2024-12-03", "klimatkontrakt", "jarfalla-klimatkontrakt-2024", True),
    ]


def test_history_of_a_seed_municipality_with_a_second_edition(editions_build: tuple[Path, Path]) -> None:
    code, out, _ = cli(editions_build, "history", "2482", "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("municipality,version,edition_year,signed,type,document,latest")
    assert [line.split(",")[1] for line in lines[1:]] == ["2023", "2025-2026"]


def test_history_of_an_unknown_name_suggests_one(editions_build: tuple[Path, Path]) -> None:
    code, out, err = cli(editions_build, "history", "Jarfala")
    assert code == 2 and out == ""
    assert "Järfälla" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_history_of_a_municipality_without_documents_is_an_input_error(editions_build: tuple[Path, Path]) -> None:
    code, _, err = cli(editions_build, "history", "Umeå")
    assert code == 2 and "no document in the graph" in err


# ----------------------------------------------------------------------------- diff


def _changes(out: str) -> dict[tuple[str, str, str], dict[str, object]]:
    return {(c["change"], c["category"], c["item"]): c for c in json.loads(out)["changes"]}


def test_diff_of_two_invented_editions(editions_build: tuple[Path, Path]) -> None:
    code, out, err = cli(editions_build, "diff", "Järfälla", "--format", "json")
    assert code == 0, err
    changes = _changes(out)
    positive = changes[("changed", "target", "Klimatpositiv, geografiskt område")]
    # 2022 "vill … vara klimatpositiv år 2050" is an ambition; 2024 sets it as a target ("målet … 2045")
    assert (positive["from"], positive["to"]) == ("2050 (ambition)", "2045")
    assert "klimatpositiv år 2050" in str(positive["from_evidence"])
    assert "klimatpositiv till år 2045" in str(positive["to_evidence"])
    assert positive["from_paragraph"].startswith("jarfalla-klimatkontrakt-2022/")  # type: ignore[union-attr]
    assert positive["to_paragraph"].startswith("jarfalla-klimatkontrakt-2024/")  # type: ignore[union-attr]
    assert changes[("added", "target", "Utsläpp per person, konsumtion")]["to"] == "2035 3 t/person"
    assert ("added", "organisation", "Region Stockholm") in changes
    assert ("removed", "organisation", "Viksjö gymnasium") in changes
    assert ("added", "theme", "Konsumtion") in changes
    assert ("added", "steering document", "Klimatfärdplan för Järfälla") in changes
    assert ("removed", "steering document", "Miljöprogram för Järfälla") in changes
    # what both editions say is no change: neutrality 2030, Järfällahus AB, Klimatstrategi (2021), the parties
    items = {item for _, _, item in changes}
    assert not items & {
        "Klimatneutralitet, geografiskt område",
        "Järfällahus AB",
        "Klimatstrategi för Järfälla kommun",
        "Formas",
    }
    for change in changes.values():  # every line carries its evidence on the side(s) it exists
        if change["change"] != "added":
            assert change["from_evidence"] and change["from_paragraph"]
        if change["change"] != "removed":
            assert change["to_evidence"] and change["to_paragraph"]
    assert "Järfälla 2022 (2022-12-02) → 2024 (2024-12-03)" in err


def test_diff_names_the_concepts_an_edition_added_or_dropped_with_their_passages(
    editions_build: tuple[Path, Path],
) -> None:
    """Issue 23: what the own text names, edition against edition, from the graph's concept tags; the broadest
    concept of a change is the row, the narrower ones that came with it are named in it."""
    import re

    from klimatgraf.topics import matrix, read_profiles

    code, out, _ = cli(editions_build, "diff", "Järfälla", "--format", "json")
    assert code == 0
    concepts = [c for c in json.loads(out)["changes"] if c["category"] == "concept"]
    assert {c["change"] for c in concepts} == {"added", "removed"}
    # the truth: the matrix of every level of each edition, read from topics.json
    profiles = read_profiles(editions_build[1])
    names: dict[str, set[str]] = {}
    for edition in ("2022", "2024"):
        names[edition] = set()
        for level in (1, 2, 3):
            (row,) = [r for r in matrix(profiles, edition=edition, level=level).rows if r.municipality == "Järfälla"]
            names[edition] |= {profiles.hierarchy[c].label for c, pids in row.cells.items() if pids}
    shown = {c["change"]: set() for c in concepts}
    for c in concepts:
        head, narrower = re.fullmatch(r"(.+?)(?: \((.+)\))?", c["item"]).groups()  # type: ignore[union-attr]
        shown[c["change"]] |= {head, *(narrower.split(", ") if narrower else ())}
        side, other = ("to", "from") if c["change"] == "added" else ("from", "to")
        assert c[f"{side}_passages"] and c[f"{side}_paragraph"] == c[f"{side}_passages"][0]
        assert c[f"{other}_paragraph"] is None and c[f"{other}_passages"] == []
        assert c[f"{side}"] == f"{len(c[side + '_passages'])} stycke{'n' if len(c[side + '_passages']) != 1 else ''}"
    assert shown["added"] == names["2024"] - names["2022"]
    assert shown["removed"] == names["2022"] - names["2024"]


def test_diff_of_a_seed_municipality_against_its_older_edition(editions_build: tuple[Path, Path]) -> None:
    code, out, _ = cli(editions_build, "diff", "Skellefteå", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert (result["from"]["version"], result["to"]["version"]) == ("2023", "2025-2026")
    changes = _changes(out)
    adopted = sorted(item.split(":")[0] for change, category, item in changes if category == "commitment")
    assert adopted == ["1", "2", "3", "4", "8"]  # the 2025 format's shared commitments are new
    assert all(change == "added" for change, category, _ in changes if category == "commitment")
    assert (
        "removed",
        "target",
        "Minskning mot basår, geografiskt område",
    ) in changes  # 60 % by 2030 (2023 edition only)
    assert ("removed", "organisation", "Luleå tekniska universitet") in changes
    # the organisation-scope neutrality by 2030 is in both editions
    assert not any(item == "Klimatneutralitet, organisationen" for _, _, item in changes)


def test_diff_with_explicit_editions_and_markdown(editions_build: tuple[Path, Path]) -> None:
    code, out, _ = cli(editions_build, "diff", "järfälla", "2024", "2022", "--format", "markdown")
    assert code == 0
    assert out.startswith("| change | category | item | from | to |")
    assert "| changed | target | Klimatpositiv, geografiskt område | 2045 | 2050 (ambition) |" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Alvesta",), "one edition"),
        (("Järfälla", "2019", "2024"), "no edition '2019'"),
        (("Järfälla", "2022"), "give both FROM and TO"),
        (("Järfälla", "2022", "2022"), "same edition"),
    ],
)
def test_diff_input_errors(editions_build: tuple[Path, Path], args: tuple[str, ...], message: str) -> None:
    code, out, err = cli(editions_build, "diff", *args)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


def test_diff_without_differences_exits_1(tmp_path: Path, data_dir: Path) -> None:
    same = (FIXTURES / "jarfalla-klimatkontrakt-2022.txt").read_text(encoding="utf-8")
    same = same.replace("VERSION 2022", "VERSION 2023").replace("2 december 2022", "1 december 2023")
    data = _data(tmp_path, data_dir, {"jarfalla-klimatkontrakt-2023.txt": same})
    build = run_cli("build", "--data-dir", str(data), "--build-dir", str(tmp_path / "build"), "--no-index")
    assert build.returncode == 0, build.stderr
    code, out, err = cli((data, tmp_path / "build"), "diff", "Järfälla", "2022", "2023", "--format", "json")
    assert code == 1, err
    assert json.loads(out)["changes"] == [] and "0 changes" in err


# ----------------------------------------------------------------------------- --edition


def test_named_queries_use_the_latest_edition_by_default_and_say_so(editions_build: tuple[Path, Path]) -> None:
    code, out, err = query(editions_build, "municipalities", "--format", "csv")
    assert code == 0
    rows = [line.split(",") for line in out.strip().splitlines()[1:]]
    assert sorted((r[0], r[3]) for r in rows if r[0] in ("Järfälla", "Skellefteå")) == [
        ("Järfälla", "2024"),
        ("Skellefteå", "2025-2026"),
    ]
    assert "latest edition" in err and "--edition" in err


def test_edition_all_and_year(editions_build: tuple[Path, Path]) -> None:
    _, every, _ = query(editions_build, "municipalities", "--format", "csv", "--edition", "all")
    assert sum(line.startswith("Järfälla,") for line in every.splitlines()) == 2
    code, targets, err = query(editions_build, "targets", "--format", "csv", "--edition", "2022")
    assert code == 0 and "editions of 2022" in err
    rows = {tuple(line.split(",")[:4]) for line in targets.strip().splitlines()[1:]}
    assert rows == {
        ("Järfälla", "geographic", "neutrality", "2030"),
        ("Järfälla", "geographic", "annual_reduction", "2050"),
    }  # "vill … vara klimatpositiv år 2050" is an ambition, not a target (see the goals query)
    assert "percent/year" in targets


@pytest.mark.parametrize(
    "name", ["targets", "neutrality-targets", "goals", "emissions", "organisations", "themes", "parties"]
)
def test_every_edition_shown_has_its_edition_column(editions_build: tuple[Path, Path], name: str) -> None:
    code, out, _ = query(editions_build, name, "--format", "csv", "--edition", "all")
    assert code == 0
    rows = [r for r in csv.DictReader(io.StringIO(out)) if r["municipality"] == "Järfälla"]
    assert rows and {r["edition"] for r in rows} == {"2022", "2024"}  # rows of both editions, told apart
    keyed = [tuple(r.values()) for r in rows]
    assert len(keyed) == len(set(keyed))  # no row looks duplicated


def test_goals_keep_the_ambition_the_targets_leave_out(editions_build: tuple[Path, Path]) -> None:
    _, out, _ = query(editions_build, "goals", "--format", "csv", "--edition", "2022")
    assert "Järfälla,ambition,geographic,positive,2050" in out
    _, compared, _ = cli(editions_build, "compare", "Järfälla", "--format", "csv", "--edition", "2022")
    assert "Ambitioner och budgetar" in compared and "klimatpositiv 2050 (ambition)" in compared


def test_compare_shows_version_and_signing_date_in_rows_of_their_own(editions_build: tuple[Path, Path]) -> None:
    _, out, _ = cli(editions_build, "compare", "Järfälla", "Avesta", "--format", "csv")
    rows = {line.split(",")[0]: line.split(",")[1:] for line in out.strip().splitlines()}
    assert rows["Version"] == ["2024", ""] and rows["Undertecknad"] == ["2024-12-03", "2025-12-05"]
    assert "Version / undertecknad" not in rows


def test_shortcut_triples_follow_the_chosen_edition(editions_build: tuple[Path, Path]) -> None:
    _, latest, _ = query(editions_build, "organisations", "--format", "csv")
    _, every, _ = query(editions_build, "organisations", "--format", "csv", "--edition", "all")
    assert "Viksjö gymnasium" not in latest and "Viksjö gymnasium" in every  # only in Järfälla's 2022 edition
    assert "Region Stockholm" in latest


@pytest.mark.parametrize("value", ["nyast", "1999x", "2019"])
def test_bad_edition_is_an_input_error(editions_build: tuple[Path, Path], value: str) -> None:
    code, out, err = query(editions_build, "targets", "--edition", value)
    assert code == 2 and out == "" and "edition" in err and "Traceback" not in err


def test_compare_uses_the_latest_edition(editions_build: tuple[Path, Path]) -> None:
    code, out, err = cli(editions_build, "compare", "Järfälla", "--format", "csv")
    assert code == 0 and "latest edition" in err
    assert "klimatpositiv 2045" in out and "2050" not in out
    _, old, _ = cli(editions_build, "compare", "Järfälla", "--format", "csv", "--edition", "2022")
    assert "klimatpositiv 2050" in old


def test_a_graph_of_single_editions_is_used_as_it_is(seed_build: Path) -> None:
    code, _, err = query((seed_build, seed_build), "municipalities")
    assert code == 0 and "edition" not in err


# ----------------------------------------------------------------------------- graph, SHACL, index


def test_the_build_with_editions_conforms_and_marks_the_latest(editions_build: tuple[Path, Path]) -> None:
    graph = Graph().parse(editions_build[1] / "graph.ttl")
    assert validate(graph).conforms
    flags = {str(d).rsplit("/", 1)[-1]: bool(v.toPython()) for d, v in graph.subject_objects(KG.latestEdition)}
    assert flags["jarfalla-klimatkontrakt-2022"] is False and flags["jarfalla-klimatkontrakt-2024"] is True
    assert flags["skelleftea-klimatkontrakt"] is True and flags["skelleftea-klimatkontrakt-2023"] is False


def test_restrict_leaves_out_the_other_editions_and_keeps_the_rest(editions_build: tuple[Path, Path]) -> None:
    graph = Graph().parse(editions_build[1] / "graph.ttl")
    kept = restrict(
        graph, [str(d).rsplit("/", 1)[-1] for d, v in graph.subject_objects(KG.latestEdition) if v.toPython()]
    )
    docs = {str(d).rsplit("/", 1)[-1] for d in kept.subjects(KG.municipality, None)}
    assert "jarfalla-klimatkontrakt-2022" not in docs and "jarfalla-klimatkontrakt-2024" in docs
    assert not any("jarfalla-klimatkontrakt-2022" in str(s) for s in kept.subjects())
    assert validate(kept).conforms


def test_search_index_entries_carry_the_edition(tmp_path: Path, data_dir: Path) -> None:
    corpus = load_corpus(_data(tmp_path, data_dir))
    entries = make_entries(corpus.paragraphs, corpus.documents)
    members = [m for e in entries for m in e["members"]]
    old = [m for m in members if m["doc_id"] == "jarfalla-klimatkontrakt-2022"]
    assert old and all(m["version"] == "2022" and m["edition_year"] == 2022 and not m["latest"] for m in old)
    assert not any(entry_allowed(m, "latest") for m in old)
    assert all(entry_allowed(m, "2022") and entry_allowed(m, "all") for m in old)
    own = [e for e in entries if e["text"].startswith("Klimatarbetet leds av kommunstyrelsen")]
    # the same own paragraph in two editions of one municipality is one entry, and not template
    assert len(own) == 1 and len(own[0]["members"]) == 2 and not own[0]["boilerplate"]


# ----------------------------------------------------------------------------- the web API


@pytest.fixture(scope="module")
def api(editions_build: tuple[Path, Path]) -> object:
    """The real FastAPI app over the editions build's graph. The search index is not built here
    (embedding ~600 paragraphs is slow); the edition routes never touch it, so no searcher is given."""
    from fastapi.testclient import TestClient

    from klimatgraf.corpus import load_gazetteer
    from klimatgraf.serve import QueryRunner, Service, create_app, fixed_answers
    from klimatgraf.sparql import list_queries, load_graph

    data, build_dir = editions_build
    graph = load_graph(build_dir)
    service = Service(
        build_dir=build_dir,
        graph=graph,
        searcher=None,  # type: ignore[arg-type]
        runner=QueryRunner(graph),
        documents=[{"municipality": "Järfälla"}, {"municipality": "Skellefteå"}],
        paragraphs={},
        queries={q.name: {"name": q.name, "description": q.description, "query": q.text} for q in list_queries()},
        gazetteer=load_gazetteer(data),
    )
    service.fixed = fixed_answers(service)  # as load_service does
    return TestClient(create_app(service))


def test_api_history_and_diff(api: object, editions_build: tuple[Path, Path]) -> None:
    history = api.get("/api/history/j%C3%A4rf%C3%A4lla")  # type: ignore[attr-defined]
    assert history.status_code == 200
    _, cli_history, _ = cli(editions_build, "history", "Järfälla", "--format", "json")
    assert [e["document"] for e in history.json()] == [e["document"] for e in json.loads(cli_history)]
    diff = api.get("/api/diff/Järfälla")  # type: ignore[attr-defined]
    _, cli_diff, _ = cli(editions_build, "diff", "Järfälla", "--format", "json")
    assert diff.status_code == 200 and diff.json() == json.loads(cli_diff)
    older = api.get("/api/diff/Järfälla", params={"from": "2024", "to": "2022"})  # type: ignore[attr-defined]
    assert older.json()["from"]["version"] == "2024"


def test_api_edition_errors(api: object) -> None:
    unknown = api.get("/api/history/Jarfala")  # type: ignore[attr-defined]
    assert unknown.status_code == 404 and "Järfälla" in unknown.json()["error"]
    single = api.get("/api/diff/Alvesta")  # type: ignore[attr-defined]
    assert single.status_code == 404 and "one edition" in single.json()["error"]


def test_api_compare_uses_the_latest_edition(api: object) -> None:
    body = api.get("/api/compare", params={"m": "Järfälla"}).json()  # type: ignore[attr-defined]
    targets = next(r for r in body["rows"] if r["attribute"] == "Mål: geografiskt")
    assert "klimatpositiv 2045" in targets["Järfälla"] and "2050" not in targets["Järfälla"]


def test_api_named_queries_read_the_latest_edition(api: object) -> None:
    response = api.get("/api/query/municipalities", headers={"accept": "text/csv"})  # type: ignore[attr-defined]
    assert response.status_code == 200
    rows = [line.split(",") for line in response.text.strip().splitlines()[1:]]
    assert [r[3] for r in rows if r[0] == "Järfälla"] == ["2024"]


def test_search_reads_the_latest_edition_unless_told(tmp_path: Path, data_dir: Path) -> None:
    """A real build with the e5 index of Järfälla's two editions (small: ~75 passages to embed)."""
    data = tmp_path / "data"
    shutil.copytree(data_dir / "reference", data / "reference")
    (data / "contracts").mkdir()
    for path in sorted(FIXTURES.glob("jarfalla-*.txt")):
        shutil.copy(path, data / "contracts" / path.name)
    build = run_cli("build", "--data-dir", str(data), "--build-dir", str(tmp_path / "build"))
    assert build.returncode == 0, build.stderr

    def documents(*args: str) -> tuple[list[str], str]:
        result = run_cli("search", "elevråd för klimatet", "-k", "3", "--format", "json", *args,
                         "--build-dir", str(tmp_path / "build"))  # fmt: skip
        assert result.returncode == 0, result.stderr
        return [hit["document"] for hit in json.loads(result.stdout)], result.stderr

    latest, note = documents()
    assert latest and set(latest) == {"jarfalla-klimatkontrakt-2024"} and "latest edition" in note
    old, _ = documents("--edition", "2022")
    assert old and set(old) == {"jarfalla-klimatkontrakt-2022"}
    every, _ = documents("--edition", "all")
    # the elevråd paragraph is the 2022 edition's alone: found with every edition, never with the latest
    assert "jarfalla-klimatkontrakt-2022" in every
