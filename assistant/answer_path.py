"""The answer path, in one straight line: retrieve -> evidence -> read -> ground -> decide -> write.

Each stage is its own module with a typed hand-off; this wires them, streams what a person
waits for (the evidence as soon as retrieval is done, the phrase as the model copies it, then
the answer), and records in `Answer.trace` what each stage passed on, so the eval can say where
an answer was lost.

- plan: a question of several parts ("How long ... and how many ...?") is read part by part;
  a follow-up is made standalone with the last turn for retrieval (`followup.py`).
- retrieve: each part searched on its own (hybrid dense + BM25).
- evidence: the parts' best units in turn, widened to their neighbours, numbered.
- read: the model (or the extractive composer, without one) points at a sentence and copies
  the phrase that answers, per part; the parts share the evidence, so after the first only the
  question is new to the model's KV cache.
- ground, decide, write: `ground.py`, `decide.py`, `write.py`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from assistant import extractive, listing, when
from assistant.decide import Signals, Verdict, decide
from assistant.evidence import Evidence, Line, budget_for, gather
from assistant.followup import History, resolve, standalone
from assistant.ground import Grounded, ground
from assistant.models import Answer, Done, Event, Retrieved, Source, Token
from assistant.question import holds_kind, parts, wanted
from assistant.read import PHRASE, POINTER, Reply, parse, read_prompt, verify_prompt
from assistant.reader import Reader, condense, count_tokens
from assistant.retrieval import Found, Retriever, Scored
from assistant.settings import Settings
from assistant.text import words
from assistant.write import REFUSAL, PartAnswer, write


@dataclass(frozen=True)
class Ask:
    """One part of a question: as the reader reads it, and as retrieval searches for it."""

    asked: str
    searched: str
    posed: str = ""  # as the user put it (pronouns resolved): what the composer's rules read


def plan(question: str, history: History) -> list[Ask]:
    """The parts of a question, each standing on its own (a follow-up made standalone with
    the last turn: the reader is not shown the conversation)."""
    resolved = resolve(question, history)
    pieces = parts(resolved)
    if len(pieces) == 1:
        searched = standalone(question, history)
        return [Ask(searched, searched, resolved)]
    asks = []
    for p in pieces:
        posed = f"{p.context} {p.asked}".strip()
        searched = standalone(posed, history)
        asks.append(Ask(searched, searched, posed))
    return asks


def stream(
    question: str,
    history: History,
    retriever: Retriever,
    reader: Reader | None,
    settings: Settings,
) -> Iterator[Event]:
    """`reader` None: the extractive composer reads alone (no model installed, or chosen)."""
    started = time.perf_counter()
    # a question about the corpus (in a conversation too, "him" filled in from the last turn):
    # the index answers it, whole
    asked = listing.parse(resolve(question, history))
    if asked is not None:
        yield Done(listing.answer(asked, retriever.keywords, settings.list_cap))
        return
    asks = plan(question, history)
    if history and settings.followup == "model" and reader is not None and len(asks) == 1:
        condensed = condense(reader, question, history)
        if condensed:
            asks = [Ask(condensed, condensed, asks[0].posed)]
    # a question about a time ("in March 2017", "the latest") reads the articles of that time
    periods = [when.period(a.searched, retriever.keywords.newest) for a in asks]
    # ... and searches for its topic: the period filters and orders, its words would only match
    topics = [when.topic(a.searched, p) for a, p in zip(asks, periods, strict=True)]
    found = [
        retriever.find(t, settings.candidates, p) for t, p in zip(topics, periods, strict=True)
    ]
    rankings = [f.ranked() for f in found]
    evidence = gather(
        topics[0],
        rankings,
        retriever.keywords.article_chunks,
        count_tokens,
        units=settings.evidence_units,
        window=settings.evidence_window,
        budget=budget_for(settings.evidence_tokens, len(asks)),
    )
    searched = " ".join(a.searched for a in asks) if len(asks) > 1 else asks[0].searched
    retrieved = list(
        dict.fromkeys(s.hit.article_id for r in rankings for s in r[: settings.candidates])
    )
    trace = {
        "retrieved": "\n".join(_shown(s.hit) for r in rankings for s in r[: settings.candidates]),
        "evidence": "\n".join(line.text for line in evidence.lines),
    }
    backend = settings.backend if reader is not None else "extractive"
    base = dict(question=searched, retrieved=retrieved, backend=backend, trace=trace)
    yield Retrieved([Source(p.n, p.article_id, p.title, p.text) for p in evidence.passages])
    if not evidence.passages or evidence.best_similarity < settings.min_similarity:
        # nothing retrieved is about the question: no need to read
        yield Done(Answer(REFUSAL, [], True, **base, stats={"gated": True}))
        return
    candidates = [_candidates(retriever, evidence, f, r) for f, r in zip(found, rankings, strict=True)]
    composed = extractive.read(
        evidence,
        [(a.posed or a.asked, a.searched) for a in asks],
        candidates,
        retriever.keywords,
        history,
        max_citations=settings.max_citations,
        min_similarity=settings.min_similarity,
        weights=settings.composer,
    )
    stats: dict = {}
    if reader is None:
        replies = composed
    else:
        replies = []
        for ask in asks:
            reply = yield from _read(reader, evidence, ask, settings, stats, started)
            replies.append(reply)
    trace["reply"] = "\n".join(r.raw for r in replies)
    decided: list[PartAnswer] = []
    grounded_text: list[str] = []
    for ask, reply, pick, period in zip(asks, replies, composed, periods, strict=True):
        grounded = [g for g in ground(reply.pairs, evidence) if g is not None]
        decided.append(
            _decide_part(ask, grounded, reply, pick, period, evidence, reader, settings, stats)
        )
        # the reader's own phrases as grounded (the eval's "grounded" stage follows its "reply")
        grounded_text += [f"{g.text}\n{g.sentence}" for g in grounded]
    trace["grounded"] = "\n".join(grounded_text)
    written = write(decided, form=settings.answer_form, max_citations=settings.max_citations)
    stats["answer_s"] = round(time.perf_counter() - started, 3)
    yield Done(
        Answer(
            written.text, written.citations, written.refused, closest=written.closest,
            stats=stats, **base,
        )
    )


def _decide_part(
    ask: Ask,
    grounded: list[Grounded],
    reply: Reply,
    pick: Reply,
    period: when.Period | None,
    evidence: Evidence,
    reader: Reader | None,
    settings: Settings,
    stats: dict,
) -> PartAnswer:
    """Weigh one part's grounded reply (and the composer's pick, a second candidate when it is
    another sentence), and decide on the likelier."""
    candidates = [("reader" if reader is not None else "composer", grounded, reply)]
    if reader is not None and settings.composer_candidate:
        picked = [g for g in ground(pick.pairs, evidence) if g is not None]
        if picked and not {g.line.n for g in grounded} & {g.line.n for g in picked}:
            candidates.append(("composer", picked, pick))
    weighed = [
        (source, phrases, _signals(reader, ask, phrases, r, stats))
        for source, phrases, r in candidates
    ]
    rule = dict(answer_at=settings.answer_at, unsure_at=settings.unsure_at)
    source, chosen, signals = choose(weighed, rule, latest=bool(period and period.recent))
    verdict = decide(signals, **rule)
    stats.setdefault("parts", []).append(
        {"asked": ask.asked, "verdict": verdict.value, "source": source, **_plain(signals),
         "candidates": len(weighed)}
    )
    return PartAnswer(
        ask.asked, verdict, tuple(chosen), counts=wanted(ask.asked) == "number",
        timed=period is not None, recent=bool(period and period.recent),
    )


def _read(
    reader: Reader,
    evidence: Evidence,
    ask: Ask,
    settings: Settings,
    stats: dict,
    started: float,
):
    """The model's reply for one part, its phrases streamed as they are copied."""
    prompt = read_prompt(evidence, ask.asked)
    raw, shown = "", ""
    for piece in reader.stream(prompt, settings.llm_max_tokens):
        raw += piece
        draft = _draft(raw)
        if draft.startswith(shown) and len(draft) > len(shown):
            stats.setdefault("first_token_s", round(time.perf_counter() - started, 3))
            yield Token(draft[len(shown) :])
            shown = draft
    _add_usage(stats, reader.usage)
    return parse(raw, reader.openings.get(POINTER))


