"""One benchmark run: corpus -> both indexes -> answering side by side -> cold starts -> goals."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path

from benchmarks import product, reader_bench
from benchmarks.measure import BenchError, child_env, eval_questions, timed_run
from benchmarks.report import goals
from corpora import newsarticles


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_bench(
    articles: int | None,
    seeds: Path,
    workdir: Path,
    source: Path,
    raw_sample: int = 5000,
    reader_sample: int = reader_bench.DEFAULT_SAMPLE,
) -> dict:
    """Measure everything on the first `articles` news articles (None: all) plus the seeds.

    Last (so the model's 1 GB joins the process after every other figure was taken), the reader
    beside the naive llama-index pipeline with the same model on `reader_sample` eval questions.
    """
    if not _installed("llama_index.vector_stores.chroma"):
        raise BenchError(
            "the naive baseline needs llama-index-vector-stores-chroma: "
            "pip install llama-index-vector-stores-chroma"
        )
    began = time.perf_counter()
    load = os.getloadavg()
    news = newsarticles.read_articles(source, articles)
    corpus = workdir / "corpus"
    files = newsarticles.write_corpus(news, seeds, corpus)
    say(f"bench corpus: {len(news)} news articles + seeds = {files} files in {corpus}")
    questions = eval_questions()

    result: dict = {"news_articles": len(news)}
    result.update(product.help_time())
    say("indexing with the assistant (then a no-op reindex, then the embedder alone)")
    engine = product.open_engine(corpus, workdir / "index")
    result.update(product.build(engine, corpus, raw_sample))
    say("indexing with the naive llama-index pipeline (in its own process)")
    naive = naive_build(corpus, workdir, questions)
    say("answering: assistant, embed + search floor and naive retrieval, side by side")
    from benchmarks.naive import open_retriever

    timed = product.answering(
        engine, questions, lambda: open_retriever(workdir / "naive").retrieve
    )
    naive["answer_p50_ms"] = timed.pop("baseline_p50_ms")
    naive["answer_p95_ms"] = timed.pop("baseline_p95_ms")
    result.update(timed)
    say("timing cold starts (a fresh process answering one question)")
    result.update(product.cold_start(corpus, workdir / "index"))
    naive["cold_start_s"] = naive_cold_start(workdir / "naive")
    result["naive"] = naive
    if reader_sample:
        say(f"reading: the reader and the naive llama-index pipeline with the same model, "
            f"{reader_sample} questions interleaved")
    reading = reader_bench.measure(engine, workdir / "naive", corpus, reader_sample)
    if reading["reader_note"] and reader_sample:
        say(reading["reader_note"])
    result.update(reading)
    result["goals"] = goals(result)
    result["environment"] = {
        "cpus": os.cpu_count(),
        "load_avg_at_start": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "chromadb": version("chromadb"),
        "llama_index_core": version("llama-index-core"),
        "raw_embed_sample": raw_sample,
    }
    result["bench_s"] = round(time.perf_counter() - began, 1)
    return result


def naive_build(corpus: Path, workdir: Path, questions) -> dict:
    data = workdir / "naive"
    asked = workdir / "questions.json"
    out = workdir / "naive.json"
    asked.write_text(
        json.dumps([{"question": q.question, "articles": list(q.articles)} for q in questions]),
        encoding="utf-8",
    )
    env = child_env()
    run = [sys.executable, "-m", "benchmarks.naive"]
    timed_run(run + ["build", str(corpus), str(data), str(asked), str(out)], env, show_stderr=True)
    return json.loads(out.read_text(encoding="utf-8"))


def naive_cold_start(data: Path) -> float:
    run = [sys.executable, "-m", "benchmarks.naive", "ask", str(data), product.COLD_QUESTION]
    return round(timed_run(run, child_env())[0], 2)


def _installed(module: str) -> bool:
    """Whether a module can be imported; find_spec of a dotted name raises, rather than
    answering None, when a parent package is missing."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False
