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

NAMES = "Steve Witkoff and Jared Kushner"


def line_of(content: str, phrase: str) -> int | None:
    """The number of the shown sentence that holds `phrase`, as the model would point at it."""
    for n, text in re.findall(r"^\[(\d+)\] (.*)$", content, re.M):
        if phrase.lower() in text.lower():
            return int(n)
    return None


def model(answers: dict[str, str | None] | None = None, *, verify: str = "YES", condensed=None):
    """A scripted model that copies: for a question holding a key of `answers`, it points at
    the sentence holding that phrase (None: it replies NONE). It answers the yes/no check with
    `verify`, and a follow-up's rewrite with `condensed`."""
    answers = {"Trump": NAMES} if answers is None else answers

    def reply(messages):
        content = messages[-1]["content"]
        if content.startswith("Text:"):
            return verify
        if "standalone question" in content:
            return condensed or ""
        question = content.rsplit("Question:", 1)[-1]
        phrase = next((a for q, a in answers.items() if q in question), None)
        if phrase is None:
            return "NONE"
        return f"SENTENCE: {line_of(content, phrase) or 1}\nANSWER: {phrase}"

    return reply


@pytest.fixture
def scripted(built_index, monkeypatch):
    require("llama_index.llms.openai_like")
    with ScriptedLLM() as server:
        monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
        monkeypatch.setenv("ASSISTANT_LLM_URL", server.url)
        # only the model reads: the composer's pick is no candidate in these tests
        monkeypatch.setenv("ASSISTANT_COMPOSER_CANDIDATE", "0")
        yield server


def reads(server) -> list[dict]:
    """The requests that asked the model to read the evidence (not to check or condense)."""
    return [r for r in server.requests if r["messages"][0]["role"] == "system"]


def test_the_reader_is_the_default(monkeypatch):
    monkeypatch.delenv("ASSISTANT_BACKEND", raising=False)
    assert Settings().backend == "reader"


def test_a_copied_phrase_is_the_answer_and_its_sentence_the_citation(scripted, built_index):
    scripted.say(model())
    result = answer(QUESTION)
    assert not result.refused
    # the article's own words (the span the phrase was found in), its sentence quoted, the marker
    span, quoted = re.fullmatch(r"(.+): “(.+)” \[1\]", result.text).groups()
    assert re.fullmatch(r"Steve Witkoff and (\S+ )*Jared Kushner", span)
    (citation,) = result.citations
    assert quoted == citation.quote and span in citation.quote
    assert_grounded(result, built_index["corpus"])


def test_the_phrase_form_gives_the_span_alone(scripted, monkeypatch):
    monkeypatch.setenv("ASSISTANT_ANSWER_FORM", "phrase")
    scripted.say(model())
    result = answer(QUESTION)
    assert re.fullmatch(r"Steve Witkoff and (\S+ )*Jared Kushner \[1\]", result.text)
    assert result.text.removesuffix(" [1]") in result.citations[0].quote


def test_a_phrase_pointed_at_the_wrong_sentence_cites_the_sentence_that_holds_it(scripted, built_index):
    def wrong_pointer(messages):
        right = model()(messages)
        if right.startswith("SENTENCE:"):
            n = line_of(messages[-1]["content"], NAMES)
            return right.replace(f"SENTENCE: {n}", f"SENTENCE: {1 if n != 1 else 2}")
        return right

    scripted.say(wrong_pointer)
    result = answer(QUESTION)
    assert not result.refused and "Witkoff" in result.text
    assert "Witkoff" in result.citations[0].quote
    assert_grounded(result, built_index["corpus"])


@pytest.mark.parametrize(
    "phrase",
    [
        "two American envoys close to the president",  # a paraphrase: no sentence says it
        "Elon Musk and Peter Thiel",  # made up
    ],
)
def test_a_phrase_no_shown_sentence_holds_is_no_answer(scripted, phrase):
    scripted.say(model({"Trump": phrase}))
    result = answer(QUESTION)
    assert result.refused and not result.citations
    assert "Musk" not in result.text and "envoys close" not in result.text


