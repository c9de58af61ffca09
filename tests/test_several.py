"""Answers of several facts: the model chooses sentences, code grounds, decides and writes.

The forms a question takes (pure functions), the reply's grammar and parse, the attribution
check for "what did X say", the written list (one fact once, with every report's citation,
ordered for the question), and the whole path against a scripted model on 127.0.0.1.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from assistant import answer
from assistant.pipeline.decide import Verdict, keep_facts, said_by
from assistant.pipeline.kinds import events, several, speaker
from assistant.pipeline.read import facts_grammar, parse_facts
from assistant.pipeline.write import PartAnswer, write
from tests.scripted_llm import ScriptedLLM, assert_grounded, require


@pytest.mark.parametrize(
    "question",
    [
        "What did the minister say about the budget?",
        "How did the opposition react to the vote?",
        "What are the objections to the plan?",
        "What concerns did the regulator raise?",
        "Why did the talks collapse?",
        "What happened after the vote?",
        "How feasible do experts consider each of their recommendations?",
        "What are Moscow's demands?",  # a possessive before the plural
        "And what were the Chinese leader's words?",
    ],
)
def test_questions_whose_answer_is_several_facts(question):
    assert several(question)


@pytest.mark.parametrize(
    "question",
    [
        "Who leads the negotiating team?",
        "How many people were killed?",
        "When did the talks start?",
        "Where will they meet next?",
        "How long did the talks last?",
        "How did Trump rate the talks?",  # his words for them: one phrase
        "What share of the region does the army hold?",
        "Which countries signed the treaty?",  # names, which one sentence lists
        "Which news agency did he say that to?",
        "What is the minimum wage compared to the company's offer?",  # a noun after a possessive
        "What is the exact wording of point 7 of the peace plan?",  # "plan" after "is": a noun
    ],
)
def test_questions_of_one_fact(question):
    assert not several(question)


def test_the_speaker_is_named_and_a_group_is_no_speaker():
    assert speaker("What did Lavrov say about the talks?") == "Lavrov"
    assert speaker("What does Dr. Petrov expect after the vote?") == "Dr. Petrov"
    assert speaker("How did Ukrainian officials respond?") is None
    assert speaker("What are the objections to the plan?") is None
    assert speaker("What is the minimum wage compared to Asda's offer?") is None
    # after "is/are" the speaker's verb is a participle; "plan" there is a noun, not the verb
    assert speaker("What is Moscow demanding in the talks?") == "Moscow"
    assert speaker("What are the objections to the U. S. plan?") is None
    # a group named by where it is, and two speakers, are no one speaker to check
    assert speaker("How did people on Capitol Hill react to the cut?") is None
    assert speaker("What did officials in Kyiv say about the talks?") is None
    assert speaker("How did the union and the Living Wage Foundation react?") is None
    assert speaker("What did Secretary of State Rex Tillerson say?") == "Secretary of State Rex Tillerson"
    assert events("What happened after the vote?") and not events("What did Lavrov say?")


def test_the_reply_is_a_list_of_shown_numbers_or_none():
    grammar = facts_grammar(3, most=2)
    assert '"NONE"' in grammar and 'line ::= "1" | "2" | "3"' in grammar
    assert parse_facts("SENTENCES: 3, 12, 3, 5") == (3, 12, 5)  # each once, in its order
    assert parse_facts("NONE") == () and parse_facts("The answer is 3.") == ()


def test_the_first_list_holds_at_least_so_many_sentences_and_a_second_may_add_one():
    from assistant.pipeline.read import read_facts
    from tests.test_ground import EVIDENCE

    class Listing:  # a reader that replies from a script and keeps each prompt's grammar
        usage = None

        def __init__(self, replies):
            self.replies, self.grammars = list(replies), []

        def stream(self, prompt, max_tokens):
            self.grammars.append(prompt.grammar)
            yield self.replies.pop(0)

    reader = Listing(["SENTENCES: 1, 3, 2", "SENTENCES: 4"])
    chosen = read_facts(reader, EVIDENCE, "What happened?", 40, rounds=2, least=3)
    try:
        while True:
            next(chosen)
    except StopIteration as done:
        reading = done.value
    assert [p.line for p in reading.reply.pairs] == [1, 3, 2, 4]
    first, second = reader.grammars
    assert '"SENTENCES: " (line ", " line ", " line |' in first  # no list shorter than 3
    assert '"SENTENCES: " (line |' in second  # a later round may add a single one
    # never more than there are sentences to choose
    assert '"SENTENCES: " (line ", " line |' in facts_grammar(2, most=8, least=4)


def test_pointing_chooses_the_sentences_the_model_gives_a_share_of_the_best_one_s_chance():
    from assistant.pipeline.read import point_facts
    from tests.test_ground import EVIDENCE

    class Pointing:  # a reader whose shares come from a script, keeping each prompt
        usage = None

        def __init__(self, opening, numbers):
            self.opening, self.numbers, self.prompts = opening, numbers, []

        def choose(self, prompt):
            self.prompts.append(prompt)
            shares = self.numbers if prompt.prefix else self.opening
            return {o: shares.get(o, 0.0) for o in prompt.openings}

    def run(reader, most=2, share=0.1):
        chosen, yielded = point_facts(reader, EVIDENCE, "What happened?", most, share), []
        try:
            while True:
                yielded.append(next(chosen))
        except StopIteration as done:
            return yielded, done.value

    shown = [str(line.n) for line in EVIDENCE.lines]
    reader = Pointing({"SENTENCES": 0.9, "NONE": 0.1}, {"3": 0.6, "1": 0.3, "2": 0.05, "4": 0.05})
    yielded, reading = run(reader)
    assert yielded == [3, 1] and [p.line for p in reading.reply.pairs] == [3, 1]  # best first
    assert reading.reply.raw == "SENTENCES: 3, 1"
    opening, pointing = reader.prompts
    assert opening.openings == ("NONE", "SENTENCES") and not opening.prefix
    assert pointing.prefix == "SENTENCES: " and list(pointing.openings) == shown
    assert pointing.messages == opening.messages  # the second is read on the first's KV cache
    assert run(Pointing({"SENTENCES": 0.9}, {"3": 0.6, "1": 0.3, "2": 0.05}), most=5)[0] == [3, 1]
    assert run(Pointing({"SENTENCES": 0.9}, {"3": 0.6, "1": 0.3, "2": 0.05}), most=5, share=0.05)[0] == [3, 1, 2]
    # a reply that opens with NONE: nothing is chosen, and no number is read
    reader = Pointing({"SENTENCES": 0.4, "NONE": 0.6}, {"3": 1.0})
    yielded, reading = run(reader)
    assert yielded == [] and reading.reply.pairs == () and reading.reply.raw == "NONE"
    assert len(reader.prompts) == 1


def test_an_endpoint_points_at_the_sentences_its_reply_lists():
    """Its logits aren't portable: the numbers it writes after the opening share the chance."""
    from assistant.llm.base import Prompt
    from assistant.llm.readers import EndpointReader

    class Replying(EndpointReader):
        def __init__(self, reply):
            self.reply = reply

        def stream(self, prompt, max_tokens, cancel=None):
            yield self.reply

    numbers = Prompt((), None, tuple(str(n) for n in range(1, 13)), prefix="SENTENCES: ")
    shares = Replying("SENTENCES: 12, 3, 12, 40").choose(numbers)
    assert shares["12"] > shares["3"] > 0 and sum(shares.values()) == pytest.approx(1)
    assert shares["1"] == shares["2"] == 0  # "12" is not "1" and "2"
    assert not any(Replying("NONE").choose(numbers).values())
    assert Replying("SENTENCES: 3").choose(Prompt((), None, ("NONE", "SENTENCES")))["SENTENCES"] == 1


