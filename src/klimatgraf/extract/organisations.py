"""Named organisations in the municipality's own text: companies, universities, research
institutes, networks and municipal companies.

General patterns: a company name ending in "AB"; "Högskolan X", "X universitet"; "X Science
Park"; "Name (ACRONYM)"; institution nouns ("Klimatsekretariatet", "…institutet"); a municipality name followed by a utility word ("Skellefteå Kraft",
"Övik Energi"); the members of an enumeration after "nätverk … exempelvis"; and a small
lexicon of well-known acronyms with their kind (RISE, SEI, CDP, WWF …).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import Document, Organisation, Paragraph
from ..reference import Gazetteer
from .parties import AGENCIES

_CAP = r"[A-ZÅÄÖ][\wåäöÅÄÖ&\-]*"
_COMPANY = re.compile(rf"\b({_CAP}(?:\s+(?:{_CAP}|och|&))*?)\s+AB\b")
_UNIVERSITY = re.compile(
    rf"\b(Högskolan\s+(?:i\s+)?{_CAP}|{_CAP}\s+(?:universitet|högskola)|Kungliga\s+Tekniska\s+högskolan)\b"
)
_PARK = re.compile(rf"\b({_CAP}(?:\s+{_CAP})?\s+Science\s+Park)\b")
_ACRONYM_DEF = re.compile(rf"\b({_CAP}(?:\s+{_CAP})*)\s+\(([A-ZÅÄÖ]{{2,6}})\)")
_UTILITY = re.compile(rf"\b({_CAP})\s+(Energi|Kraft|Vatten|Bostäder|Buss|Hamn|Energi)s?\b", re.I)
_NETWORK_LIST = re.compile(r"nätverk[^.]*?(?:exempelvis|till exempel|bland annat|t\.ex\.|såsom)\s+([^.]+)", re.I)
# Swedish institution nouns: "Klimatsekretariatet", "Miljöinstitutet", "Energikontoret Mälardalen"
_INSTITUTION = re.compile(r"\b([A-ZÅÄÖ][a-zåäö]+(?:institutet|sekretariatet|kontoret|förbundet))\b(?!\s*\()")
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
            first = m.group(1).split()[0]
            add(f"{m.group(1)} AB", "municipal_company" if first in municipality_names else "company", p.pid)
        for m in _UNIVERSITY.finditer(text):
            add(m.group(1), "university", p.pid)
        for m in _PARK.finditer(text):
            add(m.group(1), "research", p.pid)
        for m in _ACRONYM_DEF.finditer(text):
            add(f"{m.group(1)} ({m.group(2)})", LEXICON.get(m.group(2), "other"), p.pid)
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
        for name, kind in LEXICON.items():
            if re.search(rf"\b{re.escape(name)}\b", text):
                add(name, kind, p.pid)
    return list(found.values())
