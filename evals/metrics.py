"""Scoring one answer against one eval item, and summarising many.

Everything here is a pure function of (item, answer, article texts) so a number in a report can
be recomputed by hand from the JSON. Pattern matching is the stand-in for ALCE's NLI judge: a
citation supports its claim when the accepted fact the claim states is in the quote too (or,
for a claim stating no accepted fact, most of its content words are), with every number the
claim states in the quote. That holds whether the claim is the quote itself (the extractive
answerer) or a model's rewording of it, and stays cheap and deterministic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.models import MARKER, MARKER_GROUP, strip_markers

from .dataset import CATEGORIES, EvalItem

if TYPE_CHECKING:  # only for annotations: importing `assistant` may load the whole answerer
    from assistant.models import Answer, Citation

    from .several import FactResult

# Markers look like [1] or [1, 2]; a group of adjacent markers cites one claim.
_WORD = re.compile(r"\w+")
LEXICAL_SUPPORT = 0.7  # share of a claim's content words its quote must contain (no-fact claims)
TOP_K = 5

METRIC_NAMES: tuple[str, ...] = (
    "n",
    "hit_at_5",
    "mrr",
    "retrieval_recall",
    "evidence_recall",
    "reply_recall",
    "grounded_recall",
    "answer_accuracy",
    "citation_precision",
    "citation_recall",
    "refusal_precision",
    "refusal_recall",
    "false_refusal_rate",
    "quote_integrity",
    "facts_recall",
    "facts_full",
    "facts_citation_precision",
    "facts_sentences",
    "facts_in_order",
    "p50_ms",
    "p95_ms",
)
# the facts_* metrics are measured on `several` items only (evals/several.py): None elsewhere

METRIC_DEFINITIONS: dict[str, str] = {
    "n": "Number of eval items in the group.",
    "hit_at_5": (
        "Answerable items only. 1 when at least one expected article id is among the first 5 "
        "ids of Answer.retrieved, else 0 (an exception counts as 0); mean over items."
    ),
    "mrr": (
        "Answerable items only. 1/rank of the first expected article id in Answer.retrieved "
        "(ranks 1-based, 0 when absent or on exception); mean over items."
    ),
    "retrieval_recall": (
        "Answerable items only, loss by stage: 1 when every accepted pattern matches the text of "
        "the units retrieval ranked (Answer.trace['retrieved']: each retriever's candidates, "
        "fused), else 0; mean over the items whose answer has that stage. An upper bound: a "
        "pattern may match a sentence about something else."
    ),
    "evidence_recall": (
        "Answerable items only, loss by stage: as retrieval_recall, on the evidence the reader "
        "was shown (Answer.trace['evidence'])."
    ),
    "reply_recall": (
        "Answerable items only, loss by stage: as retrieval_recall, on the reader's raw reply "
        "(Answer.trace['reply']): the model (or the composer) picked out the answer."
    ),
    "grounded_recall": (
        "Answerable items only, loss by stage: as retrieval_recall, on what code grounded in a "
        "shown sentence (Answer.trace['grounded']: the phrases found verbatim, with their "
        "sentences). What answer_accuracy loses after it, the decision (refused) or the "
        "written answer (answered without the fact) lost."
    ),
    "answer_accuracy": (
        "Answerable items only. 1 when the answer is not a refusal and every accepted pattern "
        "(case-insensitive regex) matches the answer text with its [n] markers removed; "
        "quotes are not searched. Mean over items."
    ),
    "citation_precision": (
        "ALCE-style: does each citation's quote support the claim it is attached to? Defined "
        "on what the answer says, not on how it was written, so it holds for extractive answers "
        "(whose claims are the quotes) and for answers a model writes in its own words. The "
        "answer text is cut into claims: a claim is the text between one group of [n] markers "
        "and the next, and the markers that close it cite it. Every marker is one citation. A "
        "citation is precise when (a) the claim states an accepted fact (matches >= 1 of the "
        "item's patterns) and the cited quote matches at least one of those same patterns, or "
        "(b) the claim states no accepted fact and at least "
        f"{int(LEXICAL_SUPPORT * 100)}% of the claim's content words (function words dropped, "
        "simple suffixes folded: 'rejected' = 'rejects') occur in the cited quote; and in both "
        "cases every number the claim states (digits, or number words but 'one': 'five' = '5', "
        "'40,000' = '40000') occurs in the quote. When the quote is a row of a markdown table, the words "
        "and numbers of that table's header row count as the quote's too (a row is read under "
        "its column names). A marker without a matching citation is imprecise. Per item: "
        "precise / markers; mean over non-refused items that carry at least one marker (ALCE "
        "averages per example)."
    ),
    "citation_recall": (
        "Over correctly answered items only: 1 when every accepted pattern matches at least one "
        "quote of a citation referenced by a marker in the text (the fact lies inside a cited "
        "quote), else 0; mean."
    ),
    "refusal_precision": (
        "Share of refusals (Answer.refused) that were on unanswerable items; empty when the "
        "group has no refusals."
    ),
    "refusal_recall": "Share of unanswerable items that were refused.",
    "false_refusal_rate": "Share of answerable items that were refused (lower is better).",
    "quote_integrity": (
        "Share of all returned citations (and closest passages of 'not sure' answers) whose "
        "quote == article_text[start:end], the article text read from the corpus directory "
        "with UTF-8."
    ),
    "facts_recall": (
        "Items of category several only (answers made of several facts). The answer is cut into "
        "claims line by line (a claim is the text before a group of [n] markers, which cite it; "
        "bullets dropped, uncited lines ignored). A fact is given when its pattern matches a claim "
        "and at least one citation of that claim has a quote the pattern matches too (the cited "
        "sentence states it). Per item: given / facts (0 for a refusal or an error); mean over "
        "items."
    ),
    "facts_full": (
        "Items of category several only. Share answered in full: at least `full` facts given "
        "(all of them unless the item says), and not refused. It is their answer_accuracy too."
    ),
    "facts_citation_precision": (
        "Items of category several only. citation_precision over their (claim, citation) pairs: "
        "the quote supports the claim (the same fact pattern, or most of the claim's content words "
        "when it states no fact; and its numbers). For an item with a speaker (what did X say), a "
        "pair that gives a fact counts only if the quote is X's words: X's pattern is in the quote; "
        "or the quote names no speaker (he, she, they, I, we, 'the minister', or a quotation) and "
        "X's pattern is in the sentence before it in the article (or further back, up to 4 "
        "sentences, while those name no speaker either); or the quote sits in a passage labelled "
        "'X: ...'. Per item: precise / pairs; mean over non-refused items with a marker."
    ),
    "facts_sentences": (
        "Items of category several only. Sentences shown: distinct cited claims in the answer; "
        "mean over the items answered (not refused, no error)."
    ),
    "facts_in_order": (
        "Items of category several marked ordered (what happened) only: 1 when the facts given "
        "come in the answer in the order the events happened (the item's order), else 0; mean "
        "over the items that gave at least two facts."
    ),
    "p50_ms": (
        "Median wall time of one answer() call (time.perf_counter around the call, items that "
        "raised excluded), nearest-rank percentile."
    ),
    "p95_ms": "95th percentile of the same latencies, nearest-rank (lower is better).",
}


@dataclass(frozen=True)
class CitationCheck:
    """The verdict on one marker: the claim it closes and whether its quote supports it."""

    n: int
    claim: str
    precise: bool
    found: bool  # False when the marker points at no citation
    note: str = ""  # why a supporting quote still does not count (several items: the speaker)


@dataclass(frozen=True)
class ItemResult:
    """Everything measured for one item; the reasons make a failure explain itself."""

    item: EvalItem
    answer: Answer | None
    latency_ms: float | None
    error: str | None
    rank: int | None
    correct: bool | None
    missing_patterns: tuple[str, ...]
    citation_checks: tuple[CitationCheck, ...]
    citation_recall_ok: bool | None
    uncited_patterns: tuple[str, ...]
    quotes_total: int
    quotes_intact: int
    broken_quotes: tuple[int, ...]
    reasons: tuple[str, ...]
    # answerable items whose answer has a trace: (stage, all accepted patterns in its text;
    # for a several item, enough facts for a full answer)
    stages: tuple[tuple[str, bool], ...] = ()
    # several items only (evals/several.py): each fact's verdict, the distinct cited claims
    # shown (None for a refusal or an error), and for an ordered item whether the facts given
    # come in the order of the events (None when not ordered or fewer than two given)
    facts: tuple[FactResult, ...] = ()
    sentences: int | None = None
    in_order: bool | None = None

    @property
    def lost_at(self) -> str | None:
        """The first stage of the answer path that no longer held the accepted answer:
        retrieved, evidence, reply, grounded; then decide (refused with it still held) or
        write (answered, and the text lacks it). None when right, or unanswerable."""
        if not self.item.answerable or self.correct or self.answer is None:
            return None
        for stage, held in self.stages:
            if not held:
                return stage
        return "decide" if self.answer.refused else "write"

    @property
    def facts_recall(self) -> float | None:
        """Share of a several item's facts that the answer gave; None for other items."""
        if not self.facts:
            return None
        return sum(f.given for f in self.facts) / len(self.facts)

    @property
    def refused(self) -> bool:
        return bool(self.answer is not None and self.answer.refused)

    @property
    def hit_at_5(self) -> bool | None:
        if not self.item.answerable:
            return None
        return self.rank is not None and self.rank <= TOP_K

    @property
    def reciprocal_rank(self) -> float | None:
        if not self.item.answerable:
            return None
        return 1.0 / self.rank if self.rank else 0.0

    @property
    def citation_precision(self) -> float | None:
        if not self.citation_checks:
            return None
        return sum(c.precise for c in self.citation_checks) / len(self.citation_checks)

    @property
    def failed(self) -> bool:
        return bool(self.reasons)


