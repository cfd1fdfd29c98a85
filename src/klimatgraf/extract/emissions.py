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
    r"(?<!\bhar\s)(?<!\bhade\s)\bminska(?:s|r)?\s+(?:ner\s+)?till\b|\bska\s+(?:\S+\s+){0,4}?minskat\b|"
    r"\b(?:ska|skall|bör|vill)\b[^.]{0,60}\bne[dr]\s+till\b",
    re.I,
)
# what is left of a clause that only refers back ("och 2022 hade de minskat till …"): the figure before it names it
_PRONOUNS = re.compile(r"(?:(?:hade|har|de|den|det|dessa|detta|så|sedan|då|därefter|alltså)\s*)+", re.I)
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


def extract_emissions(paragraphs: Sequence[Paragraph], document_text: str | None = None) -> list[EmissionFigure]:
    """Figures in the own paragraphs' sentences, and in flattened tables of `document_text` (the whole text)."""
    figures: list[EmissionFigure] = []
    seen: set[tuple[int | None, float, str]] = set()
    tabled: set[tuple[int | None, float]] = set()  # a figure a table gives is not given again by a sentence
    if document_text is not None:
        for figure in _table_figures(document_text, paragraphs):
            key = (figure.year, round(figure.value, 3), figure.description)
            if key not in seen:
                seen.add(key)
                tabled.add((figure.year, round(figure.value, 3)))
                figures.append(figure)
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
                if key in seen or (year, round(value, 3)) in tabled:
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
        clause = re.sub(
            r"\d[\d\s\u00a0]*(?:,\d+)?\s*(?:ton|kg|kiloton|kton|megaton|mton)\b.*$", "", part
        )  # an earlier figure
        clause = YEAR_RE.sub("", clause)
        clause = re.sub(r"^\s*(?:CO2e?|Co2e|ton)\b", "", clause, flags=re.I)
        clause = re.sub(r"\s+", " ", clause).strip()
        for _ in range(4):
            clause = _FILLER.sub("", clause).strip()
        if len(clause) >= 6 and re.search(r"[a-zåäö]{4}", clause) and not _PRONOUNS.fullmatch(clause):
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


# ----------------------------------------------------------------------------- flattened tables
# A table flattened by PDF extraction is a run of short lines: a header that names the unit
# ("Kiloton CO2e 2019", "Utsläpp, kiloton CO2e"), then label and value lines in turn ("Transporter",
# "168"; "2010", "421"). Segmentation cannot keep a lone number (it looks like a page number), so
# such a table is read from the document's lines. A label that is a year is the figure's year; else
# the label names a sector and the header's year is the year. Only a table whose header lies in the
# municipality's own text counts.
_TABLE_HEADER = re.compile(
    r"^\s*(?:(?P<what>[A-ZÅÄÖa-zåäö][\wåäö ,-]{0,40}?),\s*)?(?P<unit>kiloton|kton|ton|megaton|mton)\s+"
    r"(?:CO2e?|CO2-ekv\.?|koldioxidekvivalenter)(?:\s+(?P<year>(?:19|20)\d\d))?\s*$",
    re.I,
)
_TABLE_VALUE = re.compile(r"^\s*(\d{1,3}(?:[ \u00a0]\d{3})*(?:,\d+)?)\s*$")
_TABLE_LABEL = re.compile(r"^\s*([A-ZÅÄÖ0-9][\wåäöÅÄÖ ,&/()-]{0,40}?)\s*$")
MAX_TABLE_ROWS = 40


def _table_figures(text: str, paragraphs: Sequence[Paragraph]) -> list[EmissionFigure]:
    if "CO2" not in text and "koldioxidekvivalenter" not in text:
        return []
    lines = text.split("\n")
    found: list[EmissionFigure] = []
    for i, line in enumerate(lines):
        header = _TABLE_HEADER.match(line)
        if header is None or len(line) > 60:
            continue
        owner = next((p for p in paragraphs if line.strip() in p.text), None)
        if owner is None:
            continue  # the header is in template text, or in no paragraph of the municipality's own
        factor = {"kiloton": 1e3, "kton": 1e3, "ton": 1.0, "megaton": 1e6, "mton": 1e6}[header.group("unit").lower()]
        header_year = int(header.group("year")) if header.group("year") else None
        what = header.group("what") or "utsläpp"
        rows = 0
        j = i + 1
        while j + 1 < len(lines) and rows < MAX_TABLE_ROWS:
            label, value = _TABLE_LABEL.match(lines[j]), _TABLE_VALUE.match(lines[j + 1])
            if (
                label is None
                or value is None
                or (_TABLE_VALUE.match(lines[j]) and not YEAR_RE.fullmatch(lines[j].strip()))
            ):
                break
            name = label.group(1).strip()
            year = int(name) if YEAR_RE.fullmatch(name) else header_year
            number = float(re.sub(r"[ \u00a0]", "", value.group(1)).replace(",", "."))
            description = what if YEAR_RE.fullmatch(name) else f"{what}, {name}"
            found.append(EmissionFigure(year, round(number * factor, 6), _qualified(description, owner), owner.pid))
            rows += 1
            j += 2
    return found
