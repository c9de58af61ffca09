"""A GGUF model in-process through llama.cpp (the prebuilt `cyllama` wheel), greedy and streamed.

Why not cyllama's high-level `LLM` or llama-cpp-python: `LLM` hides the thread count and clears
the KV cache before every prompt, and llama-cpp-python is an 8-minute source build here. This
drives llama.cpp's context directly, which buys the one thing that matters most on a CPU: the
prompt's tokens that equal the last prompt's (the fixed instructions, ~250 tokens, a prompt
token costing ~20 ms on 2 cores) are kept in the KV cache and not computed again.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import BackendError

INSTALL = "pip install cyllama==0.2.18"


@dataclass(frozen=True)
class Usage:
    """What one reply cost: the bench and the eval report read it."""

    prompt_tokens: int
    cached_tokens: int  # of prompt_tokens, reused from the previous prompt's KV cache
    generated_tokens: int
    prefill_s: float
    generate_s: float
    first_token_s: float  # from the call to the first generated piece


class LocalModel:
    """One GGUF model and one llama.cpp context; one reply at a time (contexts aren't thread-safe)."""

    def __init__(self, path: Path, n_ctx: int = 4096, threads: int | None = None) -> None:
        try:
            from cyllama.llama import llama_cpp as L
        except ImportError:
            raise BackendError(f"the reader needs the llama.cpp runtime: {INSTALL}") from None
        self._L = L
        L.disable_logging()
        L.ggml_backend_load_all()
        started = time.perf_counter()
        params = L.LlamaModelParams()
        params.n_gpu_layers = 0
        try:
            self.model = L.LlamaModel(str(path), params)
        except Exception as err:  # noqa: BLE001 - llama.cpp raises plain errors for bad files
            raise BackendError(f"cannot load the GGUF model {path}: {err}") from None
        self.load_s = time.perf_counter() - started
        self.path = Path(path)
        self.vocab = self.model.get_vocab()
        self.n_ctx = n_ctx
        self.threads = threads or os.cpu_count() or 1
        cp = L.LlamaContextParams()
        cp.n_ctx = n_ctx
        cp.n_batch = 512
        cp.n_threads = cp.n_threads_batch = self.threads
        cp.no_perf = True
        self.ctx = L.LlamaContext(self.model, cp)
        self._template = self.model.get_default_chat_template()
        self._cached: list[int] = []  # the tokens whose keys and values the context holds
        self._lock = threading.Lock()
        self.last: Usage | None = None

    def render(self, messages: Sequence[dict]) -> str:
        """The prompt text of chat messages, by the chat template stored in the model file."""
        L = self._L
        chat = [L.LlamaChatMessage(role=m["role"], content=m["content"]) for m in messages]
        if self._template:
            return self.model.chat_apply_template(self._template, chat, True)
        return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + (
            "<|im_start|>assistant\n"
        )

    def count_tokens(self, text: str) -> int:
        return len(self.vocab.tokenize(text, add_special=False, parse_special=False))

    def stream(
        self, messages: Sequence[dict], max_tokens: int, opening_bias: Mapping[int, float] | None = None
    ) -> Iterator[str]:
        """The reply to messages, piece by piece, greedy (the same question, the same answer).

        `opening_bias` is added to the logits of those tokens for the reply's first token only,
        so a reply can be made less likely to open a certain way and still end any way.
        """
        with self._lock:
            yield from self._stream(self.render(messages), max_tokens, opening_bias or {})

    def _stream(self, prompt: str, max_tokens: int, opening_bias: Mapping[int, float]) -> Iterator[str]:
        L = self._L
        started = time.perf_counter()
        tokens = self.vocab.tokenize(prompt, add_special=True, parse_special=True)
        if len(tokens) + max_tokens > self.n_ctx:
            raise BackendError(
                f"the prompt has {len(tokens)} tokens, more than the model's context of "
                f"{self.n_ctx} allows with {max_tokens} to write"
            )
        keep = _common_prefix(self._cached, tokens)
        keep = min(keep, len(tokens) - 1)  # the last prompt token is decoded for its logits
        self.ctx.memory_seq_rm(0, keep, -1)
        self._cached = tokens[:keep]
        for lo in range(keep, len(tokens), 512):
            batch = tokens[lo : lo + 512]
            self.ctx.decode(L.llama_batch_get_one(batch, lo))
            self._cached += batch
        prefilled = time.perf_counter()
        sampler = _greedy(L)
        opening = _greedy(L, self.vocab.n_vocab, opening_bias) if opening_bias else sampler
        made: list[int] = []
        shown = ""
        first = None
        try:
            for step in range(max_tokens):
                token = (opening if step == 0 else sampler).sample(self.ctx, -1)
                if self.vocab.is_eog(token):
                    break
                made.append(token)
                text = self.vocab.detokenize(made, False, False)
                # a piece may end inside a multi-byte character; wait for the rest of it
                if text[len(shown) :] and not text.endswith("\ufffd"):
                    if first is None:
                        first = time.perf_counter() - started
                    yield text[len(shown) :]
                    shown = text
                self.ctx.decode(L.llama_batch_get_one([token], len(self._cached)))
                self._cached.append(token)
        finally:
            done = time.perf_counter()
            self.last = Usage(
                prompt_tokens=len(tokens),
                cached_tokens=keep,
                generated_tokens=len(made),
                prefill_s=prefilled - started,
                generate_s=done - prefilled,
                first_token_s=first if first is not None else done - started,
            )


def _greedy(L, n_vocab: int = 0, bias: Mapping[int, float] | None = None):
    sampler = L.LlamaSampler(L.LlamaSamplerChainParams())
    if bias:
        sampler.add_logit_bias(n_vocab, list(bias.items()))
    sampler.add_greedy()
    return sampler


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n
