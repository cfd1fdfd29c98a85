"""Which content words a question shares with its answer paragraphs (for tests/test_question_bank.py).

A question is a *paraphrase* when it shares no content word with the paragraphs that answer it.
Two words are "shared" when they are equal, when one is a prefix of the other (bil/bilar), when
they start with the same four letters (klimat/klimatmål; cykel/cykling is missed), or when a word
of four letters or more, with or without a common ending, begins or ends the other (torv/
energitorv, avfall/avfallsplan, svinnet/matsvinn).
This is deliberately stricter than a stemmer: a paraphrase question must not lean on any word
form of the text. Function words, verb particles and light verbs ("ut", "fram", "tar", "finns"),
and the words that only frame a question ("vem", "vilka", "kommun", "which", "municipality") are
not content words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)

_STOPWORD_TEXT = """
    vem vilka vilken vilket vad var varför hur när vart vems
    kommun kommuner kommunen kommunens kommunerna kommuns
    och eller samt men att som det den de dem deras denna detta dessa ett en ena
    i på av för till med om från ur vid mot inom under över efter genom utan kring mellan hos åt bland
    är var vara varit blir bli blev ha har hade kan kunna ska skall skulle vill ville får måste bör
    sig sin sitt sina sej man vi oss vår vårt våra ni er han hon hen
    inte ej än så också även redan bara mer mest mycket många mindre minst hela alla allt annan andra
    något några någon ingen inget inga vilken nu då där här sedan ännu fortfarande
    jobbar gör göra görs gjort kommer komma ut upp fram ner in bort hem
    ta tar tas tog tagit ge ger gav få fick fått finns fanns
    se ser sett varje helt nästan fler flera egen eget egna själv själva olika ungefär cirka runt sådan sådant
    the a an of in on to for and or with by from at as is are was were be been has have had
    do does did which who whom whose what when where why how that this these those it its their
    they them there any all more most not no into about than per
    municipality municipalities municipal town towns city cities
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def content_words(text: str) -> set[str]:
    words = (m.group(0).casefold() for m in _WORD_RE.finditer(text))
    return {w for w in words if len(w) > 1 and w not in STOPWORDS}


_SUFFIX_TEXT = (
    "arnas ernas ornas arna erna orna heten ande ende aste este ens ets ars ers ors ade en et ar er or na as es are ast"
)
_SUFFIXES = sorted([*_SUFFIX_TEXT.split(), "a", "e", "s", "t", "n"], key=len, reverse=True)


def _stem(word: str) -> str:
    """The word without one common Swedish ending, if four letters or more remain (svinnet → svinn)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _inside(part: str, word: str) -> bool:
    """`part` (four letters or more) begins the word or ends it, with or without an ending (compound heads)."""
    return len(part) >= 4 and (word.startswith(part) or word.endswith(part) or _stem(word).endswith(part))


def _share(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.isdigit() or b.isdigit():
        return False  # numbers are shared only when equal: 20 is no form of 2030
    if a.startswith(b) or b.startswith(a) or a[:4] == b[:4]:
        return True
    stem_a, stem_b = _stem(a), _stem(b)
    return _inside(a, b) or _inside(b, a) or _inside(stem_a, b) or _inside(stem_b, a)


def shared_words(question: str, paragraphs: Iterable[str]) -> set[str]:
    """The question's content words that share a form with a word of any answer paragraph."""
    words = content_words(question)
    para: set[str] = set()
    for p in paragraphs:
        para |= content_words(p)
    return {w for w in words if any(_share(w, p) for p in para)}
