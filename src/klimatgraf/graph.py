"""Facts and paragraphs → an rdflib Graph in the klimatgraf ontology.

Each extracted statement is an n-ary fact node (a kg:Fact subclass) with kg:statedIn its
document and prov:wasDerivedFrom its evidence paragraph, so every answer can be traced to
the text. Convenience "shortcut" triples (kg:twinOf, kg:adopts, kg:mentions,
kg:hasParty) are derived from the fact nodes for simple SPARQL. IRIs are stable: by
kommunkod, commitment number, document id + ordinal, and a content hash for fact nodes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, SKOS

from .corpus import latest_editions
from .models import Facts, Paragraph
from .namespaces import CPOV, ID, KG, QUANTITYKIND, QUDT, SCHEMA, UNIT
from .reference import Gazetteer
from .swedish import fold

if TYPE_CHECKING:
    from .concepts.tagger import Tag

DOC_TYPES = {
    "klimatkontrakt": ("Klimatkontrakt", "Climate contract"),
    "avsiktsforklaring": ("Fördjupad avsiktsförklaring", "Intent declaration"),
}
SCOPES = {
    "organisation": ("Organisationen", "Organisation"),
    "geographic": ("Geografiskt område", "Geographic area"),
    "consumption": ("Konsumtion", "Consumption"),
    "town": ("Tätorten", "Town"),
}
KINDS = {
    "neutrality": ("Klimatneutralitet", "Neutrality"),
    "net_zero": ("Nettonollutsläpp", "Net-zero emissions"),
    "positive": ("Klimatpositiv", "Climate positive (net negative)"),
    "reduction": ("Minskning mot basår", "Reduction against a base year"),
    "annual_reduction": ("Årlig minskning", "Annual reduction rate"),
    "cap": ("Utsläppstak", "Absolute cap"),
    "relative_cap": ("Utsläppstak mot basår", "Cap relative to a base year"),
    "per_person_cap": ("Utsläpp per person", "Per-person cap"),
}
MODALITIES = {
    "target": ("Mål", "Target", KG.ClimateTarget),
    "ambition": ("Ambition", "Ambition", KG.ClimateAmbition),
    "budget": ("Koldioxidbudget", "Carbon budget", KG.CarbonBudget),
}
# extracted unit → (QUDT unit, quantity kind). The units are QUDT's own; CO2 equivalence is the
# quantity kind (quantitykind:CO2Equivalent, in QUDT since 2024), "per person" and "per year" are
# kg quantity kinds because QUDT has none (docs/decisions.md, "QUDT units and quantity kinds").
UNITS: dict[str, tuple[URIRef, URIRef | None]] = {
    "percent": (UNIT.PERCENT, None),
    "percent/year": (UNIT.PERCENT, KG.AnnualReductionRate),
    "tCO2e": (UNIT.TONNE, QUANTITYKIND.CO2Equivalent),
    "tCO2e/person": (UNIT.TONNE, KG.CO2EquivalentPerCapita),
}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text, strip_accents=True)).strip("-") or "x"


def paragraph_iri(pid: str) -> URIRef:
    return ID[f"paragraph/{pid}"]


def municipality_iri(kommunkod: str) -> URIRef:
    return ID[f"kommun/{kommunkod}"]


def _fact_iri(kind: str, doc_id: str, *parts: object) -> URIRef:
    digest = hashlib.sha256("|".join(str(p) for p in (kind, doc_id, *parts)).encode()).hexdigest()[:12]
    return ID[f"fact/{doc_id}/{kind}-{digest}"]


def _bind(graph: Graph) -> None:
    for prefix, ns in (("kg", KG._NS), ("id", ID), ("cpov", CPOV._NS), ("qudt", QUDT._NS), ("unit", UNIT._NS),
                       ("quantitykind", QUANTITYKIND._NS), ("dcterms", DCTERMS), ("skos", SKOS), ("prov", PROV),
                       ("org", ORG), ("foaf", FOAF), ("schema", SCHEMA),
                       ("kgc", Namespace("https://w3id.org/klimatgraf/id/concept/"))):  # fmt: skip
        graph.bind(prefix, ns, override=True)


def _unit(graph: Graph, node: URIRef, unit: str) -> None:
    qudt_unit, kind = UNITS[unit]
    graph.add((node, QUDT.unit, qudt_unit))
    if kind is not None:
        graph.add((node, QUDT.hasQuantityKind, kind))


def _concept(graph: Graph, iri: URIRef, scheme: URIRef, sv: str, en: str | None = None) -> None:
    graph.add((iri, RDF.type, SKOS.Concept))
    graph.add((iri, SKOS.inScheme, scheme))
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.set((iri, SKOS.prefLabel, Literal(sv, lang="sv")))
    if en:
        graph.add((iri, SKOS.prefLabel, Literal(en, lang="en")))


def build_graph(
    facts: Sequence[Facts],
    paragraphs: Sequence[Paragraph],
    gazetteer: Gazetteer,
    vocabulary: Any = None,
    tags: Mapping[str, Sequence[Tag]] | None = None,
    headings: Mapping[str, Sequence[str]] | None = None,
) -> Graph:
    """The whole knowledge graph of a corpus (deterministic: same input, isomorphic graph).

    `vocabulary`: the concept scheme's rdflib Graph, loaded into this one; `tags`: the concept tags of
    each paragraph (by pid), each a `kg:ConceptTag` node (`_tags`); `headings`: the concepts (IRIs)
    each theme heading of the contracts names, by its text (`kg:ThemeHeading`)."""
    graph = Graph()
    _bind(graph)
    graph.add((URIRef("https://w3id.org/klimatgraf/id/"), OWL.imports, URIRef("https://w3id.org/klimatgraf/ontology")))
    codes: set[str] = set()
    for doc_facts in facts:
        codes.add(doc_facts.document.municipality.kommunkod)
        codes.update(t.twin for t in doc_facts.twins)
        codes.update(t.pioneer for t in doc_facts.twins)
        codes.update(doc_facts.mentioned_municipalities)
    for code in sorted(codes):
        _municipality(graph, gazetteer, code)
    for paragraph in paragraphs:
        _paragraph(graph, paragraph)
    labels = _commitment_labels(facts)
    latest = latest_editions(f.document for f in facts)
    for doc_facts in facts:
        _document(graph, doc_facts, labels, doc_facts.document.doc_id in latest, headings)
    if vocabulary is not None:
        for triple in vocabulary:
            graph.add(triple)
    if tags:
        _tags(graph, paragraphs, tags)
    return graph


def _tags(graph: Graph, paragraphs: Sequence[Paragraph], tags: Mapping[str, Sequence[Tag]]) -> None:
    """One `kg:ConceptTag` per paragraph and concept: the concept, the paragraph it was derived from,
    the classifier (a PROV software agent with its version), the tier, the first span and its words,
    and the score (the search index keeps every span)."""
    classifiers: set[str] = set()
    for p in paragraphs:
        for tag in tags.get(p.pid, ()):
            classifier = ID[f"classifier/{tag.classifier}"]
            classifiers.add(tag.classifier)
            concept = URIRef(tag.concept)
            node = ID[f"tag/{p.pid}/{tag.concept.rsplit('/', 1)[-1]}"]
            graph.add((node, RDF.type, KG.ConceptTag))
            graph.add((node, KG.concept, concept))
            graph.add((node, PROV.wasDerivedFrom, paragraph_iri(p.pid)))
            graph.add((node, PROV.wasAttributedTo, classifier))
            graph.add((node, KG.tier, Literal(tag.tier, datatype=XSD.integer)))
            graph.add((node, KG.spanStart, Literal(tag.start, datatype=XSD.integer)))
            graph.add((node, KG.spanEnd, Literal(tag.end, datatype=XSD.integer)))
            graph.add((node, KG.score, Literal(_decimal(tag.score), datatype=XSD.decimal)))
            graph.add((node, KG.matchedText, Literal(p.text[tag.start : tag.end])))
    for version in sorted(classifiers):
        node = ID[f"classifier/{version}"]
        graph.add((node, RDF.type, KG.Classifier))
        graph.add((node, RDF.type, PROV.SoftwareAgent))
        graph.add((node, RDFS.label, Literal(f"klimatgraf concept tagger {version}")))
        graph.add((node, OWL.versionInfo, Literal(version)))


def _municipality(graph: Graph, gazetteer: Gazetteer, code: str) -> None:
    m = gazetteer.by_code[code]
    iri = municipality_iri(code)
    graph.add((iri, RDF.type, KG.Municipality))
    # the standard types stated in the data too, so `?x a org:Organization` finds municipalities in any
    # store (after `push`) without the ontology or a reasoner beside the data
    graph.add((iri, RDF.type, ORG.Organization))
    graph.add((iri, RDF.type, CPOV.PublicOrganisation))
    graph.add((iri, DCTERMS.identifier, Literal(m.kommunkod)))
    graph.add((iri, SKOS.prefLabel, Literal(m.name, lang="sv")))
    graph.add((iri, RDFS.label, Literal(m.name, lang="sv")))
    graph.add((iri, KG.countyCode, Literal(m.lanskod)))
    graph.add((iri, KG.countyName, Literal(m.lan, lang="sv")))


def _paragraph(graph: Graph, p: Paragraph) -> None:
    iri, doc = paragraph_iri(p.pid), ID[f"document/{p.doc_id}"]
    graph.add((iri, RDF.type, KG.Paragraph))
    graph.add((iri, DCTERMS.isPartOf, doc))
    graph.add((iri, PROV.wasDerivedFrom, doc))
    graph.add((iri, KG.ordinal, Literal(p.ordinal, datatype=XSD.integer)))
    graph.add((iri, KG.text, Literal(p.text, lang="sv")))
    graph.add((iri, KG.boilerplate, Literal(p.boilerplate, datatype=XSD.boolean)))
    if p.section:
        graph.add((iri, KG.section, Literal(p.section_path)))
    if p.page is not None:
        graph.add((iri, KG.page, Literal(p.page, datatype=XSD.integer)))


def _commitment_labels(facts: Sequence[Facts]) -> dict[int, str]:
    """The shortest label seen for each commitment number: the most canonical wording."""
    labels: dict[int, str] = {}
    for doc_facts in facts:
        for c in doc_facts.commitments:
            if c.number not in labels or len(c.label) < len(labels[c.number]):
                labels[c.number] = c.label
    return labels


def _document(
    graph: Graph,
    f: Facts,
    labels: dict[int, str],
    latest: bool = True,
    headings: Mapping[str, Sequence[str]] | None = None,
) -> None:
    d = f.document
    doc, town = ID[f"document/{d.doc_id}"], municipality_iri(d.municipality.kommunkod)
    graph.add((doc, RDF.type, KG.ClimateContract if d.doc_type == "klimatkontrakt" else KG.IntentDeclaration))
    doc_type = ID[f"document-type/{d.doc_type}"]
    _concept(graph, doc_type, ID["document-types"], *DOC_TYPES[d.doc_type])
    graph.add((doc_type, SKOS.notation, Literal(d.doc_type)))
    graph.add((doc, DCTERMS.type, doc_type))
    graph.add((doc, KG.municipality, town))
    graph.add((doc, DCTERMS.title, Literal(d.title, lang="sv")))
    graph.add((doc, KG.sha256, Literal(d.sha256)))
    graph.add((doc, KG.fileName, Literal(d.file_name)))
    if d.version:
        graph.add((doc, KG.version, Literal(d.version)))
    if d.signed:
        graph.add((doc, DCTERMS.issued, Literal(d.signed.isoformat(), datatype=XSD.date)))
    if d.edition_year is not None:
        graph.add((doc, KG.editionYear, Literal(d.edition_year, datatype=XSD.integer)))
    graph.add((doc, KG.latestEdition, Literal(latest, datatype=XSD.boolean)))

    def fact(kind: str, cls: URIRef, evidence: str, *key: object) -> URIRef:
        node = _fact_iri(kind, d.doc_id, *key)
        graph.add((node, RDF.type, cls))
        graph.add((node, KG.statedIn, doc))
        graph.add((node, KG.aboutMunicipality, town))
        graph.add((node, PROV.wasDerivedFrom, paragraph_iri(evidence)))
        return node

    for party in f.parties:
        if party.kind == "municipality":
            org = town
        else:
            org = ID[f"{'agency' if party.kind == 'agency' else 'programme'}/{slug(party.name)}"]
            graph.add((org, RDF.type, KG.Agency if party.kind == "agency" else KG.Programme))
            graph.set((org, SKOS.prefLabel, Literal(party.name, lang="sv")))
            graph.set((org, RDFS.label, Literal(party.name, lang="sv")))
        node = fact("party", KG.PartyStatement, party.evidence, party.name)
        graph.add((node, KG.party, org))
        graph.add((doc, KG.hasParty, org))
    for twin in f.twins:
        node = fact("twin", KG.TwinRelation, twin.evidence, twin.twin, twin.pioneer)
        twin_iri, pioneer_iri = municipality_iri(twin.twin), municipality_iri(twin.pioneer)
        graph.add((node, KG.twin, twin_iri))
        graph.add((node, KG.pioneer, pioneer_iri))
        graph.add((twin_iri, KG.twinOf, pioneer_iri))
        graph.add((pioneer_iri, KG.pioneerOf, twin_iri))
    for c in f.commitments:
        concept = ID[f"commitment/{c.number}"]
        _concept(graph, concept, ID["commitments"], labels.get(c.number, c.label))
        graph.set((concept, SKOS.notation, Literal(c.number, datatype=XSD.integer)))
        node = fact("commitment", KG.CommitmentAdoption, c.evidence, c.number)
        graph.add((node, KG.commitment, concept))
        graph.add((node, RDFS.label, Literal(c.label, lang="sv")))
        graph.add((town, KG.adopts, concept))
    for t in f.targets:
        # a target's IRI is as before; an ambition, a budget and a range add what tells them apart
        extra = ((t.modality,) if t.modality != "target" else ()) + ((t.value_max,) if t.value_max is not None else ())
        key = (t.scope, t.kind, t.target_year, t.base_year, t.value, *extra)
        sv_modality, en_modality, cls = MODALITIES[t.modality]
        node = fact("target", KG.ClimateGoal, t.evidence, *key)
        graph.add((node, RDF.type, cls))
        scope, kind, modality = ID[f"scope/{t.scope}"], ID[f"target-kind/{t.kind}"], ID[f"modality/{t.modality}"]
        _concept(graph, scope, ID["scopes"], *SCOPES[t.scope])
        _concept(graph, kind, ID["target-kinds"], *KINDS[t.kind])
        _concept(graph, modality, ID["modalities"], sv_modality, en_modality)
        graph.add((node, KG.scope, scope))
        graph.add((node, KG.targetKind, kind))
        graph.add((node, KG.modality, modality))
        if t.value_max is not None:
            graph.add((node, KG.upperValue, Literal(_decimal(t.value_max), datatype=XSD.decimal)))
        if t.note:
            graph.add((node, KG.accountingNote, Literal(t.note, lang="sv")))
        graph.add((node, KG.targetYear, Literal(t.target_year, datatype=XSD.integer)))
        if t.base_year is not None:
            graph.add((node, KG.baseYear, Literal(t.base_year, datatype=XSD.integer)))
        if t.value is not None:
            graph.add((node, QUDT.numericValue, Literal(_decimal(t.value), datatype=XSD.decimal)))
            _unit(graph, node, t.unit or "percent")
    for e in f.emissions:
        node = fact("emission", KG.EmissionFigure, e.evidence, e.year, e.value, e.unit, e.description)
        if e.year is not None:
            graph.add((node, KG.year, Literal(e.year, datatype=XSD.integer)))
        graph.add((node, QUDT.numericValue, Literal(_decimal(e.value), datatype=XSD.decimal)))
        _unit(graph, node, e.unit)
        graph.add((node, DCTERMS.description, Literal(e.description, lang="sv")))
    for theme in f.themes:
        # the heading as the contract writes it, and the vocabulary's concepts it names (none: kept as written);
        # what a municipality works on is read from the tags of its own text, not from these (issue 23)
        node = fact("theme", KG.ThemeHeading, theme.evidence, slug(theme.label))
        graph.add((node, RDFS.label, Literal(theme.label, lang="sv")))
        for named in (headings or {}).get(theme.label, ()):
            graph.add((node, KG.namesConcept, URIRef(named)))
    for o in f.organisations:
        org = ID[f"organisation/{slug(o.name)}"]
        graph.add((org, RDF.type, ORG.Organization))
        graph.set((org, RDFS.label, Literal(o.name)))
        graph.set((org, SKOS.prefLabel, Literal(o.name)))
        graph.set((org, KG.organisationKind, Literal(o.kind)))
        node = fact("organisation", KG.OrganisationMention, o.evidence, slug(o.name))
        graph.add((node, KG.organisation, org))
        graph.add((town, KG.mentions, org))
    for s in f.steering_documents:
        node = fact("steering", KG.SteeringDocument, s.evidence, s.title, s.year, s.url)
        graph.add((node, RDF.type, FOAF.Document))
        graph.add((node, DCTERMS.title, Literal(s.title, lang="sv")))
        if s.year is not None:
            graph.add((node, KG.year, Literal(s.year, datatype=XSD.integer)))
        if s.url:
            graph.add((node, FOAF.page, URIRef(quote(s.url, safe=IRI_SAFE))))


# What may stand unescaped in an IRI (RFC 3987 reserved + unreserved, and '%' of escapes already made);
# a space, quote or angle bracket in an extracted URL is percent-encoded, so foaf:page is always an IRI.
IRI_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def _decimal(value: float) -> str:
    """Canonical xsd:decimal lexical form ("1200000.0", "2.841"), stable through Turtle round trips."""
    text = f"{value:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
