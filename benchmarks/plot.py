"""Latency and indexing speed against corpus size, from several `assistant bench --json` files.

    python -m benchmarks.plot seeds.json b500.json full.json -o docs/bench.svg

A plain SVG written by hand, so the plot needs no plotting library.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from xml.sax.saxutils import escape

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 380, 270, 56, 16, 34, 46
SERIES = (  # (label, figure, where it lives, colour)
    ("assistant answer p50", "answer_p50_ms", "self", "#1f77b4"),
    ("embed + search floor p50", "floor_p50_ms", "self", "#7f7f7f"),
    ("naive retrieve p50", "answer_p50_ms", "naive", "#d62728"),
    ("assistant", "index_articles_per_s", "self", "#1f77b4"),
    ("naive", "index_articles_per_s", "naive", "#d62728"),
)
PANELS = (("answer latency (ms)", SERIES[:3]), ("indexing speed (articles/s)", SERIES[3:]))


def _value(run: dict, figure: str, where: str) -> float | None:
    source = run if where == "self" else run.get(where, {})
    value = source.get(figure)
    return float(value) if isinstance(value, (int, float)) else None


def _panel(runs: list[dict], title: str, series, x0: int) -> list[str]:
    inner_w, inner_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    values = [v for _, f, w, _ in series for r in runs if (v := _value(r, f, w)) is not None]
    step = _step(max(values or [1.0]) * 1.45 / 4)  # headroom above the lines for the legend
    top = step * 4
    xs = [x0 + PAD_L + (i + 0.5) * inner_w / len(runs) for i in range(len(runs))]

    def y(v: float) -> float:
        return PAD_T + inner_h * (1 - v / top)

    out = [f'<text x="{x0 + W / 2}" y="20" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
           f'<line x1="{x0 + PAD_L}" y1="{PAD_T + inner_h}" x2="{x0 + W - PAD_R}" y2="{PAD_T + inner_h}" stroke="#000"/>',
           f'<line x1="{x0 + PAD_L}" y1="{PAD_T}" x2="{x0 + PAD_L}" y2="{PAD_T + inner_h}" stroke="#000"/>']
    for k in range(5):
        v = top * k / 4
        out.append(f'<text x="{x0 + PAD_L - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
        out.append(f'<line x1="{x0 + PAD_L}" y1="{y(v):.1f}" x2="{x0 + W - PAD_R}" y2="{y(v):.1f}" stroke="#eee"/>')
    for x, run in zip(xs, runs):
        label = f"{run.get('articles', '?'):,} articles"
        out.append(f'<text x="{x:.1f}" y="{PAD_T + inner_h + 18}" text-anchor="middle">{label}</text>')
    for i, (name, figure, where, colour) in enumerate(series):
        points = [(x, _value(r, figure, where)) for x, r in zip(xs, runs)]
        points = [(x, v) for x, v in points if v is not None]
        path = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>' for x, v in points]
        ly = PAD_T + 8 + 14 * i
        out.append(f'<rect x="{x0 + PAD_L + 8}" y="{ly - 4}" width="12" height="3" fill="{colour}"/>')
        out.append(f'<text x="{x0 + PAD_L + 24}" y="{ly}">{escape(name)}</text>')
    return out


def _step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least raw."""
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def render(runs: list[dict]) -> str:
    runs = sorted(runs, key=lambda r: r.get("articles", 0))
    body = []
    for i, (title, series) in enumerate(PANELS):
        body += _panel(runs, title, series, i * W)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H}" '
            f'font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="#fff"/>\n'
            + "\n".join(body) + "\n</svg>\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="JSON files written by assistant bench --json")
    parser.add_argument("-o", "--out", type=Path, default=Path("bench.svg"))
    args = parser.parse_args()
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in args.runs]
    args.out.write_text(render(runs), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
