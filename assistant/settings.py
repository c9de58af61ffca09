"""Every setting in one typed object, read from `ASSISTANT_*` environment variables.

Read once at the edge (the API call, a CLI command, the UI) and passed down; nothing below
reads the environment itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", frozen=True, extra="ignore")

    corpus_dir: Path = Field(Path("seeds"), description="Folder of articles (.txt/.md, UTF-8).")
    data_dir: Path = Field(
        Path(".assistant"), description="Where the embedded Chroma index and caches live."
    )
    chroma_url: str | None = Field(
        None, description="http://host:port of a Chroma server; replaces the embedded store."
    )
    collection: str = Field("news", description="Name prefix of the Chroma collections.")
    backend: Literal["extractive", "openai", "llamacpp"] = Field(
        "extractive", description="Who writes answers: extractive (default) or an LLM."
    )
    llm_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible endpoint (backend=openai)."
    )
    llm_model: str = Field("local", description="Model name sent to the endpoint.")
    llm_api_key: str = Field("not-needed", description="API key for the endpoint, if it wants one.")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for one LLM reply.")
    llm_max_tokens: int = Field(192, ge=16, le=4096, description="Most tokens in one LLM reply.")
    llm_model_path: Path | None = Field(
        None, description="A GGUF file for backend=llamacpp (runs in-process)."
    )
    index_batch: int = Field(
        1024, ge=1, description="Chunks embedded and committed together while indexing."
    )
    ui_auth: str | None = Field(
        None, description="user:password to require a login in the web chat."
    )
    candidates: int = Field(40, ge=5, le=500, description="Passages each retriever returns.")
    max_citations: int = Field(3, ge=1, le=10, description="Most sentences in one answer.")
    min_similarity: float = Field(
        0.38, ge=-1, le=1, description="Below this best cosine similarity, the answer is a refusal."
    )

    def key(self) -> str:
        return self.model_dump_json()
