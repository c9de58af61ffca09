"""Which extractor reads a saved HTML page for the index: trafilatura, readability-lxml, jusText.

The index quotes an HTML article from the text an extractor takes out of the page, so the
extractor decides what can be cited: the article's own sentences in (recall), the page's
menus, share buttons, cookie notes and comments out (precision). This scores each extractor on
real saved pages with hand-written gold: trafilatura's evaluation set (tests/eval/*.html and
tests/evaldata.json in github.com/adbar/trafilatura, about 990 pages of news, blogs and
institutions' sites, half of them German), where every page lists snippets of its main text
that must be in the output and snippets of boilerplate that must not. It also counts what each
one finds of the metadata a citation shows (title, date, url), and times them within one run.

    python -m benchmarks.html_extract --pages DIR [--gold FILE] [--lang en] [--limit N] [--json FILE]

DIR holds the pages and `evaldata.json` (the default for --gold). The comparison libraries
aren't the project's dependencies: `pip install --no-deps readability-lxml lxml_html_clean
cssselect chardet` (jusText comes with trafilatura). The set is trafilatura's own, so its
figures carry a home advantage; the README says what was measured and why trafilatura is used.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Extracted:
    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None


@dataclass
class Score:
    extractor: str
    pages: int = 0
    true_pos: int = 0  # a main-text snippet found
    false_neg: int = 0  # a main-text snippet missing
    false_pos: int = 0  # a boilerplate snippet found
    true_neg: int = 0
    empty: int = 0  # pages with no text at all
    titles: int = 0
    dates: int = 0
    urls: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_pos / max(1, self.true_pos + self.false_pos)

    @property
    def recall(self) -> float:
        return self.true_pos / max(1, self.true_pos + self.false_neg)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def trafilatura_extract(html: str) -> Extracted:
    """What the index uses (`index.html.read_html`), so the figures are the product's."""
    from index.html import extract

    page = extract(html)
    return Extracted(page.text, page.title, page.date, page.url)


def readability_extract(html: str) -> Extracted:
    import lxml.html
    from readability import Document

    doc = Document(html)
    summary = doc.summary(html_partial=True)
    text = lxml.html.fromstring(summary).text_content() if summary.strip() else ""
    return Extracted(" ".join(text.split()), doc.short_title() or None)


def justext_extract(html: str) -> Extracted:
    import justext

    stoplist = frozenset().union(*(justext.get_stoplist(lang) for lang in ("English", "German")))
    paragraphs = justext.justext(html.encode("utf-8"), stoplist)
    return Extracted(" ".join(p.text for p in paragraphs if not p.is_boilerplate))


EXTRACTORS: dict[str, Callable[[str], Extracted]] = {
    "trafilatura": trafilatura_extract,
    "readability-lxml": readability_extract,
    "justext": justext_extract,
}


def _squash(text: str) -> str:
    return " ".join(text.split())


def score(name: str, extract: Callable[[str], Extracted], pages: list[tuple[str, dict]]) -> Score:
    result = Score(name)
    for html, gold in pages:
        started = time.perf_counter()
        try:
            got = extract(html)
        except Exception as err:  # an extractor that fails on a page scores it as empty
            result.errors.append(f"{gold['file']}: {type(err).__name__}")
            got = Extracted("")
        result.seconds += time.perf_counter() - started
        text = _squash(got.text)
        result.pages += 1
        result.empty += not text
        result.titles += bool(got.title)
        result.dates += bool(got.date)
        result.urls += bool(got.url)
        for snippet in gold.get("with", []):
            if _squash(snippet) in text:
                result.true_pos += 1
            else:
                result.false_neg += 1
        for snippet in gold.get("without", []):
            if _squash(snippet) in text:
                result.false_pos += 1
            else:
                result.true_neg += 1
    return result


_LANG = re.compile(r"<html[^>]*\blang=[\"']?([a-zA-Z]{2})", re.I)


def load_pages(
    directory: Path, gold_file: Path, limit: int | None, lang: str | None = None
) -> list[tuple[str, dict]]:
    """The gold's pages found in `directory`; with `lang`, only pages whose <html lang> says it."""
    gold = json.loads(gold_file.read_text(encoding="utf-8"))
    pages = []
    for url, entry in sorted(gold.items(), key=lambda kv: kv[1]["file"]):
        path = directory / entry["file"]
        if not path.is_file():
            continue
        html = path.read_bytes().decode("utf-8", errors="replace")
        declared = _LANG.search(html[:5000])
        if lang and not (declared and declared.group(1).lower() == lang.lower()):
            continue
        pages.append((html, {**entry, "url": url}))
    return pages[:limit] if limit else pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.html_extract")
    parser.add_argument("--pages", type=Path, required=True, help="the saved pages")
    parser.add_argument("--gold", type=Path, help="default: PAGES/evaldata.json")
    parser.add_argument("--limit", type=int, help="score only the first N pages")
    parser.add_argument("--lang", help="only pages that declare this language (<html lang>), e.g. en")
    parser.add_argument("--json", type=Path, help="write the scores here too")
    args = parser.parse_args(argv)
    gold = args.gold or args.pages / "evaldata.json"
    if not gold.is_file():
        print(f"error: no gold file {gold}", file=sys.stderr)
        return 2
    pages = load_pages(args.pages, gold, args.limit, args.lang)
    if not pages:
        print(f"error: none of the gold's pages are in {args.pages}", file=sys.stderr)
        return 2
    scores = [score(name, fn, pages) for name, fn in EXTRACTORS.items()]
    fastest = min(s.seconds for s in scores) or 1e-9
    print(f"{len(pages)} pages, {sum(len(p[1].get('with', [])) for p in pages)} main-text and "
          f"{sum(len(p[1].get('without', [])) for p in pages)} boilerplate snippets")
    print(f"{'extractor':18} {'precision':>9} {'recall':>7} {'F1':>6} {'empty':>6} "
          f"{'title':>6} {'date':>6} {'url':>6} {'time':>6}")
    for s in scores:
        print(f"{s.extractor:18} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {s.empty:6d} "
              f"{s.titles / s.pages:6.2f} {s.dates / s.pages:6.2f} {s.urls / s.pages:6.2f} "
              f"{s.seconds / fastest:5.1f}x")
    if args.json:
        args.json.write_text(json.dumps(
            [{**asdict(s), "precision": s.precision, "recall": s.recall, "f1": s.f1} for s in scores],
            indent=1,
        ))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
