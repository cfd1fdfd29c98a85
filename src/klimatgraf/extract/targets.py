"""Climate targets: scope, kind, target year, base year, value and unit.

A target is a year between 2020 and 2050 in the municipality's own text governed by a cue:
neutrality ("klimatneutral", "nettonoll"), reduction ("minska … med 80 procent … jämfört
med 2019") or a cap ("inte överstiga 4 ton … per person"). The cue nearest before the year
governs it, else one just after ("Visionen för år 2045 är att kommunen ska vara
klimatneutral"). So one sentence can carry two targets ("klimatneutralt som organisation
till 2030 och som geografisk plats till 2040").

Not targets: goals whose nearest subject is national, EU, global or the mission ("EU:s mål
om klimatneutralitet senast 2050") with no municipal subject between it and the year;
negated statements ("innebär inte klimatneutralitet 2030"); past changes ("har minskat med
58 procent"); yearly rates ("19,8 procent per år"); names of projects and of the mission
("Klimatneutrala Örnsköldsvik 2030", "klimatneutrala städer 2030").

A need stated with a modal for the municipality's own area ("för att X geografiska kommun
ska nå klimatneutralitet år 2030") is read as a target: it is how the document states its
ambition for that scope. Likewise a carbon-budget limit ("Vid utgången av år 2025 bör
utsläppen i den geografiska kommunen inte överstiga 219 517 ton") is a cap in tonnes.

The scope is the scope cue nearest before the year (else between the year and its cue);
without one, the previous target's scope in the same paragraph; else "geographic", as a
municipality's climate goal without qualification is about its territory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import ClimateTarget, Document, Paragraph, TargetKind
from ..swedish import NUMBER_RE, number_from_match
from ..vocabulary import Scope
from ._text import sentences

_NUM = NUMBER_RE.pattern
_FOREIGN = re.compile(
    r"\bSverige\w*|\bsvensk\w*|\bEU\b|EU:s|\bEU-|europeisk\w*|\bnationell\w*|riksdag\w*|regeringen\w*|Parisavtal\w*|"
    r"\bglobal\w*|\bmissionen\w*|\bFN:s|\bFN\b|\bAgenda 2030|\bregion\w*|\blänet\w*|\blänsstyrelse\w*",
    re.I,
)
_NEGATED = re.compile(r"\b(?:inte|ej|icke)\s+(?:\w+\s+){0,2}(?:klimatneutral|nettonoll)", re.I)
# "Klimatneutrala Växjö-Alvesta" and "klimatneutrala städer" are names of projects and of the mission
_NEUTRAL = re.compile(
    r"(?i:klimatneutral\w*|nettonoll\w*|netto[\s-]*noll\w*|nollutsläpp\w*|noll\s+nettoutsläpp\w*)\b"
    r"(?!\s+(?:städer\b|[A-ZÅÄÖ]))"
)
# net negative: more taken up than emitted ("klimatpositiv 2050"); a target of its own kind, not neutrality
_POSITIVE = re.compile(r"(?i:klimatpositiv\w*|netto[\s-]*negativ\w*)\b(?!\s+[A-ZÅÄÖ])")
# a reducing verb, then up to 80 characters of the same sentence before the figure
_REDUCING = r"(?:\bminska(?:s)?\b|\bminskning(?:en)?\b|\bsänka(?:s)?\b|\breducera(?:s)?\b)[^.]{0,80}?"
# a yearly rate ("minska med minst 15 % per år"): a rate, never a total reduction
_ANNUAL = re.compile(
    _REDUCING + rf"(?:\bmed\s+|\bom\s+|\b)(?:minst\s+|cirka\s+|ca\s+)?({_NUM})\s*(?:procent|%)\s*"
    r"(?:per\s+år|årligen|om\s+året|varje\s+år)",
    re.I,
)
# a rate that is needed or was achieved, not one the municipality sets itself
_NOT_A_RATE_TARGET = re.compile(r"\b(?:krävs|kräver|behövs|behöver|skulle|har\s+minskat|minskade)\b", re.I)
_REDUCE = re.compile(
    _REDUCING + rf"(?:\bmed\s+|\bom\s+|\b)({_NUM})\s*(?:procent|%)(?!\s*(?:per\s+år|årligen|om\s+året))",
    re.I,
)
# "halvera utsläppen till 2030" is a 50 percent reduction; "70 procent lägre utsläpp" one of 70
_HALVE = re.compile(r"\bhalver(?:a|as|ade|ing\w*)\b", re.I)
_LOWER = re.compile(rf"\b({_NUM})\s*(?:procent|%)\s+(?:lägre|mindre)\b", re.I)
_CAP = re.compile(
    r"(?:(?:inte|ej)\s+(?:ska\s+|får\s+|bör\s+)?överstiga|\bhögst|\bmax(?:imalt)?|\bunder|\bunderstiga|"
    r"\b(?:mindre|lägre)\s+än|\bsom\s+mest|"
    rf"\b(?:minska\w*|sänka\w*|komma\s+ned|komma\s+ner|nå)\s+(?:ned\s+|ner\s+)?till)\s+({_NUM})\s*"
    r"(?:ton\b|t(?=\s*CO2))"
    r"(?:\s*(?:CO2[-\s]?ekv(?:ivalenter)?\.?|CO2e?|koldioxid\w*|växthusgaser))?\s*"
    r"(?:(?:per|/)\s*(person|invånare|capita|inv\.?)\b)?",
    re.I,
)
_YEAR = re.compile(r"\b(20[2-5]\d)\b")
_BASE_BEFORE = re.compile(
    r"(?:jämfört\s+med|från|sedan|relativt|basår(?:et)?|med\s+start|under|i\s+förhållande\s+till|(?:lägre|mindre)\b"
    r"[^.]{0,40}\bän)\s+(?:år\s+)?$",
    re.I,
)
_OWN_YEAR_AFTER = re.compile(r"[^.\d]{0,25}?\b(?:till|senast|år|före|innan)\s+(?:år\s+)?20[2-5]\d\b", re.I)
_TARGET_BEFORE = re.compile(r"(?:till|senast|år|före|innan|by)\s+(?:år\s+)?$", re.I)
_BASE_YEAR = re.compile(
    r"(?:jämfört\s+med|relativt|i\s+förhållande\s+till|från|basår(?:et)?|(?:lägre|mindre)\b[^.]{0,40}?\bän)\s+"
    r"(?:år\s+|nivån?\s+)?((?:19|20)\d\d)",
    re.I,
)
_OWN = re.compile(r"\bkommun\w*|\bvi\b|\bvår\w*|\bkoncern\w*|\borganisation\w*", re.I)
_SCOPES = (
    (Scope.consumption, re.compile(r"konsumtionsbaserad\w*|konsumtionens|konsumtion\w*\s+utsläpp", re.I)),
    (
        Scope.organisation,
        re.compile(
            r"kommunkoncern\w*|som\s+organisation|organisationen|kommunorganisation\w*|"
            r"kommunens\s+eg(?:en|na)\s+verksamhet\w*|egna\s+verksamhet\w*|\bkoncernen\w*",
            re.I,
        ),
    ),
    (
        Scope.geographic,
        re.compile(r"geografisk\w*|som\s+plats|hela\s+kommunen|territoriell\w*|inom\s+kommunens\s+gränser", re.I),
    ),
)
MAX_CUE_BEFORE = 120
MAX_CUE_AFTER = 70


@dataclass(frozen=True)
class _Cue:
    kind: TargetKind
    start: int
    end: int
    value: float | None = None
    unit: str | None = None


def extract_targets(document: Document, paragraphs: Sequence[Paragraph]) -> list[ClimateTarget]:
    own = re.compile(rf"{_OWN.pattern}|\b{re.escape(document.municipality.name)}", re.I)
    targets: dict[tuple[str, str, int], ClimateTarget] = {}
    rates: list[tuple[str, str, Scope | None, int | None]] = []  # (sentence, pid, scope, year of the paragraph so far)
    for paragraph in paragraphs:
        previous_scope: Scope | None = None
        previous_year: int | None = None
        for sentence in sentences(paragraph.text):
            for target in _targets_in(sentence, paragraph.pid, previous_scope, own):
                previous_scope, previous_year = target.scope, target.target_year
                targets.setdefault((target.scope, target.kind, target.target_year), target)
            if _ANNUAL.search(sentence):
                rates.append((sentence, paragraph.pid, previous_scope, previous_year))
    fallback = max((t.target_year for t in targets.values() if t.kind in ("neutrality", "positive")), default=None)
    for sentence, pid, scope, year in rates:
        rate = _annual_rate(sentence, pid, scope, year or fallback, own)
        if rate is not None:
            targets.setdefault((rate.scope, rate.kind, rate.target_year), rate)
    return sorted(targets.values(), key=lambda t: (t.target_year, t.scope, t.kind))


def _annual_rate(
    sentence: str, pid: str, inherited: Scope | None, year: int | None, own: re.Pattern[str]
) -> ClimateTarget | None:
    """'… ska utsläppen minska med minst 15 % per år': a rate (percent/year) until the year the
    sentence names ("till 2030"), else the target year the paragraph spoke of before ("fram till
    dess"), else the document's latest neutrality year; without any year there is no target."""
    match = _ANNUAL.search(sentence)
    if match is None or _NOT_A_RATE_TARGET.search(sentence) or _foreign(sentence, match.start(), own):
        return None
    own_year = re.search(r"\b(?:till|senast)\s+(?:år\s+)?(20[2-5]\d)\b", sentence, re.I)
    target_year = int(own_year.group(1)) if own_year else year
    if target_year is None:
        return None
    scope = _scope(sentence, len(sentence), len(sentence)) or inherited or Scope.geographic
    value = _number(match.group(1))
    return ClimateTarget(scope, "annual_reduction", target_year, pid, None, value, "percent/year")


def _number(text: str) -> float:
    """A figure the patterns matched with _NUM, as a float (NUMBER_RE reads the same syntax)."""
    match = NUMBER_RE.match(text)
    if match is None:
        raise ValueError(f"not a number: {text!r}")
    return number_from_match(match)


def _cues(sentence: str) -> list[_Cue]:
    cues = [_Cue("neutrality", m.start(), m.end()) for m in _NEUTRAL.finditer(sentence)]
    cues += [_Cue("positive", m.start(), m.end()) for m in _POSITIVE.finditer(sentence)]
    cues = [c for c in cues if not _NEGATED.search(sentence[max(0, c.start - 40) : c.end])]
    for m in _REDUCE.finditer(sentence):
        if re.search(r"minskat|minskade|minskats", sentence[m.start() : m.end()], re.I):
            continue
        cues.append(_Cue("reduction", m.start(), m.end(), _number(m.group(1)), "percent"))
    for m in _HALVE.finditer(sentence):
        cues.append(_Cue("reduction", m.start(), m.end(), 50.0, "percent"))
    for m in _LOWER.finditer(sentence):
        cues.append(_Cue("reduction", m.start(), m.end(), _number(m.group(1)), "percent"))
    for m in _CAP.finditer(sentence):
        unit = "tCO2e/person" if m.group(m.re.groups) else "tCO2e"
        if unit == "tCO2e" and re.match(r"under|minska|sänka|komma|nå|mindre|lägre|som", m.group(0), re.I):
            continue  # "under 1 000 ton", "minska till 500 ton" alone: a comparison or a step, not a cap
        value = _number(m.group(1))
        cues.append(_Cue("cap", m.start(), m.end(), value, unit))
    return sorted(cues, key=lambda c: c.start)


def _governing_cue(sentence: str, cues: list[_Cue], year_start: int, year_end: int, marked: bool) -> _Cue | None:
    before = [c for c in cues if c.start < year_start and year_start - c.end <= MAX_CUE_BEFORE]
    if before:
        return before[-1]
    # a cue after the year governs it only when it has no year of its own right after it
    # ("fossilfri år 2030 och klimatpositiv år 2045": the cue belongs to 2045)
    after = [
        c
        for c in cues
        if c.start >= year_end
        and c.start - year_end <= MAX_CUE_AFTER
        and not _YEAR.search(sentence, year_end, c.start)
        and not _OWN_YEAR_AFTER.match(sentence, c.end)
    ]
    return after[0] if after and marked else None


def _targets_in(sentence: str, pid: str, inherited: Scope | None, own: re.Pattern[str]) -> list[ClimateTarget]:
    cues = _cues(sentence)
    if not cues:
        return []
    found: list[ClimateTarget] = []
    for year_match in _YEAR.finditer(sentence):
        head = sentence[: year_match.start()]
        if _BASE_BEFORE.search(head) or re.search(r"\(\s*$", head):
            continue  # a base year or a measurement year "(2023)", not a target year
        cue = _governing_cue(sentence, cues, year_match.start(), year_match.end(), bool(_TARGET_BEFORE.search(head)))
        if cue is None or _foreign(sentence, min(cue.start, year_match.start()), own):
            continue
        year = int(year_match.group(1))
        scope = _scope(sentence, year_match.start(), max(cue.end, year_match.end())) or inherited or Scope.geographic
        base_year = None
        if cue.kind == "reduction":
            base = _BASE_YEAR.search(sentence)
            base_year = int(base.group(1)) if base and int(base.group(1)) < year else None
        found.append(ClimateTarget(scope, cue.kind, year, pid, base_year, cue.value, cue.unit))
        inherited = scope
    return found


def _foreign(sentence: str, position: int, own: re.Pattern[str]) -> bool:
    """Whether the subject nearest before `position` is a nation, the EU, the world or the mission."""
    foreign = [m.end() for m in _FOREIGN.finditer(sentence, 0, position)]
    if not foreign:
        return False
    return not own.search(sentence, foreign[-1], position)


def _scope(sentence: str, year_start: int, cue_end: int) -> Scope | None:
    before: tuple[int, Scope] | None = None
    between: tuple[int, Scope] | None = None
    for scope, pattern in _SCOPES:
        for match in pattern.finditer(sentence, 0, max(year_start, cue_end)):
            if match.start() < year_start and (before is None or match.start() > before[0]):
                before = (match.start(), scope)
            elif match.start() >= year_start and (between is None or match.start() < between[0]):
                between = (match.start(), scope)
    chosen = before or between
    return chosen[1] if chosen else None
