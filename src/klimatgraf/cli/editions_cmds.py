"""`compare`, `history` and `diff`: municipalities side by side, and one contract's editions over time."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from ..errors import InputError
from ..output import Format, render
from ..vocabulary import DiffFormat, Engine
from .common import (
    BuildDir,
    DataDir,
    EditionOpt,
    EngineOpt,
    FormatOpt,
    build_dir_of,
    data_dir_of,
    edition_engine,
    err,
    local_engine,
    read_only_command,
)


def compare(
    municipalities: Annotated[
        list[str] | None, typer.Argument(help="Names or kommunkoder (any case, å/ä/ö optional).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Compare every municipality in the graph.")] = False,
    build_dir: BuildDir = None,
    data_dir: DataDir = None,
    fmt: FormatOpt = Format.table,
    engine: EngineOpt = None,
    edition: EditionOpt = None,
) -> None:
    """Municipalities side by side: type, version, twins, commitments 1–10, targets, emissions, themes."""
    from ..compare import compare as run_compare
    from ..corpus import load_gazetteer

    if not municipalities and not all_:
        raise InputError("name at least one municipality, or pass --all")
    read_only_command()
    graph = edition_engine("compare", build_dir, engine, edition)
    themes = None
    if engine in (None, Engine.oxigraph):  # the default engine reads "Teman" from topics.json; rdflib
        from ..editions import parse_edition  # keeps the named query, the reference both are tested against
        from ..topics import read_profiles, top_concept_counts

        themes = top_concept_counts(read_profiles(build_dir_of(build_dir)), parse_edition(edition))
    result = run_compare(graph, None if all_ else municipalities, load_gazetteer(data_dir_of(data_dir)), themes)
    render(result.rows, result.columns, fmt, sys.stdout)


def history(
    name: Annotated[str, typer.Argument(help="A municipality: name or kommunkod (any case, å/ä/ö optional).")],
    build_dir: BuildDir = None,
    data_dir: DataDir = None,
    fmt: FormatOpt = Format.table,
    engine: EngineOpt = None,
) -> None:
    """The editions of one municipality's contracts: version, signing date, type and document, oldest first."""
    from ..corpus import load_gazetteer
    from ..editions import municipality_editions

    read_only_command()
    source = local_engine(build_dir, engine)
    found = municipality_editions(source, name, load_gazetteer(data_dir_of(data_dir)))
    columns = ["municipality", "version", "edition_year", "signed", "type", "document", "latest", "file"]
    render([e.to_dict() for e in found], columns, fmt, sys.stdout)


def diff(
    name: Annotated[str, typer.Argument(help="A municipality: name or kommunkod.")],
    from_: Annotated[
        str | None, typer.Argument(metavar="[FROM]", help="Older edition: version, year or document id.")
    ] = None,
    to: Annotated[str | None, typer.Argument(metavar="[TO]", help="Newer edition (default: the two latest).")] = None,
    build_dir: BuildDir = None,
    data_dir: DataDir = None,
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="table, json or markdown.")] = DiffFormat.table,
    engine: EngineOpt = None,
) -> None:
    """What was added, removed or changed between two editions, each line with its evidence on both sides.
    Exit 1 when the two editions give the same facts."""
    from ..corpus import load_gazetteer
    from ..diff import COLUMNS
    from ..diff import diff as run_diff

    read_only_command()
    result = run_diff(local_engine(build_dir, engine), name, load_gazetteer(data_dir_of(data_dir)), from_, to)
    old, new = result.old, result.new
    err().print(
        f"diff: {result.municipality} {old.version or old.document} ({old.signed or 'odaterad'}) → "
        f"{new.version or new.document} ({new.signed or 'odaterad'}): {len(result.rows)} changes",
        markup=False,
        highlight=False,
    )
    if fmt is DiffFormat.json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
    elif fmt is DiffFormat.markdown:
        render(result.rows, COLUMNS, Format.markdown, sys.stdout)
    else:
        rows = [
            {**r, "from_evidence": _short(r["from_evidence"]), "to_evidence": _short(r["to_evidence"])}
            for r in result.rows
        ]
        render(rows, COLUMNS, Format.table, sys.stdout)
    if not result.rows:
        raise typer.Exit(1)


def _short(text: str | None, limit: int = 120) -> str | None:
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"
