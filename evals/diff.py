"""Which answers changed between two eval runs: `python -m evals.diff BEFORE.json AFTER.json`.

A change meant to keep behaviour (a reshaping of the code, a faster runtime replaying the same
replies) is checked by this: the same items, the same answer text, refusal and citations. It
reads the JSON of `assistant eval --json` and of `assistant eval --corpus newsdated --json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def answers(path: Path) -> dict[str, dict]:
    """Each item's answer as compared: its text, whether it refused, what it cites."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for item in data["items"]:
        got = item.get("got", item)  # the main eval nests the answer; newsdated doesn't
        if got is None:
            out[item["id"]] = {"error": item.get("error")}
            continue
        cited = got.get("citations") or got.get("cited") or []
        out[item["id"]] = {
            "text": got.get("text"),
            "refused": got.get("refused"),
            "cited": [
                (c["article_id"], c["start"], c["end"]) if isinstance(c, dict) else c for c in cited
            ],
        }
    return out


def changed(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    """Ids whose answer differs, or that only one run has."""
    return sorted(i for i in before.keys() | after.keys() if before.get(i) != after.get(i))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m evals.diff BEFORE.json AFTER.json", file=sys.stderr)
        return 2
    before, after = answers(Path(argv[0])), answers(Path(argv[1]))
    ids = changed(before, after)
    for i in ids:
        print(f"{i}:\n  before: {before.get(i)}\n  after:  {after.get(i)}")
    print(f"{len(ids)} of {len(before.keys() | after.keys())} answers changed")
    return 1 if ids else 0


if __name__ == "__main__":
    raise SystemExit(main())
