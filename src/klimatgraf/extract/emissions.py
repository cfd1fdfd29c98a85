"""Emission figures: a quantity in tonnes (or kg) of CO2/CO2e with its year and what it covers.

The description is the clause before the number ("koldioxidutsläppen inom Alvestas
geografiska område", "Kommunförvaltningens egen verksamhet"); a figure that continues a
sentence ("och för 2023 cirka 46 770 ton") inherits the previous description. Carbon-budget
sentences become "koldioxidbudget" figures; caps, reduction needs and targets are not
emission figures. Figures per person are converted to tonnes per person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import EmissionFigure, Paragraph
from ..swedish import NUMBER_WITH_MULTIPLIER_RE, number_from_match
from ._text import YEAR_RE, sentences

_QUANTITY = re.compile(
    NUMBER_WITH_MULTIPLIER_RE.pattern
    + r"\s*(ton|kg|kilo)\b(?:\s*(?:CO2e?|Co2e|CO2-ekv\.?|koldioxid(?:ekvivalenter)?))?"
    r"(?:\s*(per\s+(?:capita|person|invånare)))?",
    re.IGNORECASE,
)
_SKIP = re.compile(r"överstiga|behov|minska\w*\s+med|mål\w*\s+(är|om)", re.I)
_FILLER = re.compile(
    r"^(?:och|samt|men|varav|vilket|år|för|under|cirka|ca|var|uppgick\s+till|enligt|av|inom)\b\s*|\b(?:var|är|blev|uppgick till|cirka|ca|om)\s*$",
    re.I,
)


def extract_emissions(paragraphs: Sequence[Paragraph]) -> list[EmissionFigure]:
    figures: list[EmissionFigure] = []
    seen: set[tuple[int | None, float, str]] = set()
    for paragraph in paragraphs:
        for sentence in sentences(paragraph.text):
            if _SKIP.search(sentence):
                continue
            description = ""
            for match in _QUANTITY.finditer(sentence):
                value = number_from_match(match)
                per_person = bool(match.group(5))
                if match.group(4).lower().startswith("k"):
                    value /= 1000
                clause = _clause_before(sentence, match.start())
                if clause:
                    description = clause
                if "budget" in sentence.lower():
                    description = "koldioxidbudget, återstående" if "återstå" in sentence.lower() else "koldioxidbudget"
                year = _year_for(sentence, match.start(), match.end())
                text = description or "utsläpp"
                if per_person:
                    text = f"{text} (per person)"
                key = (year, round(value, 3), text)
                if key in seen:
                    continue
                seen.add(key)
                unit = "tCO2e/person" if per_person else "tCO2e"
                figures.append(EmissionFigure(year, round(value, 6), text, paragraph.pid, unit))
    return figures


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
    """The closest year in the sentence, preferring one before the figure."""
    before = [m for m in YEAR_RE.finditer(sentence, 0, start)]
    if before:
        return int(before[-1].group(0))
    after = YEAR_RE.search(sentence, end)
    return int(after.group(0)) if after else None
