"""`assistant chat`: kept to click at import time so `assistant --help` stays fast."""

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=7860, show_default=True, type=int, help="Port to listen on.")
def chat_command(host: str, port: int) -> None:
    """Start the web chat (Gradio) on the indexed articles."""
    raise click.ClickException("the web chat is not built yet")
