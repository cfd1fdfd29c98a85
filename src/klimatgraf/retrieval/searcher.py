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

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..config import MAX_QUERY_CHARS
from ..editions import entry_allowed
from ..embed import Embedder, get_embedder
from ..errors import InputError
from ..index import LoadedIndex, load_index, read_manifest
from ..reference import name_keys
from ..vocabulary import Retriever
from .answers import AnswersMixin, CutoffConfig, Hit
from .concepts import ConceptAnswersMixin, ConceptConfig, ConceptIndex
from .fusion import RETRIEVERS, FusionConfig, _scaled, fuse
from .graphpath import GraphAnswersMixin
from .highlight import highlight_html
from .reading import ReadingMixin, clean_query, fold_name
from .signals import QUERY_CACHE, SignalsMixin, _warm

PARAGRAPH_IRI = "https://w3id.org/klimatgraf/id/paragraph/{pid}"
FILTER_MASKS = 16  # filter masks kept per Searcher (one is ≈ 0.7 MB at 300 documents)


class Searcher(ReadingMixin, SignalsMixin, AnswersMixin, ConceptAnswersMixin, GraphAnswersMixin):
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
        concepts: ConceptConfig | None = None,
    ) -> None:
        if max_query_chars < 1:
            raise InputError(f"--max-query-chars must be at least 1, not {max_query_chars}")
        self.max_query_chars = max_query_chars  # longer questions are refused (clean_query)
        self.fusion = fusion or FusionConfig()
        self.cutoff = cutoff or CutoffConfig()
        self.concept_config = concepts or ConceptConfig()
        self._concept_index: ConceptIndex | bool | None = False  # read from the index on first use (`concepts`)
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
        # each (name, code) once, in the order of its last occurrence, so that a name folding like
        # another ("Håbo", "Habo") resolves as before; folding every entry's members took 0.16 s
        members: dict[tuple[str, str], None] = {}
        for e in self.index.entries:
            for m in e["members"]:
                key = (m["municipality"], m["kommunkod"])
                members.pop(key, None)
                members[key] = None
        self._municipalities = {fold_name(name): name for name, _ in members} | {code: name for name, code in members}
        self._name_keys = name_keys(set(self._municipalities.values()))
        self._common: dict[str, bool] = {}
        self._corpus_text: str | None = None

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
