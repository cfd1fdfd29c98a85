"""Turn PDF-extracted text into paragraphs as a person reads them.

PDF text arrives hard-wrapped, hyphenated at line ends, with page footers
("viablecities.se 13"), lone page numbers, table-of-contents debris (dot leaders, U+FFFD),
bullets on their own lines and headings glued to the next line. This module undoes that:
it classifies lines, groups them into blocks, re-joins wrapped lines, keeps bullets as list
items of the paragraph that introduces them, and tracks the heading path and page of every
paragraph. Shared template text is flagged across documents by `mark_boilerplate`.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from .models import Document, Paragraph
from .reference import Gazetteer, fold

FOOTER_RE = re.compile(r"^\s*(?:https?://)?(?:www\.)?viablecities\.se\s+(\d{1,3})\s*$", re.IGNORECASE)
PAGE_NUMBER_RE = re.compile(r"^\s*(?:sid(?:a|an)?\s*)?\d{1,3}(?:\s*(?:/|av)\s*\d{1,3})?\s*$", re.IGNORECASE)
TOC_RE = re.compile(r"\ufffd|\.{4,}\s*\d+\s*$|(?:\.\s){3,}\.?\s*\d+\s*$|…{2,}\s*\d+\s*$")
BULLET_RE = re.compile(r"^\s*(?P<mark>[▪•◦●○■□▫‣⁃∙·])\s*(?P<text>.*)$")
DASH_BULLET_RE = re.compile(r"^\s*(?P<mark>[–—-])\s+(?P<text>\S.*)$")
# "5.1.\t Klimatmål 2030", "3.2. Klimatanalys…", "1.\t Klimatkontrakt 2030"
NUMBERED_HEADING_RE = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2})*)\.?[ \t]*\t[ \t]*(?P<title>\S.*)$")
DOTTED_HEADING_RE = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2})+)\.?\s+(?P<title>[A-ZÅÄÖ].*)$")
SIMPLE_NUMBERED_RE = re.compile(r"^(?P<num>\d{1,2})\.\s+(?P<title>[A-ZÅÄÖ].*)$")
APPENDIX_RE = re.compile(r"^(?P<num>Bilaga\s+\d+)\b\s*[-–:]?\s*(?P<title>.*)$")
# "Åtagande nr 9 - …", "Bilaga 2 – …": a labelled, numbered item starts a new unit after a page break
LABELLED_ITEM_RE = re.compile(r"^[A-ZÅÄÖ][a-zåäö]+\s+(?:nr\.?\s*)?\d{1,2}\s*[-–:]\s")
SENTENCE_END_RE = re.compile(r"[.!?…”\")]\s*$")
# A line ending in one of these words continues on the next line even when that starts upper-case.
_CONTINUING_WORDS = {
    "och", "eller", "samt", "för", "av", "till", "med", "i", "på", "om", "mot", "inom", "kring", "från",
    "som", "att", "the", "of", "and", "vid", "under", "mellan", "efter", "genom", "en", "ett", "den", "det",
}  # fmt: skip
_HYPHEN_KEEP_NEXT = {"och", "eller", "samt", "till", "respektive", "resp", "som"}
_QUANTITY_RE = re.compile(r"\d\s*(?:ton|kg|%|procent|MWh|GWh|kWh|kr|kronor|miljoner|tusen)\b", re.IGNORECASE)
_SPACES_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")


@dataclass
class _Line:
    text: str  # stripped of the page-break space and trailing whitespace, tabs kept
    page: int
    page_start: bool = False  # the first line of a new page


@dataclass
class _Block:
    lines: list[_Line] = field(default_factory=list)


def segment(document: Document) -> list[Paragraph]:
    """Paragraphs of one document, in reading order, ordinals from 1."""
    lines = _clean_lines(document)
    blocks = _blocks(lines)
    units = [unit for block in blocks for unit in _split_block(block)]
    return _assemble(document.doc_id, units)


# ----------------------------------------------------------------------------- lines


def _clean_lines(document: Document) -> list[_Line]:
    """Drop page artefacts and find page numbers; a blank line becomes an empty text."""
    out: list[_Line] = []
    real_pages = len(document.pages) > 1
    for page in document.pages:
        current = page.number
        after_footer = real_pages and bool(out)  # a real page break behaves like a footer
        for raw in page.text.split("\n"):
            text = raw.rstrip()
            footer = FOOTER_RE.match(text)
            if footer:  # dropped without a trace: a paragraph may run on across the page break
                if not real_pages:
                    current = int(footer.group(1)) + 1
                after_footer = True
                continue
            if TOC_RE.search(text) or (PAGE_NUMBER_RE.match(text) and text.strip()):
                continue
            page_start = bool(re.match(r"^ \S", text))
            if page_start and not real_pages and not after_footer and out:
                current += 1
            if after_footer and not text.strip():
                continue  # blank lines around a footer are layout, decided below
            if after_footer:
                _drop_trailing_blanks(out)
                runs_on = bool(out) and text.strip()[:1].islower() and not SENTENCE_END_RE.search(out[-1].text)
                if out and not runs_on:
                    out.append(_Line("", current))
                after_footer = False
                page_start = True
            out.append(_Line(text[1:] if text.startswith(" ") and page_start else text, current, page_start))
    return out


def _drop_trailing_blanks(lines: list[_Line]) -> None:
    while lines and not lines[-1].text.strip():
        lines.pop()


def _blocks(lines: Iterable[_Line]) -> list[_Block]:
    """Blank-line separated blocks; a new page that starts a new sentence or a heading also splits.
    A blank line inside a sentence (PDF extraction leaves some) does not split: see `_runs_on`."""
    blocks: list[_Block] = []
    current = _Block()
    blank = False
    for line in lines:
        if not _norm(line.text):
            blank = bool(current.lines)
            continue
        after_blank = blank and not _runs_on(current.lines[-1].text, line.text)
        new_page = bool(current.lines) and line.page_start and _starts_new_unit(current.lines[-1].text, line.text)
        if after_blank or new_page:
            blocks.append(current)
            current = _Block()
        blank = False
        current.lines.append(line)
    if current.lines:
        blocks.append(current)
    return blocks


def _runs_on(previous: str, line: str) -> bool:
    """Whether `line`, after a blank line, continues the sentence that `previous` left open: it
    starts in lower case (after an opening bracket or quote) and is no bullet, heading or web
    address, and `previous` ends neither a sentence nor a lead-in (":")."""
    stripped = line.strip()
    if not stripped.lstrip("([\"'“‘")[:1].islower() or BULLET_RE.match(stripped) or DASH_BULLET_RE.match(stripped):
        return False
    if stripped.startswith(("http://", "https://", "www.")):
        return False
    if _heading_match(stripped) or LABELLED_ITEM_RE.match(stripped):
        return False
    return not (SENTENCE_END_RE.search(previous) or previous.rstrip().endswith(":"))


def _starts_new_unit(previous: str, line: str) -> bool:
    stripped = line.strip()
    if _heading_match(stripped) or BULLET_RE.match(stripped) or LABELLED_ITEM_RE.match(stripped):
        return True
    ended = bool(SENTENCE_END_RE.search(previous) or previous.rstrip().endswith(":"))
    return ended and (stripped[:1].isupper() or bool(SIMPLE_NUMBERED_RE.match(stripped)))


# ----------------------------------------------------------------------------- units

Unit = tuple[str, str, int]  # (kind: heading|text|bullet|subbullet|numbered, text, page)


def _split_block(block: _Block) -> list[Unit]:
    """One block → headings, text runs and bullet items (each re-joined from its lines)."""
    units: list[Unit] = []
    lines = block.lines
    i = 0
    numbered_run = sum(1 for ln in lines if SIMPLE_NUMBERED_RE.match(ln.text.strip())) >= 2
    while i < len(lines):
        line = lines[i]
        stripped = line.text.strip()
        heading = _heading_match(stripped) if not numbered_run else None
        if heading or (i == 0 and (_looks_like_plain_heading(lines) or _is_numbered_heading_block(lines))):
            parts = [stripped]
            i += 1
            while i < len(lines) and _heading_continues(parts[-1], lines[i].text.strip()):
                parts.append(lines[i].text.strip())
                i += 1
            text = _join(parts)
            if not heading and text.endswith(":") and len(text.split()) > 6:
                units.append(("text", text, line.page))  # a sentence introducing what follows, not a label
            else:
                units.append((f"heading{_formal_level(heading)}", text, line.page))
            continue
        bullet = BULLET_RE.match(stripped)
        dash = DASH_BULLET_RE.match(stripped) if i == 0 else None
        numbered = SIMPLE_NUMBERED_RE.match(stripped) if numbered_run else None
        if bullet or dash or numbered:
            if bullet:
                kind, first = ("subbullet" if bullet.group("mark") in "◦○▫" else "bullet"), bullet.group("text")
            elif dash:
                kind, first = "bullet", dash.group("text")
            else:
                kind, first = "numbered", stripped
            parts = [first]
            i += 1
            while i < len(lines) and not _item_boundary(lines[i].text.strip(), numbered_run):
                parts.append(lines[i].text.strip())
                i += 1
            units.append((kind, _join(parts), line.page))
            continue
        parts = [stripped]
        i += 1
        while (
            i < len(lines)
            and not _item_boundary(lines[i].text.strip(), numbered_run)
            and not _heading_match(lines[i].text.strip())
        ):
            parts.append(lines[i].text.strip())
            i += 1
        units.append(("text", _join(parts), line.page))
    return units


def _formal_level(match: re.Match[str] | None) -> str:
    """'5.1.' → '2', 'Bilaga 1' → '1', no formal number → ''."""
    if match is None:
        return ""
    if match.re is APPENDIX_RE:
        return "1"
    return str(match.group("num").count(".") + 1)


def _item_boundary(stripped: str, numbered_run: bool) -> bool:
    return bool(BULLET_RE.match(stripped) or (numbered_run and SIMPLE_NUMBERED_RE.match(stripped)))


def _heading_match(stripped: str) -> re.Match[str] | None:
    """Numbered section headings and appendix headings (not numbered list items in prose)."""
    if len(stripped) > 140:
        return None
    return NUMBERED_HEADING_RE.match(stripped) or DOTTED_HEADING_RE.match(stripped) or APPENDIX_RE.match(stripped)


def _looks_like_plain_heading(lines: Sequence[_Line]) -> bool:
    """A short first line with no sentence end, followed by a new sentence — or a short block alone."""
    first = _norm(lines[0].text)
    if not first or len(first) > 90 or not (first[0].isupper() or first[0].isdigit()):
        return False
    if BULLET_RE.match(first) or SENTENCE_END_RE.search(first) or first.endswith(","):
        return False
    if _QUANTITY_RE.search(first):
        return False  # a flattened table row ("Kommunförvaltningens inköp: 125 000 ton Co2e"), not a heading
    if len(lines) == 1:
        return True
    last_word = first.rsplit(" ", 1)[-1].casefold()
    following = _norm(lines[1].text)
    longest = max(len(_norm(ln.text)) for ln in lines)
    return (
        last_word not in _CONTINUING_WORDS
        and not first.endswith(("-", "–"))
        and following[:1].isupper()
        and len(first) < 0.75 * longest
        and len(first) <= 70
    )


def _is_numbered_heading_block(lines: Sequence[_Line]) -> bool:
    """'2. Klimatanalyser … strategisk' + 'klimatstyrning' alone in a block is a heading, not a list item."""
    first = _norm(lines[0].text)
    if not SIMPLE_NUMBERED_RE.match(first) or len(lines) > 3:
        return False
    texts = [_norm(ln.text) for ln in lines]
    if any(SIMPLE_NUMBERED_RE.match(t) for t in texts[1:]) or texts[-1].endswith("."):
        return False
    return all(_heading_continues(prev, cur) for prev, cur in itertools.pairwise(texts)) and (
        sum(map(len, texts)) <= 160
    )


def _heading_continues(previous: str, stripped: str) -> bool:
    """Wrapped heading lines: 'Myndigheternas gemensamma' + 'åtaganden'."""
    if not stripped or _heading_match(stripped) or BULLET_RE.match(stripped) or len(stripped) > 60:
        return False
    if SENTENCE_END_RE.search(previous) or previous.endswith(":"):
        return False
    last_word = previous.rsplit(" ", 1)[-1].casefold()
    return stripped[0].islower() or last_word in _CONTINUING_WORDS


def _join(parts: Sequence[str]) -> str:
    """Re-join wrapped lines, undoing end-of-line hyphenation but keeping 'bygg- och'."""
    text = ""
    for part in parts:
        part = _norm(part)
        if not text:
            text = part
            continue
        hyphen = re.search(r"(\w)-$", text)
        if hyphen and part[:1].islower():
            next_word = re.match(r"[\wåäöÅÄÖ]+", part)
            keep = next_word and next_word.group(0).casefold() in _HYPHEN_KEEP_NEXT
            if keep or hyphen.group(1).isdigit() or hyphen.group(1).isupper():
                text = text + (" " if keep else "") + part
            else:
                text = text[:-1] + part
        else:
            text = f"{text} {part}"
    return text


def _norm(text: str) -> str:
    return _SPACES_RE.sub(" ", text).strip()


# ----------------------------------------------------------------------------- paragraphs


def _assemble(doc_id: str, units: Sequence[Unit]) -> list[Paragraph]:
    """Attach bullet items to their lead-in and track the heading path."""
    paragraphs: list[Paragraph] = []
    stack: list[tuple[int, str]] = []  # (level, heading)
    formal_levels: set[int] = set()  # levels of headings seen with formal numbering ("5.1.")
    for index, (kind, text, page) in enumerate(units):
        next_kind = units[index + 1][0] if index + 1 < len(units) else None
        if kind == "heading" and text.endswith(":") and next_kind in ("bullet", "numbered"):
            kind = "text"  # "Kommunen åtar sig att:" introduces the list that follows; it is not a heading
        if kind.startswith("heading"):
            level = int(kind[7:]) if kind[7:] else _heading_level(text, stack, formal_levels)
            if kind[7:]:
                formal_levels.add(level)
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            section = tuple(h for _, h in stack[:-1])
            paragraphs.append(Paragraph(doc_id, len(paragraphs) + 1, text, section, page, "heading"))
            continue
        section = tuple(h for _, h in stack)
        if kind in ("bullet", "subbullet", "numbered"):
            item = f"◦ {text}" if kind == "subbullet" else text
            previous = paragraphs[-1] if paragraphs else None
            if previous is not None and previous.kind in ("paragraph", "list") and previous.section == section:
                items = (*previous.items, item)
                paragraphs[-1] = replace(previous, kind="list", items=items, text=f"{previous.text}\n{_bullet(item)}")
                continue
            paragraphs.append(Paragraph(doc_id, len(paragraphs) + 1, _bullet(item), section, page, "list", (item,)))
            continue
        paragraphs.append(Paragraph(doc_id, len(paragraphs) + 1, text, section, page, "paragraph"))
    return paragraphs


def _bullet(item: str) -> str:
    return item if item.startswith("◦ ") or re.match(r"\d{1,2}\.\s", item) else f"• {item}"


def _heading_level(text: str, stack: Sequence[tuple[int, str]], formal_levels: set[int]) -> int:
    """Headings without formal numbering sit just below the deepest formal one on the stack.

    A heading ending in ':' is a label ("Koppling till andra åtaganden:", "Energi:"): it nests
    under the heading before it, and a label after a label is its sibling.
    """
    formal = [lvl for lvl, _ in stack if lvl in formal_levels]
    base = (max(formal) + 1) if formal else 1
    if text.endswith(":") and stack and stack[-1][0] >= base:
        return stack[-1][0] if stack[-1][1].endswith(":") else stack[-1][0] + 1
    return base


# ----------------------------------------------------------------------------- boilerplate


def normalise_for_comparison(text: str, names: Iterable[str] = ()) -> str:
    """Casefolded, whitespace-collapsed text with municipality names masked."""
    folded = fold(_norm(text.replace("\n", " ")))
    for name in sorted({fold(n) for n in names}, key=len, reverse=True):
        folded = re.sub(rf"\b{re.escape(name)}s?\b", "<kommun>", folded)
    return folded


def mark_boilerplate(
    paragraphs_by_doc: dict[str, list[Paragraph]],
    gazetteer: Gazetteer | None = None,
    owners: dict[str, str] | None = None,
) -> dict[str, list[Paragraph]]:
    """Flag paragraphs whose (name-masked) text occurs in two or more documents.

    Headings are compared too: a shared heading is template. Very short texts (under 25
    characters) are never boilerplate: "Energi" in two documents is not shared template.
    With `owners` (doc_id → municipality), texts are counted per municipality: two editions
    of one municipality repeating its own text do not make that text template.
    """
    names: dict[str, set[str]] = defaultdict(set)
    if gazetteer is not None:
        for doc_id, paragraphs in paragraphs_by_doc.items():
            text = "\n".join(p.text for p in paragraphs)
            names[doc_id] = {m.municipality.name for m in gazetteer.mentions(text)}
    keys = {
        doc_id: [normalise_for_comparison(p.text, names[doc_id]) for p in paragraphs]
        for doc_id, paragraphs in paragraphs_by_doc.items()
    }
    seen_in: dict[str, set[str]] = defaultdict(set)
    for doc_id, doc_keys in keys.items():
        owner = owners.get(doc_id, doc_id) if owners else doc_id
        for key in doc_keys:
            seen_in[key].add(owner)
    return {
        doc_id: [
            replace(p, boilerplate=len(key) >= 25 and len(seen_in[key]) >= 2)
            for p, key in zip(paragraphs, keys[doc_id], strict=True)
        ]
        for doc_id, paragraphs in paragraphs_by_doc.items()
    }
