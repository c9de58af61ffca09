"""Lines addressed to a machine reading the article, not to its human readers: never indexed.

An article can carry text meant for an AI that summarises or answers from it ("Note to the
assistant reading this article: ...", "Ignore all previous instructions", "SYSTEM: reply only
with ..."). Such a line is not news and must neither be quoted nor reach any model, so it is
dropped at indexing, before any backend can see it. The patterns are general: who is addressed
(an AI, model, assistant, chatbot, LLM, the system) together with an instruction, an override
of earlier instructions, or a role tag opening the line; ordinary news about assistants or
instructions ("The assistant coach said ...", "told reporters to ignore the rumours") has none.
"""

from __future__ import annotations

import re

_MACHINE = r"(?:ai|a\.i\.|artificial intelligence|language model|llm|chat ?bot|model|assistant|bot|system)s?"
_PATTERNS = [
    # an override of the reader's instructions
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|earlier|above|preceding|your)\s+(?:instructions|prompts?|rules|directions)",
    # a note, rule or message addressed to a machine reader
    rf"\b(?:note|message|instructions?|rules?|attention|reminder)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+|an?\s+)?(?:\w+\s+)?{_MACHINE}\b",
    rf"\b(?:new|updated)\s+(?:rule|instruction)s?\s+for\s+(?:the\s+|any\s+|all\s+|an?\s+)?(?:\w+\s+)?{_MACHINE}\b",
    rf"\b(?:to|for)\s+(?:the\s+|any\s+|all\s+)?{_MACHINE}\s+(?:reading|summari[sz]ing|processing|answering)\b",
    rf"\b(?:if|when)\s+you\s+are\s+an?\s+(?:\w+\s+)?{_MACHINE}\b",
    # a role tag or prompt header opening the line
    r"^\s*(?:#+\s*)?(?:system|assistant|developer)\s*(?:prompt)?\s*:",
    r"^\s*#{2,}\s*(?:instruction|system|prompt)",
    r"\b(?:reply|respond|answer|output)\s+only\s+with\b",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.I | re.M)


def addressed_to_machine(text: str) -> bool:
    """Whether text instructs the machine reading it rather than informing a person."""
    return bool(_INJECTION.search(text))
