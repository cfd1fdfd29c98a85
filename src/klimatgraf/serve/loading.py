"""The SPARQL endpoint's rdflib graph, parsed in a background thread after start (issue 27).

Everything else the server answers comes from oxigraph's on-disk stores, topics.json and the
index, all opened in milliseconds; only `/sparql` (rdflib, in a forked child per query, so a
runaway query can be killed) needs the parsed graph, and parsing 500,000 triples takes tens of
seconds. So the server starts answering at once and `/readyz` says "the graph for SPARQL queries is loading"
until the parse is done; a query that arrives meanwhile waits for it within its own deadline.

The file is opened inside the start's one reader scope (after its checksum was verified), and
the thread parses from that open file: a build that commits meanwhile replaces the name, not the
bytes this server reads, so the graph is the same build's as everything else it loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import Graph


class LoadingGraph:
    """A graph of a known number of triples, parsed from `handle` in a thread that `start()` starts.

    `len()` is the triple count build.json records (the limits are sized from it at start);
    `get(timeout)` is the graph (starting the parse if nobody has), None while it still loads, or
    the load's error raised again. The server starts the parse after its start and the answers'
    warm-up (service._warm_answers): a parse beside them held the GIL so much that reading the
    paragraphs from oxigraph took 25 s instead of 2 (each release of the GIL waits for the parsing
    thread's switch interval)."""

    def __init__(self, handle: IO[bytes], fmt: str, triples: int, then: Callable[[Graph], None] | None = None) -> None:
        self.triples = triples
        self._handle = handle
        self._format = fmt
        self._then = then
        self._graph: Graph | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._load, daemon=True, name="load-sparql-graph")
        self._starting = threading.Lock()

    def start(self) -> None:
        """Begin the parse (once; later calls do nothing)."""
        with self._starting:
            if self._thread.ident is None:
                self._thread.start()

    def _load(self) -> None:
        from rdflib import Graph

        from ..errors import BuildCorruptError

        name = getattr(self._handle, "name", "the graph file")
        try:
            graph = Graph()
            try:
                graph.parse(self._handle, format=self._format)
            except Exception as exc:
                raise BuildCorruptError(
                    f"{name} is unreadable ({type(exc).__name__}); run `klimatgraf build` to rebuild it"
                ) from None
            if self._then is not None:
                self._then(graph)
            self._graph = graph
        except BaseException as exc:  # kept for every caller of get(); the thread itself ends quietly
            self._error = exc
        finally:
            self._handle.close()
            self._done.set()

    def __len__(self) -> int:
        return self.triples

    @property
    def ready(self) -> bool:
        return self._done.is_set() and self._error is None

    @property
    def failed(self) -> str | None:
        """The load's error in one line, once it has failed."""
        if not self._done.is_set() or self._error is None:
            return None
        return str(self._error).splitlines()[0] if str(self._error) else type(self._error).__name__

    def get(self, timeout: float | None = None) -> Graph | None:
        self.start()
        if not self._done.wait(timeout):
            return None
        if self._error is not None:
            raise self._error
        return self._graph


def loaded(graph: Graph | LoadingGraph) -> Graph:
    """The parsed graph, waiting for it as long as it takes (for what only tests and fallbacks read)."""
    if isinstance(graph, LoadingGraph):
        got = graph.get()
        assert got is not None
        return got
    return graph
