"""How a question is taken apart: its parts and the kind of answer each wants (pure functions)."""

import pytest

from assistant.composer.query import (
    _ASKED_NAME,
    _ASKED_PLACE,
    Query,
    analyse,
    asks_several,
    coverage,
    holds_answer,
)
from assistant.pipeline.kinds import wanted
from assistant.pipeline.plan import Part, parts
from assistant.settings import ComposerWeights
from index.units import Unit
from search.keywords import KeywordIndex

WEIGHTS = ComposerWeights()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How long did the talks last and how many points did the plan have?",
         [Part("How long did the talks last?"), Part("how many points did the plan have?")]),
        # one question asked of two scopes
        ("What territory does Russia demand: in the recent talks, and in Putin's earlier conditions?",
         [Part("What territory does Russia demand in the recent talks?"),
          Part("What territory does Russia demand in Putin's earlier conditions?")]),
        # ... and of a list of three
        ("Who are the lead negotiators for the US, Ukraine and Russia?",
         [Part("Who are the lead negotiators for the US?"),
          Part("Who are the lead negotiators for Ukraine?"),
          Part("Who are the lead negotiators for Russia?")]),
        # a comparison: what each side says, each its own story
        ("How does the plan reported in 2024 differ from the plan discussed in Moscow?",
         [Part("What about the plan reported in 2024?", apart=True),
          Part("What about the plan discussed in Moscow?", apart=True)]),
        # a topic before the colon is the context of each part after it
        ("What do the reports say about a ceasefire: what did the plan propose and how does Putin view it?",
         [Part("what did the plan propose?", "What do the reports say about a ceasefire"),
          Part("how does Putin view it?", "What do the reports say about a ceasefire")]),
    ],
)
def test_a_question_is_split_into_what_it_asks(question, expected):
    assert parts(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "Who did Trump send to Moscow to meet Putin?",
        "What did Trump and Putin agree on?",  # two names are not two questions
        "Which cities, Kyiv and Odesa, were hit?",  # a list of two is not split
    ],
)
def test_a_single_question_is_one_part(question):
    assert parts(question) == [Part(question)]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many people were wounded in Odesa?", "number"),
        ("When did the talks take place?", "date"),
        ("Which expert did the channel interview?", "name"),
        ("Where will they meet next?", "place"),
        ("What did Putin say about the plan?", None),
        ("How did Trump rate the first round?", "quote"),
        ("How did the adviser describe the outcome?", "quote"),
    ],
)
def test_the_kind_of_answer_comes_from_the_question_phrase(question, kind):
    assert wanted(question) == kind


def _who(question: str) -> Query:
    return Query(question, question, {}, wants=wanted(question), known=question)


@pytest.mark.parametrize(
    ("sentence", "holds"),
    [
        ("Ukraine’s lead negotiator, Rustem Umerov, will travel to Miami.", True),
        # an appositive puts the role several words after the name
        ("Yuri Ushakov, Putin’s senior foreign policy adviser and principal negotiator, spoke.", True),
        # a name nine words before an unnamed negotiator is someone else
        ("Foreign Minister Andrii Sybiha accused Putin of wasting time while the negotiator waited.", False),
        # no negotiator at all: whoever is named is not the answer
        ("Steve Witkoff met Vladimir Putin in Moscow.", False),
    ],
)
def test_who_is_the_negotiator_wants_the_name_beside_the_role(sentence, holds):
    assert holds_answer(_who("Who is the negotiator?"), sentence) is holds


@pytest.mark.parametrize(
    ("question", "sentence", "holds"),
    [
        # a question about the future wants a sentence about the future
        ("When will they meet next?", "They met on Tuesday in Moscow.", False),
        ("When will they meet next?", "They are scheduled to meet Umerov on Thursday.", True),
        # a question about what happened is not answered by what is still planned
        ("What was agreed in Miami?", "The team is preparing to meet Ukrainian officials in Miami.", False),
        ("What was agreed in Moscow?", "Putin and Witkoff agreed to keep talking.", True),
        # a future inside reported speech is not a plan
        ("What did Macron say?", "Macron cautioned that the US will betray Ukraine.", True),
    ],
)
def test_a_sentence_answers_only_at_the_time_the_question_asks_about(question, sentence, holds):
    assert holds_answer(Query(question, question, {}, wants=wanted(question), known=question), sentence) is holds


def test_a_how_did_they_describe_question_wants_their_words():
    query = Query("How did Trump rate the talks?", "", {}, wants="quote", known="How did Trump rate the talks?")
    assert holds_answer(query, "Trump called the talks “reasonably good” on Wednesday.")
    assert not holds_answer(query, "Trump sent Witkoff to the talks in Moscow.")
    # someone else's words are not his
    assert not holds_answer(query, "According to Putin, the talks were “useful but difficult.”")


