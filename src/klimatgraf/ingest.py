"""Read a contract file (TXT or PDF) into a `Document`, detecting from its own text who wrote it.

The municipality is the one the document speaks *as* ("Avesta kommun avser…", "Mellan
Örnsköldsviks kommun och…", the party list), not the first one it names: avsiktsförklaringar
name their pioneer city many times.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

from .cover import cover_date, cover_municipality, cover_title, cover_version
from .errors import DetectionError, InputError
from .models import DocType, Document, Municipality, Page
from .reference import Gazetteer, Mention, fold
from .store import sha256_bytes
from .swedish import DATE_RE, MONTHS, parse_date

SUPPORTED_SUFFIXES = (".txt", ".pdf")
MAX_BYTES = 20 * 1024 * 1024  # a contract is ~50 kB of text; 20 MB is certainly not one

# Words that, just before a municipality name, say it is someone else: a pioneer or twin.
_OTHER_CONTEXT = re.compile(r"(pionjär\w*|tvilling\w*|erfarenheter\w* från|från|med|till|och|av)\s*$", re.IGNORECASE)
# Verbs after "X kommun" that show the document speaking as X.
_SELF_VERBS = re.compile(
    r"^\s*(avser|väljer|kommer|vill|antar|åtar|har|ska|arbetar|ingår|tillfrågar|åtagande|fokuserar|prioriterar)\b",
    re.IGNORECASE,
)


def doc_id_for(path: Path) -> str:
    """Stable, IRI-safe id from the file name: 'Örnsköldsvik klimatkontrakt.pdf' → 'ornskoldsvik-klimatkontrakt'."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(path.stem)).strip("-")
    if not slug:
        raise InputError(f"{path.name}: the file name has no letters or digits to make an id from; rename the file")
    return slug


def read_document(
    path: Path,
    gazetteer: Gazetteer,
    *,
    municipality: str | None = None,
    doc_type: DocType | None = None,
) -> Document:
    """Decode `path` and detect municipality, type, version and signing date (overridable)."""
    data = _read_bytes(path)
    pages = _pdf_pages(path, data) if path.suffix.lower() == ".pdf" else (Page(1, _decode_text(path, data)),)
    text = "\n".join(p.text for p in pages)
    if not text.strip():
        raise InputError(
            f"{path.name}: the file contains no text; give a contract as UTF-8 text or a PDF with a text layer"
        )
    check_language(text, path.name)
    own = gazetteer.resolve(municipality) if municipality else detect_municipality(text, gazetteer, path.name)
    kind = doc_type or detect_doc_type(text, path.name)
    title = ("Klimatkontrakt 2030 – " if kind == "klimatkontrakt" else "Fördjupad avsiktsförklaring – ") + own.name
    version, signed = detect_version(text), detect_signing_date(text)
    if version is None and kind == DocType.klimatkontrakt and signed is not None and signed.year <= LAST_YEARLY_EDITION:
        version = str(signed.year)  # the 2020 editions have no VERSION line: the cover's date names the edition
    return Document(
        doc_id=doc_id_for(path),
        file_name=path.name,
        sha256=sha256_bytes(data),
        text=text,
        pages=pages,
        municipality=own,
        doc_type=kind,
        title=title,
        version=version,
        signed=signed,
    )


