"""The evidence-budget benchmark runs end to end on the seeds: it broke once unnoticed (a
changed call inside it), and nothing else runs it. The model it times is a stand-in here; what
is measured, the facts the evidence holds, is the real retrieval's."""

from __future__ import annotations

import json
from types import SimpleNamespace

from benchmarks import evidence_budget


class Tokens:
    """Counts words as tokens and "prefills" at once: enough for the bench's arithmetic."""

    last = SimpleNamespace(prompt_tokens=300)

    def render(self, messages):
        return "\n".join(m["content"] for m in messages)

    def count_tokens(self, text):
        return len(text.split())

    def stream(self, messages, max_tokens):
        yield ""


def test_the_bench_measures_facts_in_the_evidence_of_several_facts_questions(
    built_index, monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(evidence_budget, "load_model", lambda settings: Tokens())
    out = tmp_path / "budget.json"
    assert evidence_budget.main(["--category", "several", "--split", "dev", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    rows = {(r["units"], r["window"], r["budget"], r["diversity"]): r for r in result["rows"]}
    assert result["items"] >= 15 and len(rows) == len(evidence_budget.SEVERAL_GRID)
    default = rows[(10, 1, 750, 0.3)]  # Settings' facts evidence
    smallest = rows[(5, 1, 450, 0)]
    # the evidence of today's default holds most facts, and more than the single-fact budget
    assert default["facts_recall"] > 0.6 and default["facts_recall"] > smallest["facts_recall"]
    assert default["prompt_tokens_p50"] > smallest["prompt_tokens_p50"]
    assert "units 10 window 1 budget  750 diversity 0.3" in capsys.readouterr().out
