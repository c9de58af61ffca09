"""Timelines and summaries, measured: the eval for the two story-shaped requests.

The assistant is to answer two new kinds of request with lines of the articles' own sentences,
each cited: a **timeline** ("Give me a timeline of the Flynn affair", "What happened with X, in
order?"), one dated line per event in chronological order (`- 14 Mar 2017: <sentence> [1][4]`),
and a **summary** of one article ("Summarize this article", "Give me the gist of <headline>")
or of the coverage of a story ("Summarize the coverage of X"), at most ~5 cited lines.

The items (`evals/timelines.jsonl`, `evals/summaries.jsonl`) were written from the texts, by
script-assisted search, before the feature existed and before the assistant answered any. Each
has `id`, `kind` (timeline | article_summary | story_summary), `corpus` (newsdated: the whole
NewsArticles.csv export, ids `NewsArticles:<row id>`; seeds: the seed files), `question` and
`split` (test; dev to tune on). A timeline lists its `events` in true chronological order, each
`{"pattern", "articles", "date"}`: a regex for how the articles word the event, the articles
stating it, and the event's ISO date when known (the event's, not the report's). A summary lists
its key `facts` `{"pattern", "articles"}`. `article` (optional) is the source the UI's Summarize
action names; `target` is the article an article summary is about; `period` the asked period.

Scoring, per answer (pure functions of item and answer, recomputable by hand):

- A line is a non-empty line of `answer.text`; its citations are the ones its `[n]` markers
  name. Its claim is the line without bullet, leading date and markers.
- An event (or key fact) is **found** when its pattern matches a line's claim AND a citation of
  that line has a quote the pattern matches: stated, and sourced to a passage that states it.
  The first such line is the event's line.
- `events_recall` / `fact_coverage`: found / listed.
- `order_accuracy` (timelines): over the pairs of found events on different lines (pairs of
  events with the same known date are left out), the share whose earlier event's line comes
  first.
- `citation_precision`: over every (line, citation) pair, the share whose quote supports the
  line, as `evals.metrics.supports` judges it: when the claim states one of the item's events
  or facts, the quote must state one of those too, else it must hold most of the claim's
  content words; every number of the claim must be in the quote. A marker naming no citation
  is imprecise.
- `dated_share` (timelines on the export): found event lines that carry a date; `date_accuracy`:
  of those with a gold date, the share whose date is the event's (at the precision written).
- `lines`: lines with citations (for summaries `sentences`; `within_limit`: 1 to 5 of them).
- `on_target` (article summaries): the share of cited (line, citation) pairs from the target.

A refusal or an error scores 0 found and no precision (ALCE averages precision over answered
items). `false_triggers` lists the questions of the existing eval sets that a classifier takes
for a timeline or a summary request: each is a regression the new kinds must not cause.

    from evals import stories
    items = stories.select(stories.load_items(), corpus="newsdated")
    summary, results = stories.run(settings, items)        # or run(answer_fn, items)
    print(stories.format_table(summary))
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evals.harness import ask_each
from evals.metrics import split_claims, strip_markers, supports

NAME = "stories"
HERE = Path(__file__).parent
TIMELINES = HERE / "timelines.jsonl"
SUMMARIES = HERE / "summaries.jsonl"
KINDS = ("timeline", "article_summary", "story_summary")
CORPORA = ("newsdated", "seeds")
SPLITS = ("test", "dev")
MAX_SUMMARY_SENTENCES = 5
# the existing eval sets: none of their questions asks for a timeline or a summary
QUESTION_SETS = (HERE / "questions.jsonl", HERE / "newsarticles.jsonl", HERE / "newsdated.jsonl")


@dataclass(frozen=True)
class Point:
    """One event of a timeline or one key fact of a summary."""

    pattern: str
    articles: tuple[str, ...]
    date: str | None = None

    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.I)


@dataclass(frozen=True)
class StoryItem:
    id: str
    kind: str
    corpus: str
    question: str
    points: tuple[Point, ...]  # the events (timeline) or the key facts (summaries), in order
    split: str = "test"
    article: str | None = None  # the source the UI's Summarize action names, when it does
    target: str | None = None  # the article an article summary is about
    period: dict = field(default_factory=dict)
    min_events: int | None = None

    @property
    def request(self) -> str:
        """What the assistant should take the question for: "timeline" or "summary"."""
        return "timeline" if self.kind == "timeline" else "summary"


def load_items(paths: Iterable[Path] = (TIMELINES, SUMMARIES)) -> list[StoryItem]:
    items = []
    for path in paths:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    items.append(_item(json.loads(line)))
                except (ValueError, KeyError, TypeError, re.error) as err:
                    raise ValueError(f"{path}:{number}: {err}") from None
    ids = [i.id for i in items]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate item ids: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1})))
    return items


def _item(obj: dict) -> StoryItem:
    kind, corpus, split = obj["kind"], obj["corpus"], obj.get("split", "test")
    if kind not in KINDS or corpus not in CORPORA or split not in SPLITS:
        raise ValueError(f"unknown kind, corpus or split: {kind!r}, {corpus!r}, {split!r}")
    raw = obj["events"] if kind == "timeline" else obj["facts"]
    points = tuple(Point(p["pattern"], tuple(p["articles"]), p.get("date")) for p in raw)
    if not points or any(not p.articles for p in points):
        raise ValueError("every item needs events or facts, each with the articles stating it")
    for p in points:
        p.regex()  # a broken pattern fails at load, not in the middle of a run
    return StoryItem(
        id=obj["id"], kind=kind, corpus=corpus, question=obj["question"], points=points,
        split=split, article=obj.get("article"), target=obj.get("target"),
        period=obj.get("period") or {}, min_events=obj.get("min_events"),
    )


def select(items: Iterable[StoryItem], *, kind: str | None = None, corpus: str | None = None,
           split: str | None = None) -> list[StoryItem]:
    return [i for i in items if (kind is None or i.kind == kind) and (corpus is None or i.corpus == corpus)
            and (split is None or i.split == split)]


# ---------------------------------------------------------------- reading an answer's lines

_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2013]|\d{1,2}[.)])\s+")
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_DATE_FORMS = (
    re.compile(r"(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})"),
    re.compile(_WEEKDAY + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r"(?:,?\s+(?P<year>\d{4}))?", re.I),
    re.compile(_WEEKDAY + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?", re.I),
    re.compile(_MONTH + r"\s+(?P<year>\d{4})", re.I),
)
# a date leading a line: "14 Mar 2017: ...", "2017-03-14 - ...", "March 2017 \u2013 ..."
_LEAD_END = re.compile(r"\s*(?::|-|\u2013|\u2014)\s+")


@dataclass(frozen=True)
class Line:
    number: int  # 0-based, among the answer's non-empty lines
    text: str  # as written, markers and all
    claim: str  # without bullet, leading date and markers
    date: str | None  # the leading date as "YYYY-MM-DD", "YYYY-MM" or "--MM-DD" (no year)
    markers: tuple[int, ...]


def leading_date(text: str) -> tuple[str | None, str]:
    """(the date a line starts with, normalised; the rest of the line), or (None, text)."""
    for form in _DATE_FORMS:
        m = form.match(text)
        if not m:
            continue
        end = _LEAD_END.match(text, m.end())
        if not end:
            continue
        groups = m.groupdict()
        month = int(groups["mnum"]) if groups.get("mnum") else _MONTHS[groups["month"][:3].lower()]
        year, day = groups.get("year"), groups.get("day")
        if day is None:
            date = f"{year}-{month:02d}"
        elif year is None:
            date = f"--{month:02d}-{int(day):02d}"
        else:
            date = f"{year}-{month:02d}-{int(day):02d}"
        return date, text[end.end():]
    return None, text


def answer_lines(text: str) -> list[Line]:
    lines = []
    for raw in (t for t in text.splitlines() if t.strip()):
        body = _BULLET.sub("", raw, count=1).strip()
        date, rest = leading_date(body)
        markers = tuple(n for _, numbers in split_claims(raw) for n in numbers)
        lines.append(Line(len(lines), raw, strip_markers(rest).strip(), date, markers))
    return lines


def _date_matches(gold: str, written: str) -> bool:
    if written.startswith("--"):
        return gold[4:] == written[1:]
    return gold.startswith(written)


# ---------------------------------------------------------------- scoring one answer


def find_points(points: Sequence[Point], lines: Sequence[Line], by_number: dict) -> list[int | None]:
    """For each point, the number of the first line stating it with a citation stating it too."""
    found: list[int | None] = []
    for point in points:
        regex = point.regex()
        hit = None
        for line in lines:
            if regex.search(line.claim) and any(
                n in by_number and regex.search(by_number[n].quote) for n in line.markers
            ):
                hit = line.number
                break
        found.append(hit)
    return found


def order_pairs(points: Sequence[Point], found: Sequence[int | None]) -> tuple[int, list[tuple[int, int]]]:
    """(pairs judged, pairs out of order as (earlier event, later event) indices)."""
    judged, wrong = 0, []
    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            a, b = found[i], found[j]
            if a is None or b is None or a == b:
                continue
            if points[i].date and points[i].date == points[j].date:
                continue  # same day: either order is right
            judged += 1
            if a > b:
                wrong.append((i, j))
    return judged, wrong


def check_lines(points: Sequence[Point], lines: Sequence[Line], by_number: dict) -> list[dict]:
    """Every (line, marker) pair, with whether the cited quote supports the line."""
    regexes = [p.regex() for p in points]
    checks = []
    for line in lines:
        facts = [r for r in regexes if r.search(line.claim)]
        for n in line.markers:
            citation = by_number.get(n)
            precise = citation is not None and supports(line.claim, citation.quote, facts)
            checks.append({"line": line.number, "n": n, "precise": precise,
                           "article_id": citation.article_id if citation else None})
    return checks


def score(item: StoryItem, answer) -> dict:
    """One item's scores from the answer it got (None: answering raised)."""
    refused = bool(answer is not None and answer.refused)
    lines = answer_lines(answer.text) if answer is not None else []
    cited = [line for line in lines if line.markers]
    by_number = {c.n: c for c in answer.citations} if answer is not None else {}
    answered = answer is not None and not refused
    found = find_points(item.points, lines, by_number) if answered else [None] * len(item.points)
    checks = check_lines(item.points, lines, by_number) if answered else []
    hits = [i for i, line in enumerate(found) if line is not None]
    out: dict = {
        "refused": refused,
        "found": found,
        "missing": [item.points[i].pattern for i, line in enumerate(found) if line is None],
        "citation_precision": _ratio(sum(c["precise"] for c in checks), len(checks)),
        "imprecise": [(c["line"], c["n"]) for c in checks if not c["precise"]],
    }
    share = len(hits) / len(item.points)
    if item.kind == "timeline":
        judged, wrong = order_pairs(item.points, found)
        out.update(events_recall=share, order_accuracy=_ratio(judged - len(wrong), judged),
                   out_of_order=wrong, lines=len(cited))
        if item.min_events is not None:
            out["min_events_met"] = len(hits) >= item.min_events
        if item.corpus != "seeds":
            out["dated_share"] = _ratio(sum(lines[found[i]].date is not None for i in hits), len(hits))
            dated = [i for i in hits if item.points[i].date and lines[found[i]].date]
            out["date_accuracy"] = _ratio(
                sum(_date_matches(item.points[i].date, lines[found[i]].date) for i in dated), len(dated))
    else:
        out.update(fact_coverage=share, sentences=len(cited),
                   within_limit=answered and 1 <= len(cited) <= MAX_SUMMARY_SENTENCES)
        if item.target:
            out["on_target"] = _ratio(sum(c["article_id"] == item.target for c in checks), len(checks))
    return out


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


