"""Run SPARQL over the built graph and write results in the W3C formats.

Named queries live in `queries/NAME.rq`; their header comments (`# description: …`) are the
listing shown by `klimatgraf query --list`. Result serialisation follows the W3C SPARQL 1.1
Query Results JSON, CSV and TSV formats, so other tools can read what we print.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import sparql_guard
from .config import queries_dir
from .errors import BuildCorruptError, BuildMissingError, QueryError
from .store import GRAPH_LATEST_NT, GRAPH_NT, GRAPH_TTL, OXIGRAPH_DIR, reading, staging_dir, verify_graph_files

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    text: str
    path: Path
    trusted: bool = False  # one of the queries shipped with klimatgraf (not a KLIMATGRAF_QUERIES file)


@dataclass
class Result:
    """A SELECT/ASK result as variables and rows of RDF terms (None for unbound)."""

    kind: str  # "SELECT" | "ASK" | "CONSTRUCT"
    variables: list[str]
    rows: list[list[Node | None]]
    boolean: bool | None = None
    graph: Graph | None = None

    def plain_rows(self) -> list[dict[str, Any]]:
        """Rows as Python values: literals to their lexical form, IRIs as strings."""
        return [{v: _plain(term) for v, term in zip(self.variables, row, strict=True)} for row in self.rows]


def load_graph(build_dir: Path) -> Graph:
    """The last complete build's graph (N-Triples parse fastest; Turtle is the fallback).

    Read under the build's reader lock after checking the files against build.json, so a
    concurrent build or a damaged file never yields a wrong answer (see klimatgraf.store).
    """
    with reading(build_dir):
        verify_graph_files(build_dir)
        return read_graph(build_dir)


def read_graph(build_dir: Path) -> Graph:
    """The graph file parsed, without the reader lock or the checksum check: for a caller that did
    both (`store.open_snapshot(build_dir, load_graph=read_graph, ...)`)."""
    from rdflib import Graph

    for name, fmt in ((GRAPH_NT, "nt"), (GRAPH_TTL, "turtle")):
        path = build_dir / name
        if path.is_file():
            graph = Graph()
            try:
                graph.parse(path, format=fmt)
            except Exception as exc:
                raise BuildCorruptError(
                    f"{path} is unreadable ({type(exc).__name__}); run `klimatgraf build` to rebuild it"
                ) from None
            if len(graph) == 0:
                raise BuildCorruptError(f"{path} is empty; run `klimatgraf build` to rebuild it")
            return graph
    if build_dir.exists() and not build_dir.is_dir():
        raise BuildMissingError(f"{build_dir} is not a directory; pass --build-dir or run `klimatgraf build`")
    raise BuildMissingError(f"no graph in {build_dir}/; run `klimatgraf build` first")


def list_queries(directory: Path | None = None) -> list[NamedQuery]:
    directory = directory or queries_dir()
    return [read_named_query(path) for path in sorted(directory.glob("*.rq"))]


def read_named_query(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^#\s*description:\s*(.+)$", text, re.MULTILINE)
    return NamedQuery(path.stem, match.group(1).strip() if match else "", text, path, trusted=_shipped(path))


def _shipped(path: Path) -> bool:
    """Whether `path` is one of klimatgraf's own queries (the package's resources), which
    tests/test_edition_store.py checks all pass `sparql_guard.check`."""
    from .resources import resource_path

    return path.resolve().parent == resource_path("queries").resolve()


def named_query(name: str, directory: Path | None = None) -> NamedQuery:
    directory = directory or queries_dir()
    path = directory / f"{name}.rq"
    if not NAME_RE.match(name) or not path.is_file():
        known = ", ".join(q.name for q in list_queries(directory))
        raise QueryError(f"unknown query {name!r}; known queries: {known} (see `klimatgraf query --list`)")
    return read_named_query(path)


def resolve_query_text(query_or_file: str) -> str:
    """A query given inline, as a path to a .rq file, or '-' is not supported (use a file)."""
    candidate = Path(query_or_file)
    if len(query_or_file) < 4096 and "\n" not in query_or_file and candidate.suffix in (".rq", ".sparql"):
        if not candidate.is_file():
            raise QueryError(f"query file {query_or_file} does not exist")
        return candidate.read_text(encoding="utf-8")
    return query_or_file


def run(graph: Graph, query: str, *, allow_service: bool = False) -> Result:
    """Parse and evaluate `query`; a syntax error becomes a QueryError with line and column. Read-only.

    `sparql_guard.check` refuses updates, SERVICE (unless `allow_service`), FROM/FROM NAMED and
    GRAPH first; a fault while evaluating becomes a QueryError with a fixed, plain message.
    """
    prepared = sparql_guard.check(query, allow_service=allow_service)
    try:
        result = graph.query(prepared)
        if result.type == "ASK":
            return Result("ASK", [], [], boolean=bool(result.askAnswer))
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            return Result("CONSTRUCT", [], [], graph=result.graph)
        variables = [str(v) for v in (result.vars or [])]
        rows = [[row[i] for i in range(len(variables))] for row in result]  # type: ignore[index]
    except Exception as exc:  # evaluation is lazy: faults surface while iterating too
        raise QueryError(sparql_guard.evaluation_message(exc)) from None
    return Result("SELECT", variables, rows)


def _syntax_message(query: str, exc: Exception) -> str:
    return sparql_guard.syntax_message(query, exc)


# ----------------------------------------------------------------------------- engines
# Two SPARQL engines over the same build: rdflib's in-memory Graph (the reference, used by
# `load_graph`/`run` everywhere) and pyoxigraph's in-memory Store, loaded from graph.nt. Both
# answer with the same `Result` of rdflib terms, normalised so that every output format is
# byte-identical whichever engine ran the query (see docs/benchmarks.md for why oxigraph is
# the default: it loads and answers 10–200× faster at 300 documents).

ENGINES = ("oxigraph", "rdflib")
DEFAULT_ENGINE = "oxigraph"
XSD = "http://www.w3.org/2001/XMLSchema#"


class Engine(Protocol):
    """A loaded, read-only graph that answers SPARQL queries.

    `trusted=True` is for klimatgraf's own query texts (the shipped named queries, the editions
    listing, compare, diff and the network export): they skip `sparql_guard.check`, which parses
    with rdflib (≈ 0.3 s of imports and parsing in a one-shot command). Text from a user never does.
    """

    name: str

    def run(self, query: str, *, allow_service: bool = False, trusted: bool = False) -> Result: ...


class RdflibEngine:
    """rdflib's in-memory Graph: the reference engine."""

    name = "rdflib"

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def run(self, query: str, *, allow_service: bool = False, trusted: bool = False) -> Result:
        return run(self.graph, query, allow_service=allow_service)  # rdflib parses to evaluate in any case


