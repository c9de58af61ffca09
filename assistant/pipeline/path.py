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
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from assistant.llm.base import Cancelled, Reader, Usage
from assistant.models import (
    Answer,
    Done,
    Event,
    Kind,
    ListingStats,
    PartStats,
    Retrieved,
    Source,
    Stage,
    Stats,
    Token,
    Trace,
)
from assistant.pipeline import story, when
from assistant.pipeline.decide import (
    Candidate,
    Decision,
    Verdict,
    choose,
    keep_facts,
    said_by,
    weigh,
)
from assistant.pipeline.evidence import Evidence, budget_for, count_tokens, gather
from assistant.pipeline.ground import ground
from assistant.pipeline.kinds import events, several, speaker, wanted
from assistant.pipeline.plan import Ask, History, condensed, plan
from assistant.pipeline.read import (
    MAX_FACTS_CHOSEN,
    Reply,
    check_facts,
    point_facts,
    read,
    read_facts,
    read_facts_in_two,
)
from assistant.pipeline.write import (
    REFUSAL,
    UNKNOWN_WORDS,
    PartAnswer,
    Written,
    short_date,
    write,
    write_listing,
    write_story,
)
from assistant.settings import Settings
from index.units import Unit
from search import listing
from search.period import Period
from search.retrieval import Found, Retriever, Scored

if TYPE_CHECKING:
    import numpy as np


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
    article: str | None = None,
) -> Iterator[Event]:
    """`reader` None: the extractive composer reads alone (no model installed, or chosen). A
    reader's calls may raise `Cancelled` (the question stopped, or its model time out): what
    was decided by then is the answer, marked partial. `article`: the one article a request
    is about ("Summarize this article" on a source)."""
    started = time.perf_counter()
    planned = plan(question, history, settings.max_parts)
    # a question about the corpus (in a conversation too, "him" filled in from the last turn):
    # the index answers it, whole
    asked = listing.parse(planned.resolved)
    if asked is not None:
        yield Done(_listing(listing.find(
            asked, retriever.keywords, settings.list_cap, settings.list_variant_ratio,
            settings.list_variant_min_length, settings.list_variant_y_length,
        )))
        return
    # a timeline or a summary: chosen by code from the index, no model
    wanted_story = story.parse(planned.resolved, article)
    if wanted_story is not None:
        yield Stage("Gathering the story")
        yield Done(_story(wanted_story, retriever, settings, started))
        return
    stats = Stats()
    keywords = retriever.keywords
    if keywords.unknown_terms(planned.resolved) and not keywords.terms(planned.resolved):
        # it has words and no article holds any ("xxxx", a typo of every word, another
        # script): no passage can answer, and the nearest by meaning would only cost the
        # model's time. Asked before a follow-up is rewritten, which would make it the last
        # question again; "him" of "And him?" is read as the last answer's name first.
        yield Done(Answer(
            UNKNOWN_WORDS, [], True, question=planned.resolved, backend=settings.backend,
            stats=replace(stats, gated=True),
        ))
        return
    if history and settings.followup == "model" and reader is not None and len(planned.asks) == 1:
        yield Stage("Making the follow-up a question of its own")
        try:
            planned, usage = condensed(planned, reader, question, history)
        except Cancelled as stop:
            yield Done(_stopped(stop.why, planned.asks[0].searched, settings))
            return
        stats = stats.plus(usage)
    asks = planned.asks
    yield Stage("Searching the articles")
    searches = [_search(retriever, ask, settings) for ask in asks]
    # a part whose answer is several facts is read as a choice of sentences (with a model)
    facts = [reader is not None and settings.facts_reader and several(a.asked) for a in asks]
    rankings = [
        _spoken(retriever, a, s, settings) if f else s.ranked
        for a, s, f in zip(asks, searches, facts, strict=True)
    ]
    units, budget, diversity = _budget(settings, facts, searches, reader is not None)
    evidence = gather(
        searches[0].topic,
        rankings,
        retriever.keywords.article_chunks,
        count_tokens,
        units=units,
        window=settings.evidence_window,
        budget=budget,
        diversity=diversity,
        vectors=retriever.store.vectors,
    )
    retrieved_units = list({
        s.hit.chunk_id: s.hit
        for ranked in [*(search.ranked[: settings.candidates] for search in searches), *rankings]
        for s in ranked
    }.values())
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
    if reader is not None:
        yield Stage(f"Reading {len(evidence.lines)} sentences of {len(evidence.passages)} passages")
    outcomes: list[Outcome] = []
    stopped = None
    for i, (ask, search) in enumerate(zip(asks, searches, strict=True)):
        try:
            if reader is None:
                outcome = _decided(ask, picks[i], None, search, evidence, None, settings)
            elif facts[i]:
                outcome = yield from _several(ask, evidence, reader, retriever, settings)
            else:
                pick = picks[i] if settings.composer_candidate else None
                outcome = yield from _one(ask, pick, search, evidence, reader, settings)
        except Cancelled as stop:
            stopped = stop.why
            break
        outcomes.append(outcome)
        for usage in outcome.usages:
            stats = stats.plus(usage)
        if outcome.first is not None and stats.first_token_s is None:
            stats = replace(stats, first_token_s=round(outcome.first - started, 3))
    if stopped is not None and not outcomes:
        yield Done(_stopped(stopped, base["question"], settings, stats=stats, trace=trace))
        return
    unread = [PartAnswer(a.asked, Verdict.REFUSE, unread=True) for a in asks[len(outcomes):]]
    trace = replace(
        trace,
        reply="\n".join(o.reply for o in outcomes),
        grounded="\n".join(g for o in outcomes for g in o.grounded),
    )
    written = write(
        [o.part for o in outcomes] + unread, form=settings.answer_form,
        max_citations=settings.max_citations, quote_share=settings.quote_share,
        max_facts=settings.max_facts, same_fact=settings.same_fact,
    )
    stats = replace(
        stats, parts=tuple(o.stats for o in outcomes),
        answer_s=round(time.perf_counter() - started, 3),
    )
    yield Done(
        Answer(
            written.text, written.citations, written.refused, closest=written.closest,
            stats=stats, trace=trace, kind=written.kind, partial=stopped is not None,
            notice=_CUT.get(stopped, ""), **base,
        )
    )


