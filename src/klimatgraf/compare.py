"""Side-by-side comparison of municipalities, built only from the named SPARQL queries.

One column per municipality, one row per attribute: document type, version/signing date,
twin/pioneer, each shared commitment 1–10, targets by scope, latest emission figures, themes
(the top concepts of the municipality's own text, and its own theme headings) and organisations. Because it reuses `queries/*.rq`, the comparison shows exactly what the
graph (and so the documents) say, and changes with them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .reference import Gazetteer, fold
from .sparql import Engine, named_query, run
from .swedish import format_number

if TYPE_CHECKING:
    from rdflib import Graph

SCOPES = (
    ("organisation", "Mål: organisation"),
    ("geographic", "Mål: geografiskt"),
    ("town", "Mål: tätorten"),
    ("consumption", "Mål: konsumtion"),
)


@dataclass(frozen=True)
class Comparison:
    municipalities: list[str]
    rows: list[dict[str, Any]]  # {"attribute": …, "<municipality>": value, …}

    @property
    def columns(self) -> list[str]:
        return ["attribute", *self.municipalities]


def _rows(source: Graph | Engine, name: str) -> list[dict[str, Any]]:
    from rdflib import Graph as RdfGraph

    query = named_query(name)
    result = run(source, query.text) if isinstance(source, RdfGraph) else source.run(query.text, trusted=query.trusted)
    return result.plain_rows()


def resolve_names(names: Sequence[str], known: Sequence[str], gazetteer: Gazetteer) -> list[str]:
    """Names or kommunkoder, any case, with or without å/ä/ö → municipalities present in the graph."""
    by_fold = {fold(name): name for name in known}
    resolved = []
    for raw in names:
        municipality = gazetteer.resolve(raw)  # raises with a suggestion for unknown names
        if fold(municipality.name) not in by_fold:
            raise InputError(f"{municipality.name} has no contract in the graph; known: {', '.join(sorted(known))}")
        if municipality.name not in resolved:
            resolved.append(municipality.name)
    return resolved


def compare(
    graph: Graph | Engine,
    names: Sequence[str] | None,
    gazetteer: Gazetteer,
    themes: Mapping[str, Mapping[str, int]] | None = None,
) -> Comparison:
    """Compare `names` (all municipalities with a document when None) on an rdflib Graph or an engine.
    `themes`: the "Teman" counts (municipality → top concept → own passages) when the caller has them
    from the build's topics.json (`topics.top_concept_counts`); else the named query `themes` gives them."""
    documents = _rows(graph, "municipalities")
    known = sorted({r["municipality"] for r in documents})
    selected = known if not names else resolve_names(names, known, gazetteer)
    if len(selected) < 1:
        raise InputError("no municipalities to compare; run `klimatgraf build` first")
    table: dict[str, dict[str, Any]] = defaultdict(dict)
    order: list[str] = []

    def put(attribute: str, municipality: str, value: Any) -> None:
        if attribute not in order:
            order.append(attribute)
        if municipality in selected and value not in (None, ""):
            previous = table[attribute].get(municipality)
            table[attribute][municipality] = value if previous is None else f"{previous}; {value}"

    for r in documents:
        put("Dokumenttyp", r["municipality"], r["document_type"])
        put("Version", r["municipality"], r.get("version"))
        put("Undertecknad", r["municipality"], r.get("signed"))
        put("Kommunkod", r["municipality"], r["kommunkod"])
    for r in _rows(graph, "twins"):
        put("Tvilling till (pionjär)", r["twin"], r["pioneer"])
        put("Pionjär för (tvillingar)", r["pioneer"], r["twin"])
    adopted: dict[str, dict[int, str]] = defaultdict(dict)
    labels: dict[int, str] = {}
    for r in _rows(graph, "commitments"):
        number = int(r["number"])
        adopted[r["municipality"]][number] = r["label"]
        labels.setdefault(number, r["label"])
    for number in sorted(labels):  # only commitments some document adopts; none is invented
        label = labels[number] if len(labels[number]) <= 48 else labels[number][:46].rsplit(" ", 1)[0] + " …"
        attribute = f"Åtagande {number} – {label}"
        for municipality in selected:
            put(attribute, municipality, "ja" if number in adopted[municipality] else "–")
    targets = _rows(graph, "targets")
    for scope, attribute in SCOPES:
        for r in targets:
            if r["scope"] == scope:
                put(attribute, r["municipality"], _target_text(r))
    words = {"ambition": "ambition", "budget": "koldioxidbudget"}
    scopes = {
        "organisation": "organisationen",
        "geographic": "geografiskt",
        "town": "tätorten",
        "consumption": "konsumtion",
    }
    for r in _rows(graph, "goals"):  # what the contracts state as guidance or budget, never as a target
        if r["modality"] in words:
            text = f"{scopes.get(str(r['scope']), r['scope'])}: {_target_text(r)} ({words[str(r['modality'])]})"
            put("Ambitioner och budgetar", r["municipality"], text)
    latest: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in _rows(graph, "emissions"):
        latest[r["municipality"]].append(r)
    for municipality, figures in latest.items():
        dated = [f for f in figures if f["year"] is not None]
        year = max((int(f["year"]) for f in dated), default=None)
        for f in dated or figures:  # undated figures only when no figure has a year
            if year is None or int(f["year"]) == year:
                when = f"{year}: " if year is not None else "år ej angivet: "
                value = f"{format_number(float(f['value']))} {f['unit']} ({f['description']})"
                put("Senaste utsläppsuppgifter", municipality, when + value)
    _themes(graph, put, themes)
    grouped: dict[str, list[str]] = defaultdict(list)
    for r in _rows(graph, "organisations"):
        grouped[r["municipality"]].append(str(r["organisation"]))
    for municipality, values in grouped.items():
        put("Organisationer", municipality, ", ".join(sorted(set(values))))
    rows = [
        {"attribute": attribute, **{m: table[attribute].get(m, "") for m in selected}}
        for attribute in order
        if table[attribute]  # a row nobody selected has a value for says nothing
    ]
    return Comparison(selected, rows)


