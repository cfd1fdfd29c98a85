"""The `klimatgraf` command line: parses arguments, calls the library, formats output.

stdout carries data only (tables, JSON, CSV, RDF); progress, summaries and errors go to
stderr. Any KlimatgrafError becomes one line on stderr and exit code 2; exit 1 means the
command ran and the answer is negative (e.g. SHACL violations). Heavy libraries are
imported inside commands so that `klimatgraf --help` starts fast.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from .config import default_build_dir, default_data_dir
from .errors import InputError, KlimatgrafError, QueryError
from .output import Format, render

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
        from . import __version__

        sys.stdout.write(f"klimatgraf {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Swedish municipal climate contracts as a validated knowledge graph and a Swedish search engine."""


export_app = typer.Typer(help="Export the graph (RDF) or the network (Gephi, GraphML, CSV).", no_args_is_help=True)
app.add_typer(export_app, name="export")

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


def _err() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: int = 2) -> NoReturn:
    sys.stderr.write(f"klimatgraf: error: {message}\n")
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point: one line on stderr for every user error, never a traceback."""
    try:
        app()
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
        sys.stderr.write(
            f"klimatgraf: internal error: {type(exc).__name__}: {exc} (set KLIMATGRAF_DEBUG=1 for details)\n"
        )
        sys.exit(3)


@contextmanager
def _progress() -> Iterator[Any]:
    """A rich progress bar on stderr; returns a (stage, done, total) callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=_err(), transient=True,
    ) as bar:  # fmt: skip
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield report


# ----------------------------------------------------------------------------- build / ingest


@app.command()
def build(
    data_dir: DataDir = None,
    build_dir: BuildDir = None,
    index: Annotated[bool, typer.Option("--index/--no-index", help="Also build the search index.")] = True,
    model: Annotated[str, typer.Option("--model", help="Embedding model: e5 (default) or st:PATH_OR_NAME.")] = "e5",
    wait: Annotated[bool, typer.Option("--wait", help="Wait for a running build instead of failing.")] = False,
    checkpoint_every: Annotated[
        int, typer.Option("--checkpoint-every", min=1, help="Save the embedding cache every N new passages.")
    ] = 256,
) -> None:
    """Build graph.ttl/graph.nt and the search index from the contracts in DATA_DIR/contracts."""
    from .build import build as run_build

    with _progress() as report:
        summary = run_build(
            data_dir or default_data_dir(),
            build_dir or default_build_dir(),
            progress=report,
            with_index=index,
            model=model,
            wait=wait,
            checkpoint_every=checkpoint_every,
        )
    embedded = f", {summary.embedded} passages embedded" if summary.embedded is not None else ""
    embedded += f" ({summary.from_cache} from cache)" if summary.from_cache is not None else ""
    embedded += f"; left out as superseded: {', '.join(summary.superseded)}" if summary.superseded else ""
    _err().print(
        f"built {summary.graph}: {summary.documents} documents, {summary.paragraphs} paragraphs "
        f"({summary.boilerplate} shared template), {summary.facts} facts, {summary.triples} triples"
        f"{embedded} in {summary.seconds:.1f} s"
    )


