"""The regression gate: the real assistant on the real seeds must meet evals/thresholds.toml.

Runs the whole eval through the `eval` command (so the CLI, the harness and the public
`answer()` are exercised together) and fails with the list of missed thresholds. Uses the
session's prebuilt seed index (`built_index`) so the timed answers are not index builds.
The backend is pinned to extractive: the thresholds are its measurements, and the default
backend (a local LLM) is far too slow for the test suite.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from evals.cli import eval_command
from evals.gate import DEFAULT_THRESHOLDS, check, load_thresholds


def test_real_assistant_meets_the_thresholds_on_dev_and_test(built_index, tmp_path):
    json_path, html_path = tmp_path / "eval.json", tmp_path / "eval.html"
    result = CliRunner().invoke(
        eval_command,
        ["--backend", "extractive", "--gate", "--json", str(json_path), "--html", str(html_path)],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["problems"] == []
    assert data["backend"] == "extractive"
    thresholds = load_thresholds(DEFAULT_THRESHOLDS)
    assert {"dev", "test"} <= set(thresholds)  # the gate judges both splits
    assert data["dev"]["n"] > 0 and data["test"]["n"] > 0
    assert data["dev"]["n"] + data["test"]["n"] == data["overall"]["n"]
    violations = check(data, thresholds)
    assert violations == [], "\n".join(violations) + "\n\n" + result.output
    assert result.exit_code == 0, result.output
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
