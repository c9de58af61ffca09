"""Scoring an answer of several facts: the `several` category.

Such an answer is a short list of the articles' own sentences (or the clauses that carry the
facts), each followed by its [n] markers:

    Lavrov said Russia had not received any official communication [1].
    - "We have always been and remain ready for negotiations." [1][3]
    - Moscow would not accept the proposals circulating in the media [2]
    The articles don't say when talks would start.

It is cut into claims line by line: within a line, a claim is the text before a group of
markers (metrics.split_claims), and those markers cite it; a leading bullet is dropped and a
line without markers cites nothing. A fact is *given* when its pattern matches a claim and at
least one citation of that claim has a quote the pattern matches too: the cited sentence
states it. Whose words a sentence is (for "what did X say") is read from the article around
the quote, by the rules of `spoken_by`.

Everything here is a pure function of (item, answer, article texts), like evals/metrics.py,
whose claim and support checks it builds on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .dataset import EvalItem
from .metrics import (
    LOSS_STAGES,
    STAGES,
    CitationCheck,
    split_claims,
    strip_markers,
    supports,
    table_header,
)

if TYPE_CHECKING:
    from assistant.models import Answer, Citation

    from .metrics import ItemResult

CATEGORY = "several"
# how many sentences before a quote may carry the name its pronoun or title refers to
MAX_BACK = 4
FACT_LOSS_KEYS: tuple[str, ...] = (*LOSS_STAGES, "error", "given")

_BULLET = re.compile(r"^\s*(?:[-*•–—]|\d{1,2}[.)])\s+")
# a sentence ends at . ! ? (with any closing quotes or brackets) before a space and a word that
# does not start in lower case, or at a line end
_SENTENCE_END = re.compile(r"[.!?]+[\"”’')\]]*(?=\s+[^\s\w]*(?![a-z])\w|\s*$)|\n")
# words that end with a full stop without ending a sentence ("Dr. Petrov", "Rep. Yoder")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sen rep gen gov lt col capt adm sgt supt st jr sr vs inc corp co ltd
    mt ft rev hon pres messrs""".split()
)
_TITLE = (
    r"minister|president|leader|chancellor|premier|spokes(?:man|woman|person)|official|ambassador|"
    r"envoy|adviser|advisor|senator|congressman|congresswoman|secretary|director|chief|"
    r"commissioner|mayor|judge|researcher|expert|analyst|regulator|watchdog|agency|ministry|"
    r"government|kremlin|company|firm|group|party|union|bishops|church"
)
# a sentence that does not name its speaker: it refers to them by a pronoun or by a title
_ANAPHOR = re.compile(rf"\b(?:he|she|they|we|i)\b|\bthe (?:[\w’'-]+ ){{0,3}}?(?:{_TITLE})\b", re.IGNORECASE)
# ... or is (part of) a quotation whose speaker is named around it
_QUOTATION = re.compile(r"^\W{0,3}[\"“‘]")
_LABEL_MAX = 80  # "Sen. Lisa Murkowski (R-Alaska): ..." - a longer lead-in is prose, not a label


@dataclass(frozen=True)
class FactResult:
    """One fact of a several item: whether the answer gave it, and where it was lost if not.

    `stated`: the pattern matches some claim (given or not); `claim`: the claim that gives it;
    `lost_at`: the first stage of the answer path whose text lacks the pattern, else "decide"
    (refused) or "write" (answered without giving it); None when given or when answer() failed.
    """

    pattern: str
    given: bool
    stated: bool = False
    claim: str | None = None
    lost_at: str | None = None


@dataclass(frozen=True)
class SeveralScore:
    """What `score_several` measured for one answer."""

    facts: tuple[FactResult, ...]
    checks: tuple[CitationCheck, ...]
    sentences: int
    in_order: bool | None

    @property
    def given(self) -> int:
        return sum(f.given for f in self.facts)


# ------------------------------------------------------------------ claims


def answer_claims(text: str) -> list[tuple[str, list[int]]]:
    """(claim, marker numbers) for every cited claim of the answer, line by line, in order.

    Uncited lines ("The articles don't say ...", a lead line without markers) yield nothing.
    """
    claims: list[tuple[str, list[int]]] = []
    for line in text.splitlines():
        for claim, numbers in split_claims(line):
            claims.append((_BULLET.sub("", claim).strip(), numbers))
    return claims