# ---------------------------------------------------------------- summaries and running

TIMELINE_METRICS = ("events_recall", "order_accuracy", "citation_precision", "dated_share",
                    "date_accuracy", "lines", "min_events_met")
SUMMARY_METRICS = ("fact_coverage", "citation_precision", "sentences", "within_limit", "on_target")


def summarise(items: Sequence[StoryItem], results: Sequence[dict]) -> dict:
    """Means per kind, split and corpus: summary[kind][split][corpus] = {n, refused, metric...}.
    A metric an item has no value for (None, or absent) is left out of its mean; a group that
    has no value for it shows None. The test split is what the feature is judged on."""
    groups: dict = {}
    for item, result in zip(items, results, strict=True):
        groups.setdefault(item.kind, {}).setdefault(item.split, {}).setdefault(item.corpus, []).append(result)
    out: dict = {}
    for kind, splits in groups.items():
        names = TIMELINE_METRICS if kind == "timeline" else SUMMARY_METRICS
        for split, corpora in splits.items():
            for corpus, rows in corpora.items():
                row = {"n": len(rows), "refused": _mean([r["refused"] for r in rows]),
                       "errors": sum(bool(r.get("error")) for r in rows)}
                for name in names:
                    row[name] = _mean([r[name] for r in rows if r.get(name) is not None])
                out.setdefault(kind, {}).setdefault(split, {})[corpus] = row
    latencies = [r["latency_ms"] for r in results if "latency_ms" in r and not r.get("error")]
    if latencies:
        out["p50_ms"] = round(statistics.median(latencies), 1)
    return out