def _read_bytes(path: Path) -> bytes:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputError(f"{path.name}: unsupported file type {path.suffix or '(none)'}; give a .txt or .pdf file")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{path.name}: {size // (1024 * 1024)} MB is too large for a contract (limit 20 MB)")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a contract file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied; check the file's permissions") from None


def _decode_text(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1 — never mangled silently."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    elif b"\x00" in data[:4096]:
        raise InputError(f"{path.name}: looks like a binary file, not text; give a UTF-8 .txt or a .pdf")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="strict") if _is_cp1252(data) else data.decode("latin-1")
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise InputError(f"{path.name}: looks like a binary file, not text; give a UTF-8 .txt or a .pdf")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _pdf_pages(path: Path, data: bytes) -> tuple[Page, ...]:
    import logging
    import warnings

    # pypdf logs repairs ("EOF marker not found") through logging, which would print a second stderr
    # line next to ours: the library never prints, and our error already says what is wrong.
    logging.getLogger("pypdf").addHandler(logging.NullHandler())
    logging.getLogger("pypdf").propagate = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _read_pdf(path, data)


def _read_pdf(path: Path, data: bytes) -> tuple[Page, ...]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise InputError(f"{path.name}: the PDF is encrypted; save an unencrypted copy and ingest that")
            except (NotImplementedError, PdfReadError):
                raise InputError(
                    f"{path.name}: the PDF is encrypted; save an unencrypted copy and ingest that"
                ) from None
        pages = tuple(Page(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages))
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many types for broken files
        raise InputError(
            f"{path.name}: not a readable PDF ({type(exc).__name__}); check that the file is complete"
        ) from None
    if not any(p.text.strip() for p in pages):
        raise InputError(
            f"{path.name}: the PDF has no text layer (scanned?); run OCR first, e.g. ocrmypdf, then ingest"
        )
    return pages


def detect_municipality(text: str, gazetteer: Gazetteer, name: str = "document") -> Municipality:
    """The municipality the document speaks as: the cover's "Mellan X kommun" (any case, words broken
    or not), else scored over all mentions."""
    on_cover = cover_municipality(text, gazetteer)
    if on_cover is not None:
        return on_cover
    scores: Counter[str] = Counter()
    for mention in gazetteer.mentions(text):
        scores[mention.municipality.kommunkod] += _mention_weight(text, mention)
    if not scores or scores.most_common(1)[0][1] < 3:
        unknown = unknown_municipality(text, gazetteer)
        if unknown:
            raise DetectionError(
                f"{name}: the text speaks as {unknown!r}, which is not in the gazetteer (reference/kommuner.csv); "
                "add the municipality to kommuner.csv, or pass --municipality NAME to ingest"
            )
        raise DetectionError(
            f"{name}: no municipality could be detected in the text; pass --municipality NAME to ingest"
        )
    return gazetteer.by_code[scores.most_common(1)[0][0]]


# Capitalised words before "kommun" that are not names: "Varje kommun", "Denna kommun".
_NOT_NAMES = frozenset(
    [
        "varje",
        "en",
        "ena",
        "denna",
        "den",
        "det",
        "vår",
        "var",
        "er",
        "din",
        "min",
        "samma",
        "annan",
        "annat",
        "någon",
        "hela",
        "egen",
        "egna",
        "respektive",
        "aktuell",
        "berörd",
        "berörda",
        "närmaste",
        "större",
        "mindre",
        "ny",
        "nya",
        "enskild",
        "enskilda",
        "vilken",
        "ingen",
    ]
)
_KOMMUN_NAME = re.compile(r"\b([A-ZÅÄÖ][a-zåäöéü]+(?:[ -][A-ZÅÄÖ][a-zåäöéü]+)?)\s+kommun\b")


def unknown_municipality(text: str, gazetteer: Gazetteer) -> str | None:
    """'Storby kommun', when the text speaks as a municipality the gazetteer does not know.

    A candidate must occur twice or be followed by a verb of intent, as the author does.
    """
    counts: Counter[str] = Counter()
    for match in _KOMMUN_NAME.finditer(text):
        name = match.group(1)
        if fold(name.split()[0]) in _NOT_NAMES:
            continue
        if any(fold(n) in gazetteer._by_fold for n in (name, name[:-1] if name.endswith("s") else name)):
            continue
        counts[f"{name} kommun"] += 3 if _SELF_VERBS.match(text[match.end() : match.end() + 30]) else 1
    if not counts:
        return None
    best, score = counts.most_common(1)[0]
    return best if score >= 2 else None


# Frequent function words: in a contract they make up a large share of the running text.
_FUNCTION_WORDS = {
    "Swedish": frozenset(
        [
            "och",
            "att",
            "i",
            "det",
            "som",
            "en",
            "på",
            "är",
            "av",
            "för",
            "med",
            "till",
            "har",
            "de",
            "inte",
            "om",
            "ett",
            "vi",
            "kommer",
            "ska",
            "eller",
            "från",
            "vid",
            "kan",
            "sig",
            "så",
            "men",
            "under",
            "genom",
            "samt",
            "mot",
            "efter",
            "också",
            "detta",
            "denna",
            "alla",
            "andra",
            "än",
            "när",
            "våra",
            "vår",
            "dessa",
            "även",
            "där",
            "inom",
            "skall",
            "mellan",
        ]
    ),
    "English": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "is",
            "that",
            "for",
            "with",
            "will",
            "be",
            "are",
            "this",
            "as",
            "on",
            "by",
            "from",
            "which",
            "we",
            "our",
            "it",
            "have",
            "has",
            "not",
            "an",
            "its",
            "their",
            "these",
            "between",
            "shall",
        ]
    ),
    "German": frozenset(
        [
            "und",
            "der",
            "die",
            "das",
            "ist",
            "zu",
            "mit",
            "von",
            "für",
            "nicht",
            "auf",
            "sich",
            "ein",
            "eine",
            "wir",
            "werden",
            "im",
            "dem",
            "des",
            "sind",
            "wird",
            "auch",
            "bis",
            "unsere",
            "zwischen",
            "einer",
            "durch",
        ]
    ),
}


