"""Scoring answers of several facts (the `several` category), on hand-made answers.

Each answer below is built to pass or fail one rule of evals/several.py; the numbers were
counted by hand. The articles are small made-up texts with exact offsets, so a quote's
neighbouring sentences are known.
"""

from __future__ import annotations

import json

import pytest

from assistant.models import Answer, Citation, Trace
from evals.dataset import EvalItem, Fact, Speaker, load_eval_set
from evals.harness import summarise
from evals.metrics import METRIC_DEFINITIONS, METRIC_NAMES, score_item
from evals.report import format_table, render_html, report_to_dict
from evals.several import answer_claims, sentence_spans, sentences_before, speaker_label, spoken_by

LAVROV = (
    "Russia rejects plan\n"
    "Russian Foreign Minister Sergey Lavrov said Russia had not received any official communication "
    "from Washington. He said Moscow was ready for negotiations. Dr. Petrov spoke next. He said "
    "Moscow was ready for negotiations, in his view. Dr. Petrov also said Moscow was ready for "
    "negotiations only on its own terms. Drones hit Odesa overnight.\n"
    "Dr. Petrov: The situation is complex. Talks will drag on for months.\n"
)
EVENTS = (
    "A day in Kherson\n"
    "Drones struck the Kherson power plant on Monday. The plant shut down on Tuesday. "
    "On Wednesday the authorities began emergency heating.\n"
)
ARTICLES = {"lav": LAVROV, "ev": EVENTS}

NOT_RECEIVED = "Russian Foreign Minister Sergey Lavrov said Russia had not received any official communication from Washington."
READY_HE = "He said Moscow was ready for negotiations."
PETROV_NEXT = "Dr. Petrov spoke next."
READY_PETROV_HE = "He said Moscow was ready for negotiations, in his view."
READY_PETROV = "Dr. Petrov also said Moscow was ready for negotiations only on its own terms."
DRONES = "Drones hit Odesa overnight."
DRAG_ON = "Talks will drag on for months."


def cite(n: int, article: str, quote: str) -> Citation:
    start = ARTICLES[article].index(quote)
    return Citation(n, article, ARTICLES[article].splitlines()[0], quote, start, start + len(quote), 0.9)


def several(item_id: str, facts: list[tuple[str, tuple[str, ...]]], *, speaker: Speaker | None = None,
            ordered: bool = False, full: int | None = None, split: str = "dev") -> EvalItem:
    fs = tuple(Fact(p, a) for p, a in facts)
    return EvalItem(item_id, "several", "What did Lavrov say?", tuple(f.pattern for f in fs),
                    tuple(sorted({a for f in fs for a in f.articles})), split=split, facts=fs,
                    speaker=speaker, ordered=ordered, full=full)


LAVROV_SAID = several(
    "s1",
    [("not received any official communication", ("lav",)), ("ready for negotiations", ("lav",))],
    speaker=Speaker("Lavrov", r"Lavrov|Russia'?s foreign minister"),
)


def test_every_fact_given_with_the_speakers_own_words():
    # [2] quotes "He said ...": no name in it, and the sentence before it names Lavrov
    answer = Answer(
        "Lavrov said two things:\n"
        "- Russia had not received any official communication from Washington [1]\n"
        "- Moscow was ready for negotiations [2]\n"
        "The articles don't say when talks would start.",
        [cite(1, "lav", NOT_RECEIVED), cite(2, "lav", READY_HE)], retrieved=["lav"],
    )
    result = score_item(LAVROV_SAID, answer, ARTICLES)
    assert [f.given for f in result.facts] == [True, True]
    assert result.facts_recall == 1.0 and result.correct is True
    assert result.citation_precision == 1.0 and result.citation_recall_ok is True
    assert result.sentences == 2  # the lead line and the "don't say" line cite nothing
    assert result.reasons == ()


