"""The function scripts call: `answer(question, history=None) -> Answer`."""

from __future__ import annotations

from assistant.errors import EmptyQuestion
from assistant.models import Answer
from assistant.settings import Settings


def answer(
    question: str, history=None, *, article: str | None = None, settings: Settings | None = None
) -> Answer:
    """Answer from the indexed articles, citing each claim; refuse when they don't say.

    `history` is the conversation so far, as (user, assistant) pairs or role/content messages;
    a follow-up is rewritten into a standalone question with it. `article` is the one article
    a request is about ("Summarize this article"). The index is built on first use if there
    is none.
    """
    from assistant.engine import get_engine

    question = clean_question(question)
    return get_engine(settings).answer(question, history, article=article)


def clean_question(question: str) -> str:
    """The question with its whitespace folded; an empty one is an error. (A long one is cut
    by the engine, to Settings.max_question_chars, which its answer's notice says.)"""
    if not isinstance(question, str):
        raise EmptyQuestion(f"the question must be text, not {type(question).__name__}")
    question = " ".join(question.split())
    if not question:
        raise EmptyQuestion("the question is empty; ask something about the articles")
    return question


def article_text(article_id: str, *, settings: Settings | None = None) -> str:
    """The text an article's citations index into, as it was indexed: a file's text exactly
    as read (BOM and CRLF kept), an export row's text field. Raises KeyError for an id the
    index doesn't hold."""
    from assistant.engine import get_engine

    engine = get_engine(settings)
    engine.ensure_index()
    texts = engine.store.article_texts([article_id])
    if article_id not in texts:
        raise KeyError(f"no article {article_id!r} in the index")
    return texts[article_id][1]


def answer_stream(
    question: str, history=None, *, article: str | None = None, settings: Settings | None = None
):
    """`answer()` as it happens, for the web chat and the CLI.

    Yields `Retrieved` (the numbered evidence passages) once retrieval is done, `Token`s as the
    reader writes, and last `Done` with the checked `Answer`, the same one `answer()` returns.
    The streamed text is the model's draft; only `Done.answer` has been checked.
    """
    from assistant.engine import get_engine

    question = clean_question(question)
    yield from get_engine(settings).stream(question, history, article=article)