class DocTypeChoice(str, Enum):
    klimatkontrakt = "klimatkontrakt"
    avsiktsforklaring = "avsiktsforklaring"


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Contract files (.txt or .pdf) to add.")],
    data_dir: DataDir = None,
    build_dir: BuildDir = None,
    municipality: Annotated[
        str | None, typer.Option(help="Override the detected municipality (name or kommunkod).")
    ] = None,
    doc_type: Annotated[
        DocTypeChoice | None, typer.Option("--type", help="Override the detected document type.")
    ] = None,
    rebuild: Annotated[bool, typer.Option("--build/--no-build", help="Rebuild graph and index afterwards.")] = True,
) -> None:
    """Copy new contracts into DATA_DIR/contracts (checked first; duplicates by sha256 skipped) and rebuild."""
    from .corpus import contract_files, load_gazetteer, save_override
    from .ingest import read_document

    data_dir = data_dir or default_data_dir()
    gazetteer = load_gazetteer(data_dir)
    contracts = data_dir / "contracts"
    contracts.mkdir(parents=True, exist_ok=True)
    existing = {_sha256(p): p for p in (contract_files(data_dir) if any(contracts.iterdir()) else [])}
    documents = []
    for path in files:  # read all first: a bad file stops the command before anything is copied
        kind = doc_type.value if doc_type else None
        document = read_document(path, gazetteer, municipality=municipality, doc_type=kind)  # type: ignore[arg-type]
        documents.append((path, document))
    added = 0
    for path, document in documents:
        if document.sha256 in existing:
            _err().print(f"{path.name}: already ingested as {existing[document.sha256].name}; skipped")
            continue
        target = contracts / path.name
        if target.exists():
            raise InputError(f"{target} exists with different content; rename {path.name} and ingest again")
        shutil.copyfile(path, target)
        existing[document.sha256] = target
        if municipality or doc_type:
            save_override(data_dir, path.name, municipality=document.municipality.kommunkod, doc_type=document.doc_type)
        added += 1
        _err().print(
            f"{path.name}: {document.municipality.name} ({document.municipality.kommunkod}), {document.doc_type}"
        )
    if added and rebuild:
        build(data_dir, build_dir)


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- validate


class ReportFormat(str, Enum):
    text = "text"
    turtle = "turtle"
    json = "json"


