"""The parts a relation question is made of: each reads one kind of fact the question asks about
("åtagande 6 men inte 9", "mål om klimatneutralitet 2030 för organisationen", "nämner ett
universitet", "kontrakt från 2022") and gives a SPARQL group pattern over the answer's municipality
`?t` and its document `?doc` (`relation_goals` reads targets and emission figures).
`relations.read_relation` joins them (negated parts as FILTER NOT
EXISTS) into one query."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..index.analyzer import ENGLISH_STOPWORDS, SWEDISH_STOPWORDS

ID = "https://w3id.org/klimatgraf/id/"
STOPWORDS = SWEDISH_STOPWORDS | ENGLISH_STOPWORDS
YEAR = r"(?<![\d,.])(20[0-9]{2}|19[5-9][0-9])(?![\d,.]\d)"
NEGATION = r"(?:men inte|men ej|utan att|utan|inte|ej|saknar|not|without|but not|lacks?)"
EXONYMS = {"gothenburg": "Göteborg"}  # English names of Swedish municipalities


@dataclass
class Part:
    """One constraint on the answer. `pattern` may use ?t, ?doc and its own variables, which end in
    `_{n}` (made unique when parts are joined); `fact` names the variable whose evidence is shown."""

    pattern: str
    said: str
    negated: bool = False
    fact: str | None = None
    latest: bool = True  # False: the part picks its own edition (a year, a version, a date)
    rank: str = ""  # "max" / "decrease": the answer is the first row by ?value


@dataclass
class GraphNames:
    """The names a question's slots are filled from, read from the graph once (`relations.graph_names`)."""

    municipalities: dict[str, str]  # folded name (and genitive) → name, every municipality in the gazetteer
    iris: dict[str, str]  # municipality name → IRI, those in the graph
    twins: set[str]
    pioneers: set[str]
    parties: dict[str, str]  # folded name or short name → the party's label (agencies and programmes)
    agencies: set[str]
    organisations: dict[str, str]  # folded label → label
    commitments: dict[int, str]  # number → label
    counties: dict[str, str]  # folded county name (and without "s län") → county name
    documents: set[str] = field(default_factory=set)  # municipalities with a document
    common: Callable[[str], bool] = field(default=lambda name: False)

    def iri(self, name: str) -> str:
        iri = self.iris.get(name)
        return f"<{iri}>" if iri else f"<{ID}kommun/unknown-{_slug(name)}>"  # a name the graph lacks matches nothing


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", " ".join(text.casefold().split()))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def has(q: str, pattern: str) -> re.Match[str] | None:
    return re.search(pattern, q, re.IGNORECASE)


def named(q: str, names: dict[str, str], common: Callable[[str], bool] = lambda n: False) -> list[tuple[int, str]]:
    """(position, name) of the names of `names` the question mentions, longest match first."""
    folded = fold(q)
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for key in sorted(names, key=len, reverse=True):
        if key not in folded:
            continue  # the regex matches only where the key occurs; compiling one per name took 0.4 s a question
        for m in re.finditer(rf"(?<![\w-]){re.escape(key)}(?![\w-])", folded):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            original = q[m.start() : m.end()] if len(q) == len(folded) else key
            if (common(names[key]) or key in STOPWORDS) and not original[:1].isupper():
                continue  # "mark", "vara", English "are" (Åre): a municipality only when capitalised
            taken.append((m.start(), m.end()))
            found.append((m.start(), names[key]))
    return sorted(found)