def test_read_in_two_steps_the_second_lists_only_sentences_it_had_not_shown():
    from assistant.pipeline.evidence import Evidence
    from assistant.pipeline.read import read_facts_in_two
    from tests.test_ground import EVIDENCE

    class Listing:  # replies from a script, keeping each prompt
        usage = None

        def __init__(self, replies):
            self.replies, self.prompts = list(replies), []

        def stream(self, prompt, max_tokens):
            self.prompts.append(prompt)
            yield self.replies.pop(0)

    head = Evidence(EVIDENCE.question, EVIDENCE.passages[:1], EVIDENCE.best_similarity)
    new = [line.n for line in EVIDENCE.lines[len(head.lines):]]
    reader = Listing(["SENTENCES: 2, 1", f"SENTENCES: {new[0]}"])
    chosen = read_facts_in_two(reader, EVIDENCE, head, "What happened?", 40, 2, 1, enough=5)
    yielded = []
    try:
        while True:
            yielded.append(next(chosen))
    except StopIteration as done:
        reading = done.value
    assert yielded == [2, 1, new[0]] and [p.line for p in reading.reply.pairs] == [2, 1, new[0]]
    first, second = reader.prompts
    assert "It rained" not in first.messages[-1]["content"]  # the rest isn't read first
    assert second.messages[: len(first.messages)] == first.messages  # the KV cache holds step one
    assert f"[{new[0]}] It rained" in second.messages[-1]["content"]
    assert f'line ::= "{new[0]}"' in second.grammar and '"1" |' not in second.grammar
    # enough chosen in the first step: the rest is not read
    reader = Listing(["SENTENCES: 2, 1"])
    chosen = read_facts_in_two(reader, EVIDENCE, head, "What happened?", 40, 2, 1, enough=2)
    for _ in chosen:
        pass
    assert len(reader.prompts) == 1


