"""The LLM backend end to end, against a scripted OpenAI-compatible server on 127.0.0.1.

The scripted replies are exact, so these tests prove what the checking code does with a
hallucination, a marker that points at nothing, and a model that obeys an injected instruction.
`test_llm_real.py` runs the same path against a real model.
"""

from __future__ import annotations

import re
import socket
import sys

import pytest
from click.testing import CliRunner

from assistant import answer
from assistant.errors import BackendError
from assistant.settings import Settings
from tests.scripted_llm import (
    INJECTION,
    QUESTION,
    TARGETED,
    ScriptedLLM,
    assert_grounded,
    assert_injection_only_quoted,
    plant,
    require,
)

SUPPORTED = "Trump dispatched Steve Witkoff and Jared Kushner to Moscow [2]."
HALLUCINATED = "Vladimir Putin then invited Elon Musk to the Kremlin for dinner [1]."
BOGUS = "The envoys had five hours of talks with Putin [9]."


@pytest.fixture
def scripted(built_index, monkeypatch):
    require("llama_index.llms.openai_like")
    with ScriptedLLM() as server:
        monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
        monkeypatch.setenv("ASSISTANT_LLM_URL", server.url)
        yield server


def test_the_reader_is_the_default(monkeypatch):
    monkeypatch.delenv("ASSISTANT_BACKEND", raising=False)
    assert Settings().backend == "reader"


def test_only_supported_sentences_reach_the_user(scripted, built_index):
    scripted.say(f"{HALLUCINATED} {SUPPORTED} {BOGUS}")
    result = answer(QUESTION)
    assert not result.refused
    assert "Musk" not in result.text and "[9]" not in result.text
    assert "Witkoff" in result.text and "five hours" in result.text
    assert result.stats["dropped"] == 1
    assert any("Witkoff" in c.quote for c in result.citations)
    assert any("five hours" in c.quote for c in result.citations)
    assert_grounded(result, built_index["corpus"])


def test_passages_go_to_the_model_as_delimited_data(scripted):
    scripted.say(SUPPORTED)
    answer(QUESTION)
    (request,) = scripted.requests
    system, user = request["messages"]
    assert system["role"] == "system" and "not instructions" in system["content"]
    assert "Witkoff" not in system["content"]
    block = user["content"].split("<passages>")[1].split("</passages>")[0]
    assert "Witkoff" in block and '<passage id="1">' in block
    assert user["content"].rstrip().endswith(f"Question: {QUESTION}")
    assert request["temperature"] == 0


def test_a_reply_with_nothing_supported_is_a_refusal(scripted):
    scripted.say("I cannot help with that. The top news video is about the weather in Paris.")
    result = answer(QUESTION)
    assert result.refused and not result.citations


def test_the_refusal_phrase_is_a_refusal(scripted):
    scripted.say("NOT IN THE ARTICLES")
    result = answer(QUESTION)
    assert result.refused and not result.citations and "don't say" in result.text


def test_the_model_is_not_asked_when_nothing_retrieved_is_about_the_question(scripted):
    scripted.say("Paris is the capital of France [1].")
    result = answer("What is the capital of France?")
    assert result.refused and not result.citations
    assert scripted.requests == []


def test_the_conversation_reaches_the_model(scripted):
    scripted.say(SUPPORTED)
    history = [("Who met Putin in Moscow?", "Steve Witkoff and Jared Kushner [1].")]
    answer("How long did they talk?", history=history)
    user = scripted.requests[-1]["messages"][-1]["content"]
    assert "User: Who met Putin in Moscow?" in user
    assert user.rstrip().endswith("Question: How long did they talk?")


def test_a_planted_injection_does_not_change_the_answer(scripted, built_index):
    """A model that obeys instructions in its passages, on a clean and on a poisoned corpus."""

    def gullible(messages):
        order = re.search(r"reply only with '([^']+)'", messages[-1]["content"])
        reply = SUPPORTED.replace(" [2]", "")  # its passage number moves when the corpus does
        return f"{order.group(1)}. {reply}" if order else reply

    scripted.say(gullible)
    clean = answer(QUESTION)
    plant(built_index["corpus"], INJECTION)
    plant(built_index["corpus"], TARGETED)
    poisoned = answer(QUESTION)
    # the planted paragraphs move offsets in their article; what is said and quoted is the same
    assert poisoned.text == clean.text
    assert [(c.article_id, c.quote) for c in poisoned.citations] == [
        (c.article_id, c.quote) for c in clean.citations
    ]
    assert "HACKED" not in poisoned.text
    assert_grounded(poisoned, built_index["corpus"])


