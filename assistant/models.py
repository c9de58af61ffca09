"""The things that cross boundaries: what `answer()` returns and what scripts serialise.

Kept free of heavy imports so `from assistant import Answer` and `assistant --help` stay fast.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: a verbatim passage and where it sits in its article.

    `article_text(article_id)[start:end] == quote` always holds, so any reader can check the
    citation. `date` (ISO YYYY-MM-DD) and `url` are the article's, when its front matter or its
    export row says.
    """

    n: int
    article_id: str
    title: str
    quote: str
    start: int
    end: int
    score: float
    date: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Answer:
    """An answer whose markers `[n]` refer to `citations[n-1]`.

    `retrieved` lists the article ids of the retrieved passages, best first (repeats removed);
    the eval harness scores retrieval with it. `question` is the standalone question actually
    searched, which differs from what was asked when a follow-up was rewritten using history.
    """

    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    question: str = ""
    retrieved: list[str] = field(default_factory=list)
    backend: str = ""
    notice: str = ""  # e.g. why the answer came from the extractive composer, not the model
    # when refused because not sure: the passage that came closest, shown as that, not cited
    closest: Citation | None = None
    stats: dict = field(default_factory=dict)  # reader cost and what the check did
    # what each stage of the answer path passed on, as text, in order (retrieved units, the
    # evidence shown, the reader's raw reply, ...): the eval finds where an answer was lost.
    # Left out of to_dict(): it is for measuring, and holds every retrieved sentence.
    trace: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("trace")
        return data

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


# What `answer_stream()` yields, in this order: the evidence once retrieval is done, the reply as
# the model writes it, then the checked answer (the only event an extractive answer has).


@dataclass(frozen=True)
class Source:
    """One numbered evidence passage, as the reader was shown it."""

    n: int
    article_id: str
    title: str
    text: str


@dataclass(frozen=True)
class Retrieved:
    sources: list[Source]


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Done:
    answer: Answer


Event = Retrieved | Token | Done