class OxigraphEngine:
    """pyoxigraph's in-memory Store (Rust): loads N-Triples in bulk and evaluates far faster."""

    name = "oxigraph"

    def __init__(self, store: Any) -> None:
        self.store = store

    def run(self, query: str, *, allow_service: bool = False, trusted: bool = False) -> Result:
        """Like `run`: read-only, a syntax error becomes a QueryError with line and column.

        The same guard runs first (`sparql_guard.check_text`: SPARQL's tokens, no parser, so
        rdflib's SPARQL parser is not imported on this path; it fails closed), unless the text is
        klimatgraf's own (`trusted`: the shipped named queries, compare, the editions listing).
        """
        if not trusted:
            sparql_guard.check_text(query, allow_service=allow_service)
        return self._answer(query)

    def _answer(self, query: str) -> Result:
        """Evaluate and convert; every pyoxigraph object of the answer is freed when this returns
        (pyoxigraph's result objects may only be freed on the thread that made them)."""
        import pyoxigraph

        try:
            answer = self.store.query(query)
        except SyntaxError as exc:
            raise QueryError(_oxigraph_syntax_message(query, exc)) from None
        except Exception as exc:
            raise QueryError(sparql_guard.evaluation_message(exc)) from None
        if isinstance(answer, pyoxigraph.QueryBoolean):
            return Result("ASK", [], [], boolean=bool(answer))
        if isinstance(answer, pyoxigraph.QueryTriples):
            from rdflib import Graph

            graph = Graph()
            for triple in answer:
                terms = (
                    _from_oxigraph(triple.subject),
                    _from_oxigraph(triple.predicate),
                    _from_oxigraph(triple.object),
                )
                assert None not in terms  # a triple has all three
                graph.add(terms)  # type: ignore[arg-type]
            return Result("CONSTRUCT", [], [], graph=graph)
        variables = [v.value for v in answer.variables]
        converted: dict[Any, Node | None] = {None: None}  # a term repeats in many rows: convert it once

        def term(value: Any) -> Node | None:
            found = converted.get(value, converted)
            if found is converted:
                found = converted[value] = _from_oxigraph(value)
            return found  # type: ignore[return-value]

        try:
            rows = [[term(solution[v]) for v in variables] for solution in answer]
        except Exception as exc:  # evaluation is lazy: errors surface while iterating
            raise QueryError(sparql_guard.evaluation_message(exc)) from None
        return Result("SELECT", variables, rows)


