"""Municipalities compared by topic (issue 23): the municipality × concept matrix of own passages.

A municipality works on a concept when one of its own paragraphs (never the shared template
text) is tagged with the concept or a narrower one. A cell of the matrix is the number of such
paragraphs, and the paragraphs themselves: every number can be opened to the text that makes it.
Columns are the concepts of one level of the vocabulary (the top concepts by default) or the
concepts one level below a concept (`under`); rows are municipalities, and with `--edition all`
a municipality with several edition years has a row for each.

The profiles come from the build's `topics.json` (profiles.py), read in milliseconds, or from
the graph itself with SPARQL (`profiles_from_graph`, a build without that file, and the check of
the file in the tests); the named queries `themes` and `concept-matrix` give the same numbers
with `skos:broader*` on any SPARQL store.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .editions import Edition, note, selected
from .errors import BuildCorruptError, InputError
from .reference import fold

if TYPE_CHECKING:
    from rdflib import Graph

    from .reference import Gazetteer
    from .sparql import Engine

ID = "https://w3id.org/klimatgraf/id/"
PARAGRAPH = ID + "paragraph/"
DOCUMENT = ID + "document/"
_SV_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}", "é": "e", "ü": "y"})


def sv_key(text: str) -> str:
    """Swedish alphabetical order: å, ä, ö after z (Python's own order puts ä before å)."""
    return text.casefold().translate(_SV_ORDER)


# ----------------------------------------------------------------------------- the vocabulary's hierarchy


@dataclass(frozen=True)
class ConceptNode:
    iri: str
    label: str  # the Swedish prefLabel
    label_en: str
    broader: str | None
    level: int  # 1 for a top concept

    @property
    def id(self) -> str:
        """The concept's slug, the last part of its IRI (`energisystem`)."""
        return self.iri.rstrip("/").rsplit("/", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "concept": self.iri,
            "id": self.id,
            "label": self.label,
            "label_en": self.label_en,
            "level": self.level,
            "broader": self.broader,
        }


class Hierarchy:
    """The concepts of the vocabulary as a tree: levels, ancestors, the order of columns, and
    names as people type them ("Mobilitet", "mobilitet-och-transporter", "Mobility and transport")."""

    def __init__(self, rows: Iterable[tuple[str, str, str, str | None, bool]]) -> None:
        """`rows`: (iri, Swedish label, English label, broader IRI or None, is a top concept)."""
        raw = {iri: (label, label_en, broader if not top else None) for iri, label, label_en, broader, top in rows}
        levels: dict[str, int] = {}

        def level(iri: str, seen: tuple[str, ...] = ()) -> int:
            if iri not in levels:
                parent = raw[iri][2]
                levels[iri] = (
                    1 if parent is None or parent not in raw or iri in seen else 1 + level(parent, (*seen, iri))
                )
            return levels[iri]

        self.nodes = {
            iri: ConceptNode(iri, lab, en, b if b in raw else None, level(iri)) for iri, (lab, en, b) in raw.items()
        }
        self.children: dict[str, list[str]] = defaultdict(list)
        for node in self.nodes.values():
            if node.broader is not None:
                self.children[node.broader].append(node.iri)
        self.up: dict[str, tuple[str, ...]] = {iri: tuple(self._chain(iri)) for iri in self.nodes}
        # tree order: a concept after its broader one, siblings alphabetically (Swedish)
        self.order = sorted(
            self.nodes, key=lambda iri: tuple(sv_key(self.nodes[c].label) for c in reversed(self.up[iri]))
        )
        self.depth = max((n.level for n in self.nodes.values()), default=0)

    def _chain(self, iri: str) -> list[str]:
        """The concept and every broader one, nearest first."""
        chain = [iri]
        while (parent := self.nodes[chain[-1]].broader) is not None and parent not in chain:
            chain.append(parent)
        return chain

    def __contains__(self, iri: object) -> bool:
        return iri in self.nodes

    def __getitem__(self, iri: str) -> ConceptNode:
        return self.nodes[iri]

    def top(self, iri: str) -> ConceptNode:
        return self.nodes[self.up[iri][-1]]

    def within(self, iri: str) -> list[str]:
        """The concept and every narrower one, in tree order."""
        return [c for c in self.order if iri in self.up[c]]

    def resolve(self, text: str) -> ConceptNode:
        """A concept by its slug, IRI, Swedish or English label, or the start of a label ("Mobilitet"),
        in any case and with or without å/ä/ö; otherwise one line with the closest names."""
        wanted = fold(text.strip())
        if not wanted:
            raise InputError("name a concept, e.g. --under Mobilitet (see `klimatgraf concepts`)")
        names: dict[str, set[str]] = defaultdict(set)
        for node in self.nodes.values():
            for name in (node.iri, node.id, node.label, node.label_en):
                names[fold(name)].add(node.iri)
        exact = names.get(wanted, set())
        if len(exact) == 1:
            return self.nodes[next(iter(exact))]
        starts = {iri for name, iris in names.items() if name.startswith(wanted) for iri in iris}
        if starts:  # the start of several labels: the broadest of them, when one is broadest
            broadest = min(self.nodes[i].level for i in starts)
            starts = {i for i in starts if self.nodes[i].level == broadest}
        if len(starts) == 1:
            return self.nodes[next(iter(starts))]
        if starts:
            shown = ", ".join(sorted((self.nodes[i].label for i in starts), key=sv_key))
            raise InputError(f"{text!r} fits several concepts: {shown}; name one of them")
        labels = {fold(n.label): n.label for n in self.nodes.values()}
        close = difflib.get_close_matches(wanted, list(labels), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(labels[c] for c in close)}?" if close else ""
        raise InputError(f"unknown concept {text!r}{hint} (`klimatgraf concepts` lists the vocabulary)")

    def columns(self, level: int | None, under: str | None) -> tuple[list[str], int, ConceptNode | None]:
        """The concepts of one level (1: the top concepts), or of the level below `under` (or `level`
        within its subtree); with the level and the concept they are under."""
        if level is not None and level < 1:
            raise InputError(f"--level must be 1 or more (1 = the top concepts), not {level}")
        if under is None:
            wanted = level or 1
            found = [c for c in self.order if self.nodes[c].level == wanted]
            if not found:
                raise InputError(f"the vocabulary has no concepts at level {wanted}; its levels are 1–{self.depth}")
            return found, wanted, None
        parent = self.resolve(under)
        wanted = level if level is not None else parent.level + 1
        if wanted < parent.level:
            raise InputError(
                f"{parent.label} is at level {parent.level}; --level {wanted} is above it (use {parent.level} or more)"
            )
        found = [c for c in self.within(parent.iri) if self.nodes[c].level == wanted]
        if not found:
            deepest = max(self.nodes[c].level for c in self.within(parent.iri))
            raise InputError(
                f"{parent.label} has no narrower concepts at level {wanted}"
                + (f"; its subtree reaches level {deepest}" if deepest > parent.level else " (it has none)")
            )
        return found, wanted, parent


# ----------------------------------------------------------------------------- the profiles


@dataclass(frozen=True)
class DocumentProfile:
    edition: Edition
    own_paragraphs: int
    concepts: Mapping[str, tuple[int, ...]]  # concept IRI → ordinals of own paragraphs tagged with it directly


@dataclass
class Profiles:
    """Every document's own-text concepts and the vocabulary's hierarchy: all the matrix needs."""

    hierarchy: Hierarchy
    documents: dict[str, DocumentProfile]
    _rolled: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict, repr=False)

    def editions(self) -> list[Edition]:
        """Every document as an edition, in the order `editions.editions` lists them."""
        return sorted(
            (d.edition for d in self.documents.values()),
            key=lambda e: (e.municipality, e.document_type, e.year or 0, e.signed or "", e.document),
        )

    def rolled(self, doc_id: str) -> dict[str, tuple[int, ...]]:
        """The document's own paragraphs under each concept: tagged with it or a narrower one."""
        found = self._rolled.get(doc_id)
        if found is None:
            sets: dict[str, set[int]] = defaultdict(set)
            for concept, ordinals in self.documents[doc_id].concepts.items():
                for broader in self.hierarchy.up.get(concept, (concept,)):
                    sets[broader].update(ordinals)
            found = self._rolled[doc_id] = {c: tuple(sorted(s)) for c, s in sets.items()}
        return found


