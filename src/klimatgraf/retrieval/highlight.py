"""One highlighter: which words of a paragraph answer a question, for the terminal and the web."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Sequence

from ..errors import InputError
from ..index import Analyzer
from .reading import clean_query, expand_english


def highlight_spans(text: str, query: str, analyzer: Analyzer | None = None) -> list[tuple[int, int]]:
    """(start, end) of every word of `text` that answers the query, in order: the one matcher
    behind the terminal (`highlight`) and web (`highlight_html`) renderings.

    A word matches when it shares an analysed token with the query: the Swedish stem (so
    "matsvinnet" for "matsvinn"), a compound part (with an index's analyzer, which knows the
    corpus's words: "möbelåterbruk" for "återbruk"), or the Swedish term for an English
    climate term in the query ("food waste" marks "matsvinn"), as the BM25 retriever reads it.
    """
    analyzer = analyzer or _default_analyzer()
    try:
        wanted = set(analyzer.tokens(expand_english(clean_query(query)), query=True))
    except InputError:
        return []
    if not wanted:
        return []
    tokens_of = analyzer.word_tokens
    return [m.span() for m in re.finditer(r"[^\W_]+", text) if not wanted.isdisjoint(tokens_of(m.group()))]


def _flattened(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """`text` with its whitespace made single spaces, and `spans` moved to where they fall in it."""
    flat: list[str] = []
    where: list[int] = []  # position in the flat text of each character of `text`
    space = False
    for char in text.strip():
        where.append(len(flat) if not (char.isspace() and space) else len(flat) - 1)
        if char.isspace():
            if not space:
                flat.append(" ")
            space = True
        else:
            flat.append(char)
            space = False
    offset = len(text) - len(text.lstrip())
    moved = []
    for a, b in spans:
        a, b = a - offset, b - offset
        if 0 <= a < b <= len(where):
            moved.append((where[a], where[b - 1] + 1))
    return "".join(flat), moved


def highlight(
    text: str,
    query: str,
    *,
    width: int = 240,
    mark: tuple[str, str] = ("**", "**"),
    analyzer: Analyzer | None = None,
    spans: Sequence[tuple[int, int]] | None = None,
) -> str:
    """A snippet of about `width` characters around the first matching word, matches marked
    (`highlight_spans`, or the `spans` given: the words a concept tag found); the text's whitespace
    is made single spaces, for a terminal table."""
    if spans is not None:
        flat, spans = _flattened(text, spans)
    else:
        flat = " ".join(text.split())
        spans = highlight_spans(flat, query, analyzer)
    start = 0
    if len(flat) > width:
        if spans:
            start = max(0, min(spans[0][0] - width // 4, len(flat) - width))
            start = flat.rfind(" ", 0, start) + 1 if start else 0
        end = flat.find(" ", start + width)
        end = len(flat) if end < 0 else end
    else:
        end = len(flat)
    out, pos = [], start
    for a, b in spans:
        if a < start or b > end:
            continue
        out += [flat[pos:a], mark[0], flat[a:b], mark[1]]
        pos = b
    out.append(flat[pos:end])
    return ("… " if start else "") + "".join(out) + (" …" if end < len(flat) else "")


def highlight_html(
    text: str, query: str, *, analyzer: Analyzer | None = None, spans: Sequence[tuple[int, int]] | None = None
) -> str:
    """The whole `text` HTML-escaped with the matching words (`highlight_spans`, or the `spans`
    given) wrapped in <mark>…</mark>; nothing is cut or re-flowed, so a page can show the paragraph
    with its line breaks and link to its source."""
    out, pos = [], 0
    for a, b in spans if spans is not None else highlight_spans(text, query, analyzer):
        if a < pos:
            continue
        out += [html_lib.escape(text[pos:a]), "<mark>", html_lib.escape(text[a:b]), "</mark>"]
        pos = b
    out.append(html_lib.escape(text[pos:]))
    return "".join(out)


_ANALYZER: list[Analyzer] = []


def _default_analyzer() -> Analyzer:
    if not _ANALYZER:
        _ANALYZER.append(Analyzer())
    return _ANALYZER[0]
