"""`sparql`, `query` and `push`: SPARQL over the build, or over a shared triple store (remote.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError, QueryError
from ..output import Format, render
from ..vocabulary import Engine, RdfFormat, SparqlFormat
from .common import BuildDir, EditionOpt, EngineOpt, build_dir_of, edition_engine, err, local_engine, read_only_command

AllowServiceOpt = Annotated[
    bool,
    typer.Option("--allow-service", help="Let the query call other endpoints with SERVICE (refused by default)."),
]  # fmt: skip
SparqlFormatOpt = Annotated[SparqlFormat, typer.Option("--format", "-f", help="W3C result format or a table.")]


def _run_local(
    build_dir: Path | None,
    engine: Engine | None,
    text: str,
    allow_service: bool,
    *,
    edition: str | None = None,
    trusted: bool = False,
) -> Any:
    """Run `text` on the local build (for a named query: on the chosen editions, see `edition_engine`);
    a refused SERVICE names the flag that allows it (see sparql_guard). `trusted`: one of klimatgraf's
    own queries (sparql.Engine)."""
    from ..sparql_guard import SERVICE_CLI_HINT, SERVICE_REFUSED

    source = (
        edition_engine("query", build_dir, engine, edition) if edition is not None else local_engine(build_dir, engine)
    )
    try:
        return source.run(text, allow_service=allow_service, trusted=trusted)
    except QueryError as exc:
        if str(exc) == SERVICE_REFUSED:
            raise QueryError(SERVICE_REFUSED + SERVICE_CLI_HINT) from None
        raise


def _engine_or_endpoint(engine: Engine | None, endpoint: str | None) -> None:
    if engine is not None and endpoint is not None:
        raise InputError("--engine picks the engine for the local build; leave it out with --endpoint")


def _print_result(result: Any, fmt: SparqlFormat) -> None:
    """Print a result; text that cannot be written (a lone surrogate) is the query's fault: exit 2."""
    from ..sparql_guard import evaluation_message

    try:
        _write_result(result, fmt)
    except UnicodeEncodeError as exc:
        raise QueryError(evaluation_message(exc)) from None


def _write_result(result: Any, fmt: SparqlFormat) -> None:
    from ..formats import serialise_graph, serialise_result

    if result.kind == "CONSTRUCT":
        sys.stdout.write(serialise_graph(result.graph, RdfFormat.turtle).decode("utf-8"))
    elif result.kind == "ASK" and fmt not in (SparqlFormat.json, SparqlFormat.xml):
        sys.stdout.write(str(result.boolean).lower() + "\n")
    elif fmt is SparqlFormat.table:
        render(result.plain_rows(), result.variables, Format.table, sys.stdout)
    else:  # the W3C formats, byte for byte what the server answers (json: plus a newline)
        text = serialise_result(result, fmt)
        sys.stdout.write(text + "\n" if fmt is SparqlFormat.json else text)


# Options for a shared triple store (see README "Shared triple store"); remote.py speaks the W3C protocols.
EndpointOpt = Annotated[
    str | None,
    typer.Option("--endpoint", help="Ask this SPARQL endpoint instead of the build (e.g. http://localhost:8890/sparql)."),
]  # fmt: skip
GraphOpt = Annotated[
    str | None,
    typer.Option("--graph", help="Named graph in the store.", show_default="https://w3id.org/klimatgraf/graph"),
]  # fmt: skip
UserOpt = Annotated[str | None, typer.Option("--user", help="User name for the store (basic or digest auth).")]
PasswordEnvOpt = Annotated[
    str | None,
    typer.Option("--password-env", metavar="VAR", help="Take the password from this environment variable "
                 "(default: ask on the terminal)."),
]  # fmt: skip


def _store(endpoint: str, user: str | None, password_env: str | None, **urls: str | None) -> Any:
    """A remote.Store with the password from the environment or a prompt, never from the command line."""
    from ..remote import connect

    if user is None:
        if password_env is not None:
            raise InputError("--password-env needs --user")
        return connect(endpoint, **urls)
    if password_env is not None:
        password = os.environ.get(password_env)
        if password is None:
            raise InputError(f"environment variable {password_env} is not set; export it or leave out --password-env")
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"password for {user} at {endpoint}: ")
    else:
        raise InputError(f"no terminal to ask for {user}'s password; pass --password-env VAR")
    return connect(endpoint, user=user, password=password, **urls)


