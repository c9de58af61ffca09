"""Pages from the web as articles of the corpus: `<corpus>/web/<site>/<slug>.md`.

A fetched page is stored as the Markdown of its extracted main text under YAML front matter
(`title`, `date`, `url` the page's canonical address, `source` the address asked for,
`fetched`, and for a feed's items `feed`, `guid` and, when only the feed's summary could be
had, `summary_only: true`). Markdown rather than the page's HTML: the file is then exactly the
text a citation quotes, readable and small; it holds what a page can't (where it came from,
that it is only a summary); and a feed item whose page is gone is stored the same way. The
page itself is not kept.

The site folder and slug come from the canonical address, so one article reached by two
addresses lands on one file. Files are written through a hidden temporary file and renamed,
so the corpus never holds half an article.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from index.corpus import WEB_DIR, article_from_text, front_matter, write_article

MAX_SLUG = 80
_lock = threading.Lock()  # one writer at a time: the check for a file and its writing


@dataclass(frozen=True)
class WebArticle:
    title: str
    text: str
    url: str  # the page's canonical address (else where it was fetched from)
    source: str  # the address asked for (a link given, a feed item's link)
    date: str | None = None  # ISO YYYY-MM-DD: the page's, else the feed entry's
    feed: str | None = None
    guid: str | None = None
    summary_only: bool = False
    page_problem: str | None = field(default=None, compare=False)  # why only the summary; not stored

    def markdown(self, fetched: str) -> str:
        import yaml

        meta = {"title": self.title, "date": self.date, "url": self.url, "source": self.source,
                "fetched": fetched, "feed": self.feed, "guid": self.guid,
                "summary_only": self.summary_only or None}
        head = yaml.safe_dump(
            {k: v for k, v in meta.items() if v is not None},
            sort_keys=False, allow_unicode=True, width=10**6,
        )
        return f"---\n{head}---\n{self.text.strip()}\n"


def url_key(url: str) -> str:
    """An address as compared for "already here": scheme and host in lower case, no default
    port, no fragment, no utm_* tracking parameters, no trailing slash."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not k.lower().startswith("utm_")])
    return urlunsplit((scheme, host, parts.path.rstrip("/") or "/", query, ""))


def site_folder(url: str) -> str:
    """The folder of a site: its host (and a port other than the default), as a safe name."""
    parts = urlsplit(url)
    name = (parts.hostname or "unknown").lower()
    if parts.port:
        name += f"_{parts.port}"
    return re.sub(r"[^a-z0-9._-]+", "-", name).strip(".-") or "unknown"


def slug(url: str) -> str:
    """A file name from the address's path: its last part ("2017/03/harbour-dredging.html" ->
    "harbour-dredging"), with the part before when the last is only a number; a query adds a
    short hash of itself, since it may be what tells two articles apart."""
    parts = urlsplit(url)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    segments[-1:] = [re.sub(r"\.(s?html?|php|aspx?|jsp)$", "", segments[-1], flags=re.I)] if segments else []
    words = segments[-1:]
    if len(segments) > 1 and re.fullmatch(r"[\d_-]*", words[0]):
        words = segments[-2:]
    ascii_words = unicodedata.normalize("NFKD", "-".join(words)).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_words.lower()).strip("-")
    name = name[:MAX_SLUG].rstrip("-") or "index"
    if parts.query:
        name += "-" + _short_hash(parts.query)
    return name


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Stored:
    id: str  # the article id: web/<site>/<slug>
    path: Path
    meta: dict


class WebFolder:
    """The corpus's web/ folder: what is in it, by address, and writing a new page into it."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.root = self.corpus_dir / WEB_DIR
        self._by_key: dict[str, str] | None = None

    def articles(self) -> list[Stored]:
        """Every readable article file of the folder, with its front matter."""
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(self.root.rglob("*.md")):
            relative = path.relative_to(self.corpus_dir)
            if any(part.startswith(".") for part in relative.parts):
                continue
            found.append(Stored(relative.with_suffix("").as_posix(), path, _meta(path)))
        return found

    def find(self, *urls: str | None, guid: str | None = None) -> str | None:
        """The id of the article that has any of these addresses (as its url or source), or
        this feed entry's `guid_key`; None when there is none."""
        if self._by_key is None:
            self._by_key = {}
            for stored in self.articles():
                for key in _keys(stored.meta):
                    self._by_key.setdefault(key, stored.id)
        keys = [url_key(u) for u in urls if u] + ([guid] if guid else [])
        return next((self._by_key[k] for k in keys if k in self._by_key), None)

    def remember(self, urls: dict[str, str]) -> None:
        """Count addresses held elsewhere (the index's articles: id -> url) as already here."""
        self.find()
        for article_id, url in urls.items():
            self._by_key.setdefault(url_key(url), article_id)

    def write(self, article: WebArticle, fetched: str) -> tuple[str, bool]:
        """Store the article unless an article with its address is here; (its id, whether it
        was written). Raises ValueError when the text would not be read as an article."""
        text = article.markdown(fetched)
        with _lock:
            same = self.find(article.url, article.source, guid=guid_key(article.feed, article.guid))
            if same is not None:
                return same, False
            folder = self.root / site_folder(article.url)
            name = slug(article.url)
            for path in (folder / f"{name}.md", folder / f"{name}-{_short_hash(url_key(article.url))}.md"):
                article_id = path.relative_to(self.corpus_dir).with_suffix("").as_posix()
                if not path.exists():
                    break
                if url_key(article.url) in _keys(_meta(path)):  # written since this folder was read
                    return article_id, False
            else:
                raise ValueError(f"its file names in {folder} are taken by other articles")
            article_from_text(article_id, text)  # as the corpus will read it, or ValueError
            _write_new(path, text)
            for key in _keys({"url": article.url, "source": article.source,
                              "feed": article.feed, "guid": article.guid}):
                self._by_key.setdefault(key, article_id)
        return article_id, True

    def of_feed(self, feed_url: str) -> list[Stored]:
        key = url_key(feed_url)
        return [s for s in self.articles() if s.meta.get("feed") and url_key(str(s.meta["feed"])) == key]

    def delete(self, stored: list[Stored]) -> int:
        """Delete these article files, and the site folders they leave empty."""
        with _lock:
            for item in stored:
                item.path.unlink(missing_ok=True)
                if item.path.parent != self.root:
                    with contextlib.suppress(OSError):  # only when empty
                        item.path.parent.rmdir()
            self._by_key = None
        return len(stored)


def guid_key(feed: str | None, guid: str | None) -> str | None:
    """A feed entry's id, as an address of its own: a short guid ("1") is unique in one feed."""
    return f"guid {guid} of {url_key(feed)}" if feed and guid else None


def _keys(meta: dict) -> list[str]:
    urls = [url_key(str(meta[k])) for k in ("url", "source") if meta.get(k)]
    guid = guid_key(str(meta.get("feed") or "") or None, str(meta.get("guid") or "") or None)
    return urls + ([guid] if guid else [])


def _meta(path: Path) -> dict:
    try:
        return front_matter(path.read_text(encoding="utf-8"))[0]
    except (OSError, UnicodeDecodeError):
        return {}


def _write_new(target: Path, text: str) -> None:
    write_article(target, text.encode("utf-8"))
