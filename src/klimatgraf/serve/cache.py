"""Answers `klimatgraf serve` computes once at start: the graph is read-only for the server's life.

The comparison of every municipality (`/api/compare` answers any subset from it, without a
parse or a lock) and each named query's result (`/api/query/NAME`, which the web page uses, is
then answered without a query child: no query slot, no per-client limit, no fork).
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


@dataclass
class FixedAnswers:
    """The comparison of all municipalities and the named queries' results (or their one-line error)."""

    comparison: Comparison | None
    comparison_error: str | None
    results: dict[str, Result | str]
    _rendered: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

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

        result = self.results[name]
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
    """Run the comparison and every named query once (in the server process, before it serves);
    `trusted`: the names of klimatgraf's own queries (no guard parse on oxigraph, sparql.Engine)."""
    from ..compare import compare

    try:
        comparison, comparison_error = compare(source, None, gazetteer), None
    except (InputError, QueryError) as exc:
        comparison, comparison_error = None, str(exc)
    results: dict[str, Result | str] = {}
    for name, text in queries.items():
        try:
            results[name] = source.run(text, trusted=name in trusted)
        except QueryError as exc:
            results[name] = str(exc)
    return FixedAnswers(comparison, comparison_error, results)
