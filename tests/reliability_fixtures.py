"""Fixtures of the reliability tests: a complete seed build *with* the search index, made by the CLI.

Its embedding cache is seeded from the session's e5 index (search_fixtures), so in a full test
run no passage is embedded twice; run alone it embeds the seeds once.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import DATA, run_cli
from search_fixtures import E5Index, e5_index  # noqa: F401  (fixture re-exported)

_MEMO: dict[str, Path] = {}


@pytest.fixture(scope="session")
def indexed_build(tmp_path_factory: pytest.TempPathFactory, e5_index: E5Index) -> Path:  # noqa: F811
    """`klimatgraf build` of the seeds with graph and index; treat as read-only (copy it to change it)."""
    if "indexed" in _MEMO:  # each importing module gets its own fixture copy; build once per run
        return _MEMO["indexed"]
    build_dir = tmp_path_factory.mktemp("indexed") / "build"
    shutil.copytree(e5_index.cache, build_dir / "cache" / "embeddings")
    result = run_cli("build", "--data-dir", str(DATA), "--build-dir", str(build_dir))
    assert result.returncode == 0, result.stderr
    _MEMO["indexed"] = build_dir
    return build_dir


def snapshot(build_dir: Path) -> dict[str, str]:
    """sha256 of every file under a build directory except the lock files (their content is irrelevant)."""
    return {
        p.relative_to(build_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(build_dir.rglob("*"))
        if p.is_file() and p.name not in (".lock", ".commit.lock")
    }
