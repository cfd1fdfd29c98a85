"""`export rdf|gephi|graphml|csv`: the graph as RDF, or the network for Gephi, yEd and spreadsheets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..vocabulary import RdfFormat
from .common import BuildDir, build_dir_of, check_output_dir, err, read_only_command, write_file, write_output

export_app = typer.Typer(help="Export the graph (RDF) or the network (Gephi, GraphML, CSV).", no_args_is_help=True)


@export_app.command("rdf")
def export_rdf(
    build_dir: BuildDir = None,
    fmt: Annotated[RdfFormat, typer.Option("--format", "-f", help="RDF serialisation.")] = RdfFormat.turtle,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")] = None,
) -> None:
    """Write the built graph as Turtle, N-Triples, JSON-LD or RDF/XML."""
    check_output_dir(output)
    read_only_command()
    data, triples = _rdf(build_dir_of(build_dir), fmt)
    write_output(data, output, f"{triples} triples")


def _rdf(build_dir: Path, fmt: RdfFormat) -> tuple[bytes, int]:
    """The graph serialised, and its number of triples. N-Triples is the build's graph.nt as it is
    (checked against build.json; no parse, issue 27: the triples rdflib would write, one per line,
    in the build's order where rdflib's follows the hash seed); the other formats are rdflib's
    writers over the parsed graph."""
    from ..formats import serialise_graph
    from ..sparql import load_graph
    from ..store import GRAPH_NT, reading, verify_graph_files

    if fmt is RdfFormat.nt:
        with reading(build_dir):  # a graph.nt that build.json does not vouch for (made by hand) is parsed below
            if GRAPH_NT in verify_graph_files(build_dir, hashed=()):
                verify_graph_files(build_dir, hashed={GRAPH_NT})
                data = (build_dir / GRAPH_NT).read_bytes()
                return data, data.count(b"\n")
    graph = load_graph(build_dir)
    return serialise_graph(graph, fmt), len(graph)


NodeTypes = Annotated[
    list[str] | None,
    typer.Option("--include", help="Only these node types (repeatable): municipality, agency, programme, "
                 "commitment, concept, organisation."),
]  # fmt: skip
ExcludeTypes = Annotated[list[str] | None, typer.Option("--exclude", help="Leave out these node types (repeatable).")]
ConceptLevel = Annotated[
    int,
    typer.Option("--concept-level", help="The concepts of this level of the vocabulary as nodes (1 = the top "
                 "concepts), each municipality linked to those its own text names, weighted by passages."),
]  # fmt: skip
Similar = Annotated[
    int,
    typer.Option("--similar", metavar="K", help="Also link each municipality to its K most alike by the cosine of "
                 "their concept profiles (0: no such links)."),
]  # fmt: skip


def _network(build_dir: Path | None, include: list[str] | None, exclude: list[str] | None, level: int = 1,
             similar: int = 0) -> Any:  # fmt: skip
    """The network read with SPARQL from the build's on-disk oxigraph store (no graph is parsed), with the
    concepts and (on request) the similarity links of the topic matrix (topics.json)."""
    from ..export import network, with_topics
    from ..sparql import DEFAULT_ENGINE, open_engine
    from ..topics import read_profiles

    if level < 1:
        raise InputError(f"--concept-level must be 1 or more (1 = the top concepts), not {level}")
    if similar < 0:
        raise InputError(f"--similar must be 0 (no links) or more, not {similar}")
    build = build_dir_of(build_dir)
    net = network(open_engine(build, DEFAULT_ENGINE), include, exclude or ())
    return with_topics(net, read_profiles(build), include, exclude or (), level=level, similar=similar)


OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Where to write [default: in BUILD_DIR].")]


def _export_network(build_dir: Path | None, output: Path | None, default_name: str, include: list[str] | None,
                    exclude: list[str] | None, serialise: Any, level: int = 1, similar: int = 0) -> None:  # fmt: skip
    """Shared by the GEXF and GraphML exports: read the network, write one file atomically."""
    target = output or build_dir_of(build_dir) / default_name
    read_only_command()
    net = _network(build_dir, include, exclude, level, similar)
    write_file(serialise(net), target)
    err().print(f"wrote {target}: {len(net.nodes)} nodes, {len(net.edges)} edges")


@export_app.command("gephi")
def export_gephi(
    build_dir: BuildDir = None,
    output: OutputOpt = None,
    include: NodeTypes = None,
    exclude: ExcludeTypes = None,
    concept_level: ConceptLevel = 1,
    similar: Similar = 0,
) -> None:
    """Write the network as GEXF 1.3 for Gephi / Gephi Lite (colours by type, sizes by degree)."""
    from ..export import to_gexf

    _export_network(build_dir, output, "klimatgraf.gexf", include, exclude, to_gexf, concept_level, similar)


@export_app.command("graphml")
def export_graphml(
    build_dir: BuildDir = None,
    output: OutputOpt = None,
    include: NodeTypes = None,
    exclude: ExcludeTypes = None,
    concept_level: ConceptLevel = 1,
    similar: Similar = 0,
) -> None:
    """Write the network as GraphML (networkx, yEd, Cytoscape)."""
    from ..export import to_graphml

    _export_network(build_dir, output, "klimatgraf.graphml", include, exclude, to_graphml, concept_level, similar)


@export_app.command("csv")
def export_csv(
    build_dir: BuildDir = None,
    output: OutputOpt = None,
    include: NodeTypes = None,
    exclude: ExcludeTypes = None,
    concept_level: ConceptLevel = 1,
    similar: Similar = 0,
) -> None:
    """Write nodes.csv and edges.csv (Gephi's spreadsheet import format) into a directory."""
    from ..export import write_csv

    read_only_command()
    net = _network(build_dir, include, exclude, concept_level, similar)
    nodes, edges = write_csv(net, output or build_dir_of(build_dir) / "network")
    err().print(f"wrote {nodes} ({len(net.nodes)} nodes) and {edges} ({len(net.edges)} edges)")
