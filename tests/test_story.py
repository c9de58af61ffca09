"""Timelines and summaries: how a request is read, how events are dated and ordered, and the
whole path on the seeds (no model: every line an article's sentence, chosen by code)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from assistant.pipeline.story import Story, central, events, in_order, lead_weight, parse
from assistant.pipeline.when import event_date, weekday


@pytest.mark.parametrize(
    ("question", "story"),
    [
        ("Give me a timeline of the Navalny case", Story("timeline", "the Navalny case")),
        ("What happened with the travel ban, in order?", Story("timeline", "the travel ban")),
        ("How did the Flynn affair develop?", Story("timeline", "the Flynn affair")),
        ("What happened in the talks, day by day?", Story("timeline", "the talks")),
        ("What happened at Uber, in order?", Story("timeline", "Uber")),
        ("How did the health bill develop, from its launch to its failure?",
         Story("timeline", "the health bill from its launch to its failure")),
        ("How did the talks unfold in March 2017?", Story("timeline", "the talks in March 2017")),
        ("Summarize the coverage of the Dutch election", Story("summary", "the Dutch election")),
        ("Give me the gist of 'Putin rejects the plan'", Story("summary", "Putin rejects the plan")),
        ("Summarize this article", Story("summary", "", "a1")),
    ],
)
def test_requests_for_a_story(question, story):
    assert parse(question, article="a1") == story


@pytest.mark.parametrize(
    "question",
    ["What happened after the vote?", "How did Trump rate the talks?", "Who summarized the plan?",
     "What happened to the power plant?", "What happened at the meeting?",
     "How did it develop, and who won?"],
)
def test_questions_that_are_not_requests_for_a_story(question):
    assert parse(question) is None


def test_a_sentence_dates_its_event_against_the_report():
    # 29 March 2017 is a Wednesday
    assert event_date("Navalny was detained on Sunday.", "2017-03-29") == ("2017-03-26", True)
    assert event_date("He will appear in court on Friday.", "2017-03-29") == ("2017-03-31", True)
    assert event_date("Protests took place on 26 March.", "2017-03-29") == ("2017-03-26", True)
    assert event_date("He was arrested on 28 December.", "2017-01-10") == ("2016-12-28", True)
    # a day and month without a year: the nearest to the report, ahead as well as behind
    assert event_date("She will trigger Article 50 on March 29.", "2017-03-20") == ("2017-03-29", True)
    assert event_date("The vote is set for 3 January.", "2016-12-20") == ("2017-01-03", True)
    assert event_date("Nothing dates this.", "2017-03-29") == ("2017-03-29", False)
    assert event_date("On Tuesday they met.", None) == (None, False)
    # "last month" is a month and "last week" the calendar week before, given as the month of
    # its Thursday (Monday 13 Feb 2017: the week of 6 Feb), not a day they don't name
    assert event_date("He signed an order last month.", "2017-02-13") == ("2017-01", True)
    assert event_date("It was approved last week.", "2017-02-13") == ("2017-02", True)
    assert event_date("They met last week.", "2017-03-01") == ("2017-02", True)  # 20-26 Feb
    assert event_date("He spoke yesterday.", "2017-02-13") == ("2017-02-12", True)
    assert weekday("They met on Thursday.") == 3 and weekday("No day.") is None


def _scored(text, article, fused, date=None, ordinal=1):
    hit = SimpleNamespace(text=text, title="T", kind="sentence", article_id=article, date=date,
                          ordinal=ordinal, chunk_id=f"{article}:{ordinal}")
    return SimpleNamespace(hit=hit, fused=fused)


def test_one_event_two_reports_give_is_one_with_both_and_events_are_in_date_order():
    ranked = [
        _scored("Navalny was detained at a rally in Moscow on Sunday afternoon.", "b", 1.0, "2017-03-27"),
        _scored("A Moscow court jailed Navalny for 15 days on Monday evening.", "c", 0.9, "2017-03-28"),
        _scored("Navalny was detained at a rally in Moscow on Sunday.", "a", 0.8, "2017-03-26"),
        _scored("Thousands of people protested across Russia against corruption.", "d", 0.7, "2017-03-26"),
        _scored("Unrelated sentence about the weather in Paris today.", "e", 0.1, "2017-03-20"),
    ]
    found = events(ranked, event_date, weekday, share=0.6, same_fact=0.6, per_article=2)
    assert len(found) == 3  # the repeat merged, the unrelated one below the share
    detained = found[0]
    assert detained.date == "2017-03-26" and [u.article_id for u in detained.also] == ["a"]
    ordered = in_order(found)
    assert [e.date for e in ordered] == ["2017-03-26", "2017-03-26", "2017-03-27"]


def test_an_event_of_last_month_is_dated_by_its_month_and_told_before_that_month_s_days():
    from assistant.pipeline.write import short_date

    ranked = [
        _scored("The court ruled against the order on 3 February.", "a", 1.0, "2017-02-13"),
        _scored("The president signed the executive order last month.", "b", 0.9, "2017-02-13"),
    ]
    found = in_order(events(ranked, event_date, weekday, share=0.5, same_fact=0.6, per_article=2))
    assert [e.date for e in found] == ["2017-01", "2017-02-03"]
    assert [short_date(e.date) for e in found] == ["Jan 2017", "3 Feb 2017"]


def test_a_reports_opening_sentence_outranks_its_background():
    # the same relevance: what happened (the lede) before what is background (late in the report)
    ranked = [
        _scored("In 2015 Navalny repaid all the liabilities of his brother.", "a", 1.0, "2017-03-27", 14),
        _scored("Navalny was jailed for 15 days on Monday for organising the rally.", "b", 0.9, "2017-03-28", 0),
    ]
    plain = events(ranked, event_date, weekday, share=0.5, same_fact=0.6, per_article=2)
    led = events(ranked, event_date, weekday, share=0.5, same_fact=0.6, per_article=2, lead=0.5)
    assert [e.unit.article_id for e in plain] == ["a", "b"]
    assert [e.unit.article_id for e in led] == ["b", "a"]


def test_a_plan_a_report_announces_is_dated_by_the_report():
    ranked = [
        _scored("Hearings on the nominee will begin on March 20, the committee said.", "a", 1.0, "2017-02-16"),
        _scored("The nominee met senators on Tuesday.", "b", 0.9, "2017-02-16"),
    ]
    found = events(ranked, event_date, weekday, share=0.5, same_fact=0.6, per_article=2)
    assert [(e.date, e.dated_by_text) for e in found] == [("2017-02-16", False), ("2017-02-14", True)]


def test_the_learned_event_score_puts_what_happened_before_what_was_said_about_it():
    from assistant.pipeline.story import EVENT_FEATURES, EVENT_WEIGHTS, event_features
    from assistant.pipeline.when import names_day

    ranked = [  # the quote is a little more about the topic; the report of the event leads
        _scored('"This is a dark day for our democracy," the opposition leader said of it.', "a", 1.0,
                "2017-03-28", 9),
        _scored("Police detained Navalny and hundreds of protesters in Moscow on Sunday.", "b", 0.9,
                "2017-03-28", 0),
        _scored("Police detained the opposition leader in Moscow on Sunday, with hundreds more.", "c", 0.8,
                "2017-03-27", 0),
        _scored("Unrelated sentence about the weather in Paris today.", "d", 0.1, "2017-03-20", 0),
    ]
    rows = event_features(ranked, names_day)
    assert rows.shape == (4, len(EVENT_FEATURES)) and set(EVENT_WEIGHTS) == set(EVENT_FEATURES)
    column = dict(zip(EVENT_FEATURES, rows.T, strict=True))
    assert list(column["names_day"][:3]) == [0, 1, 1] and list(column["quotes"][:2]) == [1, 0]
    assert column["support"][1] > 0 and column["support"][0] == 0  # b and c tell one event
    found = events(ranked, event_date, weekday, share=0.4, same_fact=0.6, per_article=2,
                   weights=EVENT_WEIGHTS, names_day=names_day)
    assert [e.unit.article_id for e in found][:2] == ["b", "c"]
    assert "d" not in [e.unit.article_id for e in found]  # below the relevance share


def test_undated_events_follow_the_weekdays_they_name():
    ranked = [
        _scored("The envoys flew home to Washington on Thursday night.", "a", 1.0, None, 9),
        _scored("Putin met the envoys for five hours in Moscow on Tuesday.", "a", 0.9, None, 2),
    ]
    found = events(ranked, event_date, weekday, share=0.5, same_fact=0.6, per_article=2)
    assert [e.day for e in in_order(found)] == [1, 3]


def test_a_summary_takes_central_sentences_that_do_not_repeat_one_another():
    units = [SimpleNamespace(text=f"Sentence number {i} says a thing about the talks.", title="T",
                             kind="sentence", chunk_id=f"c{i}", ordinal=i) for i in range(4)]
    vectors = {  # c0 and c1 say the same; c2 is central; c3 is off on its own
        "c0": np.array([1.0, 0.0, 0.0]), "c1": np.array([1.0, 0.0, 0.0]),
        "c2": np.array([0.7, 0.7, 0.0]), "c3": np.array([0.0, 0.0, 1.0]),
    }
    chosen = central(units, lambda ids: {i: vectors[i] for i in ids}, k=2, diversity=0.5)
    assert {u.chunk_id for u in chosen} in ({"c0", "c2"}, {"c1", "c2"})


def test_at_the_same_centrality_a_summary_takes_the_reports_opening_sentence():
    units = [SimpleNamespace(text=f"Sentence number {i} says a thing about the talks.", title="T",
                             kind="sentence", chunk_id=f"c{i}", ordinal=i) for i in (7, 0, 3)]
    same = {f"c{i}": np.array([1.0, 0.0]) for i in (7, 0, 3)}
    chosen = central(units, lambda ids: {i: same[i] for i in ids}, k=1, diversity=0.5,
                     weight=lambda u, v: lead_weight(u, 1.0))
    assert [u.ordinal for u in chosen] == [0]


def test_timelines_and_summaries_of_the_seeds_are_cited_lists(built_index):
    from assistant import answer
    from assistant.models import Kind
    from tests.scripted_llm import assert_grounded

    timeline = answer("Give me a timeline of the Moscow talks")
    assert timeline.kind is Kind.TIMELINE and timeline.citations
    assert_grounded(timeline, built_index["corpus"])
    assert "no dates" in timeline.text  # the seeds are undated: the order is said to be uncertain
    summary = answer("Summarize this article", article="004_80ebed28bbef419f")
    assert summary.kind is Kind.SUMMARY and 1 <= len(summary.citations) <= 5
    assert {c.article_id for c in summary.citations} == {"004_80ebed28bbef419f"}
    starts = [c.start for c in summary.citations]
    assert starts == sorted(starts)  # in the article's order
