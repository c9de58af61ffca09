"""The dev/test split recorded in evals/questions.jsonl is the one evals/split.py derives.

The split is written into the file so anyone reading a line sees it, and derived by code so
nobody can quietly move an item they would rather not be judged on: a move to dev goes through
MOVED_TO_DEV, with its reason, and shows up in review.
"""

from __future__ import annotations

from collections import Counter

import pytest

from evals.dataset import CATEGORIES, DEFAULT_SET, load_eval_set
from evals.split import (
    DEV_ONLY_PREFIX,
    MOVED_TO_DEV,
    PARAPHRASE_QUOTA,
    derive_splits,
    differences,
    drawn_test_ids,
    main,
    paraphrase_originals,
)


@pytest.fixture(scope="module")
def items():
    items, problems = load_eval_set(DEFAULT_SET)
    assert problems == []
    return items


def test_every_line_records_its_split():
    import json

    lines = [json.loads(line) for line in DEFAULT_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all(line.get("split") in ("dev", "test") for line in lines)


def test_the_recorded_split_is_the_derived_one(items):
    assert differences(items) == []
    derived = derive_splits(items)
    originals = [i for i in items if i.paraphrase_of is None]
    assert {i.id: i.split for i in originals} == {i.id: derived[i.id] for i in originals}


def test_the_originals_are_split_about_half_per_category(items):
    test = drawn_test_ids(items)
    for category in CATEGORIES:
        # the dev-only additions (issue 25) are outside the draw by design, so they would break
        # the half-and-half count: it is about the drawn originals only
        ids = [i.id for i in items if i.category == category and i.paraphrase_of is None
               and not i.id.startswith(DEV_ONLY_PREFIX)]
        in_test = sum(i in test for i in ids)
        assert in_test == len(ids) // 2, (category, in_test, len(ids))
        assert len(ids) - in_test - in_test in (0, 1)


def test_the_draw_is_seeded_not_sorted(items):
    # the same on every call, and not simply the first half of each category
    assert drawn_test_ids(items) == drawn_test_ids(list(reversed(items)))
    # without the dev-only additions ("dx-" sorts first and is never drawn, which would make the
    # comparison below pass for the wrong reason)
    factoids = sorted(i.id for i in items if i.category == "factoid" and i.paraphrase_of is None
                      and not i.id.startswith(DEV_ONLY_PREFIX))
    assert drawn_test_ids(items) & set(factoids) != set(factoids[: len(factoids) // 2])


def test_moved_items_are_dev_and_say_why(items):
    ids = {i.id for i in items}
    for item_id, why in MOVED_TO_DEV.items():
        assert item_id in ids and why.strip(), item_id
        assert derive_splits(items)[item_id] == "dev"


def test_dev_only_additions_are_dev_and_move_nothing(items):
    # issue 25: the "dx-" items give dev more data; they must not change a single existing split
    added = [i for i in items if i.id.startswith(DEV_ONLY_PREFIX)]
    assert added, "the dev-only additions are missing"
    assert all(derive_splits(items)[i.id] == "dev" for i in added)
    before = [i for i in items if not i.id.startswith(DEV_ONLY_PREFIX)]
    assert drawn_test_ids(items) == drawn_test_ids(before)
    assert paraphrase_originals(items) == paraphrase_originals(before)
    derived_before = derive_splits(before)
    assert {i.id: derive_splits(items)[i.id] for i in before} == derived_before


def test_the_several_category_moved_no_existing_item(items):
    # it was added after the split: each category's draw samples its own ids with its own seed,
    # so the other categories' draws, the paraphrase draw and every derived split are unchanged
    before = [i for i in items if i.category != "several"]
    added = [i for i in items if i.category == "several"]
    assert len(added) >= 36 and all(i.id.startswith("sv") for i in added)
    assert drawn_test_ids(before) == drawn_test_ids(items) - {i.id for i in added}
    assert paraphrase_originals(before) == paraphrase_originals(items)
    assert {i.id: derive_splits(items)[i.id] for i in before} == derive_splits(before)
    in_test = sum(derive_splits(items)[i.id] == "test" for i in added)
    assert in_test == len(added) // 2


def test_paraphrases_reword_the_drawn_originals_two_each(items):
    by_id = {i.id: i for i in items}
    paraphrases = [i for i in items if i.paraphrase_of is not None]
    drawn = paraphrase_originals(items)
    assert len(drawn) == sum(PARAPHRASE_QUOTA.values()) == 20
    assert Counter(i.paraphrase_of for i in paraphrases) == {orig: 2 for orig in drawn}
    assert {by_id[o].category for o in drawn} == set(PARAPHRASE_QUOTA)
    for p in paraphrases:
        original = by_id[p.paraphrase_of]
        assert p.id in (f"{original.id}-p1", f"{original.id}-p2"), p.id
        assert p.category == original.category and p.articles == original.articles, p.id
        assert p.patterns == original.patterns and p.history == original.history, p.id
        assert p.question != original.question, p.id
        assert p.split == "test" or p.id in MOVED_TO_DEV, p.id


def test_the_command_checks_the_file(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "matches the derivation" in out and "factoid" in out


def test_the_command_reports_and_rewrites_a_wrong_split(tmp_path, capsys):
    path = tmp_path / "set.jsonl"
    text = DEFAULT_SET.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    flipped = first.replace('"split": "dev"', '"split": "test"') if '"split": "dev"' in first \
        else first.replace('"split": "test"', '"split": "dev"')
    path.write_text(text.replace(first, flipped, 1), encoding="utf-8")
    assert main(["--set", str(path)]) == 1
    assert "disagree" in capsys.readouterr().err
    assert main(["--set", str(path), "--write"]) == 0
    assert path.read_text(encoding="utf-8") == text
