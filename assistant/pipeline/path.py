"""The answer path, in one straight line: plan -> retrieve -> evidence -> read -> ground ->
decide -> write.

Each stage is its own module with a typed hand-off; this only wires them, streams what a person
waits for (the evidence as soon as retrieval is done, the phrase as the model copies it, then
the answer), adds up what the model calls cost (`Stats`) and records what each stage passed on
(`Trace`), so the eval can say where an answer was lost.

- plan: a follow-up made standalone, a question of several parts cut into parts (`plan.py`);
  a question about the corpus ("Which articles mention X?") is answered from the index.
- retrieve: each part searched on its own (hybrid dense + BM25), within the period it names.
- evidence: the parts' best units in turn, widened to their neighbours, numbered.
- read: the model (or the extractive composer, without one) points at a sentence and copies
  the phrase that answers, per part; the parts share the evidence, so after the first only the
  question is new to the model's KV cache.
- ground, decide, write: `ground.py`, `decide.py`, `write.py`.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from assistant.llm.base import Reader, Usage
from assistant.models import (
    Answer,
    Done,
    Event,
    Kind,
    ListingStats,
    PartStats,
    Retrieved,
    Source,
    Stats,
    Token,
    Trace,
)
from assistant.pipeline import when
from assistant.pipeline.decide import Candidate, Decision, choose, weigh
from assistant.pipeline.evidence import Evidence, budget_for, count_tokens, gather
from assistant.pipeline.ground import Grounded, ground
from assistant.pipeline.kinds import wanted
from assistant.pipeline.plan import Ask, History, condensed, plan
from assistant.pipeline.read import Reading, Reply, read
from assistant.pipeline.write import REFUSAL, PartAnswer, write, write_listing
from assistant.settings import Settings
from index.units import Unit
from search import listing
from search.period import Period
from search.retrieval import Found, Retriever, Scored


class Composer(Protocol):
    """The extractive composer, a reader by rules (`assistant.composer`): one reply per part."""

    def read(
        self,
        evidence: Evidence,
        asks: Sequence[tuple[str, str]],
        candidates: Sequence[Sequence[Scored]],
        history: History,
    ) -> list[Reply]: ...


@dataclass(frozen=True)
class Searched:
    """One part's retrieval: its period, what was searched for, its hits and their ranking."""

    period: Period | None
    topic: str
    found: Found
    ranked: list[Scored]


def stream(
    question: str,
    history: History,
    retriever: Retriever,
    reader: Reader | None,
    composer: Composer,
    settings: Settings,
) -> Iterator[Event]:
    """`reader` None: the extractive composer reads alone (no model installed, or chosen)."""
    started = time.perf_counter()
    planned = plan(question, history)
    # a question about the corpus (in a conversation too, "him" filled in from the last turn):
    # the index answers it, whole
    asked = listing.parse(planned.resolved)
    if asked is not None:
        yield Done(_listing(listing.find(
            asked, retriever.keywords, settings.list_cap, settings.list_variant_ratio,
            settings.list_variant_min_length, settings.list_variant_y_length,
        )))
        return
    stats = Stats()
    asks = planned.asks
    if history and settings.followup == "model" and reader is not None and len(asks) == 1:
        planned, usage = condensed(planned, reader, question, history)
        asks, stats = planned.asks, stats.plus(usage)
    searches = [_search(retriever, ask, settings) for ask in asks]
    evidence = gather(
        searches[0].topic,
        [s.ranked for s in searches],
        retriever.keywords.article_chunks,
        count_tokens,
        units=settings.evidence_units,
        window=settings.evidence_window,
        budget=budget_for(settings.evidence_tokens, len(asks)),
    )
    retrieved_units = [s.hit for search in searches for s in search.ranked[: settings.candidates]]
    trace = Trace(
        retrieved="\n".join(_shown(u) for u in retrieved_units),
        evidence="\n".join(line.text for line in evidence.lines),
    )
    base = dict(
        question=" ".join(a.searched for a in asks) if len(asks) > 1 else asks[0].searched,
        retrieved=list(dict.fromkeys(u.article_id for u in retrieved_units)),
        backend=settings.backend if reader is not None else "extractive",
    )
    yield Retrieved([Source(p.n, p.article_id, p.title, p.text) for p in evidence.passages])
    if not evidence.passages or evidence.best_similarity < settings.min_similarity:
        # nothing retrieved is about the question: no need to read
        yield Done(Answer(REFUSAL, [], True, **base, stats=replace(stats, gated=True), trace=trace))
        return
    picks: list[Reply] | None = None
    if reader is None or settings.composer_candidate:
        units = [line.unit for line in evidence.lines]
        picks = composer.read(
            evidence,
            [(a.posed or a.asked, a.searched) for a in asks],
            [s.found.scored(units, s.ranked) for s in searches],
            history,
        )
    if reader is None:
        replies = picks
    else:
        replies = []
        for ask in asks:
            pieces = read(reader, evidence, ask.asked, settings.llm_max_tokens)
            reading, first = yield from _as_tokens(pieces)
            if first is not None and stats.first_token_s is None:
                stats = replace(stats, first_token_s=round(first - started, 3))
            replies.append(reading.reply)
            stats = stats.plus(reading.usage)
    decided: list[PartAnswer] = []
    parts: list[PartStats] = []
    grounded_text: list[str] = []
    for i, (ask, reply, search) in enumerate(zip(asks, replies, searches, strict=True)):
        pick = picks[i] if reader is not None and settings.composer_candidate else None
        decision, grounded, usages = _decide(ask, reply, pick, search, evidence, reader, settings)
        for usage in usages:
            stats = stats.plus(usage)
        decided.append(_part_answer(ask, decision, search.period))
        parts.append(_part_stats(ask, decision))
        # the reader's own phrases as grounded (the eval's "grounded" stage follows its "reply")
        grounded_text += [f"{g.text}\n{g.sentence}" for g in grounded]
    trace = replace(
        trace, reply="\n".join(r.raw for r in replies), grounded="\n".join(grounded_text)
    )
    written = write(
        decided, form=settings.answer_form, max_citations=settings.max_citations,
        quote_share=settings.quote_share,
    )
    stats = replace(
        stats, parts=tuple(parts), answer_s=round(time.perf_counter() - started, 3)
    )
    yield Done(
        Answer(
            written.text, written.citations, written.refused, closest=written.closest,
            stats=stats, trace=trace, kind=written.kind, **base,
        )
    )