_PHRASE_LINE = re.compile(rf"^{PHRASE}:\s?(.*)$", re.M)


def _draft(raw: str) -> str:
    """What of a reply in progress a person can read: its phrases so far."""
    return "; ".join(m.group(1) for m in _PHRASE_LINE.finditer(raw) if m.group(1))


def _signals(
    reader: Reader | None, ask: Ask, grounded: Sequence[Grounded], reply: Reply, stats: dict
) -> Signals:
    if not grounded:
        return Signals(False, p_answer=reply.p_answer)
    best = grounded[0]
    spans = " ".join(g.text for g in grounded)
    adds = bool(words(spans) - words(ask.asked))
    kind = holds_kind(ask.asked, spans, " ".join(g.around() for g in grounded))
    p_yes = None
    if reader is not None and adds and kind:  # the model checks only what could be an answer
        prompt = verify_prompt(ask.asked, _context(best.line))
        p_yes = reader.choose(prompt).get("YES")
        _add_usage(stats, reader.usage)
    return Signals(True, adds, kind, p_yes=p_yes, p_answer=reply.p_answer)


def choose(weighed: list[tuple[str, list[Grounded], Signals]], rule: dict, latest: bool = False):
    """The candidate decided on: the likeliest (`_rank`); for "the latest", of the candidates
    that would be answered, the newest report's ("recency ranks among the sources that answer"),
    the likelier on one day."""
    answered = [w for w in weighed if decide(w[2], **rule) is Verdict.ANSWER]
    if latest and answered:
        return max(answered, key=lambda w: (_newest(w[1]), _rank(w[2])))
    return max(weighed, key=lambda w: _rank(w[2]))


