"""Ask cited questions about a folder of news articles, offline.

\b
Quick start:
  assistant index                      # index ./seeds (or $ASSISTANT_CORPUS_DIR)
  assistant ask "Who did Trump send to Moscow to meet Putin?"
  assistant chat                       # web chat on http://127.0.0.1:7860
  assistant eval                       # score the answers on the known-facts eval set

Settings come from ASSISTANT_* environment variables (see the README).
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import click

from assistant.errors import BackendError, EmptyQuestion, IndexingError


class UserError(click.ClickException):
    """A clean message on stderr and exit code 2, never a traceback."""

    exit_code = 2


def load_settings(**overrides):
    """Settings from the environment (plus overrides), or a clean error naming the variable."""
    from pydantic import ValidationError

    from assistant.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as err:
        problems = "; ".join(
            f"ASSISTANT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in err.errors()
        )
        raise UserError(f"bad setting: {problems}") from None


def _engine(settings):
    from assistant.engine import get_engine

    try:
        return get_engine(settings)
    except IndexingError as err:
        raise UserError(str(err)) from None


class LazyGroup(click.Group):
    """A group whose feature commands are imported only when named (click's documented lazy
    loading): `assistant ask` loads none of the chat, the evals or the benchmarks, and the
    layers stay one-way (the packages above import this one, not the other way round)."""

    LAZY = {
        "chat": "ui.cli:chat_command",
        "eval": "evals.cli:eval_command",
        "bench": "benchmarks.cli:bench_command",
        "add": "assistant.feeds_cli:add_command",
        "feeds": "assistant.feeds_cli:feeds_group",
        "update": "assistant.feeds_cli:update_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            module, attribute = self.LAZY[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, help=__doc__)
@click.version_option(package_name="news-assistant")
def cli() -> None:
    pass


@cli.command()
@click.option(
    "--corpus",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of articles (default: $ASSISTANT_CORPUS_DIR or ./seeds).",
)
def index(corpus: Path | None) -> None:
    """Build or update the index; unchanged articles are skipped."""
    from tqdm import tqdm

    settings = load_settings(corpus_dir=corpus)
    engine = _engine(settings)
    bars: list = []  # drawn once the corpus is read and the work known, not before an error

    def on_todo(n: int) -> None:
        if bars:
            bars[-1].reset(total=n)
        else:
            bars.append(tqdm(total=n, unit="article", desc="indexing", file=sys.stderr, mininterval=0.5))

    def progress(n: int = 1) -> None:
        if bars:
            bars[-1].update(n)

    try:
        report = engine.index(settings.corpus_dir, progress=progress, on_todo=on_todo)
    except IndexingError as err:
        raise UserError(str(err)) from None
    finally:
        for bar in bars:
            bar.close()
    if report.rebuilt_because:
        click.echo(f"note: {report.rebuilt_because}", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(report.summary())


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer and citations as JSON.")
def ask(question: str, as_json: bool) -> None:
    """Answer QUESTION from the articles, with numbered sources."""
    from assistant.api import clean_question

    try:
        question = clean_question(question)
    except EmptyQuestion as err:
        raise UserError(str(err)) from None
    from assistant.models import Done, Token

    engine = _engine(load_settings())
    drafted = False
    try:
        for event in engine.stream(question):
            if isinstance(event, Token) and not as_json:
                # the draft goes to stderr as it is written; the checked answer follows on stdout
                click.echo(event.text, nl=False, err=True)
                drafted = True
            elif isinstance(event, Done):
                result = event.answer
    except (IndexingError, BackendError) as err:
        raise UserError(str(err)) from None
    if drafted:
        click.echo("\n(checked:)", err=True)
    if as_json:
        click.echo(result.to_json(indent=2))
        return
    if result.notice:
        click.echo(f"note: {result.notice}", err=True)
    for line in result.text.splitlines():  # a question of several parts: a line per part
        click.echo(textwrap.fill(line, width=100))
    if result.citations:
        click.echo("\nSources:")
    for c in result.citations:
        _print_citation(c)
    if result.closest is not None:
        click.echo("\nClosest passage (it may not answer the question):")
        _print_citation(result.closest)


def _print_citation(c) -> None:
    dated = f", {c.date}" if c.date else ""
    click.echo(f"[{c.n}] {c.title}  ({c.article_id}{dated}, chars {c.start}-{c.end})")
    if c.url:
        click.echo(f"    {c.url}")
    click.echo(textwrap.fill(f"“{c.quote}”", width=100, initial_indent="    ", subsequent_indent="    "))


def main() -> None:
    cli()
