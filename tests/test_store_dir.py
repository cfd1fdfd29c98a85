"""klimatgraf.store, the one owner of the build directory: atomic writes, digests, build.json,
the snapshot a reader opens under one lock, commit and recovery after a crash, the layer rule.

(`test_store.py` is the shared triple store; this file is the build-directory store.)
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA, ROOT, run_cli
from klimatgraf.corpus import Corpus, load_overrides, save_override
from klimatgraf.errors import BuildCorruptError, BuildMissingError, InputError, LockError
from klimatgraf.index import build_index, read_index
from klimatgraf.sparql import read_graph
from klimatgraf.store import (
    BUILD_MANIFEST,
    FORMAT_VERSION,
    GRAPH_NT,
    JOURNAL,
    BuildManifest,
    DocumentRecord,
    build_lock,
    check_digests,
    commit,
    digest_of,
    open_snapshot,
    reading,
    recover,
    resolve_build_dir,
    sha256_of,
    staging_file,
    write_atomically,
)
from reliability_fixtures import snapshot as file_hashes
from search_fixtures import CountingEmbedder

SRC = ROOT / "src" / "klimatgraf"
# the keys build.json had before format_version (written by klimatgraf up to this change)
OLD_KEYS = {
    "documents", "paragraphs", "boilerplate", "triples", "facts", "seconds", "graph", "index", "embedded",
    "superseded", "from_cache", "klimatgraf", "built", "documents_detail", "files",
}  # fmt: skip
NEW_KEYS = {"format_version", "manifest_sha256", "tags", "vocabulary"}  # tags, vocabulary: issue 22


def final_files(build: Path) -> dict[str, str]:
    """sha256 of the build's files, staged temporary files left out."""
    return {name: digest for name, digest in file_hashes(build).items() if not name.endswith(".tmp")}


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.name.endswith((".tmp", ".old")))


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "src"), str(ROOT / "tests")) if p)}


@pytest.fixture()
def build(tmp_path: Path, seed_build: Path, corpus: Corpus) -> Path:
    """A copy of the real seed build (graph + build.json by the CLI) with a small index beside it."""
    target = tmp_path / "build"
    shutil.copytree(seed_build, target)
    build_index(corpus.paragraphs, corpus.documents, target / "index", CountingEmbedder(), cache_dir=tmp_path / "c")
    return target


# ----------------------------------------------------------------------------- write_atomically


def test_write_atomically_replaces_the_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    seen: list[Path] = []

    def write(tmp: Path) -> None:
        seen.append(tmp)
        tmp.write_text("new", encoding="utf-8")

    write_atomically(target, write)
    assert target.read_text(encoding="utf-8") == "new"
    (tmp,) = seen
    assert tmp.parent == tmp_path and tmp.name.startswith(".out.json.") and tmp.name.endswith(".tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # as a plain open() makes it, not mkstemp's 0600


def test_write_atomically_failing_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "nodes.csv"
    target.write_text("old content", encoding="utf-8")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half a fi", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nodes.csv"]

    def interrupted(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # Ctrl-C in the middle of a write: the same
        write_atomically(tmp_path / "new.csv", interrupted)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nodes.csv"]


def test_two_writers_of_one_path_at_the_same_moment_both_succeed(tmp_path: Path) -> None:
    """Both writers are inside write() at once (a barrier), so a shared temp name would collide."""
    target = tmp_path / "overrides.json"
    both_writing = threading.Barrier(2, timeout=30)
    temps: list[Path] = []
    errors: list[BaseException] = []

    def writer(text: str) -> None:
        def write(tmp: Path) -> None:
            temps.append(tmp)
            tmp.write_text(text * 1000, encoding="utf-8")
            both_writing.wait()

        try:
            write_atomically(target, write)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(text,)) for text in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(set(temps)) == 2  # two distinct temporary files
    assert target.read_text(encoding="utf-8") in ("a" * 1000, "b" * 1000)  # one whole write, not a mix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["overrides.json"]


