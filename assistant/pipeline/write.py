"""Write: the answer a person reads, from what was grounded and decided, with its citations.

The answer is the article's own words for what the model pointed at (the grounded span, so it
is always a verbatim part of the quote under it), each followed by the marker of the sentence
it is in, and each cited sentence a `Citation` with exact offsets. A question of several parts
answers each part on its own line, and says which parts the articles don't answer instead of
dropping them; a count that two articles give differently is said to differ. "Not sure" is a refusal that shows the closest passage as exactly that, in
`Answer.closest`, never as a cited answer.

Two forms (`ASSISTANT_ANSWER_FORM`, measured in the README): `phrase`, the span alone ("five
hours [1]"), and `quote`, the span with the sentence it comes from ("five hours: “The talks
lasted five hours, Ushakov said.” [1]"), which reads as a sentence, carries what a short span
leaves out (the second name of two), and lets a person check the answer without looking down.
A span that is most of its sentence is shown as the sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.models import Citation, Kind
from assistant.pipeline.decide import Verdict
from assistant.pipeline.evidence import LIST_ITEM, Line
from assistant.pipeline.ground import Grounded
from assistant.pipeline.story import Picked
from assistant.pipeline.when import spoken
from index.units import Unit
from search.listing import Listed
from search.text import MONTH_ABBREVIATIONS, number, overlap, plain_words

REFUSAL = (
    "The articles don't say. I found nothing in the indexed articles that answers this question."
)
UNKNOWN_WORDS = (
    "The articles don't say. None of the question's words appear in the indexed articles."
)
UNSURE = (
    "I'm not sure the articles answer this. The closest passage I found is shown below; it may "
    "not say what you asked."
)
NOT_SAID = "The articles don't say"
NOT_READ = "Not read (stopped, or out of time)"
DIFFER = "The articles differ"


@dataclass(frozen=True)
class PartAnswer:
    """One part of a question as decided: the grounded phrases it is answered with, if any."""

    asked: str
    verdict: Verdict
    grounded: tuple[Grounded, ...] = ()
    counts: bool = False  # the part asks for a number, which articles may report differently
    timed: bool = False  # the part asks about a time: the answer says when each report is from
    recent: bool = False  # it asks for the latest: the newest report is given first
    several: bool = False  # its answer is several facts: a list of the articles' sentences
    events: bool = False  # (several) it asks what happened: the facts in the order they did
    unread: bool = False  # the question was stopped (or ran out of time) before this part


@dataclass(frozen=True)
class Written:
    text: str
    citations: list[Citation]
    kind: Kind
    closest: Citation | None = None

    @property
    def refused(self) -> bool:
        return self.kind in (Kind.REFUSAL, Kind.UNSURE)


def write(
    parts: Sequence[PartAnswer],
    *,
    form: str,
    max_citations: int,
    quote_share: float,
    max_facts: int,
    same_fact: float,
) -> Written:
    """`quote_share`: a span at least this share of its sentence's length is shown as the
    sentence alone (Settings.quote_share). A part of several facts is a list of at most
    `max_facts` sentences; two reports' sentences whose words overlap by `same_fact` state one
    fact, shown once with both citations."""
    answered = [p for p in parts if p.verdict is Verdict.ANSWER and p.grounded]
    if not answered:
        unsure = next((p for p in parts if p.verdict is Verdict.UNSURE and p.grounded), None)
        if unsure is not None:
            return Written(UNSURE, [], Kind.UNSURE, closest=cite(unsure.grounded[0].line, 1))
        return Written(REFUSAL, [], Kind.REFUSAL)
    numbers: dict[tuple[str, int], int] = {}
    citations: list[Citation] = []

    def marker(line: Line, capped: bool = True) -> int | None:
        key = _key(line)
        if key not in numbers:
            if capped and len(citations) >= max_citations:
                return None
            numbers[key] = len(citations) + 1
            citations.append(cite(line, numbers[key]))
        return numbers[key]

    lines = []
    listed: set[tuple[str, int]] = set()  # the sentences lists of earlier parts gave
    several = len(parts) > 1
    for part in parts:
        if part.verdict is not Verdict.ANSWER or not part.grounded:
            lines.append(f"{NOT_READ if part.unread else NOT_SAID}: {part.asked}")
            continue
        grounded = part.grounded
        if part.several:
            if several:
                lines.append(part.asked)
            # a sentence another part of the question listed already is not listed again
            fresh = tuple(g for g in grounded if _key(g.line) not in listed)
            listed.update(_key(g.line) for g in fresh)
            lines += _listed(fresh, marker, max_facts, same_fact, events=part.events) or [
                f"{NOT_SAID} more: {part.asked}"
            ]
            continue
        if part.recent:  # "the latest": newest report first (stable: undated keep their order)
            grounded = tuple(sorted(grounded, key=lambda g: g.line.unit.date or "", reverse=True))
        said = _say(grounded, marker, form, quote_share, dated=part.timed)
        if part.counts and _differ(grounded):
            said = f"{DIFFER}{_newer(grounded, marker)}: {said}"
        lines.append(f"{part.asked} {said}" if several else said)
    return Written("\n".join(lines), citations, Kind.ANSWER)


def _say(
    grounded: Sequence[Grounded], marker, form: str, quote_share: float, dated: bool = False
) -> str:
    """The part's grounded spans, those of one sentence together, each sentence's marker after
    its spans (and, in the quote form, the sentence itself)."""
    by_line: dict[int, list[Grounded]] = {}
    for g in grounded:
        spans = by_line.setdefault(g.line.n, [])
        if all(g.text != s.text for s in spans):
            spans.append(g)
    pieces = []
    for spans in by_line.values():
        n = marker(spans[0].line)
        if n is None:
            continue
        line = spans[0].line
        text = ", ".join(_unique(_coordinated(s) for s in spans))
        if form == "quote" and len(text) < quote_share * len(line.unit.text):
            piece = f"{text}: “{line.unit.text}” [{n}]"
        elif form == "quote":
            piece = f"{line.unit.text} [{n}]"
        else:
            piece = f"{text} [{n}]"
        if dated and line.unit.date:  # "On 30 March 2017, ..."
            piece = f"On {spoken(line.unit.date)}, {piece}"
        pieces.append(piece)
    return "; ".join(pieces)


_NAME = r"[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*"
# "X and Y", "X and adviser Y", "X, Y and Z": names joined by "and"/"or" (a role's few lower-case
# words between), or by a comma in a list that goes on
_AND = r",?\s+(?:and|or|&)\s+(?:[a-z][\w-]*\s+){0,3}?"
_NEXT_NAME = re.compile(rf"^(?:{_AND}({_NAME})|,\s+({_NAME})(?=,|\s+and\b))")
_NAME_BEFORE = re.compile(rf"({_NAME})(?:{_AND}|,\s+)$")


def _coordinated(g: Grounded) -> str:
    """The lead for a grounded name, widened to the names joined to it in its sentence
    ("Steve Witkoff" in "Steve Witkoff and son-in-law Jared Kushner met Putin" leads with
    both), so the lead never says less than the quote under it. Still the sentence's own
    words; a span that is not a name, or a table row, is as grounded."""
    text, first = g.line.unit.text, g.line.unit.start
    a, b = g.start - first, g.end - first
    if g.line.text != text or not text[a:b][:1].isupper():
        return g.text
    while (m := _NEXT_NAME.match(text[b:])) is not None:
        b += m.end()
    while (m := _NAME_BEFORE.search(text[:a])) is not None and m.start() < a:
        a = m.start()
    return text[a:b]


def _unique(leads) -> list[str]:
    """Leads once each: two names of one sentence widen to the same "X and Y", and a lead
    inside another says nothing more."""
    leads = list(leads)
    return [t for i, t in enumerate(leads)
            if not any(t in o and (t != o or j < i) for j, o in enumerate(leads) if j != i)]


def _key(line: Line) -> tuple[str, int]:
    return (line.passage.article_id, line.unit.start)


def _listed(
    grounded: Sequence[Grounded], marker, most: int, same_fact: float, events: bool
) -> list[str]:
    """The part's sentences as a list, a line each: one fact once, with the marker of every
    report that states it; the first `most` facts in the model's order, then shown in order:
    what happened by the reports' dates and places in their articles, anything else grouped
    by article (its source), each in the article's order."""
    facts: list[list[Grounded]] = []
    for g in grounded:
        same = next((f for f in facts if overlap(f[0].line.text, g.line.text) >= same_fact), None)
        if same is None:
            facts.append([g])
        elif g.line.passage.article_id not in {x.line.passage.article_id for x in same}:
            same.append(g)
    facts = facts[:most]
    first_seen = {}
    for f in facts:
        first_seen.setdefault(f[0].line.passage.article_id, len(first_seen))

    def place(f: list[Grounded]) -> tuple:
        unit = f[0].line.unit
        article = first_seen[f[0].line.passage.article_id]
        return (unit.date or "", article, unit.start) if events else (article, unit.start)

    out = []
    for f in sorted(facts, key=place):
        markers = "".join(f"[{marker(g.line, capped=False)}]" for g in f)
        out.append(f"- {_item(f[0].line.text)} {markers}")  # the whole sentence, as shown
    return out


