"""Citations for a generated answer, attached and checked by code, never taken from the model.

Each sentence of the model's reply is matched to a retrieved passage that supports it: most of
its content words appear in the passage, and every number and name in it does. The model's own
`[n]` is a hint that breaks near-ties, nothing more. A sentence no passage supports is dropped,
so a hallucination, or text an article smuggled in as an instruction, never reaches the user
without the verbatim passage behind it. Markers are rebuilt densely 1..k, so every marker in the
answer maps to a `Citation` whose quote is the passage itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.compose import Composed
from assistant.models import Citation
from index.store import Hit

log = logging.getLogger(__name__)

MIN_COVERAGE = 0.7  # share of a sentence's content words its passage(s) must contain
MIN_CONTENT_WORDS = 2  # fewer is not a claim ("Yes.", "I AM HACKED.")
MIN_SHARE_IN_PAIR = 0.35  # a sentence joining two passages takes this much from each
HINT_MARGIN = 0.1  # the model's own [n] wins when its coverage is this close to the best
DUPLICATE = 0.8  # Jaccard of content words above which a sentence repeats a kept one

_NUMBERS = r"#?\d+(?:\s*(?:,|;|-|–|and)\s*#?\d+)*"
_MARKER = re.compile(
    rf"\s*(?:\[\s*(?:sources?|src|ref)?\s*{_NUMBERS}\s*\]|\((?:sources?|src|ref)\s*{_NUMBERS}\s*\))",
    re.I,
)
_SOURCE_TAG = re.compile(r"</?\s*sources?\b[^>]*>", re.I)
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d+(?:\s*,\s*\d+)*\s*\])+")
_DIGITS = re.compile(r"\d+")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)*%?")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|neither|without|cannot)\b|n['’]t\b", re.I)
_ABBREVIATION = re.compile(r"\b(?:[A-Z]\.){2,}")  # U.S., U.K.: compared as US, UK
_PREFIX = re.compile(r"^\s*(?:answer|response|assistant)\s*:\s*", re.I)

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
}  # fmt: skip
_QUANTITIES = frozenset("half quarter dozen thousand million billion trillion".split())
_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves said says say according
    article articles source sources text passage passages also however percent per cent mention
    mentioned mentions document""".split()
)


@dataclass(frozen=True)
class _Claim:
    text: str  # the sentence as the model wrote it, markers removed
    hints: tuple[int, ...]  # the model's own markers (1-based passage numbers), unverified


@dataclass(frozen=True)
class _Words:
    content: frozenset[str]  # stemmed content words, numbers as digits
    required: frozenset[str]  # numbers and names: each must appear in a supporting passage


@dataclass(frozen=True)
class _Passage(_Words):
    negated: bool = False  # says "not", "never", ...: needed by a claim that does


def attach_citations(
    answer_text: str, passages: Sequence[Hit], max_citations: int = 3
) -> Composed | None:
    """The reply's supported sentences, each cited with the passage(s) that support it.

    `passages` are what the model was shown, numbered 1.. in that order. Returns None when no
    sentence is supported, so the caller can fall back to an answer that is grounded anyway.
    """
    words = [_passage_words(p) for p in passages]
    cited: list[int] = []  # passage indexes in order of first citation
    kept: list[tuple[str, tuple[int, ...]]] = []
    kept_words: list[frozenset[str]] = []
    proper = _proper_nouns(words)
    for claim in split_claims(answer_text):
        claim_words = _words(claim.text, proper)
        support = _support(claim, claim_words, words)
        if support is None:
            log.info("dropped an unsupported sentence: %r", claim.text)
            continue
        if any(_jaccard(claim_words.content, k) >= DUPLICATE for k in kept_words):
            continue
        new = [i for i in support if i not in cited]
        if len(cited) + len(new) > max_citations:
            continue
        cited.extend(new)
        kept.append((claim.text, support))
        kept_words.append(claim_words.content)
    if not kept:
        return None
    number = {index: n for n, index in enumerate(cited, start=1)}
    text = " ".join(
        f"{sentence} " + "".join(f"[{number[i]}]" for i in support) for sentence, support in kept
    )
    citations = [
        Citation(
            n=number[i],
            article_id=passages[i].article_id,
            title=passages[i].title,
            quote=passages[i].text,
            start=passages[i].start,
            end=passages[i].end,
            score=round(passages[i].similarity, 4),
        )
        for i in cited
    ]
    return Composed(text, citations, False)


