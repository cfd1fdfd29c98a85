"""Answers `klimatgraf serve` computes once: the graph is read-only for the server's life.

The comparison of every municipality (`/api/compare` answers any subset from it, without a
parse or a lock) and each named query's result (`/api/query/NAME`, which the web page uses, is
then answered without a query child: no query slot, no per-client limit, no fork).

Each is computed once, by whichever comes first: a warm-up thread that the server starts after
it answers (`warm`), or the first request that needs it (issue 27: computing all of them before
answering took 15 s of the server's start at N = 300). A request never computes what another
thread is computing: it waits for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError, QueryError

if TYPE_CHECKING:
    from ..compare import Comparison
    from ..reference import Gazetteer
    from ..sparql import Engine, Result

COMPARISON = ""  # the key of the comparison among the entries (no named query has an empty name)


@dataclass
class FixedAnswers:
    """The comparison of all municipalities and the named queries' results (or their one-line error),
    each computed once from `source` on first use."""

    source: Engine
    queries: dict[str, str]
    gazetteer: Gazetteer
    trusted: Collection[str] = ()
    _done: dict[str, Any] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _rendered: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _entry(self, key: str) -> Any:
        with self._lock:
            if key in self._done:
                return self._done[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one computation per entry; a second caller waits for it
            with self._lock:
                if key in self._done:
                    return self._done[key]
            value = self._compute(key)
            with self._lock:
                self._done[key] = value
            return value

    def _compute(self, key: str) -> Any:
        """One entry; a text klimatgraf does not ship is parsed by rdflib's parser (the guard), which is
        not thread-safe: that runs under the server's parse lock."""
        from contextlib import nullcontext

        from ..sparql import OxigraphEngine
        from .limits import PARSE_LOCK

        unparsed = key in self.trusted and isinstance(self.source, OxigraphEngine)  # rdflib parses every query
        with nullcontext() if unparsed else PARSE_LOCK:
            return self._evaluate(key)

    def _evaluate(self, key: str) -> Any:
        from ..compare import compare

        if key == COMPARISON:
            try:
                return compare(self.source, None, self.gazetteer), None
            except (InputError, QueryError) as exc:
                return None, str(exc)
        try:
            return self.source.run(self.queries[key], trusted=key in self.trusted)
        except QueryError as exc:
            return str(exc)

    def result(self, name: str) -> Result | str:
        """A named query's result, or its one-line error."""
        value: Result | str = self._entry(name)
        return value

    @property
    def comparison(self) -> Comparison | None:
        value: tuple[Comparison | None, str | None] = self._entry(COMPARISON)
        return value[0]

    @property
    def comparison_error(self) -> str | None:
        value: tuple[Comparison | None, str | None] = self._entry(COMPARISON)
        return value[1]

    @property
    def results(self) -> dict[str, Result | str]:
        """Every named query's result (computing what is not yet)."""
        return {name: self.result(name) for name in self.queries}

    def warm(self) -> None:
        """Compute every entry now (the server's warm-up thread; a request may take one first)."""
        self._entry(COMPARISON)
        for name in self.queries:
            self._entry(name)

    def compare(self, names: Sequence[str] | None, gazetteer: Gazetteer) -> Comparison:
        """What `compare(graph, names, gazetteer)` returns, taken from the full comparison."""
        from ..compare import Comparison, resolve_names

        if self.comparison is None:
            raise InputError(self.comparison_error or "no comparison")
        full = self.comparison
        if not names:
            return full
        selected = resolve_names(names, full.municipalities, gazetteer)
        rows = [
            {"attribute": row["attribute"], **{m: row.get(m, "") for m in selected}}
            for row in full.rows
            if any(row.get(m, "") != "" for m in selected)
        ]
        return Comparison(selected, rows)

    def rendered(self, name: str, accept: str | None, render: Callable[[Result], Any]) -> Any:
        """`render(result)` of a named query, memoised per media type the Accept header negotiates
        to (issue 24: keyed by the raw header, 600 distinct headers took 23 MB; there are at most
        a few types per query). An Accept that negotiates to nothing (406, which quotes it) is
        rendered each time, never kept."""
        from ..formats import ASK_TYPES, GRAPH_TYPES, SELECT_TYPES, negotiate

        result = self.result(name)
        assert not isinstance(result, str), "an error is answered before rendering"
        offered = {"CONSTRUCT": GRAPH_TYPES, "ASK": ASK_TYPES}.get(result.kind, SELECT_TYPES)
        media = negotiate(accept, offered)
        if media is None:
            return render(result)
        key = (name, media)
        with self._lock:
            if key in self._rendered:
                return self._rendered[key]
        value = render(result)
        with self._lock:
            self._rendered[key] = value
        return value


def compute(
    source: Engine, queries: dict[str, str], gazetteer: Gazetteer, trusted: Collection[str] = ()
) -> FixedAnswers:
    """The comparison and the named queries over `source`, each computed on first use (`warm()` does
    them all); `trusted`: the names of klimatgraf's own queries (no guard parse on oxigraph,
    sparql.Engine), and COMPARISON when the comparison reads only those."""
    return FixedAnswers(source, queries, gazetteer, trusted)