def _mean(values: Sequence[float | bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


AnswerFn = Callable[..., object]


def answer_with(settings) -> AnswerFn:
    """`answer_fn(question, article=None)` for the configured corpus, its index built first."""
    from assistant import answer
    from assistant.engine import get_engine

    get_engine(settings).ensure_index()

    def ask(question: str, article: str | None = None):
        # `article`: the source a request is about, as the chat's Summarize action names it
        return answer(question, settings=settings, article=article)

    return ask


def run(settings_or_answer_fn, items: Sequence[StoryItem], progress=None) -> tuple[dict, list[dict]]:
    """Ask every item and score it: (summarise(...), one result per item).

    `settings_or_answer_fn`: assistant Settings (their corpus must be the items' corpus; select
    items with `select(items, corpus=...)`), or a function called as
    `answer_fn(question, article=item.article)` that returns an Answer.
    """
    ask = settings_or_answer_fn if callable(settings_or_answer_fn) else answer_with(settings_or_answer_fn)
    results = ask_each(items, lambda item: ask(item.question, article=item.article), score, progress)
    for item, result in zip(items, results, strict=True):
        result.update(kind=item.kind, corpus=item.corpus)
    return summarise(items, results), results


def format_table(summary: dict) -> str:
    def cell(value, width=8):
        if value is None:
            return f"{'-':>{width}}"
        return f"{value:>{width}.3f}" if isinstance(value, float) else f"{value:>{width}}"

    lines = []
    heads = {"timeline": ("recall", "order", "cit.prec", "dated", "date ok", "lines"),
             "summary": ("facts", "cit.prec", "sents", "<=5", "on tgt")}
    for kind in KINDS:
        if kind not in summary:
            continue
        names = TIMELINE_METRICS[:-1] if kind == "timeline" else SUMMARY_METRICS
        head = heads["timeline" if kind == "timeline" else "summary"]
        lines.append(f"{kind:16s} {'split':5s} {'corpus':9s} {'n':>3s} {'refused':>8s} "
                     + " ".join(f"{h:>8s}" for h in head))
        for split in SPLITS:
            for corpus, row in summary[kind].get(split, {}).items():
                lines.append(f"{'':16s} {split:5s} {corpus:9s} {row['n']:>3d} {cell(row['refused'])} "
                             + " ".join(cell(row.get(name)) for name in names))
    if "p50_ms" in summary:
        lines.append(f"answer p50: {summary['p50_ms']} ms")
    return "\n".join(lines)


# ---------------------------------------------------------------- requests taken for another


def existing_questions(paths: Iterable[Path] = QUESTION_SETS) -> list[dict]:
    """Every question of the existing eval sets, as {"set", "id", "question"}."""
    out = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                out.append({"set": Path(path).stem, "id": obj["id"], "question": obj["question"]})
    return out


def false_triggers(questions: Iterable[str | dict], classify: Callable[[str], str | None]) -> list[dict]:
    """The questions `classify` takes for a timeline or a summary request ("timeline" |
    "summary"; None for any other question). None of the existing eval sets' questions is one,
    so each listed question is a false trigger. Questions are strings or dicts with a
    "question" key (as `existing_questions()` gives them); each hit is returned as such a dict
    with "taken_for" added."""
    hits = []
    for question in questions:
        entry = {"question": question} if isinstance(question, str) else dict(question)
        taken = classify(entry["question"])
        if taken is not None:
            hits.append({**entry, "taken_for": taken})
    return hits


def missed_triggers(items: Iterable[StoryItem], classify: Callable[[str], str | None]) -> list[dict]:
    """The items whose question `classify` does not take for the request they are (timeline
    items for "timeline", summaries for "summary"): the other side of false_triggers."""
    return [{"id": i.id, "question": i.question, "expected": i.request, "taken_for": got}
            for i in items if (got := classify(i.question)) != i.request]