def _item(text: str) -> str:
    """A sentence as a line of the answer's list: an item of the article's own list loses its
    marker, which the answer's line already has ("- - Creating ...")."""
    return LIST_ITEM.sub("", text, count=1)


def _newer(grounded: Sequence[Grounded], marker) -> str:
    """Which of the reports that differ is the newer, when they are dated."""
    dated = [g for g in grounded if g.line.unit.date]
    if len({g.line.unit.date for g in dated}) < 2:
        return ""
    newest = max(dated, key=lambda g: g.line.unit.date)
    n = marker(newest.line)  # already cited by the answer, or None past max_citations
    cited = f" [{n}]" if n else ""
    return f" (the newer report{cited} is of {spoken(newest.line.unit.date)})"


def _differ(grounded: Sequence[Grounded]) -> bool:
    """Whether two articles give the count with no number in common (eleven wounded in one
    report, six in another): the reader is told, not handed one figure as the fact."""
    by_article: dict[str, set[str]] = {}
    for g in grounded:
        figures = _figures(g.text)
        if figures:
            by_article.setdefault(g.line.passage.article_id, set()).update(figures)
    found = list(by_article.values())
    return any(not (a & b) for i, a in enumerate(found) for b in found[i + 1 :])


_SCALES = frozenset({"hundred", "thousand", "million", "billion"})


