"""Questions about the corpus itself, answered from the index: "Which articles mention X?",
"How many articles are about Y?", "List the articles that discuss Z".

A reader shown five passages can't say which of 3,800 articles mention someone, and a guess at
a count is worse than none. These questions have an exact answer in the keyword index: every
article with a sentence holding all of the topic's words. So they never reach the model: the
answer is the complete list (up to `Settings.list_cap`, with the count in the text), one
citation per article, its headline, date and the sentence that mentions the topic, newest
first where articles are dated. Only questions that ask about articles in so many words go
this way; the eval sets' questions never do (a test checks).

Names come in spellings: news writes "Zelensky" and "Zelenskyy", "Navalny" and "Navalnyi",
"Mélenchon" and "Melenchon", "al-Assad" and "Assad". With `variant_ratio` set, a word of the
topic written as a name (capitalised in the question, not an acronym) and at least
`variant_min_length` letters long is held by any indexed word spelt close to it, whether or not
the index holds it as asked: both compared as skeletons (accents folded; y and i one letter in
the ending of a name of `variant_y_length` letters, anywhere in a longer one) by rapidfuzz's
`fuzz.ratio`, at or above `variant_ratio` (100: equal skeletons only; 94: also one letter more
or fewer in a name of 8 letters or more). In a hyphenated name, a particle of one or two
letters before the hyphen ("al-", "el-") may be left out. Shorter names, lower-case words and
acronyms match only as written ("Bush" never finds "Rush"). The answer says which other
spellings it counted. Measured for precision and recall in `benchmarks/fuzzy_names.py`.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections import Counter
from dataclasses import dataclass

import numpy as np

from index.units import Unit
from search.keywords import KeywordIndex

_NOUN = r"(?:news\s+)?(?:articles?|stories|story|reports?|pieces?|items?)"
_VERB = (
    r"mention(?:s|ed)?|(?:are|is|were|was)\s+about|talk(?:s|ed)?\s+about|discuss(?:es|ed)?|"
    r"cover(?:s|ed)?|report(?:s|ed)?\s+on|refer(?:s|red)?\s+to|name(?:s|d)?|about|on"
)
_ASKS = re.compile(
    rf"^\s*(?P<how>which|what|how\s+many|list|show(?:\s+me)?|find)\s+(?:all\s+)?(?:of\s+)?(?:the\s+)?"
    rf"{_NOUN}\s+(?:(?:that|which)\s+|do\s+|does\s+)?(?:in\s+the\s+corpus\s+)?"
    rf"(?P<verb>{_VERB})\s+(?P<topic>.+?)\s*[?.!]*\s*$",
    re.I,
)


# a verb in the "topic" means the question goes on about what the articles say, not which
_CLAUSE = re.compile(
    r"\b(?:say|says|said|claim|claims|claimed|show|shows|showed|suggest|suggests|suggested|"
    r"do|does|did|is|are|was|were|has|have|had|will|would|can|could)\b",
    re.I,
)


@dataclass(frozen=True)
class Listing:
    """A question about the corpus: the topic whose mentions are listed, or counted."""

    topic: str
    count_only: bool


def parse(question: str) -> Listing | None:
    """The listing a question asks for, or None for a question about the news itself."""
    m = _ASKS.match(question)
    if m is None:
        return None
    topic = m.group("topic").strip(" \"'“”‘’")
    if not topic or _CLAUSE.search(topic):  # "What reports on the economy say about growth?"
        return None
    return Listing(topic, m.group("how").lower().startswith("how"))


@dataclass(frozen=True)
class Listed:
    """What the index says about a listing: how many articles hold the topic, and the ones
    shown, each by its first sentence that does."""

    topic: str
    count_only: bool
    count: int
    shown: tuple[Unit, ...]  # newest first (then the most mentions), up to the cap
    cap: int
    dated: bool  # some of the articles are dated: the list is newest first
    # other spellings of the topic's names that the articles counted use, as they write them
    # ("Zelenskyy" for "Zelensky"), most used first
    spellings: tuple[str, ...] = ()


def find(
    listing: Listing,
    keywords: KeywordIndex,
    cap: int,
    variant_ratio: float | None = None,
    variant_min_length: int = 5,
    variant_y_length: int = 6,
) -> Listed:
    """Every article with a sentence holding all of the topic's words, newest first (then the
    most mentions first), each by its first such sentence. With `variant_ratio`, a name's
    word is held by a sentence that holds a close spelling of it (see the module's doc)."""
    words = _topic_words(
        listing.topic, keywords, variant_ratio, variant_min_length, variant_y_length
    )
    found: dict[str, list[Unit]] = {}
    if words and all(w.terms for w in words):
        query = " ".join(s for w in words for s in (w.written, *w.variants))
        scores = keywords.scores(query)  # nonzero: holds one of the words at least
        for row in np.flatnonzero(scores > 0):
            hit = keywords.chunks[int(row)]
            if hit.kind != "header":
                held = keywords.terms(hit.matchable)
                if all(w.terms & held for w in words):
                    found.setdefault(hit.article_id, []).append(hit)
        for hits in found.values():
            hits.sort(key=lambda h: h.ordinal)
    order = sorted(found, key=lambda a: (found[a][0].date or "", len(found[a])), reverse=True)
    return Listed(
        listing.topic,
        listing.count_only,
        len(found),
        tuple(found[a][0] for a in order[:cap]),
        cap,
        any(hits[0].date for hits in found.values()),
        _spellings(words, found),
    )


@dataclass(frozen=True)
class _Word:
    """A word of the topic: any of `terms` in a sentence holds it."""

    written: str  # as the question writes it ("Assad" of "al-Assad": the particle left out)
    terms: frozenset[int]  # its own stem's id, and those of its close spellings
    variants: tuple[str, ...] = ()  # the close spellings, lower case as indexed
    particles: tuple[str, ...] = ()  # left out before it ("al" of "al-Assad")


_COMPOUND = re.compile(r"\w+(?:[-‐‑]\w+)*")  # words as the index splits them, hyphens kept
_HYPHEN = re.compile(r"[-‐‑]")
PARTICLE = 2  # letters, at most: "al-", "el-", "ad-" before a name may be left out


def _topic_words(
    topic: str, keywords: KeywordIndex, ratio: float | None, min_length: int, y_length: int
) -> list[_Word]:
    """The topic's words that must be held, each with the term ids that hold it: [] when the
    topic has no word the index could hold (only function words); a word the index doesn't
    hold and has no close spelling of has no terms (no article can match)."""
    words: list[_Word] = []
    for compound in _COMPOUND.findall(topic):
        parts = _HYPHEN.split(compound)
        name = ratio is not None and _name_like(parts[-1])
        kept = [p for p in parts[:-1] if not (name and len(p) <= PARTICLE)] + parts[-1:]
        left_out = tuple(p for p in parts[:-1] if p not in kept)
        for part in kept:
            exact = keywords.terms(part)
            if not exact and not keywords.unknown_terms(part):
                continue  # a function word, or a single letter: never indexed
            variants: dict[str, int] = {}
            if name and _name_like(part) and len(_fold(part)) >= min_length:
                close = _close_words(part, keywords, ratio, y_length)
                variants = {w: t for w, t in close.items() if t not in exact}
            words.append(
                _Word(part, exact | frozenset(variants.values()), tuple(variants),
                      left_out if part == parts[-1] else ())
            )
    return words


def _name_like(word: str) -> bool:
    """Written as a name: capitalised, and not an acronym ("THAAD", "NATO")."""
    return word[:1].isupper() and not (len(word) > 1 and word.isupper())


# letters NFKD doesn't take apart
_FOLDED = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"}
)


