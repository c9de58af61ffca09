"""The model backends that read: the packaged GGUF in-process or on this machine's own
llama-server, or an OpenAI-compatible endpoint.

What they are asked (the prompts, the reply's grammar) is the pipeline's; this is only how a
prompt becomes a reply (`stream`) or a probability (`choose`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from assistant.errors import BackendError
from assistant.llm.base import Cancel, Prompt, Reader
from assistant.settings import Settings

log = logging.getLogger(__name__)


class LocalReader(Reader):
    """The packaged (or ASSISTANT_LLM_MODEL_PATH) GGUF model, in-process."""

    runtime = ""  # in-process (cyllama); a server's build otherwise

    def __init__(self, path: Path, threads: int | None, n_ctx: int) -> None:
        from assistant.llm.runtime import LocalModel

        self.model = LocalModel(path, n_ctx=n_ctx, threads=threads)

    def stream(
        self, prompt: Prompt, max_tokens: int, cancel: Cancel | None = None
    ) -> Iterator[str]:
        return self.model.stream(
            prompt.messages, max_tokens, prompt.grammar, prompt.openings, cancel
        )

    def choose(self, prompt: Prompt, cancel: Cancel | None = None) -> dict[str, float]:
        return self.model.choose(prompt.messages, prompt.openings, cancel, prompt.prefix)

    @property
    def usage(self):
        return self.model.last


class ServerReader(LocalReader):
    """The same GGUF on llama.cpp's `llama-server` built for this CPU (`make native`), started
    on loopback for this process: the same prompts, grammar and probabilities as in-process,
    read by kernels that use the CPU's every instruction set."""

    def __init__(self, binary: Path, path: Path, threads: int | None, n_ctx: int) -> None:
        from assistant.llm.server import ServerModel

        self.model = ServerModel.launch(binary, path, n_ctx=n_ctx, threads=threads)
        self.runtime = binary.parent.parent.name  # the build: source version and CPU hash


class EndpointReader(Reader):
    """Any OpenAI-compatible endpoint (llama.cpp's server, vLLM, Ollama), streamed."""

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        from assistant.llm.endpoint import openai_like

        if not settings.llm_url:
            raise BackendError(
                "backend 'openai' needs the endpoint's base URL in ASSISTANT_LLM_URL, "
                "e.g. http://127.0.0.1:8080/v1"
            )
        self.url = settings.llm_url
        self.llm = openai_like(settings)

    def stream(
        self, prompt: Prompt, max_tokens: int, cancel: Cancel | None = None
    ) -> Iterator[str]:
        """The whole reply at once: not every OpenAI-compatible server streams alike. A stop
        takes effect between calls (the endpoint's own timeout bounds one)."""
        from llama_index.core.llms import ChatMessage

        from assistant.llm.endpoint import endpoint_errors

        if cancel is not None:
            cancel.raise_if_set()
        messages = [ChatMessage(role=m["role"], content=m["content"]) for m in prompt.messages]
        with endpoint_errors(self.url):
            reply = self.llm.chat(messages, max_tokens=max_tokens).message.content or ""
        if cancel is not None:
            cancel.raise_if_set()
        yield reply

    def choose(self, prompt: Prompt, cancel: Cancel | None = None) -> dict[str, float]:
        """An endpoint's logits aren't portable: its greedy opening gets all the share. After
        a `prefix` ("SENTENCES: "), the options its greedy reply lists share it, the first the
        most: a list it writes stands for where it would point."""
        if not prompt.prefix:
            reply = "".join(self.stream(prompt, 4, cancel)).strip().upper()
            picked = next((o for o in prompt.openings if reply.startswith(o.upper())), None)
            return {o: float(o == picked) for o in prompt.openings}
        reply = "".join(self.stream(prompt, 64, cancel)).strip()
        head = prompt.prefix.strip()
        if reply.upper().startswith(head.upper()):
            reply = reply[len(head):]
        words = re.findall(r"[^\s,;.]+", reply.splitlines()[0] if reply.strip() else "")
        listed = list(dict.fromkeys(w for w in words if w in prompt.openings))
        weight = {o: 1 / (i + 1) for i, o in enumerate(listed)}
        total = sum(weight.values()) or 1.0
        return {o: weight.get(o, 0.0) / total for o in prompt.openings}


def model_path(settings: Settings, progress: bool = True) -> Path | None:
    """The GGUF the local reader runs: ASSISTANT_LLM_MODEL_PATH, else the packaged model."""
    if settings.llm_model_path is not None:
        path = Path(settings.llm_model_path).expanduser()
        if not path.is_file():
            raise BackendError(f"no GGUF model file at {path} (ASSISTANT_LLM_MODEL_PATH)")
        return path
    from assistant.llm import model_file

    if progress:
        return model_file.with_progress_bar(settings.model_dir)
    return model_file.packaged_model(settings.model_dir)


def model_reader(settings: Settings, path: Path) -> LocalReader:
    """The reader of the GGUF at `path` on the runtime `Settings.llm_runtime` asks for. A
    native build that fails to start under "auto" is passed over for the in-process runtime
    that always works, with a warning; asked for by name, its failure is the error."""
    binary = server_binary(settings.llm_runtime)
    try:
        return local_reader(path, settings.llm_threads, settings.llm_context, binary)
    except BackendError as err:
        if binary is None or settings.llm_runtime != "auto":
            raise
        log.warning("the native llama-server did not start (%s); reading in-process", err)
        return local_reader(path, settings.llm_threads, settings.llm_context)


def server_binary(runtime: str) -> Path | None:
    """The llama-server the reader runs on for `Settings.llm_runtime`, or None for in-process."""
    if runtime == "cyllama":
        return None
    from assistant.llm import native

    binary = native.server_binary()
    if binary is None and runtime == "native":
        raise BackendError(
            "ASSISTANT_LLM_RUNTIME=native needs llama.cpp built for this CPU: run `make native` "
            "(minutes, once per machine)"
        )
    return binary


@lru_cache(maxsize=2)
def local_reader(
    path: Path, threads: int | None, n_ctx: int, binary: Path | None = None
) -> LocalReader:
    """One loaded model per file: 1.1 GB of weights is loaded once per process."""
    if binary is not None:
        return ServerReader(binary, path, threads, n_ctx)
    return LocalReader(path, threads, n_ctx)
