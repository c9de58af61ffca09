"""Ground: a phrase the model copied counts only where code finds it in a shown sentence.

The model's pointer and phrase are claims. The phrase is looked for, word for word (case,
punctuation and quote styles aside), in the sentence it points at, then in the other sentences
the model was shown; the sentence it is found in is the citation, whatever the pointer said. A
phrase found nowhere is not an answer, however plausible: that is where a small model's
world knowledge, a paraphrase it made up, or a name from the wrong passage stops.

What the user reads is the article's own span for the phrase (from its first matched word to
its last), so the answer is always a verbatim part of the quote under it. A phrase whose words
are all in one sentence, in order, with a few words left out between them ("Witkoff and
Kushner" in "Steve Witkoff and son-in-law Jared Kushner") is grounded too, to that whole span,
unless a word left out is a negation or a number, which would change what it says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.pipeline.evidence import Evidence, Line
from assistant.pipeline.read import Pair
from search.text import WORD, number

# words a loose match may not leave out: they change what the phrase says
_KEEP = frozenset(
    "not no never nor without cannot dont doesnt didnt isnt wasnt arent werent wont cant "
    "couldnt wouldnt shouldnt hasnt havent hadnt".split()
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


@dataclass(frozen=True)
class Grounded:
    """A phrase found in a shown sentence: the sentence, and the phrase's span in the article."""

    pair: Pair
    line: Line
    start: int  # article offsets of the phrase's span (within the sentence; a row: the row)
    end: int
    text: str  # the phrase as the sentence writes it (a row: as read with its column names)
    repointed: bool  # found in another sentence than the one the model named
    loose: bool  # words of the sentence left out between the phrase's own

    @property
    def sentence(self) -> str:
        return self.line.unit.text

    def around(self, words: int = 3) -> str:
        """The phrase with a few of its sentence's words either side: what says what a bare
        number is ("died aged 90", "90 years old")."""
        text, first = self.line.unit.text, self.line.unit.start
        a, b = max(0, self.start - first), max(0, self.end - first)
        return " ".join([*text[:a].split()[-words:], text[a:b], *text[b:].split()[:words]])


def ground(pairs: Sequence[Pair], evidence: Evidence, max_skipped: int) -> list[Grounded]:
    """The pairs whose phrase is in a shown sentence, grounded there; the others are dropped.
    `max_skipped`: words of a sentence a phrase may leave out between its own (Settings)."""
    found = (ground_one(pair, evidence, max_skipped) for pair in pairs)
    return [g for g in found if g is not None]


def ground_one(pair: Pair, evidence: Evidence, max_skipped: int) -> Grounded | None:
    phrase = _tokens(pair.phrase.translate(_QUOTES))
    if not phrase:
        return None
    lines = evidence.lines
    pointed = evidence.line(pair.line)
    order = sorted(
        lines,
        key=lambda ln: (
            ln.n != pair.line,
            pointed is None or ln.passage is not pointed.passage,
            abs(ln.n - pair.line),
        ),
    )
    words = {}  # each line's words, made once for the strict and the loose pass
    for loose in (False, True):
        for line in order:
            if line.n not in words:
                words[line.n] = _tokens(line.text.translate(_QUOTES))
            span = _find(phrase, words[line.n], loose, max_skipped)
            if span is None:
                continue
            a, b = span
            unit = line.unit
            if line.text == unit.text:
                start, end = unit.start + a, unit.start + b
            else:  # a table row is read with its column names: its span is the whole row
                start, end = unit.start, unit.end
            return Grounded(pair, line, start, end, line.text[a:b], line.n != pair.line, loose)
    return None


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Words (and %, $), normalised, with their offsets in text: case folded, "U.S." as "us",
    "Ukraine's" as "ukraines", "five" as "5", "40,000" as "40000", a plural's "s" dropped
    ("28 points" is "28-point")."""
    words = [(m.group(0).casefold(), m.start(), m.end()) for m in WORD.finditer(text)]
    return [(_fold(w), a, b) for w, a, b in _join_abbreviations(words, text)]


def _fold(word: str) -> str:
    if word[0].isdigit():
        return word.replace(",", "")
    word = number(word)
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _join_abbreviations(tokens, text):
    """"U.S." is one word, "us", and "Ukraine's" one word, "ukraines"."""
    joined: list[tuple[str, int, int]] = []
    for word, a, b in tokens:
        if joined:
            prev, pa, pb = joined[-1]
            gap = text[pb:a]
            if gap in {".", "'", "’"} and (len(prev) == 1 and len(word) == 1 or gap != "."):
                joined[-1] = (prev + word, pa, b)
                continue
        joined.append((word, a, b))
    return joined


def _find(
    phrase: list[tuple[str, int, int]],
    words: list[tuple[str, int, int]],
    loose: bool,
    max_skipped: int,
) -> tuple[int, int] | None:
    """The span of a sentence (its `_tokens`) holding the phrase's words in order (contiguous
    unless loose)."""
    wanted = [w for w, _, _ in phrase]
    n = len(wanted)
    for i, (w, a, _) in enumerate(words):
        if w != wanted[0]:
            continue
        if not loose:
            if [x for x, _, _ in words[i : i + n]] == wanted:
                return a, words[i + n - 1][2]
            continue
        j, k, skipped = i + 1, 1, 0
        while k < n and j < len(words) and skipped <= max_skipped:
            if words[j][0] == wanted[k]:
                k += 1
            else:
                if words[j][0] in _KEEP or words[j][0][0].isdigit():
                    break
                skipped += 1
            j += 1
        if k == n and skipped <= max_skipped:
            return a, words[j - 1][2]
    return None
