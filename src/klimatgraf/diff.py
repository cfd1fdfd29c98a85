"""What changed between two editions of one municipality's contract, with evidence on both sides.

Read from the built graph with SPARQL (one small query per kind of fact), so the diff shows
exactly what the graph says. Facts are matched within a *group*: a commitment by number, a
target by kind and scope, an emission figure by year and unit, an organisation, theme heading,
party or steering document by name. Inside a group, equal values are unchanged; what is left on
both sides is paired in order as "changed" (a klimatpositiv target moved from 2050 to 2045);
what is left on one side only is "added" or "removed". Last come the concepts the own text
names in one edition and not the other (topics.concept_changes: "2023 names Klimatanpassning").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .editions import Edition, municipality_editions
from .errors import InputError
from .swedish import format_number
from .topics import concept_changes

if TYPE_CHECKING:
    from rdflib import Graph

    from .reference import Gazetteer
    from .sparql import Engine

PREFIXES = """
PREFIX kg: <https://w3id.org/klimatgraf/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX qudt: <http://qudt.org/schema/qudt/>
PREFIX unit: <http://qudt.org/vocab/unit/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
"""
# a value's unit as Swedish prose writes it: QUDT's unit, and the quantity kind where the unit alone does not say
UNIT = """BIND(COALESCE(STR(?q), "") AS ?kind) BIND(IF(?u = unit:TONNE,
        IF(?kind = STR(kg:CO2EquivalentPerCapita), "t/person", "t"), IF(?kind = STR(kg:AnnualReductionRate), "%/år", "%")) AS ?unit)"""
# one pattern per category; each binds ?group (what is matched), ?value (what is compared)
CATEGORIES: dict[str, str] = {
    "party": """?f a kg:PartyStatement ; kg:party/skos:prefLabel ?group . BIND("" AS ?value)""",
    "commitment": """?f a kg:CommitmentAdoption ; kg:commitment/skos:notation ?n ; rdfs:label ?label .
        BIND(STR(?n) AS ?group) BIND(?label AS ?shown) BIND("" AS ?value)""",
    # every goal (a target, an ambition or a budget), grouped by the words a reader knows, the kind's and the
    # scope's Swedish labels ("Klimatpositiv, geografiskt område"); an ambition or a budget says so in its value
    # ("2050 (ambition)"), so a goal that became a target is shown as changed
    "target": """?f a kg:ClimateGoal ; kg:targetKind ?k ; kg:scope ?s ; kg:targetYear ?y ; kg:modality ?mo .
        ?k skos:prefLabel ?kl . ?s skos:prefLabel ?sl . ?mo skos:prefLabel ?ml .
        FILTER(LANG(?kl) = "sv" && LANG(?sl) = "sv" && LANG(?ml) = "sv")
        OPTIONAL { ?f qudt:numericValue ?v } OPTIONAL { ?f qudt:unit ?u } OPTIONAL { ?f kg:baseYear ?b }
        OPTIONAL { ?f kg:upperValue ?vmax } OPTIONAL { ?f qudt:hasQuantityKind ?q } """
    + UNIT
    + """
        BIND(CONCAT(STR(?kl), ", ", LCASE(STR(?sl))) AS ?group)
        BIND(CONCAT(STR(?y), IF(BOUND(?v), CONCAT(" ", STR(?v), IF(BOUND(?vmax), CONCAT("–", STR(?vmax)), ""), " ", ?unit), ""),
                    IF(BOUND(?b), CONCAT(" (bas ", STR(?b), ")"), ""),
                    IF(STRENDS(STR(?mo), "/target"), "", CONCAT(" (", LCASE(STR(?ml)), ")"))) AS ?value)""",
    "emission": """?f a kg:EmissionFigure ; qudt:numericValue ?v ; qudt:unit ?u ; dcterms:description ?d .
        OPTIONAL { ?f kg:year ?y } OPTIONAL { ?f qudt:hasQuantityKind ?q } """
    + UNIT
    + """
        BIND(CONCAT(IF(BOUND(?y), STR(?y), "–"), " ", ?unit) AS ?group)
        BIND(STR(?v) AS ?value) BIND(STR(?d) AS ?shown)""",
    "organisation": """?f a kg:OrganisationMention ; kg:organisation ?o . ?o rdfs:label ?group ; kg:organisationKind ?value""",
    "theme": """?f a kg:ThemeHeading ; rdfs:label ?group . BIND("" AS ?value)""",
    "steering document": """?f a kg:SteeringDocument ; dcterms:title ?group .
        OPTIONAL { ?f kg:year ?y } OPTIONAL { ?f foaf:page ?url }
        BIND(CONCAT(IF(BOUND(?y), STR(?y), ""), IF(BOUND(?url), CONCAT(" ", STR(?url)), "")) AS ?value)""",
}
COLUMNS = ["change", "category", "item", "from", "to", "from_paragraph", "from_evidence", "to_paragraph", "to_evidence"]


@dataclass(frozen=True)
class Item:
    category: str
    group: str
    value: str
    shown: str
    paragraph: str
    evidence: str


@dataclass(frozen=True)
class Diff:
    municipality: str
    old: Edition
    new: Edition
    rows: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "from": self.old.to_dict(),
            "to": self.new.to_dict(),
            "changes": self.rows,
        }


def _run(source: Graph | Engine, text: str, *, trusted: bool) -> list[dict[str, Any]]:
    from rdflib import Graph as RdfGraph

    from .sparql import run

    result = run(source, text) if isinstance(source, RdfGraph) else source.run(text, trusted=trusted)
    return result.plain_rows()


def _items(source: Graph | Engine, doc_id: str) -> list[Item]:
    doc = f"<https://w3id.org/klimatgraf/id/document/{doc_id}>"
    # our own query text; the doc_id comes from the graph, so it is checked before the text is trusted
    trusted = re.fullmatch(r"[\w.-]+", doc_id) is not None
    found: list[Item] = []
    for category, pattern in CATEGORIES.items():
        text = (
            PREFIXES
            + "SELECT DISTINCT ?group ?value ?shown ?paragraph ?text WHERE {\n"
            + f"  ?f kg:statedIn {doc} ; prov:wasDerivedFrom ?p . ?p kg:text ?text .\n  {pattern}\n"
            + '  BIND(STRAFTER(STR(?p), "/paragraph/") AS ?paragraph)\n} ORDER BY ?group ?value ?paragraph'
        )
        seen: set[tuple[str, str]] = set()
        for r in _run(source, text, trusted=trusted):
            key = (str(r["group"]), str(r.get("value") or ""))
            if key in seen:
                continue  # one fact stated by several paragraphs: the first is its evidence
            seen.add(key)
            value = _pretty(category, key[1])
            shown = str(r.get("shown") or "")
            found.append(Item(category, key[0], value, shown, str(r["paragraph"]), str(r["text"])))
    return found


def _pretty(category: str, value: str) -> str:
    if category == "emission" and value:
        return f"{format_number(float(value))} t"
    if category == "target":
        # the value as Swedish prose writes it ("3", "2,5"), whatever lexical form the engine gives ("3.0")
        return re.sub(r"(?<=[ –])\d+(?:\.\d+)?(?=[ –])", lambda m: format_number(float(m.group(0))), value)
    return value


def compare_items(old: Sequence[Item], new: Sequence[Item]) -> list[dict[str, Any]]:
    """added / removed / changed rows, in category order, each with both sides' evidence."""
    groups: dict[tuple[str, str], tuple[list[Item], list[Item]]] = defaultdict(lambda: ([], []))
    for item in old:
        groups[(item.category, item.group.casefold())][0].append(item)
    for item in new:
        groups[(item.category, item.group.casefold())][1].append(item)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    rows: list[dict[str, Any]] = []
    for (category, _), (before, after) in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        left = [b for b in before if not any(a.value == b.value for a in after)]
        right = [a for a in after if not any(b.value == a.value for b in before)]
        for b, a in zip(left, right, strict=False):
            rows.append(_row("changed", category, b, a))
        for b in left[len(right) :]:
            rows.append(_row("removed", category, b, None))
        for a in right[len(left) :]:
            rows.append(_row("added", category, None, a))
    return rows


