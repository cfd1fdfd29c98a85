"""Named organisations in the municipality's own text: companies, universities, research
institutes, networks, municipal companies, authorities, schools, associations and regional bodies.

General patterns, so that unseen documents work: a company name ending in "AB" (municipal
when it starts with a municipality's name); "Högskolan X", "X universitet"; "X Science
Park"; a name defined by an acronym in parentheses ("Svenska miljöinstitutet (IVL)");
institution nouns ("Klimatsekretariatet", "…institutet"); a municipality-like name followed
by a utility word ("Skellefteå Kraft", "Övik Energi"); the members of an enumeration after
"nätverk … exempelvis". A small lexicon gives the *kind* of well-known acronyms and
networks (RISE, SEI, CDP, WWF, NetZeroCities …); it is a list of types, not of answers.

Partners named inside running prose ("tillsammans med Tornedalens folkhögskola", "i samarbete
med Sparbanken Nord") are found by the *head* of their name: folkhögskola, sparbank,
kollektivtrafikmyndighet, miljöförbund, kommunalförbund, miljönämnd, hushållningssällskap,
studieförbund; and public bodies by name from a reference list of public facts
(data/reference/offentliga-organisationer.csv: the 21 regions, the regional public transport
authorities and traffic companies, the universities and university colleges, the national
study associations). A capitalised function word that starts a sentence is never part of a
name ("Med Tornedalens folkhögskola" → "Tornedalens folkhögskola"), and a head alone is generic
("Folkhögskolan", "Hushållningssällskapet" without a place is kept only as the one society).
Template paragraphs are not read, so the template's C40 or UN-Habitat never count.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from ..models import Document, Organisation, Paragraph
from ..reference import Gazetteer, PublicBody, public_bodies
from .parties import AGENCIES

_CAP = r"[A-ZÅÄÖ][\wåäöÅÄÖ&\-]*"
_COMPANY = re.compile(rf"\b({_CAP}(?:\s+(?:{_CAP}|och|&))*?)\s+AB\b")
_UNIVERSITY = re.compile(
    rf"\b(Högskolan\s+(?:i\s+)?{_CAP}|{_CAP}(?:\s+tekniska)?\s+(?:universitet|högskola)|Kungliga\s+Tekniska\s+högskolan"
    r"|[A-ZÅÄÖ][a-zåäöé]+universitetet)\b"
)
_PARK = re.compile(rf"\b({_CAP}(?:\s+{_CAP})?\s+Science\s+Park|Science\s+Park\s+{_CAP})\b")
# public bodies named with their region: "Region Skåne", "Länsstyrelsen i Dalarnas län", "Länsstyrelsen Västerbotten"
_PUBLIC = re.compile(rf"\b(Region\s+{_CAP}|Länsstyrelsen\s+(?:i\s+)?{_CAP}(?:\s+län)?)")
_ACRONYM = re.compile(r"\(([A-ZÅÄÖ]{2,6})\)")
_FUNCTION_WORDS = {
    "och",
    "eller",
    "samt",
    "från",
    "med",
    "i",
    "av",
    "till",
    "för",
    "hos",
    "vid",
    "genom",
    "inom",
    "som",
}
_UTILITY = re.compile(rf"\b({_CAP})\s+(Energi|Kraft|Vatten|Bostäder|Buss|Hamn|Energi)s?\b", re.I)
_NETWORK_LIST = re.compile(r"nätverk[^.]*?(?:exempelvis|till exempel|bland annat|t\.ex\.|såsom)\s+([^.]+)", re.I)
# Swedish institution nouns: "Klimatsekretariatet", "Miljöinstitutet", "Energikontoret Mälardalen"
_INSTITUTION = re.compile(r"\b([A-ZÅÄÖ][a-zåäö]+(?:institutet|sekretariatet|kontoret|förbundet))\b(?!\s*\()")
# A gazetteer of organisation TYPES (how Swedish names of a kind end or begin), not of names:
# authorities "Upphandlingsmyndigheten", "Boverket"; schools "Kvarnskolan", "Viksjö gymnasium";
# associations "Naturskyddsföreningen i Järfälla", "Föreningen Framtidsstaden"; housing "Järfallahem",
# "Familjebostäder". A suffix word at the start of a sentence must name something specific:
# a bare generic compound ("Grundskolan", "Myndigheten", "Föreningen") is not a name.
_TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("authority", re.compile(r"\b([A-ZÅÄÖ][a-zåäö]{1,}(?:myndigheten|verket|inspektionen))\b")),
    ("school", re.compile(r"\b([A-ZÅÄÖ][a-zåäö]{2,}(?:skolan|gymnasiet)|[A-ZÅÄÖ][a-zåäö]+(?:s)?\s+gymnasium)\b")),
    (
        "association",
        re.compile(
            r"\b([A-ZÅÄÖ][a-zåäö]{2,}föreningen(?:\s+i\s+[A-ZÅÄÖ][a-zåäö]+|\s+[A-ZÅÄÖ][a-zåäö]+(?![a-zåäö]))?"
            r"|Föreningen\s+[A-ZÅÄÖ][\wåäö-]+)"
        ),
    ),
    ("municipal_company", re.compile(r"\b([A-ZÅÄÖ][a-zåäö]{2,}-?(?:hem|bostäder|bostaden))\b")),
)
# generic compounds that are kinds of things, not names ("Grundskolan", "Förvaltningsmyndigheten")
_GENERIC_STEMS = frozenset(
    [
        "grund",
        "gymnasie",
        "hög",
        "folkhög",
        "sär",
        "yrkes",
        "kultur",
        "mellan",
        "låg",
        "stat",
        "förvaltning",
        "tillsyn",
        "kommun",
        "besluts",
        "ansvar",
        "central",
        "sektor",
        "bostad",
        "ideell",
        "ekonomisk",
        "intresse",
        "hyresgäst",
        "bostadsrätt",
        "äldre",
        "vård",
        "hyre",
        "barn",
        "ungdom",
        "special",
        "fri",
        "privat",
        "stor",
        "små",
        "verk",
        "myndighet",
        "skol",
        "för",
    ]
)
_TYPE_SUFFIX = re.compile(r"(?:myndigheten|verket|inspektionen|skolan|gymnasiet|föreningen|hem|bostäder|bostaden)$")


def _generic(name: str) -> bool:
    stem = _TYPE_SUFFIX.sub("", name.split()[0].casefold())
    return stem in _GENERIC_STEMS or stem.removesuffix("s") in _GENERIC_STEMS


_HOUSING_COMMON = re.compile(r"(?:^|[^a-zåäö])(?:Hem|Bostäder|Bostaden|Äldreboendehem|Vårdhem|Hyreshem)$")
LEXICON = {
    "RISE": "research",
    "SEI": "research",
    "IVL": "research",
    "SMHI": "research",
    "VTI": "research",
    "CDP": "network",
    "WWF": "network",
    "ICLEI": "network",
    "C40": "network",
    "NetZeroCities": "network",
    "Klimatkommunerna": "network",
    "Fossilfritt Sverige": "network",
    "Covenant of Mayors": "network",
    "Eurocities": "network",
    "Fairtrade": "network",
    "Klimatsekretariatet": "other",
    "Energikontoren Sverige": "network",
    "Sveriges Kommuner och Regioner": "network",
    "SKR": "network",
    "KTH": "university",
    "Chalmers": "university",
}
_NOT_ORGS = {"Viable Cities", "Klimatkontrakt", *AGENCIES}
_NAME_WORD = r"[A-ZÅÄÖ][\wåäöÅÄÖ&\-]*"
_PLACE = rf"{_NAME_WORD}(?:\s+{_NAME_WORD})?"
# names recognised by their head word (the kind of body they are), in running prose
_HEADS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("school", re.compile(rf"\b({_PLACE}\s+folkhögskola|Folkhögskolan\s+(?:i\s+)?{_PLACE})s?\b")),
    ("company", re.compile(rf"\b(Sparbanken\s+{_PLACE}|{_PLACE}\s+[Ss]parbank)s?\b")),
    (
        "authority",
        re.compile(
            rf"\b({_PLACE}\s+(?:kollektivtrafikmyndighet|[a-zåäö]*förbund|miljö-\s+och\s+hälsoskyddsnämnd|"
            rf"miljönämnd)|(?:Miljöförbundet|Kommunalförbundet|Kollektivtrafikmyndigheten|Miljönämnden|"
            rf"Miljö-\s+och\s+hälsoskyddsnämnden)\s+(?:i\s+)?{_PLACE}(?:\s+län)?)s?\b"
        ),
    ),
    (
        "association",
        re.compile(
            rf"\b(Hushållningssällskapet(?:\s+(?:i\s+)?{_PLACE})?|{_PLACE}\s+hushållningssällskap|Studieförbundet\s+{_PLACE})s?\b"
        ),
    ),
)
# an apposition names its body: "det kommunala bostadsbolaget Mimer", "föreningen Cykelfrämjandet",
# "stiftelsen Skogen", "energibolaget Jämtkraft" (a lower-case kind word, then the capitalised name)
_APPOSITION = re.compile(
    r"\b(?P<owned>kommunala\s+|kommunägda\s+|regionala\s+)?(?P<kind>(?:[a-zåäö]*|[A-ZÅÄÖ][a-zåäö]{2,}|I)(?:bolaget|föreningen|stiftelsen|förbundet|företaget|koncernen|nkubatorn|"
    r"klustret|nätverket))"
    rf"\s+(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})"
)
_APPOSITION_KIND = {
    "bolaget": "company",
    "föreningen": "association",
    "stiftelsen": "other",
    "förbundet": "association",
    "företaget": "company",
    "koncernen": "company",
    "inkubatorn": "research",
    "klustret": "network",
    "nätverket": "network",
}
# a name the next words say is a body: "Gavlegårdarna, kommunens bostadsbolag, …", "Holmen, som driver
# pappersbruket …", "NSR, det avfallsbolag som …", "Gästrike Återvinnare, ett kommunalförbund som …"
_DESCRIBED = re.compile(
    rf"(?P<name>{_NAME_WORD}(?:\s+(?:i\s+)?{_NAME_WORD}){{0,2}}),\s+"
    r"(?:som\s+(?:driver|äger|ägs|producerar|förvaltar|levererar)\b|"
    r"(?:det|den|ett|en|kommunens|kommunägda|regionens|vårt|vår)\s+(?:[a-zåäö-]+\s+){0,2}?"
    r"(?P<head>[a-zåäö-]*(?:bolag|förbund|företag|samarbete|förening|koncern|stiftelse|kooperativ|inkubator))\w*\b)"
)
# capitalised words that start a sentence or a clause, never the first word of a name
_LEADING = frozenset(
    [
        "med",
        "och",
        "i",
        "vi",
        "det",
        "den",
        "de",
        "där",
        "när",
        "som",
        "från",
        "till",
        "för",
        "inom",
        "hos",
        "av",
        "samt",
        "även",
        "både",
        "tillsammans",
        "genom",
        "under",
        "efter",
        "enligt",
        "mellan",
        "via",
        "vår",
        "våra",
        "vårt",
        "kommunen",
        "detta",
        "dessa",
        "här",
    ]
)
# the generic word alone after a head is no place: "Hushållningssällskapet Och", "Folkhögskolan Ska"
_NOT_PLACES = frozenset(["och", "eller", "samt", "ska", "har", "är", "kan", "vill", "som", "med", "i", "på"])


def _trim(name: str) -> str | None:
    words = name.split()
    while words and words[0].casefold() in _LEADING:
        words.pop(0)
    while words and words[-1].casefold() in _NOT_PLACES:
        words.pop()
    return " ".join(words) if len(words) >= 1 else None


@functools.lru_cache(maxsize=1)
def _lexicon_pattern() -> re.Pattern[str]:
    """The lexicon's names as whole words, one pass over a paragraph instead of one search per name."""
    names = sorted(LEXICON, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")


@functools.lru_cache(maxsize=1)
def _body_pattern() -> tuple[re.Pattern[str], dict[str, PublicBody]]:
    bodies = public_bodies()
    by_surface: dict[str, PublicBody] = {}
    for body in bodies:
        by_surface[body.name] = body
        for alias in body.aliases:
            by_surface[alias] = body
    surfaces = sorted(by_surface, key=len, reverse=True)
    pattern = re.compile(r"(?<![\wÅÄÖåäö-])(" + "|".join(re.escape(s) for s in surfaces) + r")s?(?![\wÅÄÖåäö-])")
    return pattern, by_surface


def extract_organisations(
    document: Document, paragraphs: Sequence[Paragraph], gazetteer: Gazetteer
) -> list[Organisation]:
    found: dict[str, Organisation] = {}

    def add(name: str, kind: str, pid: str) -> None:
        name = re.sub(r"\s+", " ", name).strip(" ,.")
        if len(name) < 2 or name in _NOT_ORGS or name in gazetteer.by_name:
            return
        if any(key.startswith(name.casefold()) for key in found):
            return  # "Avesta Vatten" after "Avesta Vatten och Avfall AB"
        found[name.casefold()] = Organisation(name, kind, pid)  # type: ignore[arg-type]

    municipality_names = set(gazetteer.by_name)
    for p in paragraphs:
        text = p.text
        for m in _COMPANY.finditer(text):
            name = m.group(1)
            if " och " in name and re.search(r"\bi\s+$", text[: m.start()]):
                name = name.rsplit(" och ", 1)[
                    1
                ]  # "Länstrafiken i Norrbotten och Norrtåg AB": the place is not the company's
            first = name.split()[0]
            owned = first in municipality_names or first.removesuffix("s") in municipality_names
            add(f"{name} AB", "municipal_company" if owned else "company", p.pid)
        for m in _UNIVERSITY.finditer(text):
            add(m.group(1), "university", p.pid)
        for m in _PARK.finditer(text):
            add(m.group(1), "research", p.pid)
        for m in _ACRONYM.finditer(text):
            name = _name_before(text, m.start())
            if name:
                add(f"{name} ({m.group(1)})", LEXICON.get(m.group(1), _kind_from_name(name)), p.pid)
        for m in _PUBLIC.finditer(text):
            add(m.group(1), "region", p.pid)
        for kind, pattern in _TYPE_PATTERNS:
            for m in pattern.finditer(text):
                name = m.group(1)
                if _generic(name) or _HOUSING_COMMON.search(name):
                    continue
                if kind == "municipal_company":
                    first = re.split(r"-?(?:hem|bostäder|bostaden)$", name)[0].removesuffix("s")
                    kind_here = "municipal_company" if first in municipality_names else "company"
                    add(name, kind_here, p.pid)
                else:
                    add(name, kind, p.pid)
        for m in _UTILITY.finditer(text):
            owner = m.group(1)
            if owner in municipality_names or (owner[:1].isupper() and m.group(2)[:1].isupper()):
                add(f"{owner} {m.group(2).capitalize()}", "municipal_company", p.pid)
        for m in _NETWORK_LIST.finditer(text):
            for item in re.split(r",\s*|\s+och\s+|\s+samt\s+", m.group(1)):
                item = item.strip()
                if re.fullmatch(r"[A-ZÅÄÖ][\wåäöÅÄÖ-]*(?:\s[A-ZÅÄÖ][\wåäö-]*){0,3}", item):
                    add(item, LEXICON.get(item, "network"), p.pid)
        for m in _INSTITUTION.finditer(text):
            name = m.group(1)
            add(name, LEXICON.get(name, "research" if name.endswith("institutet") else "other"), p.pid)
        for m in _lexicon_pattern().finditer(text):
            add(m.group(1), LEXICON[m.group(1)], p.pid)
        for kind, pattern in _HEADS:
            for m in pattern.finditer(text):
                trimmed = _trim(m.group(1))
                if trimmed and len(trimmed.split()) >= 1 and trimmed.split()[0][:1].isupper():
                    add(trimmed, kind, p.pid)
        for m in _APPOSITION.finditer(text):
            trimmed = _trim(m.group("name"))
            if not trimmed or trimmed.casefold() in _LEADING or trimmed.split()[0] in municipality_names:
                continue
            suffix = next(k for k in _APPOSITION_KIND if m.group("kind").casefold().endswith(k[1:]))
            kind = _APPOSITION_KIND[suffix]
            if suffix == "bolaget" and m.group("owned") and "kommun" in m.group("owned"):
                kind = "municipal_company"
            add(trimmed, kind, p.pid)
        for m in _DESCRIBED.finditer(text):
            trimmed = _trim(m.group("name"))
            if not trimmed or re.search(r"[A-ZÅÄÖ][\wåäö-]*\s+och\s+$", text[max(0, m.start() - 40) : m.start()]):
                continue  # "Norrköping Vatten och Avfall, som …": the tail of a longer name
            head = (m.group("head") or "").casefold()
            described = m.group(0)[len(m.group("name")) :]
            if "bolag" in head and "kommun" in described:
                kind = "municipal_company"
            elif "förbund" in head:
                kind = "authority" if "kommunal" in head else "association"
            elif "samarbete" in head:
                kind = "network"
            elif "förening" in head:
                kind = "association"
            else:
                kind = "company"
            add(trimmed, kind, p.pid)
        bodies, by_surface = _body_pattern()
        for m in bodies.finditer(text):
            body = by_surface[m.group(1)]
            add(body.name, body.kind, p.pid)
    return _without_parts(list(found.values()))


def _without_parts(found: list[Organisation]) -> list[Organisation]:
    """A name that is a whole-word part of a longer name found in the same paragraph is that name's
    part, not an organisation of its own ("Studieförbundet" in "Studieförbundet Vuxenskolan")."""
    kept = []
    for org in found:
        part_of = any(
            other is not org
            and other.evidence == org.evidence
            and len(other.name) > len(org.name)
            and re.search(rf"(?<![\wåäöÅÄÖ]){re.escape(org.name)}(?![\wåäöÅÄÖ])", other.name)
            for other in found
        )
        if not part_of:
            kept.append(org)
    return kept


def _name_before(text: str, position: int) -> str | None:
    """The name an acronym in parentheses defines: up to four words back, stopping at a
    function word or punctuation, starting at a capital ("Svenska miljöinstitutet (IVL)")."""
    words: list[str] = []
    for word in reversed(text[:position].rstrip().split(" ")):
        if not word or word.casefold() in _FUNCTION_WORDS or re.search(r"[,.;:()]$", word) or len(words) == 4:
            break
        words.insert(0, word)
    while words and not words[0][:1].isupper():
        words.pop(0)
    return " ".join(words) or None


def _kind_from_name(name: str) -> str:
    lowered = name.casefold()
    if re.search(r"universitet|högskol", lowered):
        return "university"
    if re.search(r"institut|forskning", lowered):
        return "research"
    if re.search(r"nätverk|förbund|förening", lowered):
        return "network"
    return "other"
