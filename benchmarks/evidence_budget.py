"""Evidence recall against the evidence budget against the reader's first token (issue 25).

Prompt tokens are the reader's main cost on a CPU (each ~18 ms on 2 cores, the instructions
cached), and evidence is most of them. This measures, for each evidence configuration (best
units, sentences either side, most tokens), how many answerable eval questions still have their
accepted answer in the evidence the reader would be shown, and what the read prompt costs: its
tokens, the tokens not in the KV cache, and the first token that implies at the prefill rate
measured in the same run. No model reply is needed, so the whole grid takes a minute.

    python -m benchmarks.evidence_budget [--corpus seeds|newsarticles] [--split dev]
        [--category several] [--json FILE]

With `--category several`, the items are those whose answer is several facts, and recall is the
share of their facts in the evidence (and how many have every fact there), over a grid of larger
budgets and of diversity (maximal marginal relevance over the units' embeddings).

The smallest budget that keeps evidence recall >= 0.97 on dev is the default (README).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

GRID = [  # (units, window, budget, diversity)
    (3, 0, 150, 0), (4, 0, 200, 0), (5, 0, 250, 0), (6, 0, 250, 0), (6, 0, 300, 0),
    (8, 0, 350, 0), (3, 1, 250, 0), (4, 1, 300, 0), (4, 1, 350, 0), (5, 1, 350, 0),
    (5, 1, 400, 0), (5, 1, 450, 0), (6, 1, 450, 0), (8, 1, 600, 0),
]
# answers of several facts need more, and more varied, evidence (issue 31)
SEVERAL_GRID = [
    (5, 1, 450, 0), (8, 1, 600, 0), (10, 1, 750, 0), (12, 1, 900, 0), (16, 1, 1200, 0),
    (8, 0, 400, 0), (12, 0, 550, 0), (16, 0, 700, 0), (20, 0, 850, 0),
    (8, 1, 600, 0.3), (8, 1, 600, 0.5), (10, 1, 750, 0.3), (10, 1, 750, 0.5),
    (12, 0, 550, 0.3), (12, 0, 550, 0.5), (16, 0, 700, 0.3), (16, 0, 700, 0.5),
    (10, 0, 450, 0.3), (8, 0, 400, 0.3), (6, 1, 500, 0.3),
]
GENERATED_BEFORE_FIRST_SHOWN = 6  # "SENTENCE: n\nANSWER:" comes before the first phrase token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.evidence_budget")
    parser.add_argument("--corpus", default="seeds", choices=("seeds", "newsarticles"))
    parser.add_argument("--split", default="dev", choices=("dev", "test", "all"))
    parser.add_argument("--category", default=None, help="only this category's items")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from assistant.engine import Engine
    from assistant.pipeline.evidence import budget_for, count_tokens, gather
    from assistant.pipeline.plan import normalize, plan
    from assistant.pipeline.read import SYSTEM, read_prompt, render_evidence
    from assistant.settings import Settings
    from evals.corpus import prepare_eval_corpus
    from evals.dataset import load_eval_set

    base = Settings()
    corpus = prepare_eval_corpus(args.corpus, base.data_dir)
    settings = base.model_copy(update=corpus.settings_update())
    items, _ = load_eval_set(corpus.questions)
    items = [
        i for i in items if i.answerable and (args.split == "all" or i.split == args.split)
        and (args.category is None or i.category == args.category)
    ]
    several = args.category == "several"
    engine = Engine(settings)
    retriever = engine.retriever
    model = load_model(settings)
    rate = _prefill_rate(model)
    cached = model.count_tokens(model.render([{"role": "system", "content": SYSTEM}]))
    searches = []
    for item in items:
        asks = plan(item.question, normalize([tuple(t) for t in item.history]), settings.max_parts).asks
        rankings = [retriever.find(a.searched, settings.candidates).ranked() for a in asks]
        searches.append((item, asks, rankings))
    rows = []
    for units, window, budget, diversity in SEVERAL_GRID if several else GRID:
        held, facts, tokens = 0, [], []
        for item, asks, rankings in searches:
            evidence = gather(
                asks[0].searched, rankings, retriever.keywords.article_chunks,
                count_tokens, units=units, window=window, budget=budget_for(budget, len(asks)),
                diversity=diversity, vectors=engine.store.vectors,
            )
            shown = render_evidence(evidence)
            found = [bool(re.search(p, shown, re.I)) for p in item.patterns]
            held += all(found)
            facts.append(sum(found) / len(found))
            prompt = read_prompt(evidence, asks[0].asked)
            tokens.append(model.count_tokens(model.render(prompt.messages)))
        p50 = statistics.median(tokens)
        uncached = p50 - cached
        rows.append({
            "units": units, "window": window, "budget": budget, "diversity": diversity,
            "evidence_recall": round(held / len(searches), 3),
            "facts_recall": round(statistics.mean(facts), 3),
            "prompt_tokens_p50": p50, "uncached_p50": uncached,
            "first_token_s": round(uncached / rate + GENERATED_BEFORE_FIRST_SHOWN / 20, 2),
        })
        print(_line(rows[-1]), file=sys.stderr, flush=True)
    result = {"corpus": args.corpus, "split": args.split, "items": len(searches),
              "prefill_tokens_per_s": round(rate, 1), "cached_instruction_tokens": cached,
              "rows": rows}
    print(f"{args.corpus} {args.split}: {len(searches)} answerable items; prefill {rate:.1f} "
          f"tokens/s, {cached} instruction tokens cached")
    for row in rows:
        print(_line(row))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def load_model(settings):
    """The packaged model, for its tokens and its prefill rate here (a test gives a stand-in)."""
    from assistant.llm.readers import model_path
    from assistant.llm.runtime import LocalModel

    return LocalModel(model_path(settings), n_ctx=settings.llm_context, threads=settings.llm_threads)


def _line(row: dict) -> str:
    return (f"units {row['units']:2d} window {row['window']} budget {row['budget']:4d} "
            f"diversity {row['diversity']:.1f}: all facts {row['evidence_recall']:.3f}, facts "
            f"{row['facts_recall']:.3f}, prompt {row['prompt_tokens_p50']:.0f} "
            f"tokens ({row['uncached_p50']:.0f} uncached), first token ~{row['first_token_s']} s")


def _prefill_rate(model) -> float:
    """Tokens per second of a 300-token prefill on this machine, now."""
    text = " ".join(["The talks in Moscow lasted five hours, officials said."] * 30)
    messages = [{"role": "user", "content": text}]
    started = time.perf_counter()
    list(model.stream(messages, 1))
    return model.last.prompt_tokens / (time.perf_counter() - started)


if __name__ == "__main__":
    sys.exit(main())
