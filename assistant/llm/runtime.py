"""A GGUF model in-process through llama.cpp (the prebuilt `cyllama` wheel), greedy and streamed.

Why not cyllama's high-level `LLM` or llama-cpp-python: `LLM` hides the thread count and clears
the KV cache before every prompt, and llama-cpp-python is an 8-minute source build here. This
drives llama.cpp's context directly, which buys the one thing that matters most on a CPU: the
prompt's tokens that equal the last prompt's (the fixed instructions and, for a second call
about the same evidence, the evidence too; a prompt token costs ~20 ms on 2 cores) are kept in
the KV cache and not computed again. The context keeps `SLOTS` sequences, each with its own
cached prompt, and a prompt goes to the slot it shares the most with, as llama.cpp's server
does: the question's reading and the short check of its answer take turns without either
evicting the other's instructions.

Two more things the answer path needs from the model, besides text: a reply held to a form by a
GBNF grammar (llama.cpp's grammar sampler), and how likely the model found each of a few
openings (`NONE` or an answer; `YES` or `NO`), read from the logits of the reply's first token,
or, after an opening taken as written ("SENTENCES: "), of each of many options ("1" ... "24"),
token by token.
cyllama 0.2.18's `get_logits_ith` looks up `model.n_vocab`, which its model class lacks; the
model is loaded as a subclass that has it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.errors import BackendError
from assistant.llm.base import Cancel, Cancelled, Usage, common_prefix, option_paths

INSTALL = "pip install cyllama==0.2.18"
SLOTS = 2  # cached prompts kept side by side (the reading and the check)
BATCH = 512
MIN_SHARED = 32  # tokens a prompt must share with a slot's to be put there


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
            self.model = _model_class(L)(str(path), params)
        except Exception as err:  # noqa: BLE001 - llama.cpp raises plain errors for bad files
            raise BackendError(f"cannot load the GGUF model {path}: {err}") from None
        self.load_s = time.perf_counter() - started
        self.path = Path(path)
        self.vocab = self.model.get_vocab()
        self.n_ctx = n_ctx  # per slot
        self.threads = threads or os.cpu_count() or 1
        cp = L.LlamaContextParams()
        cp.n_ctx = n_ctx * SLOTS
        cp.n_seq_max = SLOTS
        cp.n_batch = BATCH
        cp.n_threads = cp.n_threads_batch = self.threads
        cp.no_perf = True
        self.ctx = L.LlamaContext(self.model, cp)
        self.ctx.install_cancel_callback()  # a stop aborts a decode inside its batch
        self._batch = L.LlamaBatch(n_tokens=BATCH, embd=0, n_seq_max=1)
        self._template = self.model.get_default_chat_template()
        # per slot, the tokens whose keys and values the context holds, and when it was used
        self._cached: list[list[int]] = [[] for _ in range(SLOTS)]
        self._used = [0] * SLOTS
        self._slot = 0
        self._lock = threading.Lock()
        self.last: Usage | None = None
        # the reply's first token: the share of each of `openings` (see `stream`)
        self.last_openings: dict[str, float] = {}

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
        self,
        messages: Sequence[dict],
        max_tokens: int,
        grammar: str | None = None,
        openings: Sequence[str] = (),
        cancel: Cancel | None = None,
    ) -> Iterator[str]:
        """The reply to messages, piece by piece, greedy (the same question, the same answer).

        `grammar` (GBNF, rule `root`) holds the reply to a form. `openings` are the strings the
        reply may start with (e.g. "NONE" and "SENTENCE"): how the model shared its first
        token among them is left in `last_openings` (each share 0..1, summing to 1), a
        probability a threshold can be fitted to, where the greedy first token is a coin that
        a different prefill batch split can flip. `cancel` ends the call with `Cancelled` as
        soon as it is set, inside a decode too.
        """
        with self._lock, self._abortable(cancel):
            yield from self._stream(
                self.render(messages), max_tokens, grammar, tuple(openings), cancel
            )

    def choose(
        self,
        messages: Sequence[dict],
        options: Sequence[str],
        cancel: Cancel | None = None,
        prefix: str = "",
    ) -> dict[str, float]:
        """How the model shares its reply's first token among `options` ("YES", "NO"): one
        prefill (shared with the last prompt as far as it goes), no generation.

        With `prefix`, the reply's opening already written ("SENTENCES: "), the options are
        what follows it and may be several tokens each ("1" ... "24"): each one's probability
        is the product of its tokens' (held to the options, as a grammar would hold them),
        times, for an option that another continues ("1" of "12"), the chance it ends there.
        Each token shared by options is decoded once, on a branch dropped afterwards."""
        with self._lock, self._abortable(cancel):
            prompt = self.render(messages)
            tokens = self._prefill(prompt + prefix, 1)
            if prefix:
                shares = self._paths(_continuations(self.vocab, prompt + prefix, tuple(options)))
            else:
                shares = self._shares(tuple(options))
            spent = time.perf_counter() - self._started
            self.last = Usage(len(tokens), self._kept, 0, spent, 0.0, spent)
            return shares

    @contextmanager
    def _abortable(self, cancel: Cancel | None) -> Iterator[None]:
        """While inside, `cancel` raises llama.cpp's abort flag; a decode it aborts (or a
        signal already given) ends the call with `Cancelled`, and the slot keeps only what
        was decoded whole."""
        self.ctx.cancel = False
        with cancel.hook(self._abort) if cancel is not None else nullcontext():
            try:
                if cancel is not None:
                    cancel.raise_if_set()
                yield
            except InterruptedError:
                raise Cancelled(cancel.why if cancel and cancel.why else "stopped") from None
            finally:
                self.ctx.cancel = False

    def _abort(self) -> None:
        self.ctx.cancel = True

    def _prefill(self, prompt: str, max_tokens: int) -> list[int]:
        """Decode the prompt's tokens the KV cache doesn't hold yet; the logits of its last
        token are then ready."""
        started = time.perf_counter()
        tokens = self.vocab.tokenize(prompt, add_special=True, parse_special=True)
        if len(tokens) + max_tokens > self.n_ctx:
            raise BackendError(
                f"the prompt has {len(tokens)} tokens, more than the model's context of "
                f"{self.n_ctx} allows with {max_tokens} to write"
            )
        shared = [common_prefix(cached, tokens) for cached in self._cached]
        slot = max(range(SLOTS), key=lambda s: (shared[s], -self._used[s]))
        if shared[slot] < MIN_SHARED:  # a chat template's opening is no reason to evict a slot
            slot = min(range(SLOTS), key=lambda s: self._used[s])
        self._slot = slot
        self._used[slot] = max(self._used) + 1
        keep = min(shared[slot], len(tokens) - 1)  # the last prompt token is decoded for its logits
        self.ctx.memory_seq_rm(slot, keep, -1)
        self._cached[slot] = tokens[:keep]
        for lo in range(keep, len(tokens), BATCH):
            self._decode(tokens[lo : lo + BATCH])
        self._kept = keep
        self._started = started
        self._prefill_s = time.perf_counter() - started
        return tokens

    def _decode(self, tokens: list[int]) -> None:
        """Append tokens to the current slot's sequence; the last one's logits are kept."""
        cached = self._cached[self._slot]
        batch = self._batch
        batch.clear()
        for i, token in enumerate(tokens):
            batch.add(token, len(cached) + i, [self._slot], i == len(tokens) - 1)
        self.ctx.decode(batch)
        cached += tokens

    def _shares(self, options: tuple[str, ...]) -> dict[str, float]:
        """Softmax mass of the tokens that begin each option (a token that is a prefix of
        it), at the last decoded position, renormalised over the options: what a grammar
        allowing only these options would sample from."""
        logits = np.asarray(self.ctx.get_logits_ith(-1), dtype=np.float64)
        mass = {}
        for option, ids in zip(options, _openers(self.vocab, options), strict=True):
            picked = logits[list(ids)]
            mass[option] = float(np.exp(picked - logits.max()).sum()) if len(ids) else 0.0
        total = sum(mass.values()) or 1.0
        return {option: m / total for option, m in mass.items()}

    def _paths(self, options: dict[str, tuple[int, ...]]) -> dict[str, float]:
        """The probability of each option's token path after the prompt (see `choose`,
        `base.option_paths`): a path's tokens are decoded on the current slot, after the
        prompt, and dropped when the walk leaves them and at the end."""
        cached = self._cached[self._slot]
        base = len(cached)

        def distribution(path: tuple[int, ...], tokens) -> dict[int, float]:
            keep = common_prefix(cached[base:], path)
            if base + keep < len(cached):  # a branch walked before: back to where they part
                self.ctx.memory_seq_rm(self._slot, base + keep, -1)
                del cached[base + keep :]
            if keep < len(path):
                self._decode(list(path[keep:]))
            logits = np.asarray(self.ctx.get_logits_ith(-1), dtype=np.float64)
            soft = np.exp(logits - logits.max())
            soft /= soft.sum()
            return {t: float(soft[t]) for t in tokens}

        try:
            return option_paths(options, distribution)
        finally:
            self.ctx.memory_seq_rm(self._slot, base, -1)
            del cached[base:]

    def _stream(
        self,
        prompt: str,
        max_tokens: int,
        grammar: str | None = None,
        openings: tuple[str, ...] = (),
        cancel: Cancel | None = None,
    ) -> Iterator[str]:
        L = self._L
        started = time.perf_counter()
        tokens = self._prefill(prompt, max_tokens)
        keep = self._kept
        prefilled = time.perf_counter()
        self.last_openings = self._shares(openings) if openings else {}
        sampler = _greedy(L, self.vocab, grammar)
        made: list[int] = []
        shown = ""
        first = None
        try:
            for _ in range(max_tokens):
                if cancel is not None:
                    cancel.raise_if_set()
                token = sampler.sample(self.ctx, -1)
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
                self._decode([token])
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


def _greedy(L, vocab, grammar: str | None = None):
    sampler = L.LlamaSampler(L.LlamaSamplerChainParams())
    if grammar:
        try:
            sampler.add_grammar(vocab, grammar, "root")
        except Exception as err:  # noqa: BLE001 - llama.cpp rejects a bad grammar plainly
            raise BackendError(f"llama.cpp did not accept the reply grammar: {err}") from None
    sampler.add_greedy()
    return sampler


@lru_cache(maxsize=16)
def _openers(vocab, options: tuple[str, ...]) -> tuple[tuple[int, ...], ...]:
    """For each option, the tokens whose text begins it ("N", "NO", "NONE" for "NONE")."""
    found: list[list[int]] = [[] for _ in options]
    for token in range(vocab.n_vocab):
        piece = _piece(vocab, token)
        if not piece:
            continue
        for i, option in enumerate(options):
            if option.startswith(piece):
                found[i].append(token)
    return tuple(tuple(ids) for ids in found)


def _continuations(vocab, prompt: str, options: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """Each option's tokens as they follow the prompt (tokenized together, as the model
    would have written them)."""
    head = vocab.tokenize(prompt, add_special=True, parse_special=True)
    out = {}
    for option in options:
        whole = vocab.tokenize(prompt + option, add_special=True, parse_special=True)
        if whole[: len(head)] != head:  # the option merged with the prompt's last token
            raise BackendError(f"the option {option!r} does not follow the reply's opening as tokens")
        out[option] = tuple(whole[len(head):])
    return out


def _piece(vocab, token: int) -> str:
    try:
        return vocab.token_to_piece(token, 0, False)
    except (UnicodeDecodeError, ValueError):
        return ""


@lru_cache(maxsize=1)
def _model_class(L):
    """llama.cpp's model with the `n_vocab` that cyllama's logits accessors look up."""

    class Model(L.LlamaModel):
        @property
        def n_vocab(self) -> int:
            return self.get_vocab().n_vocab

    return Model
