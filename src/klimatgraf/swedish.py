"""Swedish text as it appears in contracts: the one text fold, numbers and dates.

"57 215 ton", "1 108 880", "44,8 %", "1,2 miljoner", "590 tusen", "5 december 2025".
Thousands are grouped by spaces (ordinary, no-break or thin), decimals use a comma.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal


def fold(text: str, *, strip_accents: bool = False) -> str:
    """The project's one text fold: casefolded, whitespace runs made one space, ends trimmed.

    The key under which identical paragraphs collapse and snippets match. `strip_accents`
    also drops diacritics (NFKD, combining marks removed), so "Örnsköldsvik" and
    "ornskoldsvik" fold alike: the key for names a user may type without å/ä/ö.
    """
    folded = " ".join(text.casefold().split())
    if not strip_accents:
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


MONTHS = {
    "januari": 1,
    "februari": 2,
    "mars": 3,
    "april": 4,
    "maj": 5,
    "juni": 6,
    "juli": 7,
    "augusti": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}
MULTIPLIERS = {"tusen": 1e3, "miljon": 1e6, "miljoner": 1e6, "milj.": 1e6, "miljard": 1e9, "miljarder": 1e9}

_SPACE = "[ \u00a0\u202f\u2009]"
# A number: digit groups of three after the first group, separated by one space-like char; optional decimal comma.
NUMBER_RE = re.compile(rf"(?<![\d,.])(\d{{1,3}}(?:{_SPACE}\d{{3}})+|\d+)(?:,(\d+))?(?![\d])")
NUMBER_WITH_MULTIPLIER_RE = re.compile(
    rf"{NUMBER_RE.pattern}(?:{_SPACE}*(tusen|miljoner|miljon|milj\.|miljarder|miljard)\b)?", re.IGNORECASE
)
DATE_RE = re.compile(r"\b(\d{1,2})\s+(" + "|".join(MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)


def parse_number(text: str) -> float:
    """'1 108 880' → 1108880.0, '44,8' → 44.8, '1,2 miljoner' → 1200000.0. Raises ValueError."""
    match = NUMBER_WITH_MULTIPLIER_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a Swedish number: {text!r}")
    return number_from_match(match)


def number_from_match(match: re.Match[str]) -> float:
    whole = re.sub(_SPACE, "", match.group(1))
    value = float(f"{whole}.{match.group(2)}") if match.group(2) else float(whole)
    multiplier = match.group(3) if match.re.groups >= 3 else None
    if multiplier:
        value *= MULTIPLIERS[multiplier.lower()]
    return value


def format_number(value: float) -> str:
    """The inverse of parse_number for display: 1108880 → '1 108 880', 44.8 → '44,8'."""
    # the shortest decimal that reads back as the same float (a fixed '.10f' turned 1048576.1
    # into '1048576,1000000001'; found by the round-trip property test)
    number = float(value)
    plain = str(int(number)) if number.is_integer() else format(Decimal(repr(number)), "f")
    whole, _, frac = plain.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return sign + " ".join(groups) + (f",{frac}" if frac else "")


def parse_date(text: str) -> date:
    """'5 december 2025' → date(2025, 12, 5). Raises ValueError."""
    match = DATE_RE.search(text)
    if match is None:
        raise ValueError(f"no Swedish date in {text!r}")
    return date(int(match.group(3)), MONTHS[match.group(2).lower()], int(match.group(1)))


def format_date(value: date) -> str:
    names = {v: k for k, v in MONTHS.items()}
    return f"{value.day} {names[value.month]} {value.year}"