def _remote_result(endpoint: str, text: str, graph: str | None, user: str | None, password_env: str | None) -> Any:
    from ..remote import DEFAULT_GRAPH
    from ..remote import query as remote_query

    return remote_query(_store(endpoint, user, password_env), text, graph or DEFAULT_GRAPH)


def _local_only(graph: str | None, user: str | None, password_env: str | None) -> None:
    if graph is not None or user is not None or password_env is not None:
        raise InputError("--graph, --user and --password-env need --endpoint")


def sparql(
    query: Annotated[str, typer.Argument(help="A SPARQL query, or a path to a .rq file.")],
    build_dir: BuildDir = None,
    fmt: SparqlFormatOpt = SparqlFormat.table,
    engine: EngineOpt = None,
    endpoint: EndpointOpt = None,
    graph: GraphOpt = None,
    user: UserOpt = None,
    password_env: PasswordEnvOpt = None,
    allow_service: AllowServiceOpt = False,
) -> None:
    """Run a SPARQL SELECT/ASK/CONSTRUCT query over the built graph (or a store's, with --endpoint)."""
    from ..sparql import resolve_query_text

    read_only_command()
    text = resolve_query_text(query)
    _engine_or_endpoint(engine, endpoint)
    if endpoint is not None:
        _print_result(_remote_result(endpoint, text, graph, user, password_env), fmt)
        return
    _local_only(graph, user, password_env)
    result = _run_local(build_dir, engine, text, allow_service)
    _print_result(result, fmt)


def query(
    name: Annotated[str | None, typer.Argument(help="A named query from queries/ (see --list).")] = None,
    build_dir: BuildDir = None,
    fmt: SparqlFormatOpt = SparqlFormat.table,
    list_: Annotated[bool, typer.Option("--list", help="List the named queries.")] = False,
    engine: EngineOpt = None,
    endpoint: EndpointOpt = None,
    graph: GraphOpt = None,
    user: UserOpt = None,
    password_env: PasswordEnvOpt = None,
    edition: EditionOpt = None,
    allow_service: AllowServiceOpt = False,
) -> None:
    """Run a named competency question (queries/NAME.rq) over the built graph (or a store's, with --endpoint)."""
    from ..sparql import list_queries, named_query

    if list_ or name is None:
        rows = [{"name": q.name, "description": q.description} for q in list_queries()]
        render(rows, ["name", "description"], Format(fmt.value), sys.stdout)
        return
    named = named_query(name)
    read_only_command()
    _engine_or_endpoint(engine, endpoint)
    if endpoint is not None:
        _print_result(_remote_result(endpoint, named.text, graph, user, password_env), fmt)
        return
    _local_only(graph, user, password_env)
    result = _run_local(
        build_dir, engine, named.text, allow_service, edition=edition or "latest", trusted=named.trusted
    )
    _print_result(result, fmt)


def push(
    endpoint: Annotated[
        str, typer.Option("--endpoint", help="The store's SPARQL endpoint, e.g. http://localhost:8890/sparql.")
    ],
    build_dir: BuildDir = None,
    graph: GraphOpt = None,
    user: UserOpt = None,
    password_env: PasswordEnvOpt = None,
    graph_store: Annotated[
        str | None,
        typer.Option("--graph-store", help="Graph Store Protocol URL (Virtuoso default: ENDPOINT-graph-crud-auth)."),
    ] = None,
    update: Annotated[
        str | None, typer.Option("--update-endpoint", help="SPARQL Update URL (Virtuoso default: ENDPOINT-auth).")
    ] = None,
) -> None:
    """Replace a named graph in a shared triple store by the built graph, then check the triple count there."""
    from ..remote import DEFAULT_GRAPH
    from ..remote import push as run_push
    from ..sparql import load_graph

    store = _store(endpoint, user, password_env, graph_store=graph_store, update=update)
    data = load_graph(build_dir_of(build_dir))
    summary = run_push(store, graph or DEFAULT_GRAPH, data.serialize(format="nt", encoding="utf-8"), len(data))
    err().print(
        f"pushed <{summary.graph}> to {endpoint}: {summary.previous} triples replaced by {summary.triples}; "
        f"the store's count matches the build ({summary.seconds:.1f} s)"
    )
