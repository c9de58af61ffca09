"""Three views of one Report: a compact terminal table, a JSON file, a self-contained HTML page.

All three come from `report_to_dict`, so the numbers a person reads in the HTML are the numbers
a script reads in the JSON. Several backends run on the same questions get the same three views
side by side (`comparison_to_dict`, `format_comparison`, `render_comparison_html`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .dataset import SPLITS
from .harness import Report
from .metrics import LOSS_STAGES, METRIC_NAMES, ItemResult
from .several import FACT_LOSS_KEYS

LATENCY_METRICS = ("p50_ms", "p95_ms")
COUNT_METRICS = ("facts_sentences",)  # means of counts, not rates: charted on their own scale
RATE_METRICS = tuple(m for m in METRIC_NAMES if m not in ("n", *LATENCY_METRICS, *COUNT_METRICS))
LOWER_IS_BETTER = frozenset({"false_refusal_rate", "p50_ms", "p95_ms"})
SCOPES = ("overall", "dev", "test")  # thresholds.toml sections that gate a whole group of items
# the rows of the backend comparison (retrieval is shared by every backend, so it is left out)
COMPARISON_METRICS = (
    "n", "evidence_recall", "reply_recall", "grounded_recall", "answer_accuracy", "citation_precision", "citation_recall", "refusal_precision",
    "refusal_recall", "false_refusal_rate", "quote_integrity", "facts_recall", "facts_full",
    "facts_citation_precision", "facts_sentences", "p50_ms", "p95_ms",
)


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    return value


def _metrics(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _round(values.get(name)) for name in METRIC_NAMES}


def item_to_dict(result: ItemResult) -> dict[str, Any]:
    """One item as it was asked, what was expected, what came back, and why it failed."""
    item, answer = result.item, result.answer
    got: dict[str, Any] | None = None
    if answer is not None:
        broken = set(result.broken_quotes)
        got = {
            "text": answer.text,
            "refused": answer.refused,
            "question": answer.question,
            "retrieved": list(answer.retrieved),
            "reply": answer.trace.reply,
            "stats": asdict(answer.stats),
            "citations": [
                {
                    "n": c.n, "article_id": c.article_id, "title": c.title, "quote": c.quote,
                    "start": c.start, "end": c.end, "score": _round(c.score),
                    "quote_intact": c.n not in broken,
                }
                for c in answer.citations
            ],
        }
    expected: dict[str, Any] = {"patterns": list(item.patterns), "articles": list(item.articles)}
    if item.facts:
        expected["facts"] = [{"pattern": f.pattern, "articles": list(f.articles)} for f in item.facts]
        expected["speaker"] = None if item.speaker is None else {
            "name": item.speaker.name, "pattern": item.speaker.pattern}
        expected["ordered"] = item.ordered
        expected["full"] = item.needed
    several: dict[str, Any] = {}
    if result.facts:
        several = {
            "facts": [
                {"pattern": f.pattern, "given": f.given, "stated": f.stated, "claim": f.claim,
                 "lost_at": f.lost_at}
                for f in result.facts
            ],
            "facts_recall": _round(result.facts_recall),
            "sentences": result.sentences,
            "in_order": result.in_order,
        }
    return {
        "id": item.id,
        "category": item.category,
        "split": item.split,
        "paraphrase_of": item.paraphrase_of,
        "source": item.source,
        "question": item.question,
        "history": [list(turn) for turn in item.history],
        "expected": expected,
        "got": got,
        "error": result.error,
        "latency_ms": None if result.latency_ms is None else round(result.latency_ms, 2),
        "rank": result.rank,
        "hit_at_5": result.hit_at_5,
        "correct": result.correct,
        "citation_precision": _round(result.citation_precision),
        "citation_checks": [
            {"n": c.n, "claim": c.claim, "precise": c.precise, "found": c.found, "note": c.note}
            for c in result.citation_checks
        ],
        "citation_recall_ok": result.citation_recall_ok,
        "stages": dict(result.stages),
        "lost_at": result.lost_at,
        "failed": result.failed,
        "reasons": list(result.reasons),
        **several,
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    items = [item_to_dict(r) for r in report.results]
    return {
        "backend": report.backend,
        "overall": _metrics(report.overall),
        **{name: _metrics(report.splits.get(name, {})) for name in SPLITS},
        "groups": {name: _metrics(values) for name, values in report.groups.items()},
        "categories": {name: _metrics(values) for name, values in report.categories.items()},
        "definitions": dict(report.definitions),
        "losses": {name: dict(counts) for name, counts in report.losses.items()},
        "fact_losses": {name: dict(counts) for name, counts in report.fact_losses.items()},
        "problems": list(report.problems),
        "failures": [i for i in items if i["failed"]],
        "items": items,
    }


def comparison_to_dict(reports: Mapping[str, Report]) -> dict[str, Any]:
    """Several backends on the same questions: each one's summary, then each one's full report."""
    runs = {name: report_to_dict(report) for name, report in reports.items()}
    summary_keys = ("overall", "dev", "test", "groups", "categories", "losses", "fact_losses")
    return {
        "backends": list(runs),
        "comparison": {name: {k: run[k] for k in summary_keys} for name, run in runs.items()},
        "definitions": next(iter(runs.values()))["definitions"] if runs else {},
        "runs": runs,
    }


def _dump(data: Mapping[str, Any], path: str | Path) -> None:
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_json(report: Report, path: str | Path) -> None:
    _dump(report_to_dict(report), path)


def write_comparison_json(reports: Mapping[str, Report], path: str | Path) -> None:
    _dump(comparison_to_dict(reports), path)


def _fmt(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name == "n":
        return str(value)
    if name in LATENCY_METRICS:
        return f"{value:.1f}"
    if name in COUNT_METRICS:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _groups(report: Report) -> list[tuple[str, Mapping[str, Any]]]:
    """The columns of a report: overall, the splits, the paraphrase groups, the categories."""
    return (
        [("overall", report.overall)]
        + list(report.splits.items())
        + list(report.groups.items())
        + list(report.categories.items())
    )


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in [header] + rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def _loss_lines(reports: Mapping[str, Report]) -> list[str]:
    """Where the answerable items were lost, per stage: one row per backend and split."""
    if not any(r.losses for r in reports.values()):
        return []
    header = ["lost at"] + [*LOSS_STAGES, "right"]
    rows = [
        [f"{name} {scope}" if len(reports) > 1 else scope]
        + [str(counts.get(stage, 0)) for stage in header[1:]]
        for name, report in reports.items()
        for scope, counts in report.losses.items()
    ]
    return ["", "where answerable items were lost (the first stage without the accepted answer)"] + _grid(
        header, rows
    )


def _fact_loss_lines(reports: Mapping[str, Report]) -> list[str]:
    """Where the facts of several items were lost, per stage: one row per backend and split."""
    if not any(r.fact_losses for r in reports.values()):
        return []
    header = ["facts lost at", *FACT_LOSS_KEYS]
    rows = [
        [f"{name} {scope}" if len(reports) > 1 else scope]
        + [str(counts.get(key, 0)) for key in FACT_LOSS_KEYS]
        for name, report in reports.items()
        for scope, counts in report.fact_losses.items()
    ]
    return ["", "where the facts of several-facts items were lost (the first stage without the fact; "
            "error: answer() raised)"] + _grid(header, rows)


def _failure_lines(report: Report, max_failures: int | None) -> list[str]:
    failures = report.failures
    label = f" ({report.backend})" if report.backend else ""
    lines = [f"failures{label}: {len(failures)} of {len(report.results)}"]
    shown = failures if max_failures is None else failures[:max_failures]
    for result in shown:
        why = "; ".join(result.reasons)
        line = f"  {result.item.id} [{result.item.category}, {result.item.split}] {why}"
        lines.append(line if len(line) <= 160 else line[:157] + "...")
    if len(shown) < len(failures):
        lines.append(f"  ... {len(failures) - len(shown)} more (see --json / --html)")
    return lines


def format_table(report: Report, max_failures: int | None = None) -> str:
    """Metrics as rows, groups as columns, then one line per failure (id, category, split, why).

    Columns: overall, dev, test, the paraphrases and the originals they reword (when the set
    has paraphrases), then each category (over both splits).
    """
    groups = _groups(report)
    header = ["metric"] + [name for name, _ in groups]
    rows = [[name] + [_fmt(name, values.get(name)) for _, values in groups] for name in METRIC_NAMES]
    lines = ([f"backend: {report.backend}"] if report.backend else []) + _grid(header, rows)
    lines += _loss_lines({report.backend or "": report})
    lines += _fact_loss_lines({report.backend or "": report})
    lines.append("")
    lines += _failure_lines(report, max_failures)
    if report.problems:
        lines.append(f"eval set problems: {len(report.problems)} (printed as warnings above)")
    return "\n".join(lines)


def _comparison_scopes(report: Report) -> list[tuple[str, str]]:
    """(key, label) of the blocks of the comparison table, test first: changes are judged on it."""
    scopes = [("test", "test"), ("dev", "dev"), ("overall", "all")]
    return scopes + [(name, name) for name in report.groups]


def _scope(report: Report, key: str) -> Mapping[str, Any]:
    if key == "overall":
        return report.overall
    return report.splits.get(key) or report.groups.get(key) or {}


def format_comparison(reports: Mapping[str, Report], max_failures: int | None = 12) -> str:
    """One column per backend; a block of rows per split (test, dev, all, paraphrases)."""
    names = list(reports)
    first = reports[names[0]]
    header = ["metric"] + names
    rows: list[list[str]] = []
    for key, label in _comparison_scopes(first):
        rows.append([f"{label}:"] + [""] * len(names))
        for metric in COMPARISON_METRICS:
            rows.append([f"  {metric}"] + [_fmt(metric, _scope(reports[n], key).get(metric)) for n in names])
    lines = _grid(header, rows)
    lines += _loss_lines(reports)
    lines += _fact_loss_lines(reports)
    for name in names:
        lines.append("")
        lines += _failure_lines(reports[name], max_failures)
    problems = first.problems
    if problems:
        lines.append(f"eval set problems: {len(problems)} (printed as warnings above)")
    return "\n".join(lines)


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d1d1f;max-width:1100px}
h1{font-size:1.5rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
.summary{color:#444} .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:1rem}
.chart{border:1px solid #e3e3e3;border-radius:6px;padding:.6rem .8rem}
.chart h3{font-size:.95rem;margin:.1rem 0 .5rem;font-family:ui-monospace,monospace}
.row{display:grid;grid-template-columns:95px 1fr 60px;align-items:center;gap:.4rem;font-size:.8rem;margin:2px 0}
.track{position:relative;background:#f1f1f1;height:14px;border-radius:3px}
.bar{height:14px;border-radius:3px;background:#4c8bf5} .bar.bad{background:#e5534b} .bar.none{background:none}
.tick{position:absolute;top:-3px;width:2px;height:20px;background:#222}
.val{text-align:right;font-family:ui-monospace,monospace}
.fail{border:1px solid #f0c4c1;background:#fffafa;border-radius:6px;padding:.7rem 1rem;margin:.8rem 0}
.fail h3{margin:.1rem 0 .4rem;font-size:1rem} .reasons{color:#b3261e;margin:.3rem 0}
.k{color:#666;font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;margin-top:.5rem}
.k .id{text-transform:none;letter-spacing:0}
.got{background:#f6f8fa;padding:.5rem;border-radius:4px;white-space:pre-wrap}
code{font-family:ui-monospace,monospace;background:#f1f1f1;padding:0 .25rem;border-radius:3px}
table.cites{border-collapse:collapse;width:100%;font-size:.85rem} table.cites td,table.cites th{border:1px solid #e3e3e3;padding:.3rem;vertical-align:top;text-align:left}
.ok{color:#1a7f37} .no{color:#b3261e} .exp{font-weight:bold;color:#1a7f37}
dl.defs dt{font-family:ui-monospace,monospace;font-weight:bold;margin-top:.6rem} dl.defs dd{margin-left:1rem}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _limit(thresholds: Mapping[str, Any] | None, group: str, metric: str) -> float | None:
    if not thresholds:
        return None
    if group in SCOPES:
        scope = thresholds.get(group, {})
    else:
        scope = thresholds.get("categories", {}).get(group, {})
    value = scope.get(metric) if isinstance(scope, Mapping) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _chart(metric: str, groups: list[tuple[str, Mapping[str, Any]]], definition: str,
           thresholds: Mapping[str, Any] | None) -> str:
    values = [v.get(metric) for _, v in groups]
    if metric in LATENCY_METRICS or metric in COUNT_METRICS:
        scale = max([v for v in values if v is not None] + [1e-9])
        limits = [_limit(thresholds, g, metric) for g, _ in groups]
        scale = max([scale] + [x for x in limits if x is not None])
    else:
        scale = 1.0
    rows = []
    for (group, _), value in zip(groups, values, strict=True):
        limit = _limit(thresholds, group, metric)
        bad = value is not None and limit is not None and (
            value > limit if metric in LOWER_IS_BETTER else value < limit
        )
        width = 0.0 if value is None else max(0.0, min(100.0, 100.0 * value / scale))
        tick = "" if limit is None else (
            f'<div class="tick" style="left:{min(100.0, 100.0 * limit / scale):.1f}%" '
            f'title="threshold {limit:g}"></div>'
        )
        cls = "bar none" if value is None else ("bar bad" if bad else "bar")
        rows.append(
            f'<div class="row"><span>{_e(group)}</span><div class="track">'
            f'<div class="{cls}" style="width:{width:.1f}%"></div>{tick}</div>'
            f'<span class="val">{_e(_fmt(metric, value))}</span></div>'
        )
    return f'<div class="chart" title="{_e(definition)}"><h3>{_e(metric)}</h3>{"".join(rows)}</div>'


def _failure(item: Mapping[str, Any], anchor: str = "") -> str:
    of = f', rewords {item["paraphrase_of"]}' if item.get("paraphrase_of") else ""
    parts = [f'<div class="fail" id="{_e(anchor + item["id"])}">',
             f'<h3>{_e(item["id"])} <small>[{_e(item["category"])}, {_e(item.get("split"))}{_e(of)}] {_e(item["source"])}</small></h3>',
             '<ul class="reasons">' + "".join(f"<li>{_e(r)}</li>" for r in item["reasons"])
             + (f"<li>lost at: {_e(item['lost_at'])}</li>" if item.get("lost_at") else "") + "</ul>"]
    if item["history"]:
        turns = "".join(f"<li><b>user:</b> {_e(u)}<br><b>assistant:</b> {_e(a)}</li>" for u, a in item["history"])
        parts.append(f'<div class="k">history</div><ol>{turns}</ol>')
    parts.append(f'<div class="k">question</div><div>{_e(item["question"])}</div>')
    expected = item["expected"]
    if expected.get("facts"):
        parts.append(_facts_html(item))
    elif expected["patterns"]:
        pats = " ".join(f"<code>{_e(p)}</code>" for p in expected["patterns"])
        parts.append(f'<div class="k">expected (all patterns; stated in <span class="id">{_e(", ".join(expected["articles"]))}</span>)</div><div>{pats}</div>')
    else:
        parts.append('<div class="k">expected</div><div>a refusal (the articles do not say)</div>')
    got = item["got"]
    if got is None:
        parts.append(f'<div class="k">got</div><div class="got no">error: {_e(item["error"])}</div>')
    else:
        standalone = "" if not got["question"] or got["question"] == item["question"] else f" (searched: <span class=\"id\">{_e(got['question'])}</span>)"
        parts.append(f'<div class="k">got{" — refused" if got["refused"] else ""}{standalone}</div><div class="got">{_e(got["text"])}</div>')
        wanted = set(expected["articles"])
        retrieved = ", ".join(
            f'<span class="exp">{_e(a)}</span>' if a in wanted else _e(a) for a in got["retrieved"]
        ) or "(nothing)"
        parts.append(f'<div class="k">retrieved (rank order; expected in bold green)</div><div>{retrieved}</div>')
        verdicts: dict[int, list[bool]] = {}
        for check in item["citation_checks"]:
            verdicts.setdefault(check["n"], []).append(check["precise"])
        if got["citations"]:
            rows = []
            for c in got["citations"]:
                precise = verdicts.get(c["n"])
                prec = "not cited in text" if precise is None else (
                    '<span class="ok">supports claim</span>' if all(precise) else '<span class="no">does not support claim</span>')
                intact = '<span class="ok">intact</span>' if c["quote_intact"] else '<span class="no">quote != text[start:end]</span>'
                rows.append(
                    f'<tr><td>[{_e(c["n"])}]</td><td>{_e(c["article_id"])}<br><small>{_e(c["start"])}–{_e(c["end"])}</small></td>'
                    f'<td>{_e(c["quote"])}</td><td>{prec}<br>{intact}</td></tr>'
                )
            parts.append('<div class="k">cited quotes</div><table class="cites"><tr><th>n</th><th>article</th><th>quote</th><th>verdict</th></tr>'
                         + "".join(rows) + "</table>")
        else:
            parts.append('<div class="k">cited quotes</div><div>(none)</div>')
    parts.append("</div>")
    return "".join(parts)


def _facts_html(item: Mapping[str, Any]) -> str:
    """A several item's facts: each pattern, its articles, and given or where it was lost."""
    expected = item["expected"]
    verdicts = {f["pattern"]: f for f in item.get("facts", [])}
    rows = []
    for fact in expected["facts"]:
        got = verdicts.get(fact["pattern"])
        if got is None:
            verdict = ""
        elif got["given"]:
            verdict = '<span class="ok">given</span>'
        else:
            lost = f" (lost at {got['lost_at']})" if got.get("lost_at") else ""
            stated = "; stated, but no cited quote states it" if got.get("stated") else ""
            verdict = f'<span class="no">not given{_e(lost)}{_e(stated)}</span>'
        rows.append(f'<tr><td><code>{_e(fact["pattern"])}</code></td><td>{_e(", ".join(fact["articles"]))}</td>'
                    f"<td>{verdict}</td></tr>")
    notes = [f"{expected['full']} of {len(expected['facts'])} facts make a full answer"]
    if expected.get("speaker"):
        notes.append(f"the words must be {expected['speaker']['name']}'s "
                     f"(<code>{_e(expected['speaker']['pattern'])}</code>)")
    if expected.get("ordered"):
        notes.append("in the order the events happened")
    head = f'<div class="k">expected facts ({"; ".join(notes)})</div>'
    return head + ('<table class="cites"><tr><th>pattern</th><th>stated in</th><th>verdict</th></tr>'
                   + "".join(rows) + "</table>")


