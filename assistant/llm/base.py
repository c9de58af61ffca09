"""What every model backend is given and gives back: a `Prompt`, a `Reader`, its `Usage`.

The answer path builds prompts (pipeline/read.py, the check in pipeline/decide.py, the follow-up
in pipeline/plan.py); a backend only turns one into a reply (`stream`) or into the shares of a
few openings (`choose`). Kept free of any runtime import, so the pipeline depends on this and
not on llama.cpp or an HTTP client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Prompt:
    messages: tuple[dict, ...]
    grammar: str | None = None  # GBNF the reply is held to (a local model; an endpoint parses)
    openings: tuple[str, ...] = ()  # the reply's possible openings, whose shares are read
    prefix: str = ""  # for `choose`: the reply's opening already written, before the openings


@dataclass(frozen=True)
class Usage:
    """What one reply cost: the bench and the eval report read it."""

    prompt_tokens: int
    cached_tokens: int  # of prompt_tokens, reused from the previous prompt's KV cache
    generated_tokens: int
    prefill_s: float
    generate_s: float
    first_token_s: float  # from the call to the first generated piece


class Cancelled(Exception):
    """A model call ended early: the person stopped the question (`why` "stopped") or its
    model time ran out (`why` "time")."""

    def __init__(self, why: str) -> None:
        super().__init__(f"cancelled: {why}")
        self.why = why


class Cancel:
    """One question's stop signal, set from another thread (a Stop button, a closed tab, a
    deadline). A model call in progress registers a hook that aborts its decode at once
    (llama.cpp polls an abort flag inside a batch), and checks `raise_if_set` between tokens."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._why: str | None = None
        self._hooks: list[Callable[[], None]] = []
        self._timer: threading.Timer | None = None

    def set(self, why: str = "stopped") -> None:
        with self._lock:
            if self._why is not None:
                return
            self._why = why
            hooks = list(self._hooks)
        for hook in hooks:
            hook()

    def after(self, seconds: float) -> None:
        """Set this ("time") `seconds` from now, unless it is set before."""
        with self._lock:
            if self._timer is None and self._why is None:
                self._timer = threading.Timer(seconds, self.set, args=("time",))
                self._timer.daemon = True
                self._timer.start()

    def done(self) -> None:
        """The question is answered: a deadline still pending won't fire."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()

    @property
    def why(self) -> str | None:
        return self._why

    def raise_if_set(self) -> None:
        if self._why is not None:
            raise Cancelled(self._why)

    def hook(self, action: Callable[[], None]) -> _Hooked:
        """`with cancel.hook(abort):` runs `abort` if the signal comes while inside."""
        return _Hooked(self, action)


class _Hooked:
    def __init__(self, cancel: Cancel, action: Callable[[], None]) -> None:
        self.cancel, self.action = cancel, action

    def __enter__(self) -> None:
        with self.cancel._lock:
            self.cancel._hooks.append(self.action)
            already = self.cancel._why is not None
        if already:
            self.action()

    def __exit__(self, *exc) -> None:
        with self.cancel._lock:
            self.cancel._hooks.remove(self.action)


class Reader:
    """Something that writes a reply to a prompt, piece by piece. `cancel`, when given, ends
    a call early with `Cancelled` (as soon as the backend can: a local model at once)."""

    name = "reader"

    def stream(
        self, prompt: Prompt, max_tokens: int, cancel: Cancel | None = None
    ) -> Iterator[str]:
        raise NotImplementedError

    def choose(self, prompt: Prompt, cancel: Cancel | None = None) -> dict[str, float]:
        """How likely the reply opens with each of `prompt.openings` (shares summing to 1)."""
        raise NotImplementedError

    @property
    def usage(self) -> Usage | None:
        """What the last `stream` or `choose` cost, when the backend can tell."""
        return None


def data(text: str) -> str:
    """Article or user text as one line of data: no tag or line of its own can be faked."""
    return " ".join(text.replace("<", "‹").replace(">", "›").split())


def option_paths(
    options: Mapping[str, tuple[int, ...]],
    distribution: Callable[[tuple[int, ...], Sequence[int]], Mapping[int, float]],
) -> dict[str, float]:
    """Each option's probability as a path of tokens ("1", "12" after "SENTENCES: "), held to
    the options as a grammar would hold them: at each token, the path ends there (when it is
    an option) or goes on by a token that some option continues with; renormalised over the
    options. `distribution(path, tokens)` is the model's probability of each of `tokens` after
    `path`; it is asked once per token shared by options (a backend decodes or requests it),
    depth first, and never for a path whose probability is already 0."""
    named = {path: name for name, path in options.items()}
    going_on = {path[:k] for path in options.values() for k in range(len(path))}
    probability: dict[str, float] = {}

    def walk(path: tuple[int, ...], reach: float) -> None:
        nexts = sorted({o[len(path)] for o in options.values()
                        if o[: len(path)] == path and len(o) > len(path)})
        soft = distribution(path, nexts)
        going = sum(soft.get(t, 0.0) for t in nexts)
        ending = max(1.0 - going, 1e-12) if path in named else 0.0
        if going + ending <= 0:
            return
        if path in named:
            probability[named[path]] = reach * ending / (going + ending)
        for token in nexts:
            longer = (*path, token)
            step = reach * soft.get(token, 0.0) / (going + ending)
            if longer not in going_on:  # a leaf: its probability needs no more of the model
                probability[named[longer]] = step
            elif step > 0:
                walk(longer, step)

    walk((), 1.0)
    total = sum(probability.values()) or 1.0
    return {name: probability.get(name, 0.0) / total for name in options}


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n
