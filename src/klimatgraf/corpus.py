"""Read every contract in a data directory into documents and boilerplate-flagged paragraphs.

This is the shared front half of the pipeline (ingest → segment → boilerplate), used by the
graph build, the search index and the tests, so they all see the same paragraphs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .config import reference_csv
from .errors import InputError
from .ingest import SUPPORTED_SUFFIXES, read_document
from .models import Document, Paragraph
from .reference import Gazetteer
from .segment import mark_boilerplate, segment
from .store import write_atomically
from .vocabulary import DocType


@dataclass(frozen=True)
class Corpus:
    documents: tuple[Document, ...]
    paragraphs: tuple[Paragraph, ...]  # all documents, in document order then reading order
    gazetteer: Gazetteer
    superseded: tuple[tuple[Document, Document], ...] = ()  # (left out, the newer one kept)

    def paragraphs_of(self, doc_id: str) -> list[Paragraph]:
        return [p for p in self.paragraphs if p.doc_id == doc_id]

    @property
    def by_pid(self) -> dict[str, Paragraph]:
        return {p.pid: p for p in self.paragraphs}


def contract_files(data_dir: Path) -> list[Path]:
    contracts = data_dir / "contracts"
    if not data_dir.is_dir():
        raise InputError(f"data directory {data_dir} does not exist; pass --data-dir or set KLIMATGRAF_DATA")
    if not contracts.is_dir():
        raise InputError(f"{contracts} does not exist; put the contract files (.txt/.pdf) there")
    files = sorted(p for p in contracts.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
    if not files:
        raise InputError(f"no .txt or .pdf contracts in {contracts}; add one with `klimatgraf ingest FILE`")
    return files


def load_gazetteer(data_dir: Path) -> Gazetteer:
    """The data directory's own kommuner.csv when it has one (a user may add a municipality), else the
    copy shipped inside the package, so a data directory of contracts alone is enough."""
    own = data_dir / "reference" / "kommuner.csv"
    return Gazetteer.from_csv(own if own.exists() else reference_csv())


OVERRIDES = "overrides.json"


def load_overrides(data_dir: Path) -> dict[str, dict[str, str]]:
    """Per-file corrections given to `ingest --municipality/--type`, kept so rebuilds honour them."""
    path = data_dir / OVERRIDES
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(f"{path} is not valid JSON; fix or delete it") from None
    return data if isinstance(data, dict) else {}


def save_override(data_dir: Path, file_name: str, *, municipality: str, doc_type: str) -> None:
    overrides = load_overrides(data_dir)
    overrides[file_name] = {"municipality": municipality, "type": doc_type}
    text = json.dumps(overrides, ensure_ascii=False, indent=2, sort_keys=True)
    write_atomically(data_dir / OVERRIDES, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def load_corpus(data_dir: Path, progress: Callable[[str], None] | None = None) -> Corpus:
    """All contracts of `data_dir/contracts`, segmented, with shared template text flagged."""
    files = contract_files(data_dir)  # first: a missing data directory is the clearest error
    gazetteer = load_gazetteer(data_dir)
    overrides = load_overrides(data_dir)
    read: list[tuple[Document, float]] = []
    for path in files:
        if progress:
            progress(path.name)
        override = overrides.get(path.name, {})
        document = read_document(
            path,
            gazetteer,
            municipality=override.get("municipality"),
            doc_type=_override_type(override.get("type"), path.name),
        )
        read.append((document, path.stat().st_mtime))
    documents, superseded = newest_versions(read)
    by_doc: dict[str, list[Paragraph]] = {}
    for document in documents:
        if document.doc_id in by_doc:
            raise InputError(f"{document.file_name}: two files map to the id {document.doc_id!r}; rename one of them")
        by_doc[document.doc_id] = segment(document)
    flagged = mark_boilerplate(by_doc, gazetteer, {d.doc_id: d.municipality.kommunkod for d in documents})
    paragraphs = tuple(p for d in documents for p in flagged[d.doc_id])
    return Corpus(tuple(documents), paragraphs, gazetteer, tuple(superseded))


def edition_order(document: Document) -> tuple[int, date, str]:
    """Editions sort by edition year (the version's first year), then signing date, then id."""
    return (document.edition_year or 0, document.signed or date.min, document.doc_id)


def latest_editions(documents: Iterable[Document]) -> set[str]:
    """doc_ids of the latest edition of each municipality and document type."""
    latest: dict[tuple[str, str], Document] = {}
    for d in documents:
        key = (d.municipality.kommunkod, d.doc_type)
        if key not in latest or edition_order(d) > edition_order(latest[key]):
            latest[key] = d
    return {d.doc_id for d in latest.values()}


def _override_type(value: str | None, file_name: str) -> DocType | None:
    """The document type an override names (ingest --type), checked against the vocabulary."""
    if value is None:
        return None
    try:
        return DocType(value)
    except ValueError:
        raise InputError(
            f"{OVERRIDES}: {file_name} has the unknown type {value!r}; use one of {', '.join(DocType)}"
        ) from None


def newest_versions(
    documents: list[tuple[Document, float]],
) -> tuple[list[Document], list[tuple[Document, Document]]]:
    """One document per municipality, document type and version: the newer replaces the older.
    Documents with different versions are editions and are all kept (see editions.py).

    Newer means a later signing date (a dated document beats an undated one), then the file
    modified last (`ingest` copies a file in, so the one ingested last), then the file name.
    Two editions of one contract would otherwise give the municipality its facts twice and
    turn every paragraph the two share into "template" text. Returns the documents kept, in
    file order, and (left out, kept) pairs.
    """
    groups: dict[tuple[str, str, str | None], list[tuple[Document, float]]] = {}
    for document, mtime in documents:
        groups.setdefault((document.municipality.kommunkod, document.doc_type, document.version), []).append(
            (document, mtime)
        )
    winners: dict[str, Document] = {}
    superseded: list[tuple[Document, Document]] = []
    for members in groups.values():
        ranked = sorted(members, key=lambda m: (m[0].signed is not None, m[0].signed or 0, m[1], m[0].file_name))
        newest = ranked[-1][0]
        winners[newest.file_name] = newest
        superseded.extend((old, newest) for old, _ in ranked[:-1])
    return [d for d, _ in documents if d.file_name in winners], superseded