def _data_groups(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    return (
        [("overall", data["overall"]), ("dev", data["dev"]), ("test", data["test"])]
        + list(data["groups"].items())
        + list(data["categories"].items())
    )


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1>{body}</body></html>\n"
    )


def _run_body(data: Mapping[str, Any], thresholds: Mapping[str, Any] | None, level: int = 2,
              anchor: str = "") -> str:
    """Charts and failures of one run; `anchor` prefixes the failures' ids (unique per page)."""
    h = f"h{level}"
    charts = "".join(
        _chart(m, _data_groups(data), data["definitions"].get(m, ""), thresholds)
        for m in RATE_METRICS + COUNT_METRICS + LATENCY_METRICS
    )
    failures = "".join(_failure(item, anchor) for item in data["failures"]) or "<p>None.</p>"
    return (
        f"<{h}>Metrics: overall, dev and test splits, paraphrases, categories</{h}>"
        f'<div class="charts">{charts}</div>'
        + _losses_html(data, h)
        + _fact_losses_html(data, h)
        + f"<{h}>Failures ({len(data['failures'])})</{h}>{failures}"
    )


def _losses_html(data: Mapping[str, Any], h: str) -> str:
    losses = data.get("losses") or {}
    if not losses:
        return ""
    head = "".join(f"<th>{_e(s)}</th>" for s in (*LOSS_STAGES, "right"))
    rows = "".join(
        f"<tr><td>{_e(scope)}</td>"
        + "".join(f'<td class="val">{_e(counts.get(s, 0))}</td>' for s in (*LOSS_STAGES, "right"))
        + "</tr>"
        for scope, counts in losses.items()
    )
    return (
        f"<{h}>Where answerable items were lost</{h}><p>The first stage of the answer path "
        "whose text no longer held every accepted pattern; decide: refused with the answer "
        "grounded; write: answered without it.</p>"
        f'<table class="cites"><tr><th>split</th>{head}</tr>{rows}</table>'
    )


