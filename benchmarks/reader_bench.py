"""The reader (the default backend) beside a naive llama-index pipeline with the same model.

Both sides answer the same sample of eval questions, interleaved question by question (which
side goes first alternates), so background load weighs on both alike:

- **reader**: the product's answer path, `assistant.pipeline.path.stream` (what `Engine.stream`
  runs for the reader backend) over the benchmark's index: retrieve -> evidence -> read -> check.
- **naive_reader**: `CitationQueryEngine.from_args(index, llm=...)` with llama-index's defaults
  (top 2 of the naive Chroma index `benchmarks.naive` built, 512-token citation chunks, the
  "compact" synthesizer) and the model wrapped as a llama-index LLM (`benchmarks.local_llm`).

One model is loaded, once, and both drive it: the same file, weights, threads and greedy
sampling, and the same reply budget (`llm_max_tokens`). `LocalModel` keeps the KV cache of the
last prompt and reuses its common prefix with the next. Left alone, interleaving would let each
side find the *other* side's prompt there (nothing in common: both would lose their fixed
prefix), and on a small corpus a side could find its previous question's very passages (the
naive index of the seeds alone has 5 chunks, so two questions often get the same top 2 and the
whole prompt but the question is reused: measured, 1,713 of 1,726 tokens). So `OwnCaches` gives
each side a KV cache of its own and lets it keep only its fixed part: the rendered instructions
(the reader's system message) or template (llama-index's citation prompt up to the sources),
the tokens every prompt of that side starts with, whatever the question. Before each turn the
context is cleared and loaded with that side's saved state, cut to its fixed part; after the
turn the state is saved; both outside the timings. So each side pays for its passages and its
question every time, and for its instructions never, as a long-running deployment would. One
untimed warm-up question per side fills its cache and keeps lazy loading out of the timings.

Figures per side: time to first token (from the question to the first piece the model writes,
retrieval included), answer time p50/p95, prompt tokens per answer (of every model call of that
answer; `computed` excludes the ones reused from the cache), prefill and generation tokens/s
(summed tokens over summed seconds), and accuracy: the eval's answer accuracy, scored with
`evals.metrics.score_item` (every accepted pattern matches the answer text with its [n] markers
removed, and the answer is not a refusal). A naive answer has no quote offsets and no refusal
flag: it counts as correct when its response text matches the patterns. The sample holds
answerable questions without conversation history (llama-index's query engine has none) and no
paraphrases, spread evenly over the eval set, so both sides are asked exactly the same thing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

DEFAULT_SAMPLE = 8
SIDES = ("reader", "naive_reader")
WARMUP_QUESTION = "Who did Trump send to Moscow?"  # the eval harness's warm-up question


class ReaderUnavailable(RuntimeError):
    """No model to run: the reader part is skipped with this one-line note."""


@dataclass
class Run:
    """One side's answer to one question, with what it cost."""

    answer: object  # an assistant.models.Answer (the naive side's built from its response)
    answer_s: float
    first_token_s: float | None  # None when the model wrote nothing (e.g. a gated refusal)
    usages: list = field(default_factory=list)  # assistant.llm.runtime.Usage of every model call
    error: str | None = None  # what the side raised; then `answer` is None


def sample_items(n: int, path: Path | None = None, category: str | None = None) -> list:
    """n answerable eval items without history, evenly spread over the set (deterministic);
    rewordings of another item are left out, so a small sample asks n different things.
    `category`: only that kind of question ("several"), to time what a setting for it costs."""
    from evals.dataset import DEFAULT_SET, load_eval_set

    items, _problems = load_eval_set(path or DEFAULT_SET)
    pool = [
        i for i in items
        if i.answerable and not i.history and i.paraphrase_of is None
        and category in (None, i.category)
    ]
    if n <= 0 or not pool:
        return []
    if n >= len(pool):
        return pool
    step = len(pool) / n
    return [pool[int(i * step)] for i in range(n)]


