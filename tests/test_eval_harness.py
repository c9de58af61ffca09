"""Scoring arithmetic, loader messages and report files, on hand-built answers.

The expected numbers below were counted by hand from the scripted answers; if a metric's
definition changes, these tests say exactly which number moved.
"""

from __future__ import annotations

import json

import pytest

from assistant.models import Answer, Citation, Trace
from evals.dataset import EvalItem, load_eval_set
from evals.gate import check
from evals.harness import run_eval
from evals.metrics import METRIC_NAMES, percentile, score_item, split_claims, strip_markers
from evals.report import format_table, render_html, report_to_dict, write_html, write_json

A1 = "Envoys meet\nWitkoff and Kushner met Putin in Moscow. They will meet Umerov in Miami next.\n"
A2 = "Donbas facts\nRussia controls 85% of the Donbas. Talks lasted five hours.\n"
ARTICLES = {"a1": A1, "a2": A2}


def cite(n: int, article: str, quote: str, *, shift: int = 0) -> Citation:
    """A citation with true offsets (shift > 0 makes them deliberately wrong)."""
    start = ARTICLES[article].index(quote) + shift
    return Citation(n=n, article_id=article, title=ARTICLES[article].splitlines()[0],
                    quote=quote, start=start, end=start + len(quote), score=0.9)


ITEMS = [
    EvalItem("f1", "factoid", "Who met Putin?", ("Witkoff", "Kushner"), ("a1",), split="test"),
    EvalItem("f2", "factoid", "How much of the Donbas?", (r"85\s?%",), ("a2",)),
    EvalItem("f3", "factoid", "How many drones?", (r"\b138\b",), ("a2",), split="test"),
    EvalItem("m1", "multi", "Where next, and how long were the talks?", ("Miami", "five hours"), ("a1", "a2")),
    EvalItem("n1", "unanswerable", "What did Putin eat?"),
    EvalItem("n2", "unanswerable", "What was the <b>football</b> score?", split="test"),
]

ANSWERS = {
    # correct; expected article at rank 2; [2] supports the claim but its offsets are wrong
    "f1": Answer("Witkoff and Kushner met Putin in Moscow [1][2].",
                 [cite(1, "a1", "Witkoff and Kushner met Putin in Moscow."),
                  cite(2, "a1", "Witkoff", shift=3)], retrieved=["a2", "a1"]),
    # wrong fact, but the citation supports what was said (lexically)
    "f2": Answer("Talks lasted five hours [1].", [cite(1, "a2", "Talks lasted five hours.")],
                 retrieved=["a2"]),
    # false refusal, nothing retrieved
    "f3": Answer("The articles do not say.", refused=True),
    # correct, but [2] quotes the wrong sentence: imprecise, and "five hours" is uncited
    "m1": Answer("They will meet Umerov in Miami next [1]. Talks lasted five hours [2].",
                 [cite(1, "a1", "They will meet Umerov in Miami next."),
                  cite(2, "a2", "Russia controls 85% of the Donbas.")], retrieved=["a1", "a2"]),
    # correct refusal
    "n1": Answer("The articles do not say what Putin ate.", refused=True, retrieved=["a1"]),
    # answers an unanswerable question, with a faithful citation
    "n2": Answer("Russia controls 85% of the Donbas [1].", [cite(1, "a2", "Russia controls 85% of the Donbas.")],
                 retrieved=["a2"]),
}
LATENCY_MS = {"f1": 10, "f2": 20, "f3": 30, "m1": 40, "n1": 50, "n2": 1000}


class ScriptedAssistant:
    """Plays back ANSWERS and advances a fake clock by each item's latency."""

    def __init__(self) -> None:
        self.now = 0.0
        self.by_question = {item.question: item.id for item in ITEMS}
        self.calls: list[tuple[str, object]] = []

    def clock(self) -> float:
        return self.now

    def answer(self, question: str, history=None) -> Answer:
        self.calls.append((question, history))
        item_id = self.by_question[question]
        self.now += LATENCY_MS[item_id] / 1000.0
        return ANSWERS[item_id]


