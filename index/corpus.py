"""Read the articles: one UTF-8 file per article, first non-empty line is the headline.

An article's text is its file's bytes decoded as UTF-8 and nothing else: a leading BOM stays
(as the character U+FEFF at offset 0) and line endings stay as they are (CRLF too), so
`open(path, encoding="utf-8", newline="").read()[start:end]` is what a citation quotes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusError

ARTICLE_SUFFIXES = (".txt", ".md")
BOM = "\ufeff"
MAX_ARTICLE_MB = 5.0  # the default of Settings.max_article_mb (ASSISTANT_MAX_ARTICLE_MB)
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


def article_from_text(article_id: str, text: str, path: Path | None = None) -> Article:
    """Validate text as an article; raises ValueError with a reason a person understands."""
    if "\x00" in text:
        raise ValueError("looks binary (contains NUL bytes)")
    title = next((t for t in (_bare(line) for line in text.splitlines()) if t), "")
    if not title:
        raise ValueError("is empty")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Article(id=article_id, title=title, text=text, sha256=digest, path=path)


def _bare(line: str) -> str:
    """A line without its BOM and surrounding whitespace (a CR included): how a title is shown."""
    return line.strip().lstrip(BOM).strip()


def read_article(path: Path, max_mb: float | None = MAX_ARTICLE_MB) -> Article:
    """Read one article file; raises ValueError saying why the file is not an article.

    A file above `max_mb` megabytes (None: no limit) is refused from its size alone, before a
    byte of it is read, so one huge file can't hold up or exhaust the indexing of the others.
    """
    if path.suffix.lower() not in ARTICLE_SUFFIXES:
        raise ValueError(f"has an unknown extension {path.suffix or '(none)'!r}; expected .txt or .md")
    if max_mb is not None:
        size = path.stat().st_size
        if size > max_mb * _MB:
            raise ValueError(
                f"{size / _MB:.1f} MB, above the {max_mb:g} MB limit (ASSISTANT_MAX_ARTICLE_MB)"
            )
    data = path.read_bytes()
    if b"\x00" in data:
        raise ValueError("looks binary (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"is not UTF-8 (bad byte at offset {err.start})") from None
    return article_from_text(path.stem, text, path)  # a BOM and \r\n stay: offsets are the file's


def load_corpus(
    directory: Path, max_article_mb: float | None = MAX_ARTICLE_MB
) -> tuple[list[Article], list[str]]:
    """All articles of a directory, sorted by id, and one warning per file that was skipped.

    An article's id is its file name without the extension, so of two files with one stem
    (`x.md`, `x.txt`) the first readable one in sorted order is the article and the other is
    skipped. Raises CorpusError when the directory is missing, and EmptyCorpusError (a
    CorpusError) when it holds no article.
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
            article = read_article(path, max_article_mb)
        except (ValueError, OSError) as err:
            warnings.append(f"skipped {path.name}: {err}")
            continue
        taken[article.id] = path
        articles.append(article)
    if not articles:
        detail = f" ({len(warnings)} file(s) skipped)" if warnings else ""
        raise EmptyCorpusError(
            f"no articles found in {directory}{detail}; add .txt or .md files", warnings
        )
    return articles, warnings


def _article_files(paths: Iterable[Path]) -> list[Path]:
    return sorted(p for p in paths if p.is_file() and not p.name.startswith("."))
