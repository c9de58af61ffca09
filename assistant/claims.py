"""What a sentence of a model's reply says: its text, the markers after it, its content words.

`split_claims` cuts a reply into sentences and takes the `[n]` a model wrote after each (also
after the full stop, "... Moscow. [1]", and in the forms small models use: "[1, 2]", "(source
3)"), with meta prefixes ("The answer is:") and stray source tags removed. `words` is how a
claim and a passage are compared: stemmed content words, numbers as digits ("five" and "5" are
both "5"), "U.S." as "US", "n't" as "not"; function words dropped, but never the words that can
flip a fact ("not", "before", "only", "all").
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

log = logging.getLogger(__name__)

_NUMBERS = r"#?\d+(?:\s*(?:,|;|-|–|and)\s*#?\d+)*"
_NAMED = r"(?:sources?|src|ref|passages?)?\s*(?:id\s*=\s*)?[\"']?"  # [passage id="4"]: the tag's own form
_MARKER = re.compile(
    rf"\s*(?:\[\s*{_NAMED}\s*{_NUMBERS}[\"']?\s*\]|\((?:sources?|src|ref|passages?)\s*{_NUMBERS}\s*\))",
    re.I,
)
# "X is emphasized in passage [2]": a sentence that names a passage is about the passages
_NAMES_A_PASSAGE = re.compile(r"\bpassages?\s*(?:\[|#|id\b|\d)", re.I)
# "This is supported by passage 2.", "Passage 3 supports this answer.": a sentence about the
# passages, not about the news; its numbers are the previous sentence's markers.
_META = re.compile(
    r"^\s*(?:(?:this|that|it|which|the\s+answer)\s+(?:\w+\s+){0,2}?(?:is|was|are|can\s+be)\s+"
    r"(?:\w+\s+)?(?:supported|stated|mentioned|found|shown|confirmed|given|based|sourced|taken|"
    r"derived|cited|indicated|reported)\s+(?:by|in|on|from)\s+(?:the\s+)?\[?passages?"
    rf"\s*(?:id\s*=\s*)?\[?\s*[\"']?({_NUMBERS})"
    r"|\[?passages?\s*\[?(\d+)\]?\s+(?:supports?|states?|confirms?|says?|shows?|mentions?)\b)",
    re.I,
)
_SOURCE_TAG = re.compile(r"</?\s*(?:sources?|passages?)\b[^>]*>", re.I)
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


@dataclass(frozen=True)
class Claim:
    text: str  # the sentence as the model wrote it, markers removed
    hints: tuple[int, ...]  # the model's own markers (1-based passage numbers), unverified


def split_claims(answer_text: str) -> list[Claim]:
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
    claims: list[Claim] = []
    for piece in pieces:
        meta = _META.match(piece) or _NAMES_A_PASSAGE.search(_MARKER.sub(" [n]", piece))
        if meta:
            if claims and not claims[-1].hints:
                numbers = _DIGITS.findall(meta.group(0)) or [
                    d for m in _MARKER.finditer(piece) for d in _DIGITS.findall(m.group(0))
                ]
                claims[-1] = Claim(claims[-1].text, tuple(int(d) for d in numbers))
            continue
        hints = tuple(int(d) for m in _MARKER.finditer(piece) for d in _DIGITS.findall(m.group(0)))
        text = _PREFIX.sub("", " ".join(_MARKER.sub("", piece).split()))
        text = _unquote(re.sub(r"\s+([.,;:!?])", r"\1", text).strip())
        if text and text[-1] not in "?:":  # a question, or a lead-in to a list, is not a claim
            claims.append(Claim(text, hints))
    return claims


def _unquote(text: str) -> str:
    """Drop unbalanced quotation marks at the ends (a quote the model left open or cut off)."""
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        text = text.strip('"“”').strip()
    return text


def words(text: str) -> frozenset[str]:
    """Stemmed content words of text, numbers as digits: what the check compares."""
    return _words(text)


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


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    """Porter, with "Ukrainian" folded into "Ukraine" (as the keyword index folds it)."""
    for suffix in ("ians", "ian", "ia"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return _stemmer().stemWord(word[: -len(suffix)])
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
