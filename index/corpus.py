"""Read the articles: one UTF-8 file per article, first non-empty line is the headline."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusError

ARTICLE_SUFFIXES = (".txt", ".md")


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
    title = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not title:
        raise ValueError("is empty")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Article(id=article_id, title=title, text=text, sha256=digest, path=path)


def read_article(path: Path) -> Article:
    """Read one article file; raises ValueError saying why the file is not an article."""
    if path.suffix.lower() not in ARTICLE_SUFFIXES:
        raise ValueError(f"has an unknown extension {path.suffix or '(none)'!r}; expected .txt or .md")
    data = path.read_bytes()
    if b"\x00" in data:
        raise ValueError("looks binary (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"is not UTF-8 (bad byte at offset {err.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return article_from_text(path.stem, text, path)


def load_corpus(directory: Path) -> tuple[list[Article], list[str]]:
    """All articles of a directory, sorted by id, and one warning per file that was skipped."""
    directory = Path(directory)
    if not directory.exists():
        raise CorpusError(f"corpus directory {directory} does not exist")
    if not directory.is_dir():
        raise CorpusError(f"corpus path {directory} is not a directory")
    articles, warnings = [], []
    for path in _article_files(directory.iterdir()):
        try:
            articles.append(read_article(path))
        except (ValueError, OSError) as err:
            warnings.append(f"skipped {path.name}: {err}")
    if not articles:
        detail = f" ({len(warnings)} file(s) skipped)" if warnings else ""
        raise CorpusError(f"no articles found in {directory}{detail}; add .txt or .md files")
    return articles, warnings


def _article_files(paths: Iterable[Path]) -> list[Path]:
    return sorted(p for p in paths if p.is_file() and not p.name.startswith("."))