def _row(change: str, category: str, old: Item | None, new: Item | None) -> dict[str, Any]:
    some = new or old
    assert some is not None
    group = some.group
    item = group if not some.shown else f"{group}: {some.shown}"
    return {
        "change": change,
        "category": category,
        "item": item,
        "from": old.value if old else None,
        "to": new.value if new else None,
        "from_paragraph": old.paragraph if old else None,
        "from_evidence": old.evidence if old else None,
        "to_paragraph": new.paragraph if new else None,
        "to_evidence": new.evidence if new else None,
    }


def _pick(found: Sequence[Edition], wanted: str) -> Edition:
    for e in found:
        if wanted in (e.version, e.document, str(e.year), e.file):
            return e
    shown = ", ".join(e.version or e.document for e in found)
    raise InputError(f"no edition {wanted!r} of {found[0].municipality}; editions: {shown}")


def diff(
    source: Graph | Engine, name: str, gazetteer: Gazetteer, old: str | None = None, new: str | None = None
) -> Diff:
    """The changes from edition `old` to `new` (versions, years or document ids); default: the two latest."""
    found = municipality_editions(source, name, gazetteer)
    if (old is None) != (new is None):
        raise InputError("give both FROM and TO editions, or neither (the two latest)")
    if old is not None and new is not None:
        before, after = _pick(found, old), _pick(found, new)
    else:
        latest_type = max(found, key=lambda e: (e.year or 0, e.signed or "")).document_type
        same_type = [e for e in found if e.document_type == latest_type]
        if len(same_type) < 2:
            only = same_type[0]
            raise InputError(
                f"{only.municipality} has one edition in the graph ({only.version or only.document}); "
                "nothing to compare — ingest another edition first"
            )
        before, after = same_type[-2], same_type[-1]
    if before.document == after.document:
        raise InputError("FROM and TO are the same edition")
    rows = compare_items(_items(source, before.document), _items(source, after.document))
    rows += concept_changes(source, before.document, after.document)  # what the own text names (issue 23)
    return Diff(before.municipality, before, after, rows)
