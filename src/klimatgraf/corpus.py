"""Read every contract in a data directory into documents and boilerplate-flagged paragraphs.

This is the shared front half of the pipeline (ingest → segment → boilerplate), used by the
graph build, the search index and the tests, so they all see the same paragraphs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .ingest import SUPPORTED_SUFFIXES, read_document
from .models import Document, Paragraph
from .reference import Gazetteer
from .segment import mark_boilerplate, segment


@dataclass(frozen=True)
class Corpus:
    documents: tuple[Document, ...]
    paragraphs: tuple[Paragraph, ...]  # all documents, in document order then reading order
    gazetteer: Gazetteer

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
    return Gazetteer.from_csv(data_dir / "reference" / "kommuner.csv")


def load_corpus(data_dir: Path, progress: Callable[[str], None] | None = None) -> Corpus:
    """All contracts of `data_dir/contracts`, segmented, with shared template text flagged."""
    gazetteer = load_gazetteer(data_dir)
    documents = []
    by_doc: dict[str, list[Paragraph]] = {}
    for path in contract_files(data_dir):
        if progress:
            progress(path.name)
        document = read_document(path, gazetteer)
        if document.doc_id in by_doc:
            raise InputError(f"{path.name}: two files map to the id {document.doc_id!r}; rename one of them")
        documents.append(document)
        by_doc[document.doc_id] = segment(document)
    flagged = mark_boilerplate(by_doc, gazetteer)
    paragraphs = tuple(p for d in documents for p in flagged[d.doc_id])
    return Corpus(tuple(documents), paragraphs, gazetteer)
