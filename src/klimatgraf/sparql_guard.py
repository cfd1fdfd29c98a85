"""What a SPARQL text may do before any engine runs it: read the build's one graph, nothing else.

`check` parses the query with rdflib (`prepareQuery`: parse and algebra) and walks the algebra:
a `SERVICE` (which makes rdflib and oxigraph call any URL, file:// included), a dataset
clause (`FROM`/`FROM NAMED`, which makes rdflib *load* the URL) and `GRAPH` patterns (the
build has no named graphs) are refused with one fixed message each, whatever the target, so a
refusal says nothing about the target. The server, `sparql.run` and both CLI engines call it;
only the CLI may opt in to SERVICE (`--allow-service`).

`is_update` is the one SPARQL Update detector (rdflib's query parser answers an update with a
plain syntax error). `evaluation_message` turns a fault raised while a query runs into a fixed,
plain sentence: no exception class, no Python internals, no echo of the query's text.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import QueryError

SERVICE_REFUSED = "SERVICE is refused: klimatgraf answers from its own graph and never calls another endpoint"
SERVICE_CLI_HINT = " (pass --allow-service to let this query call other endpoints)"
DATASET_REFUSED = (
    "FROM and FROM NAMED are refused: the query runs over the build's one default graph; leave out the dataset clause"
)
GRAPH_REFUSED = "GRAPH patterns are refused: the build has only the default graph; leave out GRAPH"
UPDATE_REFUSED = "SPARQL Update is not allowed here; klimatgraf's graph is read-only (rebuild it instead)"
NESTED_TOO_DEEP = "the query nests too deeply; flatten it"

_UPDATE_START = re.compile(
    r"^\s*(?:(?:PREFIX|BASE)[^\n]*\n\s*)*(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.I
)


def _no_fetching() -> None:
    """rdflib loads FROM graphs from the web unless told not to: never (defence behind `check`).

    Its loggers go to ERROR too: a malformed literal in a query logs a warning with a traceback
    each (1,800 of them were 767 KB of log), and a CLI prints one line, never a traceback.
    """
    import logging

    import rdflib.plugins.sparql as rdflib_sparql

    rdflib_sparql.SPARQL_LOAD_GRAPHS = False
    logging.getLogger("rdflib").setLevel(logging.ERROR)


def is_update(query: str) -> bool:
    """True when the text is a SPARQL Update (INSERT, DELETE, LOAD, CLEAR, …)."""
    from rdflib.plugins.sparql.parser import parseUpdate

    if _UPDATE_START.search(query):
        return True
    try:
        parseUpdate(query)
    except Exception:  # not an update (or not SPARQL at all)
        return False
    return True


def check(query: str, *, allow_service: bool = False) -> Any:
    """rdflib's prepared query for `query`, or a QueryError (syntax, update, SERVICE, FROM, GRAPH)."""
    from rdflib.plugins.sparql import prepareQuery

    _no_fetching()
    if _UPDATE_START.search(query):
        raise QueryError(UPDATE_REFUSED)
    try:
        prepared = prepareQuery(query)
    except RecursionError:
        raise QueryError(f"SPARQL syntax error: {NESTED_TOO_DEEP}") from None
    except Exception as exc:  # pyparsing.ParseException and friends
        if is_update(query):
            raise QueryError(UPDATE_REFUSED) from None
        raise QueryError(syntax_message(query, exc)) from None
    refusal = refusal_in(prepared.algebra, allow_service=allow_service)
    if refusal:
        raise QueryError(refusal)
    return prepared


def refusal_in(algebra: Any, *, allow_service: bool = False) -> str | None:
    """The refusal message for the first forbidden part of a parsed query's algebra, or None."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack: list[Any] = [algebra]
    while stack:  # iterative: a deeply nested query must not exhaust Python's recursion limit
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern" and not allow_service:
                return SERVICE_REFUSED
            if node.name == "DatasetClause" or (node.name.endswith("Query") and node.get("datasetClause")):
                return DATASET_REFUSED
            if node.name in ("Graph", "GraphGraphPattern"):
                return GRAPH_REFUSED
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return None


# Keywords that may make an engine read anything but the default graph. Used only when rdflib
# cannot parse a query that oxigraph may still accept: a lexer (strings, IRIs and comments
# skipped) that refuses the query if any of these appears as a keyword.
_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r"|<[^<>\"{}|^`\\\s]*>|#[^\n]*|[?$][\w]+|[A-Za-z_][\w-]*(?::[\w.-]*)?|\S",
    re.S,
)
_KEYWORDS = {"service": SERVICE_REFUSED, "from": DATASET_REFUSED, "graph": GRAPH_REFUSED}


def keyword_refusal(query: str, *, allow_service: bool = False) -> str | None:
    """The refusal for the first SERVICE/FROM/GRAPH keyword of an unparsed query, or None."""
    for token in _TOKEN.findall(query):
        message = _KEYWORDS.get(token.lower())
        if message and not (allow_service and message == SERVICE_REFUSED):
            return message
    return None


def syntax_message(query: str, exc: BaseException) -> str:
    """'SPARQL syntax error at line L, column C: …' from a parser exception (no class names)."""
    line = getattr(exc, "lineno", None) or getattr(exc, "line_number", None)
    col = getattr(exc, "col", None) or getattr(exc, "column", None)
    msg = getattr(exc, "msg", None) or (str(exc).splitlines() or ["not a SPARQL query"])[0]
    if line is None and isinstance(getattr(exc, "loc", None), int):
        prefix = query[: exc.loc]  # type: ignore[attr-defined]
        line, col = prefix.count("\n") + 1, len(prefix) - (prefix.rfind("\n") + 1) + 1
    if isinstance(exc, RecursionError) or "recursion" in str(msg).lower():
        msg = NESTED_TOO_DEEP
    elif not getattr(exc, "msg", None) and not type(exc).__name__.startswith("Parse"):
        msg = "not a valid SPARQL query"
    where = f" at line {line}, column {col}" if line is not None else ""
    return f"SPARQL syntax error{where}: {msg}"


def evaluation_message(exc: BaseException) -> str:
    """A fixed, plain sentence for a fault raised while a query was evaluated or serialised."""
    if isinstance(exc, RecursionError):
        detail = NESTED_TOO_DEEP
    elif isinstance(exc, MemoryError):
        detail = "the query needed more memory than the server allows each query (--max-memory); narrow it"
    elif isinstance(exc, re.error):
        detail = "a regular expression (REGEX, REPLACE) or a replacement ($n) is invalid"
    elif isinstance(exc, UnicodeError):
        detail = "the query or its answer holds text that is not valid Unicode (e.g. a lone surrogate)"
    elif isinstance(exc, ZeroDivisionError | OverflowError):
        detail = "an arithmetic expression has no value (division by zero or overflow)"
    else:
        detail = (
            "a function or operator was given a value it cannot take (e.g. a malformed literal, "
            "an IRI where a number is needed, or values that cannot be compared)"
        )
    return f"SPARQL evaluation failed: {detail}"
