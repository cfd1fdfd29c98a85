"""Sweden's municipalities (kommuner.csv) and how they are named in running Swedish text.

A municipality is written as "Alvesta", "Alvesta kommun", "Alvestas" (genitive),
"Kristinehamns kommun" or "Örnsköldsvik Kommun"; this module turns all of those into one
`Municipality`, and finds every mention in a text with its position.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from . import swedish
from .errors import InputError

if TYPE_CHECKING:  # a search reads municipality names without the corpus models (one-shot CLI start-up)
    from .models import Municipality


def fold(text: str) -> str:
    """Case- and accent-insensitive key: "Örnsköldsvik" and "ornskoldsvik" fold alike."""
    return swedish.fold(text, strip_accents=True)


@dataclass(frozen=True)
class Mention:
    municipality: Municipality
    start: int
    end: int
    surface: str  # the text as written, e.g. "Kristinehamns kommun"
    with_kommun: bool  # followed by "kommun"/"kommuns"
    genitive: bool


class Gazetteer:
    """Lookup of municipalities by code, name and textual mention."""

    def __init__(self, municipalities: list[Municipality]) -> None:
        if not municipalities:
            raise InputError("the municipality reference list is empty; restore data/reference/kommuner.csv")
        self.municipalities = municipalities
        self.by_code = {m.kommunkod: m for m in municipalities}
        self.by_name = {m.name: m for m in municipalities}
        self._by_fold = {fold(m.name): m for m in municipalities}

    @classmethod
    def from_csv(cls, path: Path) -> Gazetteer:
        from .models import Municipality

        try:
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
        except FileNotFoundError:
            raise InputError(
                f"municipality reference {path} is missing; copy kommuner.csv into data/reference/"
            ) from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(
                f"municipality reference {path} is unreadable ({exc}); restore it from the repository"
            ) from None
        try:
            items = [
                Municipality(r["kommunkod"].zfill(4), r["kommun"].strip(), r["lanskod"].zfill(2), r["lan"].strip())
                for r in rows
            ]
        except (KeyError, AttributeError):
            raise InputError(f"{path} needs the columns kommunkod,kommun,lanskod,lan") from None
        return cls(items)

    def resolve(self, name_or_code: str) -> Municipality:
        """A municipality from a user's spelling: code, name, any case, with or without å/ä/ö."""
        key = name_or_code.strip()
        if key.isdigit() and key.zfill(4) in self.by_code:
            return self.by_code[key.zfill(4)]
        key = re.sub(r"\s+kommuns?$", "", key, flags=re.IGNORECASE)
        found = self._by_fold.get(fold(key))
        if found is None and key.endswith("s"):
            found = self._by_fold.get(fold(key[:-1]))
        if found is None:
            close = difflib.get_close_matches(fold(key), list(self._by_fold), n=1, cutoff=0.6)
            hint = f"; did you mean {self._by_fold[close[0]].name}?" if close else ""
            raise InputError(f"unknown municipality {name_or_code!r}{hint}")
        return found

    def suggest(self, name: str) -> str | None:
        close = difflib.get_close_matches(fold(name), list(self._by_fold), n=1, cutoff=0.6)
        return self._by_fold[close[0]].name if close else None

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        # Longest names first so that "Upplands Väsby" wins over a shorter overlap.
        names = sorted((m.name for m in self.municipalities), key=len, reverse=True)
        alternatives = "|".join(re.escape(n) for n in names)
        return re.compile(
            rf"(?<![\wÅÄÖåäö-])(?P<name>{alternatives})(?P<gen>s)?(?![\wÅÄÖåäö])(?P<kommun>\s+[Kk]ommun(?:s|en|ens)?\b)?"
        )

    def mentions(self, text: str) -> Iterator[Mention]:
        """Every municipality named in `text`, genitive forms included, in order."""
        for match in self._pattern.finditer(text):
            municipality = self.by_name[match.group("name")]
            yield Mention(
                municipality=municipality,
                start=match.start(),
                end=match.end(),
                surface=match.group(0),
                with_kommun=match.group("kommun") is not None,
                genitive=match.group("gen") is not None or (match.group("kommun") or "").rstrip().endswith("s"),
            )


_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_LONGEST_NAME = 3  # words: "Upplands Väsby", "Lilla Edet", "Dals-Ed"
_KOMMUN = frozenset({"kommun", "kommuns", "kommunen", "kommunens"})


