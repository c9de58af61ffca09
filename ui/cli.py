"""`assistant chat`: kept to click at import time so `assistant --help` stays fast."""

import click

from ui.feeds import EVERY


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=7860, show_default=True, type=int, help="Port to listen on.")
@click.option("--update-every", type=EVERY, default=None,
              help="Update the followed feeds this often while serving (30m, 2h; at least 1m).")
def chat_command(host: str, port: int, update_every: float | None) -> None:
    """Start the web chat (Gradio) on the indexed articles.

    \b
    It listens on 127.0.0.1 only, unless --host says otherwise (e.g. 0.0.0.0 to
    serve your network). Set ASSISTANT_UI_AUTH=user:password to require a login.
    Never creates a public share link.
    """
    from assistant.cli import UserError, load_settings
    from assistant.errors import CorpusError, IndexingError, StoreError

    settings = load_settings()
    from ui.app import auth_from_env, is_loopback, launch

    try:
        auth = auth_from_env(settings.ui_auth)
    except ValueError as err:
        raise UserError(str(err)) from None
    if not is_loopback(host) and auth is None:
        click.echo(
            f"warning: serving on {host} without a login; set ASSISTANT_UI_AUTH=user:password",
            err=True,
        )
    try:
        demo = launch(settings, host, port, auth=auth, prevent_thread_lock=True, quiet=True,
                      update_every=update_every)
    except (CorpusError, IndexingError, StoreError) as err:
        raise UserError(str(err)) from None
    except OSError as err:
        raise UserError(f"cannot serve on {host}:{port}: {err}") from None
    click.echo(f"Web chat on {demo.local_url}  (Ctrl+C to stop)")
    try:
        demo.block_thread()
    finally:
        demo.close()
