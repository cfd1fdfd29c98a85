"""Regenerate the committed bad-input files: `python tests/bad_inputs/make_inputs.py`.

They are small and committed so that every case is a file one can open; the 50 MB file is
made at test time instead (see tests/test_bad_inputs.py). expected.json maps each file to the
exit code and the stderr line `klimatgraf ingest` must give.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from test_ingest import _make_pdf  # noqa: E402  (the minimal PDF writer the ingest tests use)

KONTRAKT_LUND = """Klimatkontrakt 2030
Mellan Lunds kommun och myndigheterna Energimyndigheten, Formas, Vinnova samt Viable Cities.

Lunds kommun väljer att ingå i Klimatkontrakt 2030 och kommer att arbeta för att bli
klimatneutral till år 2030. Det innebär att vi ska minska utsläppen från transporter,
bygg och energi, och att vi gör det tillsammans med näringslivet och invånarna.

Lunds kommun åtar sig att följa upp arbetet varje år och att dela erfarenheter med andra
städer i missionen.
"""

AVSIKT_VAXJO = """Växjö kommun avser genom denna fördjupade avsiktsförklaring att fortsatt kraftsamla och
bidra till en snabb omställning till klimatneutrala städer 2030. Som ett led i detta kommer
Växjö kommun att sträva efter att ta fram och signera ett Klimatkontrakt 2030.

Denna fördjupade avsiktsförklaring undertecknas den 5 december 2025 i Stockholm.

Växjö kommun kommer att arbeta med energi, mobilitet och hållbar konsumtion.
"""

KONTRAKT_HARNOSAND = """Klimatkontrakt 2030 VERSION 2025–2026
Mellan Härnösands kommun och myndigheterna Energimyndigheten, Formas och Vinnova.

Härnösands kommun väljer att ingå i Klimatkontrakt 2030 och avser att minska utsläppen
från den egna verksamheten med 60 procent till år 2030 jämfört med 2019.
Härnösands kommun kommer att prioritera transporter och energi i arbetet.
"""

# A newer edition of a seed: same municipality, type and version as alvesta-klimatkontrakt.txt.
KONTRAKT_ALVESTA_NY = """Klimatkontrakt 2030 VERSION 2025–2026
Mellan Alvesta kommun och myndigheterna Energimyndigheten, Formas, Vinnova samt Viable Cities.

Alvesta kommun väljer att ingå i Klimatkontrakt 2030 och kommer att arbeta för att bli
klimatneutral till år 2030 tillsammans med Växjö kommun som pionjärstad.
Alvesta kommun har uppdaterat sitt kontrakt med en ny plan för cykeltrafik och matsvinn.

Detta kontrakt undertecknas den 12 januari 2026.
"""

ENGLISH = """Climate City Contract 2030
Between the municipality of Lund and the agencies Energimyndigheten, Formas and Vinnova.

Lund municipality has decided to take part in the Climate City Contract 2030. The aim of the
contract is that the city shall be climate neutral by 2030, and that this will be achieved
with the help of its residents and businesses. We will report on our progress every year and
share what we learn with the other cities of the mission. The municipality of Lund is one of
the pioneers of this work, and its plan for transport and energy is part of the contract.
"""

GERMAN = """Klimavertrag 2030
Zwischen der Gemeinde Lund und den Behörden Energimyndigheten, Formas und Vinnova.

Die Gemeinde Lund hat beschlossen, an dem Klimavertrag 2030 teilzunehmen. Das Ziel des
Vertrags ist, dass die Stadt bis 2030 klimaneutral wird, und dass dies mit der Hilfe der
Bürger und der Unternehmen erreicht wird. Wir werden jedes Jahr über unsere Fortschritte
berichten und sind bereit, unsere Erfahrungen mit den anderen Städten der Mission zu teilen.
"""

UNKNOWN = """Klimatkontrakt 2030
Mellan Storby kommun och myndigheterna Energimyndigheten, Formas och Vinnova.

Storby kommun väljer att ingå i Klimatkontrakt 2030 och kommer att arbeta för att bli
klimatneutral till år 2030. Storby kommun avser att minska utsläppen från transporter.
"""


def _scanned_pdf() -> bytes:
    """One page that carries only an image (8×8 grey pixels), as a scanner makes it: no text layer."""
    pixels = bytes((x * 16 + y * 8) % 256 for y in range(8) for x in range(8))
    content = b"q 500 0 0 700 50 70 cm /Im1 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Length %d >>\nstream\n" % len(pixels) + pixels + b"\nendstream",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj " % number + obj + b" endobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    body += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_make_pdf(KONTRAKT_LUND.splitlines()[:3]))))
    writer.encrypt(user_password="hemligt", owner_password="hemligt")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> None:
    lund_pdf = _make_pdf([line for line in KONTRAKT_LUND.splitlines() if line])
    files: dict[str, bytes] = {
        "empty.txt": b"",
        "whitespace.txt": b" \n\t\n   \r\n \n",
        "binary.txt": bytes(range(256)) * 4,
        "truncated.pdf": lund_pdf[: len(lund_pdf) // 2],
        "encrypted.pdf": _encrypted_pdf(),
        "scanned.pdf": _scanned_pdf(),
        "utf16.txt": KONTRAKT_LUND.encode("utf-16"),
        "latin1.txt": AVSIKT_VAXJO.encode("latin-1"),
        "english.txt": ENGLISH.encode(),
        "german.txt": GERMAN.encode(),
        "storby-unknown-municipality.txt": UNKNOWN.encode(),
        "Härnösand klimatkontrakt 2025 – utkast.txt": KONTRAKT_HARNOSAND.encode(),
        "tom fil från Örnsköldsvik.txt": b"",
        "alvesta-klimatkontrakt-ny-utgava.txt": KONTRAKT_ALVESTA_NY.encode(),
        "lund.pdf": lund_pdf,
    }
    for name, data in files.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
