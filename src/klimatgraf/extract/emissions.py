"""Emission figures: a quantity in tonnes (or kg) of CO2/CO2e with its year and what it covers.

The description is the clause before the number ("koldioxidutsläppen inom Alvestas
geografiska område", "Kommunförvaltningens egen verksamhet"); a figure that continues a
sentence ("och för 2023 cirka 46 770 ton") inherits the previous description. Figures per
person are converted to tonnes per person ("2 841 kg CO2 per capita" → 2.841 tCO2e/person).

What is not an emission figure: a quantity in a clause that states a limit, need or goal
("inte överstiga 219 517 ton", "behoven av … minskning … 590 tusen ton", "målet … 100 ton"):
those are targets or gaps. A share ("44,8 % från jordbruket") has no tonnes and is skipped.
A carbon budget *is* kept, as a quantity of CO2 the territory may still emit, described
"koldioxidbudget" (from its start year) or "koldioxidbudget, återstående" (what is left in
a year), so budgets and inventories can be told apart in queries.

The year is the nearest year before the figure in the sentence, else the nearest after;
a flattened table row without any year ("Kommunförvaltningens egen verksamhet 12 700 ton
Co2e") keeps year None rather than borrowing a year from a heading, which is usually a
target year ("5.1 Klimatmål 2030").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import EmissionFigure, Paragraph
from ..swedish import NUMBER_WITH_MULTIPLIER_RE, number_from_match
from ._text import YEAR_RE, sentences

_QUANTITY = re.compile(
    NUMBER_WITH_MULTIPLIER_RE.pattern
    + r"\s*(ton|kton|kiloton|Mton|megaton|kg|kilo)\b(?:\s*(?:CO2e?|Co2e|CO2-ekv\.?|koldioxid(?:ekvivalenter)?|"
    r"växthusgaser|fossil\s+koldioxid))?"
    r"(?:\s*((?:per|/)\s*(?:capita|person|invånare|inv\.?)))?",
    re.I,
)
_UNIT_FACTOR = {"ton": 1.0, "kton": 1e3, "kiloton": 1e3, "mton": 1e6, "megaton": 1e6, "kg": 1e-3, "kilo": 1e-3}
_NOT_A_FIGURE = re.compile(
    r"överstiga|understiga|\bhögst\b|\bmax(?:imalt)?\b|behov\w*|\bska\s+minska|\bmål\w*\s+(?:är|om|att)|\bminskning\w*|\bbör\b|"
    r"(?<!\bhar\s)(?<!\bhade\s)\bminska(?:s|r)?\s+(?:ner\s+)?till\b|\bska\s+(?:\S+\s+){0,4}?minskat\b",
    re.I,
)
# a goal restated in tonnes ("…, motsvarande 90 kiloton") is part of the goal, not a reported figure
_EQUIVALENT_OF_GOAL = re.compile(r"\b(?:motsvarande|motsvarar|dvs\.?|det\s+vill\s+säga)\s+(?:cirka\s+|ca\s+)?$", re.I)
_GOAL = re.compile(r"\b(?:ska|skall|bör|mål\w*|högst|maximalt)\b", re.I)
# a year right after the figure is the figure's own ("250 000 ton år 2010 och hade minskat till 180 000 ton år 2022"),
# unless a number follows it (a flattened table row "57 215 ton 2020 55 000 ton")
_YEAR_RIGHT_AFTER = re.compile(
    r"\s*(?:CO2e?|CO2-ekv\.?|koldioxid\w*)?\s*(?:år\s+|under\s+|i\s+)?((?:19[89]|20[0-5])\d)\b(?!\s*\d)", re.I
)
# "Per invånare motsvarar det 6,3 ton", "utsläppen per person var 5,1 ton": per person before the figure
_PER_PERSON_BEFORE = re.compile(r"\bper\s+(?:invånare|person|capita|inv\.)|\bper\s+capita\b", re.I)
_CLAUSE_SPLIT = re.compile(r"[;,]\s+|\s+(?:vilket|vilken|varav|men)\s+")
_FILLER = re.compile(
    r"^(?:och|samt|men|varav|vilket|år|för|under|cirka|ca|var|uppgick\s+till|enligt|av|inom)\b\s*|"
    r"\b(?:var|är|blev|uppgick till|cirka|ca|om|låg\s+på|från|till|minskade|minskat|hade|har|ökade|ökat|sjönk|"
    r"sjunkit)\s*$",
    re.I,
)


def extract_emissions(paragraphs: Sequence[Paragraph]) -> list[EmissionFigure]:
    figures: list[EmissionFigure] = []
    seen: set[tuple[int | None, float, str]] = set()
    for paragraph in paragraphs:
        description = ""
        last_year: int | None = None
        for sentence in sentences(paragraph.text):
            previous_description = description
            description = "" if not sentence.startswith(("och", "samt")) else description
            sentence_year = YEAR_RE.search(sentence)
            for match in _QUANTITY.finditer(sentence):
                if _NOT_A_FIGURE.search(_clause_around(sentence, match.start(), match.end())):
                    continue
                if _EQUIVALENT_OF_GOAL.search(sentence[: match.start()]) and _GOAL.search(sentence):
                    continue  # "högst 25 procent av 2020 års nivå, motsvarande 90 kiloton": the goal in tonnes
                value = number_from_match(match) * _UNIT_FACTOR[match.group(4).lower()]
                clause_before = sentence[_clause_start(sentence, match.start()) : match.start()]
                per_person_before = bool(_PER_PERSON_BEFORE.search(clause_before))
                per_person = bool(match.group(5)) or per_person_before
                clause = _clause_before(sentence, match.start())
                if per_person_before and previous_description and not YEAR_RE.search(clause_before):
                    clause = previous_description  # "Per invånare motsvarar det …" continues the last figure
                if clause:
                    description = clause
                lowered = sentence.lower()
                if "budget" in lowered:
                    description = "koldioxidbudget, återstående" if "återstå" in lowered else "koldioxidbudget"
                year = _year_for(sentence, match.start(), match.end())
                if year is None and sentence_year is None:
                    year = last_year  # a sentence that continues the previous figure's year
                text = _qualified(description or "utsläpp", paragraph)
                if per_person:
                    text = f"{text} (per person)"
                key = (year, round(value, 3), text)
                if key in seen:
                    continue
                seen.add(key)
                unit = "tCO2e/person" if per_person else "tCO2e"
                figures.append(EmissionFigure(year, round(value, 6), text, paragraph.pid, unit))
                last_year = year
    return figures


def _qualified(description: str, paragraph: Paragraph) -> str:
    """Consumption-based figures say so only in their heading ("Konsumtionsbaserade utsläpp")."""
    heading = paragraph.section[-1] if paragraph.section else ""
    if re.search(r"konsumtionsbaserad", heading, re.I) and "konsumtion" not in description.lower():
        return f"{description}, konsumtionsbaserade"
    return description


def _clause_start(sentence: str, position: int) -> int:
    """Start of the clause holding `position`: after the last comma/"vilket"/unclosed "(" before it."""
    left = [m.end() for m in _CLAUSE_SPLIT.finditer(sentence, 0, position)]
    start = left[-1] if left else 0
    paren = sentence.rfind("(", 0, position)
    closed = paren >= 0 and sentence.find(")", paren, position) >= 0
    return max(start, paren + 1) if paren >= 0 and not closed else max(start, sentence.rfind(")", 0, position) + 1)


def _clause_around(sentence: str, start: int, end: int) -> str:
    """The clause holding the figure: from the previous comma/semicolon/"vilket" to the next."""
    left = [m.end() for m in _CLAUSE_SPLIT.finditer(sentence, 0, start)]
    right = _CLAUSE_SPLIT.search(sentence, end)
    return sentence[left[-1] if left else 0 : right.start() if right else len(sentence)]


def _clause_before(sentence: str, position: int) -> str:
    """The words that say what a figure measures, without years, units and fillers."""
    for part in reversed(re.split(r"[,;]|\((?![^()]*\))|\s–\s|:\s", sentence[:position])):
        clause = re.sub(r"\d[\d\s\u00a0]*(?:,\d+)?\s*(?:ton|kg)\b.*$", "", part)  # an earlier figure
        clause = YEAR_RE.sub("", clause)
        clause = re.sub(r"^\s*(?:CO2e?|Co2e|ton)\b", "", clause, flags=re.I)
        clause = re.sub(r"\s+", " ", clause).strip()
        for _ in range(4):
            clause = _FILLER.sub("", clause).strip()
        if len(clause) >= 6 and re.search(r"[a-zåäö]{4}", clause):
            return clause
        if part.strip():
            return ""  # a non-empty clause without words ("och för 2023 cirka"): inherit
    return ""


def _year_for(sentence: str, start: int, end: int) -> int | None:
    """The year right after the figure, else the closest year in the sentence, preferring one before it."""
    right_after = _YEAR_RIGHT_AFTER.match(sentence, end)
    if right_after:
        return int(right_after.group(1))
    before = list(YEAR_RE.finditer(sentence, 0, start))
    if before:
        return int(before[-1].group(0))
    after = YEAR_RE.search(sentence, end)
    return int(after.group(0)) if after else None
