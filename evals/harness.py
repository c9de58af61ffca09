"""Run the eval set through an answer function and collect a Report.

`answer_fn` is injected: the CLI passes the public `assistant.answer`, tests pass a scripted
function, and nothing here depends on how answers are produced.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .dataset import SPLITS, EvalItem
from .metrics import (
    METRIC_DEFINITIONS,
    ItemResult,
    aggregate,
    aggregate_by_category,
    losses,
    score_item,
)
from .several import CATEGORY as SEVERAL
from .several import fact_losses

if TYPE_CHECKING:
    from assistant.models import Answer

AnswerFn = Callable[..., "Answer"]
WARMUP_QUESTION = "Who did Trump send to Moscow?"


@dataclass
class Report:
    """The outcome of one eval run, in the shape every writer (terminal, JSON, HTML) needs."""

    results: list[ItemResult]
    overall: dict[str, float | int | None]
    categories: dict[str, dict[str, float | int | None]]
    problems: list[str] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=lambda: dict(METRIC_DEFINITIONS))
    splits: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    groups: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    backend: str | None = None
    # answerable items lost at each stage of the answer path, overall and per split
    losses: dict[str, dict[str, int]] = field(default_factory=dict)
    # the facts of `several` items by where they were lost, overall and per split (empty when
    # the set has no several item; evals/several.py)
    fact_losses: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def failures(self) -> list[ItemResult]:
        return [r for r in self.results if r.failed]


def _ask(
    item: EvalItem, answer_fn: AnswerFn, clock: Callable[[], float]
) -> tuple[Answer | None, float | None, str | None]:
    """One timed call; an exception becomes an error string so one bad item can't end the run."""
    history = [tuple(turn) for turn in item.history] or None
    started = clock()
    try:
        answer = answer_fn(item.question, history=history)
    except Exception as exc:  # noqa: BLE001 - any failure of the product is a scored failure
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" at {last[0].filename}:{last[0].lineno}" if last else ""
        return None, (clock() - started) * 1000.0, f"{type(exc).__name__}: {exc}{where}"
    elapsed_ms = (clock() - started) * 1000.0
    if not hasattr(answer, "text") or not hasattr(answer, "citations"):
        return None, elapsed_ms, f"answer() returned {type(answer).__name__}, not an Answer"
    return answer, elapsed_ms, None


def run_eval(
    items: Sequence[EvalItem],
    answer_fn: AnswerFn,
    articles: Mapping[str, str],
    *,
    problems: Sequence[str] = (),
    warmup: bool = False,
    clock: Callable[[], float] = time.perf_counter,
    on_result: Callable[[ItemResult], None] | None = None,
    backend: str | None = None,
) -> Report:
    """Ask every item, score it, and summarise overall and per category.

    `warmup` makes one untimed call first: the first answer() may build the index, which is
    indexing time, not the per-answer latency the report promises. `clock` is injectable so
    latency arithmetic can be tested exactly; `on_result` lets a caller show progress;
    `backend` only labels the report.
    """
    problems = list(problems)
    if warmup:
        try:
            answer_fn(WARMUP_QUESTION, history=None)
        except Exception as exc:  # noqa: BLE001 - the real items will record the failure
            problems.append(f"warm-up answer() raised {type(exc).__name__}: {exc}")
    results: list[ItemResult] = []
    for item in items:
        answer, latency_ms, error = _ask(item, answer_fn, clock)
        result = score_item(item, answer, articles, latency_ms=latency_ms, error=error)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return summarise(results, problems=problems, backend=backend)


def summarise(
    results: Sequence[ItemResult], *, problems: Sequence[str] = (), backend: str | None = None
) -> Report:
    """The Report of scored results: overall, per split, per category, and the paraphrases.

    `splits` always holds "dev" and "test" (n = 0 when a split has no items). `groups` holds
    "paraphrases" (every item that rewords another) and "paraphrased" (the originals they reword,
    which may be dev or test), so the cost of new wording reads off two columns; empty when the
    set has no paraphrases. `fact_losses` counts the facts of `several` items by the stage that
    lost them, overall and per split (empty when there are none).
    """
    results = list(results)
    overall, categories = aggregate_by_category(results)
    splits = {name: aggregate([r for r in results if r.item.split == name]) for name in SPLITS}
    groups: dict[str, dict[str, float | int | None]] = {}
    paraphrases = [r for r in results if r.item.paraphrase_of is not None]
    if paraphrases:
        originals = {r.item.paraphrase_of for r in paraphrases}
        groups["paraphrases"] = aggregate(paraphrases)
        groups["paraphrased"] = aggregate([r for r in results if r.item.id in originals])
    lost = {"overall": losses(results)}
    lost.update({name: losses([r for r in results if r.item.split == name]) for name in SPLITS})
    facts_lost: dict[str, dict[str, int]] = {}
    if any(r.item.category == SEVERAL for r in results):
        facts_lost["overall"] = fact_losses(results)
        facts_lost.update({name: fact_losses([r for r in results if r.item.split == name]) for name in SPLITS})
    return Report(results=results, overall=overall, categories=categories, problems=list(problems),
                  splits=splits, groups=groups, backend=backend, losses=lost, fact_losses=facts_lost)


def ask_each(
    items: Sequence,
    ask: Callable[..., Answer],
    score: Callable[[object, Answer | None], dict],
    progress: Callable[[str], None] | None = None,
) -> list[dict]:
    """Ask each item (`ask(item)`), time it, and score it (`score(item, answer)`), for the evals
    whose items aren't the main set's: one dict per item, the answer's text, cited articles,
    latency and any error added. A failing question is an error, not the end of the run."""
    results = []
    for k, item in enumerate(items, 1):
        if progress:
            progress(f"  {k}/{len(items)}: {item.id}")
        started = time.perf_counter()
        try:
            got, error = ask(item), None
        except Exception as err:  # noqa: BLE001 - one failing question must not end the run
            got, error = None, f"{type(err).__name__}: {err}"
        result = score(item, got)
        result.update(
            id=item.id, split=item.split, question=item.question, error=error,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            text=got.text if got is not None else "",
            cited=[c.article_id for c in got.citations] if got is not None else [],
        )
        results.append(result)
    return results
