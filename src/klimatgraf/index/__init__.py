"""Paragraphs → `build/index/`: BM25 (Swedish stemming, decompounding) + dense vectors in faiss.

What is indexed is not always the bare paragraph, because a reader matches more than that:
- Paragraphs with the same (whitespace-normalised, casefolded) text in several documents are
  one *entry* that lists every document holding it — the shared template is indexed once
  and collapsed at search time instead of crowding the top ranks five times over.
- Each entry is searched through *passages*: the paragraph itself (optionally with its
  heading or heading path, document title and sentence windows in front — `IndexOptions`;
  cross-validation on the question bank found the bare paragraph best for e5); for list
  paragraphs one extra passage per item (lead-in + item), so that one relevant bullet in a long
  list is not drowned by the others; and for other paragraphs of two or more sentences one
  passage per sentence, in faiss only and flagged, so that a question aimed at one sentence of a
  long paragraph finds it. Passages map back to their entry; an entry scores as its best passage
  for `search`, and as its best passage other than sentence passages for the who-answer.

The directory is written next to its final place and renamed into it, so a failed build
never leaves half an index; `manifest.json` lets a searcher refuse an index built with
another model or torn apart since.

The package, by concern: `analyzer` (Swedish BM25 tokens), `passages` (entries and the passages
that stand for them), `manifest` (the files, the options and the manifest), `build` (writing an
index) and `load` (reading one back, checked).
"""

from __future__ import annotations

from .analyzer import ENGLISH_STOPWORDS, QUESTION_WORDS, SWEDISH_STOPWORDS, WORD, Analyzer
from .build import Progress, build_index, stage_index
from .load import CSC_ARRAYS, Bm25Scores, LoadedIndex, load_index, read_index
from .manifest import (
    BM25_DIR,
    ENTRIES,
    FIX,
    FORMAT_VERSION,
    MANIFEST,
    PASSAGES,
    SENTENCES,
    VECTORS,
    VOCAB,
    AnnKind,
    IndexManifest,
    IndexOptions,
    corpus_hash,
    read_manifest,
)
from .passages import (
    MIN_SENTENCE_WORDS,
    Passage,
    _windows,
    bm25_rows,
    compose,
    flagged_passages,
    make_entries,
    make_passages,
    passages,
    sentence_windows,
)

__all__ = [
    "BM25_DIR",
    "CSC_ARRAYS",
    "ENGLISH_STOPWORDS",
    "ENTRIES",
    "FIX",
    "FORMAT_VERSION",
    "MANIFEST",
    "MIN_SENTENCE_WORDS",
    "PASSAGES",
    "QUESTION_WORDS",
    "SENTENCES",
    "SWEDISH_STOPWORDS",
    "VECTORS",
    "VOCAB",
    "WORD",
    "Analyzer",
    "AnnKind",
    "Bm25Scores",
    "IndexManifest",
    "IndexOptions",
    "LoadedIndex",
    "Passage",
    "Progress",
    "_windows",
    "bm25_rows",
    "build_index",
    "compose",
    "corpus_hash",
    "flagged_passages",
    "load_index",
    "make_entries",
    "make_passages",
    "passages",
    "read_index",
    "read_manifest",
    "sentence_windows",
    "stage_index",
]