class OwnCaches:
    """Gives each side its own KV cache on one shared `LocalModel` (see the module docstring),
    of which a side reuses at most its first `fixed[side]` tokens per slot (no limit without
    an entry).

    It reaches into the model: `ctx` (llama.cpp's context: `memory_seq_rm`,
    `get_state_seq_data`, `set_state_seq_data`) and `_cached` (per slot, the tokens the
    context's sequence holds; `LocalModel` reuses only the common prefix of these and the next
    prompt, and drops the rest, so cutting a list cuts what is reused).
    """

    def __init__(self, model, fixed: Mapping[str, int] | None = None) -> None:
        self.model = model
        self.fixed = dict(fixed or {})
        self._saved: dict[str, list[tuple[bytes | None, list[int]]]] = {}

    @contextmanager
    def turn(self, side: str) -> Iterator[None]:
        ctx = self.model.ctx
        slots = len(self.model._cached)
        saved = self._saved.get(side, [(None, [])] * slots)
        ctx.memory_seq_rm(-1, -1, -1)
        for seq, (state, tokens) in enumerate(saved):
            if state is not None and tokens:
                ctx.set_state_seq_data(state, seq)
                self.model._cached[seq] = list(tokens[: self.fixed.get(side, len(tokens))])
            else:
                self.model._cached[seq] = []
        try:
            yield
        finally:
            self._saved[side] = [
                (ctx.get_state_seq_data(seq) if tokens else None, list(tokens))
                for seq, tokens in enumerate(self.model._cached)
            ]


class SlotCaches:
    """`OwnCaches` for a model served by llama-server (`assistant.llm.server.ServerModel`),
    whose KV caches live in the server's slots, out of reach of a state save and load. Before
    each turn every slot is cut to the side's fixed part of what that side left there: a
    one-token request of that prefix, pinned to the slot (the server keeps a prompt's common
    prefix with what the slot holds and drops the rest), outside the timings. A slot the side
    never used is cut to one token. Interleaved, each side then pays for its passages and its
    question every time, never for its instructions, and never finds the other's evidence
    (which, for two budgets of the same evidence, begins alike).

    It reaches into the model: `_cached` (per slot, the prompt tokens it holds), `_post` and
    `_request` (one completion request)."""

    def __init__(self, model, fixed: Mapping[str, int] | None = None) -> None:
        self.model = model
        self.fixed = dict(fixed or {})
        self._saved: dict[str, list[list[int]]] = {}

    @contextmanager
    def turn(self, side: str) -> Iterator[None]:
        model = self.model
        saved = self._saved.get(side, [[] for _ in model._cached])
        for slot, tokens in enumerate(saved):
            keep = tokens[: self.fixed.get(side, len(tokens))] or self._blank()
            model._post("/completion", model._request(keep, slot, 1, None, 0))
            model._cached[slot] = list(keep)
        try:
            yield
        finally:
            self._saved[side] = [list(t) for t in model._cached]

    def _blank(self) -> list[int]:
        return self.model._tokenize(".", add_special=False, parse_special=False)[:1]


def own_caches(model) -> OwnCaches | SlotCaches | None:
    """Each side's own KV cache on one shared model, cut to the side's fixed prefix
    (`fixed_prefixes`): in-process or served; None for a model that keeps no cache between
    prompts (an endpoint's)."""
    if hasattr(model, "ctx"):
        return OwnCaches(model, fixed_prefixes(model) if hasattr(model, "vocab") else {})
    if hasattr(model, "server"):
        return SlotCaches(model, fixed_prefixes(model))
    return None


def fixed_prefixes(model) -> dict[str, int]:
    """Per side, the tokens all its prompts start with: two prompts of the side that differ
    from the first passage on, tokenized as `LocalModel` tokenizes a prompt."""
    from llama_index.core.query_engine.citation_query_engine import CITATION_QA_TEMPLATE

    from assistant.llm.base import common_prefix
    from assistant.pipeline.read import SYSTEM

    template = CITATION_QA_TEMPLATE.get_template().split("{context_str}")[0]
    sides = {
        "reader": lambda x: [{"role": "system", "content": SYSTEM},
                             {"role": "user", "content": f"Article: {x}"}],
        "naive_reader": lambda x: [{"role": "user", "content": f"{template}Source 1:\n{x}"}],
    }

    def tokens(messages) -> list[int]:
        if hasattr(model, "vocab"):
            return model.vocab.tokenize(model.render(messages), add_special=True, parse_special=True)
        return model._tokenize(model.render(messages), add_special=True, parse_special=True)

    return {
        name: common_prefix(tokens(make("Alpha beta.")), tokens(make("Omega psi.")))
        for name, make in sides.items()
    }


