"""The goals of issue 6, judged on the figures of one run, and the printed table."""

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


def goals(r: dict) -> dict:
    """Each goal: what it asks, the measured value, and whether it holds in this run."""
    naive = r["naive"]

    def goal(target: str, value, met: bool) -> dict:
        return {"target": target, "value": value, "met": bool(met)}

    return {
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
    lines += ["", f"{'goal':<52}{'value':>8}  met"]
    for g in r["goals"].values():
        value = g["value"]
        shown = _cell(value) + ("x" if "x " in g["target"] or "naive" in g["target"] else "")
        lines.append(f"{g['target']:<52}{shown:>8}  {'yes' if g['met'] else 'NO'}")
    return "\n".join(lines)
