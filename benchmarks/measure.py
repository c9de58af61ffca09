"""Small measuring helpers shared by the product and the naive side of the benchmark."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class BenchError(RuntimeError):
    """A step of the benchmark failed; the CLI prints the message without a traceback."""


@dataclass(frozen=True)
class Question:
    """An eval question as the benchmark uses it: what to ask and which articles state it."""

    question: str
    history: tuple[tuple[str, str], ...] = ()
    articles: tuple[str, ...] = ()

    def hit(self, retrieved: list[str], k: int = 5) -> bool:
        return any(a in self.articles for a in list(dict.fromkeys(retrieved))[:k])


def eval_questions(path: Path | None = None) -> list[Question]:
    from evals.dataset import DEFAULT_SET, load_eval_set

    items, _problems = load_eval_set(path or DEFAULT_SET)
    return [
        Question(i.question, tuple(i.history), tuple(i.articles) if i.answerable else ())
        for i in items
    ]


def hit_rate(questions: list[Question], retrieved: list[list[str]]) -> float:
    """Share of the questions with expected articles that found one among the first 5."""
    scored = [q.hit(r) for q, r in zip(questions, retrieved) if q.articles]
    return round(sum(scored) / len(scored), 4) if scored else float("nan")


def token_counts(texts: list[str]) -> tuple[int, int]:
    """(tokens the embedder sees after its 256-token cut, tokens of the whole texts)."""
    from tokenizers import Tokenizer

    from index.embedding import MAX_TOKENS, TOKENIZER_PATH

    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    seen = whole = 0
    for lo in range(0, len(texts), 1000):  # a batch at a time: Encoding objects are large
        lengths = [len(e.ids) for e in tokenizer.encode_batch(texts[lo : lo + 1000])]
        seen += sum(min(n, MAX_TOKENS) for n in lengths)
        whole += sum(lengths)
    return seen, whole


def ms(seconds: list[float], pct: float) -> float:
    return round(float(np.percentile(np.asarray(seconds) * 1000.0, pct)), 2) if seconds else float("nan")


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Highest resident memory so far (ru_maxrss is in KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(who).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def disk_mb(path: Path) -> float:
    total = sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
    return round(total / 1e6, 1)


def timed_run(args: list[str], env: dict[str, str], show_stderr: bool = False) -> tuple[float, str]:
    """Wall-clock seconds of a fresh process, and its stdout; raises with its stderr on failure.

    With show_stderr its progress bars and errors go straight to our stderr instead.
    """
    start = time.perf_counter()
    stderr = None if show_stderr else subprocess.PIPE
    done = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        detail = "see above" if show_stderr else done.stderr[-2000:]
        raise BenchError(f"`{' '.join(args[1:4])} ...` failed with exit code {done.returncode}: {detail}")
    return seconds, done.stdout


def child_env(**overrides: str | None) -> dict[str, str]:
    """This environment with ASSISTANT_* overrides (None removes), offline switches set."""
    env = dict(os.environ)
    env.update(ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env
