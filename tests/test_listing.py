"""Questions about the corpus ("Which articles mention X?") are answered from the index, whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import answer, article_text
from index.corpus import load_corpus
from search.listing import parse

EVALS = Path(__file__).parents[1] / "evals"


@pytest.mark.parametrize(
    "question, topic, count_only",
    [
        ("Which articles mention Witkoff?", "Witkoff", False),
        ("How many articles are about the Donbas?", "the Donbas", True),
        ("List the articles that discuss Lavrov.", "Lavrov", False),
        ("What stories mention “Der Spiegel”?", "Der Spiegel", False),
    ],
)
def test_questions_about_the_corpus_are_recognised(question, topic, count_only):
    listing = parse(question)
    assert listing is not None and (listing.topic, listing.count_only) == (topic, count_only)


@pytest.mark.parametrize(
    "question",
    ["What reports on the economy say about growth?", "Which stories about Putin were denied?"],
)
def test_a_question_about_what_articles_say_is_not_a_listing(question):
    assert parse(question) is None


def test_no_eval_question_is_taken_for_a_question_about_the_corpus():
    """False triggers, measured on every question of both eval sets (and their histories)."""
    for path in (EVALS / "questions.jsonl", EVALS / "newsarticles.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            asked = [item["question"]] + [turn[0] for turn in item.get("history", [])]
            assert not any(parse(q) for q in asked), (item["id"], asked)


def test_which_articles_mention_lists_every_one_with_its_sentence(built_index):
    articles, _ = load_corpus(built_index["corpus"])
    mentioning = {a.id for a in articles if "Witkoff" in a.text}
    result = answer("Which articles mention Witkoff?")
    assert not result.refused and result.backend == "index"
    assert {c.article_id for c in result.citations} == mentioning  # complete, one each
    assert result.text.startswith(f"{len(mentioning)} articles mention Witkoff")
    for c in result.citations:
        assert "Witkoff" in c.quote and f"[{c.n}]" in result.text
        assert article_text(c.article_id)[c.start : c.end] == c.quote


def test_a_topic_no_article_mentions_is_a_count_of_none(built_index):
    result = answer("Which articles mention Elon Musk?")
    assert result.text == "No article mentions Elon Musk." and result.citations == []


def test_the_list_is_capped_but_the_count_is_whole(built_index, monkeypatch):
    monkeypatch.setenv("ASSISTANT_LIST_CAP", "2")
    result = answer("Which articles mention Putin?")
    assert len(result.citations) == 2 and "the 2 with the most mentions are listed" in result.text
    assert int(result.text.split()[0]) == result.stats.listing.count > 2
    counted = answer("How many articles mention Putin?")
    assert len(counted.citations) == 2 and "The 2 with the most mentions are listed:" in counted.text


def test_a_question_about_the_corpus_in_a_conversation_is_still_a_listing(built_index):
    history = [("Who leads Ukraine's negotiating team?", "Rustem Umerov [1]")]
    result = answer("Which articles mention Lavrov?", history=history)
    assert result.backend == "index" and result.text.startswith("1 article mentions Lavrov")
