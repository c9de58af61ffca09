"""`assistant eval`: run the eval set through the public answer() and show the scores.

    assistant eval [--corpus seeds|newsarticles] [--backend NAME ...] [--json FILE] [--html FILE] [--gate]

Each backend answers with `Settings().model_copy(update={"backend": name, ...})` (plus the
corpus's own folders for a corpus other than the seeds), so a run compares backends on exactly
the same questions, corpus and index. The assistant is imported inside the command so
`assistant --help` does not load the answerer.
"""

from __future__ import annotations

import json
import sys
import typing
from functools import partial
from pathlib import Path

import click

from .corpus import CORPORA, SEEDS, CorpusUnavailable, load_articles, prepare_eval_corpus
from .dataset import load_eval_set
from .gate import check, check_runs, load_thresholds
from .harness import Report, run_eval
from .report import (
    format_comparison,
    format_table,
    write_comparison_html,
    write_comparison_json,
    write_html,
    write_json,
)


def backend_names() -> tuple[str, ...]:
    """The values `Settings.backend` accepts, read from its annotation (one source of truth)."""
    from assistant.settings import Settings

    return tuple(typing.get_args(Settings.model_fields["backend"].annotation))


def _check_backends(requested: tuple[str, ...]) -> None:
    known = backend_names()
    for name in requested:
        if name not in known:
            raise click.BadParameter(
                f"unknown backend {name!r} (expected one of {', '.join(known)})",
                param_hint="'--backend'",
            )