def _normal(claim: str) -> str:
    return " ".join(re.findall(r"\w+", claim.lower()))


def sentences_shown(claims: Iterable[tuple[str, list[int]]]) -> int:
    """Distinct cited claims (case, spacing and punctuation ignored)."""
    return len({_normal(claim) for claim, numbers in claims if numbers and _normal(claim)})


# ------------------------------------------------------------------ sentences of an article


@lru_cache(maxsize=64)
def sentence_spans(article: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence of the article, whitespace trimmed.

    A rough splitter on purpose (it only has to find the sentences around a quote): it ends a
    sentence at . ! ? before a space and a word not in lower case, and at every line end; not
    after a title ("Dr.", "Sen.") or an initial ("H.R").
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(article):
        if m.group() != "\n":
            word = re.search(r"([\w.’'-]*)$", article[start : m.start()]).group(1)
            last = word.rsplit(".", 1)[-1].lower()
            if last in _ABBREVIATIONS or re.fullmatch(r"(?:[A-Z]\.)*[A-Z]", word):
                continue
        _add_span(spans, article, start, m.end())
        start = m.end()
    _add_span(spans, article, start, len(article))
    return tuple(spans)


def _add_span(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    if piece.strip():
        lead = len(piece) - len(piece.lstrip())
        spans.append((start + lead, start + len(piece.rstrip())))


def sentences_before(article: str, start: int) -> list[str]:
    """The sentences before offset `start`, nearest first.

    When `start` falls inside a sentence (the answerer cut its quote out of a longer one), the
    part of that sentence before the quote comes first.
    """
    before: list[str] = []
    for s, e in sentence_spans(article):
        if s >= start:
            break
        before.append(article[s : min(e, start)].strip())
    return [s for s in reversed(before) if re.search(r"\w", s)]


def speaker_label(article: str, start: int) -> str:
    """The label of the speaker-labelled passage the offset sits in, else "".

    Interviews and round-ups write "Dr. Petrov: ..." or "Sen. Lisa Murkowski (R-Alaska): “...”":
    the label is the start of the last sentence before `start` (in the same paragraph) that
    has a colon within its first 80 characters, up to that colon.
    """
    paragraph_start = article.rfind("\n", 0, start) + 1
    for s, e in reversed(sentence_spans(article)):
        if s >= start:
            continue
        if e <= paragraph_start:
            break
        colon = article.find(":", s, min(e, start, s + _LABEL_MAX + 1))
        if colon != -1 and article[colon + 1 : colon + 2].isspace():
            return article[s:colon].strip()
    return ""


def _anaphoric(sentence: str) -> bool:
    return bool(_ANAPHOR.search(sentence) or _QUOTATION.match(sentence))


def spoken_by(speaker: re.Pattern[str], quote: str, article: str | None, start: int) -> bool:
    """Whether the quoted sentence is the speaker's words, read from the article around it.

    True when (1) the speaker pattern is in the quote; or (2) the quote does not name its
    speaker (it says he, she, they, I, we or "the minister", or is a quotation) and the speaker
    pattern is in the sentence before it, or, while those sentences don't name a speaker
    either, in one of up to MAX_BACK sentences before it; or (3) the quote sits in a passage
    labelled with the speaker ("Dr. Petrov: ..."). An approximation: a quote that names the
    speaker as someone spoken about counts as theirs too.
    """
    if speaker.search(quote):
        return True
    if not article:
        return False
    if _anaphoric(quote):
        for sentence in sentences_before(article, start)[:MAX_BACK]:
            if speaker.search(sentence):
                return True
            if not _anaphoric(sentence):
                break
    label = speaker_label(article, start)
    return bool(label) and bool(speaker.search(label))


# ------------------------------------------------------------------ one answer


def _lost_at(pattern: re.Pattern[str], trace: Mapping[str, str], refused: bool) -> str:
    for stage in STAGES:
        if stage in trace and not pattern.search(strip_markers(trace[stage])):
            return stage
    return "decide" if refused else "write"


def fact_stages(item: EvalItem, trace: Mapping[str, str]) -> tuple[tuple[str, bool], ...]:
    """For each stage the trace has, whether its text still held enough facts for a full
    answer (`item.needed` of them): the several item's version of metrics.stages_held."""
    patterns = [f.compiled() for f in item.facts]
    return tuple(
        (stage, sum(bool(p.search(strip_markers(trace[stage]))) for p in patterns) >= item.needed)
        for stage in STAGES
        if stage in trace
    )


def check_pairs(
    item: EvalItem,
    claims: Sequence[tuple[str, list[int]]],
    citations: Sequence[Citation],
    articles: Mapping[str, str],
) -> tuple[CitationCheck, ...]:
    """Judge every (claim, citation) pair of the answer.

    A pair is precise when the quote supports the claim (metrics.supports: a claim that states
    one of the item's facts needs a quote stating one of those facts, any other claim a quote
    with most of its content words; and every number the claim states). For an item with a
    speaker, a pair that gives a fact is precise only if the quote is the speaker's words.
    """
    patterns = [f.compiled() for f in item.facts]
    speaker = item.speaker.compiled() if item.speaker else None
    by_number = {c.n: c for c in citations}
    checks: list[CitationCheck] = []
    for claim, numbers in claims:
        stated = [p for p in patterns if p.search(claim)]
        for n in numbers:
            citation = by_number.get(n)
            if citation is None:
                checks.append(CitationCheck(n, claim, precise=False, found=False))
                continue
            article = articles.get(citation.article_id)
            precise = supports(claim, citation.quote, stated, table_header(article, citation.start))
            note = ""
            if precise and stated and speaker is not None and not spoken_by(
                speaker, citation.quote, article, citation.start
            ):
                precise, note = False, f"is not {item.speaker.name}'s words"
            checks.append(CitationCheck(n, claim, precise=precise, found=True, note=note))
    return tuple(checks)


def score_several(item: EvalItem, answer: Answer, articles: Mapping[str, str]) -> SeveralScore:
    """Facts given, the (claim, citation) verdicts, sentences shown and, for an ordered item,
    whether the facts given come in the order of the events (None when fewer than two)."""
    trace = answer.trace.stages()
    claims = [] if answer.refused else answer_claims(answer.text)
    by_number = {c.n: c for c in answer.citations}
    facts: list[FactResult] = []
    positions: list[int] = []
    for fact in item.facts:
        pattern = fact.compiled()
        stated, giving = False, None
        for i, (claim, numbers) in enumerate(claims):
            if not pattern.search(claim):
                continue
            stated = True
            if any(n in by_number and pattern.search(by_number[n].quote) for n in numbers):
                giving = i
                break
        if giving is None:
            facts.append(FactResult(fact.pattern, False, stated, None, _lost_at(pattern, trace, answer.refused)))
        else:
            facts.append(FactResult(fact.pattern, True, True, claims[giving][0]))
            positions.append(giving)
    in_order = None
    if item.ordered and len(positions) >= 2:
        in_order = all(a <= b for a, b in zip(positions, positions[1:]))
    checks = () if answer.refused else check_pairs(item, claims, answer.citations, articles)
    return SeveralScore(tuple(facts), checks, sentences_shown(claims), in_order)


def failed_facts(item: EvalItem) -> tuple[FactResult, ...]:
    """The facts of an item whose answer() raised: none given, lost nowhere on the path."""
    return tuple(FactResult(f.pattern, False) for f in item.facts)


# ------------------------------------------------------------------ many answers


def _mean(values: Sequence[float | bool]) -> float | None:
    return sum(values) / len(values) if values else None


def aggregate_several(results: Sequence[ItemResult]) -> dict[str, float | None]:
    """The facts_* metrics over the several items among `results` (None when there are none)."""
    several = [r for r in results if r.item.category == CATEGORY]
    answered = [r for r in several if r.answer is not None and not r.answer.refused]
    precisions = [r.citation_precision for r in several if r.citation_precision is not None]
    return {
        "facts_recall": _mean([r.facts_recall or 0.0 for r in several]),
        "facts_full": _mean([bool(r.correct) for r in several]),
        "facts_citation_precision": _mean(precisions),
        "facts_sentences": _mean([r.sentences or 0 for r in answered]),
        "facts_in_order": _mean([r.in_order for r in several if r.in_order is not None]),
    }


def fact_losses(results: Sequence[ItemResult]) -> dict[str, int]:
    """Facts of several items by where they were lost (LOSS_STAGES, or "error" when answer()
    raised), and how many were given."""
    counts = {key: 0 for key in FACT_LOSS_KEYS}
    for r in results:
        if r.item.category != CATEGORY:
            continue
        for fact in r.facts:
            key = "given" if fact.given else (fact.lost_at or "error")
            counts[key] += 1
    return counts
