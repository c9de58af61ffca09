"""Taking turns at the model: one question at a time, first come first served, place shown.

A question's model calls (the reading, the checks) run back to back: interleaved with another
question's, each would evict the other's evidence from the KV cache and both would wait longer.
So a question takes the model's turn at its first call and keeps it until it is answered; one
that waits is told its place in the queue, and a stopped one leaves the queue (or frees the
model) at once. The model time a question may use is capped from when its turn comes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from assistant.llm.base import Cancel, Prompt, Reader, Usage

WAIT_STEP_S = 1.0  # how often a waiting question is told its place


class Turns:
    """A first-come-first-served queue for one model."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[object] = []  # tickets, the head's holder has the model

    def wait(self, cancel: Cancel, on_wait: Callable[[int], None]) -> object:
        """Join the queue and wait for the model; `on_wait(place)` is called while waiting
        (place 1: next). Raises `Cancelled` when stopped meanwhile, having left the queue."""
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            try:
                while self._queue[0] is not ticket:
                    cancel.raise_if_set()
                    on_wait(self._queue.index(ticket))
                    self._cond.wait(WAIT_STEP_S)
                cancel.raise_if_set()
            except BaseException:
                self._leave(ticket)
                raise
        return ticket

    def release(self, ticket: object) -> None:
        with self._cond:
            self._leave(ticket)

    def _leave(self, ticket: object) -> None:
        if ticket in self._queue:
            self._queue.remove(ticket)
            self._cond.notify_all()

    @property
    def waiting(self) -> int:
        with self._cond:
            return max(0, len(self._queue) - 1)


class TurnReader(Reader):
    """A reader bound to one question: its first call waits for the model's turn (telling
    `on_wait` its place, then 0 when the turn comes after a wait), every call can be stopped
    by `cancel`, and the model time from the turn on is capped at `ceiling_s`. `close()` gives
    the turn back."""

    def __init__(
        self,
        inner: Reader,
        turns: Turns,
        cancel: Cancel,
        ceiling_s: float,
        on_wait: Callable[[int], None] = lambda place: None,
    ) -> None:
        self.inner, self.turns, self.cancel = inner, turns, cancel
        self.ceiling_s, self.on_wait = ceiling_s, on_wait
        self.name = inner.name
        self._ticket: object | None = None

    def _turn(self) -> None:
        if self._ticket is None:
            places: list[int] = []

            def told(place: int) -> None:
                places.append(place)
                self.on_wait(place)

            self._ticket = self.turns.wait(self.cancel, told)
            self.cancel.after(self.ceiling_s)
            if places:
                self.on_wait(0)  # no longer waiting: whoever shows the place says so

    def stream(
        self, prompt: Prompt, max_tokens: int, cancel: Cancel | None = None
    ) -> Iterator[str]:
        self._turn()
        return self.inner.stream(prompt, max_tokens, self.cancel)

    def choose(self, prompt: Prompt, cancel: Cancel | None = None) -> dict[str, float]:
        self._turn()
        return self.inner.choose(prompt, self.cancel)

    @property
    def usage(self) -> Usage | None:
        return self.inner.usage

    @property
    def waited(self) -> bool:
        return self._ticket is not None

    def close(self) -> None:
        self.cancel.done()
        if self._ticket is not None:
            self.turns.release(self._ticket)
            self._ticket = None
