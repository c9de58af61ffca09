"""The floor: how fast the packaged model reads and writes on this machine, per runtime.

`python -m benchmarks.runtime_floor [--json FILE] [--runs N] [--threads T]`

Prefill dominates an answer's time, so this measures the model alone, no retrieval: prompt
tokens/s and generated tokens/s of the packaged Qwen2.5-Coder-1.5B on `--threads` threads, for

- **cyllama**: the project's runtime as shipped (`assistant.runtime.LocalModel`, the prebuilt
  wheel's llama.cpp, AVX2), the packaged Q4_K_M file;
- **native Q4_K_M**: llama.cpp built for this CPU (`make native`, `benchmarks.native_build`),
  its `llama-server` driven by `assistant.llm.server.ServerModel`, the same file;
- **native Q4_0 / IQ4_NL / Q8_0**: the same server on copies requantized from the packaged
  file (`llama-quantize --allow-requantize`, made once into the build's cache);
- **llama-bench pp512 / tg32**: llama.cpp's own bench of the native build on the Q4_K_M file,
  as a reference for what the server's figures could be.

Each run is one ~500-token prompt (the reader's instructions, numbered news sentences, a
request for a summary) of which nothing is cached (its first words change from run to run, so
a runtime's KV cache holds at most the template's first tokens), then 32 generated tokens,
greedy. The runtimes take turns run by run, in an order that rotates, so background load weighs
on all alike; the table gives medians and their ratio to cyllama, with the spread. Every
runtime is loaded once and warmed once, untimed; the load time is the wall time of that start.
Prompt tokens/s counts the tokens computed (prompt minus cached) over the runtime's own prefill
time (cyllama: `Usage.prefill_s`; the server: its `timings.prompt_ms`).

Then the agreement of cyllama and the native server on the same Q4_K_M file: P(YES) of a few
answer-check prompts (`read.verify_prompt`, `choose`; each asked twice, the second time
with all but its last token cached, for how far one runtime drifts from itself) and the
reader's first-token share of an answer over NONE on reading prompts (`stream` with the
reader's grammar and openings).

Without the native build, it measures cyllama alone and says how to build it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

NATIVE_QUANTS = ("Q4_0", "IQ4_NL", "Q8_0")
PROMPT_TOKENS = 500
GENERATE = 32
N_CTX = 2048
REFERENCE = "cyllama Q4_K_M"

# (question, text, does the text answer it): answer checks as `verify_prompt` words them
CHECKS = [
    ("Who did Trump send to Moscow?", "U.S. President Donald Trump initiated the latest round "
     "of negotiations, dispatching special envoy Steve Witkoff and son-in-law Jared Kushner to "
     "Moscow for five hours of talks with Putin on Tuesday.", True),
    ("How long did the talks in Moscow last?", "U.S. President Donald Trump initiated the "
     "latest round of negotiations, dispatching special envoy Steve Witkoff and son-in-law Jared "
     "Kushner to Moscow for five hours of talks with Putin on Tuesday.", True),
    ("What did Zelensky say about the plan?", "U.S. President Donald Trump initiated the latest "
     "round of negotiations, dispatching special envoy Steve Witkoff and son-in-law Jared Kushner "
     "to Moscow for five hours of talks with Putin on Tuesday.", False),
    ("Which news agency interviewed Lavrov?", "Russian Foreign Minister Sergey Lavrov, in an "
     "interview with the TASS news agency, stated that Russia had not received any official "
     "communication from the Trump administration regarding negotiations.", True),
    ("What share of the Donbas do Russian forces control?", "Russian Foreign Minister Sergey "
     "Lavrov, in an interview with the TASS news agency, stated that Russia had not received any "
     "official communication from the Trump administration regarding negotiations.", False),
    ("How long would Ukraine's NATO membership be delayed?", "The plan, reportedly drafted by "
     "advisors to then President-elect Donald Trump, included delaying Ukraine's NATO membership "
     "for two decades, establishing a ceasefire along the current front lines, and creating a "
     "demilitarized zone.", True),
    ("When will the ceasefire begin?", "The plan, reportedly drafted by advisors to then "
     "President-elect Donald Trump, included delaying Ukraine's NATO membership for two decades, "
     "establishing a ceasefire along the current front lines, and creating a demilitarized "
     "zone.", False),
]
READ_QUESTIONS = [
    "Who did Trump send to Moscow?",
    "Which news agency interviewed Lavrov?",
    "What is the capital of Australia?",
]


def seed_sentences() -> list[str]:
    from assistant.llm.base import data

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    out: list[str] = []
    for path in sorted(seeds.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for sentence in line.replace(". ", ".\n").splitlines():
                if len(sentence.split()) >= 6:
                    out.append(data(sentence))
    return out


def numbered(sentences: list[str]) -> str:
    return "\n".join(f"[{n}] {s}" for n, s in enumerate(sentences, 1))


def floor_messages(run: int, sentences: list[str]) -> list[dict]:
    """A ~PROMPT_TOKENS prompt whose first words differ per run (so nothing of it is cached)."""
    from assistant.pipeline.read import SYSTEM

    return [
        {"role": "system", "content": f"Session {run + 1}. {SYSTEM}"},
        {"role": "user", "content": numbered(sentences) + "\n\nQuestion: Summarise these "
         "sentences in detail, in your own words, in at least five sentences."},
    ]


def fit_sentences(count_prompt, sentences: list[str], target: int) -> list[str]:
    """As many sentences as keep the rendered prompt at about `target` tokens."""
    chosen: list[str] = []
    for sentence in sentences:
        if count_prompt(chosen + [sentence]) > target:
            break
        chosen.append(sentence)
    return chosen


def read_messages(question: str, sentences: list[str]) -> list[dict]:
    from assistant.llm.base import data
    from assistant.pipeline.read import SYSTEM

    body = numbered(sentences) + f"\n\nQuestion: {data(question)}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": body}]


# -- measuring -------------------------------------------------------------------------------


def one_run(model, messages: list[dict]) -> dict:
    text = "".join(model.stream(messages, GENERATE))
    u = model.last
    computed = u.prompt_tokens - u.cached_tokens
    return {
        "prompt_tokens": u.prompt_tokens,
        "cached_tokens": u.cached_tokens,
        "prefill_s": u.prefill_s,
        "prompt_tps": computed / u.prefill_s if u.prefill_s else None,
        "generated_tokens": u.generated_tokens,
        "generate_s": u.generate_s,
        "generate_tps": u.generated_tokens / u.generate_s if u.generate_s else None,
        "first_token_s": u.first_token_s,
        "text": text,
    }


def llama_bench(bin_dir: Path, model: Path, threads: int) -> dict:
    """One repetition of llama-bench pp512 and tg32 on the native build."""
    done = subprocess.run(
        [str(bin_dir / "llama-bench"), "-m", str(model), "-t", str(threads), "-p", "512",
         "-n", str(GENERATE), "-r", "1", "-o", "json"],
        capture_output=True, text=True, check=False,
    )
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last}
    out = {}
    for test in json.loads(done.stdout):
        key = "prompt_tps" if test["n_prompt"] else "generate_tps"
        out[key] = float(test["avg_ts"])
    return out


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(runs: list[dict]) -> dict:
    out = {}
    for key in ("prompt_tps", "generate_tps", "prompt_tokens", "cached_tokens",
                "generated_tokens", "first_token_s"):
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            out[key] = {"median": median(values), "min": min(values), "max": max(values)}
    return out


def measure(model_path: Path, runs: int, threads: int, log=print) -> dict:
    from assistant.llm.runtime import LocalModel
    from assistant.llm.server import ServerModel
    from benchmarks import native_build

    result: dict = {"threads": threads, "runs": runs, "generate": GENERATE, "runtimes": {},
                    "bench": None, "agreement": None, "native": None}
    models: dict = {}
    files: dict[str, Path] = {}
    started = time.perf_counter()
    models[REFERENCE] = LocalModel(model_path, n_ctx=N_CTX, threads=threads)
    loads = {REFERENCE: time.perf_counter() - started}
    files[REFERENCE] = model_path
    bin_dir = native_build.find()
    if bin_dir is not None:
        result["native"] = native_build.info()
        files["native Q4_K_M"] = model_path
        for kind in NATIVE_QUANTS:
            try:
                files[f"native {kind}"] = native_build.quantized(model_path, kind, bin_dir, log)
            except native_build.BuildFailed as err:
                log(str(err))
        for name, path in files.items():
            if name == REFERENCE:
                continue
            started = time.perf_counter()
            models[name] = ServerModel.launch(bin_dir / "llama-server", path, n_ctx=N_CTX,
                                              threads=threads)
            loads[name] = time.perf_counter() - started
    else:
        log("native llama.cpp is not built: cyllama alone (build it once with `make native`)")
    try:
        reference = models[REFERENCE]
        sentences = fit_sentences(
            lambda chosen: reference.count_tokens(reference.render(floor_messages(0, chosen))),
            seed_sentences(), PROMPT_TOKENS,
        )
        names = list(models)
        for name in names:  # untimed: pages the weights in, fills what is lazily made
            list(models[name].stream([{"role": "user", "content": "Say hello."}], 4))
        per: dict[str, list[dict]] = {name: [] for name in names}
        bench_runs: list[dict] = []
        for run in range(runs):
            order = names[run % len(names):] + names[: run % len(names)]
            for name in order:
                per[name].append(one_run(models[name], floor_messages(run, sentences)))
                r = per[name][-1]
                log(f"run {run + 1}/{runs} {name}: {r['prompt_tokens']} prompt tokens "
                    f"({r['cached_tokens']} cached) at {r['prompt_tps']:.1f}/s, "
                    f"{r['generated_tokens']} generated at {r['generate_tps']:.1f}/s")
            if bin_dir is not None:
                bench_runs.append(llama_bench(bin_dir, model_path, threads))
                log(f"run {run + 1}/{runs} llama-bench: {bench_runs[-1]}")
        for name in names:
            result["runtimes"][name] = {
                "file": str(files[name]),
                "file_mb": files[name].stat().st_size / 1e6,
                "load_s": loads[name],
                "summary": summarise(per[name]),
                "runs": per[name],
            }
        if bench_runs:
            result["bench"] = {"summary": summarise(bench_runs), "runs": bench_runs}
        if "native Q4_K_M" in models:
            result["agreement"] = agreement(reference, models["native Q4_K_M"], sentences)
            texts = zip(per[REFERENCE], per["native Q4_K_M"], strict=True)
            result["agreement"]["same_text_runs"] = sum(a["text"] == b["text"] for a, b in texts)
    finally:
        for model in models.values():
            if hasattr(model, "close"):
                model.close()
    return result


def agreement(local, server, sentences: list[str]) -> dict:
    """The two runtimes' shares on the same prompts (same file, greedy)."""
    from assistant.pipeline.decide import verify_prompt
    from assistant.pipeline.read import grammar

    checks = []
    for question, text, answers in CHECKS:
        messages = verify_prompt(question, text).messages
        a = local.choose(messages, ("YES", "NO"))["YES"]
        b = server.choose(messages, ("YES", "NO"))["YES"]
        tail = server.last_tail
        # asked again, all but the last token is cached: the same runtime on another batch
        # split, which is how far a runtime drifts from itself
        a2 = local.choose(messages, ("YES", "NO"))["YES"]
        b2 = server.choose(messages, ("YES", "NO"))["YES"]
        checks.append({"question": question, "answers": answers, "cyllama": a, "native": b,
                       "cyllama_cached": a2, "native_cached": b2, "native_tail": tail})
    reads = []
    short = sentences[:12]
    for question in READ_QUESTIONS:
        messages = read_messages(question, short)
        replies = []
        for model in (local, server):
            reply = "".join(model.stream(messages, 48, grammar(len(short)),
                                         ("NONE", "SENTENCE")))
            replies.append((reply, model.last_openings.get("SENTENCE")))
        reads.append({"question": question, "cyllama": replies[0][1], "native": replies[1][1],
                      "same_reply": replies[0][0] == replies[1][0],
                      "replies": [r for r, _ in replies]})
    return {"checks": checks, "reads": reads}


