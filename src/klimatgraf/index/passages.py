"""Entries (one per distinct paragraph text, listing every document that holds it) and the passages
that stand for them in BM25 and faiss: the paragraph, one per list item, one per sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..errors import BuildCorruptError
from ..swedish import fold as normalise_text  # the key under which identical paragraphs collapse
from ..swedish import split_sentences
from .manifest import FIX, IndexOptions

if TYPE_CHECKING:  # a search reads an index without the ingest modules (one-shot CLI start-up)
    from ..models import Document, Paragraph


def _doc_info(document: Document, latest: bool = True) -> dict[str, Any]:
    return {
        "doc_id": document.doc_id,
        "document": document.file_name,
        "municipality": document.municipality.name,
        "kommunkod": document.municipality.kommunkod,
        "doc_type": document.doc_type,
        "version": document.version,  # editions (issue 14): search filters on these, see editions.entry_allowed
        "edition_year": document.edition_year,
        "latest": latest,
        "title": document.title,
    }


def make_entries(paragraphs: Sequence[Paragraph], documents: Sequence[Document]) -> list[dict[str, Any]]:
    """One entry per distinct text, with all members (document, pid, page) in corpus order."""
    from ..corpus import latest_editions

    latest = latest_editions(documents)
    docs = {d.doc_id: _doc_info(d, d.doc_id in latest) for d in documents}
    entries: list[dict[str, Any]] = []
    by_key: dict[str, dict[str, Any]] = {}
    for p in paragraphs:
        if p.doc_id not in docs:
            raise BuildCorruptError(f"paragraph {p.pid} belongs to no known document; {FIX}")
        member = {"pid": p.pid, "page": p.page, **docs[p.doc_id]}
        key = normalise_text(p.text)
        entry = by_key.get(key)
        if entry is None:
            entry = {
                "pid": p.pid,
                "text": p.text,
                "section": list(p.section),
                "page": p.page,
                "kind": p.kind,
                "items": list(p.items),
                "boilerplate": p.boilerplate,
                "members": [],
            }
            by_key[key] = entry
            entries.append(entry)
        entry["members"].append(member)
        entry["boilerplate"] = entry["boilerplate"] or p.boilerplate
    for entry in entries:
        # shared by two municipalities (two editions of one municipality repeating its text are not template)
        entry["boilerplate"] = entry["boilerplate"] or len({m["kommunkod"] for m in entry["members"]}) > 1
    return entries


def _heading(text: str) -> str:
    return re.sub(r"^\d+(\.\d+)*\.?\s*", "", text).strip().rstrip(":")


def _context(entry: dict[str, Any], options: IndexOptions) -> str:
    parts: list[str] = []
    municipalities = {m["municipality"] for m in entry["members"]}
    if options.municipality_prefix and len(municipalities) == 1 and not entry["boilerplate"]:
        parts.append(f"{next(iter(municipalities))} kommun")
    if options.title and len({m["doc_id"] for m in entry["members"]}) == 1 and entry["members"][0].get("title"):
        parts.append(entry["members"][0]["title"])
    section = [_heading(s) for s in entry["section"] if _heading(s)]
    if section and entry["kind"] != "heading":
        if options.context == "heading":
            parts.append(section[-1])
        elif options.context == "path":
            parts.extend(section)
    return ". ".join(parts)


def _lead_in(entry: dict[str, Any]) -> str:
    text: str = entry["text"]
    first = entry["items"][0] if entry["items"] else ""
    cut = text.find(first[:40]) if first else -1
    lead = text[:cut] if cut > 0 else text.split("\n", 1)[0]
    return lead.strip().rstrip("•▪◦-–").strip()


def _windows(text: str, size: int) -> list[str]:
    """Consecutive sentences packed into windows of at most `size` characters, one sentence of
    overlap, so that text beyond e5's 512 tokens is still embedded."""
    sentences = [t for t in re.split(r"(?<=[.!?:;])\s+|\s+(?=[•▪◦])", text) if t]
    windows: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and len(" ".join([*current, sentence])) > size:
            windows.append(" ".join(current)[:size])
            current = current[-1:] if len(current[-1]) < size // 2 else []
        current.append(sentence)
    if current:
        windows.append(" ".join(current)[:size])
    return windows if len(windows) > 1 else []


MIN_SENTENCE_WORDS = 4  # a shorter fragment ("Se bilaga 2.") joins the sentence before it


