"""The eval set itself: every accepted fact must really be in the article it names.

Articles get edited and patterns get tweaked; without these checks a question could quietly
come to expect something no article says, and the scores would rot without anyone noticing.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from evals.corpus import load_articles
from evals.dataset import CATEGORIES, DEFAULT_SET, load_eval_set

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def articles() -> dict[str, str]:
    corpus = os.environ.get("ASSISTANT_CORPUS_DIR") or REPO / "seeds"
    texts = load_articles(corpus)
    assert texts, f"no articles found in {corpus}"
    return texts


@pytest.fixture(scope="module")
def eval_set():
    items, problems = load_eval_set(DEFAULT_SET)
    assert problems == []
    return items


def test_set_is_big_enough_and_covers_every_category(eval_set):
    counts = Counter(item.category for item in eval_set)
    assert len(eval_set) >= 60
    assert counts["unanswerable"] >= 10
    assert set(counts) == set(CATEGORIES), counts
    assert counts["table"] >= 6 and counts["multi"] >= 8 and counts["followup"] >= 6
    assert counts["several"] >= 36


def test_ids_are_unique_in_the_file():
    ids = [json.loads(line)["id"] for line in DEFAULT_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicates == []


def test_named_articles_exist(eval_set, articles):
    missing = [(item.id, a) for item in eval_set for a in item.articles if a not in articles]
    assert missing == []


def test_every_pattern_matches_a_named_article(eval_set, articles):
    """Each accepted fact appears (case-insensitively) in at least one article the item names."""
    unmatched = [
        (item.id, pattern)
        for item in eval_set
        for pattern in item.patterns
        if not any(re.search(pattern, articles[a], re.IGNORECASE) for a in item.articles)
    ]
    assert unmatched == []


def test_single_fact_items_are_stated_by_every_named_article(eval_set, articles):
    """Outside `multi` and `several`, listing an article means it states the whole answer on
    its own (a several item names its articles per fact: see the next test)."""
    gaps = [
        (item.id, a, p)
        for item in eval_set
        if item.category not in ("multi", "unanswerable", "several")
        for a in item.articles
        for p in item.patterns
        if not re.search(p, articles[a], re.IGNORECASE)
    ]
    assert gaps == []


def test_multi_items_need_every_named_article(eval_set, articles):
    """A multi question names at least two articles, and each contributes a fact."""
    for item in (i for i in eval_set if i.category == "multi"):
        assert len(set(item.articles)) >= 2, item.id
        for a in item.articles:
            assert any(re.search(p, articles[a], re.IGNORECASE) for p in item.patterns), (item.id, a)


def test_every_fact_is_stated_by_each_article_it_lists(eval_set, articles):
    """A several item's facts: each pattern matches every article the fact names, and a
    speaker's pattern occurs in at least one of the item's articles."""
    several = [i for i in eval_set if i.category == "several"]
    gaps = [
        (item.id, fact.pattern, a)
        for item in several
        for fact in item.facts
        for a in fact.articles
        if not fact.compiled().search(articles[a])
    ]
    assert gaps == []
    for item in several:
        assert len(item.facts) >= 2 and 1 <= item.needed <= len(item.facts), item.id
        if item.speaker is not None:
            assert any(item.speaker.compiled().search(articles[a]) for a in item.articles), item.id


def test_several_items_mix_the_kinds_of_question(eval_set):
    several = [i for i in eval_set if i.category == "several"]
    assert sum(i.speaker is not None for i in several) >= 6  # what did X say
    assert sum(i.ordered for i in several) >= 3  # what happened, in order
    assert sum(bool(i.history) for i in several) >= 4  # follow-ups
    assert sum(len({a for f in i.facts for a in f.articles}) >= 2 for i in several) >= 6
    assert [i.id for i in several if not 2 <= i.needed <= 4] == []  # a full answer: 2-4 facts


def test_followups_carry_a_cited_prior_turn(eval_set):
    for item in (i for i in eval_set if i.category == "followup" or i.history):
        assert item.history, item.id
        for user, assistant in item.history:
            assert user.strip() and re.search(r"\[\d+\]", assistant), item.id


def test_unanswerable_items_expect_nothing(eval_set):
    for item in (i for i in eval_set if i.category == "unanswerable"):
        assert item.patterns == () and item.articles == (), item.id


def test_questions_are_phrased_not_copied(eval_set, articles):
    """No question shares six consecutive words with any article: a copied sentence would test
    string matching, not whether the assistant understands a reader's question."""
    words = lambda s: re.findall(r"[\w’']+", s.lower())  # noqa: E731
    article_grams = set()
    for text in articles.values():
        w = words(text)
        article_grams |= {tuple(w[i : i + 6]) for i in range(len(w) - 5)}
    copied = []
    for item in eval_set:
        w = words(item.question)
        if any(tuple(w[i : i + 6]) in article_grams for i in range(len(w) - 5)):
            copied.append(item.id)
    assert copied == []
