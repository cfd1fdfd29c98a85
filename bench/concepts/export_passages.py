"""Write the passages the concept labellers read: every paragraph of the seeds (data/) and of the
held-out contracts (bench/heldout/contracts/), one JSON object a line, and the concept sheet they
label against (preferred labels, definitions and the hierarchy only: never the alternative or
negative labels the matcher uses, so that the labels judge the matcher instead of copying it).

    python bench/concepts/export_passages.py [--out bench/concepts]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from klimatgraf.concepts.scheme import read_scheme  # noqa: E402
from klimatgraf.corpus import load_corpus  # noqa: E402

# The concepts labelled (issue 22: at least 40, across the hierarchy), chosen before any tagging was
# evaluated: six top concepts, and below them topics municipal contracts talk about, common and rare.
LABELLED = """
energisystem mobilitet-och-transporter cirkular-ekonomi mat-och-konsumtion klimatanpassning natur-och-markanvandning
fornybar-energi energieffektivisering uppvarmning-och-kyla solenergi vindkraft biogas fjarrvarme
kollektivtrafik busstrafik cykel elfordon laddinfrastruktur fornybara-drivmedel fossilfria-fordon tjansteresor
fysisk-planering klimatsmart-byggande energieffektiv-renovering tradbyggande
aterbruk avfallshantering matavfall
hallbar-mat matsvinn offentliga-maltider konsumtionsbaserade-utslapp
skogsbruk jordbruk biologisk-mangfald kolsankor oversvamning
klimatneutralitet koldioxidbudget fardplan vaxthusgasinventering samverkan-mellan-kommuner rattvis-omstallning
offentlig-upphandling klimatkrav-i-upphandling klimatinvesteringsplan
medborgardialog naringslivssamverkan skolor-och-utbildning forskningssamverkan industriell-omstallning digital-tvilling
""".split()  # noqa: SIM905 - a word list reads better as words


def passages(data_dir: Path, split: str) -> list[dict[str, object]]:
    corpus = load_corpus(data_dir)
    docs = {d.doc_id: d for d in corpus.documents}
    return [
        {
            "id": f"{split}:{p.pid}",
            "sha1": hashlib.sha1(" ".join(p.text.split()).encode()).hexdigest()[:12],
            "split": split,
            "document": p.doc_id,
            "municipality": docs[p.doc_id].municipality.name,
            "section": p.section_path,
            "text": p.text,
        }
        for p in corpus.paragraphs
    ]


def concept_sheet() -> list[dict[str, object]]:
    scheme = read_scheme()
    sheet = []
    for slug in LABELLED:
        concept = next(c for c in scheme.concepts if c.slug == slug)
        sheet.append(
            {
                "concept": slug,
                "label_sv": concept.pref_sv,
                "label_en": concept.pref_en,
                "definition": concept.definition,
                "broader": [scheme[b].pref_sv for b in concept.broader],
                "narrower": [scheme[n].pref_sv for n in scheme.descendants(concept.iri)],
            }
        )
    return sheet


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "concepts")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        heldout = Path(tmp) / "data"
        shutil.copytree(ROOT / "bench" / "heldout" / "contracts", heldout / "contracts")
        rows = passages(ROOT / "data", "seeds") + passages(heldout, "heldout")
    with open(args.out / "passages.jsonl", "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    (args.out / "concept_sheet.json").write_text(
        json.dumps(concept_sheet(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{len(rows)} passages, {len(LABELLED)} concepts -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
