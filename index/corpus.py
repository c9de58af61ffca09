"""Read the articles: one UTF-8 `.txt`/`.md` file or saved `.html` page per article, or
CSV/JSONL exports of many.

An article's text is its file's bytes decoded as UTF-8 and nothing else: a leading BOM stays
(as the character U+FEFF at offset 0) and line endings stay as they are (CRLF too), so
`open(path, encoding="utf-8", newline="").read()[start:end]` is what a citation quotes. A file
may open with YAML front matter (`title:`, `date:`, `url:`); it stays in the text (offsets are
the file's) but is not indexed. An export row's text is its text field as read (`exports.py`);
a page's is the main text extracted from it (`html.py`), stored with the index.

Pages added from the web (`assistant add`, feeds) live in the corpus's `web/` folder, one
Markdown file each under a folder per site; their ids are their paths there without the
extension (`web/example.org/harbour-dredging`), so they can't collide with a top-level file's.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusError
from index.exports import COLUMNS, EXPORT_SUFFIXES, columns_of, iso_date, row_digest, rows
from index.html import HTML_SUFFIXES

ARTICLE_SUFFIXES = (".txt", ".md")
FILE_SUFFIXES = ARTICLE_SUFFIXES + HTML_SUFFIXES  # a file per article (an export is many)
BOM = "\ufeff"
WEB_DIR = "web"  # the corpus's subfolder of pages fetched from the web (index/web.py)
MAX_ARTICLE_MB = 5.0  # a larger file is skipped unread (Settings.max_article_mb takes this default)
_MB = 2**20


class EmptyCorpusError(CorpusError):
    """The corpus directory exists but holds no article; `warnings` says what was skipped."""

    def __init__(self, message: str, warnings: list[str]) -> None:
        super().__init__(message)
        self.warnings = warnings


@dataclass(frozen=True)
class Article:
    """An article exactly as on disk: citation offsets index into `text`, so it is never altered."""

    id: str
    title: str
    text: str
    sha256: str
    path: Path | None = None
    date: str | None = None  # ISO YYYY-MM-DD, when the front matter or the export says
    url: str | None = None
    body_start: int = 0  # where the indexed text begins (after front matter)


def article_from_text(article_id: str, text: str, path: Path | None = None) -> Article:
    """Validate text as an article; raises ValueError with a reason a person understands."""
    if "\x00" in text:
        raise ValueError("looks binary (contains NUL bytes)")
    meta, body_start = front_matter(text)
    title = _field(meta, "title") or headline(text[body_start:])
    if not title:
        raise ValueError("is empty")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Article(
        id=article_id, title=title, text=text, sha256=digest, path=path,
        date=iso_date(_first(meta, COLUMNS["date"])), url=_field(meta, "url"),
        body_start=body_start,
    )


def front_matter(text: str) -> tuple[dict, int]:
    """A file's YAML front matter (python-frontmatter), and where the text after it begins.
    No front matter, or front matter that isn't YAML mapping: ({}, 0)."""
    if not text.lstrip(BOM).startswith("---"):
        return {}, 0
    import frontmatter

    handler = frontmatter.YAMLHandler()
    try:
        fm, _ = handler.split(text.lstrip(BOM))
        meta = handler.load(fm)
    except Exception:  # not front matter after all (a rule line, bad YAML): all of it is text
        return {}, 0
    if not isinstance(meta, dict):
        return {}, 0
    closing = text.find("---", text.find(fm) + len(fm))
    return meta, text.index("\n", closing) + 1 if "\n" in text[closing:] else len(text)


def _first(meta: dict, names) -> object:
    lower = {str(k).lower(): v for k, v in meta.items()}
    return next((lower[n] for n in names if lower.get(n) not in (None, "")), None)


def _field(meta: dict, field: str) -> str | None:
    value = _first(meta, COLUMNS[field])
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def _reader(row: dict, found: dict[str, str]):
    """A row's field as a string ("" when the column is missing or empty)."""

    def value(field: str) -> str:
        got = row.get(found[field]) if field in found else None
        return "" if got is None else str(got)

    return value


