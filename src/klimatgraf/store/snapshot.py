"""A `Snapshot`: what a reader opens once, under one reader lock, from one committed build.

The store is the lowest layer, so it does not know how a graph or an index is loaded; the
caller passes its loaders, which run inside the one `reading` scope (they may call `reading`
themselves: it is re-entrant and takes no second lock). A commit cannot land between the
graph, the index and build.json, so all three come from the same build.

    snap = open_snapshot(build_dir, load_graph=sparql.read_graph, load_index=index.read_index)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from .journal import reading
from .manifest import BuildManifest, verify_graph_files
from .paths import INDEX_DIR

__all__ = ["Snapshot", "open_snapshot"]

G = TypeVar("G")
I = TypeVar("I")  # noqa: E741


@dataclass(frozen=True)
class Snapshot(Generic[G, I]):
    """The graph, the index and build.json of one committed build."""

    build_dir: Path
    manifest: BuildManifest
    graph: G
    index: I


def open_snapshot(
    build_dir: Path,
    *,
    load_graph: Callable[[Path], G],
    load_index: Callable[[Path], I],
) -> Snapshot[G, I]:
    """Under one reader lock: check graph.ttl/graph.nt against build.json, then
    `load_graph(build_dir)`, `load_index(build_dir / "index")` and read build.json.

    Errors come in that order (no graph, a damaged graph file, a missing or damaged index, a
    missing or malformed build.json), each one line.
    """
    build_dir = Path(build_dir)
    with reading(build_dir):
        verify_graph_files(build_dir)
        graph = load_graph(build_dir)
        index = load_index(build_dir / INDEX_DIR)
        manifest = BuildManifest.read(build_dir)
    return Snapshot(build_dir, manifest, graph, index)