def _unit(text, article="a", start=0, date=None):
    return SimpleNamespace(
        text=text, title="Headline", kind="sentence", article_id=article, start=start,
        end=start + len(text), date=date, url=None, ordinal=start,
    )


def _grounded(text, article="a", start=0, date=None):
    unit = _unit(text, article, start, date)
    line = SimpleNamespace(unit=unit, text=text, passage=SimpleNamespace(article_id=article, score=1.0))
    return SimpleNamespace(text=text, line=line)


def test_what_someone_said_is_their_words_not_anothers():
    before = [_unit("Foreign Minister Sergei Lavrov spoke to TASS on Tuesday.")]
    assert said_by(_unit("Lavrov said Russia was ready."), "Lavrov", [])
    assert said_by(_unit("“We are ready,” he said."), "Lavrov", before)  # "he" two back
    assert not said_by(_unit("Peskov said the talks were useful."), "Lavrov", before)
    assert not said_by(_unit("“We are ready,” he said."), "Lavrov", [])
    kept = keep_facts(
        [_grounded("Lavrov said Russia was ready."), _grounded("Peskov said it was useful.")],
        "Lavrov", lambda unit: [],
    )
    assert [g.text for g in kept.kept] == ["Lavrov said Russia was ready."]
    assert kept.dropped[0][1] == "not Lavrov's words"


def test_a_subheading_is_no_fact_and_a_list_item_is():
    kept = keep_facts(
        [
            _grounded("Analysis of the core objections and implications for the talks"),
            _grounded("- Establishing humanitarian corridors early to ease suffering"),
            _grounded("Key sticking points include:"),
            # a long line cut short in the corpus still states something
            _grounded("The authorities later prevented the minister from entering the consulate "
                      "in Rotterdam, before escorting her"),
        ],
        None, lambda unit: [],
    )
    assert [g.text[:14] for g in kept.kept] == ["- Establishing", "The authoritie"]
    assert [why for _, why in kept.dropped] == ["not a statement", "not a statement"]
    # the item is a line of the answer's list once, without its own marker
    part = PartAnswer("What do they recommend?", Verdict.ANSWER, kept.kept[:1], several=True)
    written = write([part], form="quote", max_citations=3, quote_share=0.6, max_facts=5,
                    same_fact=0.6)
    assert written.text == "- Establishing humanitarian corridors early to ease suffering [1]"


def test_one_fact_from_two_reports_is_one_line_with_both_citations():
    first = _grounded("The talks in Moscow lasted five hours on Tuesday night.", "a", 10)
    again = _grounded("The talks in Moscow lasted five hours on Tuesday.", "b", 40)
    other = _grounded("No compromise was reached on the territorial questions.", "a", 90)
    part = PartAnswer("What happened?", Verdict.ANSWER, (first, again, other), several=True)
    written = write([part], form="quote", max_citations=3, quote_share=0.6, max_facts=5,
                    same_fact=0.6)
    assert written.text.splitlines() == [
        f"- {first.text} [1][2]",
        f"- {other.text} [3]",
    ]
    assert [c.article_id for c in written.citations] == ["a", "b", "a"]


def test_what_happened_is_told_in_the_order_it_happened():
    later = _grounded("Ukraine's team met the US envoys in Miami on Saturday.", "b", 5, "2025-12-06")
    earlier = _grounded("Putin met the US envoys in Moscow on Tuesday night.", "a", 80, "2025-12-02")
    part = PartAnswer("What happened after the talks?", Verdict.ANSWER, (later, earlier),
                      several=True, events=True)
    written = write([part], form="quote", max_citations=3, quote_share=0.6, max_facts=5,
                    same_fact=0.6)
    assert written.text.splitlines() == [f"- {earlier.text} [1]", f"- {later.text} [2]"]


