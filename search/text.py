"""How the index and the answer path compare words: one copy of the number words, the month
and weekday names, the word pattern and the stemmer.

News writes "five hours" and "5 hours", "28-point" and "28 points"; a model copying a phrase
writes either. Everything that compares a phrase, a claim or a question with a passage folds
them the same way, from here. (The eval's scorer keeps its own copy on purpose: a bug shared
with the product would hide from the measurement.)
"""

from __future__ import annotations

import calendar
import re
from functools import lru_cache

NUMBER_WORDS: dict[str, str] = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50",
    "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100",
    "thousand": "1000", "million": "1000000", "billion": "1000000000",
}  # fmt: skip
# for regular expressions: "five|six|..." (longest first, so "fifteen" is not read as "fif")
NUMBER_WORDS_PATTERN = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))

# the calendar's words, as news writes them: one list for reading dates in questions and answers
MONTHS: tuple[str, ...] = tuple(calendar.month_name[1:])  # January .. December
MONTH_ABBREVIATIONS: tuple[str, ...] = tuple(calendar.month_abbr[1:])  # Jan .. Dec
WEEKDAYS: tuple[str, ...] = tuple(calendar.day_name)  # Monday .. Sunday

# a word, a number with its separators ("40,000", "5.5"), or a sign that is part of a figure
WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|[%$€£]")


def plain_words(text: str) -> list[str]:
    """The words and numbers of text, lower case, as written (no stemming)."""
    return [w.lower() for w in WORD.findall(text) if w[0].isalnum()]


def overlap(a: str, b: str) -> float:
    """Shared words over all words (Jaccard): how far two sentences say the same thing."""
    return jaccard(set(plain_words(a)), set(plain_words(b)))


def jaccard(a: set[str], b: set[str]) -> float:
    """`overlap` of word sets already made (when one sentence meets many)."""
    return len(a & b) / len(a | b) if a and b else 0.0


def number(word: str) -> str:
    """A number word as digits ("five" -> "5"), anything else as it is."""
    return NUMBER_WORDS.get(word.lower(), word)

# Function words only: words that can flip a fact ("not", "before", "up", "only", "all") count.
STOPWORDS = frozenset(
    """a about am an and any are as at be because been being both but by can could did do does
    doing during each for from had has have having he her here hers herself him himself his how i
    if in into is it its itself just me my myself of on or other our ours ourselves own she should
    so some such than that the their theirs them themselves then there these they this those
    through to too until was we were what when where which while who whom why will with would you
    your yours yourself yourselves said says say according article articles source sources text
    passage passages however percent per cent mention mentioned mentions document""".split()
)
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)*%?")
_ABBREVIATION = re.compile(r"\b(?:[A-Z]\.){2,}")  # U.S., U.K.: compared as US, UK


def words(text: str) -> frozenset[str]:
    """Stemmed content words of text, numbers as digits ("five" and "5" are both "5", "U.S."
    is "us", "n't" is "not"), function words dropped: what "says something the question
    doesn't" compares."""
    text = _ABBREVIATION.sub(lambda m: m.group(0).replace(".", ""), text)
    found = (_normal(token) for token in _TOKEN.findall(text))
    return frozenset(w if w[0].isdigit() else stem(w) for w in found if w and w not in STOPWORDS)


def _normal(token: str) -> str:
    word = token.lower().replace("’", "'")
    if word.endswith("n't"):
        return "not"
    word = re.sub(r"'s$", "", word)
    if word[0].isdigit():
        return word.rstrip("%").replace(",", "")
    return number(word)


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """Porter, with "Ukrainian" folded into "Ukraine" and "Russian" into "Russia": news says "20%
    of Ukrainian territory" when a question says "of Ukraine". Only words of four letters or
    more before -ia/-ian(s) are folded. The keyword index stems with this too."""
    for suffix in ("ians", "ian", "ia"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return _porter().stemWord(word[: -len(suffix)])
    return _porter().stemWord(word)


@lru_cache(maxsize=1)
def _porter():
    import Stemmer

    return Stemmer.Stemmer("english")
