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


SWEDISH_LETTERS = frozenset("åäöÅÄÖ")
# what a keyboard without å, ä and ö turns them into: a ← å, ä; o ← ö
_TYPED = str.maketrans("åäöÅÄÖ", "aaoAAO")
_READING_ORDER = {"å": 1, "ä": 2, "ö": 1}  # a before å before ä, o before ö


def typed_without_diacritics(text: str) -> str:
    """`text` as a keyboard without å, ä and ö types it ("återvinning" → "atervinning")."""
    return text.translate(_TYPED)


def reading_order(word: str) -> tuple[int, ...]:
    """Sort key among the words a keyboard without å, ä and ö types alike: the word without them
    first, then by the first letter that has one (a < å < ä, o < ö)."""
    return tuple(_READING_ORDER.get(c, 0) for c in word)


def in_case_of(typed: str, word: str) -> str:
    """`word` (lower case) in the case `typed` was written in: all capitals ("ÅTERVINNING"), a
    capital first ("Återvinning"), or lower case."""
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    return word[0].upper() + word[1:] if typed[:1].isupper() else word


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


# Abbreviations after which a full stop does not end a sentence (lowercase, without the final
# stop): "t.ex. Umeå", "bl.a. Avesta", "ca. 30", "kap. 4", "nr. 5", "s.k. gröna obligationer".
_ABBREVIATIONS = (
    "t.ex bl.a ca cirka kap nr s.k dvs d.v.s p.g.a pga jfr resp inkl exkl enl ang avd f.d fr.o.m t.o.m "
    "m.a.o e.d o.d sid ev kl tel prop dnr"
)
ABBREVIATIONS = frozenset(_ABBREVIATIONS.split())
# abbreviations and units that often end a sentence too ("… transporter m.m. Kommunen …",
# "… 30 mkr. Beslutet …"): a capitalised word after them starts a new sentence
_CLOSING_ABBREVIATIONS = frozenset("m.m m.fl osv o.s.v etc st kr mkr tkr milj".split())  # noqa: SIM905
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’)]*\s+|\s+(?=[•▪◦])")


def split_sentences(text: str) -> list[str]:
    """`text` cut into sentences, the way Swedish contracts write them.

    A sentence ends at ".", "!", "?" or "…" followed by space and a capital letter, a digit, a
    quote or a bullet, and before a bullet ("•", "▪", "◦"). It does not end after an
    abbreviation ("t.ex.", "bl.a.", "ca.", "kap. 4"), a single letter ("s. 12", initials), or
    when a lower-case word follows ("2 st. per år"); "2.3" and "1,5" have no space to cut at.
    "m.m.", "osv.", "mkr." and the like end a sentence when a capitalised word follows.
    """
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end, after = match.end(), text[match.end() : match.end() + 1]
        stop = match.group().strip()
        if stop and not (after.isupper() or after.isdigit() or after in "\"“”'‘’•▪◦(–-"):
            continue
        if stop.startswith("."):
            before = text[start : match.start()].split()
            word = before[-1].lstrip("(\"“”'‘’").casefold() if before else ""
            if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
            if word in _CLOSING_ABBREVIATIONS and not after.isupper():
                continue
        sentence = text[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    if text[start:].strip():
        sentences.append(text[start:].strip())
    return sentences
