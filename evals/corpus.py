"""Article texts for scoring, read straight from the corpus directory.

The harness reads the files itself instead of asking `index/`, so a bug in ingestion cannot
hide a wrong citation offset: quotes are checked against the text a reader would open.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CORPUS_DIR = "./seeds"


def corpus_dir() -> Path:
    """The corpus the assistant answers from, as configured for the whole product."""
    return Path(os.environ.get("ASSISTANT_CORPUS_DIR", DEFAULT_CORPUS_DIR))


def load_articles(directory: str | Path | None = None) -> dict[str, str]:
    """Map article id (file stem) to full text.

    Opened with `newline=""` so that offsets count exactly the characters in the file; universal
    newline translation would shift every offset after a CRLF.
    """
    root = Path(directory) if directory is not None else corpus_dir()
    articles: dict[str, str] = {}
    for path in sorted(root.glob("*.txt")):
        with open(path, encoding="utf-8", newline="") as handle:
            articles[path.stem] = handle.read()
    return articles


def article_title(text: str) -> str:
    """The headline: first non-empty line, as the product defines it."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
