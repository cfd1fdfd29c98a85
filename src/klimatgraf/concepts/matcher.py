"""Tier 1 of the concept ladder: a label matcher for Swedish, case-folded and compound-aware.

A label matches a text when its words occur in order, each as the same word (`Stems.keys`: any
inflection). A one-word Swedish label also matches inside compounds, as the *first* part
("matsvinn" in "matsvinnsarbetet") or the *last* part ("laddning" in "elbilsladdning"), when what is
left is a word (`Lexicon`). A phrase matches word for word: letting its ends into compounds read
"förändrat klimat" into "systemförändrande klimatomställning".

Then, per concept, a match that overlaps one of the concept's negative labels is dropped ("cykel" in
"livscykelanalys"), and a match that lies inside a longer match of another label is dropped too
("trafik" inside "kollektivtrafik" leaves only the longer label's concept): the reading is the most
specific one. Case never matters (every word is case-folded, å/ä/ö included), unlike a matcher that
compares labels with non-ASCII letters case-sensitively.

English labels match whole words (and their plural in -s/-es), never inside compounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .morphology import Lemmas, Lexicon, Morphology, Stems, words
from .scheme import Scheme

VERSION = "1"  # bump when matching changes what it finds for the same vocabulary
JOIN_VOWELS = "aeo"  # a base form ending in one of these drops it before the next part ("skol|gård", "gat|u|belysning")
MIN_COMPOUND_LABEL = 2  # shorter label words never match inside a compound
SHORT_LABEL = 3  # label words of at most this length need a listed word beside them in a compound


@dataclass(frozen=True)
class Label:
    concept: int  # index in the scheme's concepts
    text: str
    role: str  # pref, alt, hidden or negative
    lang: str
    words: tuple[str, ...]  # the label's words, case-folded
    keys: tuple[frozenset[str], ...]  # per word: the stems a word of the text must share
    forms: tuple[frozenset[str], ...]  # per word: its irregular forms (simplemma), matched as they are

    def same(self, j: int, word: str, keys: frozenset[str]) -> bool:
        """Whether a word of the text is the label's j-th word: an irregular form of it, or the same
        stem *and* the label word's letters in front ("trakten" shares the stem "trakt" with
        "traktor" but is not it; "laddstolparna" begins with "laddstolp" and is)."""
        return word in self.forms[j] or (not keys.isdisjoint(self.keys[j]) and word.startswith(_prefix(self.words[j])))


@dataclass(frozen=True)
class Match:
    """One label found in a text: `start`/`end` span the whole words that carry it (what a reader
    sees marked), `part` the letters of the label itself inside them (a compound part)."""

    concept: str
    label: str
    role: str
    start: int
    end: int
    part: tuple[int, int]
    how: str  # word, compound or phrase


@dataclass
class _Word:
    keys: frozenset[str]
    tails: list[tuple[int, int]] = field(default_factory=list)  # (label id, where its first word starts)
    heads: list[tuple[int, int]] = field(default_factory=list)  # (label id, where that part ends)


class Matcher:
    """Built once per vocabulary (and morphology); `find` is pure and remembers words it has read."""

    def __init__(
        self,
        scheme: Scheme,
        lexicon: Lexicon,
        *,
        morphology: Morphology | None = None,
        stems: Stems | None = None,
        lemmas: Lemmas | None = None,
    ) -> None:
        self.scheme = scheme
        self.morphology = morphology or Morphology()
        self.stems = stems or Stems()
        self.lexicon = lexicon
        self.version = f"labels-{VERSION}-{self.morphology.name}-{scheme.digest[:12]}"
        self.labels: list[Label] = []
        for index, concept in enumerate(scheme.concepts):
            for text, role, lang in concept.labels():
                self._add(index, text, role, lang, lemmas)
            for text in concept.negative:
                self._add(index, text, "negative", "sv", lemmas)
        self._by_first: dict[str, list[int]] = {}  # a stem of a label's first word (or of its forms) → labels
        self._joins: dict[str, list[int]] = {}  # a label's last word as a compound's first part → labels
        self._tail_keys: set[str] = set()  # stems of first words that may end a compound
        for i, label in enumerate(self.labels):
            first_keys = set(label.keys[0]).union(*(self.stems.keys(f) for f in label.forms[0]))
            for key in first_keys:
                self._by_first.setdefault(key, []).append(i)
            if label.lang != "sv" or len(label.words) > 1 or len(label.words[0]) < MIN_COMPOUND_LABEL:
                continue  # a phrase matches word for word: "förändrat klimat" is not in "systemförändrande klimatomställning"
            if label.text.isupper():
                continue  # an acronym ("RISE", "CCS") is a word of its own, never a part of "risker"
            for join in _joins(label.words[0]):
                self._joins.setdefault(join, []).append(i)
            self._tail_keys.update(first_keys)
        self._tail_starts = {k[:2] for k in self._tail_keys}
        self._words: dict[str, _Word] = {}

    def _add(self, concept: int, text: str, role: str, lang: str, lemmas: Lemmas | None) -> None:
        tokens = tuple(w for w, _, _ in words(text))
        if not tokens:
            return
        keys = tuple(self.stems.keys(t) if lang == "sv" else frozenset((t,)) for t in tokens)
        forms = tuple(
            frozenset(lemmas.forms(t)) if lemmas is not None and lang == "sv" else frozenset() for t in tokens
        )
        self.labels.append(Label(concept, text, role, lang, tokens, keys, forms))
        if lang == "sv":
            for token in tokens:
                self.lexicon.add(token)

    # ------------------------------------------------------------------ one word

    def _word(self, word: str) -> _Word:
        found = self._words.get(word)
        if found is None:
            found = self._words[word] = self._read(word)
        return found

    def _read(self, word: str) -> _Word:
        info = _Word(self.stems.keys(word) | _english_keys(word))
        if len(word) < 2 * MIN_COMPOUND_LABEL + 1 or not word.isalpha():
            return info
        for cut in range(2, len(word) - MIN_COMPOUND_LABEL + 1):  # a label word as the compound's last part
            tail = word[cut:]
            if tail[:2] not in self._tail_starts:
                continue
            keys = self.stems.keys(tail)
            for key in keys & self._tail_keys:
                for label_id in self._by_first[key]:
                    label = self.labels[label_id]
                    strict = len(label.words[0]) <= SHORT_LABEL
                    if label.same(0, tail, keys) and self.lexicon.is_head(word[:cut], strict=strict):
                        info.tails.append((label_id, cut))
        for cut in range(MIN_COMPOUND_LABEL, len(word) - 2):  # a label's last word as the compound's first part
            for label_id in self._joins.get(word[:cut], ()):
                rest = word[cut:]
                short = len(self.labels[label_id].words[-1]) <= SHORT_LABEL
                if len(rest) >= (4 if short else 3) and self.lexicon.is_word(rest):
                    info.heads.append((label_id, cut))
        return info

    # ------------------------------------------------------------------ a text

    def find(self, text: str) -> list[Match]:
        """Every label of the vocabulary in `text`, after negative labels and longer matches."""
        return _resolve(self.candidates(text))

    def candidates(self, text: str) -> list[Match]:
        """Every label found in `text`, negative labels included, before `_resolve` (`explain`)."""
        tokens = words(text)
        read = [self._word(w) for w, _, _ in tokens]
        found: list[Match] = []
        for i, (word, start, end) in enumerate(tokens):
            info = read[i]
            starts = [
                (label_id, start)
                for key in info.keys
                for label_id in self._by_first.get(key, ())
                if self.labels[label_id].same(0, word, info.keys)
            ]
            starts += [(label_id, start + cut) for label_id, cut in info.tails]
            for label_id, part_start in dict.fromkeys(starts):
                match = self._complete(label_id, tokens, read, i, text, part_start)
                if match is not None:
                    found.append(match)
            for label_id, cut in info.heads:
                label = self.labels[label_id]
                if len(label.words) == 1:
                    found.append(self._match(label, start, end, (start, start + cut), "compound"))
        return found

    def explain(self, text: str) -> list[tuple[Match, str]]:
        """Every candidate match with what became of it: "kept", "negative: <label>" (a negative
        label of its concept overlaps it) or "inside: <label>" (a longer match of another label
        covers it)."""
        found = self.candidates(text)
        kept = set(_resolve(found))
        out = []
        for m in found:
            if m.role == "negative" or m in kept:
                out.append((m, "kept" if m in kept else "negative label"))
                continue
            blocker = next(
                (
                    n
                    for n in found
                    if n.role == "negative" and n.concept == m.concept and n.start < m.end and m.start < n.end
                ),
                None,
            )
            if blocker is not None:
                out.append((m, f"ruled out by the negative label {blocker.label!r}"))
                continue
            longer = next((o for o in kept if o.part[0] <= m.part[0] and m.part[1] <= o.part[1]), None)
            out.append((m, f"inside the longer match {longer.label!r}" if longer else "merged with another match"))
        return out

    def _complete(
        self, label_id: int, tokens: Sequence[tuple[str, int, int]], read: Sequence[_Word], i: int, text: str,
        part_start: int,
    ) -> Match | None:  # fmt: skip
        """The match of a label whose first word is token i (or its last part), when its other
        words follow."""
        label = self.labels[label_id]
        compound = part_start > tokens[i][1]
        n = len(label.words)
        if n == 1:
            how = "compound" if compound else "word"
            return self._match(label, tokens[i][1], tokens[i][2], (part_start, tokens[i][2]), how)
        if i + n > len(tokens):
            return None
        for j in range(1, n):
            prev_end, start = tokens[i + j - 1][2], tokens[i + j][1]
            if text[prev_end:start].strip(" \t\n-–") or "\n\n" in text[prev_end:start]:
                return None  # the words of a phrase stand next to each other
            word, info = tokens[i + j][0], read[i + j]
            if not label.same(j, word, info.keys):
                return None
        return self._match(label, tokens[i][1], tokens[i + n - 1][2], (part_start, tokens[i + n - 1][2]), "phrase")

    def _match(self, label: Label, start: int, end: int, part: tuple[int, int], how: str) -> Match:
        return Match(self.scheme.concepts[label.concept].iri, label.text, label.role, start, end, part, how)


def _resolve(found: Iterable[Match]) -> list[Match]:
    """Negative labels remove their concept's overlapping matches; a match inside a longer match of
    another label goes; one match per concept and span remains, in text order."""
    found = list(found)
    negative = [m for m in found if m.role == "negative"]
    positive = [
        m
        for m in found
        if m.role != "negative"
        and not any(n.concept == m.concept and n.start < m.end and m.start < n.end for n in negative)
    ]
    outer = [
        m
        for m in positive
        if not any(
            o.part[0] <= m.part[0] and m.part[1] <= o.part[1] and _width(o.part) > _width(m.part) for o in positive
        )
    ]
    # of one concept's overlapping matches, the widest (then the longest label) stands for them
    outer.sort(key=lambda m: (-(m.end - m.start), -len(m.label), m.start))
    kept: list[Match] = []
    for m in outer:
        if not any(k.concept == m.concept and k.start < m.end and m.start < k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: (m.start, m.end, m.concept))


def _width(span: tuple[int, int]) -> int:
    return span[1] - span[0]


def _joins(word: str) -> set[str]:
    """How a label's last word begins a compound: as it is, with a linking -s, or without its final
    vowel (and with -u/-o instead): "matsvinn(s)", "skol(a)", "gat(u)"."""
    out = {word, word + "s"}
    if len(word) > 4 and word[-1] in JOIN_VOWELS:
        stem = word[:-1]
        out |= {stem, stem + "u", stem + "o", stem + "s", stem + "e"}  # "rättvis|e|aspekter"
    return out


def _english_keys(word: str) -> frozenset[str]:
    """An English label word is the word itself or its plural in -s/-es."""
    keys = {word}
    if word.endswith("es") and len(word) > 4:
        keys.add(word[:-2])
    if word.endswith("s") and len(word) > 3:
        keys.add(word[:-1])
    return frozenset(keys)


def _prefix(word: str) -> str:
    """The letters an inflected form of a label word keeps in front: all but a final vowel or -er/-el
    that inflection may change ("laddstolp(e)", "skol(a)"), the whole of a short word."""
    return word if len(word) <= 3 else word[:-1]
