"""Climate targets: scope, kind, target year, base year, value and unit.

A target is a sentence of the municipality's own text that states a year between 2020
and 2050 with a cue: neutrality ("klimatneutral", "nettonoll"), reduction ("minska … med
80 procent … jämfört med 2019") or a cap ("inte överstiga 4 ton … per person"). National,
EU and mission goals ("Sveriges", "EU:s", "klimatneutrala städer", "Parisavtalet") and
negated statements are not the municipality's targets. The scope is the cue nearest
before the year (organisation, geographic area or consumption); a sentence with no scope
cue inherits the previous target's scope in the paragraph, else "geographic".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import ClimateTarget, Document, Paragraph
from ..swedish import parse_number
from ._text import sentences

_FOREIGN = re.compile(
    r"Sverige|\bEU\b|EU:s|nationell|Parisavtal|svenska|globala|missionen|klimatneutrala\s+städer", re.I
)
_NEGATED = re.compile(r"\binte\s+(klimatneutral|nettonoll)", re.I)
# "Klimatneutrala Växjö-Alvesta" and "klimatneutrala städer" are names of projects and of the mission
_NEUTRAL = re.compile(r"(?i:klimatneutral\w*|nettonoll\w*|netto\s*noll|nollutsläpp)\b(?!\s+(?:städer\b|[A-ZÅÄÖ]))")
_REDUCE = re.compile(r"minska\w*\b[^.]*?\bmed\s+(\d+(?:,\d+)?)\s*(?:procent|%)", re.I)
_CAP = re.compile(
    r"(?:inte|ej)\s+(?:ska\s+)?överstiga\s+(\d+(?:,\d+)?)\s*ton\b(?:\s*(?:CO2[-\s]?ekv\.?|CO2e?|koldioxid\w*))?"
    r"\s*(per\s+(?:person|invånare|capita))?",
    re.I,
)
_TARGET_YEAR = re.compile(r"(?:till|senast|år|före|innan|by)\s+(?:år\s+)?(20[2-5]\d)\b|\b(20[2-5]\d)\b", re.I)
_BASE_YEAR = re.compile(r"(?:jämfört\s+med|från|relativt)\s+(?:år\s+)?((?:19|20)\d\d)", re.I)
_SCOPES = (
    ("consumption", re.compile(r"konsumtionsbaserad\w*", re.I)),
    (
        "organisation",
        re.compile(r"kommunkoncern\w*|som\s+organisation|organisationen|kommunens\s+egen\s+verksamhet|koncernen", re.I),
    ),
    ("geographic", re.compile(r"geografisk\w*|som\s+plats|hela\s+kommunen|territoriell\w*", re.I)),
)


def _scope_before(sentence: str, position: int) -> str | None:
    best: tuple[int, str] | None = None
    for scope, pattern in _SCOPES:
        for match in pattern.finditer(sentence, 0, position):
            if best is None or match.start() > best[0]:
                best = (match.start(), scope)
    return best[1] if best else None


def extract_targets(document: Document, paragraphs: Sequence[Paragraph]) -> list[ClimateTarget]:
    targets: dict[tuple[str, str, int], ClimateTarget] = {}
    for paragraph in paragraphs:
        previous_scope: str | None = None
        for sentence in sentences(paragraph.text):
            if _FOREIGN.search(sentence) or _NEGATED.search(sentence):
                continue
            for target in _targets_in(sentence, paragraph.pid, previous_scope):
                previous_scope = target.scope
                targets.setdefault((target.scope, target.kind, target.target_year), target)
    return sorted(targets.values(), key=lambda t: (t.target_year, t.scope, t.kind))


def _targets_in(sentence: str, pid: str, inherited: str | None) -> list[ClimateTarget]:
    found: list[ClimateTarget] = []
    reduce, cap, neutral = _REDUCE.search(sentence), _CAP.search(sentence), _NEUTRAL.search(sentence)
    if not (reduce or cap or neutral):
        return found
    cue_start = min(m.start() for m in (reduce, cap, neutral) if m)
    for year_match in _TARGET_YEAR.finditer(sentence):
        year = int(year_match.group(1) or year_match.group(2))
        before_cue = year_match.end() < cue_start and not (neutral and neutral.start() < year_match.start())
        if before_cue and not (cap and year_match.start() > cap.start()):
            continue  # a year before the cue is context ("År 2019 var …"), not the target
        base = _BASE_YEAR.search(sentence, year_match.end())
        if base and base.start() - year_match.end() > 40:
            base = None
        if base and int(base.group(1)) == year:
            continue  # this year is itself a base year
        scope = _scope_before(sentence, year_match.start()) or inherited or "geographic"
        if reduce and reduce.start() < year_match.start():
            base_year = int(base.group(1)) if base and int(base.group(1)) < year else None
            value = parse_number(reduce.group(1))
            found.append(ClimateTarget(scope, "reduction", year, pid, base_year, value, "percent"))  # type: ignore[arg-type]
        elif cap and (cap.start() < year_match.start() or year_match.start() > cue_start):
            unit = "tCO2e/person" if cap.group(2) else "tCO2e"
            found.append(ClimateTarget(scope, "cap", year, pid, None, parse_number(cap.group(1)), unit))  # type: ignore[arg-type]
        elif neutral:
            found.append(ClimateTarget(scope, "neutrality", year, pid))  # type: ignore[arg-type]
    return found