def test_two_processes_saving_overrides_never_collide(tmp_path: Path) -> None:
    """corpus.save_override used a fixed `.json.tmp` name: two processes broke each other's rename."""
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from klimatgraf.corpus import save_override
        for i in range(40):
            save_override(Path(sys.argv[1]), f"{sys.argv[2]}-{i}.txt", municipality="0764", doc_type="klimatkontrakt")
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), name], env=env(), stderr=subprocess.PIPE)
        for name in ("first", "second")
    ]
    for proc in procs:
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr.decode()
    overrides = load_overrides(tmp_path)  # valid JSON: every write was whole
    assert {name.split("-")[0] for name in overrides} <= {"first", "second"} and overrides
    assert temp_files(tmp_path) == []
    save_override(tmp_path, "x.txt", municipality="0764", doc_type="klimatkontrakt")
    assert load_overrides(tmp_path)["x.txt"] == {"municipality": "0764", "type": "klimatkontrakt"}


# ----------------------------------------------------------------------------- digests


def test_digests_name_the_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "graph.nt"
    path.write_bytes(b"<a> <b> <c> .\n" * 100)
    import hashlib

    assert sha256_of(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    files = {"graph.nt": digest_of(path)}
    check_digests(tmp_path, files, "build.json", "run `klimatgraf build` to rebuild it")  # intact: no error
    path.write_bytes(path.read_bytes()[:-3] + b"x.\n")  # same size, other bytes
    with pytest.raises(BuildCorruptError, match=r"graph\.nt does not match its checksum in build\.json"):
        check_digests(tmp_path, files, "build.json", "run `klimatgraf build` to rebuild it")
    path.write_bytes(b"<a> <b> <c> .\n")
    with pytest.raises(BuildCorruptError, match=r"graph\.nt has 14 bytes, build\.json says 1400"):
        check_digests(tmp_path, files, "build.json", "fix")
    with pytest.raises(BuildCorruptError, match=r"graph\.nt without its size and checksum"):
        check_digests(tmp_path, {"graph.nt": 5}, "build.json", "fix")  # type: ignore[dict-item]


# ----------------------------------------------------------------------------- BuildManifest


def test_build_manifest_round_trip(tmp_path: Path) -> None:
    manifest = BuildManifest(
        documents_detail=(
            DocumentRecord("d1", "a.txt", "Alvesta", "0764", "klimatkontrakt", sha256="ab" * 32, version="2025-2026"),
            DocumentRecord("d2", "b.txt", "Växjö", "0780", "avsiktsforklaring"),
        ),
        files={"graph.nt": {"size": 10, "sha256": "cd" * 32}},
        documents=2,
        paragraphs=40,
        boilerplate=3,
        triples=500,
        facts=25,
        seconds=1.5,
        graph="build/graph.ttl",
        index="build/index",
        embedded=7,
        superseded=("old.txt (replaced by a.txt)",),
        from_cache=33,
        klimatgraf="1.0.0",
        built="2026-12-01T12:00:00Z",
    )
    (tmp_path / BUILD_MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    assert BuildManifest.read(tmp_path) == manifest
    data = json.loads(manifest.to_json())
    assert set(data) == OLD_KEYS | NEW_KEYS and data["format_version"] == FORMAT_VERSION
    assert "Växjö" in manifest.to_json()  # UTF-8, not \\u escapes, as before


def test_the_build_writes_the_old_keys_plus_format_version(seed_build: Path) -> None:
    data = json.loads((seed_build / BUILD_MANIFEST).read_text(encoding="utf-8"))
    assert set(data) == OLD_KEYS | NEW_KEYS
    del data["manifest_sha256"]
    manifest = BuildManifest.read(seed_build)
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.documents == len(manifest.documents_detail) > 0
    assert {d.file for d in manifest.documents_detail} <= {p.name for p in (DATA / "contracts").iterdir()}
    assert set(manifest.files) == {"graph.ttl", "graph.nt", "topics.json"}
    assert manifest.to_dict() == data  # nothing lost or changed in the round trip


def test_a_build_json_without_format_version_still_reads(tmp_path: Path, seed_build: Path) -> None:
    data = json.loads((seed_build / BUILD_MANIFEST).read_text(encoding="utf-8"))
    del data["format_version"], data["manifest_sha256"]  # as the previous version wrote it
    (tmp_path / BUILD_MANIFEST).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    manifest = BuildManifest.read(tmp_path)
    assert manifest.format_version == 1
    assert manifest == BuildManifest.read(seed_build)


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: "[]",  # not an object
        lambda text: "",  # empty
        lambda text: text.replace('"files"', '"filez"'),  # no checksums
        lambda text: text.replace('"documents_detail"', '"docs"'),  # no documents
        lambda text: text.replace('"kommunkod": "', '"kommunkod": 1, "x": "'),  # a wrong type
        lambda text: text.replace('"triples": ', '"triples": "many", "y": '),
        lambda text: text.replace(f'"format_version": {FORMAT_VERSION}', '"format_version": 99'),  # a newer format
        lambda text: text.replace(".txt", ".tx;", 1),  # still valid JSON, values all of the right type
        lambda text: text.replace('"sha256": "', '"sha256": "0', 1),
    ],
)
def test_a_malformed_build_json_is_one_line_naming_it(tmp_path: Path, seed_build: Path, damage: Any) -> None:
    text = (seed_build / BUILD_MANIFEST).read_text(encoding="utf-8")
    damaged = damage(text)
    assert damaged != text
    (tmp_path / BUILD_MANIFEST).write_text(damaged, encoding="utf-8")
    with pytest.raises(BuildCorruptError) as err:
        BuildManifest.read(tmp_path)
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / BUILD_MANIFEST) in message and "klimatgraf build" in message


