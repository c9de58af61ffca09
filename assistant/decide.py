"""Decide: answer, refuse, or say honestly that it is not sure, by one measured rule.

A grounded phrase is necessary and not sufficient: asked something the articles don't say, the
model copies a related phrase that is really there (the ambassador's name for "Who is the US
ambassador to Russia?"), so grounding alone doesn't decide answerability. The second signal is
the model asked again, about one thing only: shown the grounded sentence with its neighbours
(a bare sentence doesn't say who "she" is) and the question, does the text answer it? (Shown
the proposed phrase too, it judged the phrase's plausibility instead.) Its share of YES
(`p_yes`, read from the logits, not sampled) separated the
grounded answers to unanswerable questions from right answers better than the other signals
measured on dev: the model's own first-token share for an answer over NONE, the grounded
sentence's similarity to the question, or the composer choosing the same sentence (README).

Two checks that need no model come first, each true of every right answer on dev and false of
a wrong one or a guess at an unanswerable question: the phrase must say something the question
doesn't ("Der Spiegel" is no answer to "Who leaked the transcript to Der Spiegel?"), and be the
kind of thing asked for where a phrase shows it (a number for "how many", a date for "when").

The rule: not grounded, or either check fails, refuse; `p_yes >= answer_at`, answer; `p_yes >= unsure_at`, not sure
(the closest passage is shown as that, not as an answer); below, refuse. With no verifier (the
extractive composer alone), a grounded pick is an answer: the composer's own rules decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    ANSWER = "answer"
    UNSURE = "unsure"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Signals:
    """What is known about one part's best grounded phrase when deciding."""

    grounded: bool
    adds: bool = True  # the phrase says something the question doesn't (not just its words)
    kind: bool = True  # the phrase is the kind of thing asked for (a number for "how many")
    p_yes: float | None = None  # the verifier's share of YES; None: not verified
    p_answer: float | None = None  # the reader's first-token share for an answer over NONE


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
