"""The check, with hand-made replies over real evidence (real index, real embedder).

Each test writes what a model might write and asserts what reaches the user; the real model is
tested in test_reader_real.py.
"""

from __future__ import annotations

import pytest

from assistant.answer_path import _article_text, _similarity
from assistant.check import check, stated_facts
from assistant.engine import get_engine
from assistant.evidence import gather
from assistant.settings import Settings
from tests.conftest import SEEDS

QUESTION = "Who did Trump send to Moscow and how long did the talks last?"


@pytest.fixture
def evidence(built_index):
    settings = Settings()
    retriever = get_engine(settings).retriever
    ranked = retriever.search(QUESTION, settings.candidates)
    ev = gather(
        QUESTION, ranked, retriever.keywords.article_chunks, lambda t: len(t.split()),
        units=6, window=1, budget=2000,
    )  # fmt: skip

    def run(reply: str):
        return check(
            reply, ev, _similarity(retriever, ev), _article_text(retriever),
            min_similarity=settings.check_similarity, min_coverage=settings.check_coverage,
            max_citations=3, question=QUESTION,
        )  # fmt: skip

    return ev, run


def _number_of(ev, needle: str) -> int:
    return next(p.n for p in ev.passages if needle in p.text)


def _other_than(ev, needle: str) -> int:
    return next(p.n for p in ev.passages if needle not in p.text)


def _verbatim(citation) -> bool:
    text = (SEEDS / f"{citation.article_id}.txt").read_text(encoding="utf-8")
    return text[citation.start : citation.end] == citation.quote


def test_a_supported_sentence_is_kept_and_quoted_verbatim(evidence):
    ev, run = evidence
    n = _number_of(ev, "Witkoff")
    checked = run(f"Trump sent Steve Witkoff and Jared Kushner to Moscow [{n}].")
    assert not checked.refused
    assert checked.text == "Trump sent Steve Witkoff and Jared Kushner to Moscow [1]."
    (citation,) = checked.citations
    assert "Witkoff" in citation.quote and _verbatim(citation)
    assert checked.tally.kept == 1


def test_a_wrong_pointer_is_pointed_at_the_passage_that_supports_it(evidence):
    ev, run = evidence
    wrong = _other_than(ev, "Witkoff")
    checked = run(f"Trump sent Steve Witkoff and Jared Kushner to Moscow [{wrong}].")
    assert not checked.refused and checked.tally.repointed == 1
    assert "Witkoff" in checked.citations[0].quote


def test_a_sentence_without_a_marker_gets_the_passage_that_supports_it(evidence):
    ev, run = evidence
    checked = run("Trump sent Steve Witkoff and Jared Kushner to Moscow.")
    assert not checked.refused and checked.tally.unmarked == 1
    assert checked.text.endswith("[1].") and "Witkoff" in checked.citations[0].quote


def test_a_changed_number_is_dropped(evidence):
    ev, run = evidence
    n = _number_of(ev, "five hours")
    checked = run(f"The talks lasted seven hours [{n}].")
    assert checked.refused and checked.tally.dropped == 1


def test_an_invented_name_is_dropped(evidence):
    ev, run = evidence
    n = _number_of(ev, "Witkoff")
    assert run(f"Trump sent Mike Pompeo to Moscow [{n}].").refused


def test_a_relation_the_passage_does_not_state_is_dropped(evidence):
    ev, run = evidence
    n = _number_of(ev, "Kushner")
    assert run(f"The current US ambassador to Russia is Jared Kushner [{n}].").refused


def test_a_negation_the_passage_lacks_is_dropped(evidence):
    ev, run = evidence
    n = _number_of(ev, "Witkoff")
    assert run(f"Trump did not send Steve Witkoff to Moscow [{n}].").refused


def test_world_knowledge_is_dropped(evidence):
    ev, run = evidence
    assert run("The capital of Australia is Canberra [1].").refused


def test_the_refusal_phrase_is_a_refusal(evidence):
    _, run = evidence
    assert run("NOT IN THE ARTICLES").refused
    assert run("Not in the articles.").refused


def test_only_the_supported_sentences_remain_renumbered(evidence):
    ev, run = evidence
    who, long = _number_of(ev, "Witkoff"), _number_of(ev, "five hours")
    reply = (
        f"Trump sent Steve Witkoff and Jared Kushner to Moscow [{who}]. "
        f"They met Xi Jinping in Beijing [{who}]. The talks lasted five hours [{long}]."
    )
    checked = run(reply)
    assert "Xi Jinping" not in checked.text
    assert checked.tally.dropped == 1 and len(checked.text.split("[")) - 1 == 2
    numbers = [c.n for c in checked.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(_verbatim(c) for c in checked.citations)


def test_a_quote_is_widened_to_hold_the_claims_names():
    facts = stated_facts("Yuri Ushakov said no compromise was reached.", "said no was reached")
    assert {"yuri", "ushakov"} <= facts
    assert "said" not in facts


def test_a_compound_sentence_is_checked_clause_by_clause(evidence):
    """Two facts from two passages in one sentence: each clause is kept with its own passage,
    and a clause no passage supports is dropped without taking the other with it."""
    ev, run = evidence
    envoys, hours = _number_of(ev, "Witkoff"), _number_of(ev, "five hours")
    sentence = "Trump sent Steve Witkoff and Jared Kushner to Moscow, and the talks lasted five hours"
    checked = run(f"{sentence} [{envoys}].")
    assert not checked.refused
    assert "Witkoff" in checked.text and "five hours" in checked.text
    if envoys != hours:
        assert len(checked.citations) == 2
    assert all(_verbatim(c) for c in checked.citations)
    checked = run(f"Trump sent Steve Witkoff to Moscow, and the talks lasted nine days [{envoys}].")
    assert "Witkoff" in checked.text and "nine" not in checked.text


def test_a_list_joined_by_and_is_one_clause():
    from assistant.check import clauses
    from assistant.claims import Claim

    assert clauses(Claim("The regions are Donetsk, Luhansk, Kherson, and Zaporozhye.", (1,))) == []
    two = clauses(Claim("The talks lasted five hours, and the plan had 28 points.", (2,)))
    assert [c.text for c in two] == ["The talks lasted five hours.", "The plan had 28 points."]
    assert all(c.hints == (2,) for c in two)
