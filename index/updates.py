"""Keeping the corpus current: links added, feeds followed and updated, then indexed.

Each step writes new articles into the corpus's web/ folder first (`index/web.py`) and indexes
them after, incrementally. Nothing already here is rewritten or dropped by an update, and a
failure of one feed or page is a line in the report, not the end of the run. The engine is
asked for only when something was written (or must be checked against the index), so an update
whose feeds all answer 304 costs a request per feed and no model load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from index.errors import IndexingError
from index.feeds import FEED_ACCEPT, Feed, FeedList, Item, NotAFeed, now, parse_feed
from index.fetch import Fetched, Fetcher, FetchError, check_url
from index.web import WebArticle, WebFolder, guid_key

if TYPE_CHECKING:  # index.build brings chromadb: not loaded for an update with nothing new
    from index.build import IndexReport

HTML_TYPES = ("", "text/html", "application/xhtml+xml")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"

# (stage, total) -> a function to call with each step done; the CLI draws tqdm bars with it
Progress = Callable[[str, int], Callable[[int], None]]


@dataclass(frozen=True)
class Added:
    id: str
    title: str
    date: str | None
    url: str
    only_summary_because: str | None = None  # why the page couldn't be had, for a feed item


@dataclass
class Report:
    new: list[Added] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # ids (or a feed item's address) here
    failed: list[str] = field(default_factory=list)  # "address: why", one per failure
    feeds: list[str] = field(default_factory=list)  # a line per feed: how its update went
    index: IndexReport | None = None

    def summary(self) -> str:
        return f"{len(self.new)} new, {len(self.already)} already here, {len(self.failed)} failed"


def add_links(
    settings, engine: Callable[[], object], urls: Iterable[str], progress: Progress | None = None
) -> Report:
    """Fetch each page, store its article in the corpus and index the new ones. An address
    that isn't http(s) raises BadURL before anything is fetched."""
    urls = [check_url(u) for u in urls]
    web = WebFolder(settings.corpus_dir)
    report = Report()
    if any(web.find(url) is None for url in urls):
        web.remember(engine().store.article_urls())  # a top-level file or page with the address
    todo = []
    for url in urls:
        same = web.find(url)
        if same is not None:
            report.already.append(same)
        else:
            todo.append(url)
    if todo:
        step = progress("fetching", len(todo)) if progress else None
        with Fetcher.from_settings(settings) as fetcher:
            for url in todo:
                _add(report, web, lambda u=url: _page(fetcher, u, None, None))
                if step:
                    step(1)
    _index_new(report, settings, engine, progress)
    return report


def follow(settings, url: str) -> tuple[Feed, int | None]:
    """Add a feed to the list, after checking it is one: (the feed, its number of items, or
    None when it was followed already). Raises FetchError or NotAFeed saying why not."""
    url = check_url(url)
    feeds = FeedList(settings.data_dir)
    known = feeds.find(url)
    if known is not None:
        return known, None
    with Fetcher.from_settings(settings) as fetcher:
        got = fetcher.get(url, accept=FEED_ACCEPT)
    try:
        parsed = parse_feed(got.content, got.url, got.content_type)
    except NotAFeed as err:
        raise NotAFeed(f"{url} {err}") from None
    # no ETag kept yet: the first update must read the items, not be told "not modified"
    feed = Feed(url=url, title=parsed.title, added=now())
    feeds.add(feed)
    return feed, len(parsed.items)


def update(settings, engine: Callable[[], object], progress: Progress | None = None) -> Report:
    """Read every feed followed; store each new item's page (or, when the page can't be had,
    the feed's own summary of it, marked `summary_only`); index what is new."""
    feeds = FeedList(settings.data_dir)
    web = WebFolder(settings.corpus_dir)
    report = Report()
    with Fetcher.from_settings(settings) as fetcher:
        read = [(feed, *got) for feed in feeds.load()
                if (got := _read_feed(fetcher, feed, feeds, report)) is not None]
        if any(not _here(web, feed, i) for feed, _, parsed in read for i in parsed.items):
            web.remember(engine().store.article_urls())  # a top-level file with the address
        fresh = [[i for i in p.items if not _here(web, feed, i)] for feed, _, p in read]
        step = progress("fetching", sum(map(len, fresh))) if progress else None
        for (feed, fetched, parsed), todo in zip(read, fresh):
            items = parsed.items
            counts = len(report.new), len(report.failed)
            report.already += [feed.url] * (len(items) - len(todo))
            for item in todo:
                _add(report, web, lambda f=feed, i=item: _item_page(fetcher, f, i))
                if step:
                    step(1)
            new, failed = len(report.new) - counts[0], len(report.failed) - counts[1]
            here = len(items) - new - failed
            result = f"{new} new, {here} already here" + (f", {failed} failed" if failed else "")
            result += f"; the feed is {parsed.problem}" if parsed.problem else ""
            report.feeds.append(f"{feed.url}: {result}")
            # validators kept only when every item is in: a 304 would hide the failed ones
            validators = {} if failed or parsed.problem else {"etag": fetched.etag, "last_modified": fetched.last_modified}
            feeds.record(feed.url, updated=now(), result=result, **validators)
    _index_new(report, settings, engine, progress)
    return report