def _as_tokens(pieces: Generator[str, None, Reading]) -> Generator[Token, None, tuple]:
    """A reading's draft as Tokens, as the model copies; returns the reading and when its
    first piece came (None: it copied nothing)."""
    first = None
    while True:
        try:
            piece = next(pieces)
        except StopIteration as done:
            return done.value, first
        first = first or time.perf_counter()
        yield Token(piece)


def _decide(
    ask: Ask,
    reply: Reply,
    pick: Reply | None,
    search: Searched,
    evidence: Evidence,
    reader: Reader | None,
    settings: Settings,
) -> tuple[Decision, list[Grounded], list[Usage | None]]:
    """One part: the reply grounded, and the composer's `pick` beside it as a second
    candidate when it grounds in another sentence; each weighed, the likelier decided on.
    Returns the decision, the reply's grounded phrases, and what the checks cost."""
    grounded = ground(reply.pairs, evidence, settings.ground_max_skipped)
    candidates = [("reader" if reader is not None else "composer", grounded)]
    if pick is not None:
        picked = ground(pick.pairs, evidence, settings.ground_max_skipped)
        if picked and not {g.line.n for g in grounded} & {g.line.n for g in picked}:
            candidates.append(("composer", picked))
    weighed, usages = [], []
    for source, phrases in candidates:
        signals, usage = weigh(reader, ask.asked, phrases)
        weighed.append(Candidate(source, tuple(phrases), signals))
        usages.append(usage)
    decision = choose(
        weighed, answer_at=settings.answer_at, unsure_at=settings.unsure_at,
        latest=bool(search.period and search.period.recent),
    )
    return decision, grounded, usages


def _search(retriever: Retriever, ask: Ask, settings: Settings) -> Searched:
    """A question about a time ("in March 2017", "the latest") reads the articles of that
    time, and searches for its topic: the period filters and orders, its words would only
    match other stories' dates."""
    period = when.period(ask.searched, retriever.keywords.newest)
    topic = when.topic(ask.searched, period)
    found = retriever.find(topic, settings.candidates, period)
    return Searched(period, topic, found, found.ranked())


def _part_answer(ask: Ask, decision: Decision, period: Period | None) -> PartAnswer:
    return PartAnswer(
        ask.asked, decision.verdict, decision.candidate.grounded,
        counts=wanted(ask.asked) == "number", timed=period is not None,
        recent=bool(period and period.recent),
    )


def _part_stats(ask: Ask, decision: Decision) -> PartStats:
    s = decision.candidate.signals
    return PartStats(
        ask.asked, decision.verdict.value, decision.candidate.source, s.grounded, s.adds, s.kind,
        None if s.p_yes is None else round(s.p_yes, 4), decision.candidates,
    )


def _listing(listed: listing.Listed) -> Answer:
    written = write_listing(listed)
    return Answer(
        written.text, written.citations, refused=False, question=listed.topic,
        retrieved=[u.article_id for u in listed.shown], backend="index",
        stats=Stats(listing=ListingStats(listed.topic, listed.count, len(listed.shown))),
        kind=Kind.LISTING,
    )


def _shown(unit: Unit) -> str:
    return unit.matchable if unit.kind == "row" else unit.text
