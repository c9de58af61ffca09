"""The extractive answerer: the answer is made of retrieved sentences, so it is grounded by
construction, and each sentence carries the marker of the exact passage it is.

Candidates are scored by their cosine similarity to the question (embedded at index time, so this
costs nothing at query time), a little keyword evidence, and whether they hold the kind of thing
the question asks for (a number for "how many", a name for "who").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.models import Citation
from assistant.retrieval import Scored

REFUSAL = (
    "The articles don't say. I found nothing in the indexed articles that answers this question."
)

_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozen|half|decades?)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|"
    r"may|june|july|august|september|october|november|december|today|yesterday|tomorrow|week|"
    r"month|year|years|decades?|\d{4})\b",
    re.I,
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")


@dataclass(frozen=True)
class Composed:
    text: str
    citations: list[Citation]
    refused: bool


def compose(question: str, candidates: list[Scored], max_citations: int, min_similarity: float):
    candidates = [c for c in candidates if c.hit.kind != "header"]
    if not candidates or max(c.hit.similarity for c in candidates) < min_similarity:
        return Composed(REFUSAL, [], True)
    wants = _wanted(question)
    top_keyword = max((c.keyword for c in candidates), default=0.0) or 1.0
    ranked = sorted(
        candidates, key=lambda c: _score(c, wants, top_keyword), reverse=True
    )
    best = _score(ranked[0], wants, top_keyword)
    chosen: list[Scored] = []
    for cand in ranked:
        if len(chosen) == max_citations:
            break
        if _score(cand, wants, top_keyword) < best - 0.06:
            break
        if any(_near_duplicate(cand.hit.text, c.hit.text) for c in chosen):
            continue
        chosen.append(cand)
    citations = [
        Citation(
            n=n,
            article_id=c.hit.article_id,
            title=c.hit.title,
            quote=c.hit.text,
            start=c.hit.start,
            end=c.hit.end,
            score=round(c.hit.similarity, 4),
        )
        for n, c in enumerate(chosen, start=1)
    ]
    text = " ".join(f"{_claim(c)} [{n}]" for n, c in enumerate(chosen, start=1))
    return Composed(text, citations, False)


def _claim(scored: Scored) -> str:
    """How a passage reads inside the answer: a table row becomes 'Column: value; ...'."""
    hit = scored.hit
    text = hit.matchable if hit.kind == "row" else hit.text
    return text.lstrip("-*• ").strip()


def _score(c: Scored, wants: str | None, top_keyword: float) -> float:
    score = c.hit.similarity + 0.08 * (c.keyword / top_keyword)
    if wants == "number" and _NUMBER.search(c.hit.text):
        score += 0.05
    elif wants == "date" and _DATE.search(c.hit.text):
        score += 0.05
    elif wants == "name" and _NAME.search(c.hit.text):
        score += 0.03
    return score


def _wanted(question: str) -> str | None:
    q = question.lower()
    if re.search(r"\bhow (many|much|long|far|old)\b|\bwhat (share|percent|percentage|proportion)\b|%", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (day|date|year|month)\b", q):
        return "date"
    if re.search(r"\bwho(m|se)?\b", q):
        return "name"
    return None


def _near_duplicate(a: str, b: str, threshold: float = 0.6) -> bool:
    wa, wb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= threshold
