"""Where things live: data, build output and the project's own resources (queries, shapes).

Defaults follow the current directory (`data/`, `build/`) and can be moved with the
environment variables KLIMATGRAF_DATA and KLIMATGRAF_BUILD, or per command with options.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def default_data_dir() -> Path:
    return Path(os.environ.get("KLIMATGRAF_DATA", "data"))


def default_build_dir() -> Path:
    return Path(os.environ.get("KLIMATGRAF_BUILD", "build"))


def project_root() -> Path:
    """The checkout holding queries/, shapes/ and ontology/ (the package is installed editable)."""
    for candidate in (PACKAGE_DIR.parent.parent, Path.cwd()):
        if (candidate / "shapes").is_dir() and (candidate / "queries").is_dir():
            return candidate
    return PACKAGE_DIR.parent.parent


def queries_dir() -> Path:
    return Path(os.environ.get("KLIMATGRAF_QUERIES", project_root() / "queries"))


def shapes_path() -> Path:
    return project_root() / "shapes" / "klimatgraf.ttl"


def ontology_path() -> Path:
    return project_root() / "ontology" / "klimatgraf.ttl"


GRAPH_TTL = "graph.ttl"
GRAPH_NT = "graph.nt"
BUILD_MANIFEST = "build.json"
INDEX_DIR = "index"
