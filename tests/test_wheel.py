"""The wheel works outside the checkout: built, installed into a fresh venv, run from another directory.

The fresh venv gets klimatgraf only from the wheel; its dependencies (torch, faiss, rdflib …) are
borrowed from the test's own environment through a .pth line, which adds that site-packages to the
path without running its .pth files, so the checkout's editable install is not seen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The two shorter contracts keep the embedding step of the build to seconds.
CONTRACTS = ("avesta-fordjupad-avsiktsforklaring.txt", "kristinehamn-fordjupad-avsiktsforklaring.txt")

pytestmark = pytest.mark.slow
# what a wheel is not built from (and what is large): the checkout's virtualenv, build outputs, clients
NOT_SOURCES = (".venv", "build", ".git", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache", "*.egg-info")


def _artefacts() -> set[str]:
    """What a setuptools build leaves in the checkout's build/ folder (lib/, bdist.*/)."""
    build = ROOT / "build"
    return (
        {p.name for p in build.iterdir() if p.name == "lib" or p.name.startswith("bdist.")} if build.is_dir() else set()
    )


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(bin dir of a fresh venv with only the wheel's klimatgraf, a work dir outside the checkout, env)."""
    top = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KLIMATGRAF_QUERIES")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    wheels = top / "dist"
    # setuptools writes build/lib and build/bdist.* beside the sources it builds: build from a copy, so the
    # application's own build/ folder (graph, index, cache) never gets the wheel's artefacts
    source = top / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    before = _artefacts()
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        cwd=top, env=env,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert _artefacts() == before, "the wheel build wrote into the checkout's build/ folder"
    (wheel,) = wheels.glob("klimatgraf-*.whl")
    venv = top / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=top, env=env)
    assert made.returncode == 0, made.stderr
    (fresh_site,) = (venv / "lib").glob("python3*/site-packages")
    (fresh_site / "borrowed-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    python = venv / "bin" / "python"
    got = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
               cwd=top, env=env)  # fmt: skip
    assert got.returncode == 0, got.stderr
    work = top / "elsewhere"
    (work / "contracts").mkdir(parents=True)
    for name in CONTRACTS:  # contracts only: kommuner.csv, queries and shapes must come from the wheel
        shutil.copy(ROOT / "data" / "contracts" / name, work / "contracts" / name)
    return venv / "bin", work, env


def test_the_wheel_carries_queries_shapes_ontology_and_reference(installed: tuple[Path, Path, dict[str, str]]) -> None:
    bin_dir, work, env = installed
    probe = _run(
        [str(bin_dir / "python"), "-c",
         "import klimatgraf, klimatgraf.config as c; print(klimatgraf.__file__); "
         "print(c.queries_dir()); print(c.shapes_path()); print(c.ontology_path()); print(c.reference_csv())"],
        cwd=work, env=env,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.splitlines()
    venv = bin_dir.parent.resolve()
    for line in lines:
        assert Path(line).resolve().is_relative_to(venv), f"{line} is not inside the fresh venv"
    assert sorted(p.name for p in Path(lines[1]).glob("*.rq")) == sorted(
        p.name for p in (ROOT / "queries").glob("*.rq")
    )
    assert Path(lines[2]).read_bytes() == (ROOT / "shapes" / "klimatgraf.ttl").read_bytes()
    assert Path(lines[3]).read_bytes() == (ROOT / "ontology" / "klimatgraf.ttl").read_bytes()
    assert Path(lines[4]).read_bytes() == (ROOT / "data" / "reference" / "kommuner.csv").read_bytes()


def test_build_query_validate_search_and_serve_outside_the_checkout(
    installed: tuple[Path, Path, dict[str, str]],
) -> None:
    bin_dir, work, env = installed
    kg = str(bin_dir / "klimatgraf")
    version = _run([kg, "--version"], cwd=work, env=env)
    assert version.returncode == 0 and re.fullmatch(r"klimatgraf \d+\.\d+\.\d+\S*\n", version.stdout)
    as_module = _run([str(bin_dir / "python"), "-m", "klimatgraf", "--version"], cwd=work, env=env)
    assert as_module.stdout == version.stdout

    built = _run([kg, "build", "--data-dir", str(work), "--build-dir", "out"], cwd=work, env=env)
    assert built.returncode == 0, built.stderr
    assert (work / "out" / "graph.ttl").is_file()

    twins = _run([kg, "query", "twins", "--build-dir", "out", "--format", "json"], cwd=work, env=env)
    assert twins.returncode == 0, twins.stderr
    pioneers = {row["pioneer"]["value"] for row in json.loads(twins.stdout)["results"]["bindings"]}
    assert pioneers == {"Borlänge", "Karlstad"}, twins.stdout

    valid = _run([kg, "validate", "--build-dir", "out"], cwd=work, env=env)
    assert valid.returncode == 0, valid.stdout + valid.stderr

    found = _run([kg, "search", "matsvinn", "--build-dir", "out", "--format", "json", "-k", "3"], cwd=work, env=env)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits and all("matsvinn" in hit["text"].casefold() for hit in hits[:1]), found.stdout

    log = work / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen([kg, "serve", "--build-dir", "out", "--data-dir", str(work), "--port", "0"],
                                  cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=sink)  # fmt: skip
    try:
        url, healthy = None, False
        deadline = time.monotonic() + 120
        while not healthy and time.monotonic() < deadline:  # the address is printed, then /healthz answers
            assert server.poll() is None, log.read_text()
            match = re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text(errors="replace"))
            url = match and f"http://127.0.0.1:{match.group(1)}"
            if url:
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                        healthy = response.status == 200
                except OSError:
                    pass
            time.sleep(0.1)
        assert healthy, log.read_text()
        request = urllib.request.Request(
            f"{url}/sparql?query=ASK%7B%3Fs%20a%20%3Fo%7D", headers={"Accept": "application/sparql-results+json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.load(response)["boolean"] is True
        with urllib.request.urlopen(f"{url}/api/query/twins", timeout=30) as response:
            assert response.status == 200
        with urllib.request.urlopen(f"{url}/", timeout=30) as response:
            assert b"klimatgraf" in response.read().lower()
    finally:
        server.terminate()
        server.wait(timeout=30)
