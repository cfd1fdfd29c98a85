"""A real `klimatgraf serve` of the seeds (graph + e5 index), started once per test run.

Use it in a test module as the search tests do: `served = serve_fixtures.served` (and `served_build`).
The graph comes from conftest's `seed_build`, the index is the one tests/search_fixtures.py
builds with the real e5 model (shared through its memo, so the seeds are embedded once per
run), and the server is the real console script in a subprocess on a free 127.0.0.1 port.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from klimatgraf.corpus import Corpus
from search_fixtures import _MEMO, seed_index

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
STARTUP_SECONDS = 180


@pytest.fixture(scope="session")
def served_build(tmp_path_factory: pytest.TempPathFactory, seed_build: Path, corpus: Corpus) -> Path:
    """A complete build directory of the seeds: graph.nt/ttl, build.json and index/."""
    if "served_build" not in _MEMO:
        target = tmp_path_factory.mktemp("served") / "build"
        shutil.copytree(seed_build, target, ignore=shutil.ignore_patterns(".lock"))
        shutil.copytree(seed_index(tmp_path_factory, corpus).path, target / "index")
        _MEMO["served_build"] = target
    path = _MEMO["served_build"]
    assert isinstance(path, Path)
    return path


class Server:
    """A running `klimatgraf serve` subprocess and where its stderr goes."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(build_dir: Path, log: Path, *extra: str, preexec_fn: Callable[[], None] | None = None) -> Server:
    """Start the console script on a free port (--port 0) and wait until /healthz answers and says
    the SPARQL graph is loaded (it loads after start, issue 27: a test's first query must not race it).

    `preexec_fn` runs in the server's process before it starts (e.g. to set resource limits)."""
    exe = Path(sys.executable).parent / "klimatgraf"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(exe), "serve", "--build-dir", str(build_dir), "--data-dir", str(DATA), "--port", "0", *extra],
            stdout=subprocess.DEVNULL,
            stderr=sink,
            cwd=ROOT,
            env=env,
            preexec_fn=preexec_fn,
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"klimatgraf serve exited with {process.returncode}: {log.read_text()}")
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text(encoding="utf-8", errors="replace"))
        if found:
            url = f"http://127.0.0.1:{found.group(1)}"
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                    health = json.load(response)
                    if health["status"] == "ok" and health["sparql_ready"]:
                        return Server(process, url, log)
            except OSError:
                pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"klimatgraf serve did not answer /healthz within {STARTUP_SECONDS} s: {log.read_text()}")


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, served_build: Path) -> Iterator[str]:
    """Base URL (http://127.0.0.1:PORT, no trailing slash) of a real `klimatgraf serve` of the seeds."""
    owner = "server" not in _MEMO
    if owner:
        _MEMO["server"] = start_server(served_build, tmp_path_factory.mktemp("serve-log") / "stderr.log")
    server = _MEMO["server"]
    assert isinstance(server, Server)
    try:
        yield server.url
    finally:
        if owner:
            server.stop()
