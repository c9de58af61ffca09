"""The reader's answer path, in one straight line: retrieve -> evidence -> read -> check.

Each stage is its own module with a typed hand-off (`list[Scored]` -> `Evidence` -> the reply
text -> `Checked`); this only wires them and streams what a person waits for: the evidence as
soon as retrieval is done, the reply as it is written, then the checked answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import lru_cache

import numpy as np

from assistant.check import Checked, check, is_refusal
from assistant.compose import REFUSAL
from assistant.evidence import Evidence, gather
from assistant.followup import History, standalone
from assistant.models import Answer, Done, Event, Retrieved, Source, Token
from assistant.reader import Reader, build_prompt, condense
from assistant.retrieval import Retriever
from assistant.settings import Settings


def stream(
    question: str,
    history: History,
    retriever: Retriever,
    reader: Reader,
    settings: Settings,
    fallback: Callable[[], Answer] | None = None,
) -> Iterator[Event]:
    """`fallback` may answer when the reader's answer is a refusal (`settings.reader_fallback`)."""
    started = time.perf_counter()
    searched = standalone(question, history)
    if history and settings.followup == "model":
        searched = condense(reader, question, history) or searched
    ranked = retriever.search(searched, settings.candidates)
    retrieved = list(dict.fromkeys(s.hit.article_id for s in ranked[: settings.candidates]))
    evidence = gather(
        searched,
        ranked,
        retriever.keywords.article_chunks,
        reader.count_tokens,
        units=settings.evidence_units,
        window=settings.evidence_window,
        budget=settings.evidence_tokens,
    )
    trace = {
        "retrieved": "\n".join(_shown(s.hit) for s in ranked[: settings.candidates]),
        "evidence": "\n".join(p.text for p in evidence.passages),
    }
    base = dict(question=searched, retrieved=retrieved, backend=settings.backend, trace=trace)
    yield Retrieved([Source(p.n, p.article_id, p.title, p.text) for p in evidence.passages])
    if not evidence.passages or evidence.best_similarity < settings.min_similarity:
        # nothing retrieved is about the question: no need to ask the model
        yield Done(Answer(REFUSAL, [], True, **base, stats={"gated": True}))
        return
    prompt = build_prompt(evidence, question, history, settings.reader_refusal_bias)
    pieces = []
    for piece in reader.stream(prompt, settings.llm_max_tokens):
        pieces.append(piece)
        yield Token(piece)
    reply = "".join(pieces)
    trace["reply"] = reply
    checked = check(
        reply,
        evidence,
        _similarity(retriever, evidence),
        _article_text(retriever),
        min_similarity=settings.check_similarity,
        min_coverage=settings.check_coverage,
        max_citations=settings.max_citations,
        question=question,
    )
    stats = _stats(reader, checked, reply, time.perf_counter() - started)
    if checked.refused:
        unchecked = not is_refusal(reply)  # the reader answered, and nothing it wrote held
        wanted = settings.reader_fallback == "always" or (
            settings.reader_fallback == "unsupported" and unchecked
        )
        other = fallback() if fallback is not None and wanted else None
        if other is not None and not other.refused:
            stats["fallback"] = other.backend
            yield Done(replace(other, question=searched, retrieved=retrieved, stats=stats, trace=trace))
            return
        yield Done(Answer(REFUSAL, [], True, **base, stats=stats))
        return
    yield Done(Answer(checked.text, checked.citations, False, **base, stats=stats))


def _shown(hit) -> str:
    return hit.matchable if hit.kind == "row" else hit.text


def _similarity(retriever: Retriever, evidence: Evidence):
    """claim -> (cosine with each evidence unit by chunk id, with each passage by number)."""
    encoder, store = retriever.encoder, retriever.store
    unit_ids = [u.chunk_id for p in evidence.passages for u in p.units]
    passage_vectors = encoder.encode([p.text for p in evidence.passages])

    def similarity(claim: str) -> tuple[dict[str, float], dict[int, float]]:
        vector = encoder.encode_one(claim)
        units = store.similarities(vector, unit_ids)
        whole = passage_vectors @ np.asarray(vector, dtype=np.float32)
        return units, {p.n: float(s) for p, s in zip(evidence.passages, whole, strict=True)}

    return similarity


def _article_text(retriever: Retriever):
    @lru_cache(maxsize=8)
    def text(article_id: str) -> str:
        return retriever.store.article_texts([article_id])[article_id][1]

    return text


def _stats(reader: Reader, checked: Checked, reply: str, elapsed: float) -> dict:
    usage = reader.usage
    stats = {"reply": reply, "answer_s": round(elapsed, 3), **checked.tally.__dict__}
    if usage is not None:
        stats.update(usage.__dict__)
    return stats