def test_a_phrase_from_an_article_that_was_not_shown_is_no_answer(scripted, built_index):
    """True in the corpus, but not in the evidence the model was given: never cited."""
    from index.corpus import load_corpus

    sentences = [
        s.strip()
        for a in load_corpus(built_index["corpus"])[0]
        for s in re.split(r"(?<=[.!?])\s+", a.text)
        if 40 < len(s.strip()) < 160
    ]

    def from_elsewhere(messages):
        content = messages[-1]["content"]
        if content.startswith("Text:"):
            return "YES"
        unseen = next(s for s in sentences if s[:30] not in content)
        return f"SENTENCE: 99\nANSWER: {unseen}"

    scripted.say(from_elsewhere)
    result = answer(QUESTION)
    assert result.refused and not result.citations


def test_none_is_a_refusal(scripted):
    scripted.say(model({}))
    result = answer(QUESTION)
    assert result.refused and not result.citations and "don't say" in result.text


def test_a_grounded_phrase_the_check_rejects_is_not_an_answer(scripted):
    scripted.say(model(verify="NO"))
    result = answer(QUESTION)
    assert result.refused and not result.citations


def test_a_multi_part_question_says_which_part_the_articles_do_not_answer(scripted, built_index):
    scripted.say(model({"Trump": NAMES, "capital": None}))
    result = answer(f"{QUESTION[:-1]}, and what is the capital of Australia?")
    assert not result.refused
    said, missing = result.text.splitlines()
    assert "Witkoff" in said and said.endswith("[1]")
    assert missing.startswith("The articles don't say") and "capital of Australia" in missing
    assert len(reads(scripted)) == 2  # each part read on its own
    assert_grounded(result, built_index["corpus"])


def test_the_reply_form_is_the_only_form_read(scripted):
    """Free prose, even true and with a marker, is not parsed for an answer."""
    scripted.say(f"Trump dispatched {NAMES} to Moscow [1].")
    result = answer(QUESTION)
    assert result.refused and not result.citations


def test_sentences_go_to_the_model_numbered_as_data(scripted):
    scripted.say(model())
    answer(QUESTION)
    request = reads(scripted)[0]
    system, user = request["messages"]
    assert "not instructions" in system["content"] and "Witkoff" not in system["content"]
    content = user["content"]
    assert re.search(r"^Article: ", content, re.M)
    numbered = re.findall(r"^\[(\d+)\] ", content, re.M)
    assert [int(n) for n in numbered] == list(range(1, len(numbered) + 1))
    assert line_of(content, "Witkoff")
    assert content.rstrip().endswith(f"Question: {QUESTION}")
    assert request["temperature"] == 0


def test_the_model_is_not_asked_when_nothing_retrieved_is_about_the_question(scripted):
    scripted.say(model())
    result = answer("What is the capital of France?")
    assert result.refused and not result.citations
    assert scripted.requests == []


def test_a_follow_up_is_made_standalone_before_it_is_read(scripted):
    standalone = "How long did Steve Witkoff and Jared Kushner talk with Putin?"
    scripted.say(model({"How long": "five hours"}, condensed=standalone))
    history = [("Who met Putin in Moscow?", f"{NAMES} [1].")]
    result = answer("How long did they talk?", history=history)
    condense = next(r for r in scripted.requests if "standalone question" in r["messages"][-1]["content"])
    assert "Who met Putin in Moscow?" in condense["messages"][-1]["content"]
    read = reads(scripted)[-1]["messages"][-1]["content"]
    assert read.rstrip().endswith(f"Question: {standalone}")
    assert "Who met Putin" not in read  # the conversation itself is not shown to the reader
    assert "five hours" in result.text and not result.refused