def profiles_from_json(data: Mapping[str, Any]) -> Profiles:
    """Profiles from the contents of topics.json (profiles.make_profiles)."""
    hierarchy = Hierarchy(
        (c["iri"], c["label"], c.get("label_en") or c["label"], (c.get("broader") or [None])[0], bool(c.get("top")))
        for c in data["concepts"]
    )
    documents = {}
    for doc_id, d in data["documents"].items():
        edition = Edition(
            document=doc_id,
            municipality=d["municipality"],
            kommunkod=d["kommunkod"],
            document_type=d["type"],
            version=d.get("version") or None,
            year=d.get("edition_year"),
            signed=d.get("signed"),
            latest=bool(d.get("latest", True)),
            file=d.get("file") or "",
        )
        concepts = {c: tuple(int(o) for o in ordinals) for c, ordinals in d["concepts"].items()}
        documents[doc_id] = DocumentProfile(edition, int(d.get("own_paragraphs", 0)), concepts)
    return Profiles(hierarchy, documents)


def read_profiles(build_dir: Path) -> Profiles:
    """The build's profiles: topics.json, checked against build.json (its size and sha256); a build
    that has no such file (made before it, or a graph put there by hand) is read from the graph."""
    from .sparql import DEFAULT_ENGINE, open_engine
    from .store import BUILD_MANIFEST, FIX, TOPICS_JSON, check_digests, reading

    build_dir = Path(build_dir)
    with reading(build_dir):
        listed = _listed_digest(build_dir / BUILD_MANIFEST, TOPICS_JSON)
        if listed is None:
            return profiles_from_graph(open_engine(build_dir, DEFAULT_ENGINE))
        check_digests(build_dir, {TOPICS_JSON: listed}, BUILD_MANIFEST, FIX)
        path = build_dir / TOPICS_JSON
        try:
            return profiles_from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            raise BuildCorruptError(f"{path} is unreadable; {FIX}") from None