def interleave(
    items: Sequence, sides: Mapping[str, Callable[[object], Run]],
    caches: OwnCaches | SlotCaches | None,
) -> dict[str, list[Run]]:
    """Every item asked of every side, one item at a time; who goes first alternates."""
    names = list(sides)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for k, item in enumerate(items):
        order = names if k % 2 == 0 else names[::-1]
        for name in order:
            with caches.turn(name) if caches is not None else _nothing():
                runs[name].append(_guarded(sides[name], item))
        print(f"  read {k + 1}/{len(items)}: {item.id}", file=sys.stderr, flush=True)
    return runs


def _guarded(ask: Callable[[object], Run], item) -> Run:
    """A side that raises (say, a prompt longer than the context) fails that question, as in
    the eval harness, instead of ending the benchmark."""
    started = time.perf_counter()
    try:
        return ask(item)
    except Exception as err:  # noqa: BLE001 - any failure of a side is a scored failure
        return Run(None, time.perf_counter() - started, None, [], f"{type(err).__name__}: {err}")


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _pct(values: Sequence[float], p: float, digits: int = 2):
    return round(float(np.percentile(np.asarray(values, dtype=float), p)), digits) if values else None


def summarise(items: Sequence, runs: Sequence[Run], articles: Mapping[str, str]) -> dict:
    """One side's figures over its runs (see the module docstring for each definition)."""
    correct = scores(items, runs, articles)
    failed = sum(r.error is not None for r in runs)
    runs = [r for r in runs if r.error is None]  # timings of answers that were given
    usages = [u for r in runs for u in r.usages]
    prompt = [sum(u.prompt_tokens for u in r.usages) for r in runs]
    computed = [sum(u.prompt_tokens - u.cached_tokens for u in r.usages) for r in runs]
    generated = [sum(u.generated_tokens for u in r.usages) for r in runs]
    prefill_s = sum(u.prefill_s for u in usages)
    generate_s = sum(u.generate_s for u in usages)
    firsts = [r.first_token_s for r in runs if r.first_token_s is not None]
    answers = [r.answer_s for r in runs]
    return {
        "questions": len(runs) + failed,
        "errors": failed,
        "first_token_p50_s": _pct(firsts, 50),
        "first_token_p95_s": _pct(firsts, 95),
        "answer_p50_s": _pct(answers, 50),
        "answer_p95_s": _pct(answers, 95),
        "prompt_tokens_p50": _pct(prompt, 50, 1),
        "prompt_tokens_computed_p50": _pct(computed, 50, 1),
        "generated_tokens_p50": _pct(generated, 50, 1),
        "model_calls": len(usages),
        "prefill_tokens_per_s": round(sum(computed) / prefill_s, 1) if prefill_s else None,
        "generation_tokens_per_s": round(sum(generated) / generate_s, 2) if generate_s else None,
        "accuracy": round(sum(correct) / len(correct), 4) if correct else None,
        "correct": sum(correct),
    }


def scores(items: Sequence, runs: Sequence[Run], articles: Mapping[str, str]) -> list[bool]:
    """Whether each answer is correct, as the eval harness scores it (`score_item`)."""
    from evals.metrics import score_item

    return [bool(score_item(i, r.answer, articles).correct) for i, r in zip(items, runs, strict=True)]


def reader_side(retriever, reader, settings) -> Callable[[object], Run]:
    """The product's reader answer path, timed from the question to the decided answer."""
    from assistant.composer.reader import Composer
    from assistant.llm.base import Usage
    from assistant.models import Done, Token
    from assistant.pipeline import path

    composer = Composer(retriever.keywords, settings)

    def ask(item) -> Run:
        started = time.perf_counter()
        first = answer = None
        for event in path.stream(item.question, [], retriever, reader, composer, settings):
            if isinstance(event, Token) and first is None:
                first = time.perf_counter() - started
            elif isinstance(event, Done):
                answer = event.answer
        elapsed = time.perf_counter() - started
        stats = answer.stats
        usages = []
        if stats.calls:  # the model was asked (not gated before it)
            usages.append(Usage(
                stats.prompt_tokens, stats.cached_tokens, stats.generated_tokens, stats.prefill_s,
                stats.generate_s, stats.first_token_s or 0.0,
            ))
        return Run(answer, elapsed, first, usages)

    return ask