def split_claims(text: str) -> list[tuple[str, list[int]]]:
    """Cut the text into (claim, marker numbers) pairs; trailing uncited text is dropped.

    Cutting at markers rather than at full stops keeps "U.S." and "Dr." from breaking a claim
    and works whether the marker sits before or after the sentence's full stop.
    """
    claims: list[tuple[str, list[int]]] = []
    start = 0
    for group in MARKER_GROUP.finditer(text):
        claim = text[start : group.start()].strip().lstrip(".!?;,").strip()
        numbers = [int(n) for m in MARKER.finditer(group.group()) for n in re.split(r"\s*,\s*", m.group(1))]
        claims.append((claim, numbers))
        start = group.end()
    return claims


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


# Function words: a claim's support is judged on the words that carry what it says.
STOPWORDS = frozenset(
    """a about after all also am an and any are as at be because been before being both but by
    can could did do does doing during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no
    nor not of off on once only or other our ours ourselves out over own same she should so some
    such than that the their theirs them themselves then there these they this those through to
    too under until up very was we were what when where which while who whom why will with would
    you your yours yourself yourselves said says say according articles article reported reports
    report""".split()
)
_NUMBER_WORDS = {
    "zero": "0", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
    "hundred": "100", "thousand": "1000", "million": "1000000",
}  # fmt: skip  ("one" is left out: "no one", "one of them" state no number)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def numbers(text: str) -> set[str]:
    """The numbers a text states, digits or words: "40,000" -> "40000", "five" -> "5"."""
    found = {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}
    found |= {_NUMBER_WORDS[w] for w in _words(text) if w in _NUMBER_WORDS}
    return found