def _themes(graph: Graph | Engine, put: Any, given: Mapping[str, Mapping[str, int]] | None = None) -> None:
    """ "Teman": the top concepts the municipality's own text names, most passages first (`themes`);
    "Egna rubriker": the themes as the contract writes them, with the concept each names (`theme-headings`)."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    if given is not None:
        counts.update({m: dict(c) for m, c in given.items()})
    else:
        for r in _rows(graph, "themes"):
            theme = str(r["theme"])
            counts[r["municipality"]][theme] = counts[r["municipality"]].get(theme, 0) + int(r["passages"])
    for municipality, themes in counts.items():
        ranked = sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))
        put("Teman", municipality, ", ".join(f"{theme} ({n})" for theme, n in ranked))
    headings: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for r in _rows(graph, "theme-headings"):
        named = headings[r["municipality"]].setdefault(str(r["heading"]), [])
        if r.get("concept") and r["concept"] not in named:
            named.append(str(r["concept"]))
    for municipality, found in headings.items():
        shown = [f"{h} → {', '.join(c)}" if c else h for h, c in sorted(found.items())]
        put("Egna rubriker", municipality, "; ".join(shown))


# a target in the words a reader of the contracts uses ("klimatneutral 2030", "minska 10–14 %/år till 2030")
TARGET_WORDS = {
    "neutrality": "klimatneutral",
    "net_zero": "nettonollutsläpp",
    "positive": "klimatpositiv",
    "reduction": "minska",
    "annual_reduction": "minska årligen",
    "cap": "högst",
    "relative_cap": "högst",
    "per_person_cap": "högst",
}


def _target_text(r: dict[str, Any]) -> str:
    kind = TARGET_WORDS.get(str(r["kind"]), str(r["kind"]))
    value = ""
    if r.get("value") is not None:
        unit = {"percent": "%", "percent/year": "%/år", "tCO2e/person": "t CO2e/person", "tCO2e": "t CO2e"}.get(
            str(r.get("unit")), str(r.get("unit") or "")
        )
        figure = format_number(float(r["value"]))
        if r.get("value_max") is not None:
            figure += "–" + format_number(float(r["value_max"]))
        value = f" {figure} {unit}".rstrip()
    if str(r["kind"]) == "relative_cap" and r.get("base_year") is not None:
        return f"{kind}{value} av {r['base_year']} års nivå {r['target_year']}"
    base = f" (jfr {r['base_year']})" if r.get("base_year") is not None else ""
    return f"{kind}{value} {r['target_year']}{base}"
