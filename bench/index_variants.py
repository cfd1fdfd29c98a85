"""Build the search index with other passage options, for bench/cv.py to compare.

    python bench/index_variants.py [data_dir] [out_dir] [variant ...]

Writes `<out_dir>/<variant>/index` for each variant below (the default build's index is
`build/index`). Embeddings come from the shared cache in `<out_dir>/cache`, so passages that
two variants share are embedded once.
"""

from __future__ import annotations

import sys
from pathlib import Path

from klimatgraf.corpus import load_corpus
from klimatgraf.embed import get_embedder
from klimatgraf.index import IndexOptions, build_index

VARIANTS = {  # the forms measured before step 6 made one-sentence passages the default: without them
    "plain": IndexOptions(context="none", item_passages=False, sentence_passages=0),
    "plain-items": IndexOptions(context="none", sentence_passages=0),
    "heading": IndexOptions(sentence_passages=0),
    "path": IndexOptions(context="path", sentence_passages=0),
    "path-title": IndexOptions(context="path", title=True, sentence_passages=0),
    "path-title-window": IndexOptions(context="path", title=True, window_chars=1200, sentence_passages=0),
    "heading-noitems": IndexOptions(item_passages=False, sentence_passages=0),
    # issue 12 step 5: plain-items plus one passage per sentence (per run of two sentences); built since step 6
    # they flag those passages, which the who-answer then skips (step 5's indexes had no flag: it read them)
    "plain-items-sent1": IndexOptions(context="none", sentence_passages=1, sentence_bm25=True),
    "plain-items-sent2": IndexOptions(context="none", sentence_passages=2, sentence_bm25=True),
    # issue 12 step 6: sentence passages rank paragraphs for `search` only (the who-answer reads the others);
    # dense-only (faiss alone) or in BM25 too
    "plain-items-split1": IndexOptions(context="none", sentence_passages=1, sentence_bm25=True),
    "plain-items-split1-dense": IndexOptions(context="none", sentence_passages=1, sentence_bm25=False),
    # issue 12 item 4: the same without list-item passages (a list gets its sentence passages instead)
    "plain-split1-dense": IndexOptions(context="none", item_passages=False, sentence_passages=1, sentence_bm25=False),
    # issue 12 step 11: today's default with list items composed from their lead-in's and item's vectors
    "plain-items-split1-dense-composed": IndexOptions(
        context="none", sentence_passages=1, sentence_bm25=False, item_vectors="composed"
    ),
}


def main(argv: list[str]) -> int:
    data = Path(argv[0]) if argv else Path("data")
    out = Path(argv[1]) if len(argv) > 1 else Path("build/variants")
    corpus = load_corpus(data)
    embedder = get_embedder("e5")
    wanted = set(argv[2:]) or set(VARIANTS)
    for name, options in VARIANTS.items():
        if name not in wanted:
            continue
        manifest = build_index(
            corpus.paragraphs,
            corpus.documents,
            out / name / "index",
            embedder,
            options=options,
            cache_dir=out / "cache",
        )
        print(
            f"{name}: {manifest.passages} passages, {manifest.embedded} embedded, {manifest.seconds} s", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
