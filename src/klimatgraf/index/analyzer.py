"""Swedish BM25 analysis: the words a question or a passage is searched by (casefolded, stop words
out, Snowball-stemmed, compound parts added from the corpus's own vocabulary)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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
