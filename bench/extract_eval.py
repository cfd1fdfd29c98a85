"""Extraction against answer keys: `python bench/extract_eval.py HELDOUT_DIR [--with-seeds] [--misses FILE]`.

HELDOUT_DIR holds `contracts/*.txt` and `facts/<document>.json` (the format of bench/heldout/README.md
on the corpus branch). The contracts are read by the real pipeline (ingest → segment → boilerplate →
extract) as one corpus, alone or (`--with-seeds`) together with data/contracts, without
`--municipality` or `--type`. Every fact kind is scored as precision (of what was extracted, how
much the key lists) and recall (of what the key lists, how much was extracted):

* document: municipality, type, version, edition year, signing date (one fact each);
* parties (by name, the same containment rule as organisations: "Viable Cities" for "Strategiska
  innovationsprogrammet Viable Cities"; the municipality as its name), adopted commitments (numbers);
* targets: kind, scope, target year and value must all agree (a range: both ends; an absolute cap
  in tonnes CO2e). Extracted targets and ambitions count (the keys list both as targets); a goal
  the pipeline keeps as a carbon budget is not a target. "kind+year" is the looser agreement;
* emission figures (year and value in tonnes, 0.5 % tolerance); the keys list a figure written as a
  change ("var 162 kiloton … hade minskat till 139 kiloton") among the emissions as well, in tonnes;
* organisations (name; a whole-word containment of one name in the other counts, as "Sparbanken
  Rekarne" for "Sparbanken Rekarne AB"); an extracted name that the key lists as an arena is
  neither right nor wrong. Organisations' precision is reported on its own line;
* steering documents (title, the same containment rule).

The aggregate goes to stdout; `--misses FILE` writes every missed and every wrong fact per
document as JSON, for reading after the figures are taken. Nothing here is tuned: no threshold
depends on the keys.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from klimatgraf.corpus import load_corpus  # noqa: E402
from klimatgraf.extract import extract  # noqa: E402
from klimatgraf.models import Facts  # noqa: E402

KINDS = {
    "neutrality": "neutrality",
    "net-zero": "net_zero",
    "climate-positive": "positive",
    "annual-reduction": "annual_reduction",
    "reduction-vs-base-year": "reduction",
    "absolute-cap": "cap",
    "relative-cap": "relative_cap",
    "per-person-consumption": "per_person_cap",
}
FACT_KINDS = (
    "municipality",
    "document_type",
    "version",
    "edition_year",
    "signing_date",
    "parties",
    "commitments",
    "targets",
    "targets (kind+year)",
    "emissions",
    "organisations",
    "steering_documents",
)


def fold(text: object) -> str:
    text = unicodedata.normalize("NFKD", str(text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s-]", " ", text).split())


def contains(a: str, b: str) -> bool:
    """Whole-word containment of one folded name in the other."""
    x, y = fold(a), fold(b)
    if not x or not y:
        return False
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    return re.search(rf"(?<!\w){re.escape(short)}(?!\w)", long) is not None


def close(a: float | None, b: float | None, tolerance: float = 0.005) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-9)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[Any] = field(default_factory=list)
    wrong: list[Any] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def match_sets(found: list[Any], expected: list[Any], same: Any, neutral: list[Any] | None = None) -> Score:
    """Greedy one-to-one matching: each expected fact is matched by at most one found fact."""
    score = Score()
    left = list(found)
    for item in expected:
        hit = next((f for f in left if same(f, item)), None)
        if hit is None:
            score.fn += 1
            score.misses.append(item)
        else:
            score.tp += 1
            left.remove(hit)
    for f in left:
        if neutral and any(same(f, n) for n in neutral):
            continue
        score.fp += 1
        score.wrong.append(f)
    return score


def version_of(key: dict[str, Any]) -> str | None:
    written = key.get("version")
    if not written:
        return None
    years = re.findall(r"20\d\d", str(written))
    return "-".join(years[:2]) if years else None


def single(found: object, expected: object) -> Score:
    if expected is None and found is None:
        return Score()
    if expected is None:
        return Score(fp=1, wrong=[found])
    if found is None:
        return Score(fn=1, misses=[expected])
    if str(found) == str(expected):
        return Score(tp=1)
    return Score(fp=1, fn=1, misses=[expected], wrong=[found])


def key_targets(key: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for t in key.get("targets", []):
        kind = KINDS.get(str(t.get("kind")), str(t.get("kind")))
        value = t.get("tonnes_co2e") if kind == "cap" else t.get("value")
        low, high = t.get("low"), t.get("high")
        if low is not None:
            value = low
        out.append(
            {
                "kind": kind,
                "scope": t.get("scope"),
                "year": t.get("target_year"),
                "value": None if value is None else float(value),
                "high": None if high is None else float(high),
                "base_year": t.get("base_year"),
                "modality": t.get("modality"),
                "sentence": t.get("sentence"),
            }
        )
    return out


def found_targets(facts: Facts) -> list[dict[str, Any]]:
    # getattr: the same script scores the model before issue 25 (no modality, no ranges, per-person caps as "cap")
    return [
        {
            "kind": "per_person_cap" if t.kind == "cap" and t.unit == "tCO2e/person" else t.kind,
            "scope": str(t.scope),
            "year": t.target_year,
            "value": t.value,
            "high": getattr(t, "value_max", None),
            "base_year": t.base_year,
            "modality": getattr(t, "modality", "target"),
        }
        for t in facts.targets
        if getattr(t, "modality", "target") in ("target", "ambition")
    ]


def same_target(f: dict[str, Any], k: dict[str, Any]) -> bool:
    if (f["kind"], f["scope"], f["year"]) != (k["kind"], k["scope"], k["year"]):
        return False
    if k["kind"] in ("neutrality", "net_zero", "positive"):
        return True
    return close(f["value"], k["value"]) and (k["high"] is None or close(f["high"], k["high"]))


def key_emissions(key: dict[str, Any]) -> list[tuple[int | None, float]]:
    seen: dict[tuple[int | None, float], None] = {}
    for e in key.get("emissions", []):
        value = e.get("tonnes_co2e", e.get("value"))
        if value is not None:
            seen[(e.get("year"), float(value))] = None
    return list(seen)  # figures written as changes are listed among the emissions too (emission_changes repeats them)


def evaluate_document(facts: Facts, key: dict[str, Any], gazetteer: Any) -> dict[str, Score]:
    d = facts.document
    scores: dict[str, Score] = {}
    scores["municipality"] = single(d.municipality.name, key.get("municipality"))
    scores["document_type"] = single(str(d.doc_type), key.get("document_type"))
    scores["version"] = single(d.version, version_of(key))
    scores["edition_year"] = single(d.edition_year, key.get("edition_year"))
    scores["signing_date"] = single(d.signed.isoformat() if d.signed else None, key.get("signing_date"))

    def party_name(p: dict[str, Any]) -> str:
        if p.get("kind") == "kommun":
            try:
                return gazetteer.resolve(re.sub(r"\s+(kommun|stad)$", "", str(p["name"]), flags=re.I)).name
            except Exception:
                return str(p["name"])
        return str(p["name"])

    expected_parties = [party_name(p) for p in key.get("parties", [])]
    full = {party_name(p): str(p.get("full_name") or "") for p in key.get("parties", [])}
    scores["parties"] = match_sets(
        [p.name for p in facts.parties],
        expected_parties,
        lambda f, k: contains(f, k) or bool(full.get(k) and contains(f, full[k])),
    )
    scores["commitments"] = match_sets(
        [c.number for c in facts.commitments], list(key.get("adopted_commitments", [])), lambda f, k: f == k
    )
    expected = key_targets(key)
    found = found_targets(facts)
    scores["targets"] = match_sets(found, expected, same_target)
    scores["targets (kind+year)"] = match_sets(
        found, expected, lambda f, k: (f["kind"], f["year"]) == (k["kind"], k["year"])
    )
    scores["emissions"] = match_sets(
        [(e.year, e.value) for e in facts.emissions],
        key_emissions(key),
        lambda f, k: f[0] == k[0] and close(f[1], k[1]),
    )
    arenas = [str(a.get("name", a)) if isinstance(a, dict) else str(a) for a in key.get("arenas", [])]
    scores["organisations"] = match_sets(
        [o.name for o in facts.organisations],
        [str(o.get("name")) for o in key.get("organisations", [])],
        contains,
        neutral=arenas,
    )
    scores["steering_documents"] = match_sets(
        [s.title for s in facts.steering_documents],
        [str(s.get("title")) for s in key.get("steering_documents", [])],
        contains,
    )
    return scores


def run(heldout: Path, with_seeds: bool) -> tuple[dict[str, Score], dict[str, Any], float]:
    keys = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((heldout / "facts").glob("*.json"))}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        (data / "contracts").mkdir()
        for path in sorted((heldout / "contracts").glob("*.txt")):
            shutil.copy(path, data / "contracts" / path.name)
        if with_seeds:
            for path in sorted((ROOT / "data" / "contracts").glob("*.txt")):
                shutil.copy(path, data / "contracts" / path.name)
        started = time.process_time()
        corpus = load_corpus(data)
        facts = {d.doc_id: extract(d, corpus.paragraphs_of(d.doc_id), corpus.gazetteer) for d in corpus.documents}
        cpu = time.process_time() - started
    totals: dict[str, Score] = defaultdict(Score)
    misses: dict[str, Any] = {}
    for stem, key in keys.items():
        doc_id = re.sub(r"[^a-z0-9]+", "-", fold(stem).replace(" ", "-")).strip("-")
        if doc_id not in facts:
            print(f"no extraction for {stem}", file=sys.stderr)
            continue
        scores = evaluate_document(facts[doc_id], key, corpus.gazetteer)
        misses[stem] = {k: {"missed": s.misses, "wrong": s.wrong} for k, s in scores.items() if s.misses or s.wrong}
        for kind, score in scores.items():
            totals[kind].add(score)
    return totals, misses, cpu / max(len(keys), 1)


def table(totals: dict[str, Score]) -> str:
    def pct(x: float | None) -> str:
        return "–" if x is None else f"{x:.2f}"

    lines = ["| fact kind | found right | wrong | missed | precision | recall |", "|---|---|---|---|---|---|"]
    all_facts = Score()
    for kind in FACT_KINDS:
        s = totals.get(kind, Score())
        if kind != "targets (kind+year)":
            all_facts.add(s)
        lines.append(f"| {kind} | {s.tp} | {s.fp} | {s.fn} | {pct(s.precision)} | {pct(s.recall)} |")
    lines.append(
        f"| **all facts** | {all_facts.tp} | {all_facts.fp} | {all_facts.fn} | {pct(all_facts.precision)} | "
        f"{pct(all_facts.recall)} |"
    )
    org = totals.get("organisations", Score())
    lines.append("")
    lines.append(f"organisations' precision: {pct(org.precision)} ({org.tp} right of {org.tp + org.fp} extracted)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("heldout", type=Path, help="folder with contracts/ and facts/")
    parser.add_argument("--with-seeds", action="store_true", help="read the seeds in the same corpus")
    parser.add_argument("--misses", type=Path, help="write the per-document misses here (JSON)")
    args = parser.parse_args()
    totals, misses, cpu = run(args.heldout, args.with_seeds)
    corpus = "held-out contracts with the seeds" if args.with_seeds else "held-out contracts alone"
    print(f"## Extraction on {args.heldout} ({corpus}); {cpu * 1000:.0f} ms CPU per document to read and extract\n")
    print(table(totals))
    if args.misses:
        args.misses.write_text(json.dumps(misses, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
