"""The reader's model behind llama.cpp's own `llama-server`, driven like `runtime.LocalModel`.

`runtime.LocalModel` runs llama.cpp in-process from the prebuilt `cyllama` wheel, compiled for
AVX2 only. A `llama-server` built for the machine (`make native`, `native.py`) is faster on
cores with AVX-512; this is its client, with LocalModel's interface, so the reader runs on it
when it is built (`Settings.llm_runtime`) and the two can be measured on the same prompts
(`benchmarks.runtime_floor`):

- `LlamaServer(binary, model_path, threads, n_ctx, slots=2)` starts the binary on 127.0.0.1 on
  a free port (no other network), waits for `/health`, and stops it on `close()` or when this
  process exits (on Linux also when it is killed: the kernel sends the child SIGTERM).
- `ServerModel(server)` has `stream`, `choose` (with a `prefix` and options of several tokens,
  the pointing's "1" ... "24"), `last_openings`, `last`, `count_tokens` and `render` as
  LocalModel has them; a `Cancel` closes the request in progress, and the server drops a
  request whose client has gone.

How it keeps LocalModel's behaviour:

- Prompt: rendered by the server's `/apply-template` with llama.cpp's built-in chat templates
  (`--no-jinja`), which is what LocalModel's `chat_apply_template` uses. The model file's own
  Jinja template adds Qwen's default system message ("You are Qwen, created by Alibaba
  Cloud...") to a prompt without one (the check prompt), so with Jinja the two runtimes would
  read different prompts. The prompt is then tokenized by the server (`/tokenize`, specials
  parsed, BOS as the model wants it) and sent as token ids.
- Cache: `cache_prompt` with the request pinned to a slot (`id_slot`): the slot whose last
  prompt shares the most tokens with this one, else the least recently used (as LocalModel
  picks among its KV-cache sequences), so the reading prompt and the short check prompt each
  keep their cached prefix. `--no-kv-unified` gives each slot its own `n_ctx`, and the
  host-memory prompt cache is off (`--cache-ram 0`), so a slot keeps exactly what it last read.
- Greedy: `top_k` 1, temperature 0; a GBNF grammar is passed through (`grammar`).
- Shares (`choose`, `last_openings`): the server's `n_probs` output for the reply's first token
  is the top `N_PROBS` tokens by logit, each with its log-probability under the softmax of all
  logits (before any sampler or grammar). The share of an option is the probability of the
  listed tokens whose text begins it (a token that is a prefix of it: "N", "NO", "NONE" for
  "NONE"), renormalised over the options: `runtime._shares` sums the same over the whole
  vocabulary. What the top `N_PROBS` leave out is each at most as likely as the last one
  listed; `last_tail` keeps that bound.
- Usage: prompt tokens, cached tokens (`timings.cache_n`), generated tokens, and the server's
  own prefill and generation times (`timings.prompt_ms`, `predicted_ms`); `first_token_s` is
  measured here, from the call to the first piece, and includes the HTTP round trips.
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures
import contextlib
import functools
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

from assistant.errors import BackendError
from assistant.llm.base import Cancel, Cancelled, Usage, common_prefix, option_paths

HOST = "127.0.0.1"
N_PROBS = 100  # tokens of the first reply token's distribution read for shares
MIN_SHARED = 32  # tokens a prompt must share with a slot's to be put there (as runtime.py)
START_TIMEOUT_S = 180.0


class LlamaServer:
    """One `llama-server` process on loopback, serving one GGUF model with `slots` KV caches."""

    def __init__(
        self,
        binary: Path,
        model_path: Path,
        threads: int | None = None,
        n_ctx: int = 4096,
        slots: int = 2,
        extra_args: Sequence[str] = (),
        timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        self.binary = Path(binary)
        self.model_path = Path(model_path)
        self.threads = threads or os.cpu_count() or 1
        self.n_ctx = n_ctx  # per slot
        self.slots = slots
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._tail: collections.deque[str] = collections.deque(maxlen=40)
        if not self.binary.is_file():
            raise BackendError(f"no llama-server binary at {self.binary} (build it: make native)")
        if not self.model_path.is_file():
            raise BackendError(f"no GGUF model file at {self.model_path}")
        cmd = [
            str(self.binary), "--model", str(self.model_path),
            "--host", HOST, "--port", str(self.port),
            "--threads", str(self.threads), "--threads-batch", str(self.threads),
            "--ctx-size", str(n_ctx * slots), "--parallel", str(slots), "--no-kv-unified",
            "--batch-size", "512", "--ubatch-size", "512",
            "--cache-ram", "0", "--no-jinja", "--no-webui", "--n-gpu-layers", "0",
            *extra_args,
        ]
        started = time.perf_counter()
        try:
            self._proc = _spawn(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, errors="replace",
            )
        except OSError as err:
            raise BackendError(f"cannot run {self.binary}: {err}") from None
        threading.Thread(target=self._drain, daemon=True).start()
        self._finalizer = weakref.finalize(self, _stop, self._proc)
        atexit.register(self._finalizer)
        self.http = httpx.Client(base_url=self.url, timeout=httpx.Timeout(600.0, connect=5.0),
                                 trust_env=False)
        try:
            self._wait_ready(timeout_s)
        except BaseException:
            self.close()
            raise
        self.load_s = time.perf_counter() - started

    def _drain(self) -> None:
        for line in self._proc.stdout:
            if line.strip():
                self._tail.append(line.rstrip())

    def last_line(self) -> str:
        """The server's last line of output that says something (an error, when it failed)."""
        lines = list(self._tail)
        errors = [x for x in lines if " E " in x or "error" in x.lower()]
        return (errors or lines or ["no output"])[-1].strip()

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                time.sleep(0.1)  # let the drain thread read the last lines
                raise BackendError(
                    f"llama-server exited with code {self._proc.returncode} while starting: "
                    f"{self.last_line()}"
                )
            try:
                if self.http.get("/health", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise BackendError(f"llama-server did not answer /health in {timeout_s:.0f} s: "
                           f"{self.last_line()}")

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        self.http.close()
        self._finalizer()

    def __enter__(self) -> LlamaServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent dies (Linux's PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


@functools.lru_cache(maxsize=1)
def _spawner() -> concurrent.futures.ThreadPoolExecutor:
    """One thread that lives as long as the process and starts every server. The kernel sends
    the parent-death signal when the *thread* that started the child ends, so a server started
    from a passing thread (the chat loads its model in one) would die with it, and one started
    without the signal would outlive a killed chat."""
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="llama-server-start")


def _spawn(cmd: list[str], **kwargs) -> subprocess.Popen:
    return _spawner().submit(subprocess.Popen, cmd, preexec_fn=_die_with_parent, **kwargs).result()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ServerModel:
    """`runtime.LocalModel`'s interface over a `LlamaServer`; one reply at a time."""

    def __init__(self, server: LlamaServer, n_probs: int = N_PROBS, owns: bool = False) -> None:
        self.server = server
        self.http = server.http
        self.path = server.model_path
        self.n_ctx = server.n_ctx
        self.threads = server.threads
        self.load_s = server.load_s
        self.n_probs = n_probs
        self._owns = owns
        self._cached: list[list[int]] = [[] for _ in range(server.slots)]
        self._used = [0] * server.slots
        self._lock = threading.Lock()
        self.last: Usage | None = None
        self.last_openings: dict[str, float] = {}
        self.last_tail = 0.0  # bound on each token the top n_probs left out (see module doc)

    @classmethod
    def launch(cls, binary: Path, model_path: Path, n_ctx: int = 4096,
               threads: int | None = None, slots: int = 2, **kwargs) -> ServerModel:
        """Start a server for this model alone; `close()` stops it."""
        return cls(LlamaServer(binary, model_path, threads, n_ctx, slots), owns=True, **kwargs)

    def close(self) -> None:
        if self._owns:
            self.server.close()

    # -- LocalModel's interface -------------------------------------------------------------

    def render(self, messages: Sequence[dict]) -> str:
        reply = self._post("/apply-template", {"messages": [dict(m) for m in messages]})
        return reply["prompt"]

    def count_tokens(self, text: str) -> int:
        return len(self._tokenize(text, add_special=False, parse_special=False))

    def stream(
        self,
        messages: Sequence[dict],
        max_tokens: int,
        grammar: str | None = None,
        openings: Sequence[str] = (),
        cancel: Cancel | None = None,
    ) -> Iterator[str]:
        """The reply, piece by piece, greedy; `grammar` (GBNF, rule `root`) holds it to a form;
        the first token's shares of `openings` are left in `last_openings`. `cancel` closes
        the stream at once, which stops the server's generation."""
        with self._lock:
            yield from self._stream(messages, max_tokens, grammar, tuple(openings), cancel)

    def choose(
        self,
        messages: Sequence[dict],
        options: Sequence[str],
        cancel: Cancel | None = None,
        prefix: str = "",
    ) -> dict[str, float]:
        """How the model shares its reply's first token among `options`: one prefill (shared
        with the slot's last prompt as far as it goes), no generation.

        With `prefix` (the reply's opening, "SENTENCES: "), each option may be several tokens
        ("1" ... "24"): its probability is the product of its tokens', held to the options, as
        `runtime.LocalModel.choose` reads it; each token shared by options is one more
        one-token request on the slot's cache."""
        with self._lock:
            started = time.perf_counter()
            prompt = self.render(messages) + prefix
            tokens = self._tokenize(prompt, add_special=True, parse_special=True)
            self._check_fits(tokens, 1)
            slot = self._pick_slot(tokens)
            timings: list[dict] = []  # of each request, the first one's cache hit counting
            if prefix:
                paths = {o: self._continuation(prompt, tokens, o) for o in options}
                shares_ = self._paths(tokens, slot, paths, cancel, timings)
            else:
                shares_, self.last_tail = shares(
                    self._top(tokens, slot, cancel, timings), tuple(options)
                )
            prefill_s = sum(t.get("prompt_ms", 0.0) for t in timings) / 1000
            cached = int(timings[0].get("cache_n", 0)) if timings else 0
            self.last = Usage(len(tokens), cached, 0, prefill_s, 0.0,
                              time.perf_counter() - started)
            return shares_

    # -- the protocol ------------------------------------------------------------------------

    def _top(self, tokens: list[int], slot: int, cancel: Cancel | None,
             timings: list[dict]) -> list[dict]:
        """The first reply token's `top_logprobs` after `tokens`, prefilled on `slot`; the
        request's timings are appended to `timings`."""
        body = self._request(tokens, slot, 1, None, self.n_probs)
        reply = self._post("/completion", body, cancel)
        self._cached[slot] = tokens
        timings.append(reply.get("timings") or {})
        probs = reply.get("completion_probabilities") or []
        return probs[0].get("top_logprobs", []) if probs else []

    def _paths(self, head: list[int], slot: int, options: dict[str, tuple[int, ...]],
               cancel: Cancel | None, timings: list[dict]) -> dict[str, float]:
        """Each option's token path's probability after `head` (`base.option_paths`): one
        one-token request per path, on the slot's cache. Over the top `n_probs` tokens where
        the in-process runtime has the whole vocabulary: a token left out counts 0."""

        def distribution(path: tuple[int, ...], tokens) -> dict[int, float]:
            top = self._top([*head, *path], slot, cancel, timings)
            return {entry["id"]: math.exp(entry["logprob"]) if "logprob" in entry
                    else entry["prob"] for entry in top}

        return option_paths(options, distribution)

    def _continuation(self, prompt: str, head: list[int], option: str) -> tuple[int, ...]:
        """The option's tokens as they follow the prompt (tokenized together, as the model
        would have written them)."""
        whole = self._tokenize(prompt + option, add_special=True, parse_special=True)
        if whole[: len(head)] != head:
            raise BackendError(f"the option {option!r} does not follow the reply's opening as tokens")
        return tuple(whole[len(head):])

    def _stream(self, messages, max_tokens: int, grammar: str | None,
                openings: tuple[str, ...], cancel: Cancel | None) -> Iterator[str]:
        started = time.perf_counter()
        tokens, slot = self._prepare(messages, max_tokens)
        self.last_openings = {}
        body = self._request(tokens, slot, max_tokens, grammar, self.n_probs if openings else 0)
        body["stream"] = True
        first = None
        made = 0
        timings: dict = {}
        try:
            if cancel is not None:
                cancel.raise_if_set()
            with self.http.stream("POST", "/completion", json=body) as response, \
                    _closing_on(cancel, response):
                if response.status_code != 200:
                    response.read()
                    raise BackendError(_error_text(response))
                for data in _events(response.iter_lines()):
                    if "error" in data:
                        raise BackendError(f"llama-server: {_message(data['error'])}")
                    probs = data.get("completion_probabilities")
                    if openings and probs and not self.last_openings and made == 0:
                        self.last_openings, self.last_tail = shares(
                            probs[0].get("top_logprobs", []), openings
                        )
                    made = int(data.get("tokens_predicted", made))
                    piece = data.get("content", "")
                    if piece:
                        if first is None:
                            first = time.perf_counter() - started
                        yield piece
                    if cancel is not None:
                        cancel.raise_if_set()
                    if data.get("stop"):
                        timings = data.get("timings") or {}
                        break
        except (httpx.HTTPError, httpx.StreamError) as err:
            if cancel is not None and cancel.why is not None:
                raise Cancelled(cancel.why) from None
            raise BackendError(f"llama-server at {self.server.url} failed: {err}") from None
        finally:
            # what the slot holds from this prompt on (a stopped reply: a prefix of it, which
            # the next prompt's shared tokens reuse all the same)
            self._cached[slot] = tokens
            done = time.perf_counter()
            prefill = timings.get("prompt_ms")
            self.last = Usage(
                prompt_tokens=len(tokens),
                cached_tokens=int(timings.get("cache_n", 0)),
                generated_tokens=int(timings.get("predicted_n", made)),
                prefill_s=prefill / 1000 if prefill is not None else 0.0,
                generate_s=timings.get("predicted_ms", 0.0) / 1000,
                first_token_s=first if first is not None else done - started,
            )

    def _prepare(self, messages, max_tokens: int) -> tuple[list[int], int]:
        tokens = self._tokenize(self.render(messages), add_special=True, parse_special=True)
        self._check_fits(tokens, max_tokens)
        return tokens, self._pick_slot(tokens)

    def _check_fits(self, tokens: list[int], max_tokens: int) -> None:
        if len(tokens) + max_tokens > self.n_ctx:
            raise BackendError(
                f"the prompt has {len(tokens)} tokens, more than the model's context of "
                f"{self.n_ctx} allows with {max_tokens} to write"
            )

    def _pick_slot(self, tokens: list[int]) -> int:
        """The slot that shares the most with this prompt, else the least recently used."""
        shared = [common_prefix(cached, tokens) for cached in self._cached]
        slot = max(range(len(shared)), key=lambda s: (shared[s], -self._used[s]))
        if shared[slot] < MIN_SHARED:
            slot = min(range(len(shared)), key=lambda s: self._used[s])
        self._used[slot] = max(self._used) + 1
        return slot

    @staticmethod
    def _request(tokens: list[int], slot: int, max_tokens: int, grammar: str | None,
                 n_probs: int) -> dict:
        body = {
            "prompt": tokens,
            "n_predict": max_tokens,
            "id_slot": slot,
            "cache_prompt": True,
            "temperature": 0.0,
            "top_k": 1,
            "n_probs": n_probs,
            "post_sampling_probs": False,
        }
        if grammar:
            body["grammar"] = grammar
        return body

    def _tokenize(self, text: str, add_special: bool, parse_special: bool) -> list[int]:
        reply = self._post("/tokenize", {"content": text, "add_special": add_special,
                                         "parse_special": parse_special})
        return [t if isinstance(t, int) else t["id"] for t in reply["tokens"]]

    def _post(self, path: str, body: dict, cancel: Cancel | None = None) -> dict:
        """One request; `cancel` closes it at once (the server drops a request whose client
        has gone)."""
        try:
            if cancel is not None:
                cancel.raise_if_set()
            with self.http.stream("POST", path, json=body) as response, \
                    _closing_on(cancel, response):
                response.read()
        except (httpx.HTTPError, httpx.StreamError) as err:
            if cancel is not None and cancel.why is not None:
                raise Cancelled(cancel.why) from None
            raise BackendError(f"llama-server at {self.server.url} failed: {err}") from None
        if cancel is not None:
            cancel.raise_if_set()
        if response.status_code != 200:
            raise BackendError(_error_text(response))
        return response.json()


def _closing_on(cancel: Cancel | None, response: httpx.Response):
    """While inside, a stop closes the response (its connection), from the stopping thread."""
    return cancel.hook(response.close) if cancel is not None else contextlib.nullcontext()


def shares(top: Sequence[dict], options: tuple[str, ...]) -> tuple[dict[str, float], float]:
    """The options' shares of one token's distribution, from the server's `top_logprobs`
    (or `top_probs`) entries, and the probability of the least likely entry (a bound on each
    token left out). A token counts for an option when its text is a prefix of the option."""
    mass = dict.fromkeys(options, 0.0)
    tail = 1.0
    for entry in top:
        p = entry["prob"] if "prob" in entry else math.exp(entry["logprob"])
        tail = min(tail, p)
        piece = _piece(entry)
        if not piece:
            continue
        for option in options:
            if option.startswith(piece):
                mass[option] += p
    total = sum(mass.values()) or 1.0
    return {option: m / total for option, m in mass.items()}, (tail if top else 1.0)


def _piece(entry: dict) -> str:
    raw = entry.get("bytes")
    if raw is not None:
        try:
            return bytes(raw).decode("utf-8")
        except (UnicodeDecodeError, ValueError):
            return ""
    return entry.get("token", "")


def _events(lines: Iterator[str]) -> Iterator[dict]:
    """The JSON objects of a server-sent event stream (`data: {...}` lines)."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if not payload or payload == "[DONE]":
            continue
        yield json.loads(payload)


def _error_text(response: httpx.Response) -> str:
    try:
        message = _message(response.json().get("error"))
    except (ValueError, AttributeError):
        message = response.text.strip()[:300]
    return f"llama-server answered {response.status_code}: {message}"


def _message(error) -> str:
    return error.get("message", str(error)) if isinstance(error, dict) else str(error)
