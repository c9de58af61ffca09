"""Cited answers from a news corpus: `from assistant import answer`."""

from assistant.api import answer
from assistant.models import Answer, Citation

__all__ = ["Answer", "Citation", "answer"]
