"""Steering documents (styrdokument) a contract refers to: title, year and URL.

From lists introduced as documents ("Nedan finns länkar till … dokumenten", "följande
styrande dokument:"): each item is a title, a year in parentheses or at the end gives the
year, and URLs that follow the list are paired with the items in order when their counts
match (otherwise by shared words between title and URL).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..models import Paragraph, SteeringDocument

_LEAD = re.compile(r"dokument|styrdokument|planer och program", re.I)
_URL_SPLIT = re.compile(r"\s+(?=https?://)")


def _title_year(item: str) -> tuple[str, int | None]:
    item = item.strip().rstrip(".")
    paren = re.match(r"^(.*?)\s*\((\d{4})\)\s*$", item)
    if paren:
        return paren.group(1).strip(), int(paren.group(2))
    trailing = re.search(r"(?:ver\.?\s*)?\b(19\d\d|20\d\d)(?:\s*[-–]\s*(?:19|20)\d\d)?\s*$", item)
    return item, int(trailing.group(1)) if trailing else None


def _fold(text: str) -> set[str]:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return {w for w in re.findall(r"[a-z]{4,}", text)}


def extract_steering_documents(paragraphs: Sequence[Paragraph]) -> list[SteeringDocument]:
    documents: list[SteeringDocument] = []
    for index, paragraph in enumerate(paragraphs):
        if paragraph.kind != "list" or not _LEAD.search(paragraph.text.split("\n", 1)[0]):
            continue
        items = [i for i in paragraph.items if not i.startswith("◦")]
        urls: list[str] = []
        for follower in paragraphs[index + 1 : index + 3]:
            if follower.text.startswith("http"):
                urls += [u.strip().replace(" ", "%20") for u in _URL_SPLIT.split(follower.text) if u.strip()]
        pairs = _pair(items, urls)
        for item in items:
            title, year = _title_year(item)
            if title:
                documents.append(SteeringDocument(title, paragraph.pid, year, pairs.get(item)))
    return documents


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