def _stem(word: str) -> str:
    """A crude suffix fold so "rejected", "rejects" and "rejecting" compare equal."""
    word = re.sub(r"['’]s$", "", word)
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + keep
    return word


def content_words(text: str) -> list[str]:
    """Stemmed words that are not function words or numbers (numbers are checked apart)."""
    return [
        _stem(w) for w in (m.group(0).lower() for m in _LETTERS.finditer(text))
        if w not in STOPWORDS and w not in _NUMBER_WORDS
    ]


def lexically_supported(claim: str, quote: str, context: str = "") -> bool:
    """Whether the quote (plus context such as a table header) holds most of the claim's
    content words. The entailment test for claims that state no accepted fact."""
    words = content_words(claim)
    if not words:
        return False
    quote_words = set(content_words(quote)) | set(content_words(context))
    return sum(w in quote_words for w in words) / len(words) >= LEXICAL_SUPPORT


def supports(claim: str, quote: str, facts: Sequence[re.Pattern[str]], context: str = "") -> bool:
    """Whether one quote supports the claim it is cited for, whoever wrote the claim.

    A claim that states an accepted fact (matches one of `facts`) is supported by a quote that
    states one of those facts too; any other claim, by a quote holding most of its content words.
    Either way every number the claim states must be in the quote: a model that writes "seven
    hours" from a quote saying "five hours" is not supported by it.
    """
    if facts:
        ok = any(p.search(quote) for p in facts)
    else:
        ok = lexically_supported(claim, quote, context)
    return ok and numbers(claim) <= numbers(quote) | numbers(context)


