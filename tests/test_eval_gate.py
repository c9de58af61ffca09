"""The regression gate: the real assistant on the real seeds must meet evals/thresholds.toml.

Runs the whole eval through the `eval` command (so the CLI, the harness and the public
`answer()` are exercised together) and fails with the list of missed thresholds. Uses the
session's prebuilt seed index (`built_index`) so the timed answers are not index builds.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from evals.cli import eval_command
from evals.gate import DEFAULT_THRESHOLDS, check, load_thresholds


def test_real_assistant_meets_the_thresholds(built_index, tmp_path):
    json_path, html_path = tmp_path / "eval.json", tmp_path / "eval.html"
    result = CliRunner().invoke(
        eval_command, ["--gate", "--json", str(json_path), "--html", str(html_path)]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["problems"] == []
    violations = check(data, load_thresholds(DEFAULT_THRESHOLDS))
    assert violations == [], "\n".join(violations) + "\n\n" + result.output
    assert result.exit_code == 0, result.output
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
