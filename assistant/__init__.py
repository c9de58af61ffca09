"""Cited answers from a news corpus: `from assistant import answer`."""

from assistant.api import answer, answer_stream, article_text
from assistant.models import Answer, Citation, Done, Retrieved, Source, Stage, Token

__all__ = [
    "Answer", "Citation", "Done", "Retrieved", "Source", "Stage", "Token", "answer", "answer_stream",
    "article_text",
]
