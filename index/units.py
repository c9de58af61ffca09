"""The unit the index stores and every search returns.

Kept apart from the store (which needs chromadb) so that what reads units, the keyword index,
retrieval and the answer path, depends on this small type and not on the storage behind it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """One indexed unit (a sentence or a table row) as read back from the index: what a
    citation needs, and its similarity to the query when it was found by a search."""

    chunk_id: str
    article_id: str
    title: str
    text: str
    start: int
    end: int
    ordinal: int
    kind: str
    similarity: float  # cosine similarity to the query, or 0.0 when not searched densely
    search_text: str = ""  # what was embedded, when it differs from text (a table row)
    date: str | None = None  # the article's, ISO YYYY-MM-DD, when known
    url: str | None = None

    @property
    def matchable(self) -> str:
        return self.search_text or self.text
