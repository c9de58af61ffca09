"""Questions about the corpus itself, answered from the index: "Which articles mention X?",
"How many articles are about Y?", "List the articles that discuss Z".

A reader shown five passages can't say which of 3,800 articles mention someone, and a guess at
a count is worse than none. These questions have an exact answer in the keyword index: every
article with a sentence holding all of the topic's words. So they never reach the model: the
answer is the complete list (up to `Settings.list_cap`, with the count in the text), one
citation per article, its headline, date and the sentence that mentions the topic, newest
first where articles are dated. Only questions that ask about articles in so many words go
this way; the eval sets' questions never do (a test checks).
"""

from __future__ import annotations

import re
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


def find(listing: Listing, keywords: KeywordIndex, cap: int) -> Listed:
    """Every article with a sentence holding all of the topic's words, newest first (then the
    most mentions first), each by its first such sentence."""
    terms = keywords.terms(listing.topic)
    unknown = keywords.unknown_terms(listing.topic)
    found: dict[str, list[Unit]] = {}
    if terms and not unknown:
        scores = keywords.scores(listing.topic)  # nonzero: holds one of the words at least
        for row in np.flatnonzero(scores > 0):
            hit = keywords.chunks[int(row)]
            if hit.kind != "header" and terms <= keywords.terms(hit.matchable):
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
    )
