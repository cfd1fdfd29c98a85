"""Steering documents (styrdokument) a contract refers to: title, year and URL.

From lists introduced as documents ("Nedan finns länkar till … dokumenten", "följande
styrande dokument:"): each item is a title; a year in parentheses or a trailing year or
range gives the year, and URLs that follow the list are paired with the items in order when
their counts match (otherwise by shared words between title and URL). Also from running
text where a plan is named as adopted with its date ("enligt antagen Energiplan
(2024-02-27)").

Steering documents are also named by title inside a sentence: a capitalised word ending in
plan, program, strategi, policy or färdplan (any form: "Trafikstrategin", "Klimat- och
energiprogrammet"), optionally followed by "för X kommun" and a year or range, standing inside
the sentence (a capital there marks a title; at the start of a sentence it must carry its "för
X kommun" or year). The bare heads ("Planen", "Strategin", "Handlingsplanen") are not titles.

A trailing year later than the document's own year is a horizon in the title
("Klimatneutrala Örnsköldsvik 2030"), not the year the document was issued, so it gives no
year. Items announced as forthcoming ("Kommande Klimat- och energiplan") do not exist yet
and are not referenced documents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..models import Document, Paragraph, SteeringDocument

_LEAD = re.compile(r"dokument|styrdokument|planer och program|länkar", re.I)
_URL_SPLIT = re.compile(r"\s+(?=https?://)")
_FORTHCOMING = re.compile(r"^(?:kommande|framtida|planerad|ny)\b", re.I)
_ADOPTED = re.compile(
    r"\b(?:antagen|antagna|antaget|beslutad|beslutade|beslutat)\s+"
    r"([A-ZÅÄÖ][\wåäö-]*(?:plan|program|programmet|strategi|strategin|policy|planen)\w*)\s*\((\d{4})(?:-\d\d-\d\d)?\)"
)


# "Bilaga 1 – länkar till dokument" of the yearly editions: each entry is a title followed by its URL
_LINK_ANNEX = re.compile(r"^Bilaga\b.*\b(?:länk\w*|dokument\w*)", re.I)
_LINKED = re.compile(r"^([A-ZÅÄÖ][^\n]{3,150}?)\s*:?\s+(https?://\S+)\s*$")


# a title in running text: "Klimat- och energistrategin för Lunds kommun 2021–2030", "Trafikstrategin", "Energiplan 2040"
_HEADS = r"(?:plan|program|strategi|policy|färdplan)(?:en|et|n|met)?"
_TITLE_IN_TEXT = re.compile(
    rf"(?P<title>[A-ZÅÄÖ][a-zåäö]*(?:-\s+(?:och|samt)\s+[a-zåäö]+)?{_HEADS})\b"
    r"(?P<owner>\s+för\s+[A-ZÅÄÖ][\wåäö]+(?:\s+[A-ZÅÄÖ][\wåäö]+)?s?(?:\s+(?:kommun|stad|kommunkoncern))?|"
    r"\s+[A-ZÅÄÖ][\wåäö]+(?=\s+(?:19|20)\d\d))?"
    r"(?P<year>\s+(?:19|20)\d\d(?:\s*[–-]\s*(?:19|20)?\d\d)?)?(?![\wåäö-])"
)
_STOP = r"(?:och|som|i|med|att|ska|är|under|till|från|har|kommer|för|av|på|samt|eller|vilket|där)\b"
# a title that starts with its head, inside a sentence: "enligt Policy för ekologisk hållbarhet", "Plan för klimatanpassning"
_HEAD_FIRST = re.compile(
    r"(?<=[a-zåäö,] )(?P<title>(?:Plan|Program|Strategi|Policy|Handlingsplan|Färdplan)\s+för\s+"
    rf"(?:(?!{_STOP})[a-zåäö-]+\s+){{0,3}}(?!{_STOP})[a-zåäö-]{{4,}})(?P<year>\s+(?:19|20)\d\d(?:\s*[–-]\s*(?:19|20)?\d\d)?)?(?=[\s.,;:)]|$)"
)
_GENERIC_TITLES = frozenset(
    [
        "plan",
        "planen",
        "program",
        "programmet",
        "strategi",
        "strategin",
        "policy",
        "policyn",
        "färdplan",
        "färdplanen",
        "handlingsplan",
        "handlingsplanen",
        "åtgärdsplan",
        "åtgärdsplanen",
        "verksamhetsplan",
        "verksamhetsplanen",
        "delplan",
        "delplanen",
        "klimatinvesteringsplan",
        "klimatinvesteringsplanen",
    ]
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:•▪◦]\s+|\n)\s*$")
# a document still to be written is not one the contract refers to: "den kommande Klimat- och energiplanen",
# "Under 2026 tas en Mobilitetspolicy fram"
_NOT_YET = re.compile(
    r"\b(?:kommande|framtida|planerade?|blivande)\s+$|\btas\s+(?:en\s+|ett\s+|nu\s+)?$|"
    r"\b(?:ta[rs]?|tagit|arbeta[rs]?|utarbeta[rs]?)\s+(?:vi\s+|kommunen\s+|man\s+)?fram\s+(?:en\s+|ett\s+|nu\s+)?"
    r"(?:ny\s+|nytt\s+)?$|"
    r"\butarbeta[rs]?\s+(?:en\s+|ett\s+)?$",
    re.I,
)


def _titles_in_text(paragraph: Paragraph, reference_year: int | None) -> list[tuple[str, int | None]]:
    found = []
    for m in _TITLE_IN_TEXT.finditer(paragraph.text):
        word = m.group("title")
        if len(word) < 6 or (word.casefold() in _GENERIC_TITLES and not (m.group("owner") or m.group("year"))):
            continue
        if _NOT_YET.search(paragraph.text[max(0, m.start() - 40) : m.start()]):
            continue
        at_start = bool(_SENTENCE_START.search(paragraph.text[: m.start()]))
        if at_start and not (m.group("owner") or m.group("year")):
            continue  # "Strategin följs upp" opens a sentence; only a title with its owner or year is one there
        title = re.sub(r"\s+", " ", m.group(0)).strip()
        found.append(_title_year(title, reference_year))
    for m in _HEAD_FIRST.finditer(paragraph.text):
        if not _NOT_YET.search(paragraph.text[max(0, m.start() - 40) : m.start()]):
            found.append(_title_year(re.sub(r"\s+", " ", m.group(0)).strip(), reference_year))
    return found


_ANNEX_TITLE = re.compile(r"^[A-ZÅÄÖ][^\n:]{3,120}$")


def _in_link_annex(paragraph: Paragraph) -> bool:
    return paragraph.kind != "heading" and any(_LINK_ANNEX.match(heading) for heading in paragraph.section[:1])


def _title_year(item: str, reference_year: int | None) -> tuple[str, int | None]:
    item = re.sub(r"\s+[-–]\s+[A-ZÅÄÖ]\S*(?:\s+\S+)?\s+(?:kommun|stad)$", "", item.strip().rstrip("."))  # page titles
    paren = re.match(r"^(.*?)\s*\((\d{4})(?:-\d\d-\d\d)?\)\s*$", item)
    if paren:
        return paren.group(1).strip(), int(paren.group(2))
    trailing = re.search(r"(?:ver\.?\s*)?\b(19\d\d|20\d\d)(\s*[-–]\s*(?:19|20)\d\d)?\s*$", item)
    if trailing is None:
        return item, None
    year = int(trailing.group(1))
    if trailing.group(2) is None and reference_year is not None and year > reference_year:
        return item, None  # a horizon in the title, not an issue year
    return item, year


def _reference_year(document: Document) -> int | None:
    if document.signed is not None:
        return document.signed.year
    if document.version:
        return int(document.version[-4:])
    return None


def _fold(text: str) -> set[str]:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return set(re.findall(r"[a-z]{4,}", text))


def extract_steering_documents(document: Document, paragraphs: Sequence[Paragraph]) -> list[SteeringDocument]:
    reference_year = _reference_year(document)
    documents: list[SteeringDocument] = []
    seen: set[str] = set()

    def add(title: str, pid: str, year: int | None, url: str | None) -> None:
        if title and not _FORTHCOMING.match(title) and title.casefold() not in seen:
            seen.add(title.casefold())
            documents.append(SteeringDocument(title, pid, year, url))

    for index, paragraph in enumerate(paragraphs):
        if paragraph.kind == "list" and _LEAD.search(paragraph.text.split("\n", 1)[0]):
            items = [i for i in paragraph.items if not i.startswith("◦") and not i.startswith("http")]
            urls = [i.replace(" ", "%20") for i in paragraph.items if i.startswith("http")]
            for follower in paragraphs[index + 1 : index + 3]:
                if follower.text.startswith("http"):
                    urls += [u.strip().replace(" ", "%20") for u in _URL_SPLIT.split(follower.text) if u.strip()]
            pairs = _pair(items, urls)
            for item in items:
                title, year = _title_year(item, reference_year)
                add(title, paragraph.pid, year, pairs.get(item))
        if _in_link_annex(paragraph):
            linked = _LINKED.match(paragraph.text.replace("\n", " ").strip())
            if linked:
                title, year = _title_year(linked.group(1).rstrip(" :–-"), reference_year)
                add(title, paragraph.pid, year, linked.group(2))
            elif paragraph.kind == "list":  # "• Mobilitetsstrategi för Eskilstuna (2020)": a title without its link
                for item in paragraph.items:
                    if _ANNEX_TITLE.match(item.strip()):
                        title, year = _title_year(item.strip(), reference_year)
                        add(title, paragraph.pid, year, None)
        for match in _ADOPTED.finditer(paragraph.text):
            add(match.group(1)[:1].upper() + match.group(1)[1:], paragraph.pid, int(match.group(2)), None)
    # titles named in running text, after the lists and the annex, so a listed title (with its URL) wins
    for paragraph in paragraphs:
        if paragraph.kind != "heading" and not _in_link_annex(paragraph):
            for title, year in _titles_in_text(paragraph, reference_year):
                if not any(_same_title(title, d.title) for d in documents):
                    add(title, paragraph.pid, year, None)
    return documents


def _same_title(a: str, b: str) -> bool:
    """'Trafikstrategin' and 'Trafikstrategi', 'Energi- och klimatprogram' and '… 2030' name one document."""
    x, y = _stem(a), _stem(b)
    return x.startswith(y) or y.startswith(x)


def _stem(title: str) -> str:
    return re.sub(r"(?<=plan|gram|tegi|licy)(?:en|et|n|met)\b", "", title.casefold())


def _pair(items: list[str], urls: list[str]) -> dict[str, str]:
    if not urls:
        return {}
    if len(items) == len(urls):
        return dict(zip(items, urls, strict=True))
    pairs = {}
    for item in items:
        words = _fold(item)
        best = max(urls, key=lambda u: len(words & _fold(u)))
        if words & _fold(best):
            pairs[item] = best
    return pairs
