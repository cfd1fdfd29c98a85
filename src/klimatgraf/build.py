"""The build: data/contracts → build/graph.ttl, graph.nt, build.json and build/index/.

Every artefact is staged under a temporary name in the build directory and moved into place
by one journaled commit, under the build lock; `klimatgraf.store` owns all of that (locks,
journal, commit, recover, atomic writes, digests, the typed build.json), and readers go
through it, not through this module.
"""

from __future__ import annotations

import gc
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .corpus import Corpus, load_corpus
from .store import (
    BUILD_MANIFEST,
    GRAPH_LATEST_NT,
    GRAPH_NT,
    GRAPH_TTL,
    INDEX_DIR,
    JOURNAL,
    TOPICS_JSON,
    BuildManifest,
    DocumentRecord,
    build_lock,
    commit,
    digest_of,
    recover,
    staging_file,
)

if TYPE_CHECKING:
    from .concepts.corpus import CorpusTags
    from .concepts.tagger import Tag

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class BuildSummary:
    documents: int
    paragraphs: int
    boilerplate: int
    triples: int
    facts: int
    seconds: float
    graph: str
    index: str | None
    embedded: int | None  # passages embedded in this build (the rest came from the cache)
    superseded: tuple[str, ...] = ()  # files left out: an edition of the same municipality, type and version is newer
    from_cache: int | None = None  # distinct passage texts whose vector came from the embedding cache
    tags: int | None = None  # concept tags in the graph: one per own (not template) paragraph and concept
    vocabulary: dict[str, str] | None = None  # the concept vocabulary's file, digest and classifier version


def build(
    data_dir: Path,
    build_dir: Path,
    *,
    progress: Progress | None = None,
    with_index: bool = True,
    model: str = "e5",
    wait: bool = False,
    checkpoint_every: int | None = None,
) -> BuildSummary:
    """Ingest, segment, extract, graph and (optionally) index every contract in data_dir."""
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    with build_lock(build_dir, wait=wait):
        recover(build_dir)
        corpus = load_corpus(data_dir, progress=lambda name: report(f"reading {name}", 0, 0))
        concepts = _concepts(corpus, data_dir, report)
        own_tags = concepts.own(corpus.paragraphs)  # the tags the graph states (own text, never template)
        graph, fact_count = _graph(corpus, report, concepts, own_tags)
        triples = len(graph)
        staged = _stage_graph(graph, build_dir)
        staged.append(_stage_profiles(corpus, concepts, build_dir))
        del graph  # written; the latest editions are read back from graph.nt into oxigraph, not kept twice
        gc.collect()  # rdflib's graph holds reference cycles: free it before oxigraph's store is made
        try:
            report("selecting the latest editions", 0, 0)
            staged.extend(_stage_latest(staged, build_dir))
            index_info = _index(corpus, build_dir, model, report, checkpoint_every, concepts) if with_index else None
            if index_info is not None:
                staged.append((index_info[2], build_dir / INDEX_DIR))
            summary = BuildSummary(
                documents=len(corpus.documents),
                paragraphs=len(corpus.paragraphs),
                boilerplate=sum(p.boilerplate for p in corpus.paragraphs),
                triples=triples,
                facts=fact_count,
                seconds=round(time.perf_counter() - started, 3),
                graph=str(build_dir / GRAPH_TTL),
                index=index_info[0] if index_info else None,
                embedded=index_info[1] if index_info else None,
                superseded=tuple(f"{old.file_name} (replaced by {new.file_name})" for old, new in corpus.superseded),
                from_cache=index_info[3] if index_info else None,
                tags=sum(len(tags) for tags in own_tags.values()),
                vocabulary=concepts.record(),
            )
            manifest = BuildManifest(
                **asdict(summary),
                klimatgraf=__version__,
                built=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                documents_detail=tuple(
                    DocumentRecord(
                        doc_id=d.doc_id,
                        file=d.file_name,
                        sha256=d.sha256,
                        municipality=d.municipality.name,
                        kommunkod=d.municipality.kommunkod,
                        type=d.doc_type,
                        version=d.version,
                    )
                    for d in corpus.documents
                ),
                files={
                    final.name: digest_of(tmp)
                    for tmp, final in staged
                    if final.name in (GRAPH_TTL, GRAPH_NT, GRAPH_LATEST_NT, TOPICS_JSON)
                },
            )
            manifest_tmp = staging_file(build_dir / BUILD_MANIFEST)
            staged.append((manifest_tmp, build_dir / BUILD_MANIFEST))
            manifest_tmp.write_text(manifest.to_json(), encoding="utf-8")
            commit(build_dir, staged)
            if GRAPH_LATEST_NT not in manifest.files:  # an earlier build's: this build.json does not list it
                (build_dir / GRAPH_LATEST_NT).unlink(missing_ok=True)
        finally:
            # once the journal exists the staged files belong to it (a reader or the next build finishes it)
            for tmp, _ in [] if (build_dir / JOURNAL).exists() else staged:
                if tmp.is_dir():
                    shutil.rmtree(tmp, ignore_errors=True)
                else:
                    tmp.unlink(missing_ok=True)
    return summary


