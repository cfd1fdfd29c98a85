"""Make a scale corpus: `python bench/make_corpus.py N OUT_DIR [--seed S] [--data-dir data]`.

Writes N contract texts to OUT_DIR/contracts/ (and kommuner.csv to OUT_DIR/reference/), so
that OUT_DIR is a `--data-dir` for `klimatgraf build`. Used only for benchmarks and scale
tests, never shipped as data.

How a document is made, all from the seed files and kommuner.csv, nothing hard-coded:

* A seed is chosen (a pioneer template — a seed whose extracted facts name no pioneer — for
  the first document, so that every twin has a pioneer in the set). Its own municipality,
  found by the real ingest detection, is replaced by a new real municipality everywhere it
  is named (genitive forms follow the Swedish rule: no extra -s after s/x/z). Each pioneer
  the seed's twin relations name (found by the real extractor) is replaced by a pioneer
  municipality generated earlier in the same set.
* Blocks (blank-line separated) that occur in two or more seeds after masking names are
  shared template text and stay as they are, as in reality.
* The document's own blocks are re-parameterised: quantities are scaled by a per-document
  factor, percentages moved a little, the signing day changes, and some own blocks, bullet
  lines and numbered commitment lines are dropped (themes, commitments and organisations
  vary); each own block gains a sentence or bullet, and some lose one, from the own text of
  another seed of the same type, and a few whole own blocks are mixed in (recombination), so
  that two documents made from one seed do not share their own prose.
* Municipalities are distinct while kommuner.csv lasts; beyond that (N > 290) further
  documents are next-year versions of contracts already in the set (years +1), as Viable
  Cities signs a new version every year.

Deterministic: the same N, --seed and seed files give byte-identical output.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from klimatgraf.corpus import contract_files, load_corpus
from klimatgraf.extract import extract
from klimatgraf.ingest import doc_id_for
from klimatgraf.models import Municipality
from klimatgraf.reference import Gazetteer, fold
from klimatgraf.segment import normalise_for_comparison

BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
BULLET = re.compile(r"^\s*(?:[▪•●◦\-–*]|\d{1,2}[.)])\s+\S")
NUMBER = re.compile(r"(?<![\w.,/–-])(\d{1,3}(?:[  ]\d{3})+|\d+)(?:,(\d+))?(?![\w/–-]|[.,]\d)")
PERCENT_AFTER = re.compile(r"^\s*(?:%|procent)")
YEAR = re.compile(r"(?<!\d)(20[12]\d)(?!\d)")
SIGNED = re.compile(r"(underteckna\w*|signera\w*)(\s+den\s+)(\d{1,2})(\s+\w+\s+)(20\d\d)", re.IGNORECASE)
# Version and signing years move with a yearly version; mission and target years (2030, 2045) do not.
VERSION_YEARS = range(2023, 2028)


@dataclass
class Seed:
    name: str  # file name
    municipality: Municipality
    doc_type: str
    blocks: list[str]
    shared: list[bool]  # block is template text shared with another seed
    pioneers: list[Municipality]  # pioneers its twin relations name


def genitive(name: str) -> str:
    return name if name[-1] in "sxzSXZ" else name + "s"


def load_seeds(data_dir: Path) -> tuple[list[Seed], Gazetteer]:
    """The seed contracts with their detected municipality, type, pioneers and shared blocks."""
    corpus = load_corpus(data_dir)
    gazetteer = corpus.gazetteer
    texts = {d.doc_id: d.text for d in corpus.documents}
    names = {d.doc_id: {m.municipality.name for m in gazetteer.mentions(d.text)} for d in corpus.documents}
    keys: dict[str, list[str]] = {}
    for doc_id, text in texts.items():
        keys[doc_id] = [normalise_for_comparison(b, names[doc_id]) for b in BLOCK_SPLIT.split(text)]
    seen: dict[str, set[str]] = {}
    for doc_id, doc_keys in keys.items():
        for key in doc_keys:
            seen.setdefault(key, set()).add(doc_id)
    seeds = []
    for document in corpus.documents:
        facts = extract(document, corpus.paragraphs_of(document.doc_id), gazetteer)
        pioneers = sorted({gazetteer.by_code[t.pioneer] for t in facts.twins}, key=lambda m: m.kommunkod)
        blocks = BLOCK_SPLIT.split(document.text)
        shared = [len(seen[k]) >= 2 and len(k) >= 25 for k in keys[document.doc_id]]
        seeds.append(Seed(document.file_name, document.municipality, document.doc_type, blocks, shared, pioneers))
    return seeds, gazetteer


def rename(text: str, mapping: dict[str, Municipality]) -> str:
    """Replace every mention of a mapped municipality, keeping the genitive -s and "kommun".

    Unlike the gazetteer's mention pattern this also renames a name after a hyphen
    ("Klimatneutrala Växjö-Alvesta"), so no trace of the seed's own name is left.
    """
    if not mapping:
        return text
    names = "|".join(re.escape(n) for n in sorted(mapping, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\wÅÄÖåäö])({names})(s)?(?![\wÅÄÖåäö])")

    def replace(match: re.Match[str]) -> str:
        new = mapping[match.group(1)].name
        return genitive(new) if match.group(2) else new

    return pattern.sub(replace, text)


def reparameterise(block: str, rng: random.Random, factor: float) -> str:
    """Scale quantities and move percentages; years, list numbers and small counts stay."""

    def number(match: re.Match[str]) -> str:
        whole, frac = match.group(1), match.group(2)
        digits = whole.replace(" ", "").replace("\u00a0", "")
        value = float(digits + ("." + frac if frac else ""))
        line_start = block.rfind("\n", 0, match.start()) + 1
        if not block[line_start : match.start()].strip() and block[match.end() : match.end() + 1] in ".)":
            return match.group(0)  # a numbered list item or heading
        if frac is None and 1900 <= value <= 2100:
            return match.group(0)  # a year
        if PERCENT_AFTER.match(block[match.end() :]):
            new = min(100.0, max(1.0, round(value * rng.uniform(0.8, 1.2))))
            return str(int(new))
        if value < 20:
            return match.group(0)  # counts and small figures read as words would
        scaled = value * factor
        if frac is not None:
            return f"{scaled:.{len(frac)}f}".replace(".", ",")
        integer = int(round(scaled, -max(0, len(digits) - 2)))
        text = str(max(integer, 20))
        if " " in whole or "\u00a0" in whole or len(text) > 4:
            text = f"{int(text):,}".replace(",", " ")
        return text

    return NUMBER.sub(number, block)


def thin_lists(block: str, rng: random.Random) -> str:
    """Drop some bullet / numbered lines of a list, keeping at least one."""
    lines = block.split("\n")
    items = [i for i, line in enumerate(lines) if BULLET.match(line)]
    if len(items) < 3:
        return block
    drop = {i for i in items if rng.random() < 0.2}
    if len(drop) >= len(items):
        drop.discard(items[0])
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def shift_years(text: str, years: int) -> str:
    if years == 0:
        return text

    def shift(match: re.Match[str]) -> str:
        year = int(match.group(1))
        return str(year + years) if year in VERSION_YEARS else match.group(1)

    text = YEAR.sub(shift, text)
    # "2025/26" style version suffixes follow their first year
    return re.sub(r"(?<!\d)(20\d\d)/(\d\d)(?!\d)", lambda m: f"{m.group(1)}/{(int(m.group(1)) + 1) % 100:02d}", text)


SENTENCE_END = re.compile(r"(?<=[.!?])[ \t]*(?:\n|[ \t])(?=\s*[A-ZÅÄÖ])")


@dataclass
class Pools:
    """Own sentences and bullet lines of the seeds (per document type), to vary own blocks with."""

    sentences: dict[str, list[tuple[Seed, str]]]
    bullets: dict[str, list[tuple[Seed, str]]]


def perturb(block: str, rng: random.Random, pools: Pools, seed: Seed, target: Municipality, keep: bool) -> str:
    """Make an own block this document's own: real contracts share template, not their own prose.

    Without this, two documents made from one seed would differ only by names, and the
    pipeline would rightly flag their own paragraphs as shared template.
    """
    lines = block.split("\n")
    items = [i for i, line in enumerate(lines) if BULLET.match(line)]
    if items:
        donors = [d for d in pools.bullets.get(seed.doc_type, []) if d[0] is not seed]
        if donors:
            donor, line = donors[rng.randrange(len(donors))]
            lines.insert(rng.choice(items) + 1, rename(line, {donor.municipality.name: target}))
        return "\n".join(lines)
    sentences = SENTENCE_END.split(block)
    if len(sentences) < 2 and not block.rstrip().endswith((".", "!", "?")):
        return block  # a heading or a fragment
    if not keep and len(sentences) >= 3 and rng.random() < 0.5:
        del sentences[rng.randrange(1, len(sentences))]
    donors = [d for d in pools.sentences.get(seed.doc_type, []) if d[0] is not seed]
    if donors:
        donor, sentence = donors[rng.randrange(len(donors))]
        sentences.insert(rng.randint(1, len(sentences)), rename(sentence, {donor.municipality.name: target}))
    return " ".join(sentences)


def make_pools(seeds: list[Seed], gazetteer: Gazetteer) -> Pools:
    pools = Pools({}, {})
    for seed in seeds:
        for block, shared in zip(seed.blocks, seed.shared, strict=True):
            if shared:
                continue
            for line in block.split("\n"):
                named = {m.municipality.name for m in gazetteer.mentions(line)}
                if BULLET.match(line) and named <= {seed.municipality.name} and 20 < len(line) < 200:
                    pools.bullets.setdefault(seed.doc_type, []).append((seed, line))
            if any(BULLET.match(line) for line in block.split("\n")):
                continue
            for sentence in SENTENCE_END.split(block):
                named = {m.municipality.name for m in gazetteer.mentions(sentence)}
                if named <= {seed.municipality.name} and 40 < len(sentence) < 400 and sentence.rstrip().endswith("."):
                    pools.sentences.setdefault(seed.doc_type, []).append((seed, sentence.strip()))
    return pools


def make_document(
    seed: Seed,
    target: Municipality,
    pioneer_for: dict[str, Municipality],
    donors: list[tuple[Seed, int]],
    pools: Pools,
    gazetteer: Gazetteer,
    rng: random.Random,
    version_shift: int,
) -> str:
    mapping = {seed.municipality.name: target, **pioneer_for}
    factor = rng.uniform(0.5, 1.8)
    protected = set(range(4))  # the opening states who speaks: detection reads it
    for i, block in enumerate(seed.blocks):
        if any(m.municipality.name in pioneer_for for m in gazetteer.mentions(block)):
            protected.add(i)  # the twin relation's evidence
    out: list[str] = []
    for i, (block, shared) in enumerate(zip(seed.blocks, seed.shared, strict=True)):
        if shared:
            out.append(rename(block, mapping))
            continue
        if i not in protected and block.count("\n") >= 1 and rng.random() < 0.15:
            continue
        text = reparameterise(block, rng, factor)
        if i not in protected:
            text = thin_lists(text, rng)
        text = rename(text, mapping)
        out.append(perturb(text, rng, pools, seed, target, keep=i in protected))
        if i >= 4 and donors and rng.random() < 0.06:
            donor, index = donors[rng.randrange(len(donors))]
            borrowed = rename(donor.blocks[index], {donor.municipality.name: target})
            out.append(reparameterise(borrowed, rng, factor))
    text = "\n\n".join(out)
    text = SIGNED.sub(lambda m: f"{m.group(1)}{m.group(2)}{rng.randint(1, 28)}{m.group(4)}{m.group(5)}", text)
    return shift_years(text, version_shift)


def donor_blocks(seeds: list[Seed], gazetteer: Gazetteer) -> dict[str, list[tuple[Seed, int]]]:
    """Own blocks (not template) of each seed that name no municipality but the seed's own."""
    by_type: dict[str, list[tuple[Seed, int]]] = {}
    for seed in seeds:
        for i, (block, shared) in enumerate(zip(seed.blocks, seed.shared, strict=True)):
            named = {m.municipality.name for m in gazetteer.mentions(block)}
            if i >= 4 and not shared and named <= {seed.municipality.name} and len(block) > 200:
                by_type.setdefault(seed.doc_type, []).append((seed, i))
    return by_type


