"""The server's limits (each has a `klimatgraf serve` flag; see README, "Web service") and the parse lock."""

from __future__ import annotations

import threading

# rdflib's SPARQL parser keeps shared state and is not thread-safe: parses in request threads
# (compare) hold this lock, and so does every fork of a query child, which must not copy that
# state half-updated.
PARSE_LOCK = threading.Lock()
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # an answer larger than this is refused (413)
DEFAULT_MAX_MEMORY_MB = 1024  # address space each query child may add (RLIMIT_AS)
DEFAULT_MAX_CLIENT_QUERIES = 2  # SPARQL queries one client address may run at once
MAX_QUERY_BYTES = 100_000  # a SPARQL text longer than this is refused before parsing