def _fact_losses_html(data: Mapping[str, Any], h: str) -> str:
    losses = data.get("fact_losses") or {}
    if not losses:
        return ""
    head = "".join(f"<th>{_e(key)}</th>" for key in FACT_LOSS_KEYS)
    rows = "".join(
        f"<tr><td>{_e(scope)}</td>"
        + "".join(f'<td class="val">{_e(counts.get(key, 0))}</td>' for key in FACT_LOSS_KEYS)
        + "</tr>"
        for scope, counts in losses.items()
    )
    return (
        f"<{h}>Where the facts of several-facts items were lost</{h}><p>Each fact not given, at "
        "the first stage of the answer path whose text no longer held its pattern; decide: "
        "refused with the fact still held; write: answered without giving it; error: answer() "
        "raised.</p>"
        f'<table class="cites"><tr><th>split</th>{head}</tr>{rows}</table>'
    )


def _problems(data: Mapping[str, Any]) -> str:
    if not data["problems"]:
        return ""
    return "<h2>Eval set problems</h2><ul>" + "".join(f"<li>{_e(p)}</li>" for p in data["problems"]) + "</ul>"


def _definitions(definitions: Mapping[str, str]) -> str:
    defs = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in definitions.items())
    return f'<h2>Definitions</h2><dl class="defs">{defs}</dl>'