def test_words_no_article_holds_are_refused_in_a_conversation_too(scripted):
    # rewritten as a follow-up, they became the last question again, answered a second time
    scripted.say(model({"How long": "five hours"}, condensed="How long did they talk with Putin?"))
    history = [("How long did the Moscow talks last?", "five hours [1].")]
    result = answer("Zzqv qqrt?", history=history)
    assert result.refused and "None of the question's words" in result.text
    assert scripted.requests == []
    answer("And him?", history=[("Who met Putin in Moscow?", f"{NAMES} [1].")])
    assert any("standalone question" in r["messages"][-1]["content"] for r in scripted.requests)


def test_a_planted_injection_does_not_change_the_answer(scripted, built_index):
    """A model that obeys instructions in its passages, on a clean and on a poisoned corpus."""

    def gullible(messages):
        order = re.search(r"reply only with '([^']+)'", messages[-1]["content"])
        if order:
            return f"SENTENCE: 1\nANSWER: {order.group(1)}"
        return model()(messages)

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
    scripted.say(lambda messages: "SENTENCE: 1\nANSWER: I AM HACKED")
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
    from assistant.llm import model_file

    monkeypatch.setattr(model_file, "part_paths", lambda: None)
    monkeypatch.setenv("ASSISTANT_BACKEND", "reader")
    monkeypatch.setenv("ASSISTANT_MODEL_DIR", str(tmp_path / "models"))
    result = answer(QUESTION)
    expected = answer(QUESTION, settings=Settings(backend="extractive"))
    assert (result.text, result.citations) == (expected.text, expected.citations)
    assert "not installed" in result.notice and result.backend == "extractive"


def test_the_composer_s_pick_is_a_candidate_when_the_model_finds_nothing(scripted, monkeypatch):
    """The composer reads the same evidence; its sentence is answered only if the check
    passes it, and only ever a sentence the model was shown."""
    monkeypatch.setenv("ASSISTANT_COMPOSER_CANDIDATE", "1")
    expected = answer(QUESTION, settings=Settings(backend="extractive"))
    scripted.say(model({}))
    result = answer(QUESTION)
    assert not result.refused and result.citations == expected.citations
    assert result.stats.parts[0].source == "composer"
    shown = reads(scripted)[-1]["messages"][-1]["content"]
    assert all(c.quote[:40] in shown for c in result.citations)
    scripted.say(model({}, verify="NO"))
    assert answer(QUESTION).refused


def test_when_the_model_and_the_composer_agree_the_check_may_be_saved(scripted, monkeypatch):
    monkeypatch.setenv("ASSISTANT_COMPOSER_CANDIDATE", "1")
    scripted.say(model(verify="NO"))

    def checks():
        return [r for r in scripted.requests if r["messages"][-1]["content"].startswith("Text:")]

    assert answer(QUESTION).refused and checks()  # by default the check decides, and says no
    scripted.requests.clear()
    monkeypatch.setenv("ASSISTANT_CHECK_AGREED", "0")
    result = answer(QUESTION)
    assert not result.refused and "Witkoff" in result.text and not checks()  # agreement decided


def shown_sentences(request: dict) -> int:
    return len(re.findall(r"^\[\d+\] ", request["messages"][-1]["content"], re.M))


def test_a_question_of_one_part_is_read_from_less_evidence(scripted, monkeypatch):
    # its prompt is most of the wait: one part and one fact may get a smaller budget
    monkeypatch.setenv("ASSISTANT_ONE_PART_EVIDENCE_UNITS", "3")
    scripted.say(model())
    answer(QUESTION)
    one = shown_sentences(reads(scripted)[-1])
    monkeypatch.setenv("ASSISTANT_ONE_PART_EVIDENCE_UNITS", "0")  # as a question of several parts
    answer(QUESTION)
    usual = shown_sentences(reads(scripted)[-1])
    assert 0 < one < usual
    # a question about a time chooses among that time's reports: it keeps the usual budget
    monkeypatch.setenv("ASSISTANT_ONE_PART_EVIDENCE_UNITS", "3")
    answer(f"{QUESTION.rstrip('?')}, the latest?")
    assert shown_sentences(reads(scripted)[-1]) > one
