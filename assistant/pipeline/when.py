"""Time in questions: "the latest on X", "in February 2017", "before 3 March", "last week".

News is dated, and a question about time is answered from the articles of that time. A question
names a period with a preposition and a date phrase ("in March 2017", "after 13 February",
"since 2016", "before the election on 15 March": an event and its date; "in 2016" alone is left
a word of the question, as it dates events more often than reports), or relative to the
corpus's newest date ("last week", "this month"), or asks for the newest report ("latest",
"most recent", "newest", "current"). The phrase's shape is found by a pattern (a preposition,
then words a date is written in); what it means is dateutil's reading of it, with the
components it names (a year alone is that year; a month and year that month; a day that
day). Retrieval searches the question without the date and the "latest" (`topic`). Undated
articles are never excluded by a period: nothing says they are outside it.
"""

from __future__ import annotations

import datetime as dt
import re

from dateutil.relativedelta import relativedelta

from search.period import Period
from search.text import MONTH_ABBREVIATIONS, MONTHS, WEEKDAYS

_MONTHS = "|".join(sorted({*MONTHS, *MONTH_ABBREVIATIONS}, key=len, reverse=True))
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
# a date as news writes it: "13 February 2017", "February 13, 2017", "Feb 2017", "2017-02-13",
# "February", "2017"
_DATE = (
    rf"(?:{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\.?(?:,?\s+{_YEAR})?"
    rf"|(?:{_MONTHS})\.?(?:\s+{_DAY})?(?:,?\s+{_YEAR})?"
    rf"|{_YEAR}-\d{{2}}(?:-\d{{2}})?|{_YEAR})"
)
_PERIOD = re.compile(rf"\b(?P<how>in|on|during|before|after|since|until|by)\s+(?P<date>{_DATE})\b", re.I)
# "before the Dutch election on 15 March", "after the summit in July": an event and its date
_EVENT = re.compile(
    rf"\b(?P<how>before|after|since|until)\s+(?:the\s+|a\s+|an\s+|his\s+|her\s+|their\s+)?"
    rf"(?:[\w'’-]+\s+){{1,5}}?(?P<on>on|in)\s+(?P<date>{_DATE})\b",
    re.I,
)
_RELATIVE = re.compile(r"\b(?P<which>last|this|past)\s+(?P<unit>week|month|year)\b", re.I)
_RECENT = re.compile(r"\b(?:latest|most\s+recent(?:ly)?|newest|current(?:ly)?|recent(?:ly)?)\b", re.I)


def period(question: str, newest: str | None = None) -> Period | None:
    """The period a question asks about, or None. `newest` (ISO) is the corpus's newest date,
    which "last week" and a date without a year are taken relative to."""
    recent = bool(_RECENT.search(question))
    anchor = dt.date.fromisoformat(newest) if newest else None
    event = _EVENT.search(question)
    m = event or _PERIOD.search(question)
    if m is not None and not event and _only_a_year(m):
        m = None  # "car sales in 2016": the year the sales were in, reported in 2017 too
    if m is not None:
        span = _span(m.group("date"), anchor)
        if span is not None:
            start, end = span
            how = m.group("how").lower()
            # an event on a day is before or after that day; one in a month may be any day of it
            within = event is not None and end - start > dt.timedelta(days=1)
            if how in ("before", "until", "by"):
                start, end = None, start if how == "before" and not within else end
            elif how in ("after",):
                start, end = start if within else end, None
            elif how == "since":
                end = None
            # what retrieval leaves out: the date, not the event ("the Dutch election")
            dated = question[m.start("on") : m.end()] if event else m.group(0)
            return Period(_iso(start), _iso(end), recent, m.group(0), dated)
    r = _RELATIVE.search(question)
    if r is not None and anchor is not None:
        start, end = _relative(r.group("which").lower(), r.group("unit").lower(), anchor)
        return Period(_iso(start), _iso(end), recent, r.group(0), r.group(0))
    return Period(recent=True, phrase=_RECENT.search(question).group(0)) if recent else None


def _only_a_year(m: re.Match) -> bool:
    """"in 2016" dates what was done more often than when it was reported (a year's figures
    come out the next January), so it stays a word of the question, not a filter;
    "before/after/since 2016" says which reports."""
    in_it = m.group("how").lower() in ("in", "during", "on")
    return in_it and re.fullmatch(_YEAR, m.group("date")) is not None


def topic(question: str, period: Period | None) -> str:
    """The question as retrieval should read it: without its date and its "latest", which the
    period's filter and ordering already carry and which as words only match other stories'
    dates ("in March 2017") and stock phrases ("the latest figures")."""
    if period is None:
        return question
    text = question.replace(period.dated, " ") if period.dated else question
    text = _RECENT.sub(" ", text) if period.recent else text
    return " ".join(text.split()) or question


def _span(phrase: str, anchor: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """The days a date phrase covers, [first, after last), read by dateutil."""
    from dateutil import parser

    has_year, has_month, has_day = _components(phrase)
    default = dt.datetime((anchor or dt.date.today()).year, 1, 1)
    try:
        day = parser.parse(phrase, default=default).date()
    except (ValueError, OverflowError):
        return None
    if has_day:
        return day, day + dt.timedelta(days=1)
    if has_month:
        first = day.replace(day=1)
        return first, first + relativedelta(months=1)
    if has_year:
        return dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1)
    return None


