"""Errors the index raises on bad input; the CLI turns them into a message and an exit code."""


class IndexingError(Exception):
    """Base class: something about the corpus or the index stops us from going on."""


class CorpusError(IndexingError):
    """The corpus directory is missing, not a directory, or holds no readable article."""


class StoreError(IndexingError):
    """The vector store cannot be reached or opened (e.g. a Chroma server that is down)."""


class ReadOnlyStore(StoreError):
    """The data dir cannot be written, and what was asked needs a write (building the index)."""


class StoreUnreachable(StoreError):
    """The Chroma server stopped answering in the middle of a command."""
