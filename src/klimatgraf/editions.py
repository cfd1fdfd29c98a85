"""Editions: the yearly versions of one municipality's contract, as a timeline.

A municipality is one node (by kommunkod); each of its documents carries a version, an
edition year and a signing date. Two documents of one municipality and type with different
versions are both kept (editions); with the same version the newer replaces the older in the
build (see corpus.newest_versions). The build marks the latest edition of each municipality
and type (`kg:latestEdition true`), and readers — named queries, `compare`, search, the web
page — use those by default; `--edition all|YEAR` selects others.

Selecting editions for a SPARQL reader leaves out the other editions' documents, paragraphs
and fact nodes, and derives the shortcut triples (kg:adopts, kg:mentions,
kg:twinOf) again from the fact nodes left. The default, the latest editions, is decided at build
time: the build writes that graph as graph-latest.nt, and oxigraph answers from its on-disk copy
(issue 27); `--edition YEAR` restricts an in-memory oxigraph store the same way (edition_graph).
The rdflib engine, the reference, copies its graph (`restrict`). When every municipality has a
single edition the graph is used as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .edition_graph import LISTING, is_latest
from .errors import InputError

if TYPE_CHECKING:
    from rdflib import Graph

    from .reference import Gazetteer
    from .sparql import Engine

EDITION_HELP = (
    "latest (default): each municipality's latest edition; all: every edition; YEAR: the editions of that year."
)


def parse_edition(value: str | None) -> str:
    """'latest' | 'all' | a year (2020–2099) → the normalised choice; anything else is an input error."""
    choice = (value or "latest").strip().casefold()
    if choice in ("latest", "all") or re.fullmatch(r"20\d\d", choice):
        return choice
    raise InputError(f"--edition must be latest, all or a year such as 2022, not {value!r}")


@dataclass(frozen=True)
class Edition:
    document: str  # doc_id
    municipality: str
    kommunkod: str
    document_type: str
    version: str | None
    year: int | None
    signed: str | None
    latest: bool
    file: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "kommunkod": self.kommunkod,
            "version": self.version,
            "edition_year": self.year,
            "signed": self.signed,
            "type": self.document_type,
            "document": self.document,
            "latest": self.latest,
            "file": self.file,
        }


def _run(source: Graph | Engine, text: str) -> list[dict[str, Any]]:
    """Rows of one of klimatgraf's own queries (trusted: no guard parse on oxigraph)."""
    from rdflib import Graph as RdfGraph

    from .sparql import run

    result = run(source, text) if isinstance(source, RdfGraph) else source.run(text, trusted=True)
    return result.plain_rows()


def editions(source: Graph | Engine) -> list[Edition]:
    """Every document of the graph as an edition, in timeline order per municipality."""
    rows = _run(source, LISTING)
    found = []
    for r in rows:
        year = r.get("edition_year")
        latest = r.get("latest")
        found.append(
            Edition(
                document=str(r["document"]),
                municipality=str(r["municipality"]),
                kommunkod=str(r["kommunkod"]),
                document_type=str(r["document_type"]),
                version=r.get("version") or None,
                year=int(year) if year not in (None, "") else None,
                signed=str(r["signed"]) if r.get("signed") else None,
                latest=is_latest(_lexical(latest)),
                file=str(r["file"]),
            )
        )
    return found


