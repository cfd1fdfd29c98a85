"""Plain data passed between the pipeline stages (ingest → segment → extract → graph).

Frozen dataclasses so that a stage cannot mutate what an earlier stage produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from .vocabulary import DocType, Scope  # declared once in vocabulary; importable from here as before

TargetKind = Literal[
    "neutrality", "net_zero", "positive", "reduction", "annual_reduction", "cap", "relative_cap", "per_person_cap"
]
# how a contract states a goal: "ska"/"har som mål" set a target, "bör"/"vill" an ambition; a carbon budget is a budget
Modality = Literal["target", "ambition", "budget"]
PartyKind = Literal["municipality", "agency", "programme"]
OrgKind = Literal[
    "company",
    "university",
    "research",
    "network",
    "municipal_company",
    "authority",
    "school",
    "region",
    "association",
    "other",
]


@dataclass(frozen=True)
class Municipality:
    kommunkod: str  # four digits, SCB code, e.g. "0764"
    name: str  # "Alvesta"
    lanskod: str  # "07"
    lan: str  # "Kronobergs län"


@dataclass(frozen=True)
class Page:
    number: int
    text: str


@dataclass(frozen=True)
class Document:
    """One input file, decoded, with what could be detected from its own text."""

    doc_id: str  # slug of the file stem, e.g. "alvesta-klimatkontrakt"
    file_name: str
    sha256: str
    text: str  # whole decoded text, lines joined with "\n"
    pages: tuple[Page, ...]  # for PDFs the real pages; for text, one page (pages found by segment)
    municipality: Municipality
    doc_type: DocType
    title: str
    version: str | None = None  # "2025-2026", or "2022" for the yearly editions of 2020–2024
    signed: date | None = None

    @property
    def edition_year(self) -> int | None:
        """The year that names the edition: the version's first year, else the signing year."""
        if self.version:
            return int(self.version[:4])
        return self.signed.year if self.signed else None

    @property
    def yearly_edition(self) -> bool:
        """The 2020–2024 structure: one 'VERSION 2022' line, sections 1–8, no shared commitments 1–10."""
        return self.version is not None and len(self.version) == 4


@dataclass(frozen=True)
class Paragraph:
    """A paragraph as a person reads it; list items stay inside their paragraph."""

    doc_id: str
    ordinal: int  # 1-based position within the document
    text: str
    section: tuple[str, ...] = ()  # heading path, outermost first: ("5. Kommunens åtaganden", "5.1. Klimatmål 2030")
    page: int | None = None
    kind: Literal["paragraph", "heading", "list"] = "paragraph"
    items: tuple[str, ...] = ()  # list items (bullets) when kind == "list"; text holds lead-in + items
    boilerplate: bool = False  # same normalised text occurs in two or more documents

    @property
    def pid(self) -> str:
        """Stable id: document + ordinal."""
        return f"{self.doc_id}/{self.ordinal}"

    @property
    def section_path(self) -> str:
        return " › ".join(self.section)


# ----------------------------------------------------------------------------- facts
# Every fact carries `evidence`: the pid of the paragraph it was read from.


@dataclass(frozen=True)
class Party:
    name: str  # canonical short name: "Energimyndigheten", "Viable Cities", or the municipality name
    kind: PartyKind
    evidence: str


@dataclass(frozen=True)
class TwinRelation:
    twin: str  # kommunkod of the twin (the document's municipality)
    pioneer: str  # kommunkod of the pioneer it learns from
    evidence: str


@dataclass(frozen=True)
class CommitmentAdoption:
    number: int
    label: str  # heading text as written, e.g. "Styrning och ledning"
    evidence: str


@dataclass(frozen=True)
class ClimateTarget:
    scope: Scope
    kind: TargetKind
    target_year: int
    evidence: str
    base_year: int | None = None
    value: float | None = None  # e.g. 80 (percent) or 4 (tonnes per person); the lower end of a range
    unit: str | None = None  # "percent" | "percent/year" | "tCO2e" | "tCO2e/person"
    value_max: float | None = None  # the upper end of a range ("10–14 procent per år" → 10 and 14)
    modality: Modality = "target"
    note: str | None = None  # what the accounting includes or leaves out, as the contract says it


@dataclass(frozen=True)
class EmissionFigure:
    year: int | None  # None when the text gives no year for the figure
    value: float  # in tonnes CO2e (kg figures converted)
    description: str  # what the figure covers, e.g. "växthusgasutsläpp, geografiskt område"
    evidence: str
    unit: str = "tCO2e"  # "tCO2e" | "tCO2e/person"


@dataclass(frozen=True)
class Theme:
    label: str  # "Transport och mobilitet"
    evidence: str


@dataclass(frozen=True)
class Organisation:
    name: str
    kind: OrgKind
    evidence: str


@dataclass(frozen=True)
class SteeringDocument:
    title: str
    evidence: str
    year: int | None = None
    url: str | None = None


@dataclass(frozen=True)
class Facts:
    """Everything extracted from one document."""

    document: Document
    parties: tuple[Party, ...] = ()
    twins: tuple[TwinRelation, ...] = ()
    commitments: tuple[CommitmentAdoption, ...] = ()
    targets: tuple[ClimateTarget, ...] = ()
    emissions: tuple[EmissionFigure, ...] = ()
    themes: tuple[Theme, ...] = ()
    organisations: tuple[Organisation, ...] = ()
    steering_documents: tuple[SteeringDocument, ...] = ()
    mentioned_municipalities: tuple[str, ...] = field(default=())  # kommunkoder named in the text
