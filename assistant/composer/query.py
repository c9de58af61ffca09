"""What a question asks for: its key terms (weighted by rarity) and the kind of answer it wants.

A sentence answers a question when it covers the question's rare terms and holds the wanted kind
of thing (a number for "how many", a name for "who", a place for "where", a date for "when")
beyond what the question itself already says. Those two checks are what let the answerer say
"the articles don't say" to a question that is on topic but not answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.pipeline.kinds import DATE, NUMBER, ROLE, SPEAKER, measure, wanted

if TYPE_CHECKING:
    from assistant.settings import ComposerWeights
    from search.keywords import KeywordIndex

_QUOTED = re.compile(r"“([^”]{2,})”|\"([^\"]{2,})\"")
_YEAR = re.compile(r"(19|20)\d\d")
_NAME = re.compile(r"\b[A-Z][a-zA-Z’'-]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][a-zA-Z’'-]+)*")
_PLACE = re.compile(r"\b(?:in|to|at|near|from|into|toward)\s+(?:the\s+)?((?:[A-Z][a-zA-Z-]+\s?){1,3})")
# "Which European leaders ...?", "Who are the negotiators?": more than one name is the answer
_SEVERAL = re.compile(r"\b(which|what) (\w+ ){0,2}" + ROLE + r"s\b|\bwho (are|were)\b", re.I)
_SPECIFIC_ROLES = {
    "ambassador", "minister", "chancellor", "envoy", "negotiator", "adviser", "advisor",
    "spokesman", "spokeswoman", "expert",
}
_QUESTION_WORDS = {
    "how", "mani", "much", "what", "which", "who", "whom", "whose", "when", "where", "whi",
    "name", "exact", "kind", "type", "accord", "say", "said", "tell", "describ", "mean",
    "rate", "character", "characteris", "call", "assess",  # the frame of a quote question
}
_SPEECH_FRAME = "say says said saying tell tells told"
# a capitalised word after the first: "Kyiv", "Manchester United", "Witkoff" (not "What"), but
# not an abbreviation, which articles spell in other ways ("US", "U.S.", "United States")
_ASKED_NAME = re.compile(r"(?<!^)(?<![.?!:]\s)\b(?![A-Z]{2,4}\b)[A-Z][\w’'-]*")
# where the thing asked about happened: "the strike on Odesa" (not "the Moscow talks")
_ASKED_PLACE = re.compile(r"\b(?:in|on|at|near)\s+((?![A-Z]{2,4}\b)[A-Z][\w-]+(?:\s+[A-Z][\w-]+)*)")


@dataclass(frozen=True)
class Query:
    asked: str  # the question as asked
    text: str  # the standalone question that is searched
    focus: dict[int, float]  # term id -> weight (idf), from the question as asked
    unknown: float = 0.0  # weight of the question's words that no passage contains
    context: dict[int, float] = field(default_factory=dict)  # from earlier turns, weaker
    wants: str | None = None
    known: str = ""  # text whose names/numbers are not news (the question and its context)

    numbers: tuple[str, ...] = ()  # numbers the question names; an answer must mention them
    names: frozenset[int] = frozenset()  # terms of the names it asks about; their article must too
    places: frozenset[int] = frozenset()  # "in Kyiv", "on Odesa": the answer's sentence must too
    said: str = ""  # the previous answer: a follow-up wants something new, not a repeat
    several: bool = False  # asks for more than one name ("Which leaders ...?")


def analyse(
    asked: str, standalone: str, keywords: KeywordIndex, weights: ComposerWeights, said: str = ""
) -> Query:
    idf = keywords.idf
    # "What did Macron say?" asks for what he said, not for a sentence with "say" in it, and
    # "How did Trump rate the talks?" is answered by "Trump characterized them as ..."
    speaker = SPEAKER.search(asked)
    frame = keywords.terms(f"{_SPEECH_FRAME} {speaker.group(2) if speaker else ''}")
    focus = {t: idf[t] for t in keywords.terms(asked) if t not in frame}
    context_text = standalone[: max(0, len(standalone) - len(asked))] if standalone != asked else ""
    context = {t: weights.earlier_turn_weight * idf[t] for t in keywords.terms(context_text) if t not in focus}
    missing = len(keywords.unknown_terms(asked) - _QUESTION_WORDS)
    # "point 7" must be in the answer; "in late 2024" only dates the question
    numbers = tuple(n for n in re.findall(r"\b\d+\b", asked) if not _YEAR.fullmatch(n))
    names = frozenset(keywords.terms(" ".join(_ASKED_NAME.findall(asked))))
    places = frozenset(keywords.terms(" ".join(_ASKED_PLACE.findall(asked))))
    return Query(
        asked, standalone, focus, missing * weights.unknown_weight * keywords.median_idf, context,
        wanted(asked), standalone, numbers, names, places, said,
        asks_several(asked),
    )


def asks_several(question: str) -> bool:
    """Whether the answer is more than one person: "Which leaders ...?", not "Who leads ...?"."""
    return wanted(question) == "name" and bool(_SEVERAL.search(question))


def coverage(query: Query, sentence_terms: set[int]) -> float:
    """Share of the asked question's term weight (words no passage has included) in a sentence.

    Earlier turns are left out: a follow-up is answered by what it asks, not by repeating the
    last answer; `context_coverage` lets them break ties.
    """
    if not query.focus and not query.unknown:
        return context_coverage(query, sentence_terms)
    got = sum(w for t, w in query.focus.items() if t in sentence_terms)
    return got / (sum(query.focus.values()) + query.unknown)


def context_coverage(query: Query, sentence_terms: set[int]) -> float:
    total = sum(query.context.values())
    if not total:
        return 0.0
    return sum(w for t, w in query.context.items() if t in sentence_terms) / total


def holds_answer(query: Query, text: str) -> bool:
    """Whether text holds the kind of thing asked for, beyond what the question already says."""
    if any(not re.search(rf"\b{n}\b", text) for n in query.numbers):
        return False
    if not _same_time(query.asked, text) or not _same_casualties(query.asked, text):
        return False
    if query.wants is None:
        return True
    values = answer_values(query, text)
    if query.wants == "name" and values:
        return _named_in_role(query.asked, text, values)
    if query.wants == "quote" and values:
        return _by_speaker(query.asked, text)
    return bool(values)


def _by_speaker(question: str, text: str) -> bool:
    """"How did Trump rate the talks?" wants Trump's words: a sentence quoting Putin is no answer.

    Only a named speaker is checked ("How did they describe it?" leaves it to the other checks).
    """
    found = SPEAKER.search(question)
    words = found.group(1).split() if found else []
    names = [re.sub(r"[’']s$", "", w) for w in words if w[:1].isupper()]
    return all(re.search(rf"\b{re.escape(n)}\b", text) for n in names)


_ASKS_FUTURE = re.compile(r"\b(will|next|upcoming|going to)\b", re.I)
_ASKS_PAST = re.compile(r"^\s*(\w+\s+){0,3}?(did|was|were|had)\b", re.I)
_PROSPECTIVE = re.compile(
    r"\b(will|next|upcoming|later|tomorrow|(scheduled|set|expected|preparing|planning|plans?|due|going) to|"
    r"preparing for|subsequent)\b",
    re.I,
)

# said of the event itself, not of something inside reported speech ("warned the US will ...")
_PLANNED = re.compile(
    r"\b((scheduled|set|expected|preparing|planning|plans?|due) to|preparing for|subsequent)\b", re.I
)


def _same_time(question: str, text: str) -> bool:
    """A question about what will happen wants a sentence about the future, and a question about
    what happened is not answered by a sentence saying it is still to come.

    "On what date will they hold their next summit?" is not answered by "talks on Tuesday";
    "What was agreed at the Miami meeting?" is not answered by "they are preparing to meet in
    Miami". News reports the past in every tense but this one, so only the prospective is checked.
    """
    if _ASKS_FUTURE.search(question):
        return bool(_PROSPECTIVE.search(text))
    if _ASKS_PAST.search(question):
        return not _PLANNED.search(text)
    return True


_CASUALTIES = {
    "killed": re.compile(r"\b(kill(s|ed|ing)?|dead|died|deaths?|fatalit(y|ies)|lives)\b", re.I),
    "wounded": re.compile(r"\b(wound(s|ed)?|injur(y|ies|ed|ing)|hurt)\b", re.I),
}


def _same_casualties(question: str, text: str) -> bool:
    """"How many were killed?" is not answered by a count of the wounded, nor the other way round.

    The commonest mix-up in casualty reports, and one word-overlap can't see: the sentence shares
    every other word of the question.
    """
    asked = {kind for kind, p in _CASUALTIES.items() if p.search(question)}
    if len(asked) != 1:
        return True
    (kind,) = asked
    return bool(_CASUALTIES[kind].search(text)) or not any(p.search(text) for p in _CASUALTIES.values())


def _named_in_role(question: str, text: str, names: set[str]) -> bool:
    """'Who is the ambassador?' wants the name beside "ambassador" when the sentence has that word.

    A sentence naming a minister and, nine words later, an unnamed ambassador does not answer it.
    """
    roles = {m.group(0).lower() for m in re.finditer(ROLE, question, re.I)}
    words = re.findall(r"[\w’'-]+", text.lower())
    spots = [i for i, w in enumerate(words) if w.rstrip("s") in roles or w in roles]
    if not spots:
        return not (roles & _SPECIFIC_ROLES)  # "the ambassador" is not whoever else is named
    for name in (n for n in names if len(n.split()) >= 2):  # a person: first and last name
        first = name.split()[0]
        for i, w in enumerate(words):
            if w == first and any(abs(i - j) <= 5 for j in spots):
                return True
        # an appositive: "Yuri Ushakov, Putin's senior foreign policy adviser and principal negotiator"
        for role in roles:
            if re.search(rf"{re.escape(name)},[^,;.]*?\b{role}", text, re.I):
                return True
    return False


def answer_values(query: Query, text: str) -> set[str]:
    """The numbers, names, places or dates in text that the question asks for and doesn't say."""
    if query.wants == "number":
        unit = measure(query.asked) or NUMBER
        found = [m.group(0) for m in unit.finditer(text)]
    elif query.wants == "date":
        found = [m.group(0) for m in DATE.finditer(text)]
    elif query.wants == "name":
        found = [m.group(0) for m in _NAME.finditer(text) if not _sentence_start_only(m, text)]
    elif query.wants == "place":
        found = [m.group(1).strip() for m in _PLACE.finditer(text)]
    elif query.wants == "quote":
        found = [a or b for a, b in _QUOTED.findall(text)]
    else:
        return set()
    known = query.known.lower()
    return {v.strip().lower() for v in found if _is_new(v, known)}


def _sentence_start_only(match: re.Match, text: str) -> bool:
    """A single capitalised word at the start of a sentence is not a name."""
    return " " not in match.group(0).strip() and (match.start() == 0 or text[match.start() - 2 : match.start()].strip() in {".", ""})


def _is_new(value: str, known: str) -> bool:
    known_words = {w.rstrip("’'s") for w in re.findall(r"[\w’'-]+", known)}
    words = [w for w in re.findall(r"[\w’'-]+", value.lower()) if len(w) > 1 or w.isdigit()]
    return bool(words) and any(w.rstrip("’'s") not in known_words for w in words)