def test_a_build_json_changed_but_valid_json_fails_the_graph_check_too(tmp_path: Path, seed_build: Path) -> None:
    """query/export read only build.json's checksums of the graph files; damage elsewhere in it is still an error."""
    from klimatgraf.sparql import load_graph

    build = tmp_path / "build"
    shutil.copytree(seed_build, build)
    text = (build / BUILD_MANIFEST).read_text(encoding="utf-8")
    (build / BUILD_MANIFEST).write_text(text.replace('"kommunkod": "0', '"kommunkod": "9', 1), encoding="utf-8")
    with pytest.raises(BuildCorruptError, match=r"build\.json is unreadable or lists no file checksums"):
        load_graph(build)


def test_a_missing_build_json_is_build_missing(tmp_path: Path) -> None:
    with pytest.raises(BuildMissingError, match=r"build\.json is missing; run `klimatgraf build` first"):
        BuildManifest.read(tmp_path)


# ----------------------------------------------------------------------------- Snapshot


def test_a_snapshot_holds_graph_index_and_manifest_of_one_build(build: Path) -> None:
    snap = open_snapshot(build, load_graph=read_graph, load_index=read_index)
    assert snap.build_dir == build
    assert len(snap.graph) == snap.manifest.triples > 0
    assert snap.index.path == build / "index" and snap.index.manifest.entries > 0
    assert snap.manifest == BuildManifest.read(build)


