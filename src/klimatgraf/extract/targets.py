"""Climate targets as contracts state them: kind, scope, year, value, modality and accounting note.

A target is a year between 2020 and 2050 in the municipality's own text governed by a cue. Kinds:

- `neutrality` ("klimatneutral"), `net_zero` ("nettonollutsläpp", "noll nettoutsläpp"),
  `positive` ("klimatpositiv", "nettonegativa utsläpp");
- `reduction`: "minska … med 80 procent … jämfört med 1990" (a percentage and its base year);
- `annual_reduction`: "minska med 10–14 procent per år" (a rate; a range keeps both ends);
- `cap`: "högst 120 kiloton koldioxidekvivalenter 2030" (an absolute total, converted to
  tonnes CO2e by QUDT's conversion multipliers);
- `relative_cap`: "högst 35 procent av 2020 års nivå" (a share of a base year's level);
- `per_person_cap`: "inte överstiga 4 ton CO2-ekv. per person" (per person, usually consumption).

The cue nearest before the year governs it, else one just after ("Visionen för år 2045 är att
kommunen ska vara klimatneutral"), so one sentence can carry several targets ("klimatneutralt som
organisation till 2030 och som geografisk plats till 2040"); a cue with no year of its own takes
the target year of the sentence ("… 2030 högst 35 procent av 2020 års nivå, motsvarande 120
kiloton").

Modality: "ska", "har som mål", a vision or no modal verb state a *target*; "bör", "vill",
"strävar" and an "ambition" state an *ambition*; a figure read from a carbon budget is a *budget*.
Nothing is set by a negated sentence ("innebär inte klimatneutralitet 2030"), a hypothetical one
("om … skulle", a sentence that starts "Om"), a need ("för att X ska nå klimatneutralitet 2030
krävs …"), a past change ("har minskat med 58 procent"), goals whose nearest subject is national,
EU, global or the mission, or names of projects and of the mission ("Klimatneutrala Örnsköldsvik
2030", "klimatneutrala städer 2030").

The scope is the scope cue nearest before the year (else between the year and its cue): the
municipal organisation, consumption, the town ("tätorten", "staden" set against "hela kommunen")
or the geographic area; without one, the previous target's scope in the same paragraph; else
"geographic", as a municipality's climate goal without qualification is about its territory.
What the accounting includes or leaves out ("I målet ingår invånarnas långväga resor men inte
byggandet") is kept as a note on the targets of its paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..models import ClimateTarget, Document, Modality, Paragraph, TargetKind
from ..reference import mass_units
from ..swedish import NUMBER_RE, NUMBER_WITH_MULTIPLIER_RE, number_from_match
from ..vocabulary import Scope
from ._text import sentences

_NUM = NUMBER_RE.pattern
_RANGE = rf"({_NUM})(?:\s*(?:[–-]|till)\s*({_NUM}))?"
_FOREIGN = re.compile(
    r"\bSverige\w*|\bsvensk\w*|\bEU\b|EU:s|\bEU-|europeisk\w*|\bnationell\w*|riksdag\w*|regeringen\w*|Parisavtal\w*|"
    r"\bglobal\w*|\bmissionen\w*|\bFN:s|\bFN\b|\bAgenda 2030|\bregion\w*|\blänet\w*|\blänsstyrelse\w*",
    re.I,
)
_NEGATED = re.compile(
    r"\b(?:inte|ej|icke|aldrig)\s+(?:\w+\s+){0,2}(?:klimatneutral|klimatpositiv|nettonoll|netto[\s-]noll|noll\s+netto)",
    re.I,
)
# a hypothetical or conditional statement sets nothing: "om … skulle", "Om utsläppen ska fasas ut … krävs"
_HYPOTHETICAL = re.compile(r"\bskulle\b|^\s*Om\b|\bi\s+så\s+fall\b|\bantag\w*\s+att\b", re.I)
# "för att X ska nå klimatneutralitet 2030 krävs …": a need for a goal, not a goal set here
_PURPOSE = re.compile(r"\bför\s+att\b", re.I)
_NEED = re.compile(r"\b(?:krävs|kräver|behövs|behöver|viktigt|nödvändig\w*|förutsätter)\b", re.I)
# "Klimatneutrala Växjö-Alvesta" and "klimatneutrala städer" are names of projects and of the mission
_NEUTRAL = re.compile(r"(?i:klimatneutral\w*)\b(?!\s+(?:städer\b|[A-ZÅÄÖ]))")
_NET_ZERO = re.compile(
    r"(?i:nettonoll\w*|netto[\s-]+noll\w*|noll\s+nettoutsläpp\w*|nettoutsläpp(?:en)?\s+(?:ska\s+)?(?:vara\s+)?noll)\b"
    r"(?!\s+[A-ZÅÄÖ])"
)
# net negative: more taken up than emitted ("klimatpositiv 2050"); a target of its own kind, not neutrality
_POSITIVE = re.compile(r"(?i:klimatpositiv\w*|netto[\s-]*negativ\w*)\b(?!\s+[A-ZÅÄÖ])")
# a reducing verb, then up to 80 characters of the same sentence before the figure
_REDUCING = r"(?:\bminska(?:s|t)?\b|\bminskning(?:en)?\b|\bsänka(?:s|t)?\b|\breducera(?:s|t)?\b)[^.]{0,80}?"
_PER_YEAR = r"(?:per\s+år|årligen|om\s+året|varje\s+år|i\s+genomsnitt\s+per\s+år)"
# a yearly rate ("minska med minst 15 % per år", "10–14 procent per år"): a rate, never a total reduction
_ANNUAL = re.compile(
    _REDUCING + rf"(?:\bmed\s+|\bom\s+|\b)(?:minst\s+|cirka\s+|ca\s+|mellan\s+)?{_RANGE}\s*(?:procent|%)\s*{_PER_YEAR}",
    re.I,
)
# a rate that is needed or was achieved, not one the municipality sets itself
_NOT_A_RATE_TARGET = re.compile(r"\b(?:krävs|kräver|behövs|behöver|skulle|har\s+minskat|minskade)\b", re.I)
_REDUCE = re.compile(
    _REDUCING + rf"(?:\bmed\s+|\bom\s+|\b)(?:minst\s+|cirka\s+|ca\s+)?{_RANGE}\s*(?:procent|%)(?!\s*{_PER_YEAR})"
    r"(?!\s+av\b)",
    re.I,
)
# "ska ha minskat", "ska utsläppen 2030 ha minskat": a future perfect is a target; "har minskat" is history
_PAST = re.compile(r"minskat|minskade|minskats|sänkt|reducerat", re.I)
_FUTURE_PERFECT = re.compile(r"\b(?:ska|skall|bör)\s+(?:\S+\s+){0,6}?ha\s+(?:minskat|sänkt|reducerat)", re.I)
# "halvera utsläppen till 2030" is a 50 percent reduction; "70 procent lägre utsläpp" one of 70
_HALVE = re.compile(r"\bhalver(?:a|as|ade|ing\w*)\b", re.I)
# "70 procent lägre utsläpp", "en 80 procents minskning", "en 60-procentig minskning"
_LOWER = re.compile(
    rf"\b({_NUM})\s*(?:procent|%)(?:s|[-\s]?ig)?\s+(?:lägre|mindre|minskning\w*|reduktion\w*|reducering\w*)\b", re.I
)
_CAP_WORDS = (
    r"(?:(?:inte|ej)\s+(?:ska\s+|får\s+|bör\s+)?(?:överstiga|vara\s+(?:större|högre)\s+än)|\bhögst|\bmax(?:imalt)?|"
    r"\bunder|\bunderstiga|\b(?:mindre|lägre)\s+än|\bsom\s+mest|\buppgå\s+till(?:\s+högst)?|"
    r"\b(?:minska\w*|sänka\w*|komma\s+ned|komma\s+ner|nå|gå)\s+(?:ned\s+|ner\s+)?till|\b(?:ska|skall)\s+ne[dr]\s+till)"
)
# "ton", "kiloton", "Mton"; the short forms only before CO2 ("4 t CO2e", "120 kt CO2e")
_MASS = r"(ton|kiloton|kton|megaton|mton|(?:t|kt|mt)(?=\s*CO2))"
_CAP = re.compile(
    _CAP_WORDS + rf"\s+(?:sammanlagt\s+|totalt\s+)?{NUMBER_WITH_MULTIPLIER_RE.pattern}\s*{_MASS}\b"
    r"(?:\s*(?:CO2[-\s]?ekv(?:ivalenter)?\.?|CO2e?|koldioxid\w*|växthusgaser))?\s*"
    r"(?:(?:per|/)\s*(person|invånare|capita|inv\.?)\b)?",
    re.I,
)
# "högst 35 procent av 2020 års nivå", "motsvara högst 40 % av utsläppen år 2019"
_RELATIVE_CAP = re.compile(
    r"(?:\bhögst|\bmax(?:imalt)?|(?:inte|ej)\s+(?:ska\s+)?överstiga|\buppgå\s+till(?:\s+högst)?|\bmotsvara(?:nde)?(?:\s+högst)?)"
    rf"\s+({_NUM})\s*(?:procent|%)\s+av\s+(?:[^.\d]{{0,40}}?)((?:19|20)\d\d)",
    re.I,
)
# a motivating figure for the same year ("motsvarande 120 kiloton"): absolute amount after a relative cap
_EQUIVALENT = re.compile(
    rf"(?:\b(?:motsvarande|motsvarar|vilket\s+motsvarar|dvs\.?|det\s+vill\s+säga|eller|alltså)\s+|\(\s*)"
    rf"(?:cirka\s+|ca\.?\s+|drygt\s+|knappt\s+)?"
    rf"{NUMBER_WITH_MULTIPLIER_RE.pattern}\s*{_MASS}\b",
    re.I,
)
_YEAR = re.compile(r"\b(20[2-5]\d)\b(?!\s*års\b)")
_BASE_BEFORE = re.compile(
    r"(?:jämfört\s+med|från|sedan|relativt|basår(?:et)?|med\s+start|under|i\s+förhållande\s+till|(?:lägre|mindre)\b"
    r"[^.]{0,40}\bän)\s+(?:år\s+|nivån\s+)?$",
    re.I,
)
_OWN_YEAR_AFTER = re.compile(r"[^.\d]{0,25}?\b(?:till|senast|år|före|innan)\s+(?:år\s+)?20[2-5]\d\b", re.I)
_TARGET_BEFORE = re.compile(r"(?:till|senast|år|före|innan|by)\s+(?:år\s+)?$", re.I)
_MODAL_BETWEEN = re.compile(r"\b(?:ska|skall|bör|vill|får)\b", re.I)
_BASE_YEAR = re.compile(
    r"(?:jämfört\s+med|relativt|i\s+förhållande\s+till|från|basår(?:et)?|(?:lägre|mindre)\b[^.]{0,40}?\bän)\s+"
    r"(?:år\s+|nivån?\s+|(?:utsläpps)?nivåerna?\s+|utsläppen\s+)?((?:19|20)\d\d)|\b((?:19|20)\d\d)\s+års\s+(?:nivå|utsläpp)",
    re.I,
)
_OWN = re.compile(r"\bkommun\w*|\bvi\b|\bvår\w*|\bkoncern\w*|\borganisation\w*|\btätort\w*|\bstaden\b", re.I)
_WHOLE = re.compile(r"\bhela\s+(?:den\s+geografiska\s+)?kommunen\b|\bkommunen\s+som\s+helhet\b|\blandsbygd\w*", re.I)
_TOWN = re.compile(r"\btätort\w*|\bcentralort\w*|\bstadskärna\w*|\binnerstaden\b", re.I)
_TOWN_CONTRASTED = re.compile(r"\bstaden\b|\bstaden\s+[A-ZÅÄÖ]\w+", re.I)
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
        re.compile(
            r"geografisk\w*|som\s+plats|hela\s+kommunen|territoriell\w*|inom\s+kommunens\s+gränser|kommunen\s+som\s+helhet",
            re.I,
        ),
    ),
)
# modality words: the nearest one before a cue decides
_MODAL = re.compile(
    r"(?P<ambition>\bbör\b|\bvill\b|\bsträva\w*|\bambition\w*|\bönskar\b|\bhoppas\b|\bsikta\w*\s+mot)|"
    r"(?P<target>\bska\b|\bskall\b|\bhar\s+som\s+mål|\bmål\w*|\bvision\w*|\båtar\b|\bbeslut\w*)",
    re.I,
)
_BUDGET = re.compile(r"koldioxidbudget\w*|\butsläppsbudget\w*|\bbudgeten\b", re.I)
# what the accounting covers: "I målet ingår …", "exklusive byggande", "räknas inte med"
_ACCOUNTING = re.compile(
    r"\b(?:ingår|inkluder\w*|exkluder\w*|exklusive|inklusive|undanta\w*|omfattar|innefattar|inräknas|"
    r"räknas\s+(?:inte\s+)?(?:med|in)|tas\s+(?:inte\s+)?med|utanför\s+beräkningen)\b",
    re.I,
)
# the follow-up's summary of changes ("7.1 Viktigaste uppdateringar för …", "De viktigaste förändringarna sedan förra
# versionen av kontraktet är: …") restates goals set elsewhere, in fragments that tie goals to the wrong years
_CHANGES = re.compile(r"viktigaste\s+(?:uppdateringar|förändringar)\w*|förändringar\w*\s+sedan\s+förra", re.I)
_UNTIL_THEN = re.compile(r"\b(?:till\s+dess|dessförinnan|fram\s+till\s+dess|innan\s+dess)\b", re.I)
_URL = re.compile(r"(?:https?://|www\.)\S*", re.I)
# cheap gates: the costly patterns run only on sentences that could match them
_HAS_MASS = re.compile(
    r"\d\s*(?:(?:tusen|miljoner|miljon|milj\.|miljarder|miljard)\s*)?(?:ton|kiloton|kton|megaton|mton|t|kt|mt)\b", re.I
)
_HAS_PERCENT = re.compile(r"procent|%", re.I)
MAX_CUE_BEFORE = 120
MAX_CUE_AFTER = 70
MAX_NOTE = 300


@dataclass(frozen=True)
class _Cue:
    kind: TargetKind
    start: int
    end: int
    value: float | None = None
    unit: str | None = None
    value_max: float | None = None
    base_year: int | None = None


def extract_targets(document: Document, paragraphs: Sequence[Paragraph]) -> list[ClimateTarget]:
    own = re.compile(rf"{_OWN.pattern}|\b{re.escape(document.municipality.name)}", re.I)
    targets: dict[tuple[str, str, int, str, float | None], ClimateTarget] = {}
    rates: list[tuple[str, str, Scope | None, int | None]] = []  # (sentence, pid, scope, year of the paragraph so far)
    notes: dict[str, str] = {}
    previous_pid: str | None = None
    for paragraph in paragraphs:
        if _CHANGES.search(" ".join(paragraph.section)) or _CHANGES.search(paragraph.text[:200]):
            continue  # a summary of what changed since the last edition restates goals set elsewhere
        previous_scope: Scope | None = None
        previous_year: int | None = None
        first_year: int | None = None
        neutral_year: int | None = None
        found_here = False
        for sentence in sentences(paragraph.text):
            if "http" in sentence or "www." in sentence:
                sentence = _URL.sub(lambda m: " " * len(m.group(0)), sentence)  # "…/klimatneutrala-ornskoldsvik-2030"
            if not _YEAR.search(sentence) and not _HAS_PERCENT.search(sentence):
                continue  # no target year and no rate: nothing to read here
            for target in _targets_in(sentence, paragraph.pid, previous_scope, own):
                previous_scope, previous_year = target.scope, target.target_year
                first_year = first_year or target.target_year
                if target.kind in ("neutrality", "net_zero") and neutral_year is None:
                    neutral_year = target.target_year
                targets.setdefault(_key(target), target)
                found_here = True
            if _HAS_PERCENT.search(sentence) and _ANNUAL.search(sentence):
                # "Fram till dess ska …" runs to the year just named; a rate on its own runs to the paragraph's
                # neutrality (or net-zero) year, else to its first target year
                year = previous_year if _UNTIL_THEN.search(sentence) else (neutral_year or first_year)
                rates.append((sentence, paragraph.pid, previous_scope, year))
        note = _accounting_note(paragraph.text)
        if note:
            # a note belongs to the targets of its own paragraph, else to those of the paragraph before it
            owner = paragraph.pid if found_here or _ANNUAL.search(paragraph.text) else previous_pid
            if owner is not None:
                notes.setdefault(owner, note)
        previous_pid = paragraph.pid if found_here else None
    neutral = [
        t.target_year for t in targets.values() if t.kind in ("neutrality", "net_zero") and t.modality == "target"
    ]
    positive = [t.target_year for t in targets.values() if t.kind == "positive"]
    fallback = min(neutral) if neutral else max(positive, default=None)
    for sentence, pid, scope, year in rates:
        rate = _annual_rate(sentence, pid, scope, year or fallback, own)
        if rate is not None:
            targets.setdefault(_key(rate), rate)
    found = [replace(t, note=notes[t.evidence]) if t.evidence in notes else t for t in targets.values()]
    return sorted(found, key=lambda t: (t.target_year, t.scope, t.kind, t.value or 0))


def _key(target: ClimateTarget) -> tuple[str, str, int, str, float | None]:
    return (target.scope, target.kind, target.target_year, target.modality, target.value)


def _accounting_note(text: str) -> str | None:
    """The sentences of a paragraph that say what the accounting includes or leaves out."""
    said = [
        s for s in sentences(text) if _ACCOUNTING.search(s) and re.search(r"utsläpp|mål|beräkning|redovisning", s, re.I)
    ]
    if not said:
        return None
    note = " ".join(re.sub(r"^[•▪◦\-–]\s*", "", s) for s in said)
    return note if len(note) <= MAX_NOTE else note[: MAX_NOTE - 1].rsplit(" ", 1)[0] + " …"


def _annual_rate(
    sentence: str, pid: str, inherited: Scope | None, year: int | None, own: re.Pattern[str]
) -> ClimateTarget | None:
    """'… ska utsläppen minska med minst 15 % per år': a rate (percent/year) until the year the
    sentence names ("till 2030"), else the target year the paragraph spoke of before ("fram till
    dess"), else the document's latest neutrality year; without any year there is no target."""
    match = _ANNUAL.search(sentence)
    if match is None or _NOT_A_RATE_TARGET.search(sentence) or _foreign(sentence, match.start(), own):
        return None
    if _not_set(sentence, match.start()):
        return None
    own_year = re.search(r"\b(?:till|senast)\s+(?:år\s+)?(20[2-5]\d)\b", sentence, re.I)
    target_year = int(own_year.group(1)) if own_year else year
    if target_year is None:
        return None
    scope = _scope(sentence, len(sentence), len(sentence)) or inherited or Scope.geographic
    low, high = _range(match, 1)
    modality = _modality(sentence, match.start())
    return ClimateTarget(scope, "annual_reduction", target_year, pid, None, low, "percent/year", high, modality)


def _number(text: str) -> float:
    """A figure the patterns matched with _NUM, as a float (NUMBER_RE reads the same syntax)."""
    match = NUMBER_RE.match(text)
    if match is None:
        raise ValueError(f"not a number: {text!r}")
    return number_from_match(match)


def _range(match: re.Match[str], group: int) -> tuple[float, float | None]:
    """The figure at `group` and, for a range "10–14", its upper end (from the group after the low one's)."""
    low = _number(match.group(group))
    upper_group = group + NUMBER_RE.groups + 1
    upper = match.group(upper_group) if match.re.groups >= upper_group else None
    high = _number(upper) if upper else None
    return low, (high if high is not None and high > low else None)


def _tonnes(match: re.Match[str], number_group: int, unit_group: int) -> float:
    """A quantity with its mass unit, in tonnes by QUDT's conversion multipliers."""
    whole = re.sub(r"[ \u00a0\u202f\u2009]", "", match.group(number_group))
    value = float(f"{whole}.{match.group(number_group + 1)}") if match.group(number_group + 1) else float(whole)
    multiplier = match.group(number_group + 2)
    if multiplier:
        value *= 1e3 if multiplier.lower().startswith("tusen") else 1e9 if "miljard" in multiplier.lower() else 1e6
    return value * mass_units()[match.group(unit_group).casefold()].to_tonnes


def _cues(sentence: str) -> list[_Cue]:
    cues = [_Cue("neutrality", m.start(), m.end()) for m in _NEUTRAL.finditer(sentence)]
    cues += [_Cue("net_zero", m.start(), m.end()) for m in _NET_ZERO.finditer(sentence)]
    cues += [_Cue("positive", m.start(), m.end()) for m in _POSITIVE.finditer(sentence)]
    cues = [c for c in cues if not _NEGATED.search(sentence[max(0, c.start - 40) : c.end])]
    # a yearly rate is read on its own (_annual_rate), but it stands between a goal and a later year:
    # "klimatpositivt senast 2045, ett mål om att minska med 10–14 procent per år och … år 2030"
    cues += [
        _Cue("annual_reduction", m.start(), m.end())
        for m in (_ANNUAL.finditer(sentence) if "%" in sentence or "procent" in sentence else ())
    ]
    relative_spans: list[tuple[int, int]] = []
    percent, mass = bool(_HAS_PERCENT.search(sentence)), bool(_HAS_MASS.search(sentence))
    for m in _RELATIVE_CAP.finditer(sentence) if percent else ():
        base_year = int(m.group(m.re.groups))
        cues.append(_Cue("relative_cap", m.start(), m.end(), _number(m.group(1)), "percent", base_year=base_year))
        relative_spans.append((m.start(), m.end()))
    for m in _REDUCE.finditer(sentence) if percent else ():
        if _PAST.search(sentence[m.start() : m.end()]) and not _FUTURE_PERFECT.search(sentence):
            continue
        low, high = _range(m, 1)
        cues.append(_Cue("reduction", m.start(), m.end(), low, "percent", high))
    for m in _HALVE.finditer(sentence):
        cues.append(_Cue("reduction", m.start(), m.end(), 50.0, "percent"))
    for m in _LOWER.finditer(sentence) if percent else ():
        cues.append(_Cue("reduction", m.start(), m.end(), _number(m.group(1)), "percent"))
    groups = NUMBER_WITH_MULTIPLIER_RE.groups
    for m in _CAP.finditer(sentence) if mass else ():
        per_person = bool(m.group(m.re.groups))
        if not per_person and re.match(r"under|minska|sänka|komma|nå|mindre|lägre|som", m.group(0), re.I):
            continue  # "under 1 000 ton", "minska till 500 ton" alone: a comparison or a step, not a cap
        value = _tonnes(m, 1, 1 + groups)
        kind: TargetKind = "per_person_cap" if per_person else "cap"
        cues.append(_Cue(kind, m.start(), m.end(), round(value, 6), "tCO2e/person" if per_person else "tCO2e"))
    for m in _EQUIVALENT.finditer(sentence) if mass and relative_spans else ():
        if any(start <= m.start() and m.start() - end <= 40 for start, end in relative_spans):
            cues.append(_Cue("cap", m.start(), m.end(), round(_tonnes(m, 1, 1 + groups), 6), "tCO2e"))
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
    if not after:
        return None
    return after[0] if marked or _MODAL_BETWEEN.search(sentence, 0, after[0].start) else None


def _not_set(sentence: str, position: int) -> bool:
    """A negated, hypothetical or needed goal sets nothing."""
    head = sentence[:position]
    if _HYPOTHETICAL.search(head) or re.match(r"^\s*Om\b", sentence):
        return True
    return bool(_PURPOSE.search(head) and _NEED.search(sentence))


def _modality(sentence: str, position: int) -> Modality:
    """The nearest modal before the goal decides; a figure the sentence ties to a carbon budget without
    "ska" or a goal word ("bör … inte överstiga 219 517 ton, enligt koldioxidbudgeten") is a budget."""
    modals = list(_MODAL.finditer(sentence, 0, position))
    last = modals[-1] if modals else None
    if last is not None and last.group("target"):
        return "target"
    if _BUDGET.search(sentence):
        return "budget"
    return "ambition" if last is not None else "target"


def _targets_in(sentence: str, pid: str, inherited: Scope | None, own: re.Pattern[str]) -> list[ClimateTarget]:
    if not _YEAR.search(sentence):
        return []
    cues = _cues(sentence)
    if not cues:
        return []
    found: list[ClimateTarget] = []
    governed: set[int] = set()
    years: list[int] = []
    for year_match in _YEAR.finditer(sentence):
        head = sentence[: year_match.start()]
        if _BASE_BEFORE.search(head) or re.search(r"\(\s*$", head) or _inside_cue(cues, year_match.start()):
            continue  # a base year or a measurement year "(2023)", not a target year
        cue = _governing_cue(sentence, cues, year_match.start(), year_match.end(), bool(_TARGET_BEFORE.search(head)))
        if cue is None:
            continue
        if cue.kind == "annual_reduction":
            continue  # the rate's own year is chosen by _annual_rate
        target = _target(sentence, pid, cue, year_match, inherited, own)
        if target is not None:
            found.append(target)
            inherited = target.scope
            governed.add(cue.start)
            years.append(year_match.start())
    # a cue without a year of its own takes the nearest target year of the sentence
    # ("2030 ska utsläppen vara högst 35 procent av 2020 års nivå, motsvarande 120 kiloton")
    for cue in cues:
        if cue.start in governed or not years or cue.kind not in ("cap", "relative_cap", "reduction", "per_person_cap"):
            continue
        nearest = min(years, key=lambda y: abs(y - cue.start))
        year_at = _YEAR.match(sentence, nearest)
        if year_at is not None:
            target = _target(sentence, pid, cue, year_at, inherited, own)
            if target is not None:
                found.append(target)
    return found


def _inside_cue(cues: list[_Cue], position: int) -> bool:
    return any(c.start <= position < c.end for c in cues if c.kind in ("relative_cap",))


def _target(
    sentence: str, pid: str, cue: _Cue, year_match: re.Match[str], inherited: Scope | None, own: re.Pattern[str]
) -> ClimateTarget | None:
    first = min(cue.start, year_match.start())
    if _foreign(sentence, first, own) or _not_set(sentence, first):
        return None
    year = int(year_match.group(1))
    scope = _scope(sentence, year_match.start(), max(cue.end, year_match.end())) or inherited or Scope.geographic
    base_year = cue.base_year
    if cue.kind == "reduction":
        base = _BASE_YEAR.search(sentence)
        if base:
            candidate = int(base.group(1) or base.group(2))
            base_year = candidate if candidate < year else None
    if base_year is not None and base_year >= year:
        base_year = None
    modality = _modality(sentence, first)
    return ClimateTarget(scope, cue.kind, year, pid, base_year, cue.value, cue.unit, cue.value_max, modality)


def _foreign(sentence: str, position: int, own: re.Pattern[str]) -> bool:
    """Whether the subject nearest before `position` is a nation, the EU, the world or the mission."""
    foreign = [m.end() for m in _FOREIGN.finditer(sentence, 0, position)]
    if not foreign:
        return False
    return not own.search(sentence, foreign[-1], position)


def _scope(sentence: str, year_start: int, cue_end: int) -> Scope | None:
    before: tuple[int, Scope] | None = None
    between: tuple[int, Scope] | None = None
    patterns: list[tuple[Scope, re.Pattern[str]]] = list(_SCOPES)
    patterns.append((Scope.town, _TOWN))
    if _WHOLE.search(sentence):
        patterns.append((Scope.town, _TOWN_CONTRASTED))  # "staden … och hela kommunen": the town is a scope
    for scope, pattern in patterns:
        for match in pattern.finditer(sentence, 0, max(year_start, cue_end)):
            if match.start() < year_start and (before is None or match.start() > before[0]):
                before = (match.start(), scope)
            elif match.start() >= year_start and (between is None or match.start() < between[0]):
                between = (match.start(), scope)
    chosen = before or between
    return chosen[1] if chosen else None