def naive_side(query_engine, llm) -> Callable[[object], Run]:
    """llama-index's query engine, timed from query() to its response; the model's own figures
    come from the LLM wrapper (every completion of the query)."""
    from assistant.models import Answer
    from benchmarks.naive import _article_ids

    def ask(item) -> Run:
        llm.reset()
        started = time.perf_counter()
        response = query_engine.query(item.question)
        elapsed = time.perf_counter() - started
        first = llm.first_piece_at - started if llm.first_piece_at is not None else None
        text = str(getattr(response, "response", None) or "")
        answer = Answer(
            text=text,
            question=item.question,
            retrieved=list(dict.fromkeys(_article_ids(getattr(response, "source_nodes", [])))),
            backend="naive-llama-index",
        )
        return Run(answer, elapsed, first, llm.calls)

    return ask


def load_reader(settings):
    """The reader the product would run, loaded once per process; raises ReaderUnavailable."""
    from assistant.errors import BackendError
    from assistant.llm import readers

    try:
        path = readers.model_path(settings)
        if path is None:
            from assistant.llm.model_file import INSTALL

            raise ReaderUnavailable(f"the reader model is not installed ({INSTALL}, or `make chat`)")
        return readers.model_reader(settings, path)
    except BackendError as err:
        raise ReaderUnavailable(str(err)) from None


def skipped(note: str) -> dict:
    return {"reader": None, "naive_reader": None, "reader_note": note}


def measure(engine, naive_data: Path, corpus: Path, sample: int = DEFAULT_SAMPLE) -> dict:
    """Both sides on `sample` eval questions; the reader part skipped (with a note) without a
    model or with sample 0."""
    if sample <= 0:
        return skipped("reader part not run (--reader-sample 0)")
    items = sample_items(sample)
    if not items:
        return skipped("reader part not run: no answerable eval question without history")
    settings = engine.settings.model_copy(update={"backend": "reader"})
    try:
        reader = load_reader(settings)
    except ReaderUnavailable as err:
        return skipped(f"reader part skipped: {err}")
    model = reader.model

    from benchmarks.local_llm import LocalModelLLM
    from benchmarks.naive import citation_engine
    from evals.corpus import load_articles

    llm = LocalModelLLM(model, num_output=settings.llm_max_tokens)
    sides = {
        "reader": reader_side(engine.retriever, reader, settings),
        "naive_reader": naive_side(citation_engine(naive_data, llm, engine.encoder), llm),
    }
    caches = own_caches(model)
    warm = SimpleNamespace(id="warm-up", question=WARMUP_QUESTION)
    started = time.perf_counter()
    interleave([warm], sides, caches)  # untimed: each side's cache, lazy loads
    warmup_s = time.perf_counter() - started
    runs = interleave(items, sides, caches)
    articles = load_articles(corpus)
    out = {name: summarise(items, runs[name], articles) for name in SIDES}
    correct = {name: scores(items, runs[name], articles) for name in SIDES}
    out["reader_note"] = None
    out["reader_model"] = {
        "file": Path(getattr(model, "path", "")).name,
        "runtime": getattr(reader, "runtime", "") or "cyllama",  # or the native build's name
        "load_s": round(getattr(model, "load_s", 0.0), 2),
        "n_ctx": model.n_ctx,
        "threads": getattr(model, "threads", None),
        "max_tokens": settings.llm_max_tokens,
        "warmup_s": round(warmup_s, 1),
        "reused_prefix_tokens": caches.fixed if caches is not None else {},
    }
    out["reader_items"] = [
        {
            "id": item.id,
            "question": item.question,
            **{
                name: {
                    "answer_s": round(runs[name][k].answer_s, 2),
                    "first_token_s": _round(runs[name][k].first_token_s),
                    "prompt_tokens": sum(u.prompt_tokens for u in runs[name][k].usages),
                    "cached_tokens": sum(u.cached_tokens for u in runs[name][k].usages),
                    "correct": correct[name][k],
                    "text": _text(runs[name][k])[:400],
                }
                for name in SIDES
            },
        }
        for k, item in enumerate(items)
    ]
    return out


def _text(run: Run) -> str:
    return run.answer.text if run.error is None else f"error: {run.error}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