@pytest.fixture
def report():
    bot = ScriptedAssistant()
    return run_eval(ITEMS, bot.answer, ARTICLES, clock=bot.clock)


def test_overall_metrics_match_the_hand_count(report):
    o = report.overall
    assert o["n"] == 6
    assert o["hit_at_5"] == pytest.approx(3 / 4)  # f1, f2, m1 hit; f3 retrieved nothing
    assert o["mrr"] == pytest.approx((1 / 2 + 1 + 0 + 1) / 4)
    assert o["answer_accuracy"] == pytest.approx(2 / 4)  # f1, m1
    assert o["citation_precision"] == pytest.approx((1 + 1 + 1 / 2 + 1) / 4)  # f1, f2, m1, n2
    assert o["citation_recall"] == pytest.approx(1 / 2)  # f1 yes, m1 "five hours" uncited
    assert o["refusal_precision"] == pytest.approx(1 / 2)  # refusals f3 (wrong), n1 (right)
    assert o["refusal_recall"] == pytest.approx(1 / 2)  # n1 refused, n2 answered
    assert o["false_refusal_rate"] == pytest.approx(1 / 4)  # f3
    assert o["quote_integrity"] == pytest.approx(5 / 6)  # f1's [2] is off by 3
    assert o["p50_ms"] == pytest.approx(30)  # nearest rank ceil(0.5*6)=3 of 10,20,30,40,50,1000
    assert o["p95_ms"] == pytest.approx(1000)  # ceil(0.95*6)=6


def test_category_metrics_match_the_hand_count(report):
    factoid, multi, unans = (report.categories[c] for c in ("factoid", "multi", "unanswerable"))
    assert list(report.categories) == ["factoid", "multi", "unanswerable"]
    assert factoid["n"] == 3
    assert factoid["hit_at_5"] == pytest.approx(2 / 3)
    assert factoid["mrr"] == pytest.approx(0.5)
    assert factoid["answer_accuracy"] == pytest.approx(1 / 3)
    assert factoid["citation_precision"] == pytest.approx(1.0)
    assert factoid["citation_recall"] == pytest.approx(1.0)
    assert factoid["refusal_precision"] == pytest.approx(0.0)
    assert factoid["refusal_recall"] is None
    assert factoid["false_refusal_rate"] == pytest.approx(1 / 3)
    assert factoid["quote_integrity"] == pytest.approx(2 / 3)
    assert (factoid["p50_ms"], factoid["p95_ms"]) == pytest.approx((20, 30))
    assert multi["citation_precision"] == pytest.approx(0.5)
    assert multi["citation_recall"] == pytest.approx(0.0)
    assert multi["answer_accuracy"] == pytest.approx(1.0)
    assert unans["hit_at_5"] is None and unans["answer_accuracy"] is None
    assert unans["refusal_precision"] == pytest.approx(1.0)
    assert unans["refusal_recall"] == pytest.approx(0.5)
    assert unans["false_refusal_rate"] is None
    assert (unans["p50_ms"], unans["p95_ms"]) == pytest.approx((50, 1000))


def test_split_metrics_match_the_hand_count(report):
    dev, test = report.splits["dev"], report.splits["test"]
    assert list(report.splits) == ["dev", "test"]
    # test: f1 (right, rank 2, one broken quote), f3 (false refusal), n2 (answered)
    assert test["n"] == 3
    assert test["hit_at_5"] == pytest.approx(1 / 2)
    assert test["answer_accuracy"] == pytest.approx(1 / 2)
    assert test["refusal_recall"] == 0.0 and test["refusal_precision"] == 0.0
    assert test["false_refusal_rate"] == pytest.approx(1 / 2)
    assert test["quote_integrity"] == pytest.approx(2 / 3)
    assert (test["p50_ms"], test["p95_ms"]) == pytest.approx((30, 1000))
    # dev: f2 (wrong fact), m1 (right, half-precise), n1 (refused)
    assert dev["n"] == 3
    assert dev["hit_at_5"] == 1.0 and dev["answer_accuracy"] == pytest.approx(1 / 2)
    assert dev["refusal_recall"] == 1.0 and dev["refusal_precision"] == 1.0
    assert dev["citation_precision"] == pytest.approx((1 + 1 / 2) / 2)
    assert dev["quote_integrity"] == 1.0
    assert (dev["p50_ms"], dev["p95_ms"]) == pytest.approx((40, 50))


