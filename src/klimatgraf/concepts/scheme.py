"""The concept vocabulary (a SKOS scheme in Turtle) read into plain records, with its faults found.

`ontology/concepts.ttl` is data: the code never lists a concept. Reading it checks what the matcher
and the who-answers rely on, so that a broken vocabulary stops a build with one line naming the file
and the fault, before anything is written: Turtle that does not parse, a concept without one Swedish
and one English preferred label, two concepts with the same Swedish label (preferred or alternative,
compared case-folded: a word must lead to one concept), a `skos:broader` cycle, and a concept that
no top concept reaches. The SHACL shape `shapes/concepts.ttl` states the same rules for
`klimatgraf validate` and for any other SHACL engine.

rdflib is needed only here, at build time; a search reads the compiled form (`Scheme.to_dict`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..resources import resource_path

KG_NS = "https://w3id.org/klimatgraf/ontology#"
CONCEPT_NS = "https://w3id.org/klimatgraf/id/concept/"
SCHEME_IRI = "https://w3id.org/klimatgraf/id/concepts"
FILE_NAME = "concepts.ttl"


def default_vocabulary() -> Path:
    """The vocabulary shipped with the package (ontology/concepts.ttl in the checkout)."""
    return resource_path("ontology", FILE_NAME)


def vocabulary_path(data_dir: Path | None) -> Path:
    """A data directory's own `concepts.ttl` when it has one (a team may extend the vocabulary), else
    the shipped one."""
    if data_dir is not None and (Path(data_dir) / FILE_NAME).is_file():
        return Path(data_dir) / FILE_NAME
    return default_vocabulary()


@dataclass(frozen=True)
class Concept:
    """One concept: its labels by role, its definition and its links (IRIs)."""

    iri: str
    pref_sv: str
    pref_en: str
    definition: str = ""
    alt_sv: tuple[str, ...] = ()
    alt_en: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()  # forms typed without å, ä and ö
    negative: tuple[str, ...] = ()  # words that look like the concept but are not it (kg:negativeLabel)
    broader: tuple[str, ...] = ()
    narrower: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    top: bool = False
    matches: tuple[str, ...] = ()  # skos:exactMatch / skos:closeMatch (GEMET, EuroVoc)

    @property
    def slug(self) -> str:
        return self.iri.removeprefix(CONCEPT_NS)

    def labels(self) -> Iterator[tuple[str, str, str]]:
        """(text, role, language) of every label that names the concept (not the negative ones)."""
        yield self.pref_sv, "pref", "sv"
        yield self.pref_en, "pref", "en"
        for text in self.alt_sv:
            yield text, "alt", "sv"
        for text in self.alt_en:
            yield text, "alt", "en"
        for text in self.hidden:
            yield text, "hidden", "sv"


@dataclass(frozen=True)
class Scheme:
    """The whole vocabulary, concepts in file order (top concepts first where the file has them so)."""

    iri: str
    title: str
    version: str
    digest: str  # sha256 of the file's bytes: a build re-tags when it changes
    source: str
    concepts: tuple[Concept, ...]
    _by_iri: dict[str, Concept] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_iri.update((c.iri, c) for c in self.concepts)

    def __getitem__(self, iri: str) -> Concept:
        return self._by_iri[iri]

    def __contains__(self, iri: object) -> bool:
        return iri in self._by_iri

    @property
    def top(self) -> tuple[Concept, ...]:
        return tuple(c for c in self.concepts if c.top)

    def ancestors(self, iri: str) -> list[str]:
        """Every broader concept, nearest first (the scheme is acyclic: checked on reading)."""
        out: list[str] = []
        frontier = list(self[iri].broader)
        while frontier:
            nxt = frontier.pop(0)
            if nxt not in out:
                out.append(nxt)
                frontier.extend(self[nxt].broader)
        return out

    def descendants(self, iri: str) -> list[str]:
        """Every narrower concept, breadth first."""
        out: list[str] = []
        frontier = list(self[iri].narrower)
        while frontier:
            nxt = frontier.pop(0)
            if nxt not in out:
                out.append(nxt)
                frontier.extend(self[nxt].narrower)
        return out

    def top_of(self, iri: str) -> str:
        """The top concept above (or at) a concept."""
        chain = [iri, *self.ancestors(iri)]
        tops = [c for c in chain if self[c].top]
        return tops[0] if tops else chain[-1]

    def depth(self, iri: str) -> int:
        """1 for a top concept, 2 below it, and so on (the longest way up)."""
        broader = self[iri].broader
        return 1 if not broader else 1 + max(self.depth(b) for b in broader)

    def to_dict(self) -> dict[str, Any]:
        return {
            "iri": self.iri,
            "title": self.title,
            "version": self.version,
            "digest": self.digest,
            "source": self.source,
            "concepts": [asdict(c) for c in self.concepts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scheme:
        def concept(fields: dict[str, Any]) -> Concept:
            values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
            return Concept(**values)

        concepts = tuple(concept(c) for c in data["concepts"])
        return cls(data["iri"], data["title"], data["version"], data["digest"], data["source"], concepts)


def read_scheme(path: Path | None = None) -> Scheme:
    """Parse and check a vocabulary file; any fault is an InputError naming the file."""
    return load_vocabulary(path)[0]


def load_vocabulary(path: Path | None = None) -> tuple[Scheme, Any]:
    """The checked scheme and the rdflib Graph it was read from (the build adds it to the graph)."""
    path = Path(path) if path is not None else default_vocabulary()
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read the concept vocabulary {path}: {err.strerror or err}") from None
    graph, concepts, scheme_iri, title, version = _parse(raw, path)
    scheme = Scheme(
        iri=scheme_iri,
        title=title,
        version=version,
        digest=hashlib.sha256(raw).hexdigest(),
        source=str(path),
        concepts=tuple(concepts),
    )
    for fault in faults(scheme):
        raise InputError(f"{path}: {fault}; fix the vocabulary (the last good build is untouched)")
    return scheme, graph


def _parse(raw: bytes, path: Path) -> tuple[Any, list[Concept], str, str, str]:
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

    graph = Graph()
    try:
        graph.parse(data=raw.decode("utf-8"), format="turtle")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the vocabulary as UTF-8 Turtle") from None
    except Exception as err:  # rdflib raises several unrelated types for bad Turtle
        first = " ".join(str(err).split())[:200]
        raise InputError(f"{path}: not valid Turtle ({first})") from None
    schemes = sorted(str(s) for s in graph.subjects(RDF.type, SKOS.ConceptScheme))
    if len(schemes) != 1:
        raise InputError(f"{path}: holds {len(schemes)} skos:ConceptScheme, expected exactly one")
    scheme = URIRef(schemes[0])
    negative = URIRef(KG_NS + "negativeLabel")

    def texts(node: URIRef, prop: URIRef, lang: str | None = None) -> tuple[str, ...]:
        values = [o for o in graph.objects(node, prop) if isinstance(o, Literal)]
        return tuple(sorted(str(o) for o in values if lang is None or o.language == lang))

    def iris(node: URIRef, prop: URIRef) -> tuple[str, ...]:
        return tuple(sorted(str(o) for o in graph.objects(node, prop) if isinstance(o, URIRef)))

    tops = set(iris(scheme, SKOS.hasTopConcept)) | {str(s) for s in graph.subjects(SKOS.topConceptOf, scheme)}
    order = _file_order(raw, {str(s) for s in graph.subjects(RDF.type, SKOS.Concept)})
    concepts: list[Concept] = []
    for iri in order:
        node = URIRef(iri)
        pref_sv, pref_en = texts(node, SKOS.prefLabel, "sv"), texts(node, SKOS.prefLabel, "en")
        if len(pref_sv) != 1 or len(pref_en) != 1:
            raise InputError(
                f"{path}: {iri} has {len(pref_sv)} Swedish and {len(pref_en)} English skos:prefLabel, "
                "expected one of each"
            )
        broader = set(iris(node, SKOS.broader)) | {str(s) for s in graph.subjects(SKOS.narrower, node)}
        narrower = set(iris(node, SKOS.narrower)) | {str(s) for s in graph.subjects(SKOS.broader, node)}
        related = set(iris(node, SKOS.related)) | {str(s) for s in graph.subjects(SKOS.related, node)}
        concepts.append(
            Concept(
                iri=iri,
                pref_sv=pref_sv[0],
                pref_en=pref_en[0],
                definition=" ".join(texts(node, SKOS.definition, "sv")),
                alt_sv=texts(node, SKOS.altLabel, "sv"),
                alt_en=texts(node, SKOS.altLabel, "en"),
                hidden=texts(node, SKOS.hiddenLabel),
                negative=texts(node, negative),
                broader=tuple(sorted(broader)),
                narrower=tuple(sorted(narrower)),
                related=tuple(sorted(related - {iri})),
                top=iri in tops,
                matches=tuple(sorted(set(iris(node, SKOS.exactMatch)) | set(iris(node, SKOS.closeMatch)))),
            )
        )
    title = texts(scheme, DCTERMS.title, "sv") or texts(scheme, DCTERMS.title)
    version = texts(scheme, OWL.versionInfo)
    return graph, concepts, str(scheme), title[0] if title else "", version[0] if version else ""


def _file_order(raw: bytes, iris: set[str]) -> list[str]:
    """The concepts in the order the file first names them as subjects (a stable, readable order)."""
    text = raw.decode("utf-8")
    positions = {}
    for iri in iris:
        slug = iri.removeprefix(CONCEPT_NS)
        spots = [p for p in (text.find(f"\nkgc:{slug} "), text.find(f"\n<{iri}> ")) if p >= 0]
        positions[iri] = min(spots) if spots else len(text)
    return sorted(iris, key=lambda i: (positions[i], i))


def faults(scheme: Scheme) -> Iterable[str]:
    """What breaks the rules the matcher relies on, one line each (the first is reported)."""
    known = {c.iri for c in scheme.concepts}
    if not scheme.concepts:
        yield "holds no skos:Concept"
    owner: dict[str, str] = {}
    for concept in scheme.concepts:
        for text, role, lang in concept.labels():
            if lang != "sv" or role == "hidden":
                continue
            key = " ".join(text.casefold().split())
            other = owner.setdefault(key, concept.iri)
            if other != concept.iri:
                yield f"the Swedish label {text!r} names both {other} and {concept.iri}"
        for link in (*concept.broader, *concept.narrower, *concept.related):
            if link not in known:
                yield f"{concept.iri} links to {link}, which is no concept of the scheme"
    yield from _cycles(scheme)
    if not scheme.top:
        yield "has no top concept (skos:hasTopConcept / skos:topConceptOf)"
    reached = set()
    for top in scheme.top:
        reached.add(top.iri)
        reached.update(scheme.descendants(top.iri))
    for concept in scheme.concepts:
        if concept.iri not in reached:
            yield f"{concept.iri} is reached from no top concept through skos:narrower/skos:broader"


def _cycles(scheme: Scheme) -> Iterator[str]:
    """A `skos:broader` cycle, named by the concepts on it."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(iri: str, path: list[str]) -> list[str] | None:
        state[iri] = 1
        for up in scheme[iri].broader:
            if up not in scheme:
                continue
            if state.get(up) == 1:
                return [*path[path.index(up) :], up] if up in path else [iri, up]
            if up not in state:
                found = visit(up, [*path, up])
                if found:
                    return found
        state[iri] = 2
        return None

    for concept in scheme.concepts:
        if concept.iri not in state:
            cycle = visit(concept.iri, [concept.iri])
            if cycle:
                yield "skos:broader has a cycle: " + " → ".join(c.removeprefix(CONCEPT_NS) for c in cycle)
                return


def concept_texts(scheme: Scheme) -> list[str]:
    """What each concept's e5 vector is made from (one short text a concept, in scheme order): its
    Swedish label, its definition and a few of its Swedish alternative labels. A question that names
    no label is compared with these (`retrieval.concepts.ConceptIndex.nearest`)."""
    return [
        f"{c.pref_sv}: {c.definition} ({', '.join(c.alt_sv[:8])})" if c.alt_sv else f"{c.pref_sv}: {c.definition}"
        for c in scheme.concepts
    ]
