"""The things that cross boundaries: what `answer()` returns and what scripts serialise.

Kept free of heavy imports so `from assistant import Answer` and `assistant --help` stay fast.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum


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


class Kind(StrEnum):
    """What an answer is, for whoever shows it (the chat renders each kind its own way)."""

    ANSWER = "answer"  # grounded, decided, cited
    UNSURE = "unsure"  # a refusal that shows the closest passage as that (`Answer.closest`)
    REFUSAL = "refusal"  # the articles don't say
    LISTING = "listing"  # a question about the corpus, answered from the index: one row per article
    TIMELINE = "timeline"  # a story in order: dated events, each an article's sentence
    SUMMARY = "summary"  # an article or a story in brief: its central sentences


@dataclass(frozen=True)
class PartStats:
    """How one part of a question was decided."""

    asked: str
    verdict: str
    source: str  # whose candidate was decided on: "reader" or "composer"
    grounded: bool
    adds: bool
    kind: bool
    p_yes: float | None
    candidates: int


@dataclass(frozen=True)
class ListingStats:
    topic: str
    count: int  # articles that mention the topic
    shown: int  # of them, listed (up to Settings.list_cap)


@dataclass(frozen=True)
class Stats:
    """What one answer cost the model (summed over its calls) and how each part was decided;
    the bench and the eval read it."""

    prompt_tokens: int = 0
    cached_tokens: int = 0  # of prompt_tokens, reused from the KV cache
    generated_tokens: int = 0
    prefill_s: float = 0.0
    generate_s: float = 0.0
    calls: int = 0  # model calls (0: the model wasn't asked)
    first_token_s: float | None = None  # from the question to the first streamed text
    answer_s: float | None = None
    gated: bool = False  # refused before reading: nothing retrieved was about the question
    parts: tuple[PartStats, ...] = ()
    listing: ListingStats | None = None

    def plus(self, usage) -> Stats:
        """These stats with one more model call's usage (`llm.base.Usage`) added."""
        if usage is None:
            return self
        return replace(
            self,
            prompt_tokens=self.prompt_tokens + usage.prompt_tokens,
            cached_tokens=self.cached_tokens + usage.cached_tokens,
            generated_tokens=self.generated_tokens + usage.generated_tokens,
            prefill_s=round(self.prefill_s + usage.prefill_s, 3),
            generate_s=round(self.generate_s + usage.generate_s, 3),
            calls=self.calls + 1,
        )


@dataclass(frozen=True)
class Trace:
    """What each stage of the answer path passed on, as text, in order: the eval finds where
    an answer was lost. None where a stage didn't run (a refusal before reading)."""

    retrieved: str | None = None  # the retrieved units, each retriever's candidates
    evidence: str | None = None  # the sentences shown to the reader
    reply: str | None = None  # the reader's raw reply
    grounded: str | None = None  # the phrases found in shown sentences, each with its sentence

    def stages(self) -> dict[str, str]:
        """The stages that ran, by name, in order."""
        return {k: v for k, v in asdict(self).items() if v is not None}


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
    stats: Stats = field(default_factory=Stats)  # reader cost and what the check did
    # left out of to_dict(): it is for measuring, and holds every retrieved sentence
    trace: Trace = field(default_factory=Trace, repr=False, compare=False)
    kind: Kind = Kind.ANSWER
    # the question was stopped, or its model time ran out, before every part was read and
    # checked: what stands was decided; `notice` says what is missing
    partial: bool = False

    def __post_init__(self) -> None:
        if self.refused and self.kind is Kind.ANSWER:  # a refusal made without saying its kind
            kind = Kind.UNSURE if self.closest is not None else Kind.REFUSAL
            object.__setattr__(self, "kind", kind)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("trace")
        return data

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


# What `answer_stream()` yields, in this order: the evidence once retrieval is done, the reply as
# the model writes it, then the checked answer (the only event an extractive answer has); and
# between them, what it is doing (`Stage`) while a person waits.


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
class Stage:
    """What the answer path is doing now, for whoever waits ("Reading 10 passages").
    `queued` > 0: waiting for the model, with that many questions ahead."""

    text: str
    queued: int = 0


@dataclass(frozen=True)
class Done:
    answer: Answer


Event = Retrieved | Token | Stage | Done


# an answer's markers: "[1]", and as other backends write them, "[1, 2]" and "[1][3]"
MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
MARKER_GROUP = re.compile(r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+")


def strip_markers(text: str) -> str:
    """Answer text without its [n] markers."""
    return MARKER_GROUP.sub("", text)