def _listed_digest(manifest: Path, name: str) -> Any:
    """The size and checksum build.json records for `name`, or None when it records none."""
    try:
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files") or {}
    except (OSError, ValueError, AttributeError):
        return None  # no build.json or a damaged one: the graph's own checks say so
    return files.get(name) if isinstance(files, dict) else None


_PREFIXES = """
PREFIX kg: <https://w3id.org/klimatgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
# the concepts of every scheme that has top concepts (the vocabulary; the commitments are a flat list)
HIERARCHY_QUERY = (
    _PREFIXES
    + """
SELECT DISTINCT ?concept ?label ?label_en ?broader ?top WHERE {
  ?concept skos:inScheme ?scheme ; skos:prefLabel ?label FILTER(LANG(?label) = "sv")
  FILTER EXISTS { ?scheme skos:hasTopConcept ?any }  # a join with ?any repeated each row per top concept
  OPTIONAL { ?concept skos:prefLabel ?label_en FILTER(LANG(?label_en) = "en") }
  OPTIONAL { ?concept skos:broader ?broader }
  OPTIONAL { ?concept skos:topConceptOf ?top_of }
  BIND(BOUND(?top_of) AS ?top)
}
"""
)
# every tag on a document's own paragraphs (never template text), and the own paragraphs' count
TAGS_QUERY = (
    _PREFIXES
    + """
SELECT ?doc ?paragraph ?concept WHERE {
  ?tag a kg:ConceptTag ; kg:concept ?concept ; prov:wasDerivedFrom ?paragraph .
  ?paragraph kg:boilerplate false ; dcterms:isPartOf ?doc .
}
"""
)
OWN_QUERY = (
    _PREFIXES
    + """
