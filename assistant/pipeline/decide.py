"""Decide: answer, refuse, or say honestly that it is not sure, by one measured rule.

A grounded phrase is necessary and not sufficient: asked something the articles don't say, the
model copies a related phrase that is really there (the ambassador's name for "Who is the US
ambassador to Russia?"), so grounding alone doesn't decide answerability. The second signal is
the model asked again, about one thing only: shown the grounded sentence with its neighbours
(a bare sentence doesn't say who "she" is) and the question, does the text answer it? (Shown
the proposed phrase too, it judged the phrase's plausibility instead.) Its share of YES
(`p_yes`, read from the logits, not sampled) separated the grounded answers to unanswerable
questions from right answers better than the other signals measured on dev: the model's own
first-token share for an answer over NONE, the grounded sentence's similarity to the question,
or the composer choosing the same sentence (README).

Two checks that need no model come first, each true of every right answer on dev and false of
a wrong one or a guess at an unanswerable question: the phrase must say something the question
doesn't ("Der Spiegel" is no answer to "Who leaked the transcript to Der Spiegel?"), and be the
kind of thing asked for where a phrase shows it (a number for "how many", a date for "when").

The rule: not grounded, or either check fails, refuse; `p_yes >= answer_at`, answer;
`p_yes >= unsure_at`, not sure (the closest passage is shown as that, not as an answer); below,
refuse. With no verifier (the extractive composer alone), a grounded pick is an answer: the
composer's own rules decided. Of several candidates for one part (the model's phrase, the
composer's pick), the likeliest is decided on (`choose`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from assistant.llm.base import Prompt, Reader, Usage, data
from assistant.pipeline.evidence import Line, statement
from assistant.pipeline.ground import Grounded
from assistant.pipeline.kinds import holds_kind
from index.units import Unit
from search.text import words


class Verdict(StrEnum):
    ANSWER = "answer"
    UNSURE = "unsure"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Signals:
    """What is known about one candidate answer (its grounded phrases) when deciding."""

    grounded: bool
    adds: bool = True  # the phrase says something the question doesn't (not just its words)
    kind: bool = True  # the phrase is the kind of thing asked for (a number for "how many")
    p_yes: float | None = None  # the verifier's share of YES; None: not verified


def decide(signals: Signals, *, answer_at: float, unsure_at: float) -> Verdict:
    if not (signals.grounded and signals.adds and signals.kind):
        return Verdict.REFUSE
    if signals.p_yes is None:
        return Verdict.ANSWER
    if signals.p_yes >= answer_at:
        return Verdict.ANSWER
    if signals.p_yes >= unsure_at:
        return Verdict.UNSURE
    return Verdict.REFUSE


def verify_prompt(question: str, text: str) -> Prompt:
    """Does this text (the grounded sentence with its neighbours) answer the question?

    Measured on dev against four other wordings (with the proposed answer shown, with a system
    prompt of its own, question first): this one separated right answers from grounded answers
    to unanswerable questions best (AUC 0.89 against 0.75-0.78; README). Showing the phrase
    made the model judge the phrase's plausibility rather than what the text says.
    """
    text = (
        f"Text: {data(text)}\nQuestion: {data(question)}\n"
        "Does the text answer this question? Reply YES or NO."
    )
    return Prompt(({"role": "user", "content": text},), None, ("YES", "NO"))


def weigh(
    reader: Reader | None, question: str, grounded: Sequence[Grounded]
) -> tuple[Signals, Usage | None]:
    """The signals of one candidate: the checks that need no model, then, for what could be an
    answer, the verifier's share of YES (and what asking it cost)."""
    if not grounded:
        return Signals(False), None
    spans = " ".join(g.text for g in grounded)
    adds = bool(words(spans) - words(question))
    kind = holds_kind(question, spans, " ".join(g.around() for g in grounded))
    if reader is None or not (adds and kind):  # the model checks only what could be an answer
        return Signals(True, adds, kind), None
    p_yes = reader.choose(verify_prompt(question, context(grounded[0].line))).get("YES")
    return Signals(True, adds, kind, p_yes), reader.usage


