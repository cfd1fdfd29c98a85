"""Where things live: data, build output and the project's own resources (queries, shapes).

The resources are read through `klimatgraf.resources` (importlib.resources), so an installed
wheel finds them from any directory; no path is guessed from the current directory.

Defaults follow the current directory (`data/`, `build/`) and can be moved with the
environment variables KLIMATGRAF_DATA and KLIMATGRAF_BUILD, or per command with options.
"""

from __future__ import annotations

import os
from pathlib import Path

from .resources import resource_path

PACKAGE_DIR = Path(__file__).resolve().parent


def default_data_dir() -> Path:
    return Path(os.environ.get("KLIMATGRAF_DATA", "data"))


def default_build_dir() -> Path:
    return Path(os.environ.get("KLIMATGRAF_BUILD", "build"))


def project_root() -> Path:
    """The checkout this package runs from, when it runs from one (for development files only)."""
    return PACKAGE_DIR.parent.parent


def queries_dir() -> Path:
    return Path(os.environ.get("KLIMATGRAF_QUERIES", resource_path("queries")))


def shapes_path() -> Path:
    return resource_path("shapes", "klimatgraf.ttl")


def ontology_path() -> Path:
    return resource_path("ontology", "klimatgraf.ttl")


def reference_csv() -> Path:
    """The municipality list shipped with the package (data/reference/kommuner.csv in the checkout)."""
    return resource_path("reference", "kommuner.csv")


GRAPH_TTL = "graph.ttl"
GRAPH_NT = "graph.nt"
GRAPH_LATEST_NT = "graph-latest.nt"  # the latest edition of each municipality (edition_graph); only with editions
BUILD_MANIFEST = "build.json"
TOPICS_JSON = "topics.json"  # each document's own-text concepts (profiles.py), read by the topic matrix
INDEX_DIR = "index"

MAX_QUERY_CHARS = 1000  # default --max-query-chars: e5 reads 512 tokens; a longer question is refused, never cut