SELECT ?doc (COUNT(?paragraph) AS ?own) WHERE { ?paragraph kg:boilerplate false ; dcterms:isPartOf ?doc . }
GROUP BY ?doc
"""
)


def _rows(source: Graph | Engine, text: str, *, trusted: bool = True) -> list[dict[str, Any]]:
    """Rows of one of our own query texts (trusted: no guard parse on oxigraph, sparql.Engine); the texts
    that carry ids read from the build are checked first (`_safe`)."""
    from rdflib import Graph as RdfGraph

    from .sparql import run

    result = run(source, text) if isinstance(source, RdfGraph) else source.run(text, trusted=trusted)
    return result.plain_rows()


def _safe(ids: Iterable[str]) -> bool:
    """Whether document and paragraph ids may stand in an IRI of a query text as they are."""
    return all(re.fullmatch(r"[\w.-]+(?:/\d+)?", i) is not None for i in ids)


def profiles_from_graph(source: Graph | Engine) -> Profiles:
    """The same profiles read from the graph with SPARQL (rdflib or any engine)."""
    from .editions import editions

    hierarchy = Hierarchy(
        (str(r["concept"]), str(r["label"]), str(r.get("label_en") or r["label"]), r.get("broader"), bool(r["top"]))
        for r in _rows(source, HIERARCHY_QUERY)
    )
    tagged: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for r in _rows(source, TAGS_QUERY):
        pid = str(r["paragraph"]).removeprefix(PARAGRAPH)
        tagged[str(r["doc"]).removeprefix(DOCUMENT)][str(r["concept"])].add(int(pid.rsplit("/", 1)[1]))
    own = {str(r["doc"]).removeprefix(DOCUMENT): int(r["own"]) for r in _rows(source, OWN_QUERY)}
    documents = {
        e.document: DocumentProfile(
            e, own.get(e.document, 0), {c: tuple(sorted(o)) for c, o in sorted(tagged[e.document].items())}
        )
        for e in editions(source)
    }
    return Profiles(hierarchy, documents)


# ----------------------------------------------------------------------------- the matrix


@dataclass(frozen=True)
class Row:
    municipality: str
    kommunkod: str
    edition: str  # the edition years of the documents in the row ("2025"; "2023, 2025" with two types)
    documents: tuple[str, ...]
    own_paragraphs: int
    cells: Mapping[str, tuple[str, ...]]  # concept IRI → pids of own paragraphs under it

    def count(self, concept: str) -> int:
        return len(self.cells.get(concept, ()))


@dataclass(frozen=True)
class Matrix:
    edition: str
    level: int
    under: ConceptNode | None
    concepts: list[ConceptNode]  # the columns
    rows: list[Row]
    empty: list[ConceptNode]  # concepts of the level that no row names (left out unless keep_empty)
    note: str | None = None  # which editions were read, when that changed the answer

    def table(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Rows for `output.render`: municipality, edition, then one column per concept (its label)."""
        columns = ["municipality", "edition", *(c.label for c in self.concepts)]
        rows = [
            {"municipality": r.municipality, "edition": r.edition, **{c.label: r.count(c.iri) for c in self.concepts}}
            for r in self.rows
        ]
        return rows, columns

    def to_dict(self) -> dict[str, Any]:
        """`--format json` and /api/themes: every cell with its count and the paragraphs behind it."""
        return {
            "edition": self.edition,
            "level": self.level,
            "under": self.under.to_dict() if self.under else None,
            "concepts": [c.to_dict() for c in self.concepts],
            "empty_concepts": [c.to_dict() for c in self.empty],
            "rows": [
                {
                    "municipality": r.municipality,
                    "kommunkod": r.kommunkod,
                    "edition": r.edition,
                    "documents": list(r.documents),
                    "own_paragraphs": r.own_paragraphs,
                    "cells": {
                        c.id: {"passages": r.count(c.iri), "paragraphs": list(r.cells.get(c.iri, ()))}
                        for c in self.concepts
                    },
                }
                for r in self.rows
            ],
        }


def choose_editions(profiles: Profiles, edition: str) -> tuple[list[Edition], str | None]:
    """The editions `--edition latest|all|YEAR` selects, and the note that says so (editions.py's
    rules and words); a year without editions is one line listing the years there are."""
    every = profiles.editions()
    chosen = selected(every, edition)
    if edition != "all" and not chosen:
        years = ", ".join(map(str, sorted({e.year for e in every if e.year}))) or "none"
        raise InputError(f"no edition of {edition} in the graph; edition years: {years}")
    return chosen, note(every, edition)


