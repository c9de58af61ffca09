"""The extractive composer's rules: which evidence sentences answer each part of a question.

The answer is made of the chosen sentences themselves, so it is grounded by construction. Each
candidate is judged on evidence that costs nothing at query time: its cosine similarity to
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

from assistant.composer.query import (
    Query,
    answer_values,
    context_coverage,
    coverage,
    holds_answer,
)
from assistant.settings import ComposerWeights
from index.injection import addressed_to_machine
from index.units import Unit
from search.retrieval import Scored
from search.text import plain_words


class Passages(Protocol):
    """What composing needs to know of the indexed passages (a `KeywordIndex`)."""

    def terms(self, text: str) -> frozenset[int]: ...
    def previous(self, hit: Unit) -> Unit | None: ...
    def mentions(self, article_id: str, terms: Iterable[int]) -> bool: ...

_ENDS_SENTENCE = re.compile(r"[.!?…”\"’')\]]$")


@dataclass(frozen=True)
class Composed:
    picked: tuple[tuple[Unit, ...], ...]  # the sentences chosen for each part, in order; () none
    support: float = 0.0  # how well the parts are answered: the sum of their first sentences' scores

    @property
    def refused(self) -> bool:
        return not any(self.picked)


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


def compose(
    asked: list[tuple[Query, list[Scored]]],
    passages: Passages,
    max_citations: int,
    min_similarity: float,
    story: dict[str, float],
    weights: ComposerWeights,
) -> Composed:
    """The sentences that answer each part of a question, from its own candidates.

    story: the articles a follow-up's conversation, or a many-part question, is about (article
    id -> how much, up to 1); their sentences get up to `weights.story_weight` more.
    """
    weighed = [
        (query, [
            _weigh(query, c, passages, story, weights)
            for c in candidates
            if _answerable(c) and not _repeats(c.hit.text, query.said, weights.repeat_share)
        ])
        for query, candidates in asked
    ]
    passing = [_passing(evidence, min_similarity, weights) for _, evidence in weighed]
    firsts = _assign(passing, weights.assign_width)
    picked: list[tuple[Unit, ...]] = []
    per_part = max(1, max_citations // len(asked)) if len(asked) > 1 else max_citations
    for (query, evidence), good, first in zip(weighed, passing, firsts, strict=True):
        found = (
            _extend(query, evidence, good, first, per_part, min_similarity, passages, weights)
            if first
            else []
        )
        picked.append(tuple(e.hit for e in found))
    return Composed(tuple(picked), sum(f.score for f in firsts if f is not None))


def _passing(
    evidence: list[Evidence], min_similarity: float, weights: ComposerWeights
) -> list[Evidence]:
    """The sentences good enough to be the answer, best first."""
    passing = [
        e for e in evidence
        if e.hit.similarity >= min_similarity and e.cover >= weights.min_coverage and e.typed
    ]
    return sorted(passing, key=lambda e: e.score, reverse=True)


def _assign(options: list[list[Evidence]], width: int) -> list[Evidence | None]:
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
    weights: ComposerWeights,
) -> list[Evidence]:
    """first, then sentences that cover what it left open, corroborate it, contradict it or
    go on from it."""
    chosen = [first]
    covered = set(first.terms)
    values = answer_values(query, first.hit.matchable)
    for e in sorted(evidence, key=lambda e: e.score, reverse=True):
        if len(chosen) == max_citations:
            break
        if e in chosen or any(
            _near_duplicate(e.hit.text, c.hit.text, weights.duplicate_overlap) for c in chosen
        ):
            continue
        if e.hit.similarity < min_similarity or not e.typed:
            continue
        gain = coverage(query, e.terms - covered)
        corroborates = e.score >= first.score - weights.corroboration_margin
        contradicts = e in passing and _disagree(query, [first, e])
        new = answer_values(query, e.hit.matchable) - values
        continues = query.several and e in passing and bool(new) and _follows(e, chosen, passages)
        if gain >= weights.min_gain or corroborates or contradicts or continues:
            chosen.append(e)
            covered |= e.terms
            values |= new
    return chosen


def _follows(e: Evidence, chosen: list[Evidence], passages: Passages) -> bool:
    """Whether e is the sentence right after one already chosen: "a transcript shows European
    leaders' concerns" goes on "Macron cautioned that ...", which names one of them."""
    before = passages.previous(e.hit)
    return before is not None and any(c.hit.chunk_id == before.chunk_id for c in chosen)


def _weigh(
    query: Query,
    candidate: Scored,
    passages: Passages,
    story: dict[str, float],
    weights: ComposerWeights,
) -> Evidence:
    hit = candidate.hit
    found = frozenset(passages.terms(hit.matchable))
    cover = coverage(query, found)
    before = passages.previous(hit)
    nearby = found
    if before is not None and hit.kind == "sentence":
        # "this eastern territory" is the Donbas of the sentence before: half credit for it
        nearby = found | passages.terms(before.matchable)
        cover += weights.before_credit * (coverage(query, nearby) - cover)
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
        + weights.coverage_weight * cover
        + weights.context_weight * context_coverage(query, found)
        + (weights.type_bonus if typed and query.wants else 0)
        + weights.story_weight * story.get(hit.article_id, 0.0)
    )
    return Evidence(candidate, found, cover, typed, score)


def _answerable(candidate: Scored) -> bool:
    """Headlines, table headers, questions, pleasantries and planted instructions are not answers.

    A sentence that talks to AI assistants is an injection attempt, not news: never quoted (the
    index drops such lines already; this is the same filter, for an index built before it).
    """
    hit = candidate.hit
    text = hit.text.strip()
    if addressed_to_machine(text):
        return False
    if hit.kind == "header" or text == hit.title or text.endswith("?"):
        return False
    if hit.kind == "sentence" and not _ENDS_SENTENCE.search(text):
        return False  # a heading inside the article, not a statement
    return len(plain_words(hit.matchable)) >= 4


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


def _repeats(text: str, said: str, share: float) -> bool:
    """Whether most of text's words were already in the previous answer."""
    if not said:
        return False
    words = set(plain_words(text))
    return bool(words) and len(words & set(plain_words(said))) / len(words) >= share


def _near_duplicate(a: str, b: str, threshold: float) -> bool:
    wa, wb = set(plain_words(a)), set(plain_words(b))
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= threshold
