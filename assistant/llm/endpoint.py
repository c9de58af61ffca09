"""The OpenAI-compatible endpoint behind `backend=openai`, through llama-index's `OpenAILike`.

Imported only when that backend is chosen; the `llm` extra may be missing, and then the error
names the `pip install` that fixes it. Failures of the endpoint become `BackendError`, which the
CLI prints without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from assistant.errors import BackendError
from assistant.settings import Settings

EXTRA = "pip install 'news-assistant[llm]'"
TEMPERATURE = 0.0  # the same question gets the same answer


def openai_like(settings: Settings):
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError:
        raise BackendError(
            f"backend 'openai' needs the LLM extra, which is not installed: {EXTRA}"
        ) from None
    return OpenAILike(
        model=settings.llm_model,
        api_base=settings.llm_url,
        api_key=settings.llm_api_key,
        is_chat_model=True,
        context_window=settings.llm_context,
        max_tokens=settings.llm_max_tokens,
        temperature=TEMPERATURE,
        timeout=settings.llm_timeout,
        max_retries=0,  # a down endpoint should fail now, with a clear message
    )


@contextmanager
def endpoint_errors(url: str) -> Iterator[None]:
    """The endpoint's failures as BackendError naming the URL."""
    from openai import APIConnectionError, APIStatusError, OpenAIError

    try:
        yield
    except APIConnectionError as err:  # includes timeouts
        raise BackendError(
            f"cannot reach the LLM endpoint at {url} ({err}); is the server running? "
            "(ASSISTANT_LLM_URL)"
        ) from None
    except APIStatusError as err:
        raise BackendError(
            f"the LLM endpoint at {url} answered HTTP {err.status_code}: {err.message}"
        ) from None
    except OpenAIError as err:
        raise BackendError(f"the LLM endpoint at {url} failed: {err}") from None
