"""The reader part of `assistant bench`, with a scripted stand-in for the model.

The stand-in has `LocalModel`'s surface (n_ctx, stream, last, count_tokens, and the llama.cpp
context calls the benchmark uses to give each side its own KV cache), so the llama-index wrapper,
a real `CitationQueryEngine`, the interleaving, the scoring and the table run for real without
loading 1 GB of weights. The real model is run by hand: `assistant bench --articles 0
--reader-sample 4` (README, "Benchmarks").
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.llm.base import Usage
from assistant.llm.readers import LocalReader
from benchmarks import reader_bench
from benchmarks.local_llm import LocalModelLLM
from benchmarks.reader_bench import OwnCaches, Run, interleave, summarise


class FakeContext:
    """What a llama.cpp context holds, reduced to a label per sequence: whose prompt its KV
    cache is of."""

    def __init__(self) -> None:
        self.states: dict[int, str | None] = {}

    @property
    def state(self) -> str | None:
        return self.states.get(0)

    def memory_seq_rm(self, seq: int, p0: int, p1: int) -> bool:
        if seq == -1:
            self.states.clear()
        else:
            self.states.pop(seq, None)
        return True

    def get_state_seq_data(self, seq: int) -> str | None:
        return self.states.get(seq)

    def set_state_seq_data(self, data, seq: int) -> int:
        self.states[seq] = data
        return 1


class FakeModel:
    """Replies by a script; a word is a token; records whose cache each call found. Like
    `LocalModel` it has two cache slots; the stand-in reads and writes only the first."""

    n_ctx = 4096
    path = Path("fake-model.gguf")
    threads = 1
    load_s = 0.0

    def __init__(self, reply) -> None:
        self.reply = reply
        self.ctx = FakeContext()
        self._cached: list[list[str]] = [[], []]
        self.last: Usage | None = None
        self.last_openings: dict[str, float] = {}
        self.seen: list[tuple[str, str | None]] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def choose(self, messages, options, cancel=None, prefix="") -> dict[str, float]:
        """The yes/no check: the script's reply opens with one option, which gets it all
        (after `prefix`, when the reply is read past an opening)."""
        reply = self.reply(messages).removeprefix(prefix)
        self.last = Usage(len("\n".join(m["content"] for m in messages).split()), 0, 1, 0.1, 0.0, 0.1)
        return {o: float(reply.startswith(o)) for o in options}

    def stream(self, messages, max_tokens: int, grammar=None, openings=(), cancel=None):
        side = "reader" if messages[0]["role"] == "system" else "naive"
        self.seen.append((side, self.ctx.state))
        tokens = "\n".join(m["content"] for m in messages).split()
        cached = self._cached[0]
        keep = 0
        while keep < min(len(tokens), len(cached)) and tokens[keep] == cached[keep]:
            keep += 1
        self._cached[0] = tokens
        self.ctx.states[0] = side
        words = self.reply(messages).split(" ")[:max_tokens]
        try:
            for k, word in enumerate(words):
                yield word if k == 0 else " " + word
        finally:
            self.last = Usage(len(tokens), keep, len(words), 0.5, 0.25, 0.1)


class FakeReader(LocalReader):
    """The in-process reader over the stand-in model (no GGUF loaded)."""

    def __init__(self, model: FakeModel) -> None:
        self.model = model


def scripted(messages) -> str:
    """The reader copies the first sentence it is shown, the check says yes, llama-index's
    prompt gets a guess."""
    text = messages[-1]["content"]
    if text.startswith("Text:"):
        return "YES"
    first = re.search(r"^\[1\] (.*)$", text, re.M)
    if first:
        return f"SENTENCE: 1\nANSWER: {first.group(1)}"
    return "The sources do not say [1]."


def test_the_llm_wrapper_speaks_llama_index_and_keeps_every_call():
    model = FakeModel(lambda messages: "Kushner and Witkoff went [1].")
    llm = LocalModelLLM(model, num_output=64)
    assert llm.metadata.context_window == 4096 and llm.metadata.num_output == 64
    assert llm.metadata.model_name == "fake-model.gguf" and not llm.metadata.is_chat_model

    assert llm.complete("Who went to Moscow?").text == "Kushner and Witkoff went [1]."
    pieces = list(llm.stream_complete("Who went?"))
    assert "".join(p.delta for p in pieces) == pieces[-1].text == "Kushner and Witkoff went [1]."
    assert [c.prompt_tokens for c in llm.calls] == [4, 2]
    assert model.seen == [("naive", None), ("naive", "naive")]  # one user message each
    assert llm.first_piece_at is not None
    llm.reset()
    assert llm.calls == [] and llm.first_piece_at is None


def test_citation_query_engine_runs_on_the_wrapper():
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.query_engine import CitationQueryEngine

    from index import offline
    from index.llama_embedding import MiniLMEmbedding

    offline.prepare()
    prompts = []

    def reply(messages):
        prompts.append(messages[0]["content"])
        return "Witkoff and Kushner met Putin [1]."

    llm = LocalModelLLM(FakeModel(reply), num_output=64)
    index = VectorStoreIndex.from_documents(
        [Document(text="Steve Witkoff and Jared Kushner met Putin in Moscow for five hours."),
         Document(text="The council approved the budget on Monday.")],
        embed_model=MiniLMEmbedding(),
    )
    response = CitationQueryEngine.from_args(index, llm=llm).query("Who met Putin?")
    assert str(response) == "Witkoff and Kushner met Putin [1]."
    assert len(prompts) == 1 and "Source 1:" in prompts[0] and "Query: Who met Putin?" in prompts[0]
    assert len(llm.calls) == 1 and llm.calls[0].prompt_tokens > 50


def test_each_side_finds_only_its_own_kv_cache():
    model = FakeModel(lambda messages: "An answer.")
    caches = OwnCaches(model)
    order = []

    def side(name, system):
        def ask(item):
            order.append((name, item))
            messages = ([{"role": "system", "content": "fixed"}] if system else []) + [
                {"role": "user", "content": f"same long prefix {item}"}
            ]
            "".join(model.stream(messages, 8))
            return Run(SimpleNamespace(text="An answer."), 1.0, 0.5, [model.last])

        return ask

    items = [SimpleNamespace(id=f"q{k}", question=f"q{k}") for k in range(3)]
    runs = interleave(items, {"reader": side("reader", True), "naive": side("naive", False)}, caches)
    assert order == [("reader", items[0]), ("naive", items[0]), ("naive", items[1]),
                     ("reader", items[1]), ("reader", items[2]), ("naive", items[2])]
    assert model.seen == [("reader", None), ("naive", None), ("naive", "naive"),
                          ("reader", "reader"), ("reader", "reader"), ("naive", "naive")]
    # each side reuses its own previous prompt's prefix, never the other side's
    assert [r.usages[0].cached_tokens for r in runs["reader"]] == [0, 4, 4]
    assert [r.usages[0].cached_tokens for r in runs["naive"]] == [0, 3, 3]


def test_a_side_reuses_only_its_fixed_prefix():
    model = FakeModel(lambda messages: "An answer.")
    caches = OwnCaches(model, {"naive": 2})
    cached = []
    for question in ("same long prefix one", "same long prefix two"):
        with caches.turn("naive"):
            "".join(model.stream([{"role": "user", "content": question}], 8))
            cached.append(model.last.cached_tokens)
    assert cached == [0, 2]  # not 3: "prefix" is past the fixed part


def test_summary_figures_and_accuracy_are_the_evals():
    from evals.dataset import EvalItem

    items = [
        EvalItem("a", "factoid", "Who went?", ("Witkoff",), ("x",)),
        EvalItem("b", "factoid", "How long?", ("(five|5) hours",), ("x",)),
    ]
    from assistant.models import Answer

    runs = [
        Run(Answer("Witkoff went [1]."), 2.0, 1.0, [Usage(100, 60, 10, 2.0, 1.0, 0.9)]),
        Run(Answer("Four hours [1]."), 4.0, None, [Usage(200, 60, 10, 1.0, 1.0, 0.8),
                                                    Usage(50, 0, 20, 1.0, 2.0, 0.5)]),
    ]
    s = summarise(items, runs, {})
    assert s["accuracy"] == 0.5 and s["correct"] == 1 and s["questions"] == 2
    assert s["answer_p50_s"] == 3.0 and s["answer_p95_s"] == 3.9
    assert s["first_token_p50_s"] == 1.0  # the run where the model wrote nothing is left out
    assert s["prompt_tokens_p50"] == 175.0 and s["prompt_tokens_computed_p50"] == 115.0
    assert s["model_calls"] == 3
    assert s["prefill_tokens_per_s"] == round((40 + 140 + 50) / 4.0, 1)
    assert s["generation_tokens_per_s"] == round(40 / 4.0, 2)
    refused = Run(Answer("Witkoff", refused=True), 1.0, None, [])
    assert summarise(items[:1], [refused], {})["accuracy"] == 0.0


def test_a_side_that_raises_fails_its_question_not_the_bench():
    from evals.dataset import EvalItem

    def boom(item):
        raise RuntimeError("the prompt has 5000 tokens")

    items = [EvalItem("a", "factoid", "Who went?", ("Witkoff",), ("x",))]
    runs = interleave(items, {"naive": boom}, None)["naive"]
    assert runs[0].answer is None and "5000 tokens" in runs[0].error
    s = summarise(items, runs, {})
    assert s["errors"] == 1 and s["questions"] == 1 and s["accuracy"] == 0.0
    assert s["answer_p50_s"] is None and s["model_calls"] == 0


def test_the_sample_is_answerable_standalone_and_even():
    items = reader_bench.sample_items(8)
    assert len(items) == 8 and len({i.id for i in items}) == 8
    assert all(i.answerable and not i.history for i in items)
    assert len({i.category for i in items}) >= 2
    assert reader_bench.sample_items(8) == items and reader_bench.sample_items(0) == []


def test_without_a_model_the_reader_part_is_a_note(monkeypatch):
    from assistant.settings import Settings
    from benchmarks.report import format_table, goals

    def missing(settings):
        raise reader_bench.ReaderUnavailable("the reader model is not installed")

    monkeypatch.setattr(reader_bench, "load_reader", missing)
    engine = SimpleNamespace(settings=Settings(backend="extractive"))
    out = reader_bench.measure(engine, Path("nowhere"), Path("nowhere"), 4)
    assert out == {"reader": None, "naive_reader": None,
                   "reader_note": "reader part skipped: the reader model is not installed"}
    assert reader_bench.measure(engine, Path("nowhere"), Path("nowhere"), 0)["reader"] is None

    figures = {"answer_p50_ms": 10.0, "floor_p50_ms": 5.0, "index_chunks_per_s": 10.0,
               "raw_embed_chunks_per_s": 10.0, "noop_reindex_s": 0.1, "peak_rss_mb": 500.0,
               "index_s": 1.0, "help_s": 0.1,
               "naive": {"index_s": 2.0, "answer_p50_ms": 20.0}, **out}
    figures["goals"] = goals(figures)
    assert "reader_vs_naive" not in figures["goals"]
    assert "reader: reader part skipped: the reader model is not installed" in format_table(figures)


@pytest.fixture
def fake_reader(monkeypatch):
    model = FakeModel(scripted)
    monkeypatch.setattr(reader_bench, "load_reader", lambda settings: FakeReader(model))
    return model


def test_bench_measures_the_reader_beside_naive_llama_index(tmp_path, fake_reader):
    import json

    from click.testing import CliRunner

    from assistant.cli import cli
    from tests.test_bench import news_zip

    out = tmp_path / "bench.json"
    result = CliRunner().invoke(cli, [
        "bench", "--articles", "3", "--source", str(news_zip(tmp_path / "NewsArticles.zip")),
        "--raw-sample", "50", "--reader-sample", "3", "--json", str(out),
    ])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    for side in ("reader", "naive_reader"):
        got = figures[side]
        assert got["questions"] == 3, side
        for name in ("first_token_p50_s", "answer_p50_s", "answer_p95_s", "prompt_tokens_p50",
                     "prefill_tokens_per_s", "generation_tokens_per_s"):
            assert got[name] > 0, (side, name)
        assert got["answer_p95_s"] >= got["answer_p50_s"]
        assert 0 <= got["accuracy"] <= 1
    assert figures["naive_reader"]["accuracy"] == 0  # "The sources do not say"
    assert figures["reader_note"] is None and len(figures["reader_items"]) == 3
    # a warm-up, then three questions, alternating who goes first; each found its own cache
    assert [side for side, _ in fake_reader.seen] == [
        "reader", "naive", "reader", "naive", "naive", "reader", "reader", "naive"]
    assert all(state in (None, side) for side, state in fake_reader.seen)
    assert figures["goals"]["reader_vs_naive"]["target"].startswith("reader answer >= 3x faster")
    assert "prompt_tokens_p50" in result.output and "fake-model.gguf" in result.output
