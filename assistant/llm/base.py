"""What every model backend is given and gives back: a `Prompt`, a `Reader`, its `Usage`.

The answer path builds prompts (pipeline/read.py, the check in pipeline/decide.py, the follow-up
in pipeline/plan.py); a backend only turns one into a reply (`stream`) or into the shares of a
few openings (`choose`). Kept free of any runtime import, so the pipeline depends on this and
not on llama.cpp or an HTTP client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Prompt:
    messages: tuple[dict, ...]
    grammar: str | None = None  # GBNF the reply is held to (a local model; an endpoint parses)
    openings: tuple[str, ...] = ()  # the reply's possible openings, whose shares are read


@dataclass(frozen=True)
class Usage:
    """What one reply cost: the bench and the eval report read it."""

    prompt_tokens: int
    cached_tokens: int  # of prompt_tokens, reused from the previous prompt's KV cache
    generated_tokens: int
    prefill_s: float
    generate_s: float
    first_token_s: float  # from the call to the first generated piece


class Reader:
    """Something that writes a reply to a prompt, piece by piece."""

    name = "reader"

    def stream(self, prompt: Prompt, max_tokens: int) -> Iterator[str]:
        raise NotImplementedError

    def choose(self, prompt: Prompt) -> dict[str, float]:
        """How likely the reply opens with each of `prompt.openings` (shares summing to 1)."""
        raise NotImplementedError

    @property
    def usage(self) -> Usage | None:
        """What the last `stream` or `choose` cost, when the backend can tell."""
        return None


def data(text: str) -> str:
    """Article or user text as one line of data: no tag or line of its own can be faked."""
    return " ".join(text.replace("<", "‹").replace(">", "›").split())