def _legend(thresholds: Mapping[str, Any] | None) -> str:
    return " Black ticks mark the gate thresholds; red bars are on the wrong side of them." if thresholds else ""


def render_html(report: Report, thresholds: Mapping[str, Any] | None = None) -> str:
    """A single page with inline CSS only: opens offline, mails as one file, runs no script."""
    data = report_to_dict(report)
    backend = f" Backend: {_e(data['backend'])}." if data["backend"] else ""
    summary = (
        f'<p class="summary">{data["overall"]["n"]} questions ({data["dev"]["n"]} dev, '
        f'{data["test"]["n"]} test), {len(data["failures"])} with at least one failure.{backend}'
        f" Rates are 0–1 (bar = full width at 1); latencies in ms.{_legend(thresholds)}"
        " Hover a chart for its definition.</p>"
    )
    body = summary + _problems(data) + _run_body(data, thresholds) + _definitions(data["definitions"])
    return _page("Assistant eval report", body)


def render_comparison_html(reports: Mapping[str, Report], thresholds: Mapping[str, Any] | None = None) -> str:
    """Backends side by side: one table with a column per backend, then each run in full."""
    data = comparison_to_dict(reports)
    names = data["backends"]
    first = data["runs"][names[0]]
    head = "".join(f"<th>{_e(n)}</th>" for n in names)
    rows = []
    scopes = [("test", "test"), ("dev", "dev"), ("overall", "all")] + [(g, g) for g in first["groups"]]
    for key, label in scopes:
        rows.append(f'<tr><th colspan="{len(names) + 1}" style="text-align:left">{_e(label)}</th></tr>')
        for metric in COMPARISON_METRICS:
            cells = []
            for n in names:
                run = data["runs"][n]
                values = run[key] if key in SCOPES else run["groups"].get(key, {})
                cells.append(f'<td class="val">{_e(_fmt(metric, values.get(metric)))}</td>')
            rows.append(f'<tr><td title="{_e(data["definitions"].get(metric, ""))}">{_e(metric)}</td>{"".join(cells)}</tr>')
    table = f'<table class="cites"><tr><th>metric</th>{head}</tr>{"".join(rows)}</table>'
    sections = "".join(
        f'<h2 id="{_e(n)}">Backend: {_e(n)}</h2>{_run_body(data["runs"][n], thresholds, 3, anchor=n + "-")}'
        for n in names
    )
    summary = (
        f'<p class="summary">{first["overall"]["n"]} questions ({first["dev"]["n"]} dev, '
        f'{first["test"]["n"]} test) through {len(names)} backends: {_e(", ".join(names))}. '
        f"Rates are 0–1; latencies in ms.{_legend(thresholds)}</p>"
    )
    body = summary + _problems(first) + f"<h2>Side by side</h2>{table}" + sections + _definitions(data["definitions"])
    return _page("Assistant eval: backends compared", body)


def write_html(report: Report, path: str | Path, thresholds: Mapping[str, Any] | None = None) -> None:
    Path(path).write_text(render_html(report, thresholds), encoding="utf-8")


def write_comparison_html(reports: Mapping[str, Report], path: str | Path,
                          thresholds: Mapping[str, Any] | None = None) -> None:
    Path(path).write_text(render_comparison_html(reports, thresholds), encoding="utf-8")