def _dedupe(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _stories(base, backend: str, split: str | None, json_path: Path | None) -> None:
    """Timelines and summaries: the seeds' items on the seeds, the export's on the export."""
    from evals import stories

    items = stories.select(stories.load_items(), split=split)
    out: dict = {}
    for name in stories.CORPORA:
        chosen = [i for i in items if i.corpus == name]
        if not chosen:
            continue
        corpus = prepare_eval_corpus(name, base.data_dir)
        settings = base.model_copy(update={"backend": backend, **corpus.settings_update()})
        click.echo(f"asking {len(chosen)} {name} items", err=True)
        summary, results = stories.run(settings, chosen, progress=lambda m: click.echo(m, err=True))
        click.echo(f"{name}:\n" + stories.format_table(summary))
        out[name] = {"summary": summary, "items": results}
    questions = stories.existing_questions()
    wrong = stories.false_triggers(questions, _story_kind)
    click.echo(f"existing eval questions taken for a timeline or summary: {len(wrong)} of "
               f"{len(questions)}" + "".join(f"\n  {w}" for w in wrong))
    out["false_triggers"] = wrong
    if json_path:
        json_path.write_text(json.dumps(out, indent=2), encoding="utf-8")
        click.echo(f"wrote {json_path}", err=True)


def _story_kind(question: str) -> str | None:
    from assistant.pipeline.story import parse

    story = parse(question)
    return story.kind if story else None


def _newsdated(settings, set_path: Path, json_path: Path | None) -> None:
    from evals import newsdated

    items = newsdated.load_items(set_path)
    click.echo(f"indexing and asking ({len(items)} questions; the first run indexes 3,788 "
               "articles)", err=True)
    summary, results = newsdated.run(settings, items, progress=lambda m: click.echo(m, err=True))
    click.echo(f"backend: {settings.backend}\n" + newsdated.format_table(summary))
    for r in results:
        if not r["correct"]:
            lost = f" (lost at {r['lost_at']})" if r.get("lost_at") else ""
            click.echo(f"  {r['id']} [{r['category']}, {r['split']}]{lost} {r['question'][:70]} -> "
                       f"{r['text'][:90]!r}")
    if json_path:
        json_path.write_text(json.dumps({"summary": summary, "items": results}, indent=2),
                             encoding="utf-8")
        click.echo(f"wrote {json_path}", err=True)


@click.command("eval")
@click.option("--corpus", "corpus_name", type=click.Choice((*CORPORA, "stories")), default=SEEDS,
              show_default=True,
              help="Which corpus and eval set: the seeds (the configured corpus), or a corpus "
                   "prepared under <data dir>/evals/NAME/ with its own index.")
@click.option("--backend", "backends", multiple=True, metavar="NAME",
              help="Answer backend; repeat to compare several side by side (default: the "
                   "configured one, ASSISTANT_BACKEND).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the full report (metrics, definitions, every item) as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML report with charts and every failure.")
@click.option("--set", "set_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Eval set (JSONL)  [default: the corpus's own, evals/questions.jsonl for the seeds]")
@click.option("--thresholds", "thresholds_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Gate thresholds (TOML)  [default: the corpus's own, evals/thresholds.toml for the seeds]")
@click.option("--gate", is_flag=True, help="Exit with status 1 when a metric misses its threshold.")
@click.option("--split", "only_split", type=click.Choice(("dev", "test")), default=None,
              help="Only this split's items (tuning on dev; the gate is for whole runs).")
@click.option("--category", "only_categories", multiple=True, metavar="NAME",
              help="Only this category's items; repeat for several (e.g. several, unanswerable).")
def eval_command(corpus_name: str, backends: tuple[str, ...], json_path: Path | None,
                 html_path: Path | None, set_path: Path | None, thresholds_path: Path | None,
                 gate: bool, only_split: str | None, only_categories: tuple[str, ...]) -> None:
    """Run the eval set and print the score table (one column per backend with several)."""
    from assistant.settings import Settings

    base = Settings()
    _check_backends(backends)
    names = _dedupe(backends) or (base.backend,)
    if corpus_name == "stories":  # timelines and summaries, on the seeds and on the export
        try:
            _stories(base, names[0], only_split, json_path)
        except CorpusUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        return
    try:
        corpus = prepare_eval_corpus(corpus_name, base.data_dir)
    except CorpusUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    if corpus.name == "newsdated":  # its own item kinds and scores (lists, dated answers)
        _newsdated(base.model_copy(update={"backend": names[0], **corpus.settings_update()}),
                   set_path or corpus.questions, json_path)
        return
    set_path = set_path or corpus.questions
    thresholds_path = thresholds_path or corpus.thresholds

    items, problems = load_eval_set(set_path)
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    items = [
        i for i in items if (only_split is None or i.split == only_split)
        and (not only_categories or i.category in only_categories)
    ]
    if not items:
        raise click.ClickException(f"no usable questions in {set_path} (with the filters given)")
    if (only_split or only_categories) and gate:
        raise click.ClickException("--gate judges a whole run: leave out --split and --category")
    settings = {
        name: base.model_copy(update={"backend": name, **corpus.settings_update()}) for name in names
    }
    corpus_dir = settings[names[0]].corpus_dir
    articles = load_articles(corpus_dir)
    if not articles:
        where = "ASSISTANT_CORPUS_DIR" if corpus.corpus_dir is None else f"the {corpus.name} corpus"
        raise click.ClickException(f"no articles (*.txt) in {corpus_dir} ({where})")

    from assistant import answer  # lazy: loads the answerer only when an eval actually runs

    thresholds = None
    filtered = bool(only_split or only_categories)  # floors are for whole runs
    if thresholds_path is not None and thresholds_path.exists() and not filtered:
        thresholds = load_thresholds(thresholds_path)
    reports: dict[str, Report] = {}
    for name in names:
        label = f"asking ({name})" if len(names) > 1 or backends else "asking"
        with click.progressbar(length=len(items), label=label, file=sys.stderr,
                               show_eta=True, show_pos=True) as bar:
            reports[name] = run_eval(
                items, partial(answer, settings=settings[name]), articles, problems=problems,
                warmup=True, backend=name, on_result=lambda _result: bar.update(1),
            )
        for problem in reports[name].problems[len(problems):]:  # the run's own, e.g. the warm-up
            click.echo(f"warning ({name}): {problem}", err=True)
    several = len(reports) > 1
    only = reports[names[0]]
    click.echo(format_comparison(reports) if several else format_table(only))
    if json_path:
        write_comparison_json(reports, json_path) if several else write_json(only, json_path)
        click.echo(f"wrote {json_path}")
    if html_path:
        if several:
            write_comparison_html(reports, html_path, thresholds)
        else:
            write_html(only, html_path, thresholds)
        click.echo(f"wrote {html_path}")
    if thresholds is None:
        if gate:
            raise click.ClickException(
                f"--gate needs thresholds, {thresholds_path or f'the {corpus.name} corpus has none'}"
                + (" not found" if thresholds_path else "")
            )
        return
    violations = check_runs(reports, thresholds) if several else check(only, thresholds)
    if not violations:
        click.echo(f"gate: all thresholds in {thresholds_path} met")
        return
    if not gate:
        click.echo(f"gate: {len(violations)} threshold(s) missed (use --gate to fail on them)")
        return
    for violation in violations:
        click.echo(f"gate: {violation}", err=True)
    sys.exit(1)
