"""The cover of a contract, read however PDF extraction left it.

The covers of the 2020 editions are set in capitals, and extraction breaks those lines with stray
spaces *inside* words ("MELLAN ENK ÖPINGS KOMMUN OCH MYNDIG HETERNA", "11 DEC EMBER 2020") or
spaces a title's letters out ("K L I M A T K O N T R A K T"). Words cannot be rebuilt from such a
line, but they can be found in it once every space is gone: `squash` folds case and accents and
drops all whitespace, and the readers below look for the cover's fixed words and for the
gazetteer's names in that form. The opening is the text before the table of contents or the
first numbered section, so a date or name in the body never counts as the cover's.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from .swedish import MONTHS, fold

if TYPE_CHECKING:
    from .models import Municipality
    from .reference import Gazetteer

OPENING_LINES = 40  # a cover is a title, a parties block, a date or version line, and page furniture
COVER_BLOCK_LINES = 5  # "Mellan X kommun och myndigheterna", the agencies over a few lines, "samt Viable Cities"
# the cover block names the agencies as a group or one by one, or Viable Cities
PARTIES_NAMED = re.compile(r"myndigheterna|viablecities|energimyndighet|vinnova|tillvaxtverket|trafikverket|formas")
# a table of contents, or a numbered section ("1.\t Syftet", "3.1. Klimatmål", "2\tParter")
_END_OF_OPENING = re.compile(
    r"^\s*(?:innehåll(?:sförteckning)?\b|\d{1,2}(?:\.\d{1,2})*\.[ \t]+\S|\d{1,2}\t)", re.IGNORECASE
)
_MONTH = "|".join(MONTHS)
_SQUASHED_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})({_MONTH})(\d{{4}})(?!\d)")
_ISO_DATE = re.compile(r"(?<!\d)(20\d\d)-(\d\d)-(\d\d)(?!\d)")
_SQUASHED_VERSION = re.compile(r"^(?:version(20\d\d)(?:[-–/](?:20)?\d\d)?)+$")


def squash(text: str) -> str:
    """Case- and accent-folded, every whitespace character removed: "MYNDIG HETERNA" → "myndigheterna"."""
    return re.sub(r"\s+", "", fold(text, strip_accents=True))


def opening(text: str) -> list[str]:
    """The lines before the table of contents or the first numbered section (at most 40 lines)."""
    lines: list[str] = []
    for line in text.split("\n")[: OPENING_LINES * 3]:
        if _END_OF_OPENING.match(line):
            break
        if line.strip():
            lines.append(line)
        if len(lines) >= OPENING_LINES:
            break
    return lines


def cover_municipality(text: str, gazetteer: Gazetteer) -> Municipality | None:
    """ "Mellan X kommun och myndigheterna …" on the cover, in any case and however the words are broken;
    X may be in the genitive ("Enköpings", "Uppsalas") and a name ending in s keeps its form ("Borås").

    Only a line that *starts* with "Mellan" and is followed, within the cover block, by the agencies or
    Viable Cities counts: a sentence of an opening that speaks of cooperation "mellan X kommun och Y
    kommun" names a partner, not the parties."""
    lines = [squash(line) for line in opening(text)]
    keys = _squashed_names(gazetteer)
    longest = max(len(k) for k in keys)
    for i, line in enumerate(lines):
        if not line.startswith("mellan"):
            continue
        block = "".join(lines[i : i + COVER_BLOCK_LINES])
        if not PARTIES_NAMED.search(block):
            continue
        after = block[len("mellan") : len("mellan") + longest + 8]
        for size in range(min(longest, len(after)), 1, -1):
            if after[:size] in keys and re.match(r"s?(?:kommun|stad)", after[size:]):
                return keys[after[:size]]
    return None


def _squashed_names(gazetteer: Gazetteer) -> dict[str, Municipality]:
    cached: dict[str, Municipality] | None = getattr(gazetteer, "_squashed", None)
    if cached is None:
        cached = {squash(m.name).replace("-", ""): m for m in gazetteer.municipalities}
        cached.update({squash(m.name): m for m in gazetteer.municipalities})
        gazetteer._squashed = cached  # type: ignore[attr-defined]
    return cached


def cover_date(text: str, *, anywhere: bool = False) -> date | None:
    """A date standing on the cover: "11 DECEMBER 2020", "11 DEC EMBER 2020", "2020-12-11". With
    `anywhere`, the first date in words of any line of `text`, however broken (a signing section)."""
    for line in text.split("\n") if anywhere else opening(text):
        squashed = squash(line)
        found = _SQUASHED_DATE.search(squashed)
        if found and (anywhere or len(squashed) - len(found.group(0)) <= 40):  # a date line, not a dated sentence
            try:
                return date(int(found.group(3)), MONTHS[found.group(2)], int(found.group(1)))
            except ValueError:
                continue
        iso = _ISO_DATE.search(squashed)
        if iso and len(squashed) <= 20:
            try:
                return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
            except ValueError:
                continue
    return None


def cover_version(text: str) -> str | None:
    """A version line of the yearly editions, repeated or broken: "VERSION 2022", "VERSI ON 2022 VERSION 2022"."""
    for line in opening(text):
        found = _SQUASHED_VERSION.match(squash(line))
        if found and not re.search(r"[-–/]", line):
            return found.group(1)
    return None


def cover_title(text: str) -> bool:
    """Whether the cover names a Klimatkontrakt, letters spaced out or not."""
    return "klimatkontrakt" in squash(" ".join(opening(text)))
