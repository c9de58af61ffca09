"""Evidence recall against the evidence budget against the reader's first token (issue 25).

Prompt tokens are the reader's main cost on a CPU (each ~18 ms on 2 cores, the instructions
cached), and evidence is most of them. This measures, for each evidence configuration (best
units, sentences either side, most tokens), how many answerable eval questions still have their
accepted answer in the evidence the reader would be shown, and what the read prompt costs: its
tokens, the tokens not in the KV cache, and the first token that implies at the prefill rate
measured in the same run. No model reply is needed, so the whole grid takes a minute.

    python -m benchmarks.evidence_budget [--corpus seeds|newsarticles] [--split dev] [--json FILE]

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

GRID = [  # (units, window, budget)
    (3, 0, 150), (4, 0, 200), (5, 0, 250), (6, 0, 250), (6, 0, 300), (8, 0, 350),
    (3, 1, 250), (4, 1, 300), (4, 1, 350), (5, 1, 350), (5, 1, 400), (5, 1, 450), (6, 1, 450),
    (8, 1, 600),
]
GENERATED_BEFORE_FIRST_SHOWN = 6  # "SENTENCE: n\nANSWER:" comes before the first phrase token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.evidence_budget")
    parser.add_argument("--corpus", default="seeds", choices=("seeds", "newsarticles"))
    parser.add_argument("--split", default="dev", choices=("dev", "test", "all"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from assistant.engine import Engine
    from assistant.llm.readers import model_path
    from assistant.llm.runtime import LocalModel
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
    ]
    engine = Engine(settings)
    retriever = engine.retriever
    model = LocalModel(model_path(settings), n_ctx=settings.llm_context, threads=settings.llm_threads)
    rate = _prefill_rate(model)
    cached = model.count_tokens(model.render([{"role": "system", "content": SYSTEM}]))
    searches = []
    for item in items:
        asks = plan(item.question, normalize([tuple(t) for t in item.history])).asks
        rankings = [retriever.find(a.searched, settings.candidates).ranked() for a in asks]
        searches.append((item, asks, rankings))
    rows = []
    for units, window, budget in GRID:
        held, tokens = 0, []
        for item, asks, rankings in searches:
            evidence = gather(
                asks[0].searched, rankings, retriever.keywords.article_chunks,
                count_tokens, units=units, window=window, budget=budget_for(budget, len(asks)),
            )
            shown = render_evidence(evidence)
            held += all(re.search(p, shown, re.I) for p in item.patterns)
            prompt = read_prompt(evidence, asks[0].asked)
            tokens.append(model.count_tokens(model.render(prompt.messages)))
        p50 = statistics.median(tokens)
        uncached = p50 - cached
        rows.append({
            "units": units, "window": window, "budget": budget,
            "evidence_recall": round(held / len(searches), 3),
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


def _line(row: dict) -> str:
    return (f"units {row['units']} window {row['window']} budget {row['budget']:4d}: "
            f"evidence recall {row['evidence_recall']:.3f}, prompt {row['prompt_tokens_p50']:.0f} "
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