def test_paraphrases_are_summarised_with_the_originals_they_reword():
    items = ITEMS + [
        EvalItem("f2-p1", "factoid", "What share of the Donbas?", (r"85\s?%",), ("a2",), split="test",
                 paraphrase_of="f2"),
    ]
    answers = dict(ANSWERS)
    answers["f2-p1"] = Answer("Russia controls 85% of the Donbas [1].",
                              [cite(1, "a2", "Russia controls 85% of the Donbas.")], retrieved=["a2"])
    by_question = {item.question: item.id for item in items}
    report = run_eval(items, lambda q, history=None: answers[by_question[q]], ARTICLES, backend="scripted")
    assert report.backend == "scripted"
    assert report.groups["paraphrases"]["n"] == 1 and report.groups["paraphrases"]["answer_accuracy"] == 1.0
    assert report.groups["paraphrased"]["n"] == 1 and report.groups["paraphrased"]["answer_accuracy"] == 0.0
    assert report.splits["test"]["n"] == 4
    data = report_to_dict(report)
    assert data["backend"] == "scripted" and data["groups"]["paraphrases"]["n"] == 1
    assert next(i for i in data["items"] if i["id"] == "f2-p1")["paraphrase_of"] == "f2"
    assert "paraphrases" in format_table(report).splitlines()[1]


def test_failures_explain_themselves(report):
    reasons = {r.item.id: r.reasons for r in report.failures}
    assert set(reasons) == {"f1", "f2", "f3", "m1", "n2"}
    assert reasons["f1"] == ("citation [2] quote != article_text[start:end]",)
    assert reasons["f2"] == ("answer text lacks: 85\\s?%",)
    assert reasons["f3"][0] == "refused an answerable question"
    assert "citation [2] does not support its claim" in reasons["m1"]
    assert "fact not inside any cited quote: five hours" in reasons["m1"]
    assert reasons["n2"] == ("answered an unanswerable question instead of refusing",)


def test_history_is_passed_to_answer():
    item = EvalItem("u1", "followup", "Where next?", ("Miami",), ("a1",),
                    history=(("Who met Putin?", "Witkoff and Kushner [1]."),))
    seen = []

    def answer_fn(question, history=None):
        seen.append(history)
        return Answer("They meet in Miami [1].", [cite(1, "a1", "They will meet Umerov in Miami next.")],
                      retrieved=["a1"])

    report = run_eval([item], answer_fn, ARTICLES)
    assert seen == [[("Who met Putin?", "Witkoff and Kushner [1].")]]
    assert report.overall["answer_accuracy"] == 1.0 and report.failures == []


def test_an_exception_is_a_failure_not_a_crash():
    def answer_fn(question, history=None):
        if question == "How many drones?":
            raise RuntimeError("index is gone")
        return ANSWERS["f2"]

    report = run_eval(ITEMS[1:3], answer_fn, ARTICLES)
    broken = report.results[1]
    assert broken.answer is None and "RuntimeError: index is gone" in broken.error
    assert broken.reasons[0].startswith("answer() failed: RuntimeError: index is gone")
    assert report.overall["hit_at_5"] == pytest.approx(1 / 2)
    assert report.overall["answer_accuracy"] == 0.0
    assert report.overall["p50_ms"] is not None  # the other item still timed
    assert len([r for r in report.results if r.latency_ms is not None and r.error is None]) == 1