def test_the_verb_of_a_how_did_they_rate_question_asks_for_words_it_need_not_repeat():
    sentences = [
        "Trump characterized the negotiations as reasonably good.",
        "Trump rated the negotiations as reasonably good.",
        "The talks were held in Moscow.",
    ]
    keywords = KeywordIndex([
        Unit(f"a:{i}", "a", "", text, 0, len(text), i, "sentence", 0.0) for i, text in enumerate(sentences)
    ])
    characterized, rated = (keywords.terms(s) for s in sentences[:2])
    for asked in ("How did Trump rate the negotiations?", "How did Trump characterize the negotiations?"):
        query = analyse(asked, asked, keywords, WEIGHTS)
        assert coverage(query, characterized) == coverage(query, rated) > 0
    # elsewhere the verb is what is asked about
    query = analyse("Who rated the negotiations?", "Who rated the negotiations?", keywords, WEIGHTS)
    assert coverage(query, rated) > coverage(query, characterized)


@pytest.mark.parametrize(
    ("question", "sentence", "holds"),
    [
        ("How many people were killed in the strike?", "Six people were wounded in the strike.", False),
        ("How many people were killed in the strike?", "The strike killed two men and wounded six.", True),
        ("How many people were hurt in the strike?", "Six people were injured in the strike.", True),
        ("How many people were hurt in the strike?", "Two people died in the strike.", False),
        # a count that says neither is left to the other checks
        ("How many people were killed in the strike?", "The strike hit 12 buildings.", True),
    ],
)
def test_a_count_of_the_wounded_does_not_answer_how_many_were_killed(question, sentence, holds):
    query = Query(question, question, {}, wants="number", known=question)
    assert holds_answer(query, sentence) is holds


@pytest.mark.parametrize(
    "question, names",
    [
        ("What will the weather be like in Kyiv tomorrow?", ["Kyiv"]),
        ("What was the score of Manchester United's last match?", ["Manchester", "United's"]),
        # abbreviations are spelled many ways ("US", "U.S."): not required word for word
        ("Who represented the US in Moscow?", ["Moscow"]),
        ("Which TV channel did Putin give his interview to?", ["Putin"]),
        ("What did the plan propose?", []),
    ],
)
def test_the_names_a_question_asks_about(question, names):
    assert _ASKED_NAME.findall(question) == names


def test_where_it_happened_is_a_place_after_a_preposition():
    assert _ASKED_PLACE.findall("How many were killed in the drone strike on Odesa?") == ["Odesa"]
    assert _ASKED_PLACE.findall("What will the weather be like in Kyiv tomorrow?") == ["Kyiv"]
    # "the Moscow talks" are talks, not a place the answer must repeat
    assert _ASKED_PLACE.findall("Was a compromise reached in the Moscow talks?") == []


@pytest.mark.parametrize(
    ("question", "several"),
    [
        ("Which European leaders are worried about the US-Russia talks?", True),
        ("Who are the lead negotiators for Ukraine?", True),
        ("Who is the Moscow-installed head of the occupied Kherson region?", False),
        ("Which minister rejected the plan?", False),
        ("How many drones did Russia fire at Ukraine overnight?", False),
    ],
)
def test_a_question_can_ask_for_several_people(question, several):
    assert asks_several(question) is several


@pytest.mark.parametrize(
    ("question", "sentence", "holds"),
    [
        ("How long did the Moscow talks last?", "The talks in Moscow lasted nearly five hours.", True),
        ("How long did the Moscow talks last?", "Moscow and Tokyo stepped up talks at the end of 2016.", False),
        ("How long would NATO membership be delayed?", "It delays NATO membership for two decades.", True),
        ("How long would NATO membership be delayed?", "A 6-year-old girl died after the NATO summit.", False),
        ("How old was the girl who died?", "A 6-year-old girl died in Kherson.", True),
        ("How old was the girl who died?", "Two girls died in Kherson on Tuesday.", False),
    ],
)
def test_how_long_wants_a_duration_and_how_old_an_age(question, sentence, holds):
    query = Query(question, question, {}, wants=wanted(question), known=question)
    assert holds_answer(query, sentence) is holds


@pytest.mark.parametrize(
    ("question", "phrase", "around", "holds"),
    [
        ("How many seats did the party win?", "31", "", True),
        ("How many seats did the party win?", "the centre-right", "", False),
        ("How old was the singer when he died?", "90", "has died aged 90, police", True),
        ("How old was the singer when he died?", "111", "at the age of 111, one", True),
        ("How old was the singer when he died?", "90 years old", "", True),
        ("How old was the singer when he died?", "2017", "in March 2017, police", False),
        ("How old was the singer when he died?", "Missouri", "died aged 90 in Missouri", False),
        ("How long did the strike last?", "nine", "after nine days, the", True),
        ("How long did the strike last?", "nine", "nine workers went home", False),
        ("When did the talks start?", "on Monday", "", True),
    ],
)
def test_the_kind_asked_may_show_beside_the_copied_phrase(question, phrase, around, holds):
    from assistant.pipeline.kinds import holds_kind

    assert holds_kind(question, phrase, around) is holds