@dataclass(frozen=True)
class Outcome:
    """One part, read and decided: what write needs, what it cost, and what it passed on."""

    part: PartAnswer
    stats: PartStats
    reply: str  # the reply as the eval traces it
    grounded: tuple[str, ...]  # the reply's phrases found in shown sentences
    usages: tuple[Usage | None, ...] = ()
    first: float | None = None  # when its first piece was streamed


def _one(
    ask: Ask, pick: Reply | None, search: Searched, evidence: Evidence, reader: Reader,
    settings: Settings,
) -> Generator[Event, None, Outcome]:
    """A part of one fact: the model copies the phrase that answers (streamed as a draft),
    then it is grounded and checked beside the composer's pick. With Settings.first_read_tokens,
    it reads the best passages first, and the rest only when it copies nothing that grounds
    there (its KV cache keeps the first part: only the rest and the question are new)."""
    usages = []
    shown = evidence
    if settings.first_read_tokens:
        head = evidence.head(settings.first_read_tokens, count_tokens)
        if len(head.lines) < len(evidence.lines):
            shown = head
    pieces = read(reader, shown, ask.asked, settings.llm_max_tokens)
    reading, first = yield from _as_tokens(pieces, str)
    usages.append(reading.usage)
    if shown is not evidence and not ground(reading.reply.pairs, shown, settings.ground_max_skipped):
        yield Stage(f"Reading {len(evidence.lines) - len(shown.lines)} more sentences")
        pieces = read(reader, evidence, ask.asked, settings.llm_max_tokens)
        reading, again = yield from _as_tokens(pieces, str)
        usages.append(reading.usage)
        first = first or again
    yield Stage("Checking the answer against its sentence")
    outcome = _decided(ask, reading.reply, pick, search, evidence, reader, settings)
    return replace(outcome, usages=(*usages, *outcome.usages), first=first)


def _several(
    ask: Ask, evidence: Evidence, reader: Reader, retriever: Retriever, settings: Settings
) -> Generator[Event, None, Outcome]:
    """A part of several facts: the model chooses sentences (each streamed as it is chosen),
    code grounds them and keeps those that can be part of the answer."""
    if settings.facts_choice == "point":
        chosen = point_facts(
            reader, evidence, ask.asked, MAX_FACTS_CHOSEN, settings.facts_point_share
        )
    elif settings.facts_choice == "check":
        chosen = check_facts(
            reader, evidence, ask.asked, settings.max_facts, settings.facts_check_at
        )
    elif settings.facts_first_tokens and len(
        (head := evidence.head(settings.facts_first_tokens, count_tokens)).lines
    ) < len(evidence.lines):
        chosen = read_facts_in_two(
            reader, evidence, head, ask.asked, settings.llm_max_tokens,
            settings.facts_at_least, settings.facts_more_least, settings.max_facts,
        )
    else:
        chosen = read_facts(
            reader, evidence, ask.asked, settings.llm_max_tokens, settings.facts_rounds,
            settings.facts_at_least,
        )
    reading, first = yield from _as_tokens(chosen, lambda n: _chosen(evidence, n))
    grounded = ground(reading.reply.pairs, evidence, settings.ground_max_skipped)
    kept = keep_facts(grounded, speaker(ask.asked), _before(retriever))
    verdict = Verdict.ANSWER if kept.kept else Verdict.REFUSE
    return Outcome(
        PartAnswer(ask.asked, verdict, kept.kept, several=True, events=events(ask.asked)),
        PartStats(ask.asked, verdict.value, "reader", bool(grounded), True, True, None, 1),
        "\n".join(p.phrase for p in reading.reply.pairs),
        tuple(g.text for g in grounded),
        (reading.usage,),
        first,
    )


