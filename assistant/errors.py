"""Errors a caller can act on. The CLI prints their message and exits with code 2."""

from index.errors import CorpusError, IndexingError, ReadOnlyStore, StoreError, StoreUnreachable


class EmptyQuestion(ValueError):
    """The question is empty or only whitespace."""


class BackendError(RuntimeError):
    """The chosen answer backend is missing or failed (e.g. an LLM endpoint that is down)."""


__all__ = [
    "BackendError",
    "CorpusError",
    "EmptyQuestion",
    "IndexingError",
    "ReadOnlyStore",
    "StoreError",
    "StoreUnreachable",
]