@app.command()
def validate(
    graph: Annotated[Path | None, typer.Argument(help="A graph file to check (default: BUILD_DIR/graph.ttl).")] = None,
    build_dir: BuildDir = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")] = ReportFormat.text,
) -> None:
    """Check the graph against shapes/klimatgraf.ttl: exit 0 conforms, 1 violations, 2 bad input."""
    from rdflib import Graph

    from .sparql import load_graph
    from .validate import validate as run_validate

    if graph is None:
        data = load_graph(build_dir or default_build_dir())
    else:
        if not graph.is_file():
            raise InputError(f"{graph}: no such graph file")
        data = Graph()
        try:
            data.parse(graph)
        except Exception as exc:
            raise InputError(f"{graph}: not parseable RDF ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    result = run_validate(data)
    if fmt is ReportFormat.turtle:
        sys.stdout.write(result.report_graph.serialize(format="turtle"))
    elif fmt is ReportFormat.json:
        sys.stdout.write(
            json.dumps(
                {"conforms": result.conforms, "results": result.results}, ensure_ascii=False, indent=2, default=str
            )
            + "\n"
        )
    elif result.conforms:
        sys.stdout.write("conforms: the graph satisfies every shape\n")
    else:
        sys.stdout.write(result.report_text)
    if not result.conforms:
        raise typer.Exit(1)


# ----------------------------------------------------------------------------- sparql / query


from .vocabulary import SparqlFormat  # noqa: E402 - table, json, csv, tsv, xml (formats.py writes them)


class EngineChoice(str, Enum):
    oxigraph = "oxigraph"
    rdflib = "rdflib"


EngineOpt = Annotated[
    EngineChoice | None,
    typer.Option("--engine", help="SPARQL engine over the build: oxigraph (fast) or rdflib; same results.",
                 show_default="oxigraph"),
]  # fmt: skip


def _local_engine(build_dir: Path | None, engine: EngineChoice | None) -> Any:
    """The build's graph loaded into the chosen engine (default: the faster, oxigraph)."""
    from .sparql import DEFAULT_ENGINE, open_engine

    return open_engine(build_dir or default_build_dir(), engine.value if engine else DEFAULT_ENGINE)


AllowServiceOpt = Annotated[
    bool,
    typer.Option("--allow-service", help="Let the query call other endpoints with SERVICE (refused by default)."),
]  # fmt: skip


def _run_local(
    build_dir: Path | None, engine: EngineChoice | None, text: str, allow_service: bool, *, edition: str | None = None
) -> Any:
    """Run `text` on the local build (for a named query: on the chosen editions, see `_edition_engine`);
    a refused SERVICE names the flag that allows it (see sparql_guard)."""
    from .sparql_guard import SERVICE_CLI_HINT, SERVICE_REFUSED

    source = (
        _edition_engine("query", build_dir, engine, edition)
        if edition is not None
        else _local_engine(build_dir, engine)
    )
    try:
        return source.run(text, allow_service=allow_service)
    except QueryError as exc:
        if str(exc) == SERVICE_REFUSED:
            raise QueryError(SERVICE_REFUSED + SERVICE_CLI_HINT) from None
        raise


def _engine_or_endpoint(engine: EngineChoice | None, endpoint: str | None) -> None:
    if engine is not None and endpoint is not None:
        raise InputError("--engine picks the engine for the local build; leave it out with --endpoint")


def _print_result(result: Any, fmt: SparqlFormat) -> None:
    """Print a result; text that cannot be written (a lone surrogate) is the query's fault: exit 2."""
    from .sparql_guard import evaluation_message

    try:
        _write_result(result, fmt)
    except UnicodeEncodeError as exc:
        raise QueryError(evaluation_message(exc)) from None


def _write_result(result: Any, fmt: SparqlFormat) -> None:
    from .formats import serialise_result

    if result.kind == "CONSTRUCT":
        sys.stdout.write(result.graph.serialize(format="turtle"))
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
    from .remote import connect

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
    from .remote import DEFAULT_GRAPH
    from .remote import query as remote_query

    return remote_query(_store(endpoint, user, password_env), text, graph or DEFAULT_GRAPH)


def _local_only(graph: str | None, user: str | None, password_env: str | None) -> None:
    if graph is not None or user is not None or password_env is not None:
        raise InputError("--graph, --user and --password-env need --endpoint")


@app.command()
def sparql(
    query: Annotated[str, typer.Argument(help="A SPARQL query, or a path to a .rq file.")],
    build_dir: BuildDir = None,
    fmt: Annotated[
        SparqlFormat, typer.Option("--format", "-f", help="W3C result format or a table.")
    ] = SparqlFormat.table,
    engine: EngineOpt = None,
    endpoint: EndpointOpt = None,
    graph: GraphOpt = None,
    user: UserOpt = None,
    password_env: PasswordEnvOpt = None,
    allow_service: AllowServiceOpt = False,
) -> None:
    """Run a SPARQL SELECT/ASK/CONSTRUCT query over the built graph (or a store's, with --endpoint)."""
    from .sparql import resolve_query_text

    text = resolve_query_text(query)
    _engine_or_endpoint(engine, endpoint)
    if endpoint is not None:
        _print_result(_remote_result(endpoint, text, graph, user, password_env), fmt)
        return
    _local_only(graph, user, password_env)
    result = _run_local(build_dir, engine, text, allow_service)
    _print_result(result, fmt)


EditionOpt = Annotated[
    str | None, typer.Option("--edition", help="latest (default) | all | YEAR: which editions of each contract.")
]


def _edition_engine(command: str, build_dir: Path | None, engine: EngineChoice | None, edition: str | None) -> Any:
    """The build's engine restricted to the chosen editions; a note on stderr says which (issue 14)."""
    from .editions import open_edition, parse_edition

    source, note = open_edition(
        build_dir or default_build_dir(), engine.value if engine else None, parse_edition(edition)
    )
    if note:
        _err().print(f"{command}: {note}", markup=False, highlight=False)
    return source


@app.command()
def query(
    name: Annotated[str | None, typer.Argument(help="A named query from queries/ (see --list).")] = None,
    build_dir: BuildDir = None,
    fmt: Annotated[
        SparqlFormat, typer.Option("--format", "-f", help="W3C result format or a table.")
    ] = SparqlFormat.table,
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
    from .sparql import list_queries, named_query

    if list_ or name is None:
        rows = [{"name": q.name, "description": q.description} for q in list_queries()]
        render(rows, ["name", "description"], Format(fmt.value), sys.stdout)
        return
    named = named_query(name)
    _engine_or_endpoint(engine, endpoint)
    if endpoint is not None:
        _print_result(_remote_result(endpoint, named.text, graph, user, password_env), fmt)
        return
    _local_only(graph, user, password_env)
    _print_result(_run_local(build_dir, engine, named.text, allow_service, edition=edition or "latest"), fmt)


# ----------------------------------------------------------------------------- push


@app.command()
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
    from .remote import DEFAULT_GRAPH
    from .remote import push as run_push
    from .sparql import load_graph

    store = _store(endpoint, user, password_env, graph_store=graph_store, update=update)
    data = load_graph(build_dir or default_build_dir())
    summary = run_push(store, graph or DEFAULT_GRAPH, data.serialize(format="nt", encoding="utf-8"), len(data))
    _err().print(
        f"pushed <{summary.graph}> to {endpoint}: {summary.previous} triples replaced by {summary.triples}; "
        f"the store's count matches the build ({summary.seconds:.1f} s)"
    )


# ----------------------------------------------------------------------------- export


class RdfFormat(str, Enum):
    turtle = "turtle"
    nt = "nt"
    jsonld = "jsonld"
    xml = "xml"


@export_app.command("rdf")
def export_rdf(
    build_dir: BuildDir = None,
    fmt: Annotated[RdfFormat, typer.Option("--format", "-f", help="RDF serialisation.")] = RdfFormat.turtle,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")] = None,
) -> None:
    """Write the built graph as Turtle, N-Triples, JSON-LD or RDF/XML."""
    from .build import write_atomically
    from .sparql import load_graph

    graph = load_graph(build_dir or default_build_dir())
    rdf_format = {"jsonld": "json-ld"}.get(fmt.value, fmt.value)
    if output is None:
        sys.stdout.write(graph.serialize(format=rdf_format))
        return
    if not output.parent.is_dir():
        raise InputError(f"{output.parent} does not exist; create it or choose another --output")
    write_atomically(output, lambda tmp: graph.serialize(destination=str(tmp), format=rdf_format, encoding="utf-8"))
    _err().print(f"wrote {output} ({len(graph)} triples)")


NodeTypes = Annotated[
    list[str] | None,
    typer.Option("--include", help="Only these node types (repeatable): municipality, agency, programme, "
                 "commitment, theme, organisation."),
]  # fmt: skip
ExcludeTypes = Annotated[list[str] | None, typer.Option("--exclude", help="Leave out these node types (repeatable).")]


def _network(build_dir: Path | None, include: list[str] | None, exclude: list[str] | None) -> Any:
    from .export import network
    from .sparql import load_graph

    return network(load_graph(build_dir or default_build_dir()), include, exclude or ())


def _write_bytes(data: bytes, output: Path) -> None:
    from .build import write_atomically

    if not output.parent.is_dir():
        raise InputError(f"{output.parent} does not exist; create it or choose another --output")
    write_atomically(output, lambda tmp: tmp.write_bytes(data))


OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Where to write [default: in BUILD_DIR].")]


def _export_network(build_dir: Path | None, output: Path | None, default_name: str, include: list[str] | None,
                    exclude: list[str] | None, serialise: Any) -> None:  # fmt: skip
    """Shared by the GEXF and GraphML exports: read the network, write one file atomically."""
    target = output or (build_dir or default_build_dir()) / default_name
    net = _network(build_dir, include, exclude)
    _write_bytes(serialise(net), target)
    _err().print(f"wrote {target}: {len(net.nodes)} nodes, {len(net.edges)} edges")


@export_app.command("gephi")
def export_gephi(
    build_dir: BuildDir = None, output: OutputOpt = None, include: NodeTypes = None, exclude: ExcludeTypes = None
) -> None:
    """Write the network as GEXF 1.3 for Gephi / Gephi Lite (colours by type, sizes by degree)."""
    from .export import to_gexf

    _export_network(build_dir, output, "klimatgraf.gexf", include, exclude, to_gexf)


@export_app.command("graphml")
def export_graphml(
    build_dir: BuildDir = None, output: OutputOpt = None, include: NodeTypes = None, exclude: ExcludeTypes = None
) -> None:
    """Write the network as GraphML (networkx, yEd, Cytoscape)."""
    from .export import to_graphml

    _export_network(build_dir, output, "klimatgraf.graphml", include, exclude, to_graphml)


@export_app.command("csv")
def export_csv(
    build_dir: BuildDir = None, output: OutputOpt = None, include: NodeTypes = None, exclude: ExcludeTypes = None
) -> None:
    """Write nodes.csv and edges.csv (Gephi's spreadsheet import format) into a directory."""
    from .export import write_csv

    net = _network(build_dir, include, exclude)
    nodes, edges = write_csv(net, output or (build_dir or default_build_dir()) / "network")
    _err().print(f"wrote {nodes} ({len(net.nodes)} nodes) and {edges} ({len(net.edges)} edges)")


# ----------------------------------------------------------------------------- search / eval


class GroupBy(str, Enum):
    paragraph = "paragraph"
    municipality = "municipality"


class FusionChoice(str, Enum):
    rrf = "rrf"
    minmax = "minmax"
    z = "z"


class Retriever(str, Enum):
    hybrid = "hybrid"
    bm25 = "bm25"
    dense = "dense"


@app.command()
def search(
    text: Annotated[str, typer.Argument(metavar="QUERY", help="A question in Swedish (or English).")],
    build_dir: BuildDir = None,
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=200, help="Number of hits (or municipalities).")] = 10,
    group: Annotated[
        GroupBy, typer.Option("--group", help="paragraph hits, or municipalities with evidence.")
    ] = GroupBy.paragraph,
    municipality: Annotated[
        list[str] | None, typer.Option("--municipality", "-m", help="Only this municipality (repeatable).")
    ] = None,
    doc_type: Annotated[DocTypeChoice | None, typer.Option("--type", help="Only this document type.")] = None,
    retriever: Annotated[
        Retriever, typer.Option("--retriever", help="hybrid (default), bm25 or dense.")
    ] = Retriever.hybrid,
    model: Annotated[
        str | None, typer.Option("--model", help="Embedding model; must match the index (default: the index's).")
    ] = None,
    bm25_weight: Annotated[
        float | None, typer.Option("--bm25-weight", min=0, help="Weight of BM25 in the fusion (default: tuned).")
    ] = None,
    dense_weight: Annotated[
        float | None,
        typer.Option("--dense-weight", min=0, help="Weight of dense vectors in the fusion (default: tuned)."),
    ] = None,
    rrf_k: Annotated[float | None, typer.Option("--rrf-k", min=1, help="Reciprocal-rank-fusion constant k.")] = None,
    fusion_method: Annotated[
        FusionChoice | None, typer.Option("--fusion", help="rrf, minmax or z (default: tuned).")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="With --group municipality: every municipality ranked, no cut-off.")
    ] = False,
    min_evidence: Annotated[
        float | None, typer.Option("--min-evidence", help="Cut-off: evidence a municipality's paragraph needs.")
    ] = None,
    max_gap: Annotated[
        float | None, typer.Option("--max-gap", min=0, help="Cut-off: at most this far below the best evidence.")
    ] = None,
    min_similarity: Annotated[
        float | None,
        typer.Option("--min-similarity", min=-1, max=1, help="Cut-off: raw e5 cosine an answering paragraph needs."),
    ] = None,
    fmt: FormatOpt = Format.table,
    edition: EditionOpt = None,
) -> None:
    """Semantic search over the contracts' paragraphs; --group municipality answers "who works on X".

    With --group municipality only municipalities whose own text answers are listed (a calibrated
    cut-off); when nobody does, the output is empty and the exit code is 1. --all lists them all."""
    from .search import Searcher, highlight, tuned_configs

    fusion, cutoff = tuned_configs(
        bm25_weight=bm25_weight,
        dense_weight=dense_weight,
        rrf_k=rrf_k,
        method=fusion_method.value if fusion_method else None,
        min_evidence=min_evidence,
        max_gap=max_gap,
        min_similarity=min_similarity,
    )
    searcher = Searcher((build_dir or default_build_dir()) / "index", model=model, fusion=fusion, cutoff=cutoff)
    towns, kind, how = municipality or None, doc_type.value if doc_type else None, retriever.value
    from .editions import index_note, parse_edition

    chosen = parse_edition(edition)
    if note := index_note(searcher.index.entries, chosen):
        _err().print(f"search: {note}", markup=False, highlight=False)
    if group is GroupBy.municipality:
        groups = searcher.search_grouped(
            text,
            k=k,
            municipalities=towns,
            doc_type=kind,
            retriever=how,  # type: ignore[arg-type]
            full_ranking=all_,
            edition=chosen,
        )
        if not groups:  # stdout stays data: [] for JSON, the header for CSV, nothing for a table
            sys.stderr.write(
                f"Ingen kommun nämner det i sin egen text (no municipality answers {text!r}); --all visar alla\n"
            )
            if fmt in (Format.table, Format.markdown):
                raise typer.Exit(1)
        if fmt is Format.json:
            sys.stdout.write(json.dumps([g.to_dict() for g in groups], ensure_ascii=False, indent=2) + "\n")
            raise typer.Exit(0 if groups else 1)
        rows = [
            {
                "rank": i,
                "municipality": g.municipality,
                "kommunkod": g.kommunkod,
                "score": round(g.score, 4),
                "evidence": "\n".join(f"[{e.section or '–'}] {highlight(e.text, text)}" for e in g.evidence)
                if fmt in (Format.table, Format.markdown)
                else " | ".join(e.text for e in g.evidence),
            }
            for i, g in enumerate(groups, start=1)
        ]
        render(rows, ["rank", "municipality", "kommunkod", "score", "evidence"], fmt, sys.stdout)
        raise typer.Exit(0 if groups else 1)
    hits = searcher.search(text, k=k, municipalities=towns, doc_type=kind, retriever=how, edition=chosen)  # type: ignore[arg-type]
    if fmt is Format.json:
        sys.stdout.write(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2) + "\n")
        return
    columns = ["rank", "score", "municipality", "section", "text"]
    if fmt in (Format.csv, Format.tsv):
        columns = [
            "rank",
            "score",
            "municipality",
            "kommunkod",
            "document",
            "paragraph",
            "section",
            "page",
            "boilerplate",
            "retrievers",
            "text",
        ]
    rows = []
    for hit in hits:
        row = hit.to_dict()
        if fmt in (Format.table, Format.markdown):
            row["text"] = highlight(hit.text, text)
            row["score"] = round(hit.score, 4)
            if hit.boilerplate:
                row["municipality"] = f"{len(hit.documents)} dokument (mall)"
        rows.append(row)
    render(rows, columns, fmt, sys.stdout)


