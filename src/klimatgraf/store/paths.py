"""The names of everything in a build directory, and where the build directory is."""

from __future__ import annotations

from pathlib import Path

from ..config import BUILD_MANIFEST as BUILD_MANIFEST
from ..config import GRAPH_LATEST_NT as GRAPH_LATEST_NT
from ..config import GRAPH_NT as GRAPH_NT
from ..config import GRAPH_TTL as GRAPH_TTL
from ..config import INDEX_DIR as INDEX_DIR
from ..config import TOPICS_JSON as TOPICS_JSON
from ..config import default_build_dir

BUILD_LOCK = ".lock"  # flock held by the one build that may write (store.locks.build_lock)
READ_LOCK = ".commit.lock"  # flock: shared while reading, exclusive while committing (store.locks.read_lock)
JOURNAL = ".commit.json"  # the renames of a commit in progress (store.journal)
OXIGRAPH_DIR = ".oxigraph"  # on-disk oxigraph copies of graph.nt and graph-latest.nt, made by readers (sparql)
EMBEDDING_CACHE = ("cache", "embeddings")  # vectors kept across builds (embed.EmbeddingCache)

FIX = "run `klimatgraf build` to rebuild it"


def resolve_build_dir(value: Path | None) -> Path:
    """The build directory given (--build-dir), else $KLIMATGRAF_BUILD, else ./build."""
    return value if value is not None else default_build_dir()


def embedding_cache_dir(build_dir: Path) -> Path:
    return Path(build_dir).joinpath(*EMBEDDING_CACHE)
