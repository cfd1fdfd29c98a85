"""The `klimatgraf` command line: parses arguments, calls the library, formats output.

stdout carries data only (tables, JSON, CSV, RDF); progress, summaries and errors go to
stderr. Any KlimatgrafError becomes one line on stderr and exit code 2 (`main`, the one
place where errors become exit codes); exit 1 means the command ran and the answer is
negative (e.g. SHACL violations). Heavy libraries are imported inside commands so that
`klimatgraf --help` starts fast.

The commands live by area: build_cmds (build, ingest, validate), sparql_cmds (sparql, query,
push), export_cmds (export …), search_cmds (search, eval), editions_cmds (compare, history,
diff), themes_cmd (themes), concepts_cmd (concepts) and serve_cmd (serve); common holds the options and helpers they share.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from ..errors import KlimatgrafError
from .build_cmds import build, ingest, validate
from .common import READ_ONLY
from .concepts_cmd import concepts
from .editions_cmds import compare, diff, history
from .export_cmds import export_app
from .search_cmds import evaluate_command, search
from .serve_cmd import serve
from .sparql_cmds import push, query, sparql
from .themes_cmd import themes

app = typer.Typer(
    name="klimatgraf",
    help="Swedish municipal climate contracts as a validated knowledge graph and a Swedish search engine.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        sys.stdout.write(f"klimatgraf {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Swedish municipal climate contracts as a validated knowledge graph and a Swedish search engine."""


# The commands in the order `--help` lists them; the export group comes last.
COMMANDS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("build", build), ("ingest", ingest), ("validate", validate),
    ("sparql", sparql), ("query", query), ("push", push),
    ("search", search), ("eval", evaluate_command), ("concepts", concepts),
    ("compare", compare), ("themes", themes), ("history", history), ("diff", diff),
    ("serve", serve),
)  # fmt: skip
for name, command in COMMANDS:
    app.command(name)(command)
app.add_typer(export_app, name="export")


def main() -> None:
    """Console-script entry point: one line on stderr for every user error, never a traceback."""
    try:
        app()
    except SystemExit as done:
        if READ_ONLY and (done.code is None or isinstance(done.code, int)):
            _leave_now(done.code or 0)
        raise
    except KlimatgrafError as exc:
        sys.stderr.write(f"klimatgraf: error: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("klimatgraf: interrupted; the previous build is untouched\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except Exception as exc:  # a bug: still one line, with a way to see more
        if os.environ.get("KLIMATGRAF_DEBUG"):
            raise
        sys.stderr.write(_internal_error(exc))
        sys.exit(3)


def _internal_error(exc: BaseException) -> str:
    """The one line a bug (or a failing stdout) gets on stderr, with a way to see more."""
    return f"klimatgraf: internal error: {type(exc).__name__}: {exc} (set KLIMATGRAF_DEBUG=1 for details)\n"


def _leave_now(code: int) -> None:
    """End a read-only command (`search`) without the interpreter's teardown: its output is all in
    stdout and stderr, which are flushed here, and finalising numpy, faiss, pydantic and the
    rest costs ≈ 50 ms, a tenth of a one-shot search (docs/benchmarks.md)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # `klimatgraf search … | head -1`: as in `main`, the reader has what it wanted
        code = 0
    except OSError as exc:  # a full disk: the one line `main` writes for it
        sys.stderr.write(_internal_error(exc))
        code = 3
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code)
