"""`search` and `eval`: the Swedish semantic search, and its score on a question file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import MAX_QUERY_CHARS
from ..errors import InputError
from ..output import Format, render
from ..store import INDEX_DIR
from ..vocabulary import AnswerPath, DocType, FusionMethod, GroupBy, Retriever, Unread
from .common import BuildDir, EditionOpt, FormatOpt, build_dir_of, data_dir_of, err, read_only_command


def search(
    text: Annotated[str, typer.Argument(metavar="QUERY", help="A question in Swedish (or English).")],
    build_dir: BuildDir = None,
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=200, help="Number of hits (or municipalities).")] = 10,
    group: Annotated[
        GroupBy | None,
        typer.Option(
            "--group",
            help="paragraph hits, or municipalities with evidence (default: municipalities from the graph when "
            "the question asks for a relation it holds, else paragraphs).",
        ),
    ] = None,
    municipality: Annotated[
        list[str] | None, typer.Option("--municipality", "-m", help="Only this municipality (repeatable).")
    ] = None,
    doc_type: Annotated[DocType | None, typer.Option("--type", help="Only this document type.")] = None,
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
        FusionMethod | None, typer.Option("--fusion", help="rrf, minmax or z (default: tuned).")
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
    min_keyword_evidence: Annotated[
        float | None,
        typer.Option(
            "--min-keyword-evidence",
            min=0,
            help="Cut-off: nobody answers when no paragraph's BM25 z-score for the question reaches this "
            "(default 0 = off; see docs/benchmarks.md).",
        ),
    ] = None,
    max_query_chars: Annotated[
        int, typer.Option("--max-query-chars", help="Refuse a longer question (characters; exit 2).")
    ] = MAX_QUERY_CHARS,
    named_first: Annotated[
        bool,
        typer.Option(
            "--named-first/--no-named-first",
            help="Paragraph hits: when the question names municipalities of the index, their own text first.",
        ),
    ] = True,
    path: Annotated[
        AnswerPath,
        typer.Option(
            "--path",
            help="Who-answers: auto (the graph for a relation it holds, else the vocabulary's concepts when the "
            "question names one, else similarity), graph, concepts or similarity.",
        ),
    ] = AnswerPath.auto,
    explain: Annotated[
        bool, typer.Option("--explain", help="Print the SPARQL query a graph answer ran (on stderr).")
    ] = False,
    min_concept_similarity: Annotated[
        float | None,
        typer.Option(
            "--min-concept-similarity",
            min=0,
            max=1,
            help="Read a question that names no concept as its nearest concept when their e5 cosine reaches this "
            "(0 = off; default: tuned, docs/benchmarks.md).",
        ),
    ] = None,
    unread: Annotated[
        Unread | None,
        typer.Option("--unread", help="A question that names no concept: similarity (marked uncertain) or nobody."),
    ] = None,
    fmt: FormatOpt = Format.table,
    edition: EditionOpt = None,
) -> None:
    """Semantic search over the contracts' paragraphs; --group municipality answers "who works on X".

    With --group municipality a question that names a concept of the vocabulary is answered from the
    concept tags: the municipalities whose own text names it (or a narrower one); otherwise by
    similarity, with a calibrated cut-off, marked uncertain. When nobody answers, the output is empty
    and the exit code is 1. --all lists them all."""
    from ..retrieval import ConceptConfig, Searcher, highlight, tuned_configs

    read_only_command()
    fusion, cutoff = tuned_configs(
        bm25_weight=bm25_weight,
        dense_weight=dense_weight,
        rrf_k=rrf_k,
        method=fusion_method,
        min_evidence=min_evidence,
        max_gap=max_gap,
        min_similarity=min_similarity,
        min_keyword_evidence=min_keyword_evidence,
    )
    defaults = ConceptConfig()
    concepts = ConceptConfig(
        min_similarity=defaults.min_similarity if min_concept_similarity is None else min_concept_similarity,
        unread=defaults.unread if unread is None else str(unread),
    )
    searcher = Searcher(
        build_dir_of(build_dir) / INDEX_DIR,
        model=model,
        fusion=fusion,
        cutoff=cutoff,
        max_query_chars=max_query_chars,
        concepts=concepts,
    )
    towns = municipality or None
    from ..editions import index_note, parse_edition

    chosen = parse_edition(edition)
    if note := index_note(searcher.index.entries, chosen):
        err().print(f"search: {note}", markup=False, highlight=False)
    if (spelled := searcher.spelled(text)) != text:
        err().print(f"search: read as “{spelled}” (typed without å, ä and ö)", markup=False, highlight=False)
    graph = _graph_reader(build_dir, path, chosen, group)
    if group is None and graph is not None and graph.read(searcher.spelled(text)) is not None:
        group = GroupBy.municipality  # a question the graph answers is answered from the graph
    if group is GroupBy.municipality:
        _who(searcher, text, k, towns, doc_type, retriever, all_, chosen, str(path), fmt, graph, explain)
        return
    named, topic = searcher.reading(text, towns, named_first)
    if named:
        err().print(
            f"search: {', '.join(named)} named in the question: own text first (--no-named-first: no preference)",
            markup=False,
            highlight=False,
        )
    hits = searcher.search(
        text,
        k=k,
        municipalities=towns,
        doc_type=doc_type,
        retriever=retriever,
        edition=chosen,
        named_first=named_first,
    )
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
            row["text"] = highlight(hit.text, topic, analyzer=searcher.analyzer)  # the words `html` marks too
            row["score"] = round(hit.score, 4)
            if hit.boilerplate:
                row["municipality"] = f"{len(hit.documents)} dokument (mall)"
        rows.append(row)
    render(rows, columns, fmt, sys.stdout)


def _who(
    searcher: Any,
    text: str,
    k: int,
    towns: list[str] | None,
    doc_type: DocType | None,
    retriever: Retriever,
    all_: bool,
    edition: str,
    path: str,
    fmt: Format,
    graph: Any = None,
    explain: bool = False,
) -> None:
    """`search --group municipality`: the who-answer record rendered; stderr says how it was read
    and which path answered (and with --explain the SPARQL a graph answer ran), and when nobody
    answers, the near misses."""
    from ..retrieval import highlight

    answer = searcher.answer(
        text, k=k, municipalities=towns, doc_type=doc_type, retriever=retriever, full_ranking=all_, edition=edition,
        path=path, graph=graph,
    )  # fmt: skip
    said = answer.reading.said()
    uncertain = " — osäkert svar (uncertain)" if answer.uncertain and answer.answering else ""
    answered_by = "ingen kommun svarar (nobody)" if answer.path == "nobody" else f"svaret från {_PATHS[answer.path]}"
    err().print(f"search: {said}; {answered_by}{uncertain}", markup=False, highlight=False)
    if answer.sparql is not None:
        if explain:
            sys.stderr.write("Så här frågade vi grafen (klimatgraf sparql FILE.rq kör den igen):\n" + answer.sparql)
        else:
            err().print("search: --explain visar SPARQL-frågan", markup=False, highlight=False)
    groups = answer.municipalities
    # --all asks for the whole ranking, not an answer: given, it is exit 0 (`answers` says who passes)
    code = 0 if answer.answering or all_ else 1
    if not answer.answering:  # stdout stays data: [] for JSON, the header for CSV, nothing for a table
        near = "; ".join(f"{n.label} ({', '.join(n.municipalities)})" for n in answer.near)
        sys.stderr.write(f"{answer.nobody()}; " + ("ingen passerar gränsen\n" if all_ else "--all visar alla\n"))
        if near:
            sys.stderr.write(f"visa fler: närliggande begrepp som nämns: {near}\n")
        if fmt in (Format.table, Format.markdown) and not groups:
            raise typer.Exit(code)
    if fmt is Format.json:
        sys.stdout.write(json.dumps([g.to_dict() for g in groups], ensure_ascii=False, indent=2) + "\n")
        raise typer.Exit(code)
    rows = [
        {
            "rank": i,
            "municipality": g.municipality,
            "kommunkod": g.kommunkod,
            "score": round(g.score, 4),
            "path": g.path,
            "concepts": ", ".join(g.concepts),
            "evidence": "\n".join(
                f"[{e.section or '–'}] "
                + highlight(e.text, text, analyzer=searcher.analyzer, spans=e.marks if g.path == "concepts" else None)
                for e in g.evidence
            )
            if fmt in (Format.table, Format.markdown)
            else " | ".join(e.text for e in g.evidence),
        }
        for i, g in enumerate(groups, start=1)
    ]
    columns = ["rank", "municipality", "kommunkod", "score", "evidence"]
    if fmt not in (Format.table, Format.markdown):
        columns = ["rank", "municipality", "kommunkod", "score", "path", "concepts", "evidence"]
    render(rows, columns, fmt, sys.stdout)
    raise typer.Exit(code)


_PATHS = {
    "graph": "grafen (graph)",
    "graph+concepts": "grafen och begreppen (graph and concept tags)",
    "concepts": "begreppen (concept tags)",
    "similarity": "likhet (similarity)",
}


def _graph_reader(build_dir: Any, path: AnswerPath, edition: str, group: GroupBy | None) -> Any:
    """The build's graph for relation questions, when the graph path may answer: the latest
    edition, and not a paragraph search or another path asked for by name."""
    if group is GroupBy.paragraph or path not in (AnswerPath.auto, AnswerPath.graph) or edition != "latest":
        return None
    from ..corpus import load_gazetteer
    from ..errors import BuildMissingError
    from ..retrieval.graphpath import GraphReader
    from ..sparql import open_engine

    try:
        engine = open_engine(build_dir_of(build_dir))
    except BuildMissingError:
        if path is AnswerPath.graph:  # asked for by name: say why it cannot answer
            raise
        return None  # an index without its graph (the index alone was built): the other paths answer
    return GraphReader(engine, load_gazetteer(data_dir_of(None)))


def evaluate_command(
    questions: Annotated[Path | None, typer.Argument(help="Question file (default: tests/dev_queries.json).")] = None,
    build_dir: BuildDir = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Score the search on a question file: who (hit@1, recall@3, MRR) and passage (hit@1, hit@5, MRR@10)."""
    from ..config import project_root
    from ..evaluate import evaluate
    from ..retrieval import Searcher

    path = questions or project_root() / "tests" / "dev_queries.json"
    if not path.is_file():
        raise InputError(f"{path}: no such question file")
    report = evaluate(Searcher(build_dir_of(build_dir) / INDEX_DIR), path)
    rows = report.rows()
    if fmt is Format.json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    render(rows, list(rows[0].keys()) if rows else [], fmt, sys.stdout)
    failures = report.failures()
    if failures:
        err().print(f"{len(failures)} failed question(s):")
        for failure in failures:
            err().print(f"  {failure}")