# -- the table -------------------------------------------------------------------------------


def _fmt(stat: dict | None, digits: int = 1) -> str:
    if not stat:
        return "-"
    return f"{stat['median']:.{digits}f} ({stat['min']:.{digits}f}-{stat['max']:.{digits}f})"


def _ratio(stat: dict | None, ref: dict | None) -> str:
    if not stat or not ref or not ref.get("median"):
        return "-"
    return f"{stat['median'] / ref['median']:.2f}x"


def format_table(result: dict) -> str:
    runtimes = result["runtimes"]
    ref = runtimes.get(REFERENCE, {}).get("summary", {})
    head = (f"Runtime floor: packaged model, {result['threads']} threads, median (min-max) of "
            f"{result['runs']} interleaved runs; ~{PROMPT_TOKENS}-token prompt, nothing cached, "
            f"then {result['generate']} tokens")
    rows = [("runtime", "file MB", "load s", "prompt tok/s", "x", "gen tok/s", "x",
             "prompt (cached)")]
    for name, r in runtimes.items():
        s = r["summary"]
        tokens = s.get("prompt_tokens", {}).get("median")
        cached = s.get("cached_tokens", {}).get("max")
        rows.append((
            name, f"{r['file_mb']:.0f}", f"{r['load_s']:.1f}",
            _fmt(s.get("prompt_tps")), _ratio(s.get("prompt_tps"), ref.get("prompt_tps")),
            _fmt(s.get("generate_tps")), _ratio(s.get("generate_tps"), ref.get("generate_tps")),
            f"{tokens:.0f} ({cached:.0f})" if tokens is not None else "-",
        ))
    bench = result.get("bench")
    if bench:
        s = bench["summary"]
        rows.append((
            f"llama-bench pp512/tg{result['generate']}", "", "",
            _fmt(s.get("prompt_tps")), _ratio(s.get("prompt_tps"), ref.get("prompt_tps")),
            _fmt(s.get("generate_tps")), _ratio(s.get("generate_tps"), ref.get("generate_tps")),
            "512",
        ))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = [head, ""]
    for i, row in enumerate(rows):
        lines.append("  ".join(str(c).ljust(w) if j == 0 else str(c).rjust(w)
                               for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    native = result.get("native")
    if native:
        lines += ["", f"native build: {native.get('source')}, {native.get('build_minutes')} min, "
                      f"{native.get('bin_mb')} MB installed ({native.get('key')})"]
    else:
        lines += ["", "native llama.cpp not built: `make native` builds it once for this CPU "
                      "(minutes), then this bench compares it."]
    agree = result.get("agreement")
    if agree:
        lines += ["", "P(YES) of answer checks, cyllama vs native server (same Q4_K_M file):"]
        for c in agree["checks"]:
            lines.append(f"  {c['cyllama']:.3f}  {c['native']:.3f}  "
                         f"({'answers' if c['answers'] else 'does not'}) {c['question']}")
        diffs = [abs(c["cyllama"] - c["native"]) for c in agree["checks"]]
        lines.append(f"  largest difference {max(diffs):.3f}")
        own = [abs(c[k] - c[f"{k}_cached"]) for c in agree["checks"] for k in ("cyllama", "native")
               if f"{k}_cached" in c]
        if own:
            lines.append(f"  largest drift of one runtime asked again with the prompt cached: "
                         f"{max(own):.3f}")
        lines.append("Reader's first-token share of an answer over NONE (reading prompt):")
        for r in agree["reads"]:
            lines.append(f"  {r['cyllama']:.3f}  {r['native']:.3f}  "
                         f"{'same' if r['same_reply'] else 'different'} reply  {r['question']}")
        if "same_text_runs" in agree:
            lines.append(f"Same {result['generate']}-token text in {agree['same_text_runs']} of "
                         f"{result['runs']} floor runs.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.runtime_floor",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write every figure and run here")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    from assistant.llm import model_file
    from assistant.settings import Settings

    path = model_file.with_progress_bar(Settings().model_dir)
    if path is None:
        print(f"the reader model is not installed ({model_file.INSTALL})", file=sys.stderr)
        return 1

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    result = measure(path, args.runs, args.threads, log)
    print(format_table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
