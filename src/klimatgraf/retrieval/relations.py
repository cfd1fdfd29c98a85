"""Questions the graph can answer, answered from the graph (issue 26).

A question is read for the facts the knowledge graph holds — twins and pioneers, parties and
agencies, adopted commitments, targets by kind, scope and year, emission figures, organisations by
name or kind, steering documents, the documents and their editions — by templates over the
ontology (`relation_parts`), their slots filled from the graph's own names (municipalities,
agencies, organisations, commitments, counties) and Swedish numbers and years. No model is
involved. The parts a question names are joined into one SPARQL query (negated ones as FILTER NOT
EXISTS: "åtagande 8 men inte 6", "saknar Naturvårdsverket"), run on the build's graph and shown to
the reader; each row of the answer carries its evidence paragraph through `prov:wasDerivedFrom`.

A question that matches a template's cue but not its slot (a commitment numbered 12) is an
InputError with one clear line, never a guess; one whose named entity the graph does not hold
("tvilling till Umeå", "Boverket som part") is asked as it is and answered with nobody. A question
that matches no template is not a relation question (`read_relation` returns None) and goes to the
concept path and then to similarity.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import relation_goals as goals_of
from . import relation_parts as parts_of
from .relation_parts import EXONYMS, YEAR, GraphNames, Part, escape, fold, has, named

PREFIXES = """PREFIX kg: <https://w3id.org/klimatgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX qudt: <http://qudt.org/schema/qudt/>
"""
LATEST = "?doc kg:latestEdition true ."


@dataclass(frozen=True)
class RelationQuery:
    """A question read for a relation: which, in words, and the one SPARQL query that answers it."""

    relation: str
    description: str
    sparql: str
    entity: str = "municipality"  # what the answer lists: municipality, pioneer, agency, party
    rank: str = ""  # "max", "decrease" (the first row by ?value), "fell" (every fall)

    def to_dict(self) -> dict[str, Any]:
        return {"relation": self.relation, "description": self.description, "sparql": self.sparql}


def graph_names(select: Callable[[str], list[dict[str, Any]]], gazetteer: Any = None) -> GraphNames:
    """Read the graph's municipalities, roles, parties, organisations, commitments and counties; the
    gazetteer (every Swedish municipality) adds the names a question may use that the graph lacks."""
    towns = select(
        PREFIXES
        + "SELECT DISTINCT ?m ?name ?county WHERE { ?m a kg:Municipality ; skos:prefLabel ?name . OPTIONAL { ?m kg:countyName ?county } }"
    )
    with_docs = select(PREFIXES + "SELECT DISTINCT ?name WHERE { ?doc kg:municipality/skos:prefLabel ?name }")
    pairs = select(
        PREFIXES + "SELECT DISTINCT ?t ?p WHERE { ?tm kg:twinOf ?pm . ?tm skos:prefLabel ?t . ?pm skos:prefLabel ?p }"
    )
    parties = select(
        PREFIXES
        + "SELECT DISTINCT ?name ?agency WHERE { ?a skos:prefLabel ?name . { ?a a kg:Agency BIND(true AS ?agency) } UNION { ?a a kg:Programme BIND(false AS ?agency) } }"
    )
    organisations = select(
        PREFIXES + "SELECT DISTINCT ?name WHERE { ?f a kg:OrganisationMention ; kg:organisation/rdfs:label ?name }"
    )
    commitments = select(
        PREFIXES
        + "SELECT DISTINCT ?n ?label WHERE { ?c skos:inScheme <https://w3id.org/klimatgraf/id/commitments> ; skos:notation ?n ; skos:prefLabel ?label }"
    )
    everyone = [str(r["name"]) for r in towns] + (
        [m.name for m in gazetteer.municipalities] if gazetteer is not None else []
    )
    municipal: dict[str, str] = {}
    for name in everyone:
        for form in (name, name + "s", name + " kommun", name + "s kommun", name + " stad", name + "s stad"):
            municipal.setdefault(fold(form), name)
    for english, name in EXONYMS.items():
        municipal.setdefault(english, name)
        municipal.setdefault(english + "'s", name)
    party: dict[str, str] = {}
    agencies = set()
    for row in parties:
        name = str(row["name"])
        if str(row["agency"]).casefold() == "true":
            agencies.add(name)
        party[fold(name)] = name
        short = re.search(r"\(([^)]+)\)", name)  # "Statens energimyndighet (Energimyndigheten)"
        if short:
            party[fold(short.group(1))] = name
        party.setdefault(fold(re.sub(r"\s*\([^)]*\)", "", name)), name)
    counties: dict[str, str] = {}
    for row in towns:
        if row.get("county") is not None:
            county = str(row["county"])
            counties[fold(county)] = county
            counties[fold(re.sub(r"s? län$", "", county)) + "s län"] = county
            counties.setdefault(fold(re.sub(r" län$", "", county)), county)  # "Dalarnas eller Värmlands län"
    return GraphNames(
        municipalities=municipal,
        iris={str(r["name"]): str(r["m"]) for r in towns},
        twins={str(r["t"]) for r in pairs},
        pioneers={str(r["p"]) for r in pairs},
        parties=party,
        agencies=agencies,
        organisations=_with_short_names(str(r["name"]) for r in organisations),
        commitments={int(str(r["n"])): str(r["label"]) for r in commitments},
        counties=counties,
        documents={str(r["name"]) for r in with_docs},
    )  # fmt: skip


def _with_short_names(labels: Any) -> dict[str, str]:
    """Labels by their folded form, and by the short name in brackets ("Upphandlingscenter (UHC)")."""
    out: dict[str, str] = {}
    for label in labels:
        out[fold(label)] = label
        short = re.search(r"\(([^)]+)\)", label)
        if short:
            out.setdefault(fold(short.group(1)), label)
    return out


def read_relation(question: str, names: GraphNames) -> RelationQuery | None:
    """The relation a question asks for, or None when it asks for none (a topic question)."""
    q = " ".join(question.split())
    towns = [name for _, name in named(q, names.municipalities, names.common)]
    entity = _entities(q, towns, names)
    if entity is not None:
        return entity
    years = [int(y) for y in re.findall(YEAR, q)]
    document_parts, used = parts_of.documents(q, years, names)
    years = [y for y in years if y not in used]
    found = [
        *parts_of.twins(q, towns, names),
        *parts_of.commitments(q, names),
        *parts_of.commitment_counts(q),
        *parts_of.parties(q, names),
        *goals_of.targets(q, years),
        *(goals_of.emissions(q, years) if not parts_of.has(q, goals_of.GOAL) else []),
        *parts_of.organisations(q, names),
        *parts_of.steering(q, years),
    ]
    if not found and not document_parts:
        return None
    found += document_parts
    pioneer_named = {t for t in towns if any(t in p.said for p in found if "tvilling till" in p.said)}
    among = [t for t in towns if t not in pioneer_named and t in names.documents]
    return _municipalities(found, among, names)


def _entities(q: str, towns: list[str], names: GraphNames) -> RelationQuery | None:
    """Questions whose answer is not the municipalities with a contract: pioneers, agencies, parties."""
    asks = re.search(r"\b(?:vilk(?:en|et|a)|which|what|who)\s+(?:\w+\s+){0,2}?(pionjär\w*|pioneer\w*|myndighet\w*|agenc\w*|part(?:er|erna)?|parties)\b", q, re.IGNORECASE)  # fmt: skip
    twin_of = [t for t in towns if t in names.twins]
    as_pioneer = bool(twin_of) and has(q, rf"{re.escape(twin_of[0])}\w*\s+(?:som|as)\s+pionjär") if twin_of else False
    if (
        twin_of
        and not as_pioneer
        and has(q, r"pionjär|pioneer|tvilling till|twin (?:of|to)|lär (?:sig )?av|learns? from")
    ):
        where = f"?f a kg:TwinRelation ; kg:twin {names.iri(twin_of[0])} ; kg:pioneer ?e ; kg:statedIn ?doc . {LATEST}"
        return _entity("pioneer", f"{twin_of[0]}s pionjärkommun", where, "?f")
    if asks and asks.group(1).casefold().startswith(("pionjär", "pioneer")):
        where = f"?f a kg:TwinRelation ; kg:pioneer ?e ; kg:statedIn ?doc . {LATEST}"
        said = "pionjärkommunerna"
        if has(q, r"eget kontrakt|egna kontrakt|own contract|bland dokumenten|har ett kontrakt|also have"):
            where += " ?ownd kg:municipality ?e ."
            said += " som själva har ett kontrakt"
        return _entity("pioneer", said, where, "?f")
    if (
        asks
        and asks.group(1).casefold().startswith(("myndighet", "agenc"))
        and not has(q, r"\b(?:två|tre|fyra|fem|sex|\d)\s+myndighet")
    ):
        where = f"?doc kg:municipality ?m ; kg:hasParty ?e . {LATEST} ?e a kg:Agency ."
        if towns:
            where += " FILTER(?m IN (" + ", ".join(names.iri(t) for t in towns) + "))"
        return _entity(
            "agency", "myndigheterna som är parter" + (f" i {', '.join(towns)}s kontrakt" if towns else ""), where, ""
        )
    if asks and asks.group(1).casefold().startswith("part") and towns:
        where = (
            f"?doc kg:municipality ?m ; kg:hasParty ?e . {LATEST} FILTER(?m IN ("
            + ", ".join(names.iri(t) for t in towns)
            + "))"
        )
        return _entity("party", f"parterna i {', '.join(towns)}s kontrakt", where, "")
    return None


def _entity(relation: str, description: str, where: str, fact: str) -> RelationQuery:
    evidence = (f"OPTIONAL {{ {fact} prov:wasDerivedFrom ?paragraph . ?paragraph kg:text ?text "
                "OPTIONAL { ?paragraph kg:section ?section } }") if fact else ""  # fmt: skip
    sparql = (
        PREFIXES
        + "SELECT DISTINCT ?answer ?code ?paragraph ?text ?section WHERE {\n"
        + f"  {where}\n  ?e skos:prefLabel ?label . OPTIONAL {{ ?e dcterms:identifier ?code }}\n  {evidence}\n"
        + "  BIND(STR(?label) AS ?answer)\n}\nORDER BY ?answer ?paragraph\n"
    )
    return RelationQuery(relation, description, _tidy(sparql), entity=relation)


def _municipalities(found: list[Part], among: list[str], names: GraphNames) -> RelationQuery:
    """One query for every part: the municipalities whose (latest) document meets them all."""
    lines = ["?doc kg:municipality ?t ."]
    if all(p.latest for p in found):
        lines.append(LATEST)
    facts = []
    for n, part in enumerate(found, start=1):
        pattern = part.pattern.replace("{n}", str(n))
        lines.append(f"FILTER NOT EXISTS {{ {pattern} }}" if part.negated else pattern)
        if part.fact and not part.negated:
            facts.append(part.fact.replace("{n}", str(n)))
    if among:
        lines.append("FILTER(?t IN (" + ", ".join(names.iri(t) for t in among) + "))")
    rank = next((p.rank for p in found if p.rank), "")
    evidence = (f"OPTIONAL {{ {facts[0]} prov:wasDerivedFrom ?paragraph . ?paragraph kg:text ?text "
                "OPTIONAL { ?paragraph kg:section ?section } }") if facts else ""  # fmt: skip
    value = " ?value ?year" if rank else ""
    body = "\n  ".join(lines)
    sparql = (
        PREFIXES
        + f"SELECT DISTINCT ?answer ?code ?paragraph ?text ?section{value} WHERE {{\n  {body}\n"
        + "  ?t skos:prefLabel ?label . OPTIONAL { ?t dcterms:identifier ?code }\n"
        + f"  {evidence}\n  BIND(STR(?label) AS ?answer)\n}}\nORDER BY ?answer ?paragraph\n"
    )
    relation = _relation_of(found)
    description = "kommuner " + ", ".join(p.said for p in found)
    if among:
        description += " bland " + ", ".join(among)
    return RelationQuery(relation, description, _tidy(sparql), rank=rank)


def _relation_of(found: list[Part]) -> str:
    """The relation a query is about, named by its first part's pattern."""
    pattern = next((p.pattern for p in found if not p.negated), found[0].pattern)
    for key, relation in (("TwinRelation", "twin"), ("CommitmentAdoption", "commitment"), ("hasParty", "party"),
                          ("ClimateTarget", "target"), ("ClimateAmbition", "target"), ("EmissionFigure", "emission"),
                          ("OrganisationMention", "organisation"), ("SteeringDocument", "steering-document")):  # fmt: skip
        if key in pattern:
            return relation
    return "edition"


def _tidy(sparql: str) -> str:
    return "\n".join(line.rstrip() for line in sparql.splitlines() if line.strip()) + "\n"


__all__ = ["PREFIXES", "GraphNames", "RelationQuery", "escape", "graph_names", "read_relation"]
