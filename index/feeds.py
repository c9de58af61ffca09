"""Feeds followed: the list in the data dir, and a feed's items read with feedparser.

The list is `<data dir>/feeds.json`: each feed's address, title, when it was added, its
ETag/Last-Modified (sent back so an unchanged feed answers 304), and when and how it was last
updated. It is rewritten whole through a temporary file and a rename, so a crash leaves the old
list or the new one, never half of each.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from index.errors import IndexingError
from index.web import url_key

FEEDS_FILE = "feeds.json"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
_lock = threading.Lock()  # read-modify-write of the list, within this process


class FeedListError(IndexingError):
    """The feed list can't be read or written (bad JSON, a read-only data dir)."""


class NotAFeed(ValueError):
    """The content isn't an RSS or Atom feed; the message says what it looks like instead."""


@dataclass(frozen=True)
class Feed:
    url: str
    title: str | None = None
    added: str | None = None  # ISO time, UTC
    etag: str | None = None
    last_modified: str | None = None
    updated: str | None = None  # ISO time, UTC, of the last update that reached the feed
    result: str | None = None  # how that went: "3 new", "unchanged", "failed: ..."


@dataclass(frozen=True)
class Item:
    link: str | None
    guid: str | None
    title: str | None
    summary: str  # plain text
    date: str | None  # ISO YYYY-MM-DD


@dataclass(frozen=True)
class Parsed:
    title: str | None
    items: list[Item]
    problem: str | None = None  # what is wrong with a feed read in part (broken XML)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class FeedList:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FEEDS_FILE

    def load(self) -> list[Feed]:
        if not self.path.exists():
            return []
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            known = {f.name for f in fields(Feed)}
            return [Feed(**{k: v for k, v in f.items() if k in known}) for f in raw["feeds"]]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise FeedListError(
                f"the feed list {self.path} can't be read ({type(err).__name__}: {err}); "
                "fix or delete it"
            ) from None

    def find(self, url: str) -> Feed | None:
        key = url_key(url)
        return next((f for f in self.load() if url_key(f.url) == key), None)

    def add(self, feed: Feed) -> bool:
        """Follow the feed; False when it is followed already."""
        with _lock:
            feeds = self.load()
            if any(url_key(f.url) == url_key(feed.url) for f in feeds):
                return False
            self._save([*feeds, feed])
            return True

    def remove(self, url: str) -> Feed | None:
        with _lock:
            feeds = self.load()
            gone = next((f for f in feeds if url_key(f.url) == url_key(url)), None)
            if gone is not None:
                self._save([f for f in feeds if f is not gone])
            return gone

    def record(self, url: str, **changes) -> None:
        """Change one feed's fields (after an update); a feed removed meanwhile stays removed."""
        with _lock:
            feeds = self.load()
            key = url_key(url)
            self._save([replace(f, **changes) if url_key(f.url) == key else f for f in feeds])

    def _save(self, feeds: list[Feed]) -> None:
        text = json.dumps({"feeds": [asdict(f) for f in feeds]}, indent=2, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".feeds-", suffix=".part", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text + "\n")
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as err:
            raise FeedListError(f"the feed list {self.path} can't be written: {err}") from None


def parse_feed(content: bytes, url: str, content_type: str = "") -> Parsed:
    """A feed's title and items (RSS or Atom, as feedparser reads them, relative links made
    absolute against `url`). Raises NotAFeed for anything else: a web page, broken XML with no
    item in it, an empty answer."""
    import feedparser

    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    # a file-like object: given bytes or a str, feedparser may take them for a file name
    try:
        parsed = feedparser.parse(io.BytesIO(content), response_headers=headers)
    except Exception as err:  # feedparser is lenient; whatever it still chokes on is one line
        raise NotAFeed(f"could not be read as a feed ({type(err).__name__})") from None
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(problem, _benign()):  # a charset or content type it read past
        problem = None
    if not parsed.entries and (problem or not parsed.version):
        raise NotAFeed(_what_instead(content, parsed))
    items = [_item(entry) for entry in parsed.entries]
    title = parsed.feed.get("title")
    return Parsed(
        title=" ".join(title.split()) or None if title else None,
        items=items,
        problem=f"malformed ({_first_line(problem)}); the items before the fault were read"
        if problem else None,
    )


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:120]


def _what_instead(content: bytes, parsed) -> str:
    head = content[:2048].lstrip().lower()
    if not head:
        return "is empty, not a feed"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "is a web page, not an RSS or Atom feed"
    problem = parsed.get("bozo_exception")
    detail = f" ({_first_line(problem)})" if problem else ""
    return f"is not a readable RSS or Atom feed{detail}"


def _item(entry) -> Item:
    summary = entry.get("summary") or next(
        (c.get("value") for c in entry.get("content", []) if c.get("value")), ""
    )
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    title = entry.get("title")
    link = entry.get("link")
    return Item(
        link=link if isinstance(link, str) and link.startswith(("http://", "https://")) else None,
        guid=entry.get("id") or None,
        title=" ".join(title.split()) or None if title else None,
        summary=plain_text(summary or ""),
        date=time.strftime("%Y-%m-%d", stamp) if stamp else None,
    )


def _benign():
    import feedparser

    return (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


_BLOCKS = ("p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")


def plain_text(fragment: str) -> str:
    """A feed's HTML summary as text: a line per paragraph, tags and entities gone."""
    if "<" not in fragment:
        import html

        return _lines(html.unescape(fragment))
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _lines(re.sub(r"<[^>]+>", " ", fragment))
    for element in tree.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
    return _lines(tree.text_content())


def _lines(text: str) -> str:
    return "\n".join(line for line in (" ".join(raw.split()) for raw in text.splitlines()) if line)
