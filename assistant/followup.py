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


def standalone(question: str, history: History | None) -> str:
    if not history:
        return question
    previous = next((user for user, _ in reversed(history) if user and user.strip()), "")
    if not previous or not _needs_context(question):
        return question
    return f"{previous.strip()} {question.strip()}"


def _needs_context(question: str) -> bool:
    words = re.findall(r"[A-Za-z']+", question)
    return bool(_REFERS_BACK.search(question)) or len(words) <= 4


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
