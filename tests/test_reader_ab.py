"""The two-configuration reader benchmark: how a side's changes are read, and its ratios."""

from __future__ import annotations

from types import SimpleNamespace

import click
import pytest

from assistant.settings import Settings
from benchmarks.reader_ab import overrides, ratios


def test_changes_are_settings_of_their_own_type():
    settings = Settings()
    assert overrides(("first_read_tokens=250", "ASSISTANT_FACTS_ROUNDS=3"), settings) == {
        "first_read_tokens": 250, "facts_rounds": 3,
    }


@pytest.mark.parametrize("bad", ["nosuchsetting=1", "first_read_tokens", "=3"])
def test_a_change_that_is_not_a_setting_is_a_clear_error(bad):
    with pytest.raises(click.BadParameter, match="name=value"):
        overrides((bad,), Settings())


def test_a_wrong_value_is_refused_by_the_settings_themselves():
    with pytest.raises(ValueError, match="facts_rounds"):
        overrides(("facts_rounds=99",), Settings())


def test_ratios_leave_out_questions_either_side_failed():
    run = lambda s, error=None: SimpleNamespace(answer_s=s, error=error)  # noqa: E731
    a = [run(10.0), run(8.0), run(5.0)]
    b = [run(5.0), run(8.0, "boom"), run(10.0)]
    assert ratios(a, b, "answer_s") == [0.5, 2.0]


def test_a_sample_of_one_category_holds_only_that_category():
    from benchmarks.reader_bench import sample_items

    items = sample_items(6, category="several")
    assert len(items) == 6 and {i.category for i in items} == {"several"}
    assert len({i.id for i in items}) == 6
    assert sample_items(6, category="no such category") == []