def test_a_snapshot_takes_the_reader_lock_once(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaders that lock themselves (load_graph, load_index) inside a snapshot take no second lock."""
    import klimatgraf.store.journal as journal
    from klimatgraf.index import load_index
    from klimatgraf.sparql import load_graph

    real = journal.read_lock
    taken: list[bool] = []

    def counting(build_dir: Path, exclusive: bool) -> Any:
        taken.append(exclusive)
        return real(build_dir, exclusive)

    monkeypatch.setattr(journal, "read_lock", counting)
    snap = open_snapshot(build, load_graph=load_graph, load_index=load_index)
    assert taken == [False] and len(snap.graph) > 0
    taken.clear()
    load_graph(build)  # alone it locks, once
    assert taken == [False]


def test_a_writer_cannot_commit_while_a_snapshot_is_opened(tmp_path: Path, build: Path) -> None:
    """A build holding the build lock and committing a new graph waits for the snapshot; the snapshot
    is wholly the old build, and the commit lands after it."""
    before = final_files(build)
    old_manifest = BuildManifest.read(build)
    script = textwrap.dedent(
        """
        import dataclasses, sys
        from pathlib import Path
        from klimatgraf.store import BUILD_MANIFEST, GRAPH_NT, BuildManifest, build_lock, commit, digest_of, staging_file
        build = Path(sys.argv[1])
        with build_lock(build):
            graph = staging_file(build / GRAPH_NT)
            graph.write_text((build / GRAPH_NT).read_text(encoding="utf-8") + "<urn:a> <urn:b> <urn:c> .\\n")
            old = BuildManifest.read(build)
            files = {**old.files, GRAPH_NT: digest_of(graph)}
            manifest = staging_file(build / BUILD_MANIFEST)
            manifest.write_text(dataclasses.replace(old, files=files, triples=old.triples + 1).to_json())
            print("committing", flush=True)
            commit(build, [(graph, build / GRAPH_NT), (manifest, build / BUILD_MANIFEST)])
        """
    )
    writer: list[subprocess.Popen[str]] = []

    def slow_graph(build_dir: Path) -> Any:
        graph = read_graph(build_dir)
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(build_dir)], env=env(), stdout=subprocess.PIPE, text=True
        )
        writer.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "committing"
        time.sleep(1.5)  # the writer now waits on the reader lock
        assert proc.poll() is None, "the commit did not wait for the snapshot"
        assert final_files(build_dir) == before
        return graph

    snap = open_snapshot(build, load_graph=slow_graph, load_index=read_index)
    (proc,) = writer
    assert proc.wait(timeout=60) == 0
    assert snap.manifest == old_manifest and len(snap.graph) == old_manifest.triples  # all of the old build
    new = open_snapshot(build, load_graph=read_graph, load_index=read_index)
    assert new.manifest.triples == old_manifest.triples + 1 == len(new.graph)  # then all of the new one
    assert temp_files(build) == [] and not (build / JOURNAL).exists()


def test_a_snapshot_of_a_damaged_or_missing_build_is_one_line(tmp_path: Path, build: Path) -> None:
    with pytest.raises(BuildMissingError, match="no graph in"):
        open_snapshot(tmp_path / "nothing", load_graph=read_graph, load_index=read_index)
    (build / GRAPH_NT).write_bytes((build / GRAPH_NT).read_bytes()[:-10])
    with pytest.raises(BuildCorruptError, match=r"graph\.nt has \d+ bytes, build\.json says"):
        open_snapshot(build, load_graph=read_graph, load_index=read_index)


# ----------------------------------------------------------------------------- commit, crash, recover

CRASHING_COMMIT = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from klimatgraf.store import BUILD_MANIFEST, GRAPH_NT, GRAPH_TTL, build_lock, commit, staging_file
    build = Path(sys.argv[1])
    real_replace = os.replace
    def dying_replace(src, dst):
        real_replace(src, dst)
        if Path(dst).name == GRAPH_TTL:
            os._exit(9)  # killed: no finally, no cleanup, the build lock released by the kernel
    with build_lock(build):
        moves = []
        for name in (GRAPH_TTL, GRAPH_NT, BUILD_MANIFEST):
            tmp = staging_file(build / name)
            tmp.write_text(f"new {name}", encoding="utf-8")
            moves.append((tmp, build / name))
        stray = staging_file(build / GRAPH_TTL)  # a staged file of no commit (an earlier dead build)
        os.replace = dying_replace
        commit(build, moves)
    """
)


def crash_mid_commit(build: Path) -> None:
    result = subprocess.run([sys.executable, "-c", CRASHING_COMMIT, str(build)], env=env(), timeout=120)
    assert result.returncode == 9
    assert (build / JOURNAL).exists()
    assert (build / "graph.ttl").read_text(encoding="utf-8") == "new graph.ttl"  # one rename done …
    assert (build / "graph.nt").read_text(encoding="utf-8") == "old graph.nt"  # … the others not


def old_build(directory: Path) -> Path:
    directory.mkdir()
    for name in ("graph.ttl", "graph.nt", BUILD_MANIFEST):
        (directory / name).write_text(f"old {name}", encoding="utf-8")
    return directory


def test_recover_finishes_a_commit_cut_short_and_removes_stale_files(tmp_path: Path) -> None:
    build = old_build(tmp_path / "build")
    crash_mid_commit(build)
    (build / ".index-old.abc.tmp").mkdir()  # what a killed index swap leaves
    with build_lock(build):  # as the next build does
        recover(build)
    for name in ("graph.ttl", "graph.nt", BUILD_MANIFEST):
        assert (build / name).read_text(encoding="utf-8") == f"new {name}"
    assert not (build / JOURNAL).exists()
    assert temp_files(build) == []


def test_recover_removes_what_a_build_killed_while_staging_any_file_leaves(tmp_path: Path) -> None:
    """Every file the build stages beside the graph (found by the reliability suite's SIGKILLs:
    topics.json's temp file once stayed behind)."""
    build = old_build(tmp_path / "build")
    staged = [f".{name}.0123456789ab.tmp" for name in ("graph.ttl", "graph.nt", "graph-latest.nt", "topics.json",
                                                        BUILD_MANIFEST, JOURNAL)]  # fmt: skip
    for name in staged:
        (build / name).write_text("half", encoding="utf-8")
    with build_lock(build):
        recover(build)
    assert temp_files(build) == []


