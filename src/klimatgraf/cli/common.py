"""What the commands share: the common options, the stderr console and progress bar, and
where a command finds the data and build directories and the build's SPARQL engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import default_data_dir
from ..output import Format
from ..store import resolve_build_dir as build_dir_of  # --build-dir, else KLIMATGRAF_BUILD, else build/
from ..vocabulary import Engine

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Input directory (contracts/ and reference/). Env: KLIMATGRAF_DATA.",
                 show_default="data"),
]  # fmt: skip
BuildDir = Annotated[
    Path | None,
    typer.Option("--build-dir", help="Build output directory. Env: KLIMATGRAF_BUILD.", show_default="build"),
]  # fmt: skip
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
EngineOpt = Annotated[
    Engine | None,
    typer.Option("--engine", help="SPARQL engine over the build: oxigraph (fast) or rdflib; same results.",
                 show_default="oxigraph"),
]  # fmt: skip
EditionOpt = Annotated[
    str | None, typer.Option("--edition", help="latest (default) | all | YEAR: which editions of each contract.")
]


# Set by a read-only command (`search`, `query`, `sparql`, `compare`, `history`, `diff`, `export`)
# once it has started: when it ends, the console script flushes stdout and stderr and leaves without
# the interpreter's teardown (`main`; ≈ 0.1 s of a one-shot query with rdflib and oxigraph loaded).
READ_ONLY: list[bool] = []


def read_only_command() -> None:
    """Mark the running command as leaving nothing to finish when it returns: it writes stdout, stderr
    and at most files that are complete and renamed into place (`store.write_atomically`) by then."""
    READ_ONLY.append(True)


def data_dir_of(value: Path | None) -> Path:
    """The data directory a command reads: --data-dir, else KLIMATGRAF_DATA, else data/."""
    return value or default_data_dir()


def err() -> Any:
    """A rich console on stderr, for people (stdout carries only data)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def progress() -> Iterator[Any]:
    """A rich progress bar on stderr; returns a (stage, done, total) callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err(), transient=True,
    ) as bar:  # fmt: skip
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield report


def local_engine(build_dir: Path | None, engine: Engine | None) -> Any:
    """The build's graph loaded into the chosen engine (default: the faster, oxigraph)."""
    from ..sparql import DEFAULT_ENGINE, open_engine

    return open_engine(build_dir_of(build_dir), engine or DEFAULT_ENGINE)


def edition_engine(command: str, build_dir: Path | None, engine: Engine | None, edition: str | None) -> Any:
    """The build's engine restricted to the chosen editions; a note on stderr says which (issue 14)."""
    from ..editions import open_edition, parse_edition

    source, note = open_edition(build_dir_of(build_dir), engine, parse_edition(edition))
    if note:
        err().print(f"{command}: {note}", markup=False, highlight=False)
    return source


def check_output_dir(output: Path | None) -> None:
    """--output names a file in a directory that exists (checked before any work, one line)."""
    from ..errors import InputError

    if output is not None and not output.parent.is_dir():
        raise InputError(f"{output.parent} does not exist; create it or choose another --output")


def write_output(data: bytes, output: Path | None, what: str) -> None:
    """The bytes of an answer to FILE atomically (and "wrote FILE (what)" on stderr), or to stdout."""
    import sys

    if output is None:
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:  # stdout captured as text (tests): decoded, images replaced
            sys.stdout.write(data.decode("utf-8", errors="replace"))
        else:
            sys.stdout.flush()
            binary.write(data)
            binary.flush()
        return
    write_file(data, output)
    err().print(f"wrote {output} ({what})", markup=False, highlight=False)


def write_file(data: bytes, output: Path) -> None:
    """The bytes to FILE atomically: all of them or, on any failure, the file as it was."""
    from ..store import write_atomically

    check_output_dir(output)
    write_atomically(output, lambda tmp: tmp.write_bytes(data))