def context(line: Line) -> str:
    """The grounded sentence with the sentences either side of it that were shown with it."""
    units = line.passage.units
    i = units.index(line.unit)
    return " ".join(
        u.matchable if u.kind == "row" else u.text for u in units[max(0, i - 1) : i + 2]
    )


@dataclass(frozen=True)
class Candidate:
    """One possible answer to a part: whose it is, its grounded phrases, its signals."""

    source: str  # "reader" (the model) or "composer"
    grounded: tuple[Grounded, ...]
    signals: Signals


@dataclass(frozen=True)
class Decision:
    candidate: Candidate
    verdict: Verdict
    candidates: int  # how many were weighed


def choose(
    candidates: Sequence[Candidate], *, answer_at: float, unsure_at: float, latest: bool = False
) -> Decision:
    """The candidate decided on, and its verdict: the likeliest (`_rank`); for "the latest",
    of the candidates that would be answered, the newest report's ("recency ranks among the
    sources that answer"), the likelier on one day."""
    verdicts = [decide(c.signals, answer_at=answer_at, unsure_at=unsure_at) for c in candidates]
    weighed = list(zip(candidates, verdicts, strict=True))
    answered = [w for w in weighed if w[1] is Verdict.ANSWER]
    if latest and answered:
        best = max(answered, key=lambda w: (_newest(w[0].grounded), _rank(w[0].signals)))
    else:
        best = max(weighed, key=lambda w: _rank(w[0].signals))
    return Decision(best[0], best[1], len(candidates))


def _newest(phrases: Sequence[Grounded]) -> str:
    """The newest date among a candidate's sentences ("" when none is dated)."""
    return max((g.line.unit.date or "" for g in phrases), default="")


def _rank(signals: Signals) -> tuple:
    """Which candidate answer is decided on: one that could be an answer, then the verifier's
    share of YES (the reader's own first on a tie: it is listed first)."""
    possible = signals.grounded and signals.adds and signals.kind
    return (possible, signals.p_yes if signals.p_yes is not None else 1.0)


# Answers of several facts: each sentence the model chose is kept or dropped on its own.
_SPEECH = r"said|says|told|tells|added|adds|noted|warned|stated|wrote|argued|insisted|explained|claimed|declared"
_NAMED_SPEAKER = re.compile(
    rf"\b([A-Z][\w’'-]+)\s+(?:{_SPEECH})\b|\b(?:{_SPEECH})\s+(?:[a-z]+\s+){{0,3}}([A-Z][\w’'-]+)"
    r"|\baccording to\s+(?:[a-z]+\s+){0,3}([A-Z][\w’'-]+)"
)


_NOT_NAMES = frozenset("He She They It We I You This That These Those The A An There".split())


@dataclass(frozen=True)
class Kept:
    """The chosen sentences of one part, as decided: those kept, and those dropped with why."""

    kept: tuple[Grounded, ...]
    dropped: tuple[tuple[Grounded, str], ...] = ()


def keep_facts(
    grounded: Sequence[Grounded], who: str | None, before: Callable[[Unit], Sequence[Unit]]
) -> Kept:
    """The sentences that can be part of the answer: statements (not a headline or a
    question), and, when the question asks what someone said, words that sentence or the two
    before it in its article give to that person (`before`: a unit's preceding units)."""
    kept, dropped = [], []
    for g in grounded:
        unit = g.line.unit
        if not statement(unit):
            dropped.append((g, "not a statement"))
        elif who is not None and not said_by(unit, who, before(unit)):
            dropped.append((g, f"not {who}'s words"))
        else:
            kept.append(g)
    return Kept(tuple(kept), tuple(dropped))


def said_by(unit: Unit, who: str, earlier: Sequence[Unit]) -> bool:
    """Whether the sentence gives `who`'s words or views: it names them, or it names no other
    speaker and one of the two sentences before it does ("..., he added.")."""
    name = who.split()[-1]
    named = re.compile(rf"\b{re.escape(name)}(?:’s|'s)?\b", re.I)
    if named.search(unit.text):
        return True
    others = {n for m in _NAMED_SPEAKER.finditer(unit.text) for n in m.groups() if n}
    if others - {name} - _NOT_NAMES:
        return False
    return any(named.search(u.text) for u in earlier[-2:])