def _newest(phrases: Sequence[Grounded]) -> str:
    """The newest date among a candidate's sentences ("" when none is dated)."""
    return max((g.line.unit.date or "" for g in phrases), default="")


def _rank(signals: Signals) -> tuple:
    """Which candidate answer is decided on: one that could be an answer, then the verifier's
    share of YES (the reader's own first on a tie: it is listed first)."""
    possible = signals.grounded and signals.adds and signals.kind
    return (possible, signals.p_yes if signals.p_yes is not None else 1.0)


def _context(line: Line) -> str:
    """The grounded sentence with the sentences either side of it that were shown with it."""
    units = line.passage.units
    i = units.index(line.unit)
    return " ".join(
        u.matchable if u.kind == "row" else u.text for u in units[max(0, i - 1) : i + 2]
    )


def _candidates(
    retriever: Retriever, evidence: Evidence, found: Found, ranked: Sequence[Scored]
) -> list[Scored]:
    """The evidence units as one part's candidates, each with its similarity to that part."""
    scored = {s.hit.chunk_id: s for s in ranked}
    units = [line.unit for line in evidence.lines]
    missing = [u.chunk_id for u in units if u.chunk_id not in scored]
    sims = retriever.store.similarities(found.vector, missing) if missing else {}
    return [
        scored.get(u.chunk_id) or Scored(replace(u, similarity=sims.get(u.chunk_id, 0.0)), 0.0, 0.0)
        for u in units
    ]


def _add_usage(stats: dict, usage) -> None:
    """Add up what the model calls of one answer cost (the bench and the eval read it)."""
    if usage is None:
        return
    for key, value in usage.__dict__.items():
        if key != "first_token_s":  # the answer's own first token is timed where it is shown
            stats[key] = round(stats.get(key, 0) + value, 3)
    stats["calls"] = stats.get("calls", 0) + 1


def _plain(signals: Signals) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in signals.__dict__.items()}


def _shown(hit) -> str:
    return hit.matchable if hit.kind == "row" else hit.text



