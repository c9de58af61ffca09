"""Time in questions: periods read from the question, filtering both retrievers; the latest first."""

from __future__ import annotations

import csv

import pytest

from assistant import answer
from assistant.pipeline.when import period, spoken

NEWEST = "2017-04-28"


@pytest.mark.parametrize(
    "question, start, end, recent",
    [
        ("What happened in February 2017?", "2017-02-01", "2017-03-01", False),
        ("What did Trump say before 13 March?", None, "2017-03-13", False),
        ("What happened on March 3, 2017?", "2017-03-03", "2017-03-04", False),
        ("Who has won since 2016?", "2016-01-01", None, False),
        ("What happened after 2017-03-01?", "2017-03-02", None, False),
        ("What happened last week in Syria?", "2017-04-22", "2017-04-29", False),
        ("What is the latest on the health bill?", None, None, True),
        ("What is the most recent report on the strike in March 2017?", "2017-03-01", "2017-04-01", True),
        # an event and its date: before or after that day; an event in a month may be any day of it
        ("Before the election on 15 March 2017, what did polls say?", None, "2017-03-15", False),
        ("What changed after the summit in Malta on 3 February?", "2017-02-04", None, False),
        ("What did polls say before the vote in March 2017?", None, "2017-04-01", False),
        ("What happened after the summit in Helsinki in July 2016?", "2016-07-01", None, False),
        ("What did the minister say in the interview in February 2017?", "2017-02-01", "2017-03-01", False),
    ],
)
def test_a_question_s_period_is_read_with_dateutil(question, start, end, recent):
    got = period(question, NEWEST)
    assert (got.start, got.end, got.recent) == (start, end, recent)


@pytest.mark.parametrize(
    "question",
    ["Who met Putin in Moscow?", "How many drones did Russia fire?",
     "How many cars did Chinese dealers sell in 2016?"],  # the sales' year, reported in 2017 too
)
def test_a_question_without_a_time_has_no_period(question):
    assert period(question, NEWEST) is None


def test_an_undated_article_is_in_every_period():
    assert period("in February 2017", NEWEST).holds(None)
    assert not period("in February 2017", NEWEST).holds("2017-03-01")


def test_retrieval_reads_the_topic_without_the_date_and_the_latest():
    from assistant.pipeline.when import topic

    asked = "Before the Dutch election on 15 March 2017, how many seats did polls give Rutte?"
    assert topic(asked, period(asked, NEWEST)) == "Before the Dutch election , how many seats did polls give Rutte?"
    latest = "What is the latest on the harbour budget?"
    assert topic(latest, period(latest, NEWEST)) == "What is the on the harbour budget?"
    assert topic("Who met Putin?", None) == "Who met Putin?"


def test_dates_are_said_as_news_says_them():
    assert spoken("2017-03-30") == "30 March 2017"


ROWS = [
    ("1", "2017-02-10", "Harbour budget plan", "The harbour budget was set at 4 million euros, the council said."),
    ("2", "2017-03-20", "Harbour budget revised", "The harbour budget was raised to 6 million euros, the council said."),
    ("3", "2017-03-21", "Rail news", "The rail line to the coast reopened after repairs."),
]


@pytest.fixture
def dated(isolated):
    for old in isolated["corpus"].iterdir():
        old.unlink()
    with open(isolated["corpus"] / "feed.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "date", "title", "text"])
        writer.writerows(ROWS)
    return isolated


def test_a_period_keeps_retrieval_to_its_articles_and_the_answer_says_when(dated):
    result = answer("What was the harbour budget in February 2017?")
    assert not result.refused
    assert {c.article_id for c in result.citations} == {"feed:1"}
    assert "On 10 February 2017, " in result.text and "4 million" in result.text


def test_the_latest_puts_the_newest_report_first(dated):
    result = answer("What is the latest harbour budget?")
    assert result.citations[0].article_id == "feed:2" and "6 million" in result.text


def test_reports_that_differ_say_which_is_newer(dated):
    result = answer("How much is the harbour budget?")
    assert result.text.startswith("The articles differ (the newer report [")
    assert "is of 20 March 2017)" in result.text



def test_for_the_latest_the_newest_of_the_answers_that_pass_the_check_is_decided_on():
    from types import SimpleNamespace

    from assistant.pipeline.decide import Candidate, Signals, Verdict, choose

    def said_on(date):
        return (SimpleNamespace(line=SimpleNamespace(unit=SimpleNamespace(date=date))),)

    rule = {"answer_at": 0.55, "unsure_at": 0.4}
    old = Candidate("reader", said_on("2017-02-10"), Signals(True, p_yes=0.9))
    new = Candidate("composer", said_on("2017-03-20"), Signals(True, p_yes=0.7))
    doubtful = Candidate("composer", said_on("2017-03-25"), Signals(True, p_yes=0.45))

    def chosen(candidates, latest=False):
        return choose(candidates, **rule, latest=latest).candidate.source

    assert chosen([old, new]) == "reader"  # no time asked: the likelier
    assert chosen([old, new], latest=True) == "composer"  # the latest: the newer
    assert chosen([old, doubtful], latest=True) == "reader"  # only among answers
    assert chosen([doubtful], latest=True) == "composer"  # none answers: as before
    assert choose([doubtful], **rule, latest=True).verdict is Verdict.UNSURE