def _fold(word: str) -> str:
    """Lower case, accents removed: "Mélenchon" -> "melenchon"."""
    decomposed = unicodedata.normalize("NFKD", word.lower().translate(_FOLDED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# how the y/i of a name are read, by its length (see `skeleton`)
_AS_WRITTEN, _ENDING, _ANYWHERE = "as written", "ending", "anywhere"


def skeleton(word: str, y_and_i: str = _ANYWHERE) -> str:
    """What spellings of one name share: accents folded, and y and i as one letter (a run of
    them as one: "Zelensky", "Zelenskyy" and "Zelenskiy" are all "zelenski") anywhere, or only
    in the ending, or nowhere."""
    folded = _fold(word)
    if y_and_i == _ANYWHERE:
        return re.sub(r"[iy]+", "i", folded)
    if y_and_i == _ENDING:
        return re.sub(r"[iy]+$", "i", folded)
    return folded


def _y_and_i(word: str, y_length: int) -> str:
    """Where y and i are one letter in a name: in the ending of one of `y_length` letters
    ("Sergey", "Sergei"), anywhere in a longer one ("Tatyana", "Tatiana"); in shorter names
    they tell names apart (Smyth and Smith, Bryan and Brian, Lyons and lions, Henry and
    Henri). The indexed words are read the same way as the asked one, whatever their length."""
    n = len(_fold(word))
    return _ANYWHERE if n > y_length else _ENDING if n == y_length else _AS_WRITTEN


# per index, per way of reading y and i: every indexed word, its skeleton and its term id
_SKELETONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _close_words(word: str, keywords: KeywordIndex, ratio: float, y_length: int) -> dict[str, int]:
    """The indexed words whose skeleton is within `ratio` (rapidfuzz's fuzz.ratio, 0-100) of
    the word's, with their term ids."""
    from rapidfuzz import fuzz, process

    y_and_i = _y_and_i(word, y_length)
    tables = _SKELETONS.setdefault(keywords, {})
    table = tables.get(y_and_i)
    if table is None:  # 50,000 words: 0.2 s, once per index
        vocabulary = keywords.vocabulary
        table = (
            list(vocabulary),
            [skeleton(w, y_and_i) for w in vocabulary],
            list(vocabulary.values()),
        )
        tables[y_and_i] = table
    written, skeletons, ids = table
    matches = process.extract(
        skeleton(word, y_and_i), skeletons, scorer=fuzz.ratio, score_cutoff=ratio, limit=None
    )
    return {written[i]: ids[i] for _, _, i in matches}


def _spellings(words: list[_Word], found: dict[str, list[Unit]]) -> tuple[str, ...]:
    """The other spellings the found sentences use, as written there, most articles first:
    each close spelling of a name, and a hyphenated name without its particle."""
    counts: dict[str, int] = {}
    for w in words:
        for variant in w.variants:
            _count_written(rf"(?<![^\W_]){re.escape(variant)}(?![^\W_])", found, counts)
        if w.particles:  # "Assad" where the question wrote "al-Assad"
            not_after = "".join(rf"(?<!{re.escape(p)}[-‐‑\s])" for p in w.particles)
            bare = rf"{not_after}(?<![^\W_]){re.escape(w.written)}(?![^\W_])"
            _count_written(bare, found, counts)
    return tuple(sorted(counts, key=lambda s: -counts[s]))


def _count_written(pattern: str, found: dict[str, list[Unit]], counts: dict[str, int]) -> None:
    """Count the articles whose found sentences match pattern, under the form they write most
    (one in capitals, from a headline, only when none writes it otherwise)."""
    forms: Counter = Counter()
    for hits in found.values():
        for h in hits:
            m = re.search(pattern, h.text, re.I)
            if m:
                forms[m.group(0)] += 1
                break
    if forms:
        form = max(forms, key=lambda f: (not f.isupper(), forms[f]))
        counts[form] = counts.get(form, 0) + sum(forms.values())