def test_claims_are_cut_at_markers_not_at_abbreviations():
    text = "The U.S. envoy Witkoff met Putin [1]. Dr. Petrov disagreed. [2][3] Uncited tail."
    assert split_claims(text) == [
        ("The U.S. envoy Witkoff met Putin", [1]),
        ("Dr. Petrov disagreed.", [2, 3]),
    ]
    assert strip_markers("The plan had 28 points [1] [12].") == "The plan had 28 points."


def test_a_marker_without_citation_is_imprecise_and_markers_do_not_count_as_facts():
    item = EvalItem("x", "factoid", "How many points?", (r"\b12\b",), ("a1",))
    answer = Answer("Witkoff and Kushner met Putin in Moscow [12].", [], retrieved=["a1"])
    result = score_item(item, answer, ARTICLES)
    assert result.correct is False  # "12" only appears inside the marker
    assert result.citation_precision == 0.0
    assert "marker [12] has no citation" in result.reasons


def test_percentile_is_nearest_rank():
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 95) == 5.0
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([], 50) is None


# ------------------------------------------------------------------ loader


def test_malformed_lines_are_reported_with_file_and_line_and_the_rest_loads(tmp_path):
    good = {"id": "g1", "category": "factoid", "question": "Q?", "patterns": ["x"], "articles": ["a1"]}
    lines = [
        json.dumps(good),
        '{"id": "bad", "category": "factoid",',  # line 2: broken JSON
        json.dumps({**good, "id": "g2", "category": "trivia"}),  # line 3
        json.dumps({k: v for k, v in good.items() if k != "question"} | {"id": "g3"}),  # line 4
        json.dumps({**good, "id": "g4", "patterns": ["(unclosed"]}),  # line 5
        "",  # blank lines are fine
        json.dumps({**good, "id": "g5", "category": "unanswerable", "patterns": [], "articles": []}),  # line 7
        json.dumps({**good, "id": "g1"}),  # line 8: duplicate id
        json.dumps({**good, "id": "g6", "category": "followup"}),  # line 9: no history
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, problems = load_eval_set(path)
    assert [i.id for i in items] == ["g1", "g5"]
    assert items[0].source == f"{path}:1"
    assert len(problems) == 6
    assert problems[0].startswith(f"{path}:2: not valid JSON (")
    assert problems[1] == (f"{path}:3: unknown category 'trivia' "
                           "(expected one of factoid, table, multi, followup, unanswerable, several)")
    assert problems[2] == f"{path}:4: missing field 'question'"
    assert problems[3].startswith(f"{path}:5: pattern 1 '(unclosed' does not compile (")
    assert problems[4] == f"{path}:8: duplicate id 'g1' (first on line 1)"
    assert problems[5] == f"{path}:9: a followup item needs a non-empty 'history'"


def test_split_and_paraphrase_of_are_optional_and_checked(tmp_path):
    good = {"id": "g1", "category": "factoid", "question": "Q?", "patterns": ["x"], "articles": ["a1"]}
    lines = [
        json.dumps(good),
        json.dumps({**good, "id": "g2", "split": "test", "paraphrase_of": "g1"}),
        json.dumps({**good, "id": "g3", "split": "train"}),  # line 3
        json.dumps({**good, "id": "g4", "paraphrase_of": ""}),  # line 4
        json.dumps({**good, "id": "g5", "paraphrase_of": "g9"}),  # line 5: unknown original
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, problems = load_eval_set(path)
    assert [(i.id, i.split, i.paraphrase_of) for i in items] == [
        ("g1", "dev", None), ("g2", "test", "g1"), ("g5", "dev", "g9")]
    assert problems == [
        f"{path}:3: field 'split' must be one of dev, test, got 'train'",
        f"{path}:4: field 'paraphrase_of' must be the id of another item",
        f"{path}:5: 'paraphrase_of' names unknown id 'g9'",
    ]


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path):
    items, problems = load_eval_set(tmp_path / "nope.jsonl")
    assert items == [] and len(problems) == 1 and "nope.jsonl" in problems[0]


# ------------------------------------------------------------------ reports and gate


def test_json_report_has_the_promised_names(report, tmp_path):
    path = tmp_path / "report.json"
    write_json(report, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) >= {"overall", "dev", "test", "categories", "definitions", "failures", "items"}
    expected = {"n", "hit_at_5", "mrr", "answer_accuracy", "citation_precision", "citation_recall",
                "refusal_precision", "refusal_recall", "false_refusal_rate", "quote_integrity",
                "p50_ms", "p95_ms", "retrieval_recall", "evidence_recall", "reply_recall",
                "grounded_recall", "facts_recall", "facts_full", "facts_citation_precision",
                "facts_sentences", "facts_in_order"}
    assert set(data["overall"]) == expected == set(METRIC_NAMES)
    assert all(set(v) == expected for v in data["categories"].values())
    assert set(data["dev"]) == set(data["test"]) == expected
    assert (data["dev"]["n"], data["test"]["n"]) == (3, 3) and data["groups"] == {}
    assert {i["id"]: i["split"] for i in data["items"]}["n2"] == "test"
    assert "ALCE" in data["definitions"]["citation_precision"]
    assert [f["id"] for f in data["failures"]] == ["f1", "f2", "f3", "m1", "n2"]
    m1 = next(i for i in data["items"] if i["id"] == "m1")
    assert m1["expected"] == {"patterns": ["Miami", "five hours"], "articles": ["a1", "a2"]}
    assert [c["quote"] for c in m1["got"]["citations"]][1] == "Russia controls 85% of the Donbas."
    assert data["overall"]["quote_integrity"] == round(5 / 6, 6)


def test_html_report_is_self_contained_and_escaped(report, tmp_path):
    path = tmp_path / "report.html"
    write_html(report, path, thresholds={"overall": {"answer_accuracy": 0.9, "p95_ms": 500}})
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "http://" not in page and "https://" not in page
    for metric in METRIC_NAMES[1:]:
        assert f"<h3>{metric}</h3>" in page
    for failure_id in ("f1", "f2", "f3", "m1", "n2"):
        assert f'id="{failure_id}"' in page
    assert "&lt;b&gt;football&lt;/b&gt;" in page and "<b>football</b>" not in page
    assert "Russia controls 85% of the Donbas." in page  # the cited quote of a failure
    assert "bar bad" in page  # accuracy 0.5 < 0.9 and p95 1000 > 500 are drawn red


def test_terminal_table_lists_metrics_and_failures(report):
    table = format_table(report)
    for metric in METRIC_NAMES:
        assert metric in table
    assert "failures: 5 of 6" in table
    assert "f3 [factoid, test] refused an answerable question" in table
    header = table.splitlines()[0].split()
    assert header[:4] == ["metric", "overall", "dev", "test"] and "paraphrases" not in header


def test_gate_reports_every_shortfall(report):
    assert check(report, {"overall": {"answer_accuracy": 0.5, "p95_ms": 1000}}) == []
    violations = check(report, {
        "overall": {"answer_accuracy": 0.6, "p95_ms": 999, "acuracy": 1},
        "categories": {"multi": {"citation_recall": 0.1, "refusal_recall": 0.5}, "trivia": {"n": 1}},
    })
    assert violations == [
        "overall.answer_accuracy = 0.5 is below the minimum 0.6",
        "overall.p95_ms = 1000 is above the maximum 999",
        "overall.acuracy: unknown metric (expected one of " + ", ".join(METRIC_NAMES) + ")",
        "categories.multi.citation_recall = 0 is below the minimum 0.1",
        "categories.multi.refusal_recall: not measured in this run (threshold 0.5)",
        "categories.trivia: unknown category (expected one of factoid, table, multi, followup, unanswerable, several)",
    ]
    # the dev and test sections gate each split; a saved JSON report gates the same way
    assert check(report, {"dev": {"answer_accuracy": 0.5}, "test": {"false_refusal_rate": 0.4, "mrr": 0.6}}) == [
        "test.false_refusal_rate = 0.5 is above the maximum 0.4",
        "test.mrr = 0.25 is below the minimum 0.6",
    ]
    assert check(report_to_dict(report), {"test": {"answer_accuracy": 0.6}, "train": {}}) == [
        "train: unknown section (expected [overall], [dev], [test] or [categories.NAME])",
        "test.answer_accuracy = 0.5 is below the minimum 0.6",
    ]
    old = {k: v for k, v in report_to_dict(report).items() if k not in ("dev", "test")}
    assert check(old, {"test": {"mrr": 0.1}}) == ["test.mrr: not measured in this run (threshold 0.1)"]
    # a saved JSON report gates the same way as the live one
    assert check(report_to_dict(report), {"overall": {"answer_accuracy": 0.6}}) == [
        "overall.answer_accuracy = 0.5 is below the minimum 0.6"
    ]
    assert "<h3>mrr</h3>" in render_html(report)


def test_a_table_row_is_read_under_its_header():
    article = "Positions\nIntro line.\n| Proposal Element | Putin’s Position |\n|---|---|\n| Demilitarization Zones | Rejected |\n"
    row = "| Demilitarization Zones | Rejected |"
    start = article.index(row)
    citation = Citation(1, "t", "Positions", row, start, start + len(row), 0.5)
    item = EvalItem("x", "unanswerable", "Anything?")
    answer = Answer("Proposal Element: Demilitarization Zones; Putin’s Position: Rejected [1]", [citation])
    assert score_item(item, answer, {"t": article}).citation_precision == 1.0
    # without the table around it, half the claim's words are unsupported
    assert score_item(item, answer, {"t": row}).citation_precision == 0.0


# ------------------------------------------------------------------ precision of written answers

A3 = ("Talks in Moscow\nPutin's aide Yuri Ushakov said no compromise had been found after five "
      "hours of talks with Witkoff and Kushner. Russia fired 138 drones at Ukraine overnight.\n")
TALKS = "Putin's aide Yuri Ushakov said no compromise had been found after five hours of talks with Witkoff and Kushner."
DRONES = "Russia fired 138 drones at Ukraine overnight."


def _written(text: str, *quotes: str) -> Answer:
    citations = []
    for n, quote in enumerate(quotes, 1):
        start = A3.index(quote)
        citations.append(Citation(n, "a3", "Talks in Moscow", quote, start, start + len(quote), 0.8))
    return Answer(text, citations, retrieved=["a3"])


def test_a_paraphrased_claim_citing_the_right_quote_is_precise():
    item = EvalItem("x", "factoid", "How did Ushakov sum up the talks?", ("no compromise",), ("a3",))
    answer = _written("Ushakov told reporters the sides reached no compromise in the five-hour meeting [1].", TALKS)
    result = score_item(item, answer, {"a3": A3})
    assert result.correct and result.citation_precision == 1.0 and result.citation_recall_ok


def test_the_same_claim_citing_an_unrelated_quote_is_not():
    item = EvalItem("x", "factoid", "How did Ushakov sum up the talks?", ("no compromise",), ("a3",))
    answer = _written("Ushakov told reporters the sides reached no compromise in the five-hour meeting [1].", DRONES)
    result = score_item(item, answer, {"a3": A3})
    assert result.correct  # the text is right; the citation is what is wrong
    assert result.citation_precision == 0.0
    assert "citation [1] does not support its claim" in result.reasons


def test_a_claim_with_a_number_not_in_its_quote_is_not_precise():
    # states the accepted fact, and the quote states it too, but "seven" is nowhere in the quote
    item = EvalItem("x", "factoid", "Was a compromise found?", ("no compromise",), ("a3",))
    wrong = _written("Ushakov said there was no compromise after seven hours of talks [1].", TALKS)
    right = _written("Ushakov said there was no compromise after 5 hours of talks [1].", TALKS)
    assert score_item(item, wrong, {"a3": A3}).citation_precision == 0.0
    assert score_item(item, right, {"a3": A3}).citation_precision == 1.0  # "5" = "five"
    # and for a claim that states no accepted fact
    other = EvalItem("y", "unanswerable", "Anything about drones?")
    assert score_item(other, _written("Russia fired 138 drones at Ukraine in the night [1].", DRONES),
                      {"a3": A3}).citation_precision == 1.0
    assert score_item(other, _written("Russia fired 183 drones at Ukraine in the night [1].", DRONES),
                      {"a3": A3}).citation_precision == 0.0


def test_a_written_claim_without_an_accepted_fact_needs_most_of_its_content_words():
    item = EvalItem("y", "unanswerable", "Anything?")
    # function words and inflections don't count: "fired"/"fires", "drones"/"drone"
    near = _written("Overnight Russia fires drones at Ukraine, 138 of them [1].", DRONES)
    far = _written("Ukraine shot down most of the 138 drones with new air defences [1].", DRONES)
    assert score_item(item, near, {"a3": A3}).citation_precision == 1.0
    assert score_item(item, far, {"a3": A3}).citation_precision == 0.0


# ------------------------------------------------------------------ loss by stage


def test_each_lost_answer_has_the_stage_that_lost_it():
    """The first stage whose text lacks an accepted pattern; decide/write after the last."""
    item = ITEMS[0]  # Who met Putin? Witkoff and Kushner
    held = "Witkoff and Kushner met Putin in Moscow."
    trace = {"retrieved": held, "evidence": "Witkoff met Putin.", "reply": "SENTENCE: 1"}
    lost = score_item(item, Answer("Witkoff [1].", [], trace=Trace(**trace)), ARTICLES)
    assert lost.stages == (("retrieved", True), ("evidence", False), ("reply", False))
    assert lost.lost_at == "evidence"
    trace = {"retrieved": held, "evidence": held, "reply": "Witkoff, Kushner", "grounded": held}
    refused = score_item(item, Answer("The articles don't say.", refused=True, trace=Trace(**trace)), ARTICLES)
    assert refused.lost_at == "decide"
    short = score_item(item, Answer("Witkoff [1].", [cite(1, "a1", held)], trace=Trace(**trace)), ARTICLES)
    assert short.lost_at == "write"
    right = score_item(item, Answer("Witkoff and Kushner [1].", [cite(1, "a1", held)], trace=Trace(**trace)), ARTICLES)
    assert right.correct and right.lost_at is None
    unanswerable = score_item(ITEMS[4], Answer("x", trace=Trace(**trace)), ARTICLES)
    assert unanswerable.stages == () and unanswerable.lost_at is None


def test_stage_recalls_and_losses_are_reported_per_split(tmp_path):
    from evals.harness import summarise

    held = "Witkoff and Kushner met Putin in Moscow."
    full = {"retrieved": held, "evidence": held, "reply": held}
    results = [
        score_item(ITEMS[0], Answer("Witkoff and Kushner [1].", [cite(1, "a1", held)], trace=Trace(**full)), ARTICLES),
        score_item(ITEMS[1], Answer("no", refused=True, trace=Trace(retrieved="85 %", evidence="x")), ARTICLES),
    ]
    report = summarise(results)
    assert report.splits["test"]["evidence_recall"] == 1.0  # f1 is test
    assert report.splits["dev"]["evidence_recall"] == 0.0 and report.splits["dev"]["reply_recall"] is None
    assert report.overall["retrieval_recall"] == 1.0 and report.overall["evidence_recall"] == 0.5
    assert report.losses["dev"]["evidence"] == 1 and report.losses["test"]["right"] == 1
    path = tmp_path / "r.json"
    write_json(report, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["losses"]["dev"]["evidence"] == 1 and data["dev"]["evidence_recall"] == 0.0
    assert "lost at" in format_table(report) and "Where answerable items were lost" in render_html(report)