def sentence_windows(text: str, size: int) -> list[str]:
    """Runs of `size` consecutive sentences of `text` (stride one sentence), for a paragraph of at
    least two sentences; none when one run would be the whole paragraph."""
    sentences: list[str] = []
    for sentence in split_sentences(text):
        if sentences and len(sentence.split()) < MIN_SENTENCE_WORDS:
            sentences[-1] = f"{sentences[-1]} {sentence}"
        elif len(sentences) == 1 and len(sentences[0].split()) < MIN_SENTENCE_WORDS:
            sentences[0] = f"{sentences[0]} {sentence}"
        else:
            sentences.append(sentence)
    if size < 1 or len(sentences) < 2 or size >= len(sentences):
        return []
    return [" ".join(sentences[i : i + size]) for i in range(len(sentences) - size + 1)]


class Passage(NamedTuple):
    """One row of BM25 and faiss: its text, the entry it stands for, whether it is a sentence
    passage, and the texts whose vectors make its dense vector (`compose`): the text itself, or
    for a composed list item its context, lead-in and item, each embedded once."""

    text: str
    owner: int
    sentence: bool
    parts: tuple[str, ...]


def passages(entries: Sequence[dict[str, Any]], options: IndexOptions) -> list[Passage]:
    """Every passage of the index, in row order."""
    found: list[Passage] = []
    for row, entry in enumerate(entries):
        context = _context(entry, options)
        body = " ".join(entry["text"].split())
        bodies = [body]
        if options.window_chars > 0 and len(body) > options.window_chars:
            bodies += _windows(body, options.window_chars)
        found += [_whole(f"{context}. {text}" if context else text, row) for text in bodies]
        items = options.item_passages and entry["kind"] == "list" and len(entry["items"]) >= options.min_items
        if options.sentence_passages > 0 and entry["kind"] != "heading" and not items:  # items keep their lead-in
            for window in sentence_windows(body, options.sentence_passages):
                text = f"{context}. {window}" if context else window
                found.append(Passage(text, row, True, (text,)))
        if items:
            lead = _lead_in(entry)
            for item in entry["items"]:
                parts = tuple(p for p in (context, lead, " ".join(item.split())) if p)
                text = (
                    " ".join(p if p.endswith((".", ":", "?", "!")) else p + "." for p in parts[:-1]) + " " + parts[-1]
                )
                found.append(Passage(text, row, False, parts if options.item_vectors == "composed" else (text,)))
    return found


def _whole(text: str, owner: int) -> Passage:
    return Passage(text, owner, False, (text,))


def make_passages(entries: Sequence[dict[str, Any]], options: IndexOptions) -> tuple[list[str], list[int]]:
    """Texts to index and, for each, the entry it stands for."""
    texts, owners, _ = flagged_passages(entries, options)
    return texts, owners


def flagged_passages(
    entries: Sequence[dict[str, Any]], options: IndexOptions
) -> tuple[list[str], list[int], list[bool]]:
    """`make_passages`, and for each passage whether it is a sentence passage (`sentence_passages`)."""
    found = passages(entries, options)
    return [p.text for p in found], [p.owner for p in found], [p.sentence for p in found]


def compose(found: Sequence[Passage], vectors: np.ndarray) -> np.ndarray:
    """Each passage's dense vector from `vectors`, one row per part of `found` in order: a
    passage of one part keeps that part's vector; one of several gets the normalised sum of its
    parts' vectors weighted by their word counts. e5 mean-pools its tokens, so the sum is the
    first-order approximation of embedding the joined text (measured: issue 12 step 11)."""
    out = np.empty((len(found), vectors.shape[1]), dtype=np.float32)
    row = 0
    for i, passage in enumerate(found):
        count = len(passage.parts)
        if count == 1:
            out[i] = vectors[row]
        else:
            weights = np.asarray([max(1, len(p.split())) for p in passage.parts], dtype=np.float32)
            summed = weights @ vectors[row : row + count]
            out[i] = summed / max(float(np.linalg.norm(summed)), 1e-12)
        row += count
    if row != len(vectors):
        raise BuildCorruptError(f"{len(vectors)} part vectors for passages of {row} parts")
    return out


def bm25_rows(sentence: np.ndarray, options: IndexOptions) -> np.ndarray:
    """BM25 row → passage row: every passage, or all but the sentence passages when they are dense-only."""
    return np.arange(len(sentence)) if options.sentence_bm25 else np.flatnonzero(~sentence)
