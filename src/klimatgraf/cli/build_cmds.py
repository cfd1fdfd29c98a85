"""`build`, `ingest` and `validate`: make the graph and the index, add contracts, check the shapes."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..vocabulary import DocType, ReportFormat
from .common import BuildDir, DataDir, build_dir_of, data_dir_of, err, progress


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
    from ..build import build as run_build
    from ..sparql import warm_stores

    with progress() as report:
        summary = run_build(
            data_dir_of(data_dir),
            build_dir_of(build_dir),
            progress=report,
            with_index=index,
            model=model,
            wait=wait,
            checkpoint_every=checkpoint_every,
        )
        report("preparing the query stores", 0, 0)
        warm_stores(build_dir_of(build_dir))  # the first query after a build then opens them in ms
    embedded = f", {summary.embedded} passages embedded" if summary.embedded is not None else ""
    embedded += f" ({summary.from_cache} from cache)" if summary.from_cache is not None else ""
    embedded += f"; left out as superseded: {', '.join(summary.superseded)}" if summary.superseded else ""
    err().print(
        f"built {summary.graph}: {summary.documents} documents, {summary.paragraphs} paragraphs "
        f"({summary.boilerplate} shared template), {summary.facts} facts, {summary.triples} triples"
        f"{embedded} in {summary.seconds:.1f} s"
    )


def ingest(
    files: Annotated[list[Path], typer.Argument(help="Contract files (.txt or .pdf) to add.")],
    data_dir: DataDir = None,
    build_dir: BuildDir = None,
    municipality: Annotated[
        str | None, typer.Option(help="Override the detected municipality (name or kommunkod).")
    ] = None,
    doc_type: Annotated[DocType | None, typer.Option("--type", help="Override the detected document type.")] = None,
    rebuild: Annotated[bool, typer.Option("--build/--no-build", help="Rebuild graph and index afterwards.")] = True,
) -> None:
    """Copy new contracts into DATA_DIR/contracts (checked first; duplicates by sha256 skipped) and rebuild."""
    from ..corpus import contract_files, load_gazetteer, save_override
    from ..ingest import read_document
    from ..store import sha256_of

    data_dir = data_dir_of(data_dir)
    gazetteer = load_gazetteer(data_dir)
    contracts = data_dir / "contracts"
    contracts.mkdir(parents=True, exist_ok=True)
    existing = {sha256_of(p): p for p in (contract_files(data_dir) if any(contracts.iterdir()) else [])}
    documents = []
    for path in files:  # read all first: a bad file stops the command before anything is copied
        document = read_document(path, gazetteer, municipality=municipality, doc_type=doc_type)
        documents.append((path, document))
    added = 0
    for path, document in documents:
        if document.sha256 in existing:
            err().print(f"{path.name}: already ingested as {existing[document.sha256].name}; skipped")
            continue
        target = contracts / path.name
        if target.exists():
            raise InputError(f"{target} exists with different content; rename {path.name} and ingest again")
        shutil.copyfile(path, target)
        existing[document.sha256] = target
        if municipality or doc_type:
            save_override(data_dir, path.name, municipality=document.municipality.kommunkod, doc_type=document.doc_type)
        added += 1
        err().print(
            f"{path.name}: {document.municipality.name} ({document.municipality.kommunkod}), {document.doc_type}"
        )
    if added and rebuild:
        build(data_dir, build_dir)


def validate(
    graph: Annotated[Path | None, typer.Argument(help="A graph file to check (default: BUILD_DIR/graph.ttl).")] = None,
    build_dir: BuildDir = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format.")] = ReportFormat.text,
) -> None:
    """Check the graph against shapes/klimatgraf.ttl: exit 0 conforms, 1 violations, 2 bad input."""
    from rdflib import Graph

    from ..sparql import load_graph
    from ..validate import validate as run_validate

    if graph is None:
        data = load_graph(build_dir_of(build_dir))
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