def _components(phrase: str) -> tuple[bool, bool, bool]:
    """Which of year, month and day a date phrase names."""
    iso = re.fullmatch(rf"({_YEAR})-(\d\d)(?:-(\d\d))?", phrase)
    if iso:
        return True, True, iso.group(3) is not None
    year = re.search(_YEAR, phrase)
    rest = phrase.replace(year.group(0), " ") if year else phrase
    return year is not None, re.search(_MONTHS, rest, re.I) is not None, bool(re.search(rf"\b{_DAY}\b", rest))


def _relative(which: str, unit: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """"last week" is the seven days up to the corpus's newest date; "this month" its month."""
    end = anchor + dt.timedelta(days=1)
    if which in ("last", "past"):
        days = {"week": 7, "month": 30, "year": 365}[unit]
        return end - dt.timedelta(days=days), end
    if unit == "week":
        return anchor - dt.timedelta(days=anchor.weekday()), end
    if unit == "month":
        return anchor.replace(day=1), end
    return dt.date(anchor.year, 1, 1), end


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def spoken(date: str) -> str:
    """An ISO date as an answer says it: "30 March 2017"."""
    day = dt.date.fromisoformat(date)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


# the date a sentence gives its event, read against the report's date: "on Tuesday", "on 14
# March", "yesterday", "last week"
_WEEKDAY = "|".join(WEEKDAYS)
_GIVEN = re.compile(
    rf"\b(?:on\s+)?(?P<weekday>{_WEEKDAY})\b"
    rf"|\b(?P<named>{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\.?(?:,?\s+{_YEAR})?"
    rf"|(?:{_MONTHS})\.?\s+{_DAY}(?:,?\s+{_YEAR})?)\b"
    r"|\b(?P<relative>yesterday|today|last\s+(?:night|week|month))\b",
    re.I,
)
_AHEAD = re.compile(r"\b(?:will|next|upcoming|is\s+due|are\s+due|scheduled)\b", re.I)
_BACK = {"yesterday": relativedelta(days=-1), "today": relativedelta(), "last night": relativedelta(days=-1)}


def _back(relative: str, day: dt.date) -> str:
    """A relative date at the precision it has, as a temporal tagger normalises it (TimeML):
    "yesterday" is a day; "last month" a month ("2017-01"), not the same day a month back;
    "last week" the calendar week before the report's, as the month that holds its Thursday
    (ISO 8601 gives a week to the month and year of its Thursday)."""
    if relative == "last month":
        return (day + relativedelta(months=-1)).strftime("%Y-%m")
    if relative == "last week":
        return (day - dt.timedelta(days=day.weekday() + 4)).strftime("%Y-%m")
    return (day + _BACK[relative]).isoformat()


def names_day(text: str) -> bool:
    """Whether a sentence says when (a weekday, a day and month, "yesterday", "last week"):
    what a report of an event usually does and its background usually doesn't."""
    return _GIVEN.search(text) is not None


def event_date(text: str, reported: str | None) -> tuple[str | None, bool]:
    """The date a sentence gives what it reports, as ISO (a month, "2017-01", when the
    sentence says no more than "last month"), and whether the sentence gave it:
    the first weekday, day and month, or "yesterday"/"last week" in it, resolved against the
    report's date `reported` by dateutil (a weekday is the last one on or before the report,
    the next one after it when the sentence looks ahead); else the report's date (False)."""
    if reported is None:
        return None, False
    day = dt.date.fromisoformat(reported)
    m = _GIVEN.search(text)
    if m is None:
        return reported, False
    if m.group("weekday"):
        index = [w.lower() for w in WEEKDAYS].index(m.group("weekday").lower())
        ahead = bool(_AHEAD.search(text[: m.start()]))
        step = relativedelta(days=+1, weekday=index) if ahead else relativedelta(weekday=_last(index))
        return (day + step).isoformat(), True
    if m.group("relative"):
        return _back(" ".join(m.group("relative").lower().split()), day), True
    span = _span(m.group("named"), day)
    if span is None:
        return reported, False
    start = span[0]
    if not re.search(_YEAR, m.group("named")):
        # a day and month without a year is the nearest such day to the report: "on 28
        # December" in a January report is last year's, "on March 29" in a March report is
        # this year's even if it is still ahead ("will trigger Article 50 on March 29")
        start = min(
            (start + relativedelta(years=k) for k in (-1, 0, 1)), key=lambda d: abs((d - day).days)
        )
    return start.isoformat(), True


def weekday(text: str) -> int | None:
    """The weekday a sentence names first (0 is Monday), or None: what orders the events of
    undated reports of one week."""
    m = re.search(rf"\b({_WEEKDAY})\b", text, re.I)
    return [w.lower() for w in WEEKDAYS].index(m.group(1).lower()) if m else None


def _last(index: int):
    """dateutil's weekday, as the last one on or before a day (TU(-1))."""
    from dateutil.relativedelta import weekdays

    return weekdays[index](-1)