def _lexical(value: Any) -> str | None:
    """A kg:latestEdition value (a plain row value) as the lexical form `edition_graph.is_latest` reads."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and value == 1:
        return "1"
    return str(value)


def selected(all_editions: Sequence[Edition], edition: str) -> list[Edition]:
    if edition == "all":
        return list(all_editions)
    if edition == "latest":
        return [e for e in all_editions if e.latest]
    return [e for e in all_editions if e.year == int(edition)]


def note(all_editions: Sequence[Edition], edition: str) -> str | None:
    """One line for stderr (or an API field) when the choice of editions changed the answer."""
    counts: dict[str, int] = {}
    for e in all_editions:
        counts[e.municipality] = counts.get(e.municipality, 0) + 1
    several = sorted(m for m, n in counts.items() if n > 1)
    if edition == "all":
        return f"every edition ({len(all_editions)} documents); {', '.join(several)} have several" if several else None
    if edition == "latest":
        if not several:
            return None
        shown = ", ".join(
            f"{e.municipality} {e.version or e.year or e.signed or e.document}"
            for e in all_editions
            if e.latest and e.municipality in several
        )
        return f"latest edition of each municipality ({shown}); --edition all|YEAR selects others"
    chosen = selected(all_editions, edition)
    return f"editions of {edition}: {len(chosen)} document{'' if len(chosen) == 1 else 's'}"


def restrict(graph: Graph, keep: Iterable[str]) -> Graph:
    """A copy of `graph` with only the documents `keep` (doc_ids), their paragraphs and facts."""
    from rdflib import Graph as RdfGraph
    from rdflib import URIRef
    from rdflib.namespace import DCTERMS, PROV, RDF

    from .namespaces import ID, KG

    keep_docs = {ID[f"document/{d}"] for d in keep}
    all_docs = set(graph.subjects(KG.municipality, None))
    dropped_docs = all_docs - keep_docs
    if not dropped_docs:
        return graph
    dropped: set[Any] = set(dropped_docs)
    dropped.update(s for d in dropped_docs for s in graph.subjects(KG.statedIn, d))
    dropped.update(s for d in dropped_docs for s in graph.subjects(DCTERMS.isPartOf, d))
    dropped.update(s for node in list(dropped) for s in graph.subjects(PROV.wasDerivedFrom, node))  # concept tags
    shortcuts = (KG.adopts, KG.mentions, KG.twinOf, KG.pioneerOf)
    out = RdfGraph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace, override=True)
    for s, p, o in graph:
        if s in dropped or o in dropped or p in shortcuts:
            continue
        out.add((s, p, o))
    # the shortcuts again, from the fact nodes that are left
    for fact_class, link, shortcut in (
        (KG.CommitmentAdoption, KG.commitment, KG.adopts),
        (KG.OrganisationMention, KG.organisation, KG.mentions),
    ):
        for node in out.subjects(RDF.type, fact_class):
            town, target = out.value(node, KG.aboutMunicipality), out.value(node, link)
            if isinstance(town, URIRef) and target is not None:
                out.add((town, shortcut, target))
    for node in out.subjects(RDF.type, KG.TwinRelation):
        twin, pioneer = out.value(node, KG.twin), out.value(node, KG.pioneer)
        if twin is not None and pioneer is not None:
            out.add((twin, KG.twinOf, pioneer))
            out.add((pioneer, KG.pioneerOf, twin))
    return out


def municipality_editions(source: Graph | Engine, name: str, gazetteer: Gazetteer) -> list[Edition]:
    """The editions of one municipality (name or kommunkod, any case), oldest first."""
    municipality = gazetteer.resolve(name)  # raises with a suggestion for unknown names
    every = editions(source)
    found = [e for e in every if e.kommunkod == municipality.kommunkod]
    if not found:
        known = ", ".join(sorted({e.municipality for e in every}))
        raise InputError(f"{municipality.name} has no document in the graph; known: {known}")
    return sorted(found, key=lambda e: (e.document_type, e.year or 0, e.signed or "", e.document))


def open_edition(build_dir: Any, engine: str | None, edition: str) -> tuple[Engine, str | None]:
    """The build's graph as an engine restricted to `edition`, and the note that says so (or None).

    When the choice leaves out no document, the build's own engine is used (oxigraph by default).
    Otherwise, on oxigraph: the latest editions are the on-disk store of graph-latest.nt, written by
    the build; other choices (and a build from before graph-latest.nt) an in-memory store
    restricted to them. On rdflib (the reference): a copy of the graph without the other editions.
    """
    from .edition_graph import documents_in
    from .sparql import DEFAULT_ENGINE, OxigraphEngine, RdflibEngine, open_engine, open_latest, restricted_engine
    from .store import reading

    with reading(build_dir):  # one reader scope: the editions listed and the graph read are one build's
        full = open_engine(build_dir, engine or DEFAULT_ENGINE)
        every = editions(full)
        chosen = selected(every, edition)
        if edition != "all" and not chosen:
            years = ", ".join(map(str, sorted({e.year for e in every if e.year}))) or "none"
            raise InputError(f"no edition of {edition} in the graph; edition years: {years}")
        message = note(every, edition)
        if len(chosen) == len(every):
            return full, message
        keep = [e.document for e in chosen]
        if isinstance(full, RdflibEngine):
            return RdflibEngine(restrict(full.graph, keep)), message
        latest = open_latest(build_dir) if edition == "latest" else None
        if isinstance(latest, OxigraphEngine) and documents_in(latest.store) == set(keep):
            return latest, message
        return restricted_engine(build_dir, keep), message  # a YEAR, or no graph-latest.nt that fits


def entry_allowed(member: dict[str, Any], edition: str) -> bool:
    """Whether a search-index member (see index._doc_info) belongs to the chosen edition."""
    if edition == "all":
        return True
    if edition == "latest":
        return bool(member.get("latest", True))  # indexes built before editions: every document is latest
    return member.get("edition_year") == int(edition)


def index_note(entries: Sequence[dict[str, Any]], edition: str) -> str | None:
    """The stderr note for search: only when some municipality has more than one edition indexed."""
    if edition != "latest" or not any(not m.get("latest", True) for e in entries for m in e["members"]):
        return None
    return "latest edition of each municipality; --edition all|YEAR searches others"


def latest_graph(graph: Graph) -> Graph:
    """`graph` restricted to the latest editions; `graph` itself when it has no earlier edition (no copy).

    The server calls it once at start (serve.fixed_answers), so nothing is memoised here."""
    every = editions(graph)
    chosen = [e.document for e in every if e.latest]
    return graph if len(chosen) == len(every) else restrict(graph, chosen)