def check_language(text: str, name: str = "document") -> None:
    """Refuse a text that is clearly not Swedish: the detectors and the extraction read Swedish.

    Counts function words of Swedish, English and German; a text with at least 8 English or
    German ones and more of them than Swedish ones is refused. A Swedish contract with an
    English appendix still has far more Swedish function words.
    """
    words = re.findall(r"[^\W\d_]+", text[:200_000].casefold())
    counts = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _FUNCTION_WORDS.items()}
    foreign = max(("English", "German"), key=lambda lang: counts[lang])
    if counts[foreign] >= 8 and counts[foreign] > counts["Swedish"]:
        raise InputError(
            f"{name}: the text is in {foreign}, not Swedish ({counts[foreign]} {foreign} vs {counts['Swedish']} "
            "Swedish function words); klimatgraf reads Swedish contracts, give the Swedish original"
        )


def _mention_weight(text: str, mention: Mention) -> int:
    before = text[max(0, mention.start - 40) : mention.start]
    if _OTHER_CONTEXT.search(before):
        return 0
    weight = 1
    if mention.with_kommun:
        weight += 2
        if _SELF_VERBS.match(text[mention.end : mention.end + 30]):
            weight += 5
    if re.search(r"\bmellan\s*$", before, re.IGNORECASE):
        weight += 10
    return weight


def detect_doc_type(text: str, name: str = "document") -> DocType:
    folded = fold(text)
    if re.search(r"\b(denna|fordjupade?)\s+avsiktsforklaring", folded):
        return DocType.avsiktsforklaring
    if "klimatkontrakt" in folded or cover_title(text):
        return DocType.klimatkontrakt
    raise DetectionError(
        f"{name}: neither a Klimatkontrakt nor an avsiktsförklaring could be recognised; pass --type to ingest"
    )


def detect_version(text: str) -> str | None:
    """'VERSION 2025–2026' or 'version 2025/26' → '2025-2026' (the cover's upper-case form wins);
    the yearly editions of 2020–2024 have a line of their own, 'VERSION 2022' → '2022'."""
    on_cover = cover_version(text)
    if on_cover is not None:
        return on_cover
    pattern = r"\b{}\s+(20\d\d)\s*[–/-]\s*(\d{{2}}|20\d\d)\b"
    match = re.search(pattern.format("VERSION"), text)
    if match is None:
        single = re.search(r"^[ \t]*VERSION[ \t]+(20\d\d)[ \t]*$", text, re.MULTILINE | re.IGNORECASE)
        if single is not None:
            return single.group(1)
        match = re.search(pattern.format("[Vv]ersion"), text)
    if match is None:
        return None
    start, end = match.group(1), match.group(2)
    if len(end) == 2:
        end = start[:2] + end
    return f"{start}-{end}"


# The contract section of the yearly editions ("8. Kontraktet"): its date is the signing date,
# whatever other dates the text gives earlier (a plan "undertecknades" in March).
_CONTRACT_SECTION = re.compile(r"^[ \t]*(?:\d{1,2}\.?[ \t]*)?Kontraktet[ \t]*$", re.MULTILINE)
_ISO_DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
CONTRACT_SECTION_CHARS = 1500
# a place and a date on a line of their own, as a signature block opens: "Stockholm den 5 december 2025"
_SIGNING_LINE = re.compile(
    r"^[ \t]*[A-ZÅÄÖ][\wåäö-]+(?:[ \t]+[A-ZÅÄÖ][\wåäö-]+)?,?[ \t]+(?:den[ \t]+)?(\d{1,2}[ \t]+(?:"
    + "|".join(MONTHS)
    + r")[ \t]+\d{4})[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
LAST_YEARLY_EDITION = 2024  # editions 2020–2024 are yearly; from 2025 the version spans two years


def detect_signing_date(text: str) -> date | None:
    """The date in the contract section ('8. Kontraktet … den 2 december 2022'), else the date
    next to a signing verb ('undertecknas den 5 december 2025')."""
    sections = list(_CONTRACT_SECTION.finditer(text))
    if sections:
        window = text[sections[-1].end() : sections[-1].end() + CONTRACT_SECTION_CHARS]
        found = DATE_RE.search(window)
        if found:
            return parse_date(found.group(0))
        broken = cover_date(window, anywhere=True)  # "den 2 DEC EMBER 2022": a date broken inside its words
        if broken is not None:
            return broken
        iso = _ISO_DATE.search(window)
        if iso:
            try:
                return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
            except ValueError:
                pass
    on_cover = cover_date(text)
    if on_cover is not None:
        return on_cover
    signed_at = _SIGNING_LINE.findall(text)
    if signed_at:  # "Stockholm den 5 december 2025" on a line of its own, above the signatures: the last one
        return parse_date(signed_at[-1])
    for match in re.finditer(r"(underteckna\w*|signera\w*|underskri\w*|datum)\b[^.\n]{0,40}", text, re.IGNORECASE):
        date_match = DATE_RE.search(text, match.start(), match.end() + 20)
        if date_match:
            return parse_date(date_match.group(0))
    return None