def test_a_fact_stated_but_cited_to_a_sentence_that_does_not_state_it_is_not_given():
    answer = Answer(
        "- Russia had not received any official communication from Washington [1]\n"
        "- Moscow was ready for negotiations [2]",
        [cite(1, "lav", NOT_RECEIVED), cite(2, "lav", DRONES)], retrieved=["lav"],
    )
    result = score_item(LAVROV_SAID, answer, ARTICLES)
    ready = result.facts[1]
    assert ready.stated and not ready.given and ready.lost_at == "write"
    assert result.facts_recall == 0.5 and result.correct is False
    assert result.citation_precision == 0.5  # [1] supports its claim, [2] does not
    assert "citation [2] does not support its claim" in result.reasons
    assert any(r.startswith("1 of 2 facts needed given") for r in result.reasons)


def test_a_quote_of_another_persons_words_is_imprecise_for_a_speaker_item():
    # the quote states the fact, so the fact is given; but it is Petrov speaking, not Lavrov
    answer = Answer(
        "- Russia had not received any official communication from Washington [1]\n"
        "- Moscow was ready for negotiations [2]",
        [cite(1, "lav", NOT_RECEIVED), cite(2, "lav", READY_PETROV)], retrieved=["lav"],
    )
    result = score_item(LAVROV_SAID, answer, ARTICLES)
    assert result.facts_recall == 1.0 and result.correct is True
    checks = {c.n: c for c in result.citation_checks}
    assert checks[1].precise and not checks[2].precise
    assert checks[2].note == "is not Lavrov's words"
    assert "citation [2] is not Lavrov's words" in result.reasons
    # without a speaker the same quote supports the claim
    plain = several("s2", [(p, ("lav",)) for p in LAVROV_SAID.patterns])
    assert score_item(plain, answer, ARTICLES).citation_precision == 1.0


def test_a_pronoun_quote_belongs_to_whoever_the_sentence_before_names():
    lavrov = LAVROV_SAID.speaker.compiled()
    start_he = LAVROV.index(READY_HE)
    assert spoken_by(lavrov, READY_HE, LAVROV, start_he)  # the sentence before names Lavrov
    start_petrov = LAVROV.index(READY_PETROV_HE)
    assert sentences_before(LAVROV, start_petrov)[0] == PETROV_NEXT
    assert not spoken_by(lavrov, READY_PETROV_HE, LAVROV, start_petrov)  # "He" is Petrov there
    # without the article the pronoun cannot be resolved
    assert not spoken_by(lavrov, READY_HE, None, start_he)
    answer = Answer("- Moscow was ready for negotiations [1]", [cite(1, "lav", READY_PETROV_HE)])
    assert score_item(LAVROV_SAID, answer, ARTICLES).citation_precision == 0.0


def test_a_speaker_labelled_passage_is_the_speakers():
    petrov = Speaker("Petrov", "Petrov")
    item = several("s3", [("drag on", ("lav",)), ("complex", ("lav",))], speaker=petrov)
    start = LAVROV.index(DRAG_ON)
    assert speaker_label(LAVROV, start) == "Dr. Petrov"
    assert speaker_label(LAVROV, LAVROV.index(DRONES)) == ""  # the label is in the next paragraph
    answer = Answer("- Talks will drag on for months [1]\n- The situation is complex [2]",
                    [cite(1, "lav", DRAG_ON), cite(2, "lav", "The situation is complex.")])
    result = score_item(item, answer, ARTICLES)
    assert result.correct and result.citation_precision == 1.0


def test_a_refusal_loses_every_fact_at_the_first_stage_without_it():
    trace = {
        "retrieved": f"{NOT_RECEIVED} {READY_HE}",
        "evidence": NOT_RECEIVED,  # the evidence shown lacks "ready for negotiations"
        "reply": "NONE",
    }
    answer = Answer("The articles don't say.", refused=True, trace=Trace(**trace))
    result = score_item(LAVROV_SAID, answer, ARTICLES)
    assert [f.lost_at for f in result.facts] == ["reply", "evidence"]
    assert result.facts_recall == 0.0 and result.correct is False
    assert result.sentences is None and result.citation_checks == ()
    assert result.reasons[0] == "refused an answerable question"
    # all stages held both facts: the decision lost them
    held = {"retrieved": f"{NOT_RECEIVED} {READY_HE}", "grounded": f"{NOT_RECEIVED} {READY_HE}"}
    refused = score_item(LAVROV_SAID, Answer("No.", refused=True, trace=Trace(**held)), ARTICLES)
    assert [f.lost_at for f in refused.facts] == ["decide", "decide"]
    assert refused.lost_at == "decide"


