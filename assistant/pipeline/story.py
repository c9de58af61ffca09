"""Timelines and summaries: a story in order, an article or a story in brief.

Every line is an article's own sentence, cited to it: nothing is written by a model. The
sentences are chosen by code, fast enough for a whole export:

- a timeline of X: the statements about X (hybrid retrieval, within a period the request
  names), ranked by a learned event score (a report's opening sentence that says when, told
  by other reports too, in a report most about X, rather than a quote or background), at most
  three a report, dated by the date the sentence itself gives ("on
  Tuesday", "on 14 March", resolved against the report's date by dateutil) or else the
  report's; one event that several reports give is one line with each citation; in date order.
- a summary of an article: its most central sentences (each one's mean cosine similarity to
  the article's others, over the embeddings already in the index), taken by maximal marginal
  relevance so they don't repeat one another, in the article's order.
- a summary of the coverage of X: the same over the sentences most about X across articles,
  centrality weighted by how much each is about X, in date order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.pipeline.evidence import statement
from index.units import Unit
from search.keywords import KeywordIndex
from search.retrieval import Scored
from search.text import jaccard, overlap, plain_words

_REQUEST = r"(?:please\s+)?(?:(?:can|could|would)\s+you\s+)?(?:give|show|make|draw|write|get)?\s*(?:me\s+)?"
# words that ask for the order things happened in, and asides that add nothing to the topic
_ORDER = re.compile(
    r"[,;.]?\s*(?:(?:please\s+)?put\s+(?:it|them)\s+in\s+order|in\s+(?:chronological\s+)?order|"
    r"day\s+by\s+day|step\s+by\s+step|week\s+by\s+week|chronologically|over\s+time)\b",
    re.I,
)
_ASIDE = re.compile(
    r"[,;]?\s*(?:according\s+to\s+the\s+(?:articles|reports|news|coverage)|as\s+reported)\b", re.I
)
_TIMELINE = re.compile(
    rf"^\W*{_REQUEST}(?:a\s+|the\s+)?(?:timeline|chronology|time\s*line)\s+(?:of|for|on|about)\s+"
    r"(?P<topic>.+?)\s*[?.!]*$",
    re.I,
)
_HAPPENED = re.compile(
    r"^\W*what\s+(?:has\s+|have\s+|had\s+)?happened\s+(?:with|to|in|at|on|around|during)\s+"
    r"(?P<topic>.+?)\s*[?.!]*$",
    re.I,
)
_DEVELOP = re.compile(
    r"^\W*how\s+(?:did|has|have|does|do)\s+(?P<topic>.+?)\s+"
    r"(?:develop|unfold|evolve|progress|play\s+out)(?:ed)?(?:\s*,?\s*(?P<span>(?:from|over|since|through|during|in)\b.*?))?"
    r"\s*[?.!]*$",
    re.I,
)
_SUMMARY = re.compile(
    rf"^\W*{_REQUEST}(?:summari[sz]e|sum\s+up|brief\s+me\s+on|(?:a\s+|the\s+)?(?:summary|gist|"
    r"short\s+version)\s+of|what\s+is\s+the\s+gist\s+of)\s+(?P<topic>.+?)\s*[?.!]*$",
    re.I,
)
_THIS = re.compile(r"^(?:this|that|the)\s+(?:article|story|report|piece|page)(?:\s*[:—–-].*)?$", re.I)
_NAMED = re.compile(r"^(?:the\s+)?(?:article|story|report|piece|page)\s+(?:called\s+|titled\s+)?", re.I)
_COVERAGE = re.compile(
    r"^(?:the\s+)?(?:news\s+)?(?:coverage|reporting|reports?|news|articles?|stories)\s+"
    r"(?:of|on|about)\s+",
    re.I,
)
_QUOTES = " \"'“”‘’"


@dataclass(frozen=True)
class Story:
    """What a request for a story asks: a timeline or a summary, of a topic or one article."""

    kind: str  # "timeline" or "summary"
    topic: str  # what it is about, as asked ("the Navalny case"); "" for one article
    article: str | None = None  # the one article to summarize


def parse(question: str, article: str | None = None) -> Story | None:
    """The story a request asks for, or None for any other question. `article`: the one the
    request is about ("Summarize this article" on a source). A timeline is asked for in so
    many words, or as what happened with X in order, or how X developed; a summary as
    summarize / the gist of / a summary of an article (by its headline) or of the coverage of
    a topic."""
    ordered = bool(_ORDER.search(question))
    plain = _ASIDE.sub("", _ORDER.sub("", question)).strip()
    m = _TIMELINE.match(plain) or _DEVELOP.match(plain) or (ordered and _HAPPENED.match(plain))
    if m:
        span = m.groupdict().get("span")  # "..., from its launch to its failure": a period, or words
        return Story("timeline", _topic(m.group("topic") + (f" {span}" if span else "")))
    m = _SUMMARY.match(plain)
    if m is None:
        return None
    topic = _topic(m.group("topic"))
    if _THIS.match(topic):
        return Story("summary", "", article)
    return Story("summary", _topic(_COVERAGE.sub("", _NAMED.sub("", topic))))


def _topic(text: str) -> str:
    return text.strip().strip(_QUOTES).strip()


def titled(topic: str, keywords: KeywordIndex, cover: float = 0.8) -> str | None:
    """The article whose headline the topic names ("Summarize 'Russia rejects US-backed peace
    plan'"): the one whose headline holds at least `cover` of the topic's words, best first."""
    wanted = keywords.terms(topic)
    if len(wanted) < 2:
        return None
    best, best_share = None, cover
    for unit in keywords.chunks:
        if unit.kind != "header" and unit.ordinal != 0:
            continue
        share = len(wanted & keywords.terms(unit.title)) / len(wanted)
        if share >= best_share and (best is None or share > best_share):
            best, best_share = unit.article_id, share
    return best


_SENTENCE_END = (".", "!", "”", '"', "’", "'", ".)")


def story_line(unit: Unit) -> bool:
    """A sentence a timeline or a summary can show alone: a statement, in prose (a table row
    means little without its header), and ending as a sentence does (a line of the article
    without a full stop is a sub-heading, not news)."""
    return (
        statement(unit, 6) and unit.kind == "sentence" and unit.text.rstrip().endswith(_SENTENCE_END)
    )


@dataclass(frozen=True)
class Picked:
    """A sentence chosen for a story, with the other reports that say the same."""

    unit: Unit
    date: str | None  # the event's date (timelines), or the report's
    dated_by_text: bool  # the date comes from the sentence itself
    also: tuple[Unit, ...] = ()
    day: int | None = None  # the weekday the sentence names (0 Monday), for undated reports


Vectors = Callable[[Sequence[str]], Mapping[str, np.ndarray]]

# What makes a candidate sentence a timeline's event, besides being about the topic: each
# statement's features (`event_features`), weighed by a logistic regression fitted on the dev
# timelines (`python -m benchmarks.event_score`, which prints these and the leave-one-out
# recall that judged them). Raw-space weights of the log-odds; only their ranking is used.
EVENT_FEATURES = (
    "relevance",  # its retrieval score, as a share of the best statement's
    "lead",  # 1 / (1 + its place in its report): the inverted pyramid
    "names_day",  # it says when ("on Tuesday", "on 14 March")
    "support",  # log(1 + other reports' statements sharing a quarter of its words)
    "report",  # its report's best statement score, as a share of the best
    "length",  # words / 30, capped at 2
    "quotes",  # it holds a quotation mark: words said about the event, often not the event
    "said",  # it reports speech ("said", "says")
    "place",  # log(1 + its place in its report)
)
EVENT_WEIGHTS: dict[str, float] = {  # 21 dev timelines (16 export, 5 seeds), L2 1
    "relevance": 0.2917, "lead": 1.1923, "names_day": 1.4565, "support": 0.4949, "report": 2.6818,
    "length": 0.5157, "quotes": -0.0857, "said": -0.2624, "place": -0.1816,
}


def event_features(statements: Sequence[Scored], names_day: Callable[[str], bool]) -> np.ndarray:
    """One row of `EVENT_FEATURES` per statement (see there)."""
    if not statements:
        return np.zeros((0, len(EVENT_FEATURES)))
    best = max(s.fused for s in statements) or 1.0
    report_best: dict[str, float] = {}
    for s in statements:
        report_best[s.hit.article_id] = max(report_best.get(s.hit.article_id, 0.0), s.fused)
    words = [set(plain_words(s.hit.text)) for s in statements]
    rows = []
    for i, s in enumerate(statements):
        unit = s.hit
        support = sum(
            1 for j, o in enumerate(statements)
            if o.hit.article_id != unit.article_id and jaccard(words[i], words[j]) >= 0.25
        )
        rows.append([
            s.fused / best, 1 / (1 + unit.ordinal), float(names_day(unit.text)),
            np.log1p(support), report_best[unit.article_id] / best,
            min(len(unit.text.split()), 60) / 30, float(bool(_QUOTE_MARK.search(unit.text))),
            float(bool(_SAID.search(unit.text))), np.log1p(unit.ordinal),
        ])
    return np.array(rows)


_QUOTE_MARK = re.compile("[\"“”]")
_SAID = re.compile(r"\b(?:said|says)\b")


def events(
    ranked: Sequence[Scored],
    event_date: Callable[[str, str | None], tuple[str | None, bool]],
    weekday: Callable[[str], int | None],
    *,
    share: float,
    same_fact: float,
    per_article: int,
    lead: float = 0.0,
    weights: Mapping[str, float] | None = None,
    names_day: Callable[[str], bool] | None = None,
) -> list[Picked]:
    """A timeline's events, the likeliest first: its statements scoring at least `share` of
    the best, at most `per_article` of an article, each dated by `event_date(text,
    reported)`, or the report's when that is later than the report; one event that several
    reports give (the same date, words overlapping by `same_fact`) is one, with each report.

    Without `weights`, a sentence's score is its relevance times `lead_weight(unit, lead)`:
    without that, the sentences most about X were often background ("In late 2015, Navalny
    repaid...") rather than what happened. With `weights` (`EVENT_WEIGHTS`) and `names_day`,
    the statements about the topic (relevance at least `share` of the best) are ranked by
    the learned score of their `event_features`."""
    statements = [s for s in ranked if story_line(s.hit)]
    if not statements:
        return []
    if weights and names_day is not None:
        # the features over every statement, as they were fitted; the events among those about X
        scores = event_features(statements, names_day) @ np.array([weights[n] for n in EVENT_FEATURES])
        best_relevance = max(s.fused for s in statements)
        scored = sorted(
            ((score, s.hit) for score, s in zip(scores.tolist(), statements, strict=True)
             if s.fused >= share * best_relevance),
            key=lambda t: -t[0],
        )
        floor = -np.inf
    else:
        scored = sorted(
            ((s.fused * lead_weight(s.hit, lead), s.hit) for s in statements), key=lambda t: -t[0]
        )
        floor = share * scored[0][0]
    picked: list[Picked] = []
    taken: dict[str, int] = {}
    for score, unit in scored:
        if score < floor or taken.get(unit.article_id, 0) >= per_article:
            continue
        date, from_text = event_date(unit.text, unit.date)
        if from_text and unit.date and date > unit.date:
            # a day ahead of the report is a plan it announces ("will begin hearings on March
            # 20"): the news is the announcement, on the report's day
            date, from_text = unit.date, False
        same = next(
            (i for i, p in enumerate(picked)
             if p.date == date and overlap(p.unit.text, unit.text) >= same_fact),
            None,
        )
        if same is not None:
            p = picked[same]
            if unit.article_id not in {u.article_id for u in (p.unit, *p.also)}:
                picked[same] = Picked(p.unit, p.date, p.dated_by_text, (*p.also, unit), p.day)
            continue
        picked.append(Picked(unit, date, from_text, (), weekday(unit.text)))
        taken[unit.article_id] = taken.get(unit.article_id, 0) + 1
    return picked


def lead_weight(unit: Unit, lead: float) -> float:
    """1 + `lead` / (1 + the sentence's place in its article): a news report says what
    happened and what matters first (the inverted pyramid), so its opening sentences are worth
    more to a timeline or a summary than its later ones, at the same relevance."""
    return 1 + lead / (1 + unit.ordinal)


def in_order(picked: Sequence[Picked]) -> list[Picked]:
    """Events in the order they happened: by date; undated ones by the weekday the sentence
    names, where it names one, else as their article tells them (article, then place)."""
    first_seen: dict[str, int] = {}
    for p in picked:
        first_seen.setdefault(p.unit.article_id, len(first_seen))

    def key(p: Picked) -> tuple:
        if p.date is not None:
            return (0, p.date, p.unit.date or "", p.unit.ordinal)
        return (1, p.day if p.day is not None else 7, first_seen[p.unit.article_id], p.unit.ordinal)

    return sorted(picked, key=key)


def central(
    units: Sequence[Unit],
    vectors: Vectors,
    k: int,
    diversity: float,
    weight: Callable[[Unit, np.ndarray], float] | None = None,
) -> list[Unit]:
    """The `k` most central units (mean cosine similarity to the others, times
    `weight(unit, its vector)` when given), taken by maximal marginal relevance (less
    `diversity` times the likeness to one already taken), so a summary doesn't say one thing
    twice."""
    units = [u for u in units if story_line(u)]
    found = vectors([u.chunk_id for u in units])
    units = [u for u in units if u.chunk_id in found]
    if not units:
        return []
    matrix = np.stack([found[u.chunk_id] for u in units])
    like = matrix @ matrix.T
    score = (like.sum(axis=1) - 1.0) / max(len(units) - 1, 1)
    if weight is not None:
        score = score * np.array([weight(u, v) for u, v in zip(units, matrix, strict=True)])
    taken: list[int] = []
    nearest = np.zeros(len(units))
    free = np.ones(len(units), dtype=bool)
    while len(taken) < k and free.any():
        i = int(np.argmax(np.where(free, score - diversity * nearest, -np.inf)))
        taken.append(i)
        free[i] = False
        nearest = np.maximum(nearest, like[i])
    return [units[i] for i in taken]
