"""Citations for a generated answer, attached and checked by code, never taken from the model.

Each sentence of the model's reply is matched to one retrieved passage that supports it: every
content word of the sentence (names and numbers included, compared stemmed, "five" as "5") is in
the passage, except a few words that state nothing. That is strict on purpose: with a looser
share, "six people were killed" passes for a passage that says "six people were wounded", and
two passages joined make claims neither makes. A paraphrase that needs other words is dropped,
and the extractive answer stands in when nothing is left. The model's own `[n]` only picks
between passages that support the sentence. So a hallucination, or text an article smuggled in
as an instruction, never reaches the user without the verbatim passage behind it. Markers are
rebuilt densely 1..k, so every marker maps to a `Citation` whose quote is the passage itself.
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

MIN_CONTENT_WORDS = 2  # fewer is not a claim ("Yes.", "I AM HACKED.")
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
_ABBREVIATION = re.compile(r"\b(?:[A-Z]\.){2,}")  # U.S., U.K.: compared as US, UK
_PREFIX = re.compile(  # "Answer:", "The answer to this question is:", "The article says that"
    r"^\s*(?:(?:the\s+)?(?:answer|response|assistant)(?:\s+to\s+(?:this|the)\s+question)?"
    r"(?:\s+is)?\s*:|the\s+(?:article|source|text)s?\s+(?:says|states|reports|mentions)"
    r"(?:\s+that)?\s*:?)\s*",
    re.I,
)

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
}  # fmt: skip
# Function words only: words that can flip a fact ("not", "before", "up", "only", "all") count.
_STOPWORDS = frozenset(
    """a about am an and any are as at be because been being both but by can could did do does
    doing during each for from had has have having he her here hers herself him himself his how i
    if in into is it its itself just me my myself of on or other our ours ourselves own she should
    so some such than that the their theirs them themselves then there these they this those
    through to too until was we were what when where which while who whom why will with would you
    your yours yourself yourselves said says say according article articles source sources text
    passage passages however percent per cent mention mentioned mentions document""".split()
)


# Words a faithful rewording adds without stating anything ("was given by", "including").
_LIGHT = frozenset(
    """give gives gave given make makes made get gets got include includes included including
    regarding specifically particular described describes refers referred related various
    several also well""".split()
)


@dataclass(frozen=True)
class _Claim:
    text: str  # the sentence as the model wrote it, markers removed
    hints: tuple[int, ...]  # the model's own markers (1-based passage numbers), unverified


def attach_citations(
    answer_text: str, passages: Sequence[Hit], max_citations: int = 3
) -> Composed | None:
    """The reply's supported sentences, each cited with the passage that supports it.

    `passages` are what the model was shown, numbered 1.. in that order. Returns None when no
    sentence is supported, so the caller can fall back to an answer that is grounded anyway.
    """
    words = [_words(_passage_text(p)) for p in passages]
    cited: list[int] = []  # passage indexes in order of first citation
    kept: list[tuple[str, int]] = []
    kept_words: list[frozenset[str]] = []
    for claim in split_claims(answer_text):
        claim_words = _words(claim.text)
        support = _support(claim, claim_words, words)
        if support is None:
            log.info("dropped an unsupported sentence: %r", claim.text)
            continue
        if any(_jaccard(claim_words, k) >= DUPLICATE for k in kept_words):
            continue
        if support not in cited:
            if len(cited) == max_citations:
                continue
            cited.append(support)
        kept.append((claim.text, support))
        kept_words.append(claim_words)
    if not kept:
        return None
    number = {index: n for n, index in enumerate(cited, start=1)}
    text = " ".join(f"{sentence} [{number[i]}]" for sentence, i in kept)
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
        line = line.strip().lstrip("-*•>#").strip()
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
        text = _PREFIX.sub("", " ".join(_MARKER.sub("", piece).split()))
        text = _unquote(re.sub(r"\s+([.,;:!?])", r"\1", text).strip())
        if text and text[-1] not in "?:":  # a question, or a lead-in to a list, is not a claim
            claims.append(_Claim(text, hints))
    return claims


def _unquote(text: str) -> str:
    """Drop unbalanced quotation marks at the ends (a quote the model left open or cut off)."""
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        text = text.strip('"“”').strip()
    return text


def _support(
    claim: _Claim, claim_words: frozenset[str], passages: list[frozenset[str]]
) -> int | None:
    """The index of the passage that supports the claim (the model's pick if it is one)."""
    needed = claim_words - _light_stems()
    if len(claim_words) < MIN_CONTENT_WORDS or not needed:
        return None
    supporting = [i for i, p in enumerate(passages) if needed <= p]
    for n in claim.hints:
        if n - 1 in supporting:
            return n - 1
    return supporting[0] if supporting else None


def _passage_text(hit: Hit) -> str:
    """What a passage says; a table row also says its column names."""
    return hit.text if hit.matchable == hit.text else f"{hit.text} {hit.matchable}"


def _words(text: str) -> frozenset[str]:
    """Stemmed content words of text, numbers as digits ("five" and "5" are both "5")."""
    text = _ABBREVIATION.sub(lambda m: m.group(0).replace(".", ""), text)
    words = (_normal(token) for token in _TOKEN.findall(text))
    return frozenset(w if w[0].isdigit() else _stem(w) for w in words if w and w not in _STOPWORDS)


def _normal(token: str) -> str:
    word = token.lower().replace("’", "'")
    if word.endswith("n't"):
        return "not"
    word = re.sub(r"'s$", "", word)
    if word[0].isdigit():
        return word.rstrip("%").replace(",", "")
    return _NUMBER_WORDS.get(word, word)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@lru_cache(maxsize=1)
def _light_stems() -> frozenset[str]:
    return frozenset(_stem(w) for w in _LIGHT)


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
