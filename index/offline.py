"""Make the stack work without a network, before any of it is imported.

tiktoken and NLTK fetch their data on first use; llama-index ships both in `_static`, so we point
them there. Chroma and Gradio phone home unless told not to. Call `prepare()` before importing
tiktoken, nltk, llama_index, chromadb or gradio; it is idempotent and cheap.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

_done = False


def _llama_static() -> Path | None:
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "_static"


def prepare() -> None:
    global _done
    if _done:
        return
    static = _llama_static()
    if static is not None:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(static / "tiktoken_cache"))
        os.environ.setdefault("NLTK_DATA", str(static / "nltk_cache"))
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _done = True