def test_loss_by_stage_per_fact_from_a_trace():
    trace = {
        "retrieved": f"{NOT_RECEIVED} {READY_HE} {DRONES}",
        "evidence": f"{NOT_RECEIVED} [2] {READY_HE}",
        "reply": "SENTENCES: 1",  # the reader chose neither fact's words
        "grounded": NOT_RECEIVED,
    }
    answer = Answer("- Russia had not received any official communication [1]",
                    [cite(1, "lav", NOT_RECEIVED)], trace=Trace(**trace))
    result = score_item(LAVROV_SAID, answer, ARTICLES)
    assert [(f.given, f.lost_at) for f in result.facts] == [(True, None), (False, "reply")]
    # the item as a whole: both facts were needed, the reply held neither
    assert result.stages == (("retrieved", True), ("evidence", True), ("reply", False), ("grounded", False))
    assert result.lost_at == "reply"
    trace_all = dict(trace, reply=f"{NOT_RECEIVED} {READY_HE}", grounded=f"{NOT_RECEIVED} {READY_HE}")
    written = score_item(LAVROV_SAID, Answer(answer.text, answer.citations, trace=Trace(**trace_all)), ARTICLES)
    assert [f.lost_at for f in written.facts] == [None, "write"] and written.lost_at == "write"


def test_full_counts_the_facts_a_full_answer_needs():
    item = several("s4", [(p, ("lav",)) for p in LAVROV_SAID.patterns], full=1)
    answer = Answer("Russia had not received any official communication [1].", [cite(1, "lav", NOT_RECEIVED)])
    result = score_item(item, answer, ARTICLES)
    assert result.correct and result.facts_recall == 0.5
    assert result.citation_recall_ok is True  # the fact left out was not stated either
    assert score_item(LAVROV_SAID, answer, ARTICLES).correct is False


def test_order_of_events_is_checked_for_ordered_items():
    item = several("s5", [("struck", ("ev",)), ("shut down", ("ev",)), ("emergency heating", ("ev",))],
                   ordered=True)
    q1, q2, q3 = (s.strip() for s in EVENTS.splitlines()[1].split(". "))
    q1, q2 = q1 + ".", q2 + "."
    cites = [cite(1, "ev", q1), cite(2, "ev", q2), cite(3, "ev", q3)]
    in_order = Answer("- Drones struck the plant [1]\n- It shut down [2]\n- Emergency heating began [3]", cites)
    swapped = Answer("- It shut down [2]\n- Drones struck the plant [1]\n- Emergency heating began [3]", cites)
    assert score_item(item, in_order, ARTICLES).in_order is True
    result = score_item(item, swapped, ARTICLES)
    assert result.in_order is False and result.correct  # all given, but out of order
    assert "facts given out of the order the events happened" in result.reasons
    one = Answer("- It shut down [2]", cites)
    assert score_item(item, one, ARTICLES).in_order is None  # nothing to order


def test_claims_are_cut_per_line_and_repeated_sentences_count_once():
    text = ("Here is what happened:\n- Drones hit Odesa [1][2]\n* Drones hit Odesa. [3]\n"
            "1. Talks will drag on [4] and the situation is complex [5]\nNo markers here.")
    assert answer_claims(text) == [
        ("Drones hit Odesa", [1, 2]), ("Drones hit Odesa.", [3]),
        ("Talks will drag on", [4]), ("and the situation is complex", [5]),
    ]
    item = several("s6", [("Odesa", ("lav",)), ("drag on", ("lav",))])
    cites = [cite(n, "lav", DRONES) for n in (1, 2, 3)] + [cite(4, "lav", DRAG_ON), cite(5, "lav", DRAG_ON)]
    result = score_item(item, Answer(text, cites), ARTICLES)
    assert result.sentences == 3  # the Odesa line twice is one sentence shown
    assert result.correct
    # [5] cites "drag on" for a claim about the situation: not supported
    assert [c.precise for c in result.citation_checks] == [True, True, True, True, False]


