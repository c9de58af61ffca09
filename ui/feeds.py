"""Links and feeds in the web chat: a link for the "Add an article" panel, and feed updates in
the background while the chat runs (`assistant chat --update-every 30m`).

The functions only; the app wires them. The updater's thread holds no chat state: it writes
into the corpus and updates the shared engine's index, which the engine serialises.
Only click is imported at load time, so `ui/cli.py` can use `EVERY` cheaply.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading

import click

log = logging.getLogger(__name__)

MIN_EVERY = 60.0  # a feed is not asked more than once a minute
_UNITS = {"s": 1, "m": 60, "h": 3600}


def add_link(engine, url: str) -> str:
    """Fetch the page at `url` into the corpus and index it; one line saying how it went."""
    from index.errors import IndexingError
    from index.fetch import FetchError
    from index.updates import add_links

    try:
        report = add_links(engine.settings, lambda: engine, [url])
    except (FetchError, IndexingError) as err:
        return f"Not added: {err}"
    except Exception as err:  # noqa: BLE001 - the panel says so; the log has the traceback
        log.exception("adding the link %s failed", url)
        return f"Not added: {_reason(err)}"
    if report.new:
        a = report.new[0]
        dated = f" ({a.date})" if a.date else ""
        return f"Added “{a.title}”{dated} as {a.id}; ask about it now."
    if report.already:
        return f"Already here: {report.already[0]}."
    return f"Not added: {report.failed[0]}"


class Updater:
    """Runs `assistant update` every `every_seconds` in a daemon thread, the first time at
    once (or after `first_after` seconds); `status()` says when it last ran and what came."""

    def __init__(self, engine, every_seconds: float, first_after: float = 0.0) -> None:
        if every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        self.engine = engine
        self.every = every_seconds
        self._status = "Feeds not updated yet."
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, args=(first_after,), daemon=True, name="feed-updates"
        )
        self._thread.start()

    def status(self) -> str:
        with self._lock:
            return self._status

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the update under way, if any (waiting for it at most `timeout` s)."""
        self._stopping.set()
        self._thread.join(timeout)

    def run_once(self) -> str:
        """One update now; its status line (also what `status()` returns after)."""
        from index.feeds import FeedList
        from index.updates import update

        settings = self.engine.settings
        try:
            if not FeedList(settings.data_dir).load():
                return self._set("No feeds followed.")
            self._set("Updating the feeds…")
            report = update(settings, lambda: self.engine)
        except Exception as err:  # noqa: BLE001 - a bad update must not end the thread
            log.exception("updating the feeds failed")
            return self._set(f"Last update {_clock()} failed: {_reason(err)}")
        new = len(report.new)
        line = f"Last updated {_clock()}, {new} new article{'' if new == 1 else 's'}"
        if report.failed:
            line += f" ({len(report.failed)} failed: {report.failed[0]})"
        return self._set(line + ".")

    def _loop(self, first_after: float) -> None:
        if self._stopping.wait(first_after):
            return
        while not self._stopping.is_set():
            self.run_once()
            self._stopping.wait(self.every)

    def _set(self, status: str) -> str:
        with self._lock:
            self._status = status
        return status


def parse_every(value: str) -> float:
    """'90s', '30m', '1.5h' -> seconds; at least a minute. Raises ValueError saying why."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh])\s*", str(value).lower())
    if not match:
        raise ValueError(f"{value!r} is not a duration like 90s, 30m or 2h")
    seconds = float(match[1]) * _UNITS[match[2]]
    if seconds < MIN_EVERY:
        raise ValueError(f"{value} is too often: feeds are updated at most once a minute")
    return seconds


class Every(click.ParamType):
    """A click option type for `--update-every 30m` (seconds as a float)."""

    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            return parse_every(value)
        except ValueError as err:
            self.fail(str(err), param, ctx)


EVERY = Every()


def _clock() -> str:
    return dt.datetime.now().strftime("%H:%M")


def _reason(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:200]
