"""The reader's own llama.cpp model as a llama-index LLM, for the naive pipeline of the benchmark.

llama-index's `LlamaCPP` class needs llama-cpp-python (an 8-minute source build here), so this
small `CustomLLM` drives the already loaded `assistant.llm.runtime.LocalModel` instead: the same
GGUF file, the same weights in memory, the same greedy sampling and thread count. A prompt from
llama-index is sent as one user message rendered with the model's own chat template (what
`LlamaCPP` does with a `messages_to_prompt` for the model), streamed, and the token counts and
timings of every call are kept, so the benchmark can report the naive pipeline's prompt tokens,
prefill and generation speed the same way as the reader's.
"""

from __future__ import annotations

import time
from typing import Any

from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr


class LocalModelLLM(CustomLLM):
    """A llama-index LLM over a `LocalModel` (or anything with its `n_ctx`, `stream`, `last`).

    `context_window` is the model's n_ctx and `num_output` the most tokens one reply may have
    (llama-index's prompt helper keeps that much room free). `calls` holds the `Usage` of every
    completion since `reset()`, `first_piece_at` the perf_counter time of the first piece any of
    them wrote: one llama-index query may call the model more than once (refine).
    """

    context_window: int = 4096
    num_output: int = 256
    model_name: str = "local-gguf"

    _model: Any = PrivateAttr()
    _calls: list = PrivateAttr(default_factory=list)
    _first_piece_at: float | None = PrivateAttr(default=None)

    def __init__(self, model: Any, num_output: int = 256, **kwargs: Any) -> None:
        name = getattr(getattr(model, "path", None), "name", None) or "local-gguf"
        super().__init__(
            context_window=model.n_ctx, num_output=num_output, model_name=name, **kwargs
        )
        self._model = model

    @classmethod
    def class_name(cls) -> str:
        return "LocalModelLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.num_output,
            model_name=self.model_name,
            is_chat_model=False,
        )

    @property
    def calls(self) -> list:
        return list(self._calls)

    @property
    def first_piece_at(self) -> float | None:
        return self._first_piece_at

    def reset(self) -> None:
        self._calls = []
        self._first_piece_at = None

    def _pieces(self, prompt: str, formatted: bool):
        if not formatted:
            prompt = self.completion_to_prompt(prompt)
        messages = [{"role": "user", "content": prompt}]
        self._model.last = None  # so a call that fails before its first token records nothing stale
        try:
            for piece in self._model.stream(messages, self.num_output):
                if self._first_piece_at is None:
                    self._first_piece_at = time.perf_counter()
                yield piece
        finally:
            if self._model.last is not None:
                self._calls.append(self._model.last)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(self._pieces(prompt, formatted)))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            text = ""
            for piece in self._pieces(prompt, formatted):
                text += piece
                yield CompletionResponse(text=text, delta=piece)

        return gen()