def test_sentences_do_not_end_at_titles_or_initials():
    text = ("Lt. Gen. H.R McMaster spoke. Dr. Petrov said no. Rep. Yoder (R-Kan.) agreed. "
            "“We can’t agree,” he said.\nA headline\nThe U.S. envoy left. The end")
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == ["Lt. Gen. H.R McMaster spoke.", "Dr. Petrov said no.", "Rep. Yoder (R-Kan.) agreed.",
                     "“We can’t agree,” he said.", "A headline", "The U.S. envoy left.", "The end"]


def test_several_metrics_per_split_and_the_fact_loss_table(tmp_path):
    full_answer = Answer(
        "- Russia had not received any official communication [1]\n- Moscow was ready for negotiations [2]",
        [cite(1, "lav", NOT_RECEIVED), cite(2, "lav", READY_HE)], retrieved=["lav"],
    )
    half_answer = Answer("- Moscow was ready for negotiations [1]", [cite(1, "lav", READY_PETROV)],
                         retrieved=["lav"], trace=Trace(retrieved=READY_HE))
    dev_item = LAVROV_SAID
    test_item = several("s7", [(p, ("lav",)) for p in LAVROV_SAID.patterns], split="test",
                        speaker=LAVROV_SAID.speaker)
    refused_item = several("s8", [(p, ("lav",)) for p in LAVROV_SAID.patterns], split="test")
    factoid = EvalItem("f1", "factoid", "Where?", ("Odesa",), ("lav",), split="test")
    results = [
        score_item(dev_item, full_answer, ARTICLES),
        score_item(test_item, half_answer, ARTICLES),
        score_item(refused_item, Answer("No.", refused=True), ARTICLES),
        score_item(factoid, Answer("Odesa [1].", [cite(1, "lav", DRONES)]), ARTICLES),
        score_item(refused_item, None, ARTICLES, error="boom"),
    ]
    report = summarise(results)
    dev, test, cat = report.splits["dev"], report.splits["test"], report.categories["several"]
    assert (dev["facts_recall"], dev["facts_full"], dev["facts_sentences"]) == (1.0, 1.0, 2.0)
    # test: s7 gave 1 of 2 (Petrov's words: imprecise), s8 refused, s8 again raised
    assert test["facts_recall"] == pytest.approx(0.5 / 3)
    assert test["facts_full"] == 0.0 and test["facts_sentences"] == 1.0
    assert test["facts_citation_precision"] == 0.0
    assert test["answer_accuracy"] == pytest.approx(1 / 4)  # the factoid right, no several item
    assert cat["n"] == 4 and cat["facts_recall"] == pytest.approx((1 + 0.5 + 0 + 0) / 4)
    assert report.categories["factoid"]["facts_recall"] is None
    assert report.fact_losses["dev"]["given"] == 2
    assert report.fact_losses["test"] == {
        "retrieved": 1, "evidence": 0, "reply": 0, "grounded": 0, "decide": 2, "write": 0,
        "error": 2, "given": 1,
    }
    assert set(METRIC_DEFINITIONS) >= {m for m in METRIC_NAMES if m.startswith("facts_")}
    table = format_table(report)
    assert "facts_recall" in table and "facts lost at" in table
    data = report_to_dict(report)
    assert data["fact_losses"]["test"]["error"] == 2
    assert data["test"]["facts_full"] == 0.0
    s7 = next(i for i in data["items"] if i["id"] == "s7")
    assert [f["given"] for f in s7["facts"]] == [False, True]
    assert s7["expected"]["speaker"] == {"name": "Lavrov", "pattern": r"Lavrov|Russia'?s foreign minister"}
    assert next(c for c in s7["citation_checks"])["note"] == "is not Lavrov's words"
    page = render_html(report)
    assert "Where the facts of several-facts items were lost" in page and "<h3>facts_recall</h3>" in page
    json.dumps(data)  # serialisable


def test_no_fact_table_without_several_items():
    factoid = EvalItem("f1", "factoid", "Where?", ("Odesa",), ("lav",))
    report = summarise([score_item(factoid, Answer("Odesa [1].", [cite(1, "lav", DRONES)]), ARTICLES)])
    assert report.fact_losses == {} and "facts lost at" not in format_table(report)
    assert report.overall["facts_recall"] is None


# ------------------------------------------------------------------ the file format


