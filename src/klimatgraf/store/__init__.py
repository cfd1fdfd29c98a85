"""The one owner of the build directory: paths, locks, journal, commit, recover, atomic writes,
digests, the typed build.json and the reader's snapshot.

Base layer: it imports only the standard library and klimatgraf.errors/config, never the
pipeline or the readers (they pass their loaders to `open_snapshot`).
"""

from __future__ import annotations

from .atomic import replace_dir, staging_dir, staging_file, write_atomically
from .digest import FileDigest, check_digests, digest_of, file_digests, sha256_bytes, sha256_of
from .journal import commit, reading, recover
from .locks import build_lock, read_lock
from .manifest import FORMAT_VERSION, BuildManifest, DocumentRecord, verify_graph_files
from .paths import (
    BUILD_LOCK,
    BUILD_MANIFEST,
    EMBEDDING_CACHE,
    FIX,
    GRAPH_LATEST_NT,
    GRAPH_NT,
    GRAPH_TTL,
    INDEX_DIR,
    JOURNAL,
    OXIGRAPH_DIR,
    READ_LOCK,
    TOPICS_JSON,
    embedding_cache_dir,
    resolve_build_dir,
)
from .snapshot import Snapshot, open_snapshot

__all__ = [
    "BUILD_LOCK",
    "BUILD_MANIFEST",
    "EMBEDDING_CACHE",
    "FIX",
    "FORMAT_VERSION",
    "GRAPH_LATEST_NT",
    "GRAPH_NT",
    "GRAPH_TTL",
    "INDEX_DIR",
    "JOURNAL",
    "OXIGRAPH_DIR",
    "READ_LOCK",
    "TOPICS_JSON",
    "BuildManifest",
    "DocumentRecord",
    "FileDigest",
    "Snapshot",
    "build_lock",
    "check_digests",
    "commit",
    "digest_of",
    "embedding_cache_dir",
    "file_digests",
    "open_snapshot",
    "read_lock",
    "reading",
    "recover",
    "replace_dir",
    "resolve_build_dir",
    "sha256_bytes",
    "sha256_of",
    "staging_dir",
    "staging_file",
    "verify_graph_files",
    "write_atomically",
]