def names_in_question(question: str, names: Iterable[str], common: Callable[[str], bool]) -> list[str]:
    """The `names` (municipalities) a typed question names, in the order named (`name_spans`)."""
    return list(dict.fromkeys(name for name, _, _ in name_spans(question, name_keys(names), common)))


def name_keys(names: Iterable[str]) -> dict[str, str]:
    """Folded name → name, the lookup `name_spans` matches a question's words against (made once)."""
    keys: dict[str, str] = {}
    for name in names:
        keys.setdefault(fold(name), name)
    return keys


def name_spans(question: str, keys: Mapping[str, str], common: Callable[[str], bool]) -> list[tuple[str, int, int]]:
    """Where a typed question names one of the municipalities in `keys` (`name_keys`): (name, start,
    end), in order; the span covers "kommun" after the name too.

    A user types "Alvesta", "alvesta", "Skellefteås", "ornskoldsvik" or "Kristinehamns kommun":
    words are matched case- and accent-insensitively, the genitive -s allowed. A name that is
    also an ordinary word ("Mark", "Vara", "Ale") counts only when capitalised inside the
    question, never lowercase or as its first word; `common(name)` says whether the name is an
    ordinary word (the caller knows its corpus: the name occurs there in lower case); "Vara
    kommun" is a name wherever it stands.
    """
    words = list(_WORD.finditer(question))
    found: list[tuple[str, int, int]] = []
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST_NAME, len(words) - i), 0, -1):
            span = words[i : i + size]
            key = " ".join(fold(w.group()) for w in span)
            named = keys.get(key) or (keys.get(key[:-1]) if key.endswith("s") else None)
            if named is None:
                continue
            first = span[0].group()
            capitalised = first[:1].isupper() and span[0].start() > 0
            kommun = i + size < len(words) and fold(words[i + size].group()) in _KOMMUN
            if capitalised or kommun or " " in named or "-" in named or not common(named):
                found.append((named, span[0].start(), (words[i + size] if kommun else span[-1]).end()))
            i += size - 1
            break
        i += 1
    return found


# ----------------------------------------------------------------------------- QUDT mass units
# Emission quantities are written "ton", "kiloton", "kt", "Mton", "kg". Each spelling is one of
# QUDT's units (data/reference/qudt-mass-units.csv: the unit IRI and QUDT's conversion multiplier
# to the SI unit, the kilogram), so a figure is converted to tonnes by QUDT's own factors.


@dataclass(frozen=True)
class MassUnit:
    iri: str  # http://qudt.org/vocab/unit/KiloTONNE
    multiplier: float  # QUDT's qudt:conversionMultiplier, to kilograms

    @property
    def to_tonnes(self) -> float:
        return self.multiplier / 1000.0


def mass_units(path: Path | None = None) -> dict[str, MassUnit]:
    """Lower-case spelling → QUDT unit ("kiloton" → unit:KiloTONNE, 1e6 kg)."""
    if path is None:
        from .resources import resource_path

        path = resource_path("reference", "qudt-mass-units.csv")
    return dict(_mass_units(str(path)))


@functools.lru_cache(maxsize=4)
def _mass_units(path: str) -> tuple[tuple[str, MassUnit], ...]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        (spelling.strip().casefold(), MassUnit(r["unit"], float(r["conversion_multiplier"])))
        for r in rows
        for spelling in r["spellings"].split("|")
    )


# ----------------------------------------------------------------------------- public bodies
# data/reference/offentliga-organisationer.csv: regions, regional public transport authorities,
# universities and study associations, by name (public facts; see data/reference/README.md).


@dataclass(frozen=True)
class PublicBody:
    name: str
    kind: str  # an organisation kind of models.OrgKind: "region", "authority", "university", "association"
    aliases: tuple[str, ...]  # acronyms as written ("SLU")


def public_bodies(path: Path | None = None) -> tuple[PublicBody, ...]:
    if path is None:
        from .resources import resource_path

        path = resource_path("reference", "offentliga-organisationer.csv")
    return _public_bodies(str(path))


@functools.lru_cache(maxsize=4)
def _public_bodies(path: str) -> tuple[PublicBody, ...]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        PublicBody(r["name"].strip(), r["kind"].strip(), tuple(a for a in (r["aliases"] or "").split("|") if a))
        for r in rows
    )
