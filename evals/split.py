"""The dev/test split of the seed eval set, and the code that derived it.

The rule: tune on dev freely; judge a change on test. If code is changed because of what one
test item does, that item has been tuned on: add it to MOVED_TO_DEV (with the reason) and say so
in the commit. The split of every line is recorded in questions.jsonl (its `split` field), so a
reader of the file sees it; this module re-derives it and checks the file agrees:

    python -m evals.split            # check questions.jsonl against the derivation (exit 1 if not)
    python -m evals.split --write    # rewrite the `split` fields from the derivation

How it is derived: the original items (those that are no one's paraphrase) of each category are
sorted by id and half of them (rounded down) are drawn for test by a `random.Random` seeded with
SEED and the category's name, so a category's draw does not move when another category grows.
Paraphrases are test items: they ask what a dev or test original asks in words the code was
not tuned on, which is what the test split is for. MOVED_TO_DEV then overrides the draw.

Items whose id starts with DEV_ONLY_PREFIX ("dx-") are dev-only additions, written after the
split to give the tuning split more data (issue 25: the yes/no answerability decision had too
few dev items to tune on). They are always dev, and they are left out of the per-category draw
of originals (and of the paraphrase draw), so adding them does not move a single existing item:
the draw samples from the same sorted ids as before. Test stays what it was; it is only dev
that grows.

The 20 paraphrased originals were drawn the same way (PARAPHRASE_QUOTA per category, seeded
with SEED, "paraphrase" and the category) before a word of them was written.

The `several` category (answers of several facts, ids "sv..") came later and is split by the
same rule: its originals sorted by id, half of them (rounded down) drawn for test by a
`random.Random` seeded with SEED and "several". Each category's draw is seeded by its own
name and samples only its own ids, so adding the category moved no existing item. It has no
paraphrases (its PARAPHRASE_QUOTA is 0: the paraphrases were written before it existed).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from .dataset import CATEGORIES, DEFAULT_SET, EvalItem, load_eval_set

SEED = 13  # issue 13: evals that measure generalisation
TEST_SHARE = 0.5

# id -> why it moved (the commit that tuned on it). Empty: nothing has been tuned on test yet.
MOVED_TO_DEV: dict[str, str] = {
    "f20": "the reader cited it as [passage id=\"4\"]; the check learnt to read that form",
    "m06-p1": "two facts from two passages in one sentence; the check learnt to split clauses",
    "m06-p2": "two facts from two passages in one sentence; the check learnt to split clauses",
    "n06-p1": "the reader wrote 'X is emphasized in passage [2]'; such sentences are now markers",
    # issue 25: named in commits that changed code for them before the split existed, so tuned on
    **{
        item: "named in a commit that changed the composer for it before the split existed"
        for item in ("n06", "u08", "m02", "m08", "f28", "n04", "f10", "u01", "n07", "n09")
    },
    # issue 31: the several-facts reader took these 'which Xs' questions and lost them on test;
    # such questions (names, which one sentence lists) went back to the copying reader
    **{
        item: "a 'which Xs' question lost on test by the several-facts reader; routed back to the copying reader"
        for item in ("f34", "m10", "f33-p2", "m04-p1")
    },
}

# issue 25: ids with this prefix are dev-only additions, never drawn (see the module docstring)
DEV_ONLY_PREFIX = "dx-"

# how many originals of each category get two paraphrases each (20 in all); a category missing
# here (several, added after the paraphrases were written) has none
PARAPHRASE_QUOTA: dict[str, int] = {"factoid": 8, "table": 3, "multi": 3, "followup": 3, "unanswerable": 3}


def is_dev_only(item_id: str) -> bool:
    """A dev-only addition (issue 25): written for tuning, so it never goes to test."""
    return item_id.startswith(DEV_ONLY_PREFIX)


def _originals(items: Iterable[EvalItem]) -> dict[str, list[str]]:
    """The ids each draw samples from, sorted per category.

    Dev-only additions are left out: were they in, every category they join would sample from
    a longer list and the seeded draw of the existing items would change.
    """
    by_category: dict[str, list[str]] = {name: [] for name in CATEGORIES}
    for item in items:
        if item.paraphrase_of is None and not is_dev_only(item.id):
            by_category[item.category].append(item.id)
    return {name: sorted(ids) for name, ids in by_category.items()}


def drawn_test_ids(items: Iterable[EvalItem]) -> set[str]:
    """The originals the seeded draw puts in test: half of each category, rounded down."""
    test: set[str] = set()
    for category, ids in _originals(items).items():
        rng = random.Random(f"{SEED}/split/{category}")
        test.update(rng.sample(ids, int(len(ids) * TEST_SHARE)))
    return test


def derive_splits(items: Sequence[EvalItem]) -> dict[str, str]:
    """id -> "dev" or "test" for every item, as the rule above makes it."""
    test = drawn_test_ids(items)
    splits = {}
    for item in items:
        split = "test" if item.paraphrase_of is not None or item.id in test else "dev"
        # overrides the paraphrase rule too: a reworded dev-only item was written for tuning
        splits[item.id] = "dev" if item.id in MOVED_TO_DEV or is_dev_only(item.id) else split
    return splits


def paraphrase_originals(items: Iterable[EvalItem]) -> list[str]:
    """The ids drawn to be paraphrased, in category order."""
    picked: list[str] = []
    for category, ids in _originals(items).items():
        rng = random.Random(f"{SEED}/paraphrase/{category}")
        picked += sorted(rng.sample(ids, PARAPHRASE_QUOTA.get(category, 0)))
    return picked


def differences(items: Sequence[EvalItem]) -> list[str]:
    """Where the recorded split disagrees with the derived one; empty when they agree."""
    derived = derive_splits(items)
    return [
        f"{item.source}: {item.id} is recorded as {item.split}, derived as {derived[item.id]}"
        for item in items
        if item.split != derived[item.id]
    ]


def write_splits(path: Path, splits: dict[str, str]) -> int:
    """Set the `split` field of every line from `splits`; returns how many lines changed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    changed = 0
    out = []
    for line in lines:
        if not line.strip():
            out.append(line)
            continue
        obj = json.loads(line)
        split = splits.get(obj.get("id"))
        if split is not None and obj.get("split") != split:
            obj["split"] = split
            changed += 1
        out.append(json.dumps(obj, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return changed


def summary(items: Sequence[EvalItem]) -> str:
    counts = Counter((item.category, item.split) for item in items)
    rows = [f"{'category':<13} {'dev':>4} {'test':>4}"]
    for category in CATEGORIES:
        rows.append(f"{category:<13} {counts[category, 'dev']:>4} {counts[category, 'test']:>4}")
    rows.append(f"{'all':<13} {sum(i.split == 'dev' for i in items):>4} {sum(i.split == 'test' for i in items):>4}")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.split", description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="eval set (JSONL)")
    parser.add_argument("--write", action="store_true", help="rewrite the split fields")
    args = parser.parse_args(argv)
    items, problems = load_eval_set(args.set)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.write:
        changed = write_splits(args.set, derive_splits(items))
        print(f"{args.set}: {changed} split field(s) written")
        items, _ = load_eval_set(args.set)
    diffs = differences(items)
    print(summary(items))
    for diff in diffs:
        print(diff, file=sys.stderr)
    if diffs:
        print(f"{len(diffs)} item(s) disagree with the derived split (fix, or run with --write)",
              file=sys.stderr)
        return 1
    print(f"the recorded split matches the derivation (seed {SEED})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