def split_claims(answer_text: str) -> list[_Claim]:
    """The reply's sentences, each with the markers the model put after it, markers removed.

    A marker the model wrote after the full stop (`... Moscow. [1]`) belongs to that sentence.
    """
    pieces: list[str] = []
    for line in _SOURCE_TAG.sub(" ", answer_text).splitlines():
        line = _PREFIX.sub("", line.strip().lstrip("-*•>#").strip())
        for sentence in _sentences(line) if line else []:
            lead = _LEADING_MARKERS.match(sentence)
            if lead and pieces:
                pieces[-1] += " " + lead.group(0)
                sentence = sentence[lead.end() :]
            if sentence.strip():
                pieces.append(sentence.strip())
    claims = []
    for piece in pieces:
        hints = tuple(int(d) for m in _MARKER.finditer(piece) for d in _DIGITS.findall(m.group(0)))
        text = " ".join(_MARKER.sub("", piece).split())
        text = re.sub(r"\s+([.,;:!?])", r"\1", text).strip()
        if text and not text.endswith("?"):  # a question the model asks back is not a claim
            claims.append(_Claim(text, hints))
    return claims


def _support(
    claim: _Claim, claim_words: _Words, passages: list[_Passage]
) -> tuple[int, ...] | None:
    """Indexes of the passage (or the pair of passages) that support the claim, or None."""
    if len(claim_words.content) < MIN_CONTENT_WORDS:
        return None
    negated = bool(_NEGATION.search(claim.text))

    def supports(group: Sequence[_Passage], texts_negated: bool) -> float | None:
        content = frozenset().union(*(g.content for g in group))
        if not claim_words.required <= content:
            return None
        if negated and not texts_negated:
            return None
        coverage = len(claim_words.content & content) / len(claim_words.content)
        return coverage if coverage >= MIN_COVERAGE else None

    singles = {}
    for i, p in enumerate(passages):
        coverage = supports([p], p.negated)
        if coverage is not None:
            singles[i] = coverage
    if singles:
        best = max(singles.values())
        hinted = [
            i for i in claim.hints if i - 1 in singles and singles[i - 1] >= best - HINT_MARGIN
        ]
        if hinted:
            return (hinted[0] - 1,)
        return (max(singles, key=lambda i: (singles[i], -i)),)

    def share(p: _Passage) -> float:
        return len(claim_words.content & p.content) / len(claim_words.content)

    # no single passage: two passages together (a sentence that joins two facts), each carrying
    # a real part of it that the other lacks, so a word or two borrowed from elsewhere cannot
    # turn one passage into a new fact
    ranked = sorted(
        range(len(passages)),
        key=lambda i: -len(claim_words.content & passages[i].content),
    )[:4]
    for a in ranked:
        for b in ranked:
            if b <= a:
                continue
            pa, pb = passages[a], passages[b]
            own_a = (claim_words.content & pa.content) - pb.content
            own_b = (claim_words.content & pb.content) - pa.content
            if min(len(own_a), len(own_b)) < 2 or min(share(pa), share(pb)) < MIN_SHARE_IN_PAIR:
                continue
            if supports([pa, pb], pa.negated or pb.negated) is not None:
                return (a, b)
    return None


def _passage_words(hit: Hit) -> _Passage:
    text = hit.text if hit.matchable == hit.text else f"{hit.text} {hit.matchable}"
    words = _words(text)
    return _Passage(words.content, words.required, bool(_NEGATION.search(text)))


def _words(text: str, proper: frozenset[str] = frozenset()) -> _Words:
    """Content words and required words (numbers, names) of text.

    A capitalised word is a name, except the first word, which is capitalised anyway; that one
    is a name when the sources use it as one (`proper`), as in "Ukrainian forces hold ...".
    """
    tokens = _TOKEN.findall(_ABBREVIATION.sub(lambda m: m.group(0).replace(".", ""), text))
    content: set[str] = set()
    required: set[str] = set()
    for position, token in enumerate(tokens):
        word = _normal(token)
        if not word or word in _STOPWORDS:
            continue
        stem = word if word[0].isdigit() else _stem(word)
        content.add(stem)
        is_number = word[0].isdigit() or word in _QUANTITIES
        is_name = token[0].isupper() and (position > 0 or stem in proper)
        if is_number or is_name:
            required.add(stem)
    return _Words(frozenset(content), frozenset(required))


def _proper_nouns(passages: Sequence[_Passage]) -> frozenset[str]:
    return frozenset().union(*(p.required for p in passages))


def _normal(token: str) -> str:
    word = token.lower().replace("’", "'")
    word = re.sub(r"'s$", "", word)
    if word[0].isdigit():
        return word.rstrip("%").replace(",", "")
    return _NUMBER_WORDS.get(word, word)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def _sentences(text: str) -> list[str]:
    return _punkt().tokenize(text)


@lru_cache(maxsize=1)
def _punkt():
    """NLTK's trained English Punkt, from llama-index's bundled cache (knows "U.S.")."""
    from index import offline

    offline.prepare()
    from nltk.tokenize.punkt import PunktTokenizer

    return PunktTokenizer("english")