def read_export(
    path: Path, max_mb: float | None = MAX_ARTICLE_MB, columns: dict[str, str] | None = None
) -> tuple[list[Article], list[str]]:
    """The articles of a CSV or JSONL export, one per row with text, and warnings for the rows
    skipped and the dates that could not be read. Raises ValueError when the file as a whole
    can't be read as an export (no text column, not UTF-8, not JSON)."""
    articles: list[Article] = []
    warnings: list[str] = []
    undated = 0
    empty: list[str] = []
    seen: set[str] = set()
    try:
        table = list(rows(path))
    except UnicodeDecodeError as err:
        raise ValueError(f"is not UTF-8 (bad byte at offset {err.start})") from None
    except csv.Error as err:
        raise ValueError(f"is not a readable CSV file ({err})") from None
    if not table:
        raise ValueError("has no rows")
    found = columns_of(list(table[0].keys()), columns)
    for number, row in enumerate(table, 1):
        value = _reader(row, found)
        text = value("text")
        row_id = " ".join(value("id").split()) or str(number)
        article_id = f"{path.stem}:{row_id}"
        if not text.strip():
            empty.append(row_id)
            continue
        if article_id in seen:
            warnings.append(f"skipped {path.name} row {number}: its id {row_id!r} is taken")
            continue
        if max_mb is not None and len(text.encode("utf-8")) > max_mb * _MB:
            warnings.append(f"skipped {path.name} row {row_id}: above the {max_mb:g} MB limit")
            continue
        seen.add(article_id)
        raw_date = value("date")
        date = iso_date(raw_date)
        undated += date is None
        title = " ".join(value("title").split()) or headline(text)
        url = value("url").strip() or None
        articles.append(
            Article(
                id=article_id, title=title, text=text, sha256=row_digest(text, title, date, url),
                path=path, date=date, url=url,
            )
        )
    if empty:
        shown = ", ".join(empty[:10]) + (f" and {len(empty) - 10} more" if len(empty) > 10 else "")
        warnings.append(f"skipped {len(empty)} row(s) of {path.name} with no text: {shown}")
    if undated:
        warnings.append(f"{path.name}: {undated} row(s) with a blank or unreadable date (date None)")
    return articles, warnings


HEADLINE_LINES = 6  # a headline is among an article's first few lines with words in them
HEADLINE_WORDS = 25  # a line longer than this is a paragraph
_WORDS = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")  # "NewsVideo": two words run together
# a page's furniture, not its headline: a line of only these words ("Share", "Top NewsVideo")
_FURNITURE = frozenset(
    "top news video videos share menu home search subscribe advertisement sign log in up out "
    "follow us skip to content close print email more read related live watch listen this the "
    "article page story on".split()
)


def headline(text: str) -> str:
    """The article's headline: the first of its first lines that reads as one.

    Saved pages start with page furniture ("Top NewsVideo", a lone "×", "Share") and some
    articles with their lede, a long sentence of prose, before the headline. The headline is
    the first line that is neither (no more than 25 words, not a long sentence ending in a full
    stop, not only furniture words); without one, the first line with words in it, as before.
    """
    lines = [b for b in (_bare(line) for line in text.splitlines()) if b]
    worded = [line for line in lines if _WORDS.search(line)]
    for line in worded[:HEADLINE_LINES]:
        if not (_furniture(line) or _reads_as_prose(line)):
            return line
    return (worded or lines or [""])[0]


def _furniture(line: str) -> bool:
    words = [w for word in _WORDS.findall(line) for w in _CAMEL.split(word)]
    return all(w.lower() in _FURNITURE for w in words)


def _reads_as_prose(line: str) -> bool:
    """A paragraph, or a long sentence ending in a full stop, as a lede is and a headline isn't."""
    long_sentence = line.endswith(".") and not line.endswith("..") and len(line) > 80
    return long_sentence or len(_WORDS.findall(line)) > HEADLINE_WORDS


def _bare(line: str) -> str:
    """A line without its BOM and surrounding whitespace (a CR included): how a title is shown."""
    return line.strip().lstrip(BOM).strip()


def read_article(
    path: Path, max_mb: float | None = MAX_ARTICLE_MB, article_id: str | None = None
) -> Article:
    """Read one article file (its id: `article_id`, else the file's stem); raises ValueError
    saying why the file is not an article.

    A file above `max_mb` megabytes (None: no limit) is refused from its size alone, before a
    byte of it is read, so one huge file can't hold up or exhaust the indexing of the others.
    """
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise ValueError(
            f"has an unknown extension {path.suffix or '(none)'!r}; expected .txt, .md, .html, "
            "or a .csv or .jsonl export"
        )
    if max_mb is not None:
        size = path.stat().st_size
        if size > max_mb * _MB:
            raise ValueError(
                f"{size / _MB:.1f} MB, above the {max_mb:g} MB limit (ASSISTANT_MAX_ARTICLE_MB)"
            )
    data = path.read_bytes()
    if b"\x00" in data:
        raise ValueError("looks binary (contains NUL bytes)")
    article_id = article_id or path.stem
    if suffix in HTML_SUFFIXES:
        return page_article(article_id, data, path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"is not UTF-8 (bad byte at offset {err.start})") from None
    return article_from_text(article_id, text, path)  # a BOM and \r\n stay: offsets are the file's