def test_recover_leaves_a_live_readers_half_made_store_copy_alone(tmp_path: Path) -> None:
    """A reader makes oxigraph's on-disk copy of the graph under the reader lock; a build starting
    meanwhile once deleted it mid-load and the reader said "graph.nt is unreadable" (CI, stop 28).
    Recovery now waits until no reader holds the lock, then removes what a dead reader left."""
    build = old_build(tmp_path / "build")
    half_made = build / ".oxigraph" / ".graph.nt-1-2-3.0123456789ab.tmp"
    half_made.mkdir(parents=True)
    (half_made / "000001.sst").write_bytes(b"rows")
    done = threading.Event()

    def next_build() -> None:
        with build_lock(build):
            recover(build)
        done.set()

    with reading(build):  # the reader, mid-copy
        thread = threading.Thread(target=next_build)
        thread.start()
        assert not done.wait(1.0)  # recovery waits for the reader …
        assert (half_made / "000001.sst").read_bytes() == b"rows"
    thread.join(timeout=60)
    assert done.is_set()
    assert not half_made.exists()  # … and then removes what no live reader owns


def test_a_reader_finishes_a_commit_cut_short(tmp_path: Path) -> None:
    build = old_build(tmp_path / "build")
    crash_mid_commit(build)
    with reading(build):
        assert [(build / n).read_text(encoding="utf-8") for n in ("graph.ttl", "graph.nt", BUILD_MANIFEST)] == [
            "new graph.ttl",
            "new graph.nt",
            "new build.json",
        ]
    assert not (build / JOURNAL).exists()


def test_an_unreadable_journal_is_one_line(tmp_path: Path) -> None:
    build = old_build(tmp_path / "build")
    (build / JOURNAL).write_text("[[", encoding="utf-8")
    unreadable = r"\.commit\.json is unreadable; delete it and run `klimatgraf build`"
    with pytest.raises(BuildCorruptError, match=unreadable), reading(build):
        pass


def test_commit_moves_everything_and_the_cli_reads_the_result(tmp_path: Path, seed_build: Path) -> None:
    build = tmp_path / "build"
    shutil.copytree(seed_build, build)
    graph = staging_file(build / GRAPH_NT)
    graph.write_bytes((build / GRAPH_NT).read_bytes())
    commit(build, [(graph, build / GRAPH_NT)])
    assert temp_files(build) == [] and not (build / JOURNAL).exists()
    result = run_cli("query", "twins", "--build-dir", str(build), "--format", "json")
    assert result.returncode == 0, result.stderr


def test_a_second_build_lock_fails_clearly_or_waits(tmp_path: Path) -> None:
    running = r"another klimatgraf build is running in .*; wait for it or use --wait"
    with build_lock(tmp_path), pytest.raises(LockError, match=running), build_lock(tmp_path):
        pass
    with build_lock(tmp_path):  # released: free again
        pass
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="cannot write to build directory"), build_lock(blocker / "build"):
        pass


def test_resolve_build_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KLIMATGRAF_BUILD", str(tmp_path / "env-build"))
    assert resolve_build_dir(None) == tmp_path / "env-build"
    assert resolve_build_dir(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("KLIMATGRAF_BUILD")
    assert resolve_build_dir(None) == Path("build")


# ----------------------------------------------------------------------------- layers


def _imports(path: Path) -> set[str]:
    """klimatgraf modules a file imports (relative or absolute, at the top or inside functions)."""
    package = path.relative_to(SRC.parent).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                parts = [*base, *(node.module.split(".") if node.module else [])]
                names = [".".join(parts)] if node.module else [".".join([*base, a.name]) for a in node.names]
            else:
                names = [node.module or ""]
            found.update(n for n in names if n.startswith("klimatgraf"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("klimatgraf"))
    return found


def test_the_store_imports_only_the_base_layer() -> None:
    allowed = {"klimatgraf.errors", "klimatgraf.config", "klimatgraf.models", "klimatgraf.vocabulary"}
    for path in sorted((SRC / "store").glob("*.py")):
        outside = {m for m in _imports(path) if not m.startswith("klimatgraf.store")} - allowed
        assert outside == set(), f"{path.name} imports {outside}"


def test_only_the_interfaces_import_the_build_step() -> None:
    importers = sorted(
        p.name for p in SRC.glob("*.py") if any(m == "klimatgraf.build" for m in _imports(p)) and p.name != "build.py"
    )
    assert set(importers) <= {"cli.py", "serve.py"}, importers
    for path in sorted((SRC / "index").glob("*.py")):  # the index <-> build cycle is gone
        assert "klimatgraf.build" not in _imports(path), path.name
