"""How dense and keyword scores are fused (a pure function)."""

import pytest

from assistant.retrieval import fuse


def test_a_passage_only_keywords_find_is_not_buried_by_middling_ones():
    # "Rustem Umerov" among 98k news chunks: BM25's clear best, a middling cosine. Reciprocal rank
    # fusion ranked it below passages both lists hold in middling places; score fusion doesn't.
    similarity = {"umerov": 0.47, **{f"envoy{i}": 0.51 - i * 0.01 for i in range(5)}}
    keyword = {"umerov": 7.8, **{f"envoy{i}": 5.1 - i * 0.4 for i in range(5)}}
    fused = fuse(similarity, keyword)
    assert max(fused, key=fused.get) == "umerov"
    assert fuse({"a": 0.5}, {}) == {"a": pytest.approx(1 - 0.3)}  # no keyword hit at all
