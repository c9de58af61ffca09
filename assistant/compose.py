"""The extractive answerer: the answer is made of retrieved sentences, so it is grounded by
construction, and each sentence carries the marker of the exact passage it is.

Each candidate is judged on evidence that costs nothing at query time: its cosine similarity to
the question (embedded at index time), how much of the question's rare terms it covers, and
whether it holds the kind of thing asked for. The first sentence must pass all three or the answer
is a refusal; further sentences are added when they cover parts of the question the first one
left open (multi-part questions) or corroborate it from another article.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from assistant.models import Citation
from assistant.question import (
    Query,
    answer_values,
    context_coverage,
    coverage,
    holds_answer,
)
from assistant.retrieval import Scored
from index.store import Hit


class Passages(Protocol):
    """What composing needs to know of the indexed passages (a `KeywordIndex`)."""

    def terms(self, text: str) -> frozenset[int]: ...
    def previous(self, hit: Hit) -> Hit | None: ...
    def mentions(self, article_id: str, terms: Iterable[int]) -> bool: ...

REFUSAL = (
    "The articles don't say. I found nothing in the indexed articles that answers this question."
)

MIN_COVERAGE = 0.25  # share of the question's term weight the first sentence must contain
COVERAGE_WEIGHT = 0.5
TYPE_BONUS = 0.1
CONTEXT_WEIGHT = 0.2
STORY_WEIGHT = 0.2
CORROBORATION_MARGIN = 0.04
MIN_GAIN = 0.15  # share of the question a further sentence must newly cover

_WORD = re.compile(r"[a-z0-9]+")
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget) (all |any |the )?(previous|prior|above|earlier) "
    r"(instructions|prompts?|messages)\b|\b(ai|language model|chat) assistants?\b|"
    r"\b(system prompt|you are an ai|as an ai)\b",
    re.I,
)
_ENDS_SENTENCE = re.compile(r"[.!?…”\"’')\]]$")


@dataclass(frozen=True)
class Composed:
    text: str
    citations: list[Citation]
    refused: bool
    support: float = 0.0  # how well the parts are answered: the sum of their first sentences' scores


@dataclass(frozen=True)
class Evidence:
    candidate: Scored
    terms: frozenset[int]
    cover: float
    typed: bool
    score: float

    @property
    def hit(self):
        return self.candidate.hit


def refusal() -> Composed:
    return Composed(REFUSAL, [], True)


def compose(
    asked: list[tuple[Query, list[Scored]]],
    passages: Passages,
    max_citations: int,
    min_similarity: float,
    story: dict[str, float] | None = None,
) -> Composed:
    """Answer each part of a question from its own candidates; refuse if no part is answered.

    story: the articles a follow-up's conversation, or a many-part question, is about (article
    id -> how much, up to 1); their sentences get up to STORY_WEIGHT more.
    """
    story = story or {}
    weighed = [
        (query, [
            _weigh(query, c, passages, story)
            for c in candidates
            if _answerable(c) and not _repeats(c.hit.text, query.said)
        ])
        for query, candidates in asked
    ]
    passing = [_passing(evidence, min_similarity) for _, evidence in weighed]
    firsts = _assign(passing)
    chosen: list[Evidence] = []
    unanswered: list[str] = []
    disputed = False
    per_part = max(1, max_citations // len(asked)) if len(asked) > 1 else max_citations
    for (query, evidence), good, first in zip(weighed, passing, firsts, strict=True):
        found = (
            _extend(query, evidence, good, first, per_part, min_similarity, passages) if first else []
        )
        if not found:
            unanswered.append(query.asked)
        disputed = disputed or _disagree(query, found)
        chosen += [e for e in found if all(e.hit.chunk_id != c.hit.chunk_id for c in chosen)]
    if not chosen:
        return refusal()
    composed = _render(chosen, attribute=disputed)
    support = sum(f.score for f in firsts if f is not None)
    text = composed.text
    if unanswered:
        gaps = "; ".join(f"“{q}”" for q in unanswered)
        text = f"{text} The articles don't say: {gaps}"
    return Composed(text, composed.citations, False, support)


def _passing(evidence: list[Evidence], min_similarity: float) -> list[Evidence]:
    """The sentences good enough to be the answer, best first."""
    passing = [
        e for e in evidence
        if e.hit.similarity >= min_similarity and e.cover >= MIN_COVERAGE and e.typed
    ]
    return sorted(passing, key=lambda e: e.score, reverse=True)


def _assign(options: list[list[Evidence]], width: int = 3) -> list[Evidence | None]:
    """The first sentence of each part, so that parts are answered by different sentences.

    "What was proposed about a demilitarized zone, and how did Putin respond to it?": the table
    row "Demilitarization Zones: Rejected" is the best sentence for both parts, but it answers
    the second far better; the first then takes its next best. Picks maximise the total score
    of the distinct sentences chosen (a sentence chosen twice counts once), over each part's
    best few: a handful of parts at most, so trying every combination is cheap.
    """
    if len(options) == 1:
        return [options[0][0] if options[0] else None]
    tops = [o[:width] or [None] for o in options]
    best, best_total = [t[0] for t in tops], -1.0
    for combo in itertools.product(*tops):
        per_chunk: dict[str, float] = {}
        for e in combo:
            if e is not None:
                per_chunk[e.hit.chunk_id] = max(per_chunk.get(e.hit.chunk_id, 0.0), e.score)
        total = sum(per_chunk.values())
        if total > best_total + 1e-9:
            best, best_total = list(combo), total
    return best


def _extend(
    query: Query,
    evidence: list[Evidence],
    passing: list[Evidence],
    first: Evidence,
    max_citations: int,
    min_similarity: float,
    passages: Passages,
) -> list[Evidence]:
    """first, then sentences that cover what it left open, corroborate it, contradict it or
    go on from it."""
    chosen = [first]
    covered = set(first.terms)
    values = answer_values(query, first.hit.matchable)
    for e in sorted(evidence, key=lambda e: e.score, reverse=True):
        if len(chosen) == max_citations:
            break
        if e in chosen or any(_near_duplicate(e.hit.text, c.hit.text) for c in chosen):
            continue
        if e.hit.similarity < min_similarity or not e.typed:
            continue
        gain = coverage(query, e.terms - covered)
        corroborates = e.score >= first.score - CORROBORATION_MARGIN
        contradicts = e in passing and _disagree(query, [first, e])
        new = answer_values(query, e.hit.matchable) - values
        continues = query.several and e in passing and bool(new) and _follows(e, chosen, passages)
        if gain >= MIN_GAIN or corroborates or contradicts or continues:
            chosen.append(e)
            covered |= e.terms
            values |= new
    return chosen


def _follows(e: Evidence, chosen: list[Evidence], passages: Passages) -> bool:
    """Whether e is the sentence right after one already chosen: "a transcript shows European
    leaders' concerns" goes on "Macron cautioned that ...", which names one of them."""
    before = passages.previous(e.hit)
    return before is not None and any(c.hit.chunk_id == before.chunk_id for c in chosen)