def open_engine(build_dir: Path, engine: str = DEFAULT_ENGINE, *, memory: bool = False) -> Engine:
    """The last complete build's graph loaded into `engine` ("oxigraph" or "rdflib").

    Oxigraph opens its on-disk copy of the graph (ms to open, right for one-shot commands);
    `memory=True` loads it into memory instead (slower to open, several times faster per
    query: right for a long-lived process that answers many queries).
    """
    if engine == "rdflib":
        return RdflibEngine(load_graph(build_dir))
    if engine != "oxigraph":
        raise QueryError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    with reading(build_dir):  # the same reader lock and checks as load_graph
        return _open_oxigraph(build_dir, memory, (GRAPH_NT, GRAPH_TTL))


def open_latest(build_dir: Path, *, memory: bool = False) -> Engine | None:
    """Oxigraph over graph-latest.nt, the latest edition of each municipality, when the build
    wrote it (some municipality has an earlier edition; see edition_graph); else None."""
    with reading(build_dir):
        if GRAPH_LATEST_NT not in verify_graph_files(build_dir, hashed=()):
            return None
        return _open_oxigraph(build_dir, memory, (GRAPH_LATEST_NT,))


def restricted_engine(build_dir: Path, keep: list[str]) -> Engine:
    """Oxigraph over the build's graph without the documents that `keep` (doc_ids) leaves out, their
    paragraphs and facts (edition_graph.restrict): an in-memory store, for `--edition YEAR`."""
    from .edition_graph import restrict

    with reading(build_dir):
        engine = _open_oxigraph(build_dir, True, (GRAPH_NT, GRAPH_TTL))
    assert isinstance(engine, OxigraphEngine)
    restrict(engine.store, keep)
    return engine


def warm_stores(build_dir: Path) -> None:
    """Make oxigraph's on-disk copies of a new build's graph files now, so that the first command
    after a build does not pay for them (≈ 1 s each at 300 documents)."""
    open_engine(build_dir, "oxigraph")
    open_latest(build_dir)


_FORMATS = {GRAPH_NT: "N_TRIPLES", GRAPH_LATEST_NT: "N_TRIPLES", GRAPH_TTL: "TURTLE"}


def _open_oxigraph(build_dir: Path, memory: bool, names: tuple[str, ...]) -> Engine:
    """The first of the graph files `names` that exists, in oxigraph. Call within `reading`.

    build.json is checked first (its own digest, every listed file present with its size);
    a file's sha256 is checked before its bytes are read, i.e. before oxigraph loads it into
    memory or into a new on-disk copy, not when an existing copy of it is opened.
    """
    import pyoxigraph

    listed = verify_graph_files(build_dir, hashed=())
    for name in names:
        path = build_dir / name
        if path.is_file():
            fmt = getattr(pyoxigraph.RdfFormat, _FORMATS[name])

            def checked(name: str = name) -> None:
                if name in listed:
                    verify_graph_files(build_dir, hashed={name})

            store = None if memory else _persistent_store(build_dir, path, fmt, checked)
            if store is None:  # in memory, or the build directory is not writable
                checked()
                store = pyoxigraph.Store()
                _bulk_load(store, path, fmt)
            if next(store.quads_for_pattern(None, None, None), None) is None:  # len() would count every quad
                raise BuildCorruptError(f"{path} is empty; run `klimatgraf build` to rebuild it")
            return OxigraphEngine(store)
    if build_dir.exists() and not build_dir.is_dir():
        raise BuildMissingError(f"{build_dir} is not a directory; pass --build-dir or run `klimatgraf build`")
    raise BuildMissingError(f"no graph in {build_dir}/; run `klimatgraf build` first")