def _figures(text: str) -> set[str]:
    """The numbers text gives ("4 million" is 4, "eleven" is 11): a scale word is no figure."""
    return {
        number(w).replace(",", "")
        for w in plain_words(text)
        if w not in _SCALES and (w[0].isdigit() or number(w) != w)
    }


def cite(line: Line, n: int) -> Citation:
    return citation(line.unit, n, round(line.passage.score, 4))


def citation(unit: Unit, n: int, score: float) -> Citation:
    """The unit as citation n: its exact offsets, its article's headline, date and link."""
    return Citation(
        n=n, article_id=unit.article_id, title=unit.title, quote=unit.text, start=unit.start,
        end=unit.end, score=score, date=unit.date, url=unit.url,
    )


def write_listing(listed: Listed) -> Written:
    """A question about the corpus: the count, then one line and one citation per article
    (its headline and date, cited by its first sentence that mentions the topic)."""
    citations = [citation(unit, n, 1.0) for n, unit in enumerate(listed.shown, 1)]
    count, cap = listed.count, listed.cap
    said = "article mentions" if count == 1 else "articles mention"
    first = "newest" if listed.dated else "with the most mentions"
    # the other spellings of a name that were counted are said: "Zelensky (also spelt Zelenskyy)"
    topic = listed.topic + (
        f" (also spelt {', '.join(listed.spellings)})" if count and listed.spellings else ""
    )
    if count == 0:
        text = f"No article mentions {listed.topic}."
    elif listed.count_only:  # the count first; a capped list says it is part of it
        text = f"{count} {said} {topic}." + (
            f" The {cap} {first} are listed:" if count > cap else ""
        )
    else:
        text = f"{count} {said} {topic}" + (
            f"; the {cap} {first} are listed:" if count > cap else ":"
        )
    if citations:
        text += "\n" + "\n".join(_listed_line(c) for c in citations)
    return Written(text, citations, Kind.LISTING)


def _listed_line(c: Citation) -> str:
    dated = f" ({c.date})" if c.date else ""
    return f"- {c.title}{dated} [{c.n}]"


def write_story(
    picked: Sequence[Picked], kind: Kind, *, dated: bool, more: str = "", note: str = ""
) -> Written:
    """A timeline or a summary: a line per chosen sentence, each with the marker of every
    report that gives it; a timeline's lines dated ("14 Mar 2017: ..."), a summary of a
    story's with each report's date. `more` and `note` are said after the list."""
    if not picked:
        return Written(REFUSAL, [], Kind.REFUSAL)
    citations: list[Citation] = []
    lines = []
    for p in picked:
        markers = ""
        for unit in (p.unit, *p.also):
            citations.append(citation(unit, len(citations) + 1, 1.0))
            markers += f"[{len(citations)}]"
        when = short_date(p.date) if dated and p.date else ""
        text = _item(p.unit.text)
        lines.append(f"- {when}: {text} {markers}" if when else f"- {text} {markers}")
    tail = [t for t in (more, note) if t]
    return Written("\n".join(lines + tail), citations, kind)


def short_date(iso: str) -> str:
    """An ISO date as a timeline line starts: "14 Mar 2017", or "Jan 2017" for a month."""
    if len(iso) == 7:  # YYYY-MM
        return f"{MONTH_ABBREVIATIONS[int(iso[5:]) - 1]} {iso[:4]}"
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {MONTH_ABBREVIATIONS[day.month - 1]} {day.year}"
