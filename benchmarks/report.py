"""The goals of issues 6 and 15, judged on the figures of one run, and the printed table."""

from __future__ import annotations

ROWS = (
    "articles",
    "chunks",
    "index_s",
    "index_chunks_per_s",
    "index_articles_per_s",
    "embedded_tokens",
    "index_tokens_per_s",
    "tokens_cut_share",
    "raw_embed_chunks_per_s",
    "noop_reindex_s",
    "retriever_load_s",
    "answer_p50_ms",
    "answer_p95_ms",
    "floor_p50_ms",
    "floor_p95_ms",
    "hit_at_5",
    "rss_after_index_mb",
    "peak_rss_mb",
    "index_disk_mb",
    "cold_start_s",
    "help_s",
)

# The reader beside the naive llama-index pipeline with the same model (benchmarks/reader_bench.py).
READER_ROWS = (
    "first_token_p50_s",
    "first_token_p95_s",
    "answer_p50_s",
    "answer_p95_s",
    "prompt_tokens_p50",
    "prompt_tokens_computed_p50",
    "generated_tokens_p50",
    "prefill_tokens_per_s",
    "generation_tokens_per_s",
    "model_calls",
    "correct",
    "accuracy",
)
READER_TARGET = (
    "reader answer >= 3x faster than the naive llama-index pipeline with the same model, "
    "at higher accuracy"
)
SHORT = {"reader_vs_naive": "reader answer 3x faster than naive, more accurate"}  # the table's


def goals(r: dict) -> dict:
    """Each goal: what it asks, the measured value, and whether it holds in this run."""
    naive = r["naive"]

    def goal(target: str, value, met: bool) -> dict:
        return {"target": target, "value": value, "met": bool(met)}

    out = {
        "answer_vs_floor": goal(
            "answer_p50_ms <= 3x floor_p50_ms",
            _ratio(r["answer_p50_ms"], r["floor_p50_ms"]),
            r["answer_p50_ms"] <= 3 * r["floor_p50_ms"],
        ),
        "index_vs_raw_embed": goal(
            "index_chunks_per_s >= 0.8x raw_embed_chunks_per_s",
            _ratio(r["index_chunks_per_s"], r["raw_embed_chunks_per_s"]),
            r["index_chunks_per_s"] >= 0.8 * r["raw_embed_chunks_per_s"],
        ),
        "noop_reindex": goal("noop_reindex_s <= 2", r["noop_reindex_s"], r["noop_reindex_s"] <= 2),
        "peak_rss": goal("peak_rss_mb <= 1500", r["peak_rss_mb"], r["peak_rss_mb"] <= 1500),
        "index_vs_naive": goal(
            "index_s < naive index_s (same articles)",
            _ratio(r["index_s"], naive["index_s"]),
            r["index_s"] < naive["index_s"],
        ),
        "answer_vs_naive": goal(
            "answer_p50_ms < naive answer_p50_ms",
            _ratio(r["answer_p50_ms"], naive["answer_p50_ms"]),
            r["answer_p50_ms"] < naive["answer_p50_ms"],
        ),
        "help": goal("help_s < 0.5", r["help_s"], r["help_s"] < 0.5),
    }
    reader, naive_reader = r.get("reader"), r.get("naive_reader")
    if reader and naive_reader:  # not when the reader part was skipped
        speedup = _ratio(naive_reader["answer_p50_s"], reader["answer_p50_s"])
        out["reader_vs_naive"] = goal(
            READER_TARGET,
            speedup,
            speedup is not None
            and speedup >= 3
            and (reader["accuracy"] or 0) > (naive_reader["accuracy"] or 0),
        )
    return out


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(r: dict) -> str:
    naive = r["naive"]
    lines = [f"{'figure':<24}{'assistant':>14}{'naive':>14}"]
    for name in ROWS:
        lines.append(f"{name:<24}{_cell(r.get(name)):>14}{_cell(naive.get(name)):>14}")
    lines += ["", *_reader_lines(r)]
    lines += ["", f"{'goal':<52}{'value':>8}  met"]
    for key, g in r["goals"].items():
        value = g["value"]
        shown = _cell(value) + ("x" if "x " in g["target"] or "naive" in g["target"] else "")
        target = SHORT.get(key, g["target"])
        lines.append(f"{target:<52}{shown:>8}  {'yes' if g['met'] else 'NO'}")
    return "\n".join(lines)


def _reader_lines(r: dict) -> list[str]:
    reader, naive = r.get("reader"), r.get("naive_reader")
    if not reader or not naive:
        return [f"reader: {r.get('reader_note') or 'not measured'}"]
    model = r.get("reader_model") or {}
    lines = [
        f"{'reader (' + str(reader['questions']) + ' questions)':<28}{'reader':>10}"
        f"{'naive':>14}   same model: {model.get('file', '?')} on {model.get('runtime', 'cyllama')}"
    ]
    for name in READER_ROWS:
        lines.append(f"{name:<28}{_cell(reader.get(name)):>10}{_cell(naive.get(name)):>14}")
    return lines
