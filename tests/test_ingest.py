"""Detection of municipality, type, version and date from the documents' own text; bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from klimatgraf.errors import DetectionError, InputError
from klimatgraf.ingest import detect_municipality, doc_id_for, read_document
from klimatgraf.reference import Gazetteer

SEEDS = {
    "alvesta-klimatkontrakt.txt": ("0764", "klimatkontrakt", "2025-2026", None),
    "avesta-fordjupad-avsiktsforklaring.txt": ("2084", "avsiktsforklaring", None, date(2025, 12, 5)),
    "kristinehamn-fordjupad-avsiktsforklaring.txt": ("1781", "avsiktsforklaring", None, date(2025, 12, 5)),
    "ornskoldsvik-klimatkontrakt.txt": ("2284", "klimatkontrakt", "2025-2026", None),
    "skelleftea-klimatkontrakt.txt": ("2482", "klimatkontrakt", "2025-2026", None),
}


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_metadata_is_detected_from_the_text(name: str, data_dir: Path, gazetteer: Gazetteer) -> None:
    document = read_document(data_dir / "contracts" / name, gazetteer)
    code, kind, version, signed = SEEDS[name]
    assert (document.municipality.kommunkod, document.doc_type, document.version, document.signed) == (
        code,
        kind,
        version,
        signed,
    )
    assert len(document.sha256) == 64


def test_the_pioneer_named_often_does_not_win_over_the_author(gazetteer: Gazetteer) -> None:
    text = (
        "Lekebergs kommun avser genom denna fördjupade avsiktsförklaring att kraftsamla. "
        + "Vi lär av vår pionjärkommun Örebro. " * 6
        + "Erfarenheter från Örebro kommun är viktiga. Lekebergs kommun kommer att utveckla arbetet."
    )
    assert detect_municipality(text, gazetteer).name == "Lekeberg"


def test_genitive_and_cover_forms_are_recognised(gazetteer: Gazetteer) -> None:
    text = "Klimatkontrakt 2030\nMellan Härnösands kommun och myndigheterna Energimyndigheten, Vinnova.\n"
    assert detect_municipality(text, gazetteer).kommunkod == "2280"


def test_latin1_text_is_decoded_not_mangled(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = tmp_path / "växjö.txt"
    path.write_bytes("Växjö kommun avser genom denna fördjupade avsiktsförklaring att arbeta.".encode("cp1252"))
    document = read_document(path, gazetteer)
    assert "Växjö kommun avser" in document.text
    assert document.municipality.kommunkod == "0780"
    assert document.doc_id == "vaxjo"


def test_utf16_with_bom_is_decoded(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = tmp_path / "lund.txt"
    path.write_bytes("Lunds kommun väljer att ingå i Klimatkontrakt 2030.".encode("utf-16"))
    assert read_document(path, gazetteer).municipality.name == "Lund"


def test_overrides_win_over_detection(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = tmp_path / "x.txt"
    path.write_text("Ett dokument utan igenkännbar kommun men om klimatkontrakt.", encoding="utf-8")
    document = read_document(path, gazetteer, municipality="Ornskoldsvik", doc_type="avsiktsforklaring")
    assert (document.municipality.name, document.doc_type) == ("Örnsköldsvik", "avsiktsforklaring")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "contains no text"),
        ("blank.txt", b"  \n\t\n ", "contains no text"),
        ("binary.txt", bytes(range(256)) * 4, "binary"),
        ("nobody.txt", "Ett klimatkontrakt om ingenting särskilt.".encode(), "no municipality could be detected"),
        ("notes.docx", b"PK\x03\x04", "unsupported file type"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj\n<<", "not a readable PDF"),
        ("other.txt", b"Lunds kommun har en cykelplan och en budget.", "neither a Klimatkontrakt"),
    ],
)
def test_bad_input_gives_one_clear_line(
    tmp_path: Path, gazetteer: Gazetteer, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as excinfo:
        read_document(path, gazetteer)
    assert message in str(excinfo.value)
    assert "\n" not in str(excinfo.value)


def test_missing_file_is_an_input_error(tmp_path: Path, gazetteer: Gazetteer) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_document(tmp_path / "nope.txt", gazetteer)


def test_detection_error_is_an_input_error() -> None:
    assert issubclass(DetectionError, InputError)


def test_doc_ids_are_ascii_slugs() -> None:
    assert doc_id_for(Path("Örnsköldsvik Klimatkontrakt 2025.pdf")) == "ornskoldsvik-klimatkontrakt-2025"


def test_a_real_pdf_keeps_page_numbers(tmp_path: Path, gazetteer: Gazetteer) -> None:
    pdf = _make_pdf(["Alvesta kommun väljer att ingå i Klimatkontrakt 2030.", "Sida två om Alvesta kommun."])
    path = tmp_path / "alvesta.pdf"
    path.write_bytes(pdf)
    document = read_document(path, gazetteer)
    assert [p.number for p in document.pages] == [1, 2]
    assert "Sida två" in document.pages[1].text
    assert document.municipality.name == "Alvesta"


def test_a_pdf_without_text_layer_is_refused(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(_make_pdf([""]))
    with pytest.raises(InputError, match="no text layer"):
        read_document(path, gazetteer)


def test_an_encrypted_pdf_is_refused(tmp_path: Path, gazetteer: Gazetteer) -> None:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_make_pdf(["Alvesta kommun, klimatkontrakt."]))))
    writer.encrypt(user_password="hemligt", owner_password="hemligt")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(InputError, match="encrypted"):
        read_document(path, gazetteer)


def _make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one text line per page (Helvetica, WinAnsi covers å ä ö)."""
    objects: list[bytes] = []
    kids = []
    font_id = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        page_id, content_id = 3 + 2 * i, 4 + 2 * i
        kids.append(f"{page_id} 0 R")
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")
        stream = b"BT /F1 11 Tf 50 750 Td (" + escaped + b") Tj ET" if text else b""
        objects.append(
            f"{page_id} 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {content_id} 0 R >> endobj\n".encode()
        )
        objects.append(
            f"{content_id} 0 obj << /Length {len(stream)} >> stream\n".encode() + stream + b"\nendstream endobj\n"
        )
    head = [
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n",
        f"2 0 obj << /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >> endobj\n".encode(),
    ]
    font = f"{font_id} 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >> endobj\n".encode()
    body = b"%PDF-1.4\n"
    offsets = []
    for obj in [*head, *objects, font]:
        offsets.append(len(body))
        body += obj
    xref = len(body)
    body += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    body += f"trailer << /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return body
