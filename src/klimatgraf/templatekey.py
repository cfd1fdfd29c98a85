"""Which text the dense model embeds for a passage: template text once per corpus, not once per municipality.

Viable Cities' contracts share template paragraphs that differ only by the signing
municipality's name ("Alvesta kommun avser att …" / "Avesta kommun avser att …"). Embedding
each copy costs as much as the whole of a document's own text at scale, so:

* `mask_own_name(text, name)` replaces the document's *own* municipality name (bare, genitive
  "Alvestas", "Alvesta kommun(s)", "Alvesta stad(s)"; any case, whole words only) by
  "kommunen"/"kommunens". A bare name written all in lower case is an ordinary word, not the
  name ("vara", "mark", "ale"; also web addresses such as alvesta.se) and is kept, and so is
  a name joined by a hyphen ("Växjö-Alvesta" is a project's name).
* `embedding_texts(texts, names)`: passages whose masked texts coincide while their own texts
  differ are template copies; each of them embeds the masked text (so one vector serves them
  all). Every other passage embeds its own text, exactly as before. The choice depends only
  on the corpus, never on build order or on what a cache already holds, so a given corpus
  always gets the same vectors; the cache key is the hash of the text actually embedded.

BM25 and what is shown always use the passage's own text; only the dense vector is shared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

PLACEHOLDER = "kommunen"
PLACEHOLDER_GENITIVE = "kommunens"
_SENTENCE_END = tuple(".!?:•▪◦●–-")


@lru_cache(maxsize=4096)
def _pattern(name: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in name.split()]
    body = r"\s+".join(words)
    # name, optional genitive s, optional "kommun"/"stad" (+ genitive s); not inside a word or a hyphenated compound
    return re.compile(rf"(?<![\w-])({body})(s?)(?:\s+(kommun|stad)(s?))?(?![\w-])", re.IGNORECASE)


def mask_own_name(text: str, name: str | None) -> str:
    """`text` with every mention of its own municipality `name` replaced by "kommunen(s)"."""
    if not name or not name.strip():
        return text

    def replace(match: re.Match[str]) -> str:
        if match.group(1).islower():
            return match.group(0)  # an ordinary word that happens to be a name, never the name itself
        genitive = bool(match.group(4)) if match.group(3) else False
        word = PLACEHOLDER_GENITIVE if genitive else PLACEHOLDER
        before = text[: match.start()].rstrip()
        return word.capitalize() if not before or before.endswith(_SENTENCE_END) else word

    return _pattern(name.strip()).sub(replace, text)


def embedding_texts(texts: Sequence[str], names: Sequence[str | None] | None) -> list[str]:
    """For each passage, the text the dense model embeds (see the module doc).

    `names[i]` is the own municipality of passage i, or None where the passage belongs to
    several municipalities' documents (it is shared already) or to none.
    """
    if names is None:
        return list(texts)
    if len(names) != len(texts):
        raise ValueError(f"{len(names)} names for {len(texts)} passages")
    masked = [mask_own_name(t, n) for t, n in zip(texts, names, strict=True)]
    originals: dict[str, set[str]] = {}
    for text, key in zip(texts, masked, strict=True):
        originals.setdefault(key, set()).add(text)
    return [m if len(originals[m]) > 1 else t for t, m in zip(texts, masked, strict=True)]


def own_municipality(entry: Mapping[str, Any]) -> str | None:
    """The one municipality whose documents hold an index entry, or None when it is several (or none)."""
    names = {m.get("municipality") for m in entry.get("members") or []}
    name = names.pop() if len(names) == 1 else None
    return name if isinstance(name, str) else None
