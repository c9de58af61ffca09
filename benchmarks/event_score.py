"""Fit the timeline's event score on the dev timelines, and say whether it generalises.

A timeline's events are chosen among the statements about its topic (issue 34). Relevance
alone ranks background first ("In late 2015, Navalny repaid..."); the lead weight helped, and
a hand-set weight for each further signal (a named day, other reports saying the same) was
fitted on too few items to trust. This fits the weights of `story.EVENT_FEATURES` together: a
logistic regression (numpy, L2, classes balanced) whose label is whether a statement states
one of the item's expected events (its pattern). No model reply is needed; a run takes a
minute or two once the export's index exists (`assistant eval --corpus stories` builds it).

It reports events recall at the timeline's cap, per corpus:
- the ranking without learned weights (relevance times the lead weight, `Settings`);
- leave-one-item-out: each dev item ranked by weights fitted on the other dev items, for each
  relevance share and L2 in the grid: what the learned score does on a timeline it never saw;
and prints the weights fitted on every item of the split, in raw units, for
`story.EVENT_WEIGHTS`. Test is never fitted on; judge the kept weights on it with the eval.

    python -m benchmarks.event_score [--split dev] [--l2 1 10 100] [--share 0.6 0.4 0.2]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Sequence

import numpy as np


@dataclasses.dataclass
class Case:
    corpus: str
    item: object  # evals.stories.StoryItem
    statements: list  # the Scored statements retrieved for its topic
    features: np.ndarray
    labels: np.ndarray
    settings: object


def cases(split: str) -> list[Case]:
    from assistant.engine import get_engine
    from assistant.pipeline import story, when
    from assistant.settings import Settings
    from evals import stories
    from evals.corpus import prepare_eval_corpus

    items = [i for i in stories.select(stories.load_items(), split=split) if i.kind == "timeline"]
    base, out = Settings(), []
    for name in stories.CORPORA:
        chosen = [i for i in items if i.corpus == name]
        if not chosen:
            continue
        corpus = prepare_eval_corpus(name, base.data_dir)
        settings = base.model_copy(update={"backend": "extractive", **corpus.settings_update()})
        retriever = get_engine(settings).retriever
        for item in chosen:
            wanted = story.parse(item.question)
            period = when.period(wanted.topic, retriever.keywords.newest)
            found = retriever.find(when.topic(wanted.topic, period), settings.story_candidates, period)
            statements = [s for s in found.ranked() if story.story_line(s.hit)]
            patterns = [re.compile(p.pattern, re.I) for p in item.points]
            labels = np.array([float(any(p.search(s.hit.text) for p in patterns)) for s in statements])
            out.append(Case(name, item, statements, story.event_features(statements, when.names_day),
                            labels, settings))
    return out


def fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 3000, rate: float = 0.1) -> np.ndarray:
    """Raw-space weights of a balanced, L2-regularised logistic regression (gradient descent on
    standardised features; the intercept is dropped, since only the ranking is used)."""
    mean, spread = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / spread
    w, b = np.zeros(z.shape[1]), 0.0
    positive = max(float(y.mean()), 1e-6)
    balance = np.where(y > 0, 0.5 / positive, 0.5 / max(1 - positive, 1e-6))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = (p - y) * balance
        w -= rate * (z.T @ g / len(y) + l2 * w / len(y))
        b -= rate * float(g.mean())
    return w / spread


def recall(case: Case, weights: dict[str, float] | None, share: float) -> float:
    """Events recall of the timeline the product would show (its cap, merging and per-report
    limit), ranked by `weights` or, when None, by relevance and the lead weight."""
    from assistant.pipeline import story, when

    s = case.settings
    shown = story.events(
        case.statements, when.event_date, when.weekday, share=share, same_fact=s.same_fact,
        per_article=s.timeline_per_article, lead=s.timeline_lead, weights=weights,
        names_day=when.names_day,
    )[: s.timeline_events]
    found = 0
    for point in case.item.points:
        pattern = re.compile(point.pattern, re.I)
        found += any(pattern.search(" ".join(u.text for u in (e.unit, *e.also))) for e in shown)
    return found / len(case.item.points)


def _by_corpus(all_cases: Sequence[Case], values: Sequence[float]) -> dict[str, float]:
    out: dict[str, list[float]] = {}
    for case, value in zip(all_cases, values, strict=True):
        out.setdefault(case.corpus, []).append(value)
    return {k: round(sum(v) / len(v), 3) for k, v in out.items()}


def main(argv: Sequence[str] | None = None) -> None:
    from assistant.pipeline.story import EVENT_FEATURES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev")
    parser.add_argument("--l2", type=float, nargs="+", default=[1.0, 10.0, 100.0])
    parser.add_argument("--share", type=float, nargs="+", default=[0.6, 0.4, 0.2])
    parser.add_argument("--without", nargs="*", default=[], choices=EVENT_FEATURES,
                        help="features left out (their weight 0)")
    args = parser.parse_args(argv)
    all_cases = [c for c in cases(args.split) if len(c.statements)]
    for name in args.without:
        for c in all_cases:
            c.features[:, EVENT_FEATURES.index(name)] = 0.0
    n_items = {k: sum(c.corpus == k for c in all_cases) for k in {c.corpus for c in all_cases}}
    print(f"{args.split}: {n_items} timelines, {sum(len(c.labels) for c in all_cases)} statements, "
          f"{int(sum(c.labels.sum() for c in all_cases))} state an expected event")
    base_share = all_cases[0].settings.story_share
    print(f"relevance x lead (share {base_share}):",
          _by_corpus(all_cases, [recall(c, None, base_share) for c in all_cases]))
    for l2 in args.l2:
        for share in args.share:
            values = []
            for i, case in enumerate(all_cases):
                rest = [c for j, c in enumerate(all_cases) if j != i]
                w = fit(np.vstack([c.features for c in rest]), np.concatenate([c.labels for c in rest]), l2)
                values.append(recall(case, dict(zip(EVENT_FEATURES, w.tolist())), share))
            print(f"learned, leave one out, l2 {l2:g}, share {share:g}:", _by_corpus(all_cases, values))
    l2 = args.l2[0]
    w = fit(np.vstack([c.features for c in all_cases]), np.concatenate([c.labels for c in all_cases]), l2)
    print(f"weights fitted on all of {args.split} (l2 {l2:g}):")
    print("{" + ", ".join(f'"{k}": {v:.4f}' for k, v in zip(EVENT_FEATURES, w.tolist())) + "}")


if __name__ == "__main__":
    main()