def _here(web: WebFolder, feed: Feed, item: Item) -> bool:
    return web.find(item.link, guid=guid_key(feed.url, item.guid)) is not None


def unfollow(
    settings, engine: Callable[[], object], url: str, delete_articles: bool = False
) -> tuple[Feed | None, int, IndexReport | None]:
    """Stop following a feed: (the feed, or None if it wasn't followed; how many of its
    articles were deleted; the index report when some were). Articles a feed brought stay
    unless `delete_articles`."""
    gone = FeedList(settings.data_dir).remove(url)
    if not delete_articles:
        return gone, 0, None
    web = WebFolder(settings.corpus_dir)
    deleted = web.delete(web.of_feed(url))
    return gone, deleted, (engine().index(Path(settings.corpus_dir)) if deleted else None)


def _read_feed(fetcher: Fetcher, feed: Feed, feeds: FeedList, report: Report):
    """(the response, the feed read), or None when there is nothing to do or it failed."""
    try:
        got = fetcher.get(feed.url, feed.etag, feed.last_modified, accept=FEED_ACCEPT)
        if got.not_modified:
            report.feeds.append(f"{feed.url}: unchanged")
            feeds.record(feed.url, updated=now(), result="unchanged")
            return None
        parsed = parse_feed(got.content, got.url, got.content_type)
    except (FetchError, NotAFeed) as err:
        reason = str(err) if str(err).startswith(feed.url) else f"{feed.url} {err}"
        report.failed.append(reason)
        report.feeds.append(f"{feed.url}: failed")
        feeds.record(feed.url, updated=now(), result=f"failed: {reason}")
        return None
    if parsed.title and parsed.title != feed.title:
        feeds.record(feed.url, title=parsed.title)
    return got, parsed


def _add(report: Report, web: WebFolder, article: Callable[[], WebArticle]) -> None:
    try:
        made = article()
    except ValueError as err:  # a FetchError, or a page that isn't an article
        report.failed.append(str(err))
        return
    try:
        article_id, written = web.write(made, now())
    except ValueError as err:  # its text would not be read as an article (empty)
        report.failed.append(f"{made.source}: {err}")
        return
    except OSError as err:  # the corpus folder can't be written: every other item would fail too
        raise IndexingError(f"cannot write into the corpus folder: {err}") from None
    if not written:
        report.already.append(article_id)
        return
    report.new.append(Added(article_id, made.title, made.date, made.url, made.page_problem))


def _page(fetcher: Fetcher, url: str, feed: str | None, item: Item | None) -> WebArticle:
    """The article of the page at `url`; raises FetchError or ValueError ("<url> is not ...")."""
    from index.corpus import headline
    from index.html import extract

    got = fetcher.get(url, accept=PAGE_ACCEPT)
    if got.content_type not in HTML_TYPES:
        raise FetchError(f"{url}: not a web page ({got.content_type})")
    try:
        page = extract(got.content)
    except ValueError as err:
        raise ValueError(f"{url}: not an article (it {err})") from None
    return WebArticle(
        title=page.title or (item.title if item else None) or headline(page.text),
        text=page.text,
        url=_canonical(page.url, got),
        source=url,
        date=page.date or (item.date if item else None),
        feed=feed,
        guid=item.guid if item else None,
    )


def _canonical(declared: str | None, got: Fetched) -> str:
    """The page's own address for itself, unless it names its site's home page (some sites
    do on every article), which would make all of them one article."""
    if declared and urlsplit(declared).path.strip("/"):
        return declared
    return got.url


def _item_page(fetcher: Fetcher, feed: Feed, item: Item) -> WebArticle:
    """A feed item's page; when it can't be had, the feed's own summary of it, marked so."""
    if item.link:
        try:
            return _page(fetcher, item.link, feed.url, item)
        except (FetchError, ValueError) as err:
            why = str(err)
    else:
        why = "the item has no link"
    why = _after_url(why)
    if not (item.summary and item.title):
        raise FetchError(f"{item.link or item.title or feed.url}: {why}, and the feed gives no summary")
    return WebArticle(
        title=item.title, text=item.summary, url=item.link or _item_address(feed, item),
        source=item.link or feed.url, date=item.date, feed=feed.url, guid=item.guid,
        summary_only=True, page_problem=why,
    )


def _after_url(why: str) -> str:
    head, sep, tail = why.partition(": ")
    return tail if sep and head.startswith(("http://", "https://")) else why


def _item_address(feed: Feed, item: Item) -> str:
    """An address for an item without a link: the feed's, told apart by the item's id."""
    from index.web import url_key

    return f"{url_key(feed.url)}#{item.guid or item.title}"


def _index_new(report: Report, settings, engine, progress: Progress | None) -> None:
    if not report.new:
        return
    step: list[Callable[[int], None]] = []

    def on_todo(n: int) -> None:
        if progress:
            step.append(progress("indexing", n))

    try:
        report.index = engine().index(
            Path(settings.corpus_dir), progress=lambda n: step and step[-1](n), on_todo=on_todo
        )
    except IndexingError as err:
        raise IndexingError(
            f"{len(report.new)} new article(s) are in the corpus but were not indexed: {err}"
        ) from err