def matrix(
    profiles: Profiles,
    *,
    edition: str = "latest",
    level: int | None = None,
    under: str | None = None,
    names: Sequence[str] | None = None,
    gazetteer: Gazetteer | None = None,
    keep_empty: bool = False,
) -> Matrix:
    """The municipality × concept matrix: own paragraphs under each concept of the chosen level.

    `names` (with the gazetteer) keeps only those municipalities; `keep_empty` keeps the concepts no
    row names (otherwise they are listed in `Matrix.empty`)."""
    hierarchy = profiles.hierarchy
    columns, chosen_level, parent = hierarchy.columns(level, under)
    chosen, message = choose_editions(profiles, edition)
    if names:
        from .compare import resolve_names

        if gazetteer is None:
            raise InputError("naming municipalities needs the municipality list (kommuner.csv)")
        wanted = set(resolve_names(names, sorted({e.municipality for e in chosen}), gazetteer))
        chosen = [e for e in chosen if e.municipality in wanted]
    groups: dict[tuple[str, int | None], list[Edition]] = defaultdict(list)
    for e in chosen:  # one row per municipality; with --edition all, one per municipality and edition year
        groups[(e.kommunkod, e.year if edition == "all" else None)].append(e)
    rows = []
    for members in groups.values():
        members.sort(key=lambda e: (e.year or 0, e.document))
        cells: dict[str, list[str]] = {}
        for c in columns:
            pids = [f"{e.document}/{o}" for e in members for o in profiles.rolled(e.document).get(c, ())]
            if pids:
                cells[c] = pids
        years = sorted({str(e.year) for e in members if e.year is not None})
        rows.append(
            Row(
                municipality=members[0].municipality,
                kommunkod=members[0].kommunkod,
                edition=", ".join(years),
                documents=tuple(e.document for e in members),
                own_paragraphs=sum(profiles.documents[e.document].own_paragraphs for e in members),
                cells={c: tuple(p) for c, p in cells.items()},
            )
        )
    rows.sort(key=lambda r: (sv_key(r.municipality), r.edition))
    nodes = [hierarchy[c] for c in columns]
    empty = [n for n in nodes if not any(r.count(n.iri) for r in rows)]
    if not keep_empty:
        nodes = [n for n in nodes if n not in empty]
    return Matrix(edition, chosen_level, parent, nodes, rows, empty, message)


def top_concept_counts(profiles: Profiles, edition: str = "latest") -> dict[str, dict[str, int]]:
    """Municipality → {top concept's Swedish label: own passages}, summed over the chosen editions:
    what the named query `themes` gives `compare`'s "Teman" row, read from topics.json instead of
    a `skos:broader*` join over every concept tag (seconds at N = 300)."""
    found = matrix(profiles, edition=edition, level=1)
    out: dict[str, dict[str, int]] = {}
    for row in found.rows:
        for concept in found.concepts:
            n = row.count(concept.iri)
            if n:
                counts = out.setdefault(row.municipality, {})
                counts[concept.label] = counts.get(concept.label, 0) + n
    return out


def parse_cell(text: str) -> tuple[str, str]:
    """`--show MUNICIPALITY:CONCEPT` → (municipality, concept)."""
    municipality, sep, concept = text.partition(":")
    if not sep or not municipality.strip() or not concept.strip():
        raise InputError(f"--show takes MUNICIPALITY:CONCEPT, e.g. --show 'Alvesta:Mobilitet', not {text!r}")
    return municipality.strip(), concept.strip()


# ----------------------------------------------------------------------------- a cell's passages


PASSAGES_QUERY = (
    _PREFIXES
    + """
SELECT ?paragraph ?text ?section ?page ?concept ?start ?end ?matched WHERE {
  VALUES ?paragraph { %s }
  ?paragraph kg:text ?text .
  OPTIONAL { ?paragraph kg:section ?section }
  OPTIONAL { ?paragraph kg:page ?page }
  ?tag kg:concept ?concept ; prov:wasDerivedFrom ?paragraph ; kg:spanStart ?start ; kg:spanEnd ?end ;
       kg:matchedText ?matched .
}
"""
)


@dataclass(frozen=True)
class Passage:
    pid: str
    document: str
    municipality: str
    edition: str
    section: str
    page: int | None
    text: str
    concepts: list[dict[str, Any]]  # the tags under the cell's concept: concept, label, span, matched words

    @property
    def spans(self) -> list[tuple[int, int]]:
        return sorted({(c["start"], c["end"]) for c in self.concepts})

    def marked(self, before: str, after: str, escape: Any = None) -> str:
        """The text with each tag's words between `before` and `after` (`escape` applied to the text)."""
        out, at = [], 0
        for start, end in _merged(self.spans, len(self.text)):
            out += [_esc(self.text[at:start], escape), before, _esc(self.text[start:end], escape), after]
            at = end
        out.append(_esc(self.text[at:], escape))
        return "".join(out)

    def to_dict(self) -> dict[str, Any]:
        import html

        return {
            "paragraph": PARAGRAPH + self.pid,
            "pid": self.pid,
            "document": self.document,
            "municipality": self.municipality,
            "edition": self.edition,
            "section": self.section,
            "page": self.page,
            "text": self.text,
            "html": self.marked("<mark>", "</mark>", html.escape),
            "concepts": self.concepts,
        }


