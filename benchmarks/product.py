"""The product's own figures, measured through its real path: `Engine.index` and `Engine.answer`.

Each figure has a floor measured beside it in the same process: indexing beside the embedder
alone on the same chunk texts, answering beside query embedding + Chroma search alone on the same
(standalone) queries and beside the naive baseline's retrieval, interleaved question by question
so background load hits all three alike.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.measure import (
    BenchError,
    Question,
    child_env,
    disk_mb,
    hit_rate,
    ms,
    peak_rss_mb,
    timed_run,
    token_counts,
)

COLD_QUESTION = "Who did Trump send to Moscow to meet Putin?"


def _bar(total: int, desc: str, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=None, leave=False)


def open_engine(corpus: Path, data: Path):
    from assistant.engine import Engine
    from assistant.settings import Settings
    from index.chunking import chunk_article
    from index.corpus import article_from_text

    settings = Settings(corpus_dir=corpus, data_dir=data, chroma_url=None, backend="extractive")
    engine = Engine(settings)
    # Load the model and the sentence splitter outside the timings, as the floors do: one-off
    # start-up costs that a large corpus hides anyway (cold_start_s shows them).
    engine.encoder.encode_one("warm up")
    chunk_article(article_from_text("warm_up", "Warm up.\n\nThe splitter loads its models once."))
    return engine


def build(engine, corpus: Path, raw_sample: int) -> dict:
    """Index from scratch, then again with nothing changed; the embedder alone on the same
    chunk texts, half of its sample just before the index run and half just after, so a change
    in background load during a long run weighs on both figures alike."""
    texts, out = chunk_texts(corpus, raw_sample)
    before, after = texts[0::2], texts[1::2]
    raw_s = embed_alone(engine.encoder, before)
    out["rss_before_index_mb"] = peak_rss_mb()

    bar = _bar(0, "indexing", "article")
    start = time.perf_counter()
    report = engine.index(corpus, progress=bar.update, on_todo=lambda n: bar.reset(total=n))
    out["index_s"] = round(time.perf_counter() - start, 2)
    bar.close()
    out["rss_after_index_mb"] = peak_rss_mb()
    out["chunks"] = report.chunks
    out["articles"] = report.added
    out["index_chunks_per_s"] = round(report.chunks / out["index_s"], 1)
    out["index_articles_per_s"] = round(report.added / out["index_s"], 2)
    out["index_tokens_per_s"] = round(out["embedded_tokens"] / out["index_s"], 1)

    start = time.perf_counter()
    again = engine.index(corpus)
    out["noop_reindex_s"] = round(time.perf_counter() - start, 3)
    if again.unchanged != report.added or again.added or again.updated:
        raise BenchError(f"the second index run was not a no-op: {again.summary()}")

    raw_s += embed_alone(engine.encoder, after)
    out["raw_embed_chunks"] = len(texts)
    out["raw_embed_chunks_per_s"] = round(len(texts) / raw_s, 1)
    out["index_disk_mb"] = disk_mb(engine.settings.data_dir)
    return out


def chunk_texts(corpus: Path, sample: int) -> tuple[list[str], dict]:
    """The texts the index will embed (an even sample when large), and their token counts."""
    from index.chunking import chunk_article
    from index.corpus import load_corpus

    articles, _ = load_corpus(corpus)
    texts = [c.embed_text for a in articles for c in chunk_article(a)]
    embedded_tokens, whole_tokens = token_counts(texts)
    if sample and len(texts) > sample:
        step = len(texts) / sample
        texts = [texts[int(i * step)] for i in range(sample)]
    share = round(1 - embedded_tokens / whole_tokens, 3) if whole_tokens else 0.0
    return texts, {"embedded_tokens": embedded_tokens, "tokens_cut_share": share}


def embed_alone(encoder, texts: list[str]) -> float:
    """Seconds the index's own encoder takes on texts, in the groups index.build uses.

    The same encoder object, not a second one: a second ONNX session would add its own
    ~300 MB to the peak RSS the benchmark reports for the product.
    """
    bar = _bar(len(texts), "embedding alone", "chunk")
    start = time.perf_counter()
    for lo in range(0, len(texts), 1024):
        encoder.encode(texts[lo : lo + 1024])
        bar.update(min(1024, len(texts) - lo))
    bar.close()
    return time.perf_counter() - start


def answering(
    engine, questions: list[Question], open_baseline: Callable[[], Callable[[str], object]]
) -> dict:
    """answer() latency, beside the embed + search floor on the same (standalone) queries and
    the baseline's retrieval on the same questions, interleaved so background load hits all alike.
    """
    start = time.perf_counter()
    engine.answer(questions[0].question, list(questions[0].history))  # builds the retriever
    retriever_load_s = time.perf_counter() - start
    # The product's peak: index, no-op reindex, embedder alone and a loaded retriever, before
    # the baseline's objects join this process.
    peak = peak_rss_mb()
    baseline = open_baseline()
    baseline(questions[0].question)
    k = engine.settings.candidates
    answer_s, floor_s, baseline_s, retrieved = [], [], [], []
    bar = _bar(len(questions), "answering", "question")
    for q in questions:
        start = time.perf_counter()
        result = engine.answer(q.question, list(q.history))
        answer_s.append(time.perf_counter() - start)
        retrieved.append(result.retrieved)
        start = time.perf_counter()
        engine.store.search(engine.encoder.encode_one(result.question), k)
        floor_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        baseline(q.question)  # the baseline has no follow-up handling: asked as is
        baseline_s.append(time.perf_counter() - start)
        bar.update(1)
    bar.close()
    return {
        "baseline_p50_ms": ms(baseline_s, 50),
        "baseline_p95_ms": ms(baseline_s, 95),
        "retriever_load_s": round(retriever_load_s, 2),
        "questions": len(questions),
        "answer_p50_ms": ms(answer_s, 50),
        "answer_p95_ms": ms(answer_s, 95),
        "floor_p50_ms": ms(floor_s, 50),
        "floor_p95_ms": ms(floor_s, 95),
        "hit_at_5": hit_rate(questions, retrieved),
        "peak_rss_mb": peak,
    }


def cold_start(corpus: Path, data: Path) -> dict:
    """A fresh `assistant ask` process against the built index, timed from launch to exit."""
    env = child_env(
        ASSISTANT_CORPUS_DIR=str(corpus),
        ASSISTANT_DATA_DIR=str(data),
        ASSISTANT_CHROMA_URL=None,
        ASSISTANT_BACKEND="extractive",
    )
    seconds, stdout = timed_run([sys.executable, "-m", "assistant", "ask", "--json", COLD_QUESTION], env)
    if "Witkoff" not in stdout:
        print(f"warning: the cold-start answer did not name Witkoff: {stdout[:300]}", file=sys.stderr)
    return {"cold_start_s": round(seconds, 2)}


def help_time() -> dict:
    """`assistant --help` in a fresh process (python startup included); the best of three."""
    runs = [timed_run([sys.executable, "-m", "assistant", "--help"], child_env())[0] for _ in range(3)]
    return {"help_s": round(min(runs), 3)}
