"""The dates a question is about, as retrieval filters and orders by them.

Read from the question by the answer path (pipeline/when.py); here only what searching needs of
it. Undated articles are never excluded by a period: nothing says they are outside it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    """The dates a question is about: [start, end) as ISO dates, either open; `recent` when it
    asks for the newest report."""

    start: str | None = None
    end: str | None = None
    recent: bool = False
    phrase: str = ""  # the words that said it
    dated: str = ""  # of those, the date itself with its preposition ("on 15 March 2017")

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None

    def holds(self, date: str | None) -> bool:
        """Whether an article of `date` may answer: undated ones always may."""
        if date is None:
            return True
        return (self.start is None or date >= self.start) and (self.end is None or date < self.end)