def _esc(text: str, escape: Any) -> str:
    return escape(text) if escape is not None else text


def _merged(spans: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        start, end = max(0, start), min(length, end)
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class Cell:
    municipality: str
    concept: ConceptNode
    passages: list[Passage]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "concept": self.concept.to_dict(),
            "passages": [p.to_dict() for p in self.passages],
        }


MAX_CELL_PASSAGES = 500  # the paragraphs one cell's query asks for at once (VALUES), a bound on its text


def cell(
    profiles: Profiles,
    source: Graph | Engine,
    municipality: str,
    concept: str,
    gazetteer: Gazetteer,
    *,
    edition: str = "latest",
) -> Cell:
    """The own paragraphs of one municipality under one concept, with the words of each tag.

    The counts come from the profiles, the texts and spans from the graph (`source`)."""
    from .compare import resolve_names

    node = profiles.hierarchy.resolve(concept)
    chosen, message = choose_editions(profiles, edition)
    (name,) = resolve_names([municipality], sorted({e.municipality for e in chosen}), gazetteer)
    members = sorted((e for e in chosen if e.municipality == name), key=lambda e: (e.year or 0, e.document))
    pids = [f"{e.document}/{o}" for e in members for o in profiles.rolled(e.document).get(node.iri, ())]
    within = set(profiles.hierarchy.within(node.iri))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(pids), MAX_CELL_PASSAGES):
        chunk = pids[start : start + MAX_CELL_PASSAGES]
        values = " ".join(f"<{PARAGRAPH}{pid}>" for pid in chunk)
        for r in _rows(source, PASSAGES_QUERY % values, trusted=_safe(chunk)):
            concept_iri = str(r["concept"])
            if concept_iri not in within:
                continue
            pid = str(r["paragraph"]).removeprefix(PARAGRAPH)
            entry = found.setdefault(
                pid, {"text": str(r["text"]), "section": r.get("section"), "page": r.get("page"), "tags": []}
            )
            entry["tags"].append(
                {
                    "concept": concept_iri,
                    "label": profiles.hierarchy[concept_iri].label
                    if concept_iri in profiles.hierarchy
                    else concept_iri,
                    "start": int(r["start"]),
                    "end": int(r["end"]),
                    "matched": str(r["matched"]),
                }
            )
    years = {e.document: str(e.year) if e.year is not None else "" for e in members}
    passages = []
    for pid in pids:
        got = found.get(pid)
        if got is None:
            raise BuildCorruptError(
                f"the graph lacks the text of {pid}, which topics.json lists; run `klimatgraf build`"
            )
        doc = pid.rsplit("/", 1)[0]
        tags = sorted(got["tags"], key=lambda t: (t["start"], sv_key(t["label"])))
        page = int(got["page"]) if got["page"] is not None else None
        passages.append(Passage(pid, doc, name, years[doc], str(got["section"] or ""), page, got["text"], tags))
    return Cell(name, node, passages, message)


# ----------------------------------------------------------------------------- for the network exports


def concept_links(profiles: Profiles, level: int = 1) -> list[tuple[str, str, int]]:
    """(municipality kommunkod, concept IRI, own passages) for every non-empty cell of the matrix of the
    latest editions at `level`: the weighted municipality–concept edges of the Gephi exports."""
    m = matrix(profiles, level=level)
    return [(r.kommunkod, c.iri, r.count(c.iri)) for r in m.rows for c in m.concepts if r.count(c.iri)]


