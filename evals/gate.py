"""The regression gate: compare a report with the thresholds committed in the repo.

Thresholds are floors for quality metrics and ceilings for the lower-is-better ones (latency,
false refusals), in sections `[dev]` and `[test]` (each split's items), `[overall]` (all items)
and `[categories.NAME]` (a category's items, both splits). A threshold naming an unknown section,
metric or category, or a metric the run could not measure, is itself a violation: a typo in the
file must not silently switch the gate off.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .dataset import CATEGORIES
from .metrics import METRIC_NAMES
from .report import LOWER_IS_BETTER, SCOPES

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")


def load_thresholds(path: str | Path = DEFAULT_THRESHOLDS) -> dict[str, Any]:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def _groups(report: Any) -> tuple[dict[str, Mapping[str, Any] | None], Mapping[str, Mapping[str, Any]]]:
    """Accept a Report or its JSON dict, so a saved report can be gated later."""
    if isinstance(report, Mapping):
        return {scope: report.get(scope) for scope in SCOPES}, report.get("categories", {})
    scopes = {"overall": report.overall, **{name: report.splits.get(name) for name in SCOPES[1:]}}
    return scopes, report.categories


def _check_scope(scope: str, limits: Any, values: Mapping[str, Any] | None) -> list[str]:
    if not isinstance(limits, Mapping):
        return [f"{scope}: expected a table of metric = number"]
    violations: list[str] = []
    for metric, limit in limits.items():
        name = f"{scope}.{metric}"
        if metric not in METRIC_NAMES:
            violations.append(f"{name}: unknown metric (expected one of {', '.join(METRIC_NAMES)})")
            continue
        if isinstance(limit, bool) or not isinstance(limit, (int, float)):
            violations.append(f"{name}: threshold must be a number, got {limit!r}")
            continue
        value = None if values is None else values.get(metric)
        if value is None:
            violations.append(f"{name}: not measured in this run (threshold {limit:g})")
        elif metric in LOWER_IS_BETTER and value > limit:
            violations.append(f"{name} = {value:.4g} is above the maximum {limit:g}")
        elif metric not in LOWER_IS_BETTER and value < limit:
            violations.append(f"{name} = {value:.4g} is below the minimum {limit:g}")
    return violations


def check(report: Any, thresholds: Mapping[str, Any]) -> list[str]:
    """Every way the report falls short of the thresholds; empty when the gate passes."""
    scopes, categories = _groups(report)
    violations: list[str] = []
    for key in thresholds:
        if key not in (*SCOPES, "categories"):
            violations.append(
                f"{key}: unknown section (expected [overall], [dev], [test] or [categories.NAME])"
            )
    for scope in SCOPES:
        if scope in thresholds:
            violations += _check_scope(scope, thresholds[scope], scopes.get(scope))
    per_category = thresholds.get("categories", {})
    if not isinstance(per_category, Mapping):
        return violations + ["categories: expected [categories.NAME] tables"]
    for category, limits in per_category.items():
        if category not in CATEGORIES:
            violations.append(
                f"categories.{category}: unknown category (expected one of {', '.join(CATEGORIES)})"
            )
            continue
        violations += _check_scope(f"categories.{category}", limits, categories.get(category))
    return violations


def check_runs(reports: Mapping[str, Any], thresholds: Mapping[str, Any]) -> list[str]:
    """`check` for several backends' reports (name -> Report or its JSON dict, or a saved
    comparison with its "runs"); each violation starts with the backend's name."""
    runs = reports.get("runs", reports) if isinstance(reports, Mapping) else reports
    return [f"{name}: {v}" for name, report in runs.items() for v in check(report, thresholds)]
