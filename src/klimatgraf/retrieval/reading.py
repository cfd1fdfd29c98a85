"""Reading a question: cleaned, its words typed without å/ä/ö read as the contracts spell them,
the municipalities it names found, English climate terms given their Swedish words for BM25."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import InputError
from ..index import WORD
from ..reference import name_spans
from ..swedish import SWEDISH_LETTERS, fold, in_case_of, reading_order, typed_without_diacritics

if TYPE_CHECKING:
    from ..index import Analyzer, LoadedIndex

# Leading question phrases that say "who/which municipality" rather than what the topic is.
_LEAD = re.compile(
    r"^\s*(?:(?:vem|vilka|vilken|vilket|vad|hur|which|who|what)\b(?:\s+(?:kommuner(?:na)?|kommun(?:en)?|"
    r"municipalit(?:y|ies)|cit(?:y|ies)|towns?))?(?:\s+(?:är\s+det\s+som|is|are|does|do))?)\s+",
    re.IGNORECASE,
)


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


def fold_name(name: str) -> str:
    """Municipality name as matched by filters: any case, å/ä/ö optional, "kommun" optional."""
    return fold(name, strip_accents=True).removesuffix(" kommun")


def topic_of(query: str) -> str:
    """The question without its leading "vem/vilka kommuner/which municipality" words."""
    stripped = _LEAD.sub("", query, count=1).strip()
    return stripped if any(c.isalnum() for c in stripped) else query


class ReadingMixin:
    """How a `Searcher` reads a question (spelling, named municipalities); it needs the index."""

    index: LoadedIndex
    spell_diacritics: bool
    _typed_forms: dict[str, list[str]] | None
    _municipalities: dict[str, str]
    _name_keys: dict[str, str]
    _common: dict[str, bool]
    _corpus_text: str | None

    @property
    def analyzer(self) -> Analyzer:
        return self.index.analyzer

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