def make_corpus(n: int, out_dir: Path, seed: int = 0, data_dir: Path = Path("data")) -> list[Path]:
    """Write N generated contracts into out_dir/contracts; returns their paths."""
    seeds, gazetteer = load_seeds(data_dir)
    rng = random.Random(seed)
    pioneer_templates = [s for s in seeds if not s.pioneers]
    twin_templates = [s for s in seeds if s.pioneers]
    if not pioneer_templates:
        raise SystemExit("make_corpus: no seed without a pioneer to serve as a pioneer template")
    donors = donor_blocks(seeds, gazetteer)
    pools = make_pools(seeds, gazetteer)
    pool = sorted(gazetteer.municipalities, key=lambda m: m.kommunkod)
    rng.shuffle(pool)
    contracts = out_dir / "contracts"
    if contracts.exists():
        shutil.rmtree(contracts)
    contracts.mkdir(parents=True)
    (out_dir / "reference").mkdir(exist_ok=True)
    shutil.copyfile(data_dir / "reference" / "kommuner.csv", out_dir / "reference" / "kommuner.csv")
    pioneers: list[Municipality] = []
    chosen: list[tuple[Municipality, Seed]] = []
    written = []
    pairs: dict[str, dict[str, Municipality]] = {}
    for i in range(n):
        round_, slot = divmod(i, len(pool))
        if round_ == 0:
            target = pool[slot]
            wants_pioneer = not pioneers or not twin_templates or rng.random() < 0.35
            template = rng.choice(pioneer_templates if wants_pioneer else twin_templates)
            chosen.append((target, template))
        else:
            target, template = chosen[slot]  # next year's version of a contract already in the set
        if round_ > 0:  # a later version keeps the pairing of the first
            pioneer_for = dict(pairs[target.kommunkod])
        else:
            choices = [p for p in pioneers if p != target]
            pioneer_for = {old.name: rng.choice(choices) if choices else old for old in template.pioneers}
            pairs[target.kommunkod] = pioneer_for
        if not template.pioneers and round_ == 0:
            pioneers.append(target)
        text = make_document(
            template,
            target,
            pioneer_for,
            [d for d in donors.get(template.doc_type, []) if d[0] is not template],
            pools,
            gazetteer,
            rng,
            round_,
        )
        kind = "klimatkontrakt" if template.doc_type == "klimatkontrakt" else "fordjupad-avsiktsforklaring"
        stem = doc_id_for(Path(fold(target.name)))
        suffix = f"-{2025 + round_}" if round_ else ""
        path = contracts / f"{stem}-{kind}{suffix}.txt"
        if path in written:  # Habo and Håbo fold alike
            path = contracts / f"{stem}-{target.kommunkod}-{kind}{suffix}.txt"
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8", newline="\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", type=int, help="number of documents")
    parser.add_argument("out_dir", type=Path, help="output data directory (contracts/ and reference/)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="where the seed contracts are")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    contract_files(args.data_dir)
    paths = make_corpus(args.n, args.out_dir, args.seed, args.data_dir)
    print(f"wrote {len(paths)} contracts to {args.out_dir / 'contracts'}", file=sys.stderr)


if __name__ == "__main__":
    main()
