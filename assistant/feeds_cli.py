"""`assistant add`, `assistant feeds ...` and `assistant update`: news from the web into the
corpus (its web/ folder), indexed as it arrives. Only click is imported at load time."""

from __future__ import annotations

import sys
import time

import click


def _settings():
    from assistant.cli import load_settings

    return load_settings()


def _engine_of(settings):
    from assistant.cli import _engine

    return lambda: _engine(settings)


def _user_error(message: str):
    from assistant.cli import UserError

    return UserError(message)


class _Bars:
    """tqdm bars on stderr, a stage at a time ("fetching", then "indexing"), as `index` draws."""

    def __init__(self) -> None:
        self._bar = None

    def __call__(self, stage: str, total: int):
        from tqdm import tqdm

        self.close()
        if stage == "fetching" and total < 2:  # one page: the bar would only be noise
            return lambda n: None
        self._bar = tqdm(total=total, unit="article", desc=stage, file=sys.stderr, mininterval=0.5)
        return self._bar.update

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _run(work):
    """Run an update step with progress bars; errors a person can act on become exit 2."""
    from index.errors import IndexingError
    from index.feeds import NotAFeed
    from index.fetch import FetchError

    bars = _Bars()
    try:
        return work(bars)
    except (FetchError, NotAFeed, IndexingError) as err:
        raise _user_error(str(err)) from None
    finally:
        bars.close()


def _print_new(report, addresses: bool = True) -> None:
    for a in report.new:
        dated = f", {a.date}" if a.date else ""
        click.echo(f"added {a.id}  “{a.title}”{dated}")
        if addresses:
            click.echo(f"    {a.url}")
        if a.only_summary_because:
            click.echo(f"    the feed's summary only (the page: {a.only_summary_because})")


def _print_totals(report) -> None:
    summary = report.summary()
    if len(report.failed) == 1:
        summary += f" ({report.failed[0]})"
    click.echo(summary)
    if len(report.failed) > 1:
        for why in report.failed:
            click.echo(f"  failed: {why}")
    if report.index is not None:
        for warning in report.index.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(f"index: {report.index.summary()}")


@click.command()
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
def add_command(urls: tuple[str, ...]) -> None:
    """Fetch web pages into the corpus and index them.

    \b
    Each page's article (its main text, title, date and address, as for a
    saved .html page) is stored as <corpus>/web/<site>/<slug>.md and indexed.
    An address already in the corpus (the same page address, or the same
    canonical one) is not added twice. Exit 2 if a page can't be added.
    """
    from index.updates import add_links

    settings = _settings()
    report = _run(lambda bars: add_links(settings, _engine_of(settings), urls, bars))
    _print_new(report)
    for article_id in report.already:
        click.echo(f"already here: {article_id}")
    if report.failed:
        if len(urls) == 1:
            raise _user_error(report.failed[0])
        _print_totals(report)
        raise _user_error(f"{len(report.failed)} of {len(urls)} links could not be added (above)")
    _print_totals(report)


@click.group(name="feeds")
def feeds_group() -> None:
    """Follow RSS and Atom feeds; `assistant update` fetches their new items."""


@feeds_group.command(name="add")
@click.argument("url")
def feeds_add(url: str) -> None:
    """Follow the feed at URL (checked to be RSS or Atom)."""
    from index.updates import follow

    settings = _settings()
    feed, items = _run(lambda bars: follow(settings, url))
    if items is None:
        click.echo(f"already following {feed.url}")
        return
    named = f"“{feed.title}” " if feed.title else ""
    click.echo(f"following {named}{feed.url} ({items} items); `assistant update` fetches them")


@feeds_group.command(name="list")
def feeds_list() -> None:
    """The feeds followed, when each was last updated and how many articles it brought."""
    from index.feeds import FeedList
    from index.web import WebFolder, url_key

    settings = _settings()
    feeds = _run(lambda bars: FeedList(settings.data_dir).load())
    if not feeds:
        click.echo("no feeds followed; add one with: assistant feeds add URL")
        return
    counts: dict[str, int] = {}
    for stored in WebFolder(settings.corpus_dir).articles():
        if stored.meta.get("feed"):
            key = url_key(str(stored.meta["feed"]))
            counts[key] = counts.get(key, 0) + 1
    for feed in feeds:
        named = f"  “{feed.title}”" if feed.title else ""
        click.echo(f"{feed.url}{named}")
        when = _local(feed.updated) if feed.updated else "never"
        done = f" ({feed.result})" if feed.result else ""
        click.echo(f"    {counts.get(url_key(feed.url), 0)} articles; last updated {when}{done}")


@feeds_group.command(name="remove")
@click.argument("url")
@click.option(
    "--delete-articles", is_flag=True,
    help="Also delete the articles the feed brought (from the corpus and the index).",
)
def feeds_remove(url: str, delete_articles: bool) -> None:
    """Stop following the feed at URL; its articles stay unless --delete-articles."""
    from index.updates import unfollow

    settings = _settings()
    feed, deleted, index = _run(
        lambda bars: unfollow(settings, _engine_of(settings), url, delete_articles)
    )
    if feed is None and not deleted:
        raise _user_error(f"not following {url} (see: assistant feeds list)")
    if feed is not None:
        click.echo(f"stopped following {feed.url}")
    if delete_articles:
        click.echo(f"deleted its {deleted} articles")
        if index is not None:
            click.echo(f"index: {index.summary()}")
    else:
        click.echo("its articles stay in the corpus (remove them with --delete-articles)")


@click.command()
def update_command() -> None:
    """Fetch the new items of every feed followed, and index them.

    \b
    A feed that hasn't changed answers 304 and costs one small request. An
    item whose page can't be fetched keeps the feed's summary of it, marked
    summary_only. A feed that is down or isn't a feed is a line of the report.
    """
    from index.feeds import FeedList
    from index.updates import update

    settings = _settings()
    if not _run(lambda bars: FeedList(settings.data_dir).load()):
        click.echo("no feeds followed; add one with: assistant feeds add URL")
        return
    started = time.monotonic()
    report = _run(lambda bars: update(settings, _engine_of(settings), bars))
    for line in report.feeds:
        click.echo(line)
    _print_new(report, addresses=False)
    _print_totals(report)
    click.echo(f"took {time.monotonic() - started:.1f} s", err=True)


def _local(stamp: str) -> str:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp
