"""The scoring of the time-and-coverage eval (evals/newsdated.py), on answers made by hand."""

from __future__ import annotations

from assistant.models import Answer, Citation, Trace
from evals.newsdated import DatedItem, score, summarise


def cite(n, article_id):
    return Citation(n, article_id, "t", "q", 0, 1, 1.0)


def test_a_list_is_scored_by_recall_precision_and_its_count():
    item = DatedItem("l1", "list", "Which articles mention X?", gold=("a", "b"), topic="X")
    got = score(item, Answer("2 articles mention X:\n- t [1]\n- t [2]", [cite(1, "a"), cite(2, "c")]))
    assert (got["recall"], got["precision"], got["count_right"], got["correct"]) == (0.5, 0.5, True, False)
    right = score(item, Answer("2 articles mention X:", [cite(1, "b"), cite(2, "a")]))
    assert right["correct"] and right["count_right"]
    none = score(DatedItem("l2", "list", "q", gold=()), Answer("No article mentions X.", []))
    assert none["correct"] and none["count_right"]


def test_a_dated_answer_must_match_cite_a_stating_article_and_not_refuse():
    item = DatedItem("d1", "dated", "q", patterns=("6 million",), articles=("new",))
    assert score(item, Answer("On 20 March 2017, 6 million [1]", [cite(1, "new")]))["correct"]
    assert not score(item, Answer("6 million [1]", [cite(1, "old")]))["correct"]  # doesn't state it
    dated = DatedItem("d2", "dated", "q", patterns=("6 million",), articles=("new",),
                      period={"start": "2017-03-01", "end": "2017-04-01"})
    other = Citation(1, "other", "t", "It was 6 million.", 0, 1, 1.0, date="2017-03-20")
    assert score(dated, Answer("6 million [1]", [other]))["correct"]  # another report, in period
    early = Citation(1, "other", "t", "It was 6 million.", 0, 1, 1.0, date="2017-02-20")
    assert not score(dated, Answer("6 million [1]", [early]))["correct"]
    assert not score(item, Answer("4 million [1]", [cite(1, "new")]))["correct"]
    assert not score(item, None)["correct"]


def test_the_summary_is_per_kind():
    items = [DatedItem("l", "list", "q", gold=("a",)), DatedItem("c", "control", "q", patterns=("x",), articles=("a",))]
    results = [{"correct": True, "recall": 1.0, "precision": 1.0, "count_right": True, "latency_ms": 5.0},
               {"correct": False, "latency_ms": 15.0}]
    summary = summarise(items, results)
    assert summary["list"] == {"n": 1, "accuracy": 1.0, "list_recall": 1.0, "list_precision": 1.0, "count_right": 1.0}
    assert summary["control"]["accuracy"] == 0.0 and summary["p50_ms"] == 10.0


def test_a_wrong_dated_answer_says_at_which_stage_the_answer_was_lost():
    item = DatedItem("d", "dated", "q", patterns=("6 million",), articles=("new",),
                     period={"start": "2017-03-01", "end": "2017-04-01"})

    def answered(text, citations, **trace):
        return score(item, Answer(text, citations, trace=Trace(**trace)))["lost_at"]

    shown = {"retrieved": "It was 6 million.", "evidence": "It was 6 million."}
    assert answered("No.", [], retrieved="nothing") == "retrieved"
    assert answered("No.", [], **shown, reply="ANSWER: 4 million") == "reply"
    refused = Answer("The articles don't say.", [], refused=True, trace=Trace(**shown, reply="6 million"))
    assert score(item, refused)["lost_at"] == "decide"
    assert answered("4 million [1]", [cite(1, "new")], **shown) == "write"
    early = Citation(1, "old", "t", "It was 6 million.", 0, 1, 1.0, date="2017-02-20")
    assert answered("6 million [1]", [early], **shown) == "source"
    assert answered("6 million [1]", [cite(1, "new")], **shown) is None


def test_dev_items_are_scored_apart_from_the_test_split():
    items = [DatedItem("t", "dated", "q", patterns=("x",)), DatedItem("d", "dated", "q", patterns=("x",), split="dev")]
    summary = summarise(items, [{"correct": True, "lost_at": None}, {"correct": False, "lost_at": "reply"}])
    assert summary["dated"]["accuracy"] == 1.0 and summary["dev"]["dated"]["accuracy"] == 0.0
    assert summary["dev"]["dated"]["lost_at"]["reply"] == 1