def page_article(article_id: str, data: bytes, path: Path | None = None) -> Article:
    """A saved page as an article: its extracted text is what citations quote (the index keeps
    it); the hash is the page's bytes and the extractor's version, so either changing re-reads.
    Raises ValueError for a page with no article in it."""
    from index.html import extract, extractor_version

    page = extract(data)
    digest = hashlib.sha256(data + extractor_version().encode()).hexdigest()
    return Article(
        id=article_id, title=page.title or headline(page.text), text=page.text, sha256=digest,
        path=path, date=page.date, url=page.url,
    )


def load_corpus(
    directory: Path,
    max_article_mb: float | None = MAX_ARTICLE_MB,
    columns: dict[str, str] | None = None,
) -> tuple[list[Article], list[str]]:
    """All articles of a directory, files in sorted order, and one warning per file or row that
    was skipped.

    An article's id is its file name without the extension, so of two files with one stem
    (`x.md`, `x.txt`) the first readable one in sorted order is the article and the other is
    skipped; a CSV or JSONL file is an export, an article per row (`read_export`; `columns`
    names its columns where they aren't the common names). The `web/` folder's files follow,
    each with its path there as its id (`web_articles`); other folders are not read. Raises
    CorpusError when the
    directory is missing, and EmptyCorpusError (a CorpusError) when it holds no article.
    """
    directory = Path(directory)
    if not directory.exists():
        raise CorpusError(f"corpus directory {directory} does not exist")
    if not directory.is_dir():
        raise CorpusError(f"corpus path {directory} is not a directory")
    articles: list[Article] = []
    warnings: list[str] = []
    taken: dict[str, Path] = {}
    for path in _article_files(directory.iterdir()):
        first = taken.get(path.stem)
        if first is not None:
            warnings.append(
                f"skipped {path.name}: {first.name} has the same name, and an article's id is "
                "its file name without the extension"
            )
            continue
        try:
            if path.suffix.lower() in EXPORT_SUFFIXES:
                rows_read, skipped = read_export(path, max_article_mb, columns)
                warnings += skipped
                articles += rows_read
                taken[path.stem] = path
                continue
            article = read_article(path, max_article_mb)
        except (ValueError, OSError) as err:
            warnings.append(f"skipped {path.name}: {err}")
            continue
        taken[article.id] = path
        articles.append(article)
    web, skipped = web_articles(directory, max_article_mb)
    articles += web
    warnings += skipped
    if not articles:
        detail = f" ({len(warnings)} file(s) skipped)" if warnings else ""
        raise EmptyCorpusError(
            f"no articles found in {directory}{detail}; add .txt, .md or .html files, or a CSV "
            "or JSONL export", warnings
        )
    return articles, warnings


def web_articles(
    directory: Path, max_article_mb: float | None = MAX_ARTICLE_MB
) -> tuple[list[Article], list[str]]:
    """The articles of the corpus's `web/` folder, at any depth, in sorted order: an article's
    id is its path under the corpus without the extension (`web/example.org/slug`), stable and
    apart from every top-level id. Hidden files and folders (a write under way) are skipped."""
    root = directory / WEB_DIR
    if not root.is_dir():
        return [], []
    articles: list[Article] = []
    warnings: list[str] = []
    taken: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(directory)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        article_id = relative.with_suffix("").as_posix()
        if article_id in taken:
            warnings.append(f"skipped {relative.as_posix()}: {taken[article_id].name} has the same name")
            continue
        try:
            article = read_article(path, max_article_mb, article_id)
        except (ValueError, OSError) as err:
            warnings.append(f"skipped {relative.as_posix()}: {err}")
            continue
        taken[article_id] = path
        articles.append(article)
    return articles, warnings


def _article_files(paths: Iterable[Path]) -> list[Path]:
    return sorted(p for p in paths if p.is_file() and not p.name.startswith("."))


FILE_MODE = 0o644  # an article added by the app is readable as one saved by hand


def write_article(target: Path, data: bytes, replace: bool = True) -> None:
    """Write an article file into the corpus whole or not at all: into a temporary file
    beside it, synced, then renamed into place (an index run never reads half a file), with
    ordinary permissions. With `replace` False an existing file is never overwritten
    (FileExistsError)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".add-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, FILE_MODE)
        if not replace and target.exists():
            raise FileExistsError(f"{target.name} exists")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
