"""Retrieval: how dense and keyword scores are fused, and what the keyword index says of articles."""

import pytest

from search.retrieval import fuse


def test_a_passage_only_keywords_find_is_not_buried_by_middling_ones():
    # "Rustem Umerov" among 98k news chunks: BM25's clear best, a middling cosine. Reciprocal rank
    # fusion ranked it below passages both lists hold in middling places; score fusion doesn't.
    similarity = {"umerov": 0.47, **{f"envoy{i}": 0.51 - i * 0.01 for i in range(5)}}
    keyword = {"umerov": 7.8, **{f"envoy{i}": 5.1 - i * 0.4 for i in range(5)}}
    fused = fuse(similarity, keyword, 0.3)
    assert max(fused, key=fused.get) == "umerov"
    assert fuse({"a": 0.5}, {}, 0.3) == {"a": pytest.approx(1 - 0.3)}  # no keyword hit at all


def test_the_article_a_conversation_is_about_scores_best(built_index):
    from assistant.engine import get_engine

    retriever = get_engine().retriever
    scores = retriever.keywords.article_scores("Der Spiegel transcript of the European leaders' call")
    assert max(scores, key=scores.get) == "003_da6a537bacec0b05" and max(scores.values()) == 1.0


def test_an_article_mentions_a_name_anywhere_in_it(built_index):
    from assistant.engine import get_engine

    keywords = get_engine().retriever.keywords
    odesa, kyiv = keywords.terms("Odesa"), keywords.terms("Kryvyi Rih")
    assert keywords.mentions("002_349d635fff76aa66", odesa | kyiv)
    assert not keywords.mentions("000_a3e66bb6e1c6e4ee", odesa)
    assert keywords.mentions("000_a3e66bb6e1c6e4ee", set())
    # an article indexed after the keyword index was built (another writer) can't be checked
    assert keywords.mentions("999_written_later", odesa)


def test_the_other_reports_of_an_event_are_the_articles_an_article_s_opening_finds(isolated):
    from assistant.engine import get_engine

    for name, text in {
        "010_storm_bbc.txt": "Storm Doris batters Britain\nStorm Doris brought gales of 94mph to "
        "Britain on Thursday, closing roads and railways.\nForecasters said the storm would ease.\n",
        "011_storm_guardian.txt": "Gales close railways as Storm Doris hits\nRailways and roads "
        "were closed across Britain as Storm Doris brought gales on Thursday.\n",
    }.items():
        (isolated["corpus"] / name).write_text(text, encoding="utf-8")
    keywords = get_engine().retriever.keywords

    storm = keywords.related("010_storm_bbc", 1)
    assert list(storm) == ["010_storm_bbc", "011_storm_guardian"] and storm["010_storm_bbc"] == 1.0
    assert 0 < storm["011_storm_guardian"] <= 1.0  # a share of the article's own score
    talks = keywords.related("001_879027de3d8b4ae6", 3)
    assert talks["001_879027de3d8b4ae6"] == 1.0 and len(talks) == 4
    assert not {"010_storm_bbc", "011_storm_guardian"} & set(talks)  # the other reports of the talks