_CUT = {
    "time": "Partial: the model's time for one question ran out before every part was read and "
    "checked (ASSISTANT_ANSWER_CEILING_S).",
    "stopped": "Stopped before every part was read and checked.",
}


def _stopped(why: str, question: str, settings: Settings, **more) -> Answer:
    """A question stopped (or out of time) before anything was decided."""
    text = "Stopped." if why == "stopped" else (
        "I ran out of time before reading the passages; try a shorter or simpler question."
    )
    return Answer(text, [], True, question=question, backend=settings.backend, partial=True,
                  notice=_CUT.get(why, ""), **more)


def _as_tokens(pieces: Generator, shown: Callable[[object], str]) -> Generator[Token, None, tuple]:
    """A reading's draft as Tokens, as the model copies or chooses (`shown` says how a piece
    reads); returns the reading and when its first piece came (None: it gave nothing)."""
    first = None
    while True:
        try:
            piece = next(pieces)
        except StopIteration as done:
            return done.value, first
        first = first or time.perf_counter()
        yield Token(shown(piece))


def _chosen(evidence: Evidence, n: int) -> str:
    """A sentence the model chose, as the draft shows it: a line of the list being made."""
    line = evidence.line(n)
    return f"- {line.text}\n" if line is not None else ""


def _budget(
    settings: Settings, facts: Sequence[bool], searches: Sequence[Searched], reading: bool
) -> tuple[int, int, float]:
    """A question's evidence: best units, most tokens, diversity.

    Several facts need more, and more varied, evidence. A question of one fact and one part,
    read by the model, may get less (`one_part_evidence_units`, off by default): its prompt is
    most of the wait, and the smaller budget halves it, for a few answers fewer (README). A
    question about a time keeps the usual budget even so: it chooses among the reports of that
    time ("the latest"), and with fewer of them it lost dated answers on dev. The parts of a
    question share one prompt, a budget and a half each."""
    parts = len(searches)
    if any(facts):
        units, tokens = settings.facts_evidence_units, settings.facts_evidence_tokens
        return units, budget_for(tokens, parts), settings.facts_diversity
    timed = any(s.period is not None for s in searches)
    if reading and parts == 1 and not timed and settings.one_part_evidence_units:
        return settings.one_part_evidence_units, settings.one_part_evidence_tokens, 0.0
    return settings.evidence_units, budget_for(settings.evidence_tokens, parts), 0.0


def _spoken(retriever: Retriever, ask: Ask, search: Searched, settings: Settings) -> list[Scored]:
    """For "what did X say": X's own words, searched among more passages, are the evidence.

    Only they can be kept (`keep_facts`), so shown beside others they cost reading time and
    crowd X's later words out of the budget: measured without the model on the several-facts
    items that name a speaker, the evidence held as many key facts in about half the tokens.
    Without a named speaker, or with none of X's words found, the part's ranking as it is."""
    who = speaker(ask.asked)
    if who is None or not settings.speaker_candidates:
        return search.ranked
    found = retriever.find(search.topic, settings.speaker_candidates, search.period)
    before = _before(retriever)
    words = [s for s in found.ranked() if said_by(s.hit, who, before(s.hit))]
    return words or search.ranked


def _before(retriever: Retriever) -> Callable[[Unit], list[Unit]]:
    """A unit's article's units before it, in order (who "he" is, two sentences back)."""

    def before(unit: Unit) -> list[Unit]:
        units = retriever.keywords.article_chunks(unit.article_id)
        return [u for u in units if u.ordinal < unit.ordinal and u.kind != "header"]

    return before


def _decided(
    ask: Ask,
    reply: Reply,
    pick: Reply | None,
    search: Searched,
    evidence: Evidence,
    reader: Reader | None,
    settings: Settings,
) -> Outcome:
    """One part: the reply grounded, and the composer's `pick` beside it as a second
    candidate when it grounds in another sentence; each weighed, the likelier decided on."""
    grounded = ground(reply.pairs, evidence, settings.ground_max_skipped)
    candidates = [("reader" if reader is not None else "composer", grounded)]
    agreed = False
    if pick is not None:
        picked = ground(pick.pairs, evidence, settings.ground_max_skipped)
        agreed = bool({g.line.n for g in grounded} & {g.line.n for g in picked})
        if picked and not agreed:
            candidates.append(("composer", picked))
    verifier = None if agreed and not settings.check_agreed else reader
    weighed, usages = [], []
    for source, phrases in candidates:
        signals, usage = weigh(verifier, ask.asked, phrases)
        weighed.append(Candidate(source, tuple(phrases), signals))
        usages.append(usage)
    decision = choose(
        weighed, answer_at=settings.answer_at, unsure_at=settings.unsure_at,
        latest=bool(search.period and search.period.recent),
    )
    return Outcome(
        _part_answer(ask, decision, search.period),
        _part_stats(ask, decision),
        reply.raw,
        # the reader's own phrases as grounded (the eval's "grounded" stage follows its "reply")
        tuple(f"{g.text}\n{g.sentence}" for g in grounded),
        tuple(usages),
    )


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


