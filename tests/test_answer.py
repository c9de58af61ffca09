import json
import re

import pytest

from assistant import Answer, Citation, answer
from assistant.errors import EmptyQuestion
from index.corpus import load_corpus

# (question, an article that states it, a pattern the answer must contain)
FACTS = [
    ("Who did Trump send to Moscow to meet Putin?", {"001_879027de3d8b4ae6", "002_349d635fff76aa66", "003_da6a537bacec0b05"}, r"Witkoff.*Kushner|Kushner.*Witkoff"),
    ("What share of the Donbas region do Russian forces control?", {"003_da6a537bacec0b05"}, r"85\s?%"),
    ("What is Putin's position on demilitarization zones?", {"000_a3e66bb6e1c6e4ee"}, r"Rejected"),
    ("Where are US and Ukrainian teams preparing to hold further talks?", {"003_da6a537bacec0b05", "001_879027de3d8b4ae6"}, r"Florida|Miami"),
    ("Which German publication reported on a transcript of a European leaders' call?", {"003_da6a537bacec0b05"}, r"Der Spiegel"),
    ("How long would Ukraine's NATO membership be delayed under the plan drafted by Trump's advisers?", {"004_80ebed28bbef419f"}, r"20 years|two decades"),
    ("How many points did the U.S. peace plan originally have?", {"001_879027de3d8b4ae6"}, r"28-point"),
    ("What is the feasibility of humanitarian corridors?", {"000_a3e66bb6e1c6e4ee"}, r"Humanitarian Corridors.*High"),
    ("Which news agency interviewed Sergey Lavrov?", {"004_80ebed28bbef419f"}, r"TASS"),
]

OFF_CORPUS = [
    "What is the capital of Australia?",
    "How do I bake sourdough bread?",
    "Who won the 2022 FIFA World Cup?",
]


@pytest.fixture
def texts(built_index):
    articles, _ = load_corpus(built_index["corpus"])
    return {a.id: a.text for a in articles}


def assert_grounded(result: Answer, texts: dict[str, str]) -> None:
    markers = [int(m) for m in re.findall(r"\[(\d+)\]", result.text)]
    assert markers, result.text
    assert sorted(set(markers)) == [c.n for c in result.citations] == list(range(1, len(result.citations) + 1))
    for c in result.citations:
        assert texts[c.article_id][c.start : c.end] == c.quote


@pytest.mark.parametrize("question, sources, pattern", FACTS)
def test_answers_cite_the_article_that_states_the_fact(texts, question, sources, pattern):
    result = answer(question)
    assert not result.refused
    assert re.search(pattern, result.text), result.text
    assert_grounded(result, texts)
    supporting = [c for c in result.citations if re.search(pattern, c.quote)]
    assert supporting and any(c.article_id in sources for c in supporting)


@pytest.mark.parametrize("question", OFF_CORPUS)
def test_off_corpus_questions_are_refused_without_citations(built_index, question):
    result = answer(question)
    assert result.refused
    assert result.citations == []
    assert "articles don't say" in result.text


def test_answer_builds_the_index_on_first_use(isolated):
    assert not (isolated["data"] / "chroma").exists()
    result = answer("Who did Trump send to Moscow to meet Putin?")
    assert "Witkoff" in result.text and result.citations


def test_follow_up_uses_history(texts):
    history = [("Who met Putin in Moscow?", "Steve Witkoff and Jared Kushner met Putin [1].")]
    result = answer("Where will they meet Ukrainian officials next?", history=history)
    assert re.search(r"Miami|Florida", result.text)
    assert_grounded(result, texts)
    messages = [{"role": "user", "content": "Who met Putin in Moscow?"},
                {"role": "assistant", "content": "Steve Witkoff and Jared Kushner [1]."}]
    assert answer("Where will they meet Ukrainian officials next?", history=messages).text == result.text


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_empty_questions_raise_a_clear_value_error(built_index, question):
    with pytest.raises(ValueError, match="question is empty"):
        answer(question)
    with pytest.raises(EmptyQuestion):
        answer(question)


def test_a_100_kb_question_is_answered_without_crashing(texts):
    question = "Who did Trump send to Moscow to meet Putin? " + "padding words " * 7500
    assert len(question) > 100_000
    result = answer(question)
    assert isinstance(result, Answer)
    if not result.refused:
        assert_grounded(result, texts)


def test_answers_serialise_to_json(built_index):
    result = answer("Which German publication reported on a transcript of a European leaders' call?")
    data = json.loads(result.to_json())
    assert data["refused"] is False
    first = data["citations"][0]
    assert set(first) == {"n", "article_id", "title", "quote", "start", "end", "score", "date", "url"}
    assert first["date"] is None and first["url"] is None  # the seeds are files without front matter
    assert Citation(**first) == result.citations[0]