def test_the_list_is_capped_at_the_models_first_choices():
    chosen = tuple(_grounded(text, "a", i * 50) for i, text in enumerate([
        "The ceasefire would begin at midnight.", "Prisoners are to be exchanged within a week.",
        "Sanctions relief depends on a referendum.", "Observers from four countries will monitor it.",
    ]))
    part = PartAnswer("What are the facts?", Verdict.ANSWER, chosen, several=True)
    written = write([part], form="quote", max_citations=3, quote_share=0.6, max_facts=2,
                    same_fact=0.6)
    assert len(written.text.splitlines()) == 2 and "Observers" not in written.text


LAVROV = "What did Lavrov say about negotiating with the incoming U.S. administration?"


def chooser(*phrases: str):
    """A scripted model that, asked for several facts, chooses the shown sentences holding
    any of `phrases` (and answers the yes/no check YES)."""

    def reply(messages):
        content = messages[-1]["content"]
        if content.startswith("Text:"):
            return "YES"
        shown = re.findall(r"^\[(\d+)\] (.*)$", content, re.M)
        numbers = [n for n, text in shown if any(p.lower() in text.lower() for p in phrases)]
        return f"SENTENCES: {', '.join(numbers)}" if numbers else "NONE"

    return reply


@pytest.fixture
def scripted(built_index, monkeypatch):
    require("llama_index.llms.openai_like")
    with ScriptedLLM() as server:
        monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
        monkeypatch.setenv("ASSISTANT_LLM_URL", server.url)
        yield server


def test_a_question_of_several_facts_is_answered_with_a_list_of_cited_sentences(
    scripted, built_index, monkeypatch
):
    from assistant.engine import get_engine

    other = ("Kremlin spokesman Dmitry Peskov said negotiating with the incoming U.S. "
             "administration would have to wait for its inauguration.")
    path = built_index["corpus"] / "004_80ebed28bbef419f.txt"
    path.write_text(path.read_text(encoding="utf-8") + f"\n{other}\n", encoding="utf-8")
    get_engine().index()
    scripted.say(chooser("Lavrov", "ready for negotiations", "Peskov"))
    result = answer(LAVROV)
    assert_grounded(result, built_index["corpus"])
    lines = result.text.splitlines()
    assert lines and all(line.startswith("- ") and re.search(r"\[\d+\]$", line) for line in lines)
    assert "official communication" in result.text  # Lavrov's words
    prompt = [r for r in scripted.requests if r["messages"][0]["role"] == "system"][-1]
    assert "SENTENCES" in prompt["messages"][0]["content"]  # it was asked to choose, not copy
    # the evidence is Lavrov's own words: another's are not shown ...
    assert "Peskov" not in result.trace.evidence and "Peskov" not in result.text
    # ... and shown them (X's words not searched apart), what it chooses of them is dropped
    monkeypatch.setenv("ASSISTANT_SPEAKER_CANDIDATES", "0")
    result = answer(LAVROV)
    assert "Peskov" in result.trace.reply  # chosen by the model ...
    assert "Peskov" not in result.text  # ... but another's words are not Lavrov's
    assert "official communication" in result.text


def test_a_several_facts_question_the_articles_do_not_answer_is_refused(scripted):
    scripted.say(chooser("no sentence holds this"))
    result = answer("What did the Pope say about the negotiations?")
    assert result.refused and not result.citations


def test_a_sentence_one_part_listed_is_not_listed_again_for_the_next():
    shared = _grounded("Xi affirmed support for all efforts that work towards peace.", "a", 10)
    first = PartAnswer("What did Macron seek?", Verdict.ANSWER, (shared,), several=True)
    second = PartAnswer("How did Xi respond?", Verdict.ANSWER, (shared,), several=True)
    written = write([first, second], form="quote", max_citations=3, quote_share=0.6,
                    max_facts=5, same_fact=0.6)
    assert written.text.count(shared.text) == 1
    assert written.text.splitlines()[-1] == "The articles don't say more: How did Xi respond?"


def test_asked_again_the_model_adds_sentences_in_the_same_conversation(scripted, monkeypatch):
    from assistant.pipeline.read import MORE

    monkeypatch.setenv("ASSISTANT_FACTS_CHOICE", "list")  # rounds are the list's
    monkeypatch.setenv("ASSISTANT_FACTS_ROUNDS", "2")
    first = chooser("official communication")
    more = chooser("would not accept the proposals")

    def reply(messages):  # asked for more, it reads the evidence of the first request
        return more(messages[:2]) if messages[-1]["content"] == MORE else first(messages)

    scripted.say(reply)
    result = answer(LAVROV)
    assert "official communication" in result.text and "would not accept" in result.text
    again = [r for r in scripted.requests if r["messages"][-1]["content"] == MORE]
    assert len(again) == 1 and again[0]["messages"][-2]["role"] == "assistant"