def _bulk_load(store: Any, path: Path, fmt: Any) -> None:
    try:
        store.bulk_load(path=str(path), format=fmt)
    except Exception as exc:
        raise BuildCorruptError(
            f"{path} is unreadable ({type(exc).__name__}); run `klimatgraf build` to rebuild it"
        ) from None


def _persistent_store(build_dir: Path, path: Path, fmt: Any, check: Any) -> Any | None:
    """An on-disk oxigraph copy of `path` in BUILD_DIR/.oxigraph/, made on first use, opened read-only.

    Parsing 250 000 triples costs ~0.7 CPU-s on every one-shot command; opening the stored
    copy costs ~20 ms. The copy is keyed by the graph file's name, inode, size and mtime, so a new
    build (which replaces the file) gets a new copy and never a stale one. `check()` (the file's
    checksum) runs before the file is read into a new copy. The copy is loaded into a temporary
    directory and renamed into place, so a reader never sees a half-made store.
    Returns None when the build directory cannot be written.
    """
    import shutil

    import pyoxigraph

    cache = build_dir / OXIGRAPH_DIR
    target = cache / _copy_name(path)
    if target.is_dir():
        try:
            return pyoxigraph.Store.read_only(str(target))
        except OSError:
            shutil.rmtree(target, ignore_errors=True)  # damaged: make it again
    check()
    try:
        cache.mkdir(exist_ok=True)
        tmp = staging_dir(target)
    except OSError:
        return None
    try:
        try:
            store = pyoxigraph.Store(str(tmp))
            _bulk_load(store, path, fmt)
            store.flush()
        except (OSError, BuildCorruptError):
            if tmp.is_dir():
                raise
            return None  # the half-made copy was removed from outside: load into memory
        del store  # closes the database before it moves
        with contextlib.suppress(OSError):  # another process made the same copy first: use theirs
            tmp.rename(target)
        for old in cache.iterdir():  # copies of earlier builds' files, or of files this build has not
            source = build_dir / old.name.rsplit("-", 3)[0]
            if old.name != target.name and not old.name.startswith(".") and not _is_copy_of(old, source):
                shutil.rmtree(old, ignore_errors=True)
        return pyoxigraph.Store.read_only(str(target))
    except OSError:
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _copy_name(path: Path) -> str:
    stat = path.stat()
    return f"{path.name}-{stat.st_ino}-{stat.st_size}-{stat.st_mtime_ns}"


def _is_copy_of(copy: Path, source: Path) -> bool:
    """Whether `copy` (in .oxigraph/) is the current copy of `source` (it exists and is unchanged)."""
    try:
        return source.is_file() and copy.name == _copy_name(source)
    except OSError:
        return False


def _from_oxigraph(term: Any) -> Node | None:
    """An rdflib term equal in every output format to what rdflib itself would return.

    Oxigraph types plain strings as xsd:string (rdflib leaves them untyped) and stores
    decimals canonically without a fraction ("80" where the graph says "80.0"); both are
    brought to rdflib's form, which is XSD 1.0's canonical decimal the graph is written in.
    """
    import pyoxigraph
    from rdflib import BNode, Literal, URIRef

    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD + "string":
            return Literal(term.value)
        lexical = term.value
        if datatype == XSD + "decimal" and not re.search(r"[.eE]", lexical):
            lexical += ".0"
        return Literal(lexical, datatype=URIRef(datatype))
    raise QueryError(f"unsupported RDF term in a result: {term!r}")


def _oxigraph_syntax_message(query: str, exc: Exception) -> str:
    """The same message rdflib's parser gives (so both engines say the same), else oxigraph's own."""
    from rdflib.plugins.sparql import prepareQuery

    try:
        prepareQuery(query)
    except Exception as rdflib_exc:
        return _syntax_message(query, rdflib_exc)
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    match = re.search(r"(\d+):(\d+)", message)
    if match:
        detail = re.sub(r"^.*?\d+:\d+(?:-\d+:\d+)?:?\s*", "", message) or message
        if len(detail) > 100:  # oxigraph lists every token it would accept
            detail = detail[:100].rsplit(",", 1)[0] + ", …"
        return f"SPARQL syntax error at line {match.group(1)}, column {match.group(2)}: {detail}"
    return f"SPARQL syntax error: {message}"


# ----------------------------------------------------------------------------- serialisation


def _plain(term: Node | None) -> Any:
    from rdflib import Literal

    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        return value if isinstance(value, int | float | bool | str) else str(term)
    return str(term)