def table_header(article: str | None, start: int) -> str:
    """The header row of the markdown table whose row starts at `start`, else "".

    Answerers may render a row as "Column: value; ..." and the column names are then part of
    what the row says; without them a faithful rendering would look unsupported.
    """
    if not article or not 0 <= start < len(article):
        return ""
    row_start = article.rfind("\n", 0, start) + 1
    if not article[row_start:].lstrip(" \t").startswith("|"):
        return ""
    header = ""
    for line in reversed(article[:row_start].splitlines()):
        if not line.lstrip(" \t").startswith("|"):
            break
        header = line
    return header


def _first_rank(retrieved: Sequence[str], expected: Iterable[str]) -> int | None:
    wanted = set(expected)
    for i, article_id in enumerate(retrieved, 1):
        if article_id in wanted:
            return i
    return None


def check_citations(
    text: str,
    citations: Sequence[Citation],
    patterns: Sequence[re.Pattern[str]],
    articles: Mapping[str, str] | None = None,
) -> tuple[CitationCheck, ...]:
    """Judge every marker in the text against the citation it points at."""
    articles = articles or {}
    by_number = {c.n: c for c in citations}
    checks: list[CitationCheck] = []
    for claim, numbers in split_claims(text):
        facts = [p for p in patterns if p.search(claim)]
        for n in numbers:
            citation = by_number.get(n)
            if citation is None:
                checks.append(CitationCheck(n, claim, precise=False, found=False))
                continue
            header = table_header(articles.get(citation.article_id), citation.start)
            precise = supports(claim, citation.quote, facts, header)
            checks.append(CitationCheck(n, claim, precise=precise, found=True))
    return tuple(checks)


def cited_numbers(text: str) -> set[int]:
    return {n for _, numbers in split_claims(text) for n in numbers}


# the answer path's stages, in order; Answer.trace holds the ones a backend has
STAGES: tuple[str, ...] = ("retrieved", "evidence", "reply", "grounded")
STAGE_METRICS: dict[str, str] = {
    "retrieved": "retrieval_recall",
    "evidence": "evidence_recall",
    "reply": "reply_recall",
    "grounded": "grounded_recall",
}
LOSS_STAGES: tuple[str, ...] = (*STAGES, "decide", "write")


def stages_held(item: EvalItem, trace: Mapping[str, str]) -> tuple[tuple[str, bool], ...]:
    """For each stage the trace has, whether every accepted pattern is in its text."""
    if not item.answerable:
        return ()
    patterns = item.compiled()
    return tuple(
        (stage, all(p.search(strip_markers(trace[stage])) for p in patterns))
        for stage in STAGES
        if stage in trace
    )


