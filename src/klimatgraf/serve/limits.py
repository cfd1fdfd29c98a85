"""The server's limits (each has a `klimatgraf serve` flag; see README, "Web service") and the parse lock."""

from __future__ import annotations

import os
import threading

# rdflib's SPARQL parser keeps shared state and is not thread-safe: parses in request threads
# (compare) hold this lock, and so does every fork of a query child, which must not copy that
# state half-updated.
PARSE_LOCK = threading.Lock()
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # an answer larger than this is refused (413)
DEFAULT_MAX_CLIENT_QUERIES = 2  # SPARQL queries one client address may run at once
MAX_QUERY_BYTES = 100_000  # a SPARQL text longer than this is refused before parsing

# Memory of the query processes (issue 24): each may add memory sized to the graph, and the sum
# over the processes running at once is bounded too (fewer run at once when it would be passed).
MEMORY_FLOOR_MB = 256  # what a query over a small graph may add (the seeds' graph: 4,510 triples)
MEMORY_CEILING_MB = 1024  # the default never passes this (`--max-memory` may)
MEMORY_KIB_PER_TRIPLE = 4  # rdflib holds a triple in ~1-2 KiB; a query may build twice that

# Requests (issue 24): bodies, slow clients, queues and searches.
DEFAULT_MAX_BODY = 4 * MAX_QUERY_BYTES  # a SPARQL POST body (a form field percent-encodes the query)
DEFAULT_REQUEST_TIMEOUT = 10.0  # a whole request, body included, from its first byte
DEFAULT_QUEUE_LENGTH = 32  # requests that may wait for a query or a search slot (each queue)
DEFAULT_SEARCH_WORKERS = 2  # searches at once, each on its own copy of the index
DEFAULT_MAX_CLIENT_SEARCHES = 1  # searches one client address may run at once
DEFAULT_SEARCH_TIMEOUT = 10.0  # a search's deadline, its wait included
DEFAULT_MAX_QUERY_TOKENS = 256  # e5 tokens of a question (1,000 characters of Swedish are ~200)
RETRY_AFTER_CLIENT = 1  # seconds, on a 429: the client's own requests end soon
RETRY_AFTER_BUSY = 2  # seconds, on a 503 of a full queue or an expired wait


def default_max_queries() -> int:
    """SPARQL queries at once: one per core and one more, so that one client (2 by default) never
    holds every slot of a 2-core machine while another waits."""
    return max(3, (os.cpu_count() or 2) + 1)


def default_query_memory_mb(triples: int) -> int:
    """What one query process may add by default: sized to the graph (4 KiB a triple), at least
    MEMORY_FLOOR_MB and at most MEMORY_CEILING_MB (issue 24: not a fixed gigabyte)."""
    return max(MEMORY_FLOOR_MB, min(MEMORY_CEILING_MB, triples * MEMORY_KIB_PER_TRIPLE // 1024))


def default_total_memory_mb() -> int:
    """The bound on the sum over the query processes: half of this machine's memory."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 4096
    return max(MEMORY_FLOOR_MB, total // (2 * 1024 * 1024))
