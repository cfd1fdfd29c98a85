"""One way to print rows for every listing command: --format table|json|csv|tsv|markdown.

stdout carries only data; tables are rendered by rich onto stdout too (they are the data in
human form), while progress and messages go to stderr elsewhere.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, TextIO

from .vocabulary import Format

__all__ = ["Format", "markdown_table", "render", "text_table"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Format, out: TextIO) -> None:
    """Write `rows` (dicts keyed by `columns`) to `out` in the requested format."""
    if fmt is Format.json:
        json.dump([{c: row.get(c) for c in columns} for row in rows], out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    elif fmt in (Format.csv, Format.tsv):
        writer = csv.writer(out, delimiter="," if fmt is Format.csv else "\t", lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
    elif fmt is Format.markdown:
        out.write(markdown_table(rows, columns))
    else:
        out.write(text_table(rows, columns))


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>")

    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(esc(_cell(row.get(c))) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def text_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None) -> str:
    """A rich table rendered to plain text (no colour codes unless stdout is a terminal)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    buffer = io.StringIO()
    Console(file=buffer, width=160, no_color=True, highlight=False).print(table)
    return buffer.getvalue()
