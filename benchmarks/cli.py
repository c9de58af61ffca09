"""`assistant bench`: kept to click at import time so `assistant --help` stays fast."""

import click


@click.command()
def bench_command() -> None:
    """Measure indexing and answering speed on a real news corpus."""
    raise click.ClickException("the benchmark is not built yet")
