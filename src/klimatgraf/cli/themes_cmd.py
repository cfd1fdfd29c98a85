"""`themes`: municipalities compared by topic, the municipality × concept matrix (issue 23).

A command of its own beside `compare`: compare is a sheet of facts about a few named
municipalities (a column each); the matrix is every municipality against the concepts of one
level of the vocabulary, with options compare has no use for (--level, --under, --show) and
pictures (svg, png).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..output import Format, render
from ..vocabulary import ThemesFormat
from .common import (
    BuildDir,
    DataDir,
    EditionOpt,
    EngineOpt,
    build_dir_of,
    check_output_dir,
    data_dir_of,
    err,
    local_engine,
    read_only_command,
    write_output,
)

CELL_COLUMNS = ["municipality", "edition", "concept", "paragraph", "section", "text"]


def themes(
    municipalities: Annotated[
        list[str] | None,
        typer.Argument(help="Only these municipalities (names or kommunkoder, any case); default: every one."),
    ] = None,
    level: Annotated[
        int | None, typer.Option("--level", help="The concepts of this level: 1 = the top concepts (default), 2, 3.")
    ] = None,
    under: Annotated[
        str | None,
        typer.Option(
            "--under",
            help="The concepts one level below this one (or at --level within it): "
            "a label, the start of one ('Mobilitet') or an id.",
        ),
    ] = None,
    show: Annotated[
        str | None,
        typer.Option(
            "--show",
            metavar="MUNICIPALITY:CONCEPT",
            help="Open one cell: its passages, the tagged words marked (e.g. 'Alvesta:Mobilitet').",
        ),
    ] = None,
    keep_empty: Annotated[
        bool, typer.Option("--keep-empty", help="Keep the concepts of the level that no municipality names.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout (svg and png).")
    ] = None,
    build_dir: BuildDir = None,
    data_dir: DataDir = None,
    fmt: Annotated[
        ThemesFormat,
        typer.Option(
            "--format", "-f", help="table, json (passage ids per cell), csv, tsv, markdown, or a heatmap: svg, png."
        ),
    ] = ThemesFormat.table,
    edition: EditionOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Municipalities × concepts: how many of each municipality's own paragraphs (never the shared
    template text) name each concept or a narrower one. Top concepts by default; --level N, --under
    CONCEPT; --show MUNICIPALITY:CONCEPT lists one cell's passages."""
    from ..corpus import load_gazetteer
    from ..editions import parse_edition
    from ..topics import matrix, read_profiles

    chosen_edition = parse_edition(edition)
    check_output_dir(output)
    picture = fmt in (ThemesFormat.svg, ThemesFormat.png)
    if picture and output is None and sys.stdout.isatty():
        raise InputError(f"--format {fmt} writes an image: pass --output FILE.{fmt} or redirect stdout")
    read_only_command()
    build = build_dir_of(build_dir)
    profiles = read_profiles(build)
    gazetteer = load_gazetteer(data_dir_of(data_dir))
    if show is not None:
        if picture:
            raise InputError("--show lists passages: use --format table, json, csv, tsv or markdown")
        if level is not None or under is not None or municipalities or keep_empty:
            raise InputError("--show opens one cell: name it as MUNICIPALITY:CONCEPT, without other choices")
        _show(profiles, build, engine, show, gazetteer, chosen_edition, fmt, output)
        return
    result = matrix(
        profiles,
        edition=chosen_edition,
        level=level,
        under=under,
        names=municipalities,
        gazetteer=gazetteer,
        keep_empty=keep_empty,
    )
    if result.note:
        err().print(f"themes: {result.note}", markup=False, highlight=False)
    if result.empty and not keep_empty:
        names = ", ".join(c.label for c in result.empty)
        err().print(
            f"themes: {len(result.empty)} concept{'s' if len(result.empty) != 1 else ''} named by no "
            f"municipality left out: {names} (--keep-empty shows them)",
            markup=False,
            highlight=False,
        )
    if picture:
        from ..heatmap import heatmap

        if not result.rows or not result.concepts:
            raise InputError("nothing to draw: no municipality names a concept of this level")
        write_output(heatmap(result, fmt.value), output, f"{len(result.rows)} × {len(result.concepts)} heatmap")
        return
    if fmt is ThemesFormat.json:
        write_output(_json(result.to_dict()), output, "matrix")
        return
    rows, columns = result.table()
    _emit(rows, columns, Format(fmt.value), output)


def _show(profiles: Any, build: Path, engine: Any, text: str, gazetteer: Any, edition: str, fmt: ThemesFormat,
          output: Path | None) -> None:  # fmt: skip
    """One cell's passages: table and markdown mark the tagged words with **…**; json gives spans and html."""
    from ..topics import cell, parse_cell

    municipality, concept = parse_cell(text)
    found = cell(profiles, local_engine(build, engine), municipality, concept, gazetteer, edition=edition)
    if found.note:
        err().print(f"themes: {found.note}", markup=False, highlight=False)
    err().print(
        f"themes: {found.municipality} × {found.concept.label}: {len(found.passages)} passage"
        f"{'' if len(found.passages) == 1 else 's'} of the municipality's own text",
        markup=False,
        highlight=False,
    )
    if fmt is ThemesFormat.json:
        write_output(_json(found.to_dict()), output, "passages")
        if not found.passages:
            raise typer.Exit(1)  # ran fine, the answer is negative: its own text does not name the concept
        return
    marked = fmt in (ThemesFormat.table, ThemesFormat.markdown)
    rows = [
        {
            "municipality": p.municipality,
            "edition": p.edition,
            "concept": ", ".join(dict.fromkeys(t["label"] for t in p.concepts)),
            "paragraph": p.pid,
            "section": p.section,
            "text": p.marked("**", "**") if marked else p.text,
        }
        for p in found.passages
    ]
    if not rows and marked:  # stdout stays data: the header for CSV, nothing for a table
        raise typer.Exit(1)
    _emit(rows, CELL_COLUMNS, Format(fmt.value), output)
    if not rows:
        raise typer.Exit(1)


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _emit(rows: list[dict[str, Any]], columns: list[str], fmt: Format, output: Path | None) -> None:
    if output is None:
        render(rows, columns, fmt, sys.stdout)
        return
    import io

    buffer = io.StringIO()
    render(rows, columns, fmt, buffer)
    write_output(buffer.getvalue().encode("utf-8"), output, f"{len(rows)} rows")