def score_item(
    item: EvalItem,
    answer: Answer | None,
    articles: Mapping[str, str],
    latency_ms: float | None = None,
    error: str | None = None,
) -> ItemResult:
    """Score one answer. `answer` is None when answer() raised; `error` then says what.

    A `several` item is scored by evals/several.py: it is correct when answered in full, its
    citations are judged pair by pair (with its speaker), and its facts are kept one by one.
    """
    # several.py builds on this module's claim and support checks, so it is imported here
    from . import several

    patterns = item.compiled()
    reasons: list[str] = []
    if answer is None:
        reasons.append(f"answer() failed: {error or 'no answer'}")
        return ItemResult(
            item=item, answer=None, latency_ms=latency_ms, error=error or "no answer",
            rank=None, correct=False if item.answerable else None,
            missing_patterns=item.patterns if item.answerable else (), citation_checks=(),
            citation_recall_ok=None, uncited_patterns=(), quotes_total=0, quotes_intact=0,
            broken_quotes=(), reasons=tuple(reasons), facts=several.failed_facts(item),
        )
    if item.category == several.CATEGORY:
        return _score_several(item, answer, articles, latency_ms)

    rank = _first_rank(answer.retrieved, item.articles) if item.answerable else None
    plain = strip_markers(answer.text)
    correct: bool | None = None
    missing: tuple[str, ...] = ()
    if item.answerable:
        missing = tuple(p.pattern for p in patterns if not p.search(plain))
        correct = not answer.refused and not missing
        if answer.refused:
            reasons.append("refused an answerable question")
        elif missing:
            reasons.append("answer text lacks: " + ", ".join(missing))
        if rank is None or rank > TOP_K:
            where = f"first at rank {rank}" if rank else "not retrieved"
            reasons.append(f"no expected article in the top {TOP_K} ({where})")
    elif not answer.refused:
        reasons.append("answered an unanswerable question instead of refusing")

    checks: tuple[CitationCheck, ...] = ()
    if not answer.refused:
        checks = check_citations(answer.text, answer.citations, patterns, articles)
        for check in checks:
            if not check.found:
                reasons.append(f"marker [{check.n}] has no citation")
            elif not check.precise:
                reasons.append(f"citation [{check.n}] does not support its claim")

    recall_ok: bool | None = None
    uncited: tuple[str, ...] = ()
    if correct:
        numbers = cited_numbers(answer.text)
        quotes = [c.quote for c in answer.citations if c.n in numbers]
        uncited = tuple(p.pattern for p in patterns if not any(p.search(q) for q in quotes))
        recall_ok = not uncited
        if uncited:
            reasons.append("fact not inside any cited quote: " + ", ".join(uncited))

    quoted, broken = _broken_quotes(answer, articles)
    for n in broken:
        reasons.append(f"citation [{n}] quote != article_text[start:end]")

    return ItemResult(
        item=item, answer=answer, latency_ms=latency_ms, error=None, rank=rank, correct=correct,
        missing_patterns=missing, citation_checks=checks, citation_recall_ok=recall_ok,
        uncited_patterns=uncited, quotes_total=len(quoted),
        quotes_intact=len(quoted) - len(broken), broken_quotes=broken,
        reasons=tuple(reasons), stages=stages_held(item, answer.trace.stages()),
    )


def _broken_quotes(answer: Answer, articles: Mapping[str, str]) -> tuple[list, tuple[int, ...]]:
    """The answer's quotes (a "not sure" answer's closest passage too, numbered 0: it has no
    marker) and the numbers of those whose quote != article_text[start:end]."""
    closest = getattr(answer, "closest", None)
    quoted = list(answer.citations) + ([closest] if closest is not None else [])
    broken = tuple(
        c.n for c in quoted
        if articles.get(c.article_id) is None or articles[c.article_id][c.start : c.end] != c.quote
    )
    return quoted, broken


