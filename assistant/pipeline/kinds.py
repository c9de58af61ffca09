"""The kind of answer a question asks for, and whether a phrase is of that kind.

"How many" wants a number, "how long" a duration, "how old" an age, "when" a date, "who" a name,
"where" a place. Decide refuses a grounded phrase that is visibly not the kind asked (a year for
"how long", a name for "when"); the composer's rules read the same kinds. Names and places can't
be told from a phrase alone, so only numbers, durations, ages and dates are checked.
"""

from __future__ import annotations

import re

from search.text import MONTHS, NUMBER_WORDS_PATTERN, WEEKDAYS

NUMBER = re.compile(
    rf"\b\d[\d,.]*\s?(%|per ?cent)?|\b({NUMBER_WORDS_PATTERN}|dozens?|half|decades?)\b",
    re.I,
)
# "How long?" is answered by a duration and "how old?" by an age: a year or a count is neither
_AMOUNT = rf"(?:\d[\d,.]*|{NUMBER_WORDS_PATTERN}|a|an|several|a few)"
MEASURES = [
    (
        re.compile(r"\bhow long\b", re.I),
        re.compile(
            rf"\b{_AMOUNT}[\s-]+(?:second|minute|hour|day|week|month|year|decade)s?\b(?![\s-]+old)"
            r"|\bdecades\b",
            re.I,
        ),
    ),
    (
        re.compile(r"\bhow old\b", re.I),
        re.compile(
            rf"\b{_AMOUNT}[\s-]+years?[\s-]+old\b|\baged\s+\d+|\bage of\s+\d+"
            r"|\b(?:died|dies|dead)\s+at\s+\d+",
            re.I,
        ),
    ),
]
# a date's words; "May" only capitalised, since "may" is far more often the verb
_CALENDAR = "|".join(w.lower() for w in (*WEEKDAYS, *MONTHS) if w != "May")
DATE = re.compile(
    rf"\b({_CALENDAR}|today|yesterday|tomorrow|(19|20)\d\d)\b|\b(?-i:May)\b",
    re.I,
)

# "How did Trump rate the talks?": the speaker, whose words are the answer
SPEAKER = re.compile(
    r"\bhow (?:did|does|do|would) ((?:\w+ ){1,3}?)(describe|rate|characteri[sz]e|call|assess|sum up)\b",
    re.I,
)
ROLE = r"(leader|minister|official|expert|person|people|president|envoy|negotiator|adviser|advisor|chancellor|ambassador|head|spokesman|spokeswoman)"
_TYPES = [
    # "How did Trump rate the talks?" is answered in his words: "reasonably good"
    ("quote", SPEAKER),
    ("number", re.compile(r"\bhow (many|much|long|far|old|often)\b|\bwhat (share|percent(age)?|proportion|number|age)\b|\bwhat per ?cent\b", re.I)),
    ("date", re.compile(r"\bwhen\b|\b(what|which) (day|date|year|month|time)\b|\bsince when\b", re.I)),
    ("name", re.compile(r"\bwho(m|se)?\b|\b(which|what) (\w+ ){0,2}" + ROLE + r"s?\b|\bname of\b", re.I)),
    ("place", re.compile(r"\bwhere\b|\b(which|what) (\w+ )?(city|country|town|region|place|capital)\b", re.I)),
]


def wanted(question: str) -> str | None:
    """The kind of answer, decided by the first question phrase ("which country ... when")."""
    found = [(m.start(), kind) for kind, p in _TYPES for m in [p.search(question)] if m]
    return min(found)[1] if found else None


def measure(question: str) -> re.Pattern[str] | None:
    """The unit a number must carry for this question: a duration, an age, or None (any)."""
    return next((m for asks, m in MEASURES if asks.search(question)), None)


def holds_kind(question: str, text: str, around: str = "") -> bool:
    """Whether text is the kind of thing the question asks for, where that kind can be seen:
    a number for "how many" (a duration for "how long", an age for "how old"), a date for
    "when". Names and places can't be told from a phrase alone, so they pass. A duration's or
    an age's unit is often beside the number rather than in the copied phrase ("90" of "died
    aged 90"): `around`, the phrase with its sentence's neighbouring words, may show it."""
    kind = wanted(question)
    if kind == "number":
        unit = measure(question)
        if unit is None:
            return bool(NUMBER.search(text))
        return bool(unit.search(text) or (NUMBER.search(text) and unit.search(around)))
    if kind == "date":
        return bool(DATE.search(text))
    return True


