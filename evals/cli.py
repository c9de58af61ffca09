"""`assistant eval`: run the eval set through the public answer() and show the scores.

The assistant is imported inside the command so `assistant --help` does not load the answerer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .corpus import corpus_dir, load_articles
from .dataset import DEFAULT_SET, load_eval_set
from .gate import DEFAULT_THRESHOLDS, check, load_thresholds
from .harness import run_eval
from .report import format_table, write_html, write_json


@click.command("eval")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the full report (metrics, definitions, every item) as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML report with charts and every failure.")
@click.option("--set", "set_path", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_SET, show_default=True, help="Eval set (JSONL).")
@click.option("--thresholds", "thresholds_path", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_THRESHOLDS, show_default=True, help="Gate thresholds (TOML).")
@click.option("--gate", is_flag=True, help="Exit with status 1 when a metric misses its threshold.")
def eval_command(json_path: Path | None, html_path: Path | None, set_path: Path,
                 thresholds_path: Path, gate: bool) -> None:
    """Run the eval set and print the score table."""
    items, problems = load_eval_set(set_path)
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    if not items:
        raise click.ClickException(f"no usable questions in {set_path}")
    articles = load_articles()
    if not articles:
        raise click.ClickException(f"no articles (*.txt) in {corpus_dir()} (ASSISTANT_CORPUS_DIR)")

    from assistant import answer  # lazy: loads the answerer only when an eval actually runs

    thresholds = load_thresholds(thresholds_path) if thresholds_path.exists() else None
    with click.progressbar(length=len(items), label="asking", file=sys.stderr) as bar:
        report = run_eval(items, answer, articles, problems=problems, warmup=True,
                          on_result=lambda _result: bar.update(1))
    click.echo(format_table(report))
    if json_path:
        write_json(report, json_path)
        click.echo(f"wrote {json_path}")
    if html_path:
        write_html(report, html_path, thresholds)
        click.echo(f"wrote {html_path}")
    if thresholds is None:
        if gate:
            raise click.ClickException(f"--gate needs thresholds, {thresholds_path} not found")
        return
    violations = check(report, thresholds)
    if not violations:
        click.echo(f"gate: all thresholds in {thresholds_path} met")
        return
    if not gate:
        click.echo(f"gate: {len(violations)} threshold(s) missed (use --gate to fail on them)")
        return
    for violation in violations:
        click.echo(f"gate: {violation}", err=True)
    sys.exit(1)