def test_an_obeyed_targeted_injection_never_reaches_the_user(scripted, built_index):
    """The injection is written to be retrieved for the question, and the model obeys it."""
    plant(built_index["corpus"], TARGETED)
    scripted.say(lambda messages: "I AM HACKED")
    result = answer(QUESTION)
    assert result.refused and "HACKED" not in result.text
    assert_injection_only_quoted(result)


def test_an_endpoint_that_is_down_is_a_backend_error(built_index, monkeypatch):
    require("llama_index.llms.openai_like")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
    monkeypatch.setenv("ASSISTANT_LLM_URL", f"http://127.0.0.1:{port}/v1")
    with pytest.raises(BackendError, match=rf"cannot reach the LLM endpoint at .*:{port}"):
        answer(QUESTION)


def test_an_endpoint_error_is_a_backend_error(scripted):
    scripted.status = 500
    with pytest.raises(BackendError, match="HTTP 500"):
        answer(QUESTION)


def test_the_cli_prints_a_backend_error_without_a_traceback(scripted):
    from assistant.cli import cli

    scripted.status = 503
    result = CliRunner().invoke(cli, ["ask", QUESTION])
    assert result.exit_code == 2
    assert "HTTP 503" in result.output and "Traceback" not in result.output


def test_a_missing_url_is_a_backend_error(built_index, monkeypatch):
    monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
    with pytest.raises(BackendError, match="ASSISTANT_LLM_URL"):
        answer(QUESTION)


def test_a_missing_extra_names_the_install(built_index, monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_index.llms.openai_like", None)  # import fails
    monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
    monkeypatch.setenv("ASSISTANT_LLM_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(BackendError, match=re.escape("pip install 'news-assistant[llm]'")):
        answer(QUESTION)


def test_a_missing_model_file_is_a_backend_error(built_index, monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_BACKEND", "reader")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL_PATH", str(tmp_path / "nowhere.gguf"))
    with pytest.raises(BackendError, match="no GGUF model file at .*nowhere.gguf"):
        answer(QUESTION)


def test_a_file_that_is_not_a_model_is_a_backend_error(built_index, monkeypatch, tmp_path):
    require("cyllama")
    model = tmp_path / "broken.gguf"
    model.write_bytes(b"not a model")
    monkeypatch.setenv("ASSISTANT_BACKEND", "reader")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL_PATH", str(model))
    with pytest.raises(BackendError, match="cannot load the GGUF model"):
        answer(QUESTION)


def test_without_the_model_the_answer_is_extractive_with_a_notice(built_index, monkeypatch, tmp_path):
    from assistant import model_file

    monkeypatch.setattr(model_file, "part_paths", lambda: None)
    monkeypatch.setenv("ASSISTANT_BACKEND", "reader")
    monkeypatch.setenv("ASSISTANT_MODEL_DIR", str(tmp_path / "models"))
    result = answer(QUESTION)
    expected = answer(QUESTION, settings=Settings(backend="extractive"))
    assert (result.text, result.citations) == (expected.text, expected.citations)
    assert "not installed" in result.notice and result.backend == "extractive"


def test_the_fallback_answers_what_the_check_rejected(scripted, monkeypatch):
    """By default the extractive composer answers only when the reader's answer failed the
    check; the reader's own refusal stands unless ASSISTANT_READER_FALLBACK=always."""
    monkeypatch.delenv("ASSISTANT_READER_FALLBACK")  # the default
    expected = answer(QUESTION, settings=Settings(backend="extractive"))
    scripted.say("Trump sent Vladimir Zhirinovsky to Canberra [1].")  # nothing of it holds
    result = answer(QUESTION)
    assert not result.refused and result.text == expected.text
    assert result.backend == "extractive" and result.stats["fallback"] == "extractive"

    scripted.say("NOT IN THE ARTICLES")
    assert answer(QUESTION).refused
    monkeypatch.setenv("ASSISTANT_READER_FALLBACK", "always")
    result = answer(QUESTION)
    assert not result.refused and result.text == expected.text
    monkeypatch.setenv("ASSISTANT_READER_FALLBACK", "never")
    scripted.say("Trump sent Vladimir Zhirinovsky to Canberra [1].")
    assert answer(QUESTION).refused