# Answers of several facts. In general English terms, not words of any eval item: what someone
# said, wants or did (a verb of speaking, reacting, wanting or proposing after "what/how did X"),
# a plural asked for ("what are the objections", "what concerns did X raise"), why (reasons),
# and what happened.
_SPEECH_VERBS = (
    "say|says|said|saying|tell|tells|told|telling|announce[sd]?|announcing|claim(?:s|ed)?|"
    "argue[sd]?|arguing|warn(?:s|ed)?|write|writes|wrote|think|thinks|thought|believe[sd]?|"
    "expect(?:s|ed)?|want(?:s|ed)?|demand(?:s|ed|ing)?|propose[sd]?|proposing|"
    "recommend(?:s|ed|ing)?|suggest(?:s|ed)?|seek(?:s|ing)?|sought|ask(?:s|ed|ing)?|"
    "offer(?:s|ed|ing)?|promise[sd]?|respond(?:s|ed)?|react(?:s|ed)?|repl(?:y|ies|ied)|"
    "criticise[sd]?|criticize[sd]?|accuse[sd]?|plan(?:s|ned)?|agree[sd]?|reveal(?:s|ed)?|"
    "do|does|did|find|finds|found|show(?:s|ed)?|conclude[sd]?|decide[sd]?|describe[sd]?|"
    "explain(?:s|ed)?|view(?:s|ed)?|see|sees|saw|regard(?:s|ed)?|consider(?:s|ed)?|"
    "justif(?:y|ies|ied)|defend(?:s|ed)?|insist(?:s|ed)?|admit(?:s|ted)?|den(?:y|ies|ied)|"
    "allege[sd]?|pledge[sd]?|vow(?:s|ed)?|urge[sd]?|call(?:s|ed)?\\s+for"
)
_AUXILIARY = r"(?:did|does|do|has|have|had|is|are|was|were|will|would|could|might)"
# After a possessive the word is a noun, not the speaker's verb: "What is the wage compared
# to Asda's offer?" asks one thing (a plural, "What are Moscow's demands?", is _ASKS_PLURAL's).
_ASKS_WHAT_SOMEONE = re.compile(
    rf"^\W*(?:and\s+)?(?:what|how)\s+(?P<aux>{_AUXILIARY})\s+(?P<who>.+?)(?<!['’]s)\s+"
    rf"(?P<verb>{_SPEECH_VERBS})\b",
    re.I,
)
# After "is/are/was/were" the verb is a participle ("What is Moscow demanding?", "What were
# they told?"); a base form there is a noun ("What are the objections to the U.S. plan?").
_BE = {"is", "are", "was", "were"}
_PARTICIPLE = re.compile(r"\w+(?:ing|ed)\b|(?:said|told|thought|sought|found|done|seen|shown)\b", re.I)


def _what_someone(question: str) -> re.Match | None:
    """The match of "what did X say" and its kin, with X (`who`) and the verb."""
    m = _ASKS_WHAT_SOMEONE.search(question)
    if m is not None and m.group("aux").lower() in _BE and not _PARTICIPLE.match(m.group("verb")):
        return None
    return m


# A word before the plural may be a possessive ("What are Moscow's demands?").
_WORD = r"\w+(?:['’]s)?"
_ASKS_PLURAL = re.compile(
    rf"^\W*(?:and\s+)?what\s+(?:(?:are|were)\s+(?:the\s+)?(?:{_WORD}\s+){{0,3}}?\w+s\b(?!\s+(?:did|do|does|is|was)\b)"
    rf"|(?:{_WORD}\s+){{0,2}}?\w+s\s+{_AUXILIARY}\b)",
    re.I,
)
_ASKS_WHY = re.compile(r"^\W*(?:and\s+)?why\b", re.I)
# "each of their recommendations", "all the measures": every one of several statements. ("Which
# four regions ...?", "Which agencies ...?" ask for names, which one sentence usually lists: the
# copying reader copies them as one phrase.)
_ASKS_MANY = re.compile(r"\b(?:each|all|every)\s+(?:of\s+)?(?:the|their|its|his|her)\b", re.I)
_ASKS_EVENTS = re.compile(
    r"\bwhat\s+(?:has\s+|had\s+|have\s+)?happened\b|\bhow\s+(?:did|has|have)\s+.+\s+(?:develop|unfold|evolve)(?:ed)?\b",
    re.I,
)


def several(question: str) -> bool:
    """Whether the answer is several facts (what someone said, the objections, why, what
    happened), read as a list of the articles' sentences, not one copied phrase. A question
    that asks for a number, a date, a place or one person ("How many ...", "When ...", "Who
    ...") is one fact, whatever else it says."""
    if wanted(question) in ("number", "date", "place", "quote"):
        return False
    return bool(
        _what_someone(question) or _ASKS_PLURAL.search(question)
        or _ASKS_WHY.search(question) or _ASKS_EVENTS.search(question)
        or _ASKS_MANY.search(question)
    )


def events(question: str) -> bool:
    """Whether the question asks what happened: its facts are told in the order they happened."""
    return bool(_ASKS_EVENTS.search(question))


def speaker(question: str) -> str | None:
    """The person or body whose words the question asks for ("What did Lavrov say ...?" ->
    "Lavrov"), when it is named: a name ends in a capitalised word ("Dr. Petrov", "the
    Kremlin"); "Ukrainian officials" is a group, not a speaker to check."""
    m = _what_someone(question)
    if m is None:
        return None
    who = m.group("who").strip(" ,")
    if _JOINED.search(who):  # "the union and the foundation": no one speaker to check
        return None
    # a noun phrase's head comes before its modifiers: "people on Capitol Hill" are people, a
    # group; "Secretary of State Rex Tillerson" is named before the "of" as after it
    head = _MODIFIER.split(who, maxsplit=1)[0]
    if head.split() and not head.split()[-1][:1].isupper():
        return None
    last = who.split()[-1] if who else ""
    return who if last[:1].isupper() and last.lower() not in {"i", "you", "we"} else None


_JOINED = re.compile(r"\s(?:and|or|&)\s", re.I)
_MODIFIER = re.compile(
    r"\s(?:on|in|at|of|from|for|with|about|inside|outside|across|behind|near)\s", re.I
)