@app.command("eval")
def evaluate_command(
    questions: Annotated[Path | None, typer.Argument(help="Question file (default: tests/dev_queries.json).")] = None,
    build_dir: BuildDir = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Score the search on a question file: who (hit@1, recall@3, MRR) and passage (hit@1, hit@5, MRR@10)."""
    from .config import project_root
    from .evaluate import evaluate
    from .search import Searcher

    path = questions or project_root() / "tests" / "dev_queries.json"
    if not path.is_file():
        raise InputError(f"{path}: no such question file")
    report = evaluate(Searcher((build_dir or default_build_dir()) / "index"), path)
    rows = report.rows()
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    render(rows, list(rows[0].keys()) if rows else [], fmt, sys.stdout)
    failures = report.failures()
    if failures:
        _err().print(f"{len(failures)} failed question(s):")
        for failure in failures:
            _err().print(f"  {failure}")


# ----------------------------------------------------------------------------- compare


@app.command()
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
    from .compare import compare as run_compare
    from .corpus import load_gazetteer

    if not municipalities and not all_:
        raise InputError("name at least one municipality, or pass --all")
    graph = _edition_engine("compare", build_dir, engine, edition)
    result = run_compare(graph, None if all_ else municipalities, load_gazetteer(data_dir or default_data_dir()))
    render(result.rows, result.columns, fmt, sys.stdout)


# ----------------------------------------------------------------------------- editions (issue 14)


class DiffFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command()
def history(
    name: Annotated[str, typer.Argument(help="A municipality: name or kommunkod (any case, å/ä/ö optional).")],
    build_dir: BuildDir = None,
    data_dir: DataDir = None,
    fmt: FormatOpt = Format.table,
    engine: EngineOpt = None,
) -> None:
    """The editions of one municipality's contracts: version, signing date, type and document, oldest first."""
    from .corpus import load_gazetteer
    from .editions import municipality_editions

    source = _local_engine(build_dir, engine)
    found = municipality_editions(source, name, load_gazetteer(data_dir or default_data_dir()))
    columns = ["municipality", "version", "edition_year", "signed", "type", "document", "latest", "file"]
    render([e.to_dict() for e in found], columns, fmt, sys.stdout)


@app.command()
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
    from .corpus import load_gazetteer
    from .diff import COLUMNS
    from .diff import diff as run_diff

    result = run_diff(_local_engine(build_dir, engine), name, load_gazetteer(data_dir or default_data_dir()), from_, to)
    old, new = result.old, result.new
    _err().print(
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


# ----------------------------------------------------------------------------- serve


@app.command()
def serve(
    build_dir: BuildDir = None,
    data_dir: DataDir = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; 0.0.0.0 shares it on the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")] = 8000,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds a SPARQL query may run before it is stopped.")
    ] = 10.0,
    max_rows: Annotated[
        int, typer.Option("--max-rows", min=1, help="Most rows (or triples) a SPARQL answer may have.")
    ] = 10_000,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1024, help="Most bytes a SPARQL answer may have (413 past it).")
    ] = 32 * 1024 * 1024,
    max_memory: Annotated[
        int, typer.Option("--max-memory", min=64, help="MiB of memory each SPARQL query process may add.")
    ] = 1024,
    max_client_queries: Annotated[
        int,
        typer.Option(
            "--max-client-queries", min=1, help="SPARQL queries one client address may run at once (429 past it)."
        ),
    ] = 2,
    max_connections: Annotated[
        int, typer.Option("--max-connections", min=1, help="Open connections at most (503 past it).")
    ] = 200,
    keep_alive: Annotated[
        int, typer.Option("--keep-alive", min=1, help="Seconds an idle keep-alive connection stays open.")
    ] = 5,
    header_timeout: Annotated[
        float, typer.Option("--header-timeout", min=0.1, help="Seconds a client may take to send a request's headers.")
    ] = 10.0,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="Host name the server answers for (repeatable; '*' for any).",
            show_default="the --host address and localhost",
        ),
    ] = None,
) -> None:
    """Serve the graph and the search over HTTP: SPARQL endpoint, JSON API and the web page (read-only)."""
    import errno
    import socket

    import uvicorn

    from .serve import create_app, load_service
    from .serve.guard import configure_logging, default_allowed_hosts, guarded_h11, raise_open_file_limit

    configure_logging()
    raise_open_file_limit()
    service = load_service(
        build_dir or default_build_dir(), data_dir or default_data_dir(), timeout, max_rows, max_bytes, max_memory,
        max_client_queries,
    )  # fmt: skip
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound ({exc.strerror})"
        raise InputError(
            f"port {port} on {host} {reason}; pass another --port (or --port 0 for any free one)"
        ) from None
    address, bound = sock.getsockname()[:2]  # what the socket really listens on (--port 0: the free port)
    shown = f"[{address}]" if ":" in address else address
    manifest = service.searcher.index.manifest
    _err().print(
        f"klimatgraf serve: http://{shown}:{bound}/ ({len(service.graph)} triples, {len(service.documents)} documents, "
        f"{manifest.passages} passages; SPARQL at /sparql, API description at /openapi.json); Ctrl-C stops"
    )
    hosts = allowed_host or default_allowed_hosts(host)
    config = uvicorn.Config(
        create_app(service, hosts), log_level="warning", access_log=False, lifespan="off", log_config=None,
        http=guarded_h11(header_timeout), limit_concurrency=max_connections, timeout_keep_alive=keep_alive,
    )  # fmt: skip
    uvicorn.Server(config).run(sockets=[sock])
