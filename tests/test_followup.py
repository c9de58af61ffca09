"""Follow-ups rewritten into questions that stand on their own (pure functions, no index)."""

import pytest

from assistant.pipeline.plan import normalize, resolve, standalone


@pytest.mark.parametrize(
    ("turn", "question", "resolved"),
    [
        # a "who" answer gives the person a pronoun means
        (("Who is Ukraine's lead negotiator?", "Rustem Umerov is Ukraine’s lead negotiator [1]."),
         "Where is he meeting the US envoys?", "Where is Rustem Umerov meeting the US envoys?"),
        # otherwise the one person the previous question named
        (("What did Putin say about the talks?", "He called them useful [1]."),
         "When did he say that?", "When did Putin say that?"),
        # an elliptical "And on X?" takes the previous question's frame
        (("What is Putin's position on demilitarization zones?", "He rejected them [1]."),
         "And on enforcing the ceasefire?", "What is Putin's position on enforcing the ceasefire?"),
        (("What share of the Donbas does Russia control?", "About 85% [1]."),
         "And how much of Ukraine as a whole?", "What share of Ukraine as a whole does Russia control?"),
    ],
)
def test_follow_ups_are_resolved_from_the_last_turn(turn, question, resolved):
    assert resolve(question, [turn]) == resolved
    # what still points back ("that") keeps the previous question as context for retrieval
    context = f"{turn[0]} " if "that" in resolved else ""
    assert standalone(question, [turn]) == context + resolved


@pytest.mark.parametrize(
    ("turn", "question"),
    [
        # two people named: "he" is ambiguous, so nothing is guessed
        (("Did Putin meet Witkoff?", "Yes [1]."), "What did he say?"),
        # the previous question has no "for" phrase to replace
        (("What did the plan say about NATO?", "Two decades [1]."), "And what for the ceasefire?"),
    ],
)
def test_unclear_follow_ups_keep_the_previous_question_as_context(turn, question):
    assert resolve(question, [turn]) == question
    assert standalone(question, [turn]) == f"{turn[0]} {question}"


def test_a_question_without_history_is_unchanged():
    assert standalone("Who met Putin?", normalize(None)) == "Who met Putin?"
    assert resolve("Where is he?", []) == "Where is he?"


def test_the_model_condenses_a_follow_up_with_llama_index_s_prompt():
    from assistant.llm.base import Reader
    from assistant.pipeline.plan import condense, condense_prompt

    history = [("Who did Trump send to Moscow?", "Steve Witkoff and Jared Kushner [1].")]
    (message,) = condense_prompt("Where will they meet next?", history).messages
    assert "standalone question" in message["content"]
    assert "Follow Up Input: Where will they meet next?" in message["content"]
    assert "assistant: Steve Witkoff and Jared Kushner [1]." in message["content"]

    class Scripted(Reader):
        def stream(self, prompt, max_tokens):
            yield from ['"Where will Witkoff and Kushner', ' meet next?"\nExtra line.']

    assert condense(Scripted(), "Where will they meet next?", history) == (
        "Where will Witkoff and Kushner meet next?"
    )