def _story(wanted: story.Story, retriever: Retriever, settings: Settings, started: float) -> Answer:
    """A timeline or a summary, its sentences chosen by `story` and written a line each."""
    keywords = retriever.keywords
    article = wanted.article or (story.titled(wanted.topic, keywords) if wanted.kind == "summary" else None)
    if article is not None:  # one article: its central sentences, in its order
        units = [u for u in keywords.article_chunks(article) if u.kind != "header"]
        chosen = story.central(
            units, retriever.store.vectors, settings.summary_sentences,
            settings.summary_diversity,
            _like(retriever, units[0].title if units else "", settings.summary_lead),
        )
        picked = [story.Picked(u, u.date, False) for u in sorted(chosen, key=lambda u: u.ordinal)]
        written = write_story(picked, Kind.SUMMARY, dated=False)
        searched, retrieved = (units[0].title if units else article), [article]
    else:
        period = when.period(wanted.topic, keywords.newest)
        searched = when.topic(wanted.topic, period)
        ranked = retriever.find(searched, settings.story_candidates, period).ranked()
        retrieved = list(dict.fromkeys(s.hit.article_id for s in ranked))
        if wanted.kind == "timeline":
            written = _timeline(ranked, settings)
        else:
            written = _story_summary(ranked, retriever, settings)
    return Answer(
        written.text, written.citations, written.refused, question=searched,
        retrieved=retrieved, backend="index", kind=written.kind,
        stats=Stats(answer_s=round(time.perf_counter() - started, 3)),
    )


def _like(retriever: Retriever, title: str, lead: float) -> Callable[[Unit, np.ndarray], float]:
    """How close a sentence is to its article's headline (cosine), times its lead weight: what
    the article is about, as its editor put it and as its first sentences tell it, weighs a
    summary's choice beside centrality."""
    vector = retriever.encoder.encode_one(title)
    return lambda unit, v: max(float(v @ vector), 0.0) * story.lead_weight(unit, lead)


def _timeline(ranked: Sequence[Scored], settings: Settings) -> Written:
    """The events most about the topic, in the order they happened; how many more there are,
    and from when to when; and, for undated articles, that the order is uncertain."""
    learned = settings.timeline_learned
    events = story.events(
        ranked, when.event_date, when.weekday,
        share=settings.timeline_share if learned else settings.story_share,
        same_fact=settings.same_fact, per_article=settings.timeline_per_article,
        lead=settings.timeline_lead, weights=story.EVENT_WEIGHTS if learned else None,
        names_day=when.names_day,
    )
    shown = story.in_order(events[: settings.timeline_events])
    more = ""
    if len(events) > len(shown):
        rest = [e.date for e in events[len(shown):] if e.date]
        span = f" from {short_date(min(rest))} to {short_date(max(rest))}" if rest else ""
        more = f"{len(events) - len(shown)} more events{span}: ask about a period."
    dated = any(e.date for e in shown)
    note = "" if dated else (
        "These articles carry no dates: the events are ordered by the weekdays they name, "
        "else as their articles tell them, which may not be the order they happened in."
    )
    return write_story(shown, Kind.TIMELINE, dated=dated, more=more, note=note)


def _story_summary(ranked: Sequence[Scored], retriever: Retriever, settings: Settings) -> Written:
    """The coverage of a topic in brief: the most central of the sentences most about it,
    weighted by how much they are, one from each few reports that say the same, by date."""
    if not ranked:
        return write_story([], Kind.SUMMARY, dated=True)
    best = ranked[0].fused or 1.0
    about = [s for s in ranked if s.fused >= settings.story_share * best]
    weight = {s.hit.chunk_id: s.fused / best for s in about}
    chosen = story.central(
        [s.hit for s in about], retriever.store.vectors, settings.summary_sentences,
        settings.summary_diversity,
        lambda unit, v: weight[unit.chunk_id] * story.lead_weight(unit, settings.summary_lead),
    )
    picked = sorted((story.Picked(u, u.date, False) for u in chosen), key=lambda p: p.date or "")
    return write_story(picked, Kind.SUMMARY, dated=any(p.date for p in picked))


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
