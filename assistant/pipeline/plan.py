"""Plan: what a question asks, as parts that each stand on their own, before retrieval.

A follow-up is made standalone: "Where will they meet next?" means nothing to a retriever; with
the previous question in front ("Who met Putin in Moscow? Where will they meet next?") it finds
the right passages, and the reader, which is not shown the conversation, reads it whole. A
question of several things ("How long ... and how many ...?") is cut into parts, each retrieved
and read on its own (`parts`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.llm.base import Prompt, Reader, Usage, data
from assistant.models import strip_markers

History = list[tuple[str, str]]


@dataclass(frozen=True)
class Ask:
    """One part of a question: as the reader reads it, and as retrieval searches for it."""

    asked: str
    searched: str
    posed: str = ""  # as the user put it (pronouns resolved): what the composer's rules read


@dataclass(frozen=True)
class Plan:
    resolved: str  # the question with what it leaves out filled in from the last turn
    asks: tuple[Ask, ...]


def plan(question: str, history: History, max_parts: int) -> Plan:
    """The parts of a question, each standing on its own (a follow-up made standalone with
    the last turn: the reader is not shown the conversation). Work is bounded: a sentence
    pasted twice is read once, and text of more than `max_parts` parts or sentences is pasted
    text, not a question of so many parts: it is read once, whole."""
    question = once(question)
    resolved = resolve(question, history)
    pieces = parts(resolved)
    if len(pieces) > max_parts or len(_SENTENCE_END.findall(question)) > max_parts:
        pieces = [Part(resolved)]
    if len(pieces) == 1:
        searched = _standalone(question, resolved, history)
        return Plan(resolved, (Ask(searched, searched, resolved),))
    asks = []
    for p in pieces:
        posed = f"{p.context} {p.asked}".strip()
        searched = _standalone(posed, resolve(posed, history), history)
        asks.append(Ask(searched, searched, posed))
    return Plan(resolved, tuple(asks))


_SENTENCE_END = re.compile(r"[.!?]+(?=\s*[A-Z“\"]|\s*$)")


def once(text: str) -> str:
    """The text with a sentence it repeats word for word given once ("Putin met Witkoff.
    Putin met Witkoff. ..." is one sentence)."""
    pieces = re.split(r"(?<=[.!?])\s*(?=[A-Z“\"])", text)
    seen, kept = set(), []
    for piece in pieces:
        key = " ".join(re.findall(r"\w+", piece.lower()))
        if key and key not in seen:
            seen.add(key)
            kept.append(piece.strip())
    return " ".join(kept) if kept else text


def condensed(
    planned: Plan, reader: Reader, question: str, history: History
) -> tuple[Plan, Usage | None]:
    """A one-part follow-up made standalone by the model instead (Settings.followup "model"),
    as llama-index's CondensePlusContextChatEngine does; the plan as it was if it wrote none."""
    written = condense(reader, question, history)
    if not written:
        return planned, reader.usage
    return replace(planned, asks=(Ask(written, written, planned.asks[0].posed),)), reader.usage


def condense_prompt(question: str, history: Sequence[tuple[str, str]]) -> Prompt:
    """llama-index's CondensePlusContextChatEngine prompt, so the comparison is with its way."""
    from llama_index.core.chat_engine.condense_plus_context import (
        DEFAULT_CONDENSE_PROMPT_TEMPLATE,
    )

    turns = "\n".join(
        f"{role}: {data(text)}" for asked, said in history[-2:]
        for role, text in (("user", asked), ("assistant", said)) if text
    )
    text = DEFAULT_CONDENSE_PROMPT_TEMPLATE.format(chat_history=turns, question=data(question))
    return Prompt(({"role": "user", "content": text},))


def condense(reader: Reader, question: str, history: Sequence[tuple[str, str]]) -> str | None:
    """The follow-up as a standalone question written by the model (None if it wrote none)."""
    reply = "".join(reader.stream(condense_prompt(question, history), 48)).strip()
    line = reply.splitlines()[0].strip().strip('"') if reply else ""
    return line or None

_REFERS_BACK = re.compile(
    r"\b(he|she|they|them|him|her|his|hers|their|theirs|it|its|there|that|this|those|these|"
    r"the same|then|also|else|more|other|next)\b",
    re.I,
)


_PERSON_PRONOUN = re.compile(r"\b(he|she|him|his|her)\b", re.I)
_ELLIPSIS = re.compile(r"^\s*(?:and|but|what about|how about)\b[^?]*?\b(of|on|in|for|about|to)\s+(.+?)\??\s*$", re.I)
# an English noun phrase after a preposition in a question ends at its verb or the question mark
_PHRASE_AFTER = r"\b{prep}\s+(.+?)(?=\s+(?:does|do|did|is|are|was|were|has|have|had|will|would|can|could)\b|[?,;]|$)"
_NAME = re.compile(r"\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)+")
_SINGLE_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-z][\w-]+\b(?!’s|'s)")
_ASKS_WHO = re.compile(r"^\s*(who|whom|which|what)\b", re.I)


def resolve(question: str, history: History | None) -> str:
    """The follow-up with what it leaves out filled in from the last turn, where that is clear.

    "And on enforcing the ceasefire?" after "What is Putin's position on demilitarization
    zones?" becomes "What is Putin's position on enforcing the ceasefire?"; "Where is he
    meeting the US envoys?" after an answer naming Rustem Umerov puts his name in for "he".
    Anything less clear is left as asked (and `standalone` adds the previous question).
    """
    if not history:
        return question
    asked, said = history[-1]
    expanded = _expand_ellipsis(question, asked)
    if expanded:
        return expanded
    person = _person(asked, said)
    if person and len(_PERSON_PRONOUN.findall(question)) == 1:
        pronoun = _PERSON_PRONOUN.search(question).group(1).lower()
        name = f"{person}’s" if pronoun in {"his"} else person
        return _PERSON_PRONOUN.sub(name, question, count=1)
    return question


def _expand_ellipsis(question: str, asked: str) -> str | None:
    match = _ELLIPSIS.match(question)
    if not match or not asked:
        return None
    prep, phrase = match.group(1).lower(), match.group(2).strip()
    old = re.search(_PHRASE_AFTER.format(prep=prep), asked, re.I)
    if not old:
        return None
    return asked[: old.start(1)] + phrase + asked[old.end(1) :]


def _person(asked: str, said: str) -> str | None:
    """The one person the last turn is about: the answer to a "who" question, or its subject."""
    said = strip_markers(said or "")
    if _ASKS_WHO.match(asked or ""):
        new = [n for n in _NAME.findall(said) if not any(w in asked for w in n.split())]
        if new:
            return new[0]
    named = set(_SINGLE_NAME.findall(asked or ""))
    return named.pop() if len(named) == 1 else None


def standalone(question: str, history: History | None) -> str:
    """The question as retrieval should search for it, the conversation's gaps filled in."""
    return _standalone(question, resolve(question, history), history)


def _standalone(question: str, resolved: str, history: History | None) -> str:
    """`standalone`, with `resolved` = resolve(question, history) already made."""
    if not history:
        return question
    previous = next((user for user, _ in reversed(history) if user and user.strip()), "")
    if resolved != question and not _REFERS_BACK.search(resolved):
        return resolved
    if not previous or not _needs_context(resolved):
        return resolved
    return f"{previous.strip()} {resolved.strip()}"


def _needs_context(question: str) -> bool:
    words = re.findall(r"[A-Za-z']+", question)
    continues = re.match(r"\s*(and|but|what about|how about)\b", question, re.I)
    return bool(_REFERS_BACK.search(question) or continues) or len(words) <= 4


def normalize(history) -> History:
    """Accept (user, assistant) pairs or OpenAI/Gradio-style {"role", "content"} messages."""
    if not history:
        return []
    pairs: History = []
    pending_user: str | None = None
    for turn in history:
        if isinstance(turn, dict):
            role, content = turn.get("role"), turn.get("content")
            content = content if isinstance(content, str) else ""
            if role == "user":
                if pending_user is not None:
                    pairs.append((pending_user, ""))
                pending_user = content
            elif role == "assistant":
                pairs.append((pending_user or "", content))
                pending_user = None
        else:
            user, reply = (list(turn) + ["", ""])[:2]
            pairs.append((str(user or ""), str(reply or "")))
    if pending_user is not None:
        pairs.append((pending_user, ""))
    return pairs


_PARTS = re.compile(
    r"(?:[,;:]\s*|\s+)and\s+(?=(?:how|what|where|when|who|which|why)\b)|:\s*(?=(?:how|what|where|when|who|which|why)\b)",
    re.I,
)



@dataclass(frozen=True)
class Part:
    """One thing a question asks; context is what the whole question says around it."""

    asked: str
    context: str = ""
    apart: bool = False  # about another story than the other parts (one side of a comparison)


_SCOPES = re.compile(  # "What territory does Russia demand: in the talks, and in his conditions?"
    r"^(?P<head>.+?)\s*[,:;]\s*(?P<prep>in|for|at|on|during|from|about|by)\s+(?P<a>.+?),?\s+and\s+"
    r"(?P=prep)\s+(?P<b>[^?]+)\??\s*$",
    re.I,
)
_LIST = re.compile(  # "Who are the lead negotiators for the US, Ukraine and Russia?"
    r"^(?P<head>.+?)\s+(?P<prep>for|in|of|from|by)\s+(?P<items>[^,?]+(?:,\s*[^,?]+)+,?\s+and\s+[^,?]+?)\??\s*$",
    re.I,
)
_COMPARE = re.compile(
    r"^how (?:does|do|did|is|are|was|were) (?P<a>.+?) (?:differ|compare|contrast) (?:from|to|with) "
    r"(?P<b>[^?]+)\??\s*$|^what (?:is|are|was|were) the differences? between (?P<c>.+?) and "
    r"(?P<d>[^?]+)\??\s*$",
    re.I,
)


def parts(question: str) -> list[Part]:
    """What a question asks, one part per thing, so each part is retrieved and answered itself.

    "How long ... and how many ...?" is two questions; "X: in A, and in B" and "... for A, B and
    C" ask X once per scope; "How does A differ from B?" asks about A and about B (an extractive
    answer puts what each says side by side, it can't say the difference itself).
    """
    question = question.strip()
    compared = _COMPARE.match(question)
    if compared:
        a, b = (compared.group("a") or compared.group("c")), (compared.group("b") or compared.group("d"))
        return [Part(f"What about {a}?", apart=True), Part(f"What about {b.strip()}?", apart=True)]
    scoped = _SCOPES.match(question)
    if scoped:
        head, prep = scoped.group("head").strip(), scoped.group("prep")
        return [Part(f"{head} {prep} {s.strip()}?") for s in (scoped.group("a"), scoped.group("b"))]
    listed = _LIST.match(question)
    if listed and not _PARTS.search(question):
        items = re.split(r",\s*(?:and\s+)?|\s+and\s+", listed.group("items"))
        head, prep = listed.group("head").strip(), listed.group("prep")
        return [Part(f"{head} {prep} {i.strip()}?") for i in items if i.strip()]
    head, *rest = re.split(r":\s*(?=(?:how|what|where|when|who|which|why)\b)", question, maxsplit=1, flags=re.I)
    # "What do the reports say about a ceasefire: what did ... and how does ...?": the head is
    # the topic of each part after the colon, not a question of its own
    context = head.strip(" ?") if rest else ""
    pieces = [p.strip(" ,;:?") for p in _PARTS.split(rest[0] if rest else question)]
    found = [Part(p + "?", context) for p in pieces if len(p.split()) >= 3]
    if len(found) == 1 and context:
        return [Part(found[0].asked, context)]
    return found if len(found) > 1 else [Part(question)]
