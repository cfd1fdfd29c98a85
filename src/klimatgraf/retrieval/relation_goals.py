"""Relation parts about goals and figures: targets by kind, scope, year, base year, value and
modality, and emission figures by year, value, person or fall (`relation_parts` has the rest)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .relation_parts import ID, YEAR, Part, has, number_of

TARGET_KINDS = [  # (pattern, target kinds); every pattern that matches adds its kinds
    (r"klimatpositiv|climate[- ]positive|net[- ]negative|negativa utsläpp", ("positive",)),
    (r"netto ?noll|nettonoll|net[- ]zero", ("net_zero", "neutrality")),  # people say "netto noll" for neutrality too
    (r"klimatneutral|climate[- ]neutral|koldioxidneutral|carbon[- ]neutral|neutrality", ("neutrality",)),
    (r"per (?:år|year)|varje år|årlig|årligen|each year|a year|annual", ("annual_reduction",)),
    (r"per (?:invånare|person|capita)|per inhabitant|varje invånare", ("per_person_cap",)),
    (r"\btak\b|högst \d|\bcap\b|utsläppstak|inte överstig|not exceed", ("cap", "relative_cap")),
    (r"halvera|minska|minskade|sänka|reduc|\bcut\b|lägre", ("reduction",)),
]
SCOPES = [
    (r"tätort|centralort|staden\b|the town|city centre", "town"),
    (r"(?:egen|egna|kommunala|kommunens) (?:kommun)?(?:organisation|verksamhet)|kommunkoncern|kommunorganisation|"
     r"förvaltning|own operations|municipal organi[sz]ation|organisationen|som organisation|as an organi[sz]ation", "organisation"),
    (r"geografisk|hela kommunen|hela orten|territori|whole municipality|geographic", "geographic"),
    (r"konsumtion|consumption", "consumption"),
]  # fmt: skip
GOAL = (r"mål\b|\bmål|\bmal\b|målet|siktar|\bska (?:vara|bli|nå|minska|halvera|se till)|vill (?:vara|bli|nå)|vision|ambition|"
        r"target|aim|goal|klimatneutral|nettonoll|netto noll|klimatpositiv|net[- ]zero|climate[- ]neutral|climate[- ]positive|"
        r"\btak\b")  # fmt: skip


def targets(q: str, years: Sequence[int]) -> list[Part]:
    """Targets by kind (several with "eller"), year ("till 2030", "senast 2030"), scope, base year
    ("jämfört med 1990", "mot 2019"), value ("80 procent", a range holds it) and modality ("mål"
    is a decided target, "vision"/"ambition" an ambition)."""
    if not has(q, GOAL):
        return []
    kinds = [k for pattern, ks in TARGET_KINDS if has(q, pattern) for k in ks]
    base = re.search(
        r"(?:jämfört med|jamfort med|\bmot\b|från|compared (?:with|to)|against|below|than in|relative to)\s+(?:år\s+)?"
        + YEAR,
        q,
        re.IGNORECASE,
    )
    base_year = int(base.group(1)) if base else None
    target_years = [y for y in years if y != base_year]
    scopes = [s for p, s in SCOPES if has(q, p)]
    if not kinds and not target_years and base_year is None and not (scopes and has(q, r"mål|target|goal")):
        return []
    only_vision = has(q, r"only a vision|bara en vision|endast en vision|not a decided|inte ett beslutat")
    vision = has(q, r"vision|ambition|\bvill\b")
    decided = has(q, r"\bmål|beslutad|decided|target")
    classes = "kg:ClimateAmbition" if vision and not decided else "kg:ClimateTarget"
    if vision and decided and has(q, r"mål eller (?:en )?vision|target or (?:a )?vision"):
        classes = "kg:ClimateTarget kg:ClimateAmbition"
    if only_vision:
        classes = "kg:ClimateAmbition"
    pattern = "?g_{n} kg:aboutMunicipality ?t ; kg:statedIn ?doc ; a ?gc_{n} . " + f"VALUES ?gc_{{n}} {{ {classes} }}"
    said = ["mål" if classes == "kg:ClimateTarget" else "ambition"]
    if kinds:
        values = " ".join(f"<{ID}target-kind/{k}>" for k in dict.fromkeys(kinds))
        pattern += f" ?g_{{n}} kg:targetKind ?gk_{{n}} . VALUES ?gk_{{n}} {{ {values} }}"
        said.append(" eller ".join(KIND_WORDS_SV[k] for k in dict.fromkeys(kinds)))
    decade = re.search(
        r"(?:(början|mitten|slutet) av |(?:the )?(early|mid|late)[- ])?(20\d)0-?(?:talet|s)\b", q, re.IGNORECASE
    )
    if decade and target_years:
        start = int(decade.group(3)) * 10
        first, last = DECADE_PARTS.get((decade.group(1) or decade.group(2) or "").casefold(), (0, 9))
        pattern += (
            f" ?g_{{n}} kg:targetYear ?gy_{{n}} . FILTER(?gy_{{n}} >= {start + first} && ?gy_{{n}} <= {start + last})"
        )
        said.append(f"{start + first}–{start + last}")
    elif target_years:
        year = target_years[0]
        if has(q, rf"(?:senast|före|innan|by|before|no later than)\s+(?:år\s+)?{year}"):
            pattern += f" ?g_{{n}} kg:targetYear ?gy_{{n}} . FILTER(?gy_{{n}} <= {year})"
            said.append(f"senast {year}")
        else:
            pattern += f" ?g_{{n}} kg:targetYear {year} ."
            said.append(str(year))
    if base_year is not None:
        pattern += f" ?g_{{n}} kg:baseYear {base_year} ."
        said.append(f"jämfört med {base_year}")
    percent = re.search(r"(\d+(?:[.,]\d+)?)\s*(?:%|procent|percent)", q, re.IGNORECASE)
    if percent:
        value = number_of(percent.group(1))
        pattern += (f" ?g_{{n}} qudt:numericValue ?gv_{{n}} . OPTIONAL {{ ?g_{{n}} kg:upperValue ?gh_{{n}} }} "
                    f"FILTER(?gv_{{n}} = {value} || (BOUND(?gh_{{n}}) && ?gv_{{n}} <= {value} && {value} <= ?gh_{{n}}))")  # fmt: skip
        said.append(f"{percent.group(1)} procent")
    tonnes = re.search(r"(\d+(?:[.,]\d+)?)\s*(?:ton|tonnes|t)\b", q, re.IGNORECASE)
    if tonnes and not percent:
        pattern += f" ?g_{{n}} qudt:numericValue {number_of(tonnes.group(1))} ."
        said.append(f"{tonnes.group(1)} ton")
    if len(scopes) == 1 or (scopes and not has(q, r" och |\band\b")):
        pattern += f" ?g_{{n}} kg:scope <{ID}scope/{scopes[0]}> ."
        said.append(SCOPE_WORDS[scopes[0]])
    parts = [Part(pattern, "med " + " ".join(said), fact="?g_{n}")]
    if only_vision:
        parts.append(
            Part(
                pattern.replace("?gc_{n} { kg:ClimateAmbition }", "?gc_{n} { kg:ClimateTarget }"),
                "utan beslutat mål",
                negated=True,
            )
        )
    if len(scopes) > 1 and has(q, r" och |\band\b"):
        for scope in scopes:
            parts.append(Part(pattern + f" ?g_{{n}} kg:scope <{ID}scope/{scope}> .", f"för {SCOPE_WORDS[scope]}"))
    return parts


DECADE_PARTS = {"början": (0, 3), "early": (0, 3), "mitten": (3, 7), "mid": (3, 7), "slutet": (7, 9), "late": (7, 9)}
KIND_WORDS_SV = {
    "neutrality": "klimatneutralitet", "net_zero": "nettonollutsläpp", "positive": "klimatpositivitet",
    "reduction": "minskade utsläpp", "annual_reduction": "årlig minskning", "cap": "utsläppstak",
    "relative_cap": "utsläppstak mot basår", "per_person_cap": "utsläpp per invånare",
}  # fmt: skip
SCOPE_WORDS = {
    "town": "tätorten",
    "organisation": "den egna organisationen",
    "geographic": "hela kommunen",
    "consumption": "konsumtionen",
}


def emissions(q: str, years: Sequence[int]) -> list[Part]:
    """Emission figures: of a year, of a value ("95 864 ton", "486 kiloton"), per person, fallen
    (between two years, or the most)."""
    if not has(q, r"utsläpp|utslapp|emission|koldioxid|växthusgas|co2|kiloton|kilotonnes|koldioxidbudget"):
        return []
    per_person = has(q, r"per (?:person|invånare|capita)|per inhabitant")
    kind = "?e_{n} qudt:hasQuantityKind kg:CO2EquivalentPerCapita ." if per_person else ""
    base = (
        "?e_{n} a kg:EmissionFigure ; kg:aboutMunicipality ?t ; kg:statedIn ?doc ; qudt:numericValue ?value . OPTIONAL { ?e_{n} kg:year ?year } "
        + kind
    )
    number = r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:[.,]\d+)?)"
    values = [(number_of(m.group(1)) * (1000 if m.group(2).casefold().startswith("kilo") else 1))
              for m in re.finditer(r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:[.,]\d+)?)\s*(kiloton\w*|ton\b|tonnes|t CO2e)", q, re.IGNORECASE)]  # fmt: skip
    pair = re.search(
        r"(?:från|from)\s+" + number + r"\s+(?:till|to)\s+" + number + r"\s*(kiloton\w*|ton\b|tonnes)", q, re.IGNORECASE
    )
    if pair:
        scale = 1000 if pair.group(3).casefold().startswith("kilo") else 1
        values = [number_of(pair.group(1)) * scale, number_of(pair.group(2)) * scale]
    fallen = has(q, r"minskat|minskade|sjunkit|fallit|gått ner|halverat|decreas|fell|fallen|dropped|reduced")
    if fallen:
        window = ""
        if len(years) >= 2:
            window = f" FILTER(?year IN ({', '.join(str(y) for y in years[:2])}))"
        if values and len(values) >= 2:
            window = f" FILTER(?value IN ({', '.join(str(v) for v in values[:2])}))"
        most = has(q, r"\bmest\b|\bmost\b|largest|biggest|störst")
        return [Part(base + " FILTER(BOUND(?year))" + window, "vars redovisade utsläpp minskat" + (" mest" if most else ""),
                     fact="?e_{n}", rank="decrease" if most else "fell")]  # fmt: skip
    if not (
        values
        or years
        or per_person
        or has(q, r"redovisa|rapporter|report|siffr|figur|hur stora|störst|högst|most|largest")
    ):
        return []
    pattern = base
    said = "som redovisar utsläpp"
    if values:
        pattern += " FILTER(" + " || ".join(f"ABS(?value - {v}) < 0.5" for v in values) + ")"
        said += " på " + " och ".join(f"{v:,.0f} ton".replace(",", " ") for v in values)
    if years:
        pattern += f" FILTER(?year IN ({', '.join(str(y) for y in years)}))"
        said += " för " + ", ".join(str(y) for y in years)
    if per_person:
        said += " per person"
    if has(q, r"\bstörst|\bhögst|\bmost\b|largest|highest|biggest"):
        return [
            Part(
                pattern + " FILTER(NOT EXISTS { ?e_{n} qudt:hasQuantityKind kg:CO2EquivalentPerCapita })",
                "med de största utsläppen",
                fact="?e_{n}",
                rank="max",
            )
        ]
    return [Part(pattern, said, fact="?e_{n}")]