def negated_at(q: str, position: int) -> bool:
    """Whether the words just before `position` negate what follows ("men inte åtagande 6")."""
    before = q[max(0, position - 40) : position]
    clause = re.split(r"[,;.?]| och | eller | and | or ", before)[-1]
    return bool(re.search(rf"\b{NEGATION}\b", clause, re.IGNORECASE))


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def number_of(text: str) -> float:
    """A Swedish number as written: "95 864", "1 867 216", "11,6"."""
    return float(re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", "."))


# ----------------------------------------------------------------------------- the parts


def commitments(q: str, names: GraphNames) -> list[Part]:
    """Adopted shared commitments by number ("åtagande 6 och 9", "8 men inte 6") or by the words of
    their label ("åtagandet om upphandling"); links to other commitments are not adoptions."""
    if not has(q, r"åtagande|atagande|commitment"):
        return []
    parts = []
    for m in re.finditer(r"(?:åtagande(?:t|n|na)?|atagande(?:t|n|na)?|commitments?|och|and|men inte|inte|eller|,)\s*(?:nr\.?\s*|nummer\s*)?(\d{1,2})\b(?!\s*(?:%|procent|ton|år))", q, re.IGNORECASE):  # fmt: skip
        n = int(m.group(1))
        if not 1 <= n <= 10:
            raise_half(f"there is no shared commitment {n}: the contracts number them 1–10")
        parts.append(_adopts(n, names, negated_at(q, m.start(1))))
    if not parts:
        for n, label in names.commitments.items():
            where = label_named(q, label)
            if where is not None:
                parts.append(_adopts(n, names, negated_at(q, where)))
    return parts


def _adopts(n: int, names: GraphNames, negated: bool) -> Part:
    label = names.commitments.get(n)
    said = f"åtagande {n}" + (f" ({label})" if label else "")
    pattern = (f"?f_{{n}} a kg:CommitmentAdoption ; kg:aboutMunicipality ?t ; kg:statedIn ?doc ; "
               f"kg:commitment/skos:notation {n} .")  # fmt: skip
    return Part(pattern, ("inte " if negated else "") + f"antagit {said}", negated, None if negated else "?f_{n}")


def label_named(q: str, label: str) -> int | None:
    """Where a question names a commitment by the content words of its label (half of the longer ones)."""
    words = re.findall(r"[a-zåäö]{6,}", label.casefold())
    folded = q.casefold()
    spots = [folded.find(w[:-1]) for w in words if w[:-1] in folded]
    return min(spots) if words and len(spots) >= max(1, (len(words) + 1) // 2) else None


def commitment_counts(q: str) -> list[Part]:
    """ "exakt fyra gemensamma åtaganden", "flest åtaganden": how many a municipality adopted."""
    if not has(q, r"åtagande|commitment"):
        return []
    count = "{ SELECT ?t (COUNT(DISTINCT ?c_{n}) AS ?value) WHERE { ?a_{n} a kg:CommitmentAdoption ; kg:aboutMunicipality ?t ; kg:statedIn ?d_{n} ; kg:commitment ?c_{n} . ?d_{n} kg:latestEdition true } GROUP BY ?t }"
    if has(q, r"\bflest\b|\bmost\b|\bmest\b"):
        return [Part(count, "flest antagna åtaganden", rank="max")]
    m = re.search(
        r"(?:exakt|precis|bara|endast|exactly|only)\s+(\w+)\s+(?:gemensamma\s+)?(?:åtaganden|commitments)",
        q,
        re.IGNORECASE,
    )
    if m and (n := NUMBER_WORDS.get(m.group(1).casefold(), _int(m.group(1)))) is not None:
        return [Part(count + f" FILTER(?value = {n})", f"exakt {n} antagna åtaganden")]
    return []


NUMBER_WORDS = {"en": 1, "ett": 1, "two": 2, "två": 2, "tre": 3, "three": 3, "fyra": 4, "four": 4, "fem": 5,
                "five": 5, "sex": 6, "six": 6, "sju": 7, "seven": 7, "åtta": 8, "eight": 8, "nio": 9, "tio": 10}  # fmt: skip


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def parties(q: str, names: GraphNames) -> list[Part]:
    """Parties by name, with their polarity ("saknar Naturvårdsverket", "men inte Trafikverket"), an
    agency the graph does not know (a nobody), and how many agencies a contract has."""
    found = named(q, names.parties)
    parts = []
    for position, party in found:
        negated = negated_at(q, position) or bool(
            has(q[position : position + 80], r"^\S+(?:\s+\S+)?\s+(?:saknas|fattas|is missing)")
        )
        literal = f'"{escape(party)}"@sv'
        pattern = f"?doc kg:hasParty ?p_{{n}} . ?p_{{n}} skos:prefLabel {literal} ."
        parts.append(Part(pattern, ("utan " if negated else "med ") + f"{party} som part", negated))
    if not found and has(q, r"\bpart(?:er|erna|en)?\b|\bparty\b|skrivit under|undertecknat|signed"):
        unknown = re.search(r"\b([A-ZÅÄÖ][a-zåäö]+(?:verket|myndigheten|styrelsen|inspektionen|rådet|institutet))\b", q)
        if unknown:
            return [
                Part(
                    f'?doc kg:hasParty ?p_{{n}} . ?p_{{n}} skos:prefLabel "{escape(unknown.group(1))}"@sv .',
                    f"med {unknown.group(1)} som part",
                )
            ]
    m = re.search(
        r"(?:bara|endast|exakt|only|exactly|där)?\s*(\w+)\s+myndigheter(?:na)?\s+(?:som\s+)?(?:är\s+)?(?:parter|part|signed|har skrivit)",
        q,
        re.IGNORECASE,
    )
    m = m or re.search(r"(\w+)\s+(?:agencies|myndigheter)\b", q, re.IGNORECASE)
    if m and (n := NUMBER_WORDS.get(m.group(1).casefold(), _int(m.group(1)))) is not None:
        parts.append(Part("{ SELECT ?doc (COUNT(DISTINCT ?ag_{n}) AS ?na_{n}) WHERE { ?doc kg:hasParty ?ag_{n} . ?ag_{n} a kg:Agency } GROUP BY ?doc } "
                          f"FILTER(?na_{{n}} = {n})", f"med {n} myndigheter som parter"))  # fmt: skip
    return parts


def organisations(q: str, names: GraphNames) -> list[Part]:
    """Organisations named in a municipality's own text: by name ("RISE"), by the head word of their
    names ("sparbank", "folkhögskola", "universitet"), or by kind ("ett företag"). A name the graph
    does not hold ("Uppsala universitet") is asked about as it is, and matches nothing."""
    named_orgs = [name for _, name in named(q, names.organisations) if fold(name) not in names.municipalities]
    base = "?o_{n} a kg:OrganisationMention ; kg:aboutMunicipality ?t ; kg:statedIn ?doc ; kg:organisation/rdfs:label ?ol_{n} ."
    if named_orgs:
        return [
            Part(
                base + f' FILTER(STR(?ol_{{n}}) = "{escape(o)}")',
                f"nämner {o}",
                negated_at(q, q.find(o) if o in q else 0),
                "?o_{n}",
            )
            for o in named_orgs
        ]
    cue = has(
        q,
        r"samarbet|samverk|nämn|partner|tillsammans|cooperat|collaborat|work(?:s|ing)? with|mention|organisation|organization|kontrakt",
    )
    unknown = re.search(r"\b([A-ZÅÄÖ][a-zåäö]+ (?:universitet|högskola|folkhögskola|sparbank|kommunalförbund))\b", q)
    if unknown and cue:
        return [
            Part(
                base + f' FILTER(STR(?ol_{{n}}) = "{escape(unknown.group(1))}")',
                f"nämner {unknown.group(1)}",
                fact="?o_{n}",
            )
        ]
    if not cue:
        return []
    heads = [h for h in HEADS if has(q, rf"\b(?:\w*{h})")]
    heads = [h for h in heads if not any(h != o and h in o and has(q, o) for o in heads)]  # folkhögskola, not skola
    if heads:
        words = " || ".join(f'CONTAINS(LCASE(STR(?ol_{{n}})), "{w}")' for h in heads for w in HEADS[h].split("|"))
        return [Part(base + f" FILTER({words})", "nämner " + " eller ".join(heads), fact="?o_{n}")]
    kinds = [k for word, ks in KIND_WORDS.items() if has(q, rf"\b{word}") for k in ks]
    if not kinds:
        return []
    values = " ".join(f'"{k}"' for k in dict.fromkeys(kinds))
    return [Part(base + f" ?o_{{n}} kg:organisation/kg:organisationKind ?k_{{n}} . VALUES ?k_{{n}} {{ {values} }}",
                 "nämner en organisation av slaget " + ", ".join(dict.fromkeys(kinds)), fact="?o_{n}")]  # fmt: skip


# a word of the question → the text the organisation's name contains (the head of the name)
HEADS = {
    "folkhögskol": "folkhögskola", "universitet": "universitet", "university": "universitet", "högskol": "högskola",
    "sparbank": "sparbank", "savings bank": "sparbank", "studieförbund": "studie", "study association": "studie",
    "miljöförbund": "miljöförbund", "hushållningssällskap": "hushållningssällskap", "science park": "science park",
    "kommunalförbund": "kommunalförbund", "folk high school": "folkhögskola", "energibolag": "energi",
    "bostadsbolag": "bostad|hem|gårdarna|fastighet", "housing compan": "bostad|hem|gårdarna|fastighet",
}  # fmt: skip
KIND_WORDS = {
    "forskningsinstitut": ("research",), "research institute": ("research",), "företag": ("company", "municipal_company"),
    "bolag": ("company", "municipal_company"), "compan": ("company", "municipal_company"), "nätverk": ("network",),
    "network": ("network",), "förening": ("association",), "association": ("association",), "region": ("region",),
    "trafikmyndighet": ("authority",), "kollektivtrafikmyndighet": ("authority",),
}  # fmt: skip


def raise_half(message: str) -> None:
    """A question the templates half-match: one clear line, never a guess."""
    from ..errors import InputError

    raise InputError(message)


def steering(q: str, years: Sequence[int] = ()) -> list[Part]:
    """Steering documents named by the title words of the question ("trafikstrategi eller trafikplan",
    "Energi- och klimatprogram", "Policy för ekologisk hållbarhet"), and their year."""
    if not has(
        q, r"strategi|plan\b|plan(?:en|er)\b|program|policy|policies|strategy|roadmap|styrdokument|koldioxidbudget"
    ):
        return []
    if not has(
        q,
        r"har (?:en|ett|antagit|tagit fram|beslutat|egen|eget)|antagit|antog|styrdokument|nämner|hänvisar|refer|adopted|has an?\b|have an?\b|egen",
    ):
        return []
    titled = re.findall(
        r"\b([A-ZÅÄÖ][\wåäö-]*(?:-? och [\wåäö]+)?(?:\s(?:för|om|i)\s[\wåäö ]+?)?)(?=[?.,]|$| eller | som | från | \d)",
        q,
    )
    titled = [t for t in titled if re.search(r"strategi|plan|program|policy|budget", t, re.IGNORECASE) and " " in t]
    titled += re.findall(r"\b(?:strategi|plan|program|policy)\s+(?:för|om)\s+[a-zåäö]{5,}", q)
    words = titled or re.findall(r"[\wåäö-]*(?:strategi|plan|program|policy|budget)[\wåäö]*", q, re.IGNORECASE)
    words = [
        re.sub(r"(?:en|er|erna|et|ar|arna|met)$", "", w.casefold()) if " " not in w else w.casefold()
        for w in words
        if len(w) > 5
    ]
    if not words:
        return []
    pattern = "?s_{n} a kg:SteeringDocument ; kg:aboutMunicipality ?t ; kg:statedIn ?doc ; dcterms:title ?st_{n} ."
    pattern += (
        " FILTER(" + " || ".join(f'CONTAINS(LCASE(STR(?st_{{n}})), "{escape(w)}")' for w in dict.fromkeys(words)) + ")"
    )
    if years:
        pattern += (
            " OPTIONAL { ?s_{n} kg:year ?sy_{n} } FILTER("
            + " || ".join(f'CONTAINS(STR(?st_{{n}}), "{y}") || (BOUND(?sy_{{n}}) && ?sy_{{n}} = {y})' for y in years)
            + ")"
        )
    if any("koldioxidbudget" in w for w in words):  # a carbon budget is a document or a budget a contract states
        pattern = (
            "{ " + pattern + " } UNION { ?s_{n} a kg:CarbonBudget ; kg:aboutMunicipality ?t ; kg:statedIn ?doc . }"
        )
    said = (
        "med styrdokumentet "
        + " eller ".join(dict.fromkeys(words))
        + (" " + ", ".join(map(str, years)) if years else "")
    )
    return [Part(pattern, said, fact="?s_{n}")]


def documents(q: str, years: Sequence[int], names: GraphNames) -> tuple[list[Part], list[int]]:
    """The document itself: its type, edition year, version, signing date, the county, and several
    editions. Returns the parts and the years they used (not target or emission years)."""
    parts: list[Part] = []
    used: list[int] = []
    if has(q, r"avsiktsförklaring|intent declaration|letter of intent") and not has(
        q,
        rf"{NEGATION}\s+(?:en |bara )?(?:en )?avsiktsförklaring|\(inte en avsiktsförklaring\)|inte bara i en avsiktsförklaring",
    ):
        parts.append(
            Part(f"?doc dcterms:type <{ID}document-type/avsiktsforklaring> .", "med en fördjupad avsiktsförklaring")
        )
    elif has(q, r"inte (?:bara )?(?:i )?en avsiktsförklaring|\bklimatkontrakt|climate contract"):
        parts.append(Part(f"?doc dcterms:type <{ID}document-type/klimatkontrakt> .", "med ett klimatkontrakt"))
    edition_year = (
        r"(?:kontrakt|avtal|dokument|upplaga|utgåva|version|contract|document|edition)\w*(?:\s+\w+){0,2}?\s+"
        r"(?:från|fr\.o\.m\.|of|from|for|in)\s+(?:år\s+)?" + YEAR
        + r"|(?:redan|already)\s+" + YEAR + r"(?=\s+(?:\w+\s+){0,2}(?:kontrakt|avtal|contract))"
        + r"|" + YEAR + r"\s+års\s+(?:kontrakt|upplaga|avtal)"
    )  # fmt: skip
    for m in re.finditer(edition_year, q, re.IGNORECASE):
        year = int(next(g for g in m.groups() if g))
        parts.append(Part(f"?doc kg:editionYear {year} .", f"i upplagan {year}", latest=False))
        used.append(year)
    version = re.search(r"version(?:en)?\s+(20\d{2})(?:\s*[/–-]\s*(20)?(\d{2}))?", q, re.IGNORECASE)
    if version:
        first = version.group(1)
        text = f"{first}-{first[:2]}{version.group(3)}" if version.group(3) else first
        parts.append(Part(f'?doc kg:version "{text}" .', f"i versionen {text}", latest=False))
        used.append(int(first))
    signed = re.search(
        r"(?:signed|undertecknade?|skrev under|skrivit under|signerade?)\D{0,20}?(?:(\d{1,2})\s+)?(januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december|january|february|march|may|june|july|august|october)?\s*"
        + YEAR,
        q,
        re.IGNORECASE,
    )
    if signed:
        day, month, year = signed.group(1), signed.group(2), int(signed.group(3))
        stamp = f"{year}-{MONTHS[month.casefold()]:02d}" if month else str(year)
        if day and month:
            stamp += f"-{int(day):02d}"
        parts.append(
            Part(
                f'?doc dcterms:issued ?di_{{n}} . FILTER(STRSTARTS(STR(?di_{{n}}), "{stamp}"))',
                f"undertecknat {stamp}",
                latest=False,
            )
        )
        used.append(year)
    counties = [c for _, c in named(q, names.counties)]
    if counties:
        values = " ".join(f'"{escape(c)}"@sv' for c in dict.fromkeys(counties))
        parts.append(
            Part(
                f"?t kg:countyName ?cn_{{n}} . VALUES ?cn_{{n}} {{ {values} }}",
                "i " + " eller ".join(dict.fromkeys(counties)),
            )
        )
    if has(q, r"ändrades|ändrats|förändrats|har ändrat|nytt i|skillnade?n?|changed|vad är nytt"):
        said = "vars kontrakt finns i flera upplagor (klimatgraf diff visar ändringarna)"
        parts.append(Part("?od_{n} kg:municipality ?t . FILTER(?od_{n} != ?doc)", said))
    if has(
        q,
        r"mer än (?:ett|en) (?:kontrakt|upplaga|dokument)|flera (?:kontrakt|upplagor|versioner|utgåvor)|several (?:editions|versions|contracts)|more than one (?:contract|edition)",
    ):
        parts.append(Part("?od_{n} kg:municipality ?t . FILTER(?od_{n} != ?doc)", "med flera upplagor"))
    return parts, used


MONTHS = {m: i for i, m in enumerate(["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
                                       "september", "oktober", "november", "december"], start=1)}  # fmt: skip
MONTHS |= {"january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "august": 8, "october": 10}


def twins(q: str, towns: list[str], names: GraphNames) -> list[Part]:
    """Municipalities that are twins, of a named pioneer; "vilken kommun har X som pionjärstad"."""
    as_pioneer = r"(?:som|as) (?:sin |sitt |deras |its |their )?pion(?:jär|eer)"
    if not has(q, rf"tvilling|twin|fadder|lär (?:sig )?av|learn[s]? from|mentor|{as_pioneer}"):
        return []
    pioneers = [t for t in towns if t not in names.twins or has(q, rf"{re.escape(t)}\w* {as_pioneer}")]
    if pioneers:
        return [Part(f"?f_{{n}} a kg:TwinRelation ; kg:twin ?t ; kg:pioneer {names.iri(pioneers[0])} ; kg:statedIn ?doc .",
                     f"tvilling till {pioneers[0]}", fact="?f_{n}")]  # fmt: skip
    return [
        Part(
            "?f_{n} a kg:TwinRelation ; kg:twin ?t ; kg:statedIn ?doc .",
            "tvillingkommun (med en pionjär)",
            fact="?f_{n}",
        )
    ]