def _score_several(
    item: EvalItem, answer: Answer, articles: Mapping[str, str], latency_ms: float | None
) -> ItemResult:
    """score_item for a several item (see evals/several.py for what each verdict means)."""
    from .several import fact_stages, score_several

    scored = score_several(item, answer, articles)
    reasons: list[str] = []
    rank = _first_rank(answer.retrieved, item.articles)
    correct = not answer.refused and scored.given >= item.needed
    missing = tuple(f.pattern for f in scored.facts if not f.given)
    if answer.refused:
        reasons.append("refused an answerable question")
    elif not correct:
        reasons.append(f"{scored.given} of {item.needed} facts needed given; not given: " + ", ".join(missing))
    if scored.in_order is False:
        reasons.append("facts given out of the order the events happened")
    if rank is None or rank > TOP_K:
        where = f"first at rank {rank}" if rank else "not retrieved"
        reasons.append(f"no expected article in the top {TOP_K} ({where})")
    for check in scored.checks:
        if not check.found:
            reasons.append(f"marker [{check.n}] has no citation")
        elif not check.precise:
            reasons.append(f"citation [{check.n}] {check.note or 'does not support its claim'}")
    recall_ok: bool | None = None
    uncited: tuple[str, ...] = ()
    if correct:  # every fact the text states lies in a quote cited for it
        uncited = tuple(f.pattern for f in scored.facts if f.stated and not f.given)
        recall_ok = not uncited
        if uncited:
            reasons.append("fact not inside any cited quote: " + ", ".join(uncited))
    quoted, broken = _broken_quotes(answer, articles)
    for n in broken:
        reasons.append(f"citation [{n}] quote != article_text[start:end]")
    return ItemResult(
        item=item, answer=answer, latency_ms=latency_ms, error=None, rank=rank, correct=correct,
        missing_patterns=missing, citation_checks=scored.checks, citation_recall_ok=recall_ok,
        uncited_patterns=uncited, quotes_total=len(quoted),
        quotes_intact=len(quoted) - len(broken), broken_quotes=broken, reasons=tuple(reasons),
        stages=fact_stages(item, answer.trace.stages()), facts=scored.facts,
        sentences=None if answer.refused else scored.sentences, in_order=scored.in_order,
    )


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it.

    Chosen over interpolation because the result is always an observed latency, which is easy
    to check by hand against the per-item list.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _mean(values: Sequence[float | bool]) -> float | None:
    return sum(values) / len(values) if values else None


def aggregate(results: Sequence[ItemResult]) -> dict[str, float | int | None]:
    """All metrics for one group of results; None where the group has nothing to measure."""
    from .several import aggregate_several  # builds on this module (see score_item)

    answerable = [r for r in results if r.item.answerable]
    unanswerable = [r for r in results if not r.item.answerable]
    refusals = [r for r in results if r.refused]
    precisions = [r.citation_precision for r in results if r.citation_precision is not None]
    correct = [r for r in answerable if r.correct]
    quotes_total = sum(r.quotes_total for r in results)
    latencies = [r.latency_ms for r in results if r.error is None and r.latency_ms is not None]
    held: dict[str, list[bool]] = {stage: [] for stage in STAGES}
    for r in answerable:
        for stage, ok in r.stages:
            held[stage].append(ok)
    return {
        "n": len(results),
        "hit_at_5": _mean([bool(r.hit_at_5) for r in answerable]),
        "mrr": _mean([r.reciprocal_rank or 0.0 for r in answerable]),
        **{STAGE_METRICS[stage]: _mean(values) for stage, values in held.items()},
        "answer_accuracy": _mean([bool(r.correct) for r in answerable]),
        "citation_precision": _mean(precisions),
        "citation_recall": _mean([bool(r.citation_recall_ok) for r in correct]),
        "refusal_precision": _mean([not r.item.answerable for r in refusals]),
        "refusal_recall": _mean([r.refused for r in unanswerable]),
        "false_refusal_rate": _mean([r.refused for r in answerable]),
        "quote_integrity": (sum(r.quotes_intact for r in results) / quotes_total) if quotes_total else None,
        **aggregate_several(results),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
    }


def losses(results: Sequence[ItemResult]) -> dict[str, int]:
    """How many answerable items were lost at each stage (LOSS_STAGES), and how many right."""
    counts = {stage: 0 for stage in LOSS_STAGES}
    right = 0
    for r in results:
        if not r.item.answerable:
            continue
        if r.correct:
            right += 1
        elif r.lost_at is not None:
            counts[r.lost_at] += 1
    return {**counts, "right": right}


def aggregate_by_category(
    results: Sequence[ItemResult],
) -> tuple[dict[str, float | int | None], dict[str, dict[str, float | int | None]]]:
    """(overall, per category) metrics; categories appear in their canonical order."""
    categories = {
        name: aggregate([r for r in results if r.item.category == name])
        for name in CATEGORIES
        if any(r.item.category == name for r in results)
    }
    return aggregate(results), categories
