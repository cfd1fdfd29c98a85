"""Shared fixtures: the project's real data, corpus and a real build of the seeds (once per session)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from klimatgraf.corpus import Corpus, load_corpus
from klimatgraf.reference import Gazetteer

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_csv(DATA / "reference" / "kommuner.csv")


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus(DATA)


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real console script in a subprocess: real exit codes, real stdout/stderr separation."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    exe = Path(sys.executable).parent / "klimatgraf"
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=full_env, cwd=cwd or ROOT, input=input, timeout=600
    )


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`klimatgraf build` of the seeds, graph only (the search tests build their own index)."""
    build_dir = tmp_path_factory.mktemp("build")
    result = run_cli("build", "--data-dir", str(DATA), "--build-dir", str(build_dir), "--no-index")
    assert result.returncode == 0, result.stderr
    return build_dir
