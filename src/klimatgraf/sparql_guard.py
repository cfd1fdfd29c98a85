"""What a SPARQL text may do before any engine runs it: read the build's one graph, nothing else.

`check_text` is the one guard, for the server and both CLI engines alike: it reads the query as
SPARQL tokens (no parser, so the one-shot CLI imports none) and refuses an update, a `SERVICE`
(which makes rdflib and oxigraph call any URL, file:// included), a dataset clause
(`FROM`/`FROM NAMED`, which makes rdflib *load* the URL) and `GRAPH` patterns (the build has no
named graphs) with one fixed message each, whatever the target, so a refusal says nothing about
the target. It fails closed: text it cannot read as SPARQL tokens is refused (issue 24: the
keyword lexer it replaces skipped what it could not read, and oxigraph then ran a SERVICE).
`check` (rdflib's engine, which parses anyway) runs it and then also walks rdflib's algebra.
Only the CLI may opt in to SERVICE (`--allow-service`).

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

    check_text(query, allow_service=allow_service)  # the same guard as every engine's, first
    _no_fetching()
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


# ----------------------------------------------------------------------------- the lexical guard
#
# `check_text` reads the query as SPARQL's own tokens (the terminals of the SPARQL 1.1 grammar,
# plus the SPARQL 1.2 ones oxigraph accepts), with no parser: strings, IRIs, comments, prefixed
# names (with their `\#`-style escapes), variables and blank-node labels are whole tokens, so a
# keyword inside one of them is not a keyword. What is left are the bare words, and in a query
# SERVICE, FROM and GRAPH exist only as the keywords of the constructs refused. It fails closed:
# text that is not a sequence of SPARQL tokens is refused, never skipped. A `\u` escape that
# would stand for a quote, a bracket, `#`, a backslash or a space is refused too, so an engine
# that expands escapes before it reads the query cannot see other tokens than these.

# The grammar's name characters. Its long lists of Unicode ranges cost ~50 ms to compile on
# every one-shot command, so non-ASCII letters are Python's word characters (`\w`) instead:
# exact for ASCII; elsewhere a name the grammar refuses is refused by the engine too, and one it
# allows that `\w` does not is refused here (failing closed).
_JOIN = "\u200c\u200d"
_EXTRA = "\u00b7\u0300-\u036f\u203f-\u2040" + _JOIN  # PN_CHARS beyond word characters and '-'
_PN_CHARS_BASE = rf"(?:[^\W\d_]|[{_JOIN}])"  # a letter
_PN_CHARS = rf"[\w\-{_EXTRA}]"
_PN_CHARS_DOT = rf"[\w\-.{_EXTRA}]"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = rf"{_PN_CHARS_BASE}(?:{_PN_CHARS_DOT}*{_PN_CHARS})?"
_PN_LOCAL = rf"(?:[\w:{_JOIN}]|{_PLX})(?:(?:[\w\-.:{_EXTRA}]|{_PLX})*(?:[\w\-:{_EXTRA}]|{_PLX}))?"
_VARNAME = rf"[\w{_JOIN}][\w{_EXTRA}]*"
_BNODE = rf"_:[\w{_JOIN}](?:{_PN_CHARS_DOT}*{_PN_CHARS})?"
_TOKENS = re.compile(
    "|".join(
        f"(?P<{name}>{pattern})"
        for name, pattern in (
            ("ws", r"[ \t\r\n]+"),
            ("comment", r"#[^\r\n]*"),
            ("iri", f'<(?:[^<>"{{}}|^`\\\\\x00-\x20]|{_UCHAR})*>'),
            (
                "string",
                r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""|\'\'\'(?:(?:\'|\'\')?(?:[^\'\\]|\\.))*\'\'\''
                r'|"(?:[^"\\\r\n]|\\.)*"|\'(?:[^\'\\\r\n]|\\.)*\'',
            ),
            ("langtag", r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?"),
            ("var", f"[?$]{_VARNAME}"),
            ("bnode", _BNODE),
            ("pname", f"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?"),
            ("number", r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"),
            ("word", r"[A-Za-z][A-Za-z0-9_]*"),
            ("punct", r"\^\^|<=|>=|!=|&&|\|\||<<\(|\)>>|<<|>>|\{\||\|\}|[{}()\[\].,;*+\-/!=<>^|?~]"),
        )
    )
)
_ESCAPE = re.compile(_UCHAR)
_UNSAFE_CODES = {ord(c) for c in "\"'<>\\#{}|^`"}
_KEYWORDS = {"service": SERVICE_REFUSED, "from": DATASET_REFUSED, "graph": GRAPH_REFUSED}
_UPDATE_WORDS = {"insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy", "with"}


class LexError(ValueError):
    """Text that is not a sequence of SPARQL tokens, at a 1-based line and column."""

    def __init__(self, query: str, offset: int, reason: str) -> None:
        before = query[:offset]
        self.line = before.count("\n") + 1
        self.column = offset - (before.rfind("\n") + 1) + 1
        self.reason = reason
        super().__init__(f"line {self.line}, column {self.column}: {reason}")


def words(query: str) -> list[str]:
    """The bare words (keywords, function names) of a query, lower-cased, in order; LexError otherwise."""
    found: list[str] = []
    at, end = 0, len(query)
    while at < end:
        match = _TOKENS.match(query, at)
        if match is None or match.end() == at:
            raise LexError(query, at, f"unexpected {query[at]!r}")
        kind = match.lastgroup
        if kind == "word":
            found.append(match.group().lower())
        elif kind in ("iri", "string"):
            for escape in _ESCAPE.finditer(match.group()):
                code = int(escape.group()[2:], 16)
                if code in _UNSAFE_CODES or code < 0x20 or code == 0x7F or code > 0x10FFFF or chr(code).isspace():
                    raise LexError(
                        query, at + escape.start(),
                        "a \\u escape of a quote, a bracket, '#', a backslash or a space is not accepted; "
                        "write the character itself (escaped as SPARQL strings allow)",
                    )  # fmt: skip
        at = match.end()
    return found


def text_refusal(query: str, *, allow_service: bool = False) -> str | None:
    """The refusal for a query read as tokens (an update, SERVICE, FROM, GRAPH), or None; LexError
    when the text is not SPARQL tokens (see `check_text`, which turns that into a refusal)."""
    found = words(query)
    if any(w in _UPDATE_WORDS for w in found):
        return UPDATE_REFUSED
    for word in found:
        message = _KEYWORDS.get(word)
        if message and not (allow_service and message == SERVICE_REFUSED):
            return message
    return None


def check_text(query: str, *, allow_service: bool = False) -> None:
    """The guard every engine runs first, without a parser (so the one-shot CLI imports none).

    Raises QueryError: an update, SERVICE (unless `allow_service`), FROM or GRAPH; or a syntax
    error for text that is not SPARQL tokens (fails closed: then rdflib's message is given where
    its parser fails too, so an ill-formed query reads as before).
    """
    try:
        refusal = text_refusal(query, allow_service=allow_service)
    except LexError as exc:
        raise QueryError(_lexical_message(query, exc)) from None
    if refusal:
        raise QueryError(refusal)


def _lexical_message(query: str, exc: LexError) -> str:
    from rdflib.plugins.sparql import prepareQuery  # only on this error path

    _no_fetching()
    try:
        prepareQuery(query)
    except RecursionError:
        return f"SPARQL syntax error: {NESTED_TOO_DEEP}"
    except Exception as parse_error:  # pyparsing.ParseException and friends
        return syntax_message(query, parse_error)
    return f"SPARQL syntax error at line {exc.line}, column {exc.column}: {exc.reason}"


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