def similar_pairs(profiles: Profiles, k: int) -> list[tuple[str, str, float]]:
    """Each municipality's `k` most similar others by the cosine of their concept profiles (own passages
    per concept they are tagged with directly, latest editions), as (kommunkod, kommunkod, cosine) with
    each pair once, the smaller code first; pairs with nothing in common are never linked."""
    if k < 1:
        raise InputError(f"--similar must be 1 or more (the neighbours of each municipality), not {k}")
    chosen, _ = choose_editions(profiles, "latest")
    vectors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in chosen:
        for concept, ordinals in profiles.documents[e.document].concepts.items():
            vectors[e.kommunkod][concept] += len(ordinals)
    import numpy as np

    codes = sorted(code for code, vec in vectors.items() if any(vec.values()))
    concepts = sorted({c for code in codes for c in vectors[code]})
    index = {c: i for i, c in enumerate(concepts)}
    counts = np.zeros((len(codes), len(concepts)))
    for row, code in enumerate(codes):
        for concept, n in vectors[code].items():
            counts[row, index[concept]] = n
    unit = counts / np.maximum(np.linalg.norm(counts, axis=1, keepdims=True), 1e-12)
    cosine = unit @ unit.T
    np.fill_diagonal(cosine, -1.0)
    best: dict[tuple[str, str], float] = {}
    for row, a in enumerate(codes):
        # the k highest, ties by kommunkod (a stable sort over the codes' order)
        ranked = sorted(range(len(codes)), key=lambda j: (-round(float(cosine[row, j]), 12), codes[j]))
        for j in ranked[:k]:
            if cosine[row, j] > 0:
                b = codes[j]
                best[(min(a, b), max(a, b))] = round(float(cosine[row, j]), 4)
    return [(a, b, value) for (a, b), value in sorted(best.items())]


# ----------------------------------------------------------------------------- editions compared by topic

EDITION_TAGS_QUERY = (
    _PREFIXES
    + """
SELECT ?doc ?paragraph ?concept ?text WHERE {
  VALUES ?doc { %s }
  ?paragraph dcterms:isPartOf ?doc ; kg:boilerplate false ; kg:text ?text .
  ?tag kg:concept ?concept ; prov:wasDerivedFrom ?paragraph .
}
ORDER BY ?doc ?paragraph
"""
)


def concept_changes(source: Graph | Engine, old: str, new: str) -> list[dict[str, Any]]:
    """The concepts a municipality's own text names in edition `new` and not in `old` (added), and
    the reverse (removed), as rows of `diff` (category "concept"), each with its passages.

    A concept counts with its narrower ones (a passage on Skyfall names Klimatanpassning). Only the
    broadest concept of a change is a row; the narrower concepts that came or went with it are
    named in the row ("Klimatanpassning (Skyfall, Dagvatten)"). `from_paragraph`/`to_paragraph` and
    the evidence are the first passage on the side that names it; `from_passages`/`to_passages`
    list them all."""
    hierarchy = Hierarchy(
        (str(r["concept"]), str(r["label"]), str(r.get("label_en") or r["label"]), r.get("broader"), bool(r["top"]))
        for r in _rows(source, HIERARCHY_QUERY)
    )
    values = " ".join(f"<{DOCUMENT}{doc}>" for doc in (old, new))
    under: dict[str, dict[str, dict[str, str]]] = {old: defaultdict(dict), new: defaultdict(dict)}
    for r in _rows(source, EDITION_TAGS_QUERY % values, trusted=_safe((old, new))):
        doc = str(r["doc"]).removeprefix(DOCUMENT)
        pid = str(r["paragraph"]).removeprefix(PARAGRAPH)
        for concept in hierarchy.up.get(str(r["concept"]), ()):
            under[doc][concept][pid] = str(r["text"])
    rows: list[dict[str, Any]] = []
    for change, gone, came, side in (("removed", new, old, "from"), ("added", old, new, "to")):
        changed = [c for c in hierarchy.order if c in under[came] and c not in under[gone]]
        for concept in changed:
            node = hierarchy[concept]
            if node.broader in changed:
                continue  # shown with its broader concept
            narrower = [hierarchy[c].label for c in changed if c != concept and concept in hierarchy.up[c]]
            passages = sorted(under[came][concept], key=_pid_order)
            first = passages[0]
            item = node.label + (f" ({', '.join(narrower)})" if narrower else "")
            count = f"{len(passages)} stycke{'n' if len(passages) != 1 else ''}"
            other = "to" if side == "from" else "from"
            rows.append(
                {
                    "change": change,
                    "category": "concept",
                    "item": item,
                    side: count,
                    other: None,
                    f"{side}_paragraph": first,
                    f"{side}_evidence": under[came][concept][first],
                    f"{other}_paragraph": None,
                    f"{other}_evidence": None,
                    f"{side}_passages": passages,
                    f"{other}_passages": [],
                }
            )
    return rows


def _pid_order(pid: str) -> tuple[str, int]:
    doc, _, ordinal = pid.rpartition("/")
    return doc, int(ordinal) if ordinal.isdigit() else 0