def _concepts(corpus: Corpus, data_dir: Path, report: Progress) -> CorpusTags:
    """The vocabulary read (a broken one stops the build here, before anything is written) and every
    paragraph tagged with its concepts."""
    from .concepts.corpus import tag_corpus

    report("tagging concepts", 0, 0)
    return tag_corpus(corpus.paragraphs, data_dir)


def _graph(
    corpus: Corpus, report: Progress, concepts: CorpusTags, own_tags: Mapping[str, Sequence[Tag]]
) -> tuple[Any, int]:
    from .extract import extract
    from .graph import build_graph

    facts = []
    for i, document in enumerate(corpus.documents, start=1):
        facts.append(extract(document, corpus.paragraphs_of(document.doc_id), corpus.gazetteer))
        report("extracting facts", i, len(corpus.documents))
    fact_count = sum(
        len(f.parties)
        + len(f.twins)
        + len(f.commitments)
        + len(f.targets)
        + len(f.emissions)
        + len(f.themes)
        + len(f.organisations)
        + len(f.steering_documents)
        for f in facts
    )
    # the contracts' own theme headings, read by the same matcher as the paragraphs: the concepts each names
    headings = {t.label: [tag.concept for tag in concepts.of_text(t.label)] for f in facts for t in f.themes}
    report("building graph", 0, 0)
    graph = build_graph(facts, corpus.paragraphs, corpus.gazetteer, concepts.vocabulary, own_tags, headings)
    return graph, fact_count


def _stage_graph(graph: Any, build_dir: Path) -> list[tuple[Path, Path]]:
    """Serialise into temp files now; they are moved into place after the index succeeds."""
    staged = []
    for name, fmt in ((GRAPH_TTL, "turtle"), (GRAPH_NT, "nt")):
        tmp = staging_file(build_dir / name)
        staged.append((tmp, build_dir / name))
        graph.serialize(destination=str(tmp), format=fmt, encoding="utf-8")
    return staged


def _stage_profiles(corpus: Corpus, concepts: CorpusTags, build_dir: Path) -> tuple[Path, Path]:
    """topics.json: each document's own-text concepts, from the same tags as the graph (profiles.py)."""
    from .profiles import make_profiles, write_profiles

    tmp = staging_file(build_dir / TOPICS_JSON)
    profiles = make_profiles(corpus.documents, corpus.paragraphs, concepts.scheme, concepts.by_pid, concepts.record())
    write_profiles(tmp, profiles)
    return tmp, build_dir / TOPICS_JSON


def _stage_latest(staged: list[tuple[Path, Path]], build_dir: Path) -> list[tuple[Path, Path]]:
    """graph-latest.nt staged beside graph.nt when some municipality has an earlier edition (issue 27):
    readers then answer the default edition from it without copying the graph (edition_graph)."""
    from .edition_graph import write_latest

    graph_nt = next(tmp for tmp, final in staged if final.name == GRAPH_NT)
    tmp = staging_file(build_dir / GRAPH_LATEST_NT)
    try:
        if write_latest(graph_nt, tmp):
            return [(tmp, build_dir / GRAPH_LATEST_NT)]
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.unlink(missing_ok=True)
    return []


def _index(
    corpus: Corpus,
    build_dir: Path,
    model: str,
    report: Progress,
    checkpoint_every: int | None = None,
    concepts: CorpusTags | None = None,
) -> tuple[str, int | None, Path, int | None]:
    from .embed import CHECKPOINT_EVERY, get_embedder
    from .index import stage_index

    staged, manifest = stage_index(
        corpus.paragraphs,
        corpus.documents,
        build_dir / INDEX_DIR,
        get_embedder(model),
        progress=lambda done, total: report("embedding paragraphs", done, total),
        checkpoint_every=checkpoint_every or CHECKPOINT_EVERY,
        concepts=concepts,
    )
    return (
        str(build_dir / INDEX_DIR),
        getattr(manifest, "embedded", None),
        staged,
        getattr(manifest, "from_cache", None),
    )
