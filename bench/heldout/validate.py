"""Check the held-out answer keys and question bank against the documents they describe.

Run: python3 bench/heldout/validate.py [--seeds DIR]

Why: the keys quote sentences from PDF-extracted text (hard-wrapped, hyphenated at line
ends, page footers in the middle of sentences). A quote that no longer occurs after an
edit of a document makes the key silently wrong, so every quoted string is checked here
against the document with the same artefact-tolerant comparison: page footers dropped,
then everything but letters and digits removed and case folded. The question bank is
checked for its format and for answer sets that name municipalities the corpus has.
Standard library only; exit 0 when everything holds, 1 with one line per fault otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
FOOTER = re.compile(r"^\s*viablecities\.se \d+\s*$")
KINDS = {
    "neutrality",
    "net-zero",
    "climate-positive",
    "annual-reduction",
    "reduction-vs-base-year",
    "absolute-cap",
    "relative-cap",
    "per-person-consumption",
}
SCOPES = {"geographic", "organisation", "town", "consumption"}
MODALITIES = {"target", "ambition"}
RELATIONS = {
    "twin",
    "pioneer",
    "party",
    "agency",
    "commitment",
    "target",
    "emission",
    "organisation",
    "steering-document",
    "edition",
    "none",
}
SEED_MUNICIPALITIES = {"Alvesta", "Avesta", "Kristinehamn", "Örnsköldsvik", "Skellefteå"}
# municipalities named as pioneers but without a document of their own in the corpus
PIONEERS_WITHOUT_DOCUMENT = {"Växjö", "Borlänge", "Karlstad", "Göteborg"}


def squash(text: str) -> str:
    """Letters and digits only, case-folded: the comparison that survives PDF artefacts."""
    lines = [ln for ln in text.splitlines() if not FOOTER.match(ln)]
    return re.sub(r"[^0-9a-zåäöéü]", "", " ".join(lines).casefold())


def quoted_strings(key: dict) -> list[tuple[str, str]]:
    """Every (where, text) in a key that must occur in its document."""
    out: list[tuple[str, str]] = []
    for i, t in enumerate(key["targets"]):
        out.append((f"targets[{i}].sentence", t["sentence"]))
        if t.get("accounting_note_sentence"):
            out.append((f"targets[{i}].accounting_note_sentence", t["accounting_note_sentence"]))
        if t.get("definition"):
            out.append((f"targets[{i}].definition", t["definition"]))
    for i, n in enumerate(key["non_targets"]):
        out.append((f"non_targets[{i}]", n["sentence"]))
    for i, e in enumerate(key["emissions"]):
        out.append((f"emissions[{i}]", e["sentence"]))
    for i, c in enumerate(key.get("emission_changes", [])):
        out.append((f"emission_changes[{i}]", c["sentence"]))
    for i, o in enumerate(key["organisations"]):
        out.append((f"organisations[{i}].sentence", o["sentence"]))
        if o["kind"] != "kommun" or o["name"] in o["sentence"]:
            out.append((f"organisations[{i}].name", o["name"]))
    for i, o in enumerate(key["non_organisations"]):
        out.append((f"non_organisations[{i}].phrase", o["phrase"]))
        out.append((f"non_organisations[{i}].sentence", o["sentence"]))
    for i, s in enumerate(key["steering_documents"]):
        out.append((f"steering_documents[{i}]", s["title"]))
    for a in key.get("arenas", []):
        out.append(("arenas", a))
    for v in key.get("version_forms", []):
        out.append(("version_forms", v))
    for d in key.get("signing_date_as_written", []):
        out.append(("signing_date_as_written", d))
    for s in key.get("pioneer_sentences", []):
        out.append(("pioneer_sentences", s))
    return out


def check_key(path: Path, faults: list[str]) -> dict:
    key = json.loads(path.read_text(encoding="utf-8"))
    doc = HERE / key["file"]
    if not doc.exists():
        faults.append(f"{path.name}: document {key['file']} missing")
        return key
    text = squash(doc.read_text(encoding="utf-8"))
    for where, s in quoted_strings(key):
        if squash(s) not in text:
            faults.append(f"{path.name}: {where} not found in document: {s[:70]!r}")
    for i, t in enumerate(key["targets"]):
        if t["kind"] not in KINDS or t["scope"] not in SCOPES or t["modality"] not in MODALITIES:
            faults.append(f"{path.name}: targets[{i}] has an unknown kind/scope/modality")
        if t["kind"] == "annual-reduction" and t["low"] is not None and t["low"] > t["high"]:
            faults.append(f"{path.name}: targets[{i}] range low > high")
    if key["document_type"] not in ("klimatkontrakt", "avsiktsforklaring"):
        faults.append(f"{path.name}: unknown document_type")
    if set(key["adopted_commitments"]) & set(key["linked_commitments"]):
        faults.append(f"{path.name}: a commitment is both adopted and only linked")
    if squash(key["municipality"]) not in text:
        faults.append(f"{path.name}: municipality name not in document")
    return key


def check_questions(path: Path, municipalities: set[str], faults: list[str]) -> None:
    bank = json.loads(path.read_text(encoding="utf-8"))
    seen = set()
    for i, q in enumerate(bank["questions"]):
        for field in ("q", "lang", "relation", "expect", "why", "over"):
            if field not in q:
                faults.append(f"questions[{i}]: missing {field}")
        if q["relation"] not in RELATIONS:
            faults.append(f"questions[{i}]: unknown relation {q['relation']}")
        if q["over"] not in ("seeds", "heldout", "both"):
            faults.append(f"questions[{i}]: unknown 'over' {q['over']}")
        if q["lang"] not in ("sv", "en"):
            faults.append(f"questions[{i}]: unknown lang {q['lang']}")
        for m in q["expect"]:
            if m not in municipalities:
                faults.append(f"questions[{i}]: {m} is not a municipality of the corpus")
        if len(set(q["expect"])) != len(q["expect"]):
            faults.append(f"questions[{i}]: duplicate in expect")
        if isinstance(q["why"], dict) and set(q["why"]) - set(q["expect"]) - {"_"}:
            faults.append(f"questions[{i}]: 'why' explains a municipality not in expect")
        if isinstance(q["why"], dict):
            missing = set(q["expect"]) - set(q["why"])
            if missing:
                faults.append(f"questions[{i}]: no 'why' for {sorted(missing)}")
        over = q["over"]
        named = set(q["expect"])
        if over == "seeds" and named - SEED_MUNICIPALITIES - PIONEERS_WITHOUT_DOCUMENT:
            faults.append(f"questions[{i}]: over=seeds but expects {sorted(named - SEED_MUNICIPALITIES)}")
        if over == "heldout" and named & SEED_MUNICIPALITIES:
            faults.append(f"questions[{i}]: over=heldout but expects seed municipalities")
        if q["q"] in seen:
            faults.append(f"questions[{i}]: duplicate question")
        seen.add(q["q"])
    rel = Counter(q["relation"] for q in bank["questions"])
    lang = Counter(q["lang"] for q in bank["questions"])
    over = Counter(q["over"] for q in bank["questions"])
    empty = sum(1 for q in bank["questions"] if not q["expect"] and q["relation"] != "none")
    print(
        f"questions: {len(bank['questions'])}; relations {dict(sorted(rel.items()))}; "
        f"languages {dict(lang)}; over {dict(over)}; nobody-questions {empty}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args()
    faults: list[str] = []
    municipalities = set(SEED_MUNICIPALITIES) | PIONEERS_WITHOUT_DOCUMENT
    keys = sorted((HERE / "facts").glob("*.json"))
    counts: Counter[str] = Counter()
    for path in keys:
        key = check_key(path, faults)
        municipalities.add(key["municipality"])
        for field in (
            "targets",
            "non_targets",
            "emissions",
            "organisations",
            "non_organisations",
            "steering_documents",
            "parties",
            "adopted_commitments",
        ):
            counts[field] += len(key.get(field, []))
    print(f"keys: {len(keys)}; " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    qpath = HERE / "relation_questions.json"
    if qpath.exists():
        check_questions(qpath, municipalities, faults)
    for f in faults:
        print(f, file=sys.stderr)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
