"""Saved web pages: the article's own text, headline, date and address, out of the page.

A saved page is mostly not the article: menus, share buttons, cookie notes, related links,
comments. trafilatura takes out the main text and the metadata (its date comes from htmldate,
which reads the page's markup, not the text's first date-like string). It was chosen over
readability-lxml and jusText on 884 real saved pages with hand-written gold
(`benchmarks/html_extract.py`, figures in the README): the best recall of the article's text at
the same precision, and the only one of the three that finds a date and a url. The extracted
text is what a citation quotes, so the index stores it (`article_text()` returns it) and
offsets never depend on running the extractor again; the page's hash, with the extractor's
version, decides when it is read again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from index.exports import iso_date

HTML_SUFFIXES = (".html", ".htm")
# trafilatura's own knobs (its settings.cfg): main text shorter than this is a page without an
# article (a menu, an index page), skipped with a warning; dates only from the page's markup
# (meta tags, <time>, the url), not the first date-like string of the text, which is as often
# an event's date as the publication's.
MIN_ARTICLE_CHARS = 100


@dataclass(frozen=True)
class Page:
    text: str  # the main text, paragraphs a line each
    title: str | None
    date: str | None  # ISO YYYY-MM-DD
    url: str | None


@cache
def extractor_version() -> str:
    """Part of a page's hash: a new extractor may read the same page differently."""
    from importlib.metadata import version

    return f"trafilatura {version('trafilatura')}"


def extract(html: bytes | str) -> Page:
    """The page's article. Comments are left out (they are readers' words, not the report's);
    tables stay (news tables hold figures people ask about). Raises ValueError when the page
    has no main text. Bytes are decoded by the page's own charset (saved pages aren't always
    UTF-8)."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=True,
            include_images=False, include_links=False, config=_config(),
        )
    except Exception as err:  # one page the parser chokes on is skipped, not the whole index
        raise ValueError(f"could not be read as a web page ({type(err).__name__})") from None
    text = (getattr(doc, "text", None) or "").strip()
    if not text:
        raise ValueError("has no article text that could be extracted from the page")
    url = getattr(doc, "url", None)
    return Page(
        text=text,
        title=_clean(getattr(doc, "title", None)),
        date=iso_date(getattr(doc, "date", None)),
        url=url if isinstance(url, str) and url.startswith(("http://", "https://")) else None,
    )


@cache
def _config():
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", str(MIN_ARTICLE_CHARS))
    config.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")
    return config


def _clean(value: object) -> str | None:
    return (" ".join(value.split()) or None) if isinstance(value, str) else None
