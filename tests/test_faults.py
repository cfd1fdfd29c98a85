"""Faults: damaged build files, concurrent builds, reads during a build, and SIGKILL at random points.

The damaged-file sweep and the lock tests run in `make test`; the 20 random kills carry the
`reliability` marker and run in `make test-reliability` (also part of `.ci/run`).
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA, run_cli
from klimatgraf.errors import BuildCorruptError, BuildMissingError
from reliability_fixtures import e5_index, indexed_build, snapshot  # noqa: F401  (fixtures)

QUESTION = "vem arbetar med matsvinn?"
EXE = str(Path(sys.executable).parent / "klimatgraf")
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def answers(build: Path) -> tuple[str, str]:
    """`query twins` and `search` as JSON, run side by side through the real CLI."""
    procs = [
        subprocess.Popen(
            [EXE, *args, "--build-dir", str(build), "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for args in (("query", "twins"), ("search", QUESTION, "-k", "5"))
    ]
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        out.append(stdout)
    return out[0], out[1]


def changed_data(tmp_path: Path) -> Path:
    """The seeds minus one contract (one twin pair fewer) plus a new paragraph in another (new embeddings)."""
    data = tmp_path / "data-b"
    shutil.copytree(DATA, data)
    (data / "contracts" / "kristinehamn-fordjupad-avsiktsforklaring.txt").unlink()
    with (data / "contracts" / "skelleftea-klimatkontrakt.txt").open("a", encoding="utf-8") as handle:
        handle.write("\n\nSkellefteå kommun minskar matsvinnet i skolköken med en ny plan för kompostering.\n")
    return data


def documents_of(build: Path) -> list[str]:
    return [d["file"] for d in json.loads((build / "build.json").read_text(encoding="utf-8"))["documents_detail"]]


def lock_is_free(build: Path) -> bool:
    with (build / ".lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


@contextmanager
def held_lock(build: Path) -> Iterator[None]:
    with (build / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def stray_files(build: Path) -> list[str]:
    return sorted(p.relative_to(build).as_posix() for p in build.rglob("*") if p.name.endswith((".tmp", ".old")))


@pytest.fixture(scope="module")
def reference(indexed_build: Path) -> tuple[str, str]:  # noqa: F811
    return answers(indexed_build)


# ----------------------------------------------------------------------------- damaged files


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate" and data:
        path.write_bytes(data[: len(data) // 2])
    else:  # overwrite 16 bytes in the middle (or the whole of an empty/short file) with other bytes
        middle = max(0, len(data) // 2 - 8)
        garbage = bytes((b ^ 0x5A) for b in data[middle : middle + 16]) or b"\xff\xfe garbage \x00"
        path.write_bytes(data[:middle] + garbage + data[middle + 16 :])


def _files(build: Path) -> list[str]:
    return sorted(p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file())


class _Library:
    """query twins and search in-process (the code paths of the CLI, without 40 process starts)."""

    def __init__(self) -> None:
        from klimatgraf.embed import get_embedder

        self.embedder = get_embedder("e5")

    def twins(self, build: Path) -> Any:
        """The default path of `query twins` (oxigraph over the latest editions, issue 27): the build
        directory is a copy, so its store is made again from graph.nt, after its checksum."""
        from klimatgraf.editions import open_edition
        from klimatgraf.sparql import named_query

        engine, _ = open_edition(build, None, "latest")
        return engine.run(named_query("twins").text, trusted=True).plain_rows()

    def search(self, build: Path) -> Any:
        from klimatgraf.retrieval import Searcher

        return [h.to_dict() for h in Searcher(build / "index", model=self.embedder).search(QUESTION, k=5)]


DAMAGE_REPORT: dict[str, dict[str, str]] = {}


@pytest.mark.parametrize("how", ["truncate", "corrupt"])
def test_every_damaged_build_file_is_an_error_naming_it_or_changes_nothing(
    how: str,
    tmp_path: Path,
    indexed_build: Path,  # noqa: F811
) -> None:
    """Each file of a complete build damaged in turn: every reader gives the right answer or one clear error."""
    library = _Library()
    expected = {"twins": library.twins(indexed_build), "search": library.search(indexed_build)}
    names = _files(indexed_build)
    assert {"graph.nt", "graph.ttl", "build.json", "index/vectors.faiss", "index/manifest.json"} <= set(names)
    outcomes: dict[str, str] = {}
    for name in names:
        build = tmp_path / f"{how}-{names.index(name)}"
        shutil.copytree(indexed_build, build)
        _damage(build / name, how)
        results = []
        for reader in ("twins", "search"):
            try:
                answer = getattr(library, reader)(build)
            except (BuildCorruptError, BuildMissingError) as err:
                message = str(err)
                assert Path(name).name in message and "klimatgraf build" in message, (name, message)
                assert "\n" not in message
                results.append(f"{reader}: error")
                continue
            assert answer == expected[reader], f"{name} damaged ({how}): {reader} gave a wrong answer"
            results.append(f"{reader}: same answer")
        outcomes[name] = ", ".join(results)
        # every file a reader loads is checked: its damage must be an error, not ignored (the default
        # engine reads graph.nt; graph.ttl is checked by size only, so a same-size change goes unread)
        if name in ("graph.nt", "build.json") or (name == "graph.ttl" and how == "truncate"):
            assert "twins: error" in outcomes[name], name
        if name.startswith("index/"):
            assert "search: error" in outcomes[name], name
    DAMAGE_REPORT[how] = outcomes
    print(json.dumps(outcomes, indent=1))  # the table in docs/reliability.md


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("graph.nt", ("query", "twins")),
        ("build.json", ("query", "twins")),
        ("index/vectors.faiss", ("search", QUESTION)),
        ("index/bm25/data.csc.index.npy", ("search", QUESTION)),
    ],
)
def test_the_cli_names_the_damaged_file_and_the_fix(
    name: str,
    command: tuple[str, ...],
    tmp_path: Path,
    indexed_build: Path,  # noqa: F811
) -> None:
    build = tmp_path / "build"
    shutil.copytree(indexed_build, build)
    _damage(build / name, "truncate")
    result = run_cli(*command, "--build-dir", str(build), "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("klimatgraf: error: "), result.stderr
    assert Path(name).name in lines[0] and "run `klimatgraf build`" in lines[0]


def test_a_build_repairs_a_damaged_build(
    tmp_path: Path,
    indexed_build: Path,  # noqa: F811
    reference: tuple[str, str],
) -> None:
    build = tmp_path / "build"
    shutil.copytree(indexed_build, build)
    for name in ("graph.nt", "index/vectors.faiss", "index/entries.json"):
        _damage(build / name, "truncate")
    result = run_cli("build", "--data-dir", str(DATA), "--build-dir", str(build))
    assert result.returncode == 0, result.stderr
    assert answers(build) == reference


def test_a_damaged_embedding_cache_is_discarded_not_used(tmp_path: Path) -> None:
    import numpy as np

    from klimatgraf.embed import embed_with_cache
    from search_fixtures import CountingEmbedder

    texts = ["Alvesta kommun arbetar med matsvinn.", "Avesta kommun bygger cykelvägar.", "Energi och transporter."]
    first, embedded = embed_with_cache(CountingEmbedder(), texts, tmp_path)
    assert embedded == 3
    (vectors,) = tmp_path.glob("*/cache-v2.npz")
    _damage(vectors, "corrupt")  # same shape, other values
    again = CountingEmbedder()
    second, embedded = embed_with_cache(again, texts, tmp_path)
    assert embedded == 3 and np.allclose(first, second)


# ----------------------------------------------------------------------------- locks and concurrent reads


def test_a_second_build_fails_clearly_while_one_runs(tmp_path: Path, indexed_build: Path) -> None:  # noqa: F811
    build = tmp_path / "build"
    shutil.copytree(indexed_build, build)
    before = snapshot(build)
    with held_lock(build):
        result = run_cli("build", "--data-dir", str(DATA), "--build-dir", str(build), "--no-index")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "another klimatgraf build is running" in line and "--wait" in line
    assert snapshot(build) == before


def test_a_second_build_with_wait_runs_after_the_first(tmp_path: Path, indexed_build: Path) -> None:  # noqa: F811
    build = tmp_path / "build"
    shutil.copytree(indexed_build, build)
    with held_lock(build):
        waiting = subprocess.Popen(
            [EXE, "build", "--data-dir", str(DATA), "--build-dir", str(build), "--no-index", "--wait"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        time.sleep(3)
        assert waiting.poll() is None, "the second build did not wait for the lock"
    _, stderr = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, stderr


def test_two_real_builds_at_once(tmp_path: Path, indexed_build: Path) -> None:  # noqa: F811
    build = tmp_path / "build"
    shutil.copytree(indexed_build, build)
    shutil.rmtree(build / "cache")  # the first build embeds everything again: it runs long enough
    first = subprocess.Popen(
        [EXE, "build", "--data-dir", str(DATA), "--build-dir", str(build)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    deadline = time.monotonic() + 60
    while lock_is_free(build) and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.05)
    second = run_cli("build", "--data-dir", str(DATA), "--build-dir", str(build), "--no-index")
    first.kill()
    first.wait()
    assert second.returncode == 2
    assert "another klimatgraf build is running" in second.stderr


def test_reads_during_a_build_answer_from_the_last_complete_build(
    tmp_path: Path,
    indexed_build: Path,  # noqa: F811
    reference: tuple[str, str],
) -> None:
    build = tmp_path / "build"
    shutil.copytree(indexed_build, build)
    data = changed_data(tmp_path)
    builder = subprocess.Popen(
        [EXE, "build", "--data-dir", str(data), "--build-dir", str(build)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    seen: list[tuple[str, str]] = []
    while builder.poll() is None:
        seen.append(answers(build))  # query twins and search, side by side
    assert builder.returncode == 0, builder.stderr.read() if builder.stderr else ""
    new = answers(build)
    assert new[0] != reference[0] and new[1] != reference[1]
    assert seen and seen[0] == reference, "no read happened while the build ran"
    # Each reader (one process) sees the old build or the new one, never a mix. The two readers of a
    # round run side by side, so a commit may land between them: they are checked one by one.
    for part in (0, 1):
        answers_seen = [answer[part] for answer in seen]
        assert set(answers_seen) <= {reference[part], new[part]}
        # once the new build is visible, the old one never comes back
        first_new = answers_seen.index(new[part]) if new[part] in answers_seen else len(answers_seen)
        assert all(answer == new[part] for answer in answers_seen[first_new:])


# ----------------------------------------------------------------------------- SIGKILL at random points


KILLS = 20


@pytest.mark.reliability
def test_sigkill_at_random_points_never_breaks_the_build(
    tmp_path: Path,
    indexed_build: Path,  # noqa: F811
    reference: tuple[str, str],
) -> None:
    """Kill `klimatgraf build` of changed data 20 times at random moments of its run.

    After every kill: the lock is free, build.json still describes a complete build and
    `query twins` / `search` answer exactly as that build does (the previous one, or the new
    one when the kill came after its commit); then one build runs to the end.
    """
    data = changed_data(tmp_path)
    primed_cache = indexed_build / "cache"
    # how long a rebuild of the changed data runs (model load, new embeddings, index, commit)
    probe = tmp_path / "probe"
    shutil.copytree(indexed_build, probe)
    started = time.monotonic()
    done = run_cli("build", "--data-dir", str(data), "--build-dir", str(probe))
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    new_answers, new_documents = answers(probe), documents_of(probe)
    old_documents = documents_of(indexed_build)

    build = tmp_path / "build"
    shutil.copytree(indexed_build, build)
    rng = random.Random(8)
    kills, completed, runs = 0, 0, 0
    delays: list[float] = []
    while kills < KILLS and runs < 2 * KILLS:
        runs += 1
        shutil.rmtree(build / "cache")  # same work every run: the new passages are embedded again
        shutil.copytree(primed_cache, build / "cache")
        delay = rng.uniform(0.0, duration)
        builder = subprocess.Popen(
            [EXE, "build", "--data-dir", str(data), "--build-dir", str(build)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=ENV,
        )
        time.sleep(delay)
        if builder.poll() is None:
            builder.send_signal(signal.SIGKILL)
            kills += 1
            delays.append(round(delay, 2))
        else:
            completed += 1
        builder.wait()
        assert lock_is_free(build)
        documents = documents_of(build)
        assert documents in (old_documents, new_documents)
        assert answers(build) == (reference if documents == old_documents else new_answers)
    assert kills == KILLS, f"only {kills} kills in {runs} runs (build {duration:.1f} s)"
    final = run_cli("build", "--data-dir", str(data), "--build-dir", str(build))
    assert final.returncode == 0, final.stderr
    assert answers(build) == new_answers
    assert stray_files(build) == []
    print(f"{kills} kills, {completed} runs completed, build {duration:.1f} s, delays {sorted(delays)}")


def test_a_commit_cut_short_is_finished_by_the_next_reader(
    tmp_path: Path,
    indexed_build: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A build killed between two renames of its commit: readers see the new build whole, not a mix."""
    import klimatgraf.build as build_module
    import klimatgraf.store.journal as journal_module

    build = tmp_path / "build"
    shutil.copytree(indexed_build, build)
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "contracts" / "kristinehamn-fordjupad-avsiktsforklaring.txt").unlink()
    real_replace = os.replace
    renames: list[str] = []

    def dying_replace(src: Any, dst: Any) -> None:
        if Path(dst).parent == build and Path(dst).name in ("graph.nt", "graph.ttl", "index", "build.json"):
            if len(renames) == 1:  # the index is in place, the graph files and build.json are not
                raise KeyboardInterrupt
            renames.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(journal_module.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        build_module.build(data, build)
    monkeypatch.setattr(journal_module.os, "replace", real_replace)
    assert len(renames) == 1  # exactly one artefact of the new build was in place when it "died"
    assert (build / ".commit.json").exists()
    twins = run_cli("query", "twins", "--build-dir", str(build), "--format", "json")
    assert twins.returncode == 0, twins.stderr
    pairs = {(r["twin"]["value"], r["pioneer"]["value"]) for r in json.loads(twins.stdout)["results"]["bindings"]}
    assert pairs == {("Avesta", "Borlänge"), ("Alvesta", "Växjö")}  # the new build: Kristinehamn is gone
    assert not (build / ".commit.json").exists()
    assert "kristinehamn-fordjupad-avsiktsforklaring.txt" not in documents_of(build)
    hits = run_cli("search", "Kristinehamn", "--build-dir", str(build), "--format", "json")
    assert hits.returncode == 0, hits.stderr
    assert all(h["municipality"] != "Kristinehamn" for h in json.loads(hits.stdout))
    rebuilt = run_cli("build", "--data-dir", str(data), "--build-dir", str(build))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert stray_files(build) == []