def test_several_lines_load_and_bad_ones_are_explained(tmp_path):
    good = {
        "id": "s1", "category": "several", "question": "What did Lavrov say?",
        "facts": [{"pattern": "ready", "articles": ["a"]}, {"pattern": "not received", "articles": ["a", "b"]}],
        "patterns": ["ready", "not received"], "articles": ["a", "b"],
        "speaker": {"name": "Lavrov", "pattern": "Lavrov|the minister"}, "ordered": True, "full": 1,
    }
    bad = [
        {**good, "id": "b1", "facts": good["facts"][:1], "patterns": ["ready"], "articles": ["a"]},
        {**good, "id": "b2", "patterns": ["not received", "ready"]},
        {**good, "id": "b3", "articles": ["a"]},
        {**good, "id": "b4", "full": 3},
        {**good, "id": "b5", "speaker": {"name": "Lavrov"}},
        {**good, "id": "b6", "facts": [{"pattern": "(", "articles": ["a"]}, good["facts"][1]],
         "patterns": ["(", "not received"]},
        {"id": "b7", "category": "factoid", "question": "Q?", "patterns": ["x"], "articles": ["a"], "full": 1},
        {**good, "id": "b8", "facts": [{"pattern": "ready", "articles": []}, good["facts"][1]]},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in [good, *bad]), encoding="utf-8")
    items, problems = load_eval_set(path)
    assert [i.id for i in items] == ["s1"]
    item = items[0]
    assert item.facts == (Fact("ready", ("a",)), Fact("not received", ("a", "b")))
    assert item.speaker == Speaker("Lavrov", "Lavrov|the minister") and item.ordered and item.needed == 1
    messages = [p.split(": ", 1)[1] for p in problems]
    assert messages == [
        "a several item needs 'facts': a list of at least two {pattern, articles} objects",
        "'patterns' must list the facts' patterns, in the same order",
        "'articles' must be the union of the facts' articles",
        "field 'full' must be a whole number from 1 to 2 (the number of facts)",
        "field 'speaker' must be an object with a non-empty 'name' and 'pattern'",
        messages[5],
        "field 'full' is only for a several item",
        "fact 1 needs 'articles': a non-empty list of article ids",
    ]
    assert messages[5].startswith("pattern 1 '(' does not compile")  # patterns are checked first


# ------------------------------------------------------------------ the real seed items


def ideal_answer(item: EvalItem, articles: dict[str, str]) -> Answer:
    """The answer the items are written for: for each fact, in order, one sentence of a listed
    article that states it (and, for a speaker item, that the rules attribute to the speaker),
    quoted whole and cited. Raises when some fact has no such sentence."""
    speaker = item.speaker.compiled() if item.speaker else None
    lines, citations = [], []
    for fact in item.facts:
        pattern = fact.compiled()
        found = None
        for article_id in fact.articles:
            text = articles[article_id]
            for s, e in sentence_spans(text):
                quote = text[s:e]
                if pattern.search(quote) and (speaker is None or spoken_by(speaker, quote, text, s)):
                    found = (article_id, quote, s)
                    break
            if found:
                break
        assert found, (item.id, fact.pattern)
        article_id, quote, start = found
        n = len(citations) + 1
        citations.append(Citation(n, article_id, "", quote, start, start + len(quote), 1.0))
        lines.append(f"- {quote} [{n}]")
    return Answer("\n".join(lines), citations, retrieved=list(item.articles))


def test_a_perfect_answer_to_every_seed_item_scores_in_full():
    """Every fact of every several item can be given, and cited precisely (for a speaker item,
    by a sentence the rules attribute to the speaker): the items measure the answerer, not
    gaps of their own."""
    from evals.corpus import load_articles
    from evals.dataset import DEFAULT_SET

    articles = load_articles(DEFAULT_SET.parents[1] / "seeds")
    items, problems = load_eval_set(DEFAULT_SET)
    assert problems == []
    several_items = [i for i in items if i.category == "several"]
    assert len(several_items) >= 36
    for item in several_items:
        result = score_item(item, ideal_answer(item, articles), articles)
        assert result.correct and result.facts_recall == 1.0, (item.id, result.reasons)
        assert result.citation_precision == 1.0 and result.quotes_intact == result.quotes_total, (
            item.id, result.reasons)
        assert result.in_order is (True if item.ordered else None), item.id