def _weigh(query: Query, candidate: Scored, passages: Passages, story: dict[str, float]) -> Evidence:
    hit = candidate.hit
    found = frozenset(passages.terms(hit.matchable))
    cover = coverage(query, found)
    before = passages.previous(hit)
    nearby = found
    if before is not None and hit.kind == "sentence":
        # "this eastern territory" is the Donbas of the sentence before: half credit for it
        nearby = found | passages.terms(before.matchable)
        cover += 0.5 * (coverage(query, nearby) - cover)
    # the names a question asks about must be in the answer's article ("the weather in Kyiv" is
    # not answered by a British forecast), where it happened in the sentence or the one before
    # ("killed in the strike on Odesa" is not answered by a strike in Kherson)
    typed = (
        holds_answer(query, hit.matchable)
        and query.places <= nearby
        and passages.mentions(hit.article_id, query.names)
    )
    score = (
        hit.similarity
        + COVERAGE_WEIGHT * cover
        + CONTEXT_WEIGHT * context_coverage(query, found)
        + (TYPE_BONUS if typed and query.wants else 0)
        + STORY_WEIGHT * story.get(hit.article_id, 0.0)
    )
    return Evidence(candidate, found, cover, typed, score)


def _answerable(candidate: Scored) -> bool:
    """Headlines, table headers, questions, pleasantries and planted instructions are not answers.

    A sentence that talks to AI assistants is an injection attempt, not news: never quoted.
    """
    hit = candidate.hit
    text = hit.text.strip()
    if _INSTRUCTION.search(text):
        return False
    if hit.kind == "header" or text == hit.title or text.endswith("?"):
        return False
    if hit.kind == "sentence" and not _ENDS_SENTENCE.search(text):
        return False  # a heading inside the article, not a statement
    return len(_WORD.findall(hit.matchable.lower())) >= 4


def _disagree(query: Query, found: list[Evidence]) -> bool:
    """Articles that give different values for what was asked (e.g. 6 vs 8 people wounded).

    Only numbers and dates: different articles naming different people is not a disagreement.
    """
    if query.wants not in ("number", "date"):
        return False
    per_article: dict[str, set[str]] = {}
    for e in found:
        per_article.setdefault(e.hit.article_id, set()).update(answer_values(query, e.hit.matchable))
    values = [v for v in per_article.values() if v]
    return len(values) > 1 and any(a.isdisjoint(b) for a in values for b in values if a is not b)


def _render(chosen: list[Evidence], attribute: bool = False) -> Composed:
    citations = [
        Citation(
            n=n,
            article_id=e.hit.article_id,
            title=e.hit.title,
            quote=e.hit.text,
            start=e.hit.start,
            end=e.hit.end,
            score=round(e.hit.similarity, 4),
        )
        for n, e in enumerate(chosen, start=1)
    ]
    text = " ".join(f"{_claim(e)} [{n}]" for n, e in enumerate(chosen, start=1))
    if attribute:
        text = f"The articles differ: {text}"
    return Composed(text, citations, False)


def _claim(e: Evidence) -> str:
    """How a passage reads inside the answer: a table row becomes 'Column: value; ...'."""
    hit = e.hit
    text = hit.matchable if hit.kind == "row" else hit.text
    return text.lstrip("-*• ").strip()


def _repeats(text: str, said: str) -> bool:
    """Whether most of text's words were already in the previous answer."""
    if not said:
        return False
    words = set(_WORD.findall(text.lower()))
    return bool(words) and len(words & set(_WORD.findall(said.lower()))) / len(words) >= 0.7


def _near_duplicate(a: str, b: str, threshold: float = 0.6) -> bool:
    wa, wb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= threshold
