"""Turn a follow-up into a question that stands on its own, before retrieval.

"Where will they meet next?" means nothing to a retriever; with the previous question in front
("Who met Putin in Moscow? Where will they meet next?") it finds the right passages.
"""

from __future__ import annotations

import re

History = list[tuple[str, str]]

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
    said = re.sub(r"\s*\[\d+\]", "", said or "")
    if _ASKS_WHO.match(asked or ""):
        new = [n for n in _NAME.findall(said) if not any(w in asked for w in n.split())]
        if new:
            return new[0]
    named = set(_SINGLE_NAME.findall(asked or ""))
    return named.pop() if len(named) == 1 else None


def standalone(question: str, history: History | None) -> str:
    if not history:
        return question
    previous = next((user for user, _ in reversed(history) if user and user.strip()), "")
    resolved = resolve(question, history)
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
