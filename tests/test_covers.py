"""Covers of every edition read without --municipality: capitals, genitive names, words broken by stray
spaces, spaced-out titles, repeated or broken VERSION lines, dates in words in any case and ISO dates."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from klimatgraf.corpus import load_gazetteer
from klimatgraf.extract import extract
from klimatgraf.ingest import read_document
from klimatgraf.reference import Gazetteer
from klimatgraf.segment import segment

BODY = "\n\n1. Syftet\nKontraktet ska göra omställningen snabbare.\n"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer(Path("/nonexistent"))


def read(tmp_path: Path, gazetteer: Gazetteer, cover: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "cover.txt"
    path.write_text(cover + BODY, encoding="utf-8")
    document = read_document(path, gazetteer)
    return document, extract(document, segment(document), gazetteer)


@pytest.mark.parametrize(
    ("cover", "name", "signed"),
    [
        (
            "KLIMATKONTRAKT 2030\nMELLAN ENKÖPINGS KOMMUN OCH MYNDIGHETERNA\n"
            "ENERGIMYNDIGHETEN, FORMAS, VINNOVA OCH TILLVÄXTVERKET SAMT VIABLE CITIES\n11 DECEMBER 2020",
            "Enköping",
            datetime.date(2020, 12, 11),
        ),
        (
            "K L I M A T K O N T R A K T  2 0 3 0\nMEL LAN UPPS ALAS KOM MUN OCH MYNDIGHE TERNA\n"
            "ENERGI MYNDIGHETEN, FOR MAS, VINNO VA OCH TILLVÄXT VERKET\nSA MT VIA BLE CI TIES\n1 1 DEC EM BER 20 20",
            "Uppsala",
            datetime.date(2020, 12, 11),
        ),
        (
            "KLIMATKONTRAKT 2030\nMELLAN BORÅS KOMMUN OCH MYNDIGHETERNA\n"
            "ENERGIMYNDIGHETEN, FORMAS, VINNOVA OCH TILLVÄXTVERKET SAMT VIABLE CITIES\n2020-12-11",
            "Borås",
            datetime.date(2020, 12, 11),
        ),
        (
            "Klimatkontrakt 2030\nMellan Upplands Väsbys kommun och myndigheterna\n"
            "Energimyndigheten, Formas, Vinnova och Tillväxtverket samt Viable Cities\n11 december 2020",
            "Upplands Väsby",
            datetime.date(2020, 12, 11),
        ),
    ],
)
def test_a_2020_cover_is_read_in_any_case_and_however_its_words_are_broken(
    tmp_path: Path, gazetteer: Gazetteer, cover: str, name: str, signed: datetime.date
) -> None:
    document, facts = read(tmp_path, gazetteer, cover)
    assert (document.municipality.name, document.doc_type, document.signed) == (name, "klimatkontrakt", signed)
    assert (document.version, document.edition_year, document.yearly_edition) == ("2020", 2020, True)
    assert {(p.name, p.kind) for p in facts.parties} == {
        (name, "municipality"),
        ("Energimyndigheten", "agency"),
        ("Formas", "agency"),
        ("Vinnova", "agency"),
        ("Tillväxtverket", "agency"),
        ("Viable Cities", "programme"),
    }


@pytest.mark.parametrize(
    "version_lines",
    [
        "VERSION 2022",
        "VERSION 2022\n\nVERSION 2022",
        "VERSION 2022 VERSION 2022",
        "VERSI ON 2022",
        "V E R S I O N 2 0 2 2",
    ],
)
def test_a_version_line_repeated_or_broken(tmp_path: Path, gazetteer: Gazetteer, version_lines: str) -> None:
    cover = (
        f"{version_lines}\n\nKlimatkontrakt 20 0\nMellan Gävle kommun och myndigheterna Energimyndigheten, Formas,\n"
        "Vinnova, Tillväxtverket, Trafikverket, Naturvårdsverket samt Viable Cities"
    )
    document, facts = read(tmp_path, gazetteer, cover)
    assert (document.municipality.name, document.version, document.edition_year) == ("Gävle", "2022", 2022)
    assert {"Gävle", "Naturvårdsverket", "Trafikverket", "Viable Cities"} <= {p.name for p in facts.parties}


def test_a_date_in_the_body_is_not_the_cover_s(tmp_path: Path, gazetteer: Gazetteer) -> None:
    cover = "KLIMATKONTRAKT 2030\nMELLAN ENKÖPINGS KOMMUN OCH MYNDIGHETERNA\nSAMT VIABLE CITIES"
    path = tmp_path / "c.txt"
    path.write_text(cover + "\n\n1. Syftet\nPlanen antogs den 3 mars 2019 av fullmäktige.\n", encoding="utf-8")
    document = read_document(path, gazetteer)
    assert document.signed is None and document.version is None


def test_another_municipality_named_in_the_body_does_not_win_over_the_cover(
    tmp_path: Path, gazetteer: Gazetteer
) -> None:
    cover = "KLIMATKONTRAKT 2030\nMELLAN ENK ÖPINGS KOMMUN OCH MYNDIGHETERNA\nSAMT VIABLE CITIES\n11 DECEMBER 2020"
    path = tmp_path / "c.txt"
    text = cover + "\n\n1. Syftet\nUppsala kommun har varit en förebild. Uppsala kommun ska dela sina erfarenheter.\n"
    path.write_text(text, encoding="utf-8")
    assert read_document(path, gazetteer).municipality.name == "Enköping"


def test_cooperation_between_two_municipalities_in_an_opening_is_no_cover(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = tmp_path / "avsikt.txt"
    path.write_text(
        "Mellan Borlänge kommun och Avesta kommun finns ett långt samarbete om energi.\n\n"
        "Avesta kommun avser genom denna fördjupade avsiktsförklaring att kraftsamla.\n"
        "Avesta kommun kommer att arbeta vidare.\n",
        encoding="utf-8",
    )
    assert read_document(path, gazetteer).municipality.name == "Avesta"


def test_a_signing_date_broken_inside_its_words_under_kontraktet(tmp_path: Path, gazetteer: Gazetteer) -> None:
    cover = "VERSION 2022\nKlimatkontrakt 2030\nMellan Gävle kommun och myndigheterna samt Viable Cities"
    path = tmp_path / "c.txt"
    path.write_text(cover + "\n\n8. Kontraktet\nKontraktet undertecknas den 2 DEC EMBER 2022.\n", encoding="utf-8")
    assert read_document(path, gazetteer).signed == datetime.date(2022, 12, 2)
