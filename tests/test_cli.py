import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from assistant.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def test_index_reports_counts_and_skips_unchanged(isolated):
    runner = CliRunner()
    first = runner.invoke(cli, ["index"])
    assert first.exit_code == 0, first.output
    assert "5 added, 0 updated, 0 removed, 0 unchanged" in first.output
    second = runner.invoke(cli, ["index"])
    assert "0 added, 0 updated, 0 removed, 5 unchanged" in second.output


def test_index_warns_about_bad_files_and_indexes_the_rest(isolated):
    (isolated["corpus"] / "broken.txt").write_bytes(b"\xff\xfe\x00\x01")
    result = CliRunner().invoke(cli, ["index"])
    assert result.exit_code == 0
    assert "warning: skipped broken.txt" in result.output
    assert "5 added" in result.output


def test_index_of_a_missing_corpus_is_a_clean_error(isolated, tmp_path):
    result = CliRunner().invoke(cli, ["index", "--corpus", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_ask_prints_the_answer_and_numbered_sources(built_index):
    result = CliRunner().invoke(cli, ["ask", "Who did Trump send to Moscow to meet Putin?"])
    assert result.exit_code == 0, result.output
    assert "Witkoff" in result.output and "Kushner" in result.output
    assert "Sources:" in result.output and "[1] " in result.output


def test_ask_json_prints_the_answer_object(built_index):
    result = CliRunner().invoke(cli, ["ask", "--json", "What share of the Donbas region do Russian forces control?"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["refused"] is False and "85%" in data["text"]
    assert data["citations"][0]["n"] == 1


def test_ask_with_an_empty_question_exits_2_without_traceback(built_index):
    result = CliRunner().invoke(cli, ["ask", "   "])
    assert result.exit_code == 2
    assert "question is empty" in result.output
    assert "Traceback" not in result.output


def test_console_script_answers_the_done_when_question(built_index):
    env = {**os.environ}
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "Who did Trump send to Moscow to meet Putin?"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Witkoff" in proc.stdout and "Kushner" in proc.stdout
    assert proc.stderr.strip() == ""


def test_bad_setting_is_a_clean_error(isolated, monkeypatch):
    monkeypatch.setenv("ASSISTANT_MAX_CITATIONS", "lots")
    result = CliRunner().invoke(cli, ["ask", "Who met Putin?"])
    assert result.exit_code == 2
    assert "ASSISTANT_MAX_CITATIONS" in result.output


def test_ask_loads_none_of_the_front_ends_evals_or_benchmarks():
    """The commands of other layers are loaded by name when called, so `assistant ask` pays
    for none of them (gradio alone takes seconds to import)."""
    script = (
        "import sys\n"
        "from assistant.cli import cli\n"
        "try:\n"
        "    cli(['ask', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(loaded & {'evals', 'benchmarks', 'ui', 'gradio'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
    listed = subprocess.run([sys.executable, "-m", "assistant", "--help"], capture_output=True,
                            text=True, cwd=ROOT)
    assert all(name in listed.stdout for name in ("eval", "bench", "chat", "ask"))
