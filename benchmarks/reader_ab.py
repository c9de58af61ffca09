"""Two reader configurations on the same questions, interleaved: what a setting costs or saves.

    python -m benchmarks.reader_ab --sample 12 --b first_read_tokens=250
    python -m benchmarks.reader_ab --b llm_model_path=~/models/other.gguf --json ab.json
    python -m benchmarks.reader_ab --category several --b facts_at_least=1

Side `a` runs the settings as they are (environment included); side `b` the same with each
`--b name=value` applied. Both answer the same eval questions through the product's answer
path (`reader_bench.reader_side`), one question at a time, and who goes first alternates, so
the machine's background load weighs on both alike (these machines are shared: a ratio within
one run is the figure to read, not a time). Per question, b's time over a's; then the p50 of
those ratios beside each side's own figures (time to first answer text, answer time, prompt
tokens, prefill speed, accuracy on the sample).

When both sides run the same model file they share one loaded model, and each keeps a KV cache
of its own (`reader_bench.OwnCaches` in-process, `SlotCaches` on the native build's server), cut
to its fixed instructions as a long-running chat's would be; with two files each side has its
own model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import click
import numpy as np

from benchmarks.reader_bench import (
    WARMUP_QUESTION,
    ReaderUnavailable,
    interleave,
    load_reader,
    own_caches,
    reader_side,
    sample_items,
    scores,
    summarise,
)

SIDES = ("a", "b")


def overrides(pairs: tuple[str, ...], settings) -> dict:
    """`name=value` pairs as a settings update, each value parsed as the setting's own type."""
    fields = type(settings).model_fields
    update: dict = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().lower().removeprefix("assistant_")
        if not sep or name not in fields:
            raise click.BadParameter(f"{pair!r}: expected name=value with a setting's name")
        update[name] = value
    # validated as the environment would be: a wrong value is the settings' own message
    return type(settings).model_validate({**settings.model_dump(), **update}).model_dump(
        include=set(update)
    )


def ratios(a_runs, b_runs, attr: str) -> list[float]:
    """Per question, b's figure over a's (questions either side failed or lacked are left out)."""
    out = []
    for a, b in zip(a_runs, b_runs, strict=True):
        x, y = getattr(a, attr), getattr(b, attr)
        if a.error is None and b.error is None and x and y:
            out.append(y / x)
    return out


def measure(settings, changes: dict, sample: int, category: str | None = None) -> dict:
    from assistant.engine import get_engine
    from evals.corpus import load_articles

    items = sample_items(sample, category=category)
    if not items:
        raise click.ClickException(f"no answerable eval questions of category {category!r}")
    engine = get_engine(settings)
    engine.ensure_index()
    variants = {"a": settings, "b": settings.model_copy(update=changes)}
    readers = {name: load_reader(s) for name, s in variants.items()}
    sides = {
        name: reader_side(engine.retriever, readers[name], variants[name]) for name in SIDES
    }
    model = readers["a"].model
    shared = readers["a"] is readers["b"]
    caches = own_caches(model) if shared else None
    interleave([SimpleNamespace(id="warm-up", question=WARMUP_QUESTION)], sides, caches)
    runs = interleave(items, sides, caches)
    articles = load_articles(settings.corpus_dir)
    out = {name: summarise(items, runs[name], articles) for name in SIDES}
    correct = {name: scores(items, runs[name], articles) for name in SIDES}
    for attr, key in (("answer_s", "answer"), ("first_token_s", "first_token")):
        r = ratios(runs["a"], runs["b"], attr)
        out[f"b_over_a_{key}_p50"] = round(float(np.median(r)), 3) if r else None
        out[f"b_over_a_{key}_each"] = [round(x, 3) for x in r]
    out["b"]["changes"] = {k: str(v) for k, v in changes.items()}
    out["shared_model"] = shared
    out["items"] = [
        {"id": item.id, **{n: {"answer_s": round(runs[n][k].answer_s, 2), "correct": correct[n][k]}
                           for n in SIDES}}
        for k, item in enumerate(items)
    ]
    return out


@click.command()
@click.option("--b", "changes", multiple=True, required=True, metavar="NAME=VALUE",
              help="A setting side b changes (repeatable), e.g. first_read_tokens=250.")
@click.option("--sample", default=12, show_default=True, type=click.IntRange(1),
              help="Answerable eval questions, evenly spread over the set.")
@click.option("--category", default=None, metavar="NAME",
              help="Only questions of this eval category, e.g. several.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every figure as JSON.")
def main(
    changes: tuple[str, ...], sample: int, category: str | None, json_path: Path | None
) -> None:
    from assistant.settings import Settings

    settings = Settings().model_copy(update={"backend": "reader"})
    update = overrides(changes, settings)
    try:
        out = measure(settings, update, sample, category)
    except ReaderUnavailable as err:
        raise click.ClickException(str(err)) from None
    keys = ("first_token_p50_s", "answer_p50_s", "prompt_tokens_computed_p50",
            "prefill_tokens_per_s", "accuracy")
    click.echo("side  " + "  ".join(f"{k:>26}" for k in keys))
    for name in SIDES:
        click.echo(f"{name:<5} " + "  ".join(f"{out[name][k]!s:>26}" for k in keys))
    click.echo(f"b: {update}")
    click.echo(f"b / a per question, p50: answer {out['b_over_a_answer_p50']}, "
               f"first answer text {out['b_over_a_first_token_p50']}")
    if json_path:
        json_path.write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
        click.echo(f"wrote {json_path}", err=True)


if __name__ == "__main__":
    main(sys.argv[1:])
