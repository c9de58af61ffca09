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
    backend: Literal["reader", "extractive", "openai", "llamacpp"] = Field(
        "reader",
        description="Who writes answers: reader (the packaged model, or the GGUF in "
        "llm_model_path; llamacpp is another name for it), openai (an OpenAI-compatible "
        "endpoint; same evidence and check), or extractive (quotes sentences; instant).",
    )
    llm_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible endpoint (backend=openai)."
    )
    llm_model: str = Field("local", description="Model name sent to the endpoint.")
    llm_api_key: str = Field("not-needed", description="API key for the endpoint, if it wants one.")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for one LLM reply.")
    llm_max_tokens: int = Field(160, ge=16, le=4096, description="Most tokens in one LLM reply.")
    llm_model_path: Path | None = Field(
        None, description="Another GGUF file for the reader (runs in-process)."
    )
    model_dir: Path = Field(
        Path("~/.cache/news-assistant/models"),
        description="Where the packaged reader model is assembled, once per machine; shared by "
        "every data dir.",
    )
    llm_threads: int | None = Field(
        None, ge=1, description="CPU threads of the reader (default: all cores)."
    )
    llm_context: int = Field(
        4096, ge=512, description="The reader's context window in tokens (prompt + reply)."
    )
    evidence_units: int = Field(
        5, ge=1, le=30,
        description="Best retrieved sentences or rows that become evidence passages (each "
        "widened to its neighbours). 5 vs 8 measured in DESIGN.md: 8 fixed two misses, cost "
        "~4 s more prompt, and the model dropped its markers more often.",
    )
    evidence_window: int = Field(
        1, ge=0, le=5, description="Sentences either side of each evidence unit."
    )
    evidence_tokens: int = Field(
        450, ge=100, le=3000,
        description="Most prompt tokens the evidence passages may take (a prompt token costs "
        "~20 ms on 2 cores).",
    )
    followup: Literal["rewrite", "model"] = Field(
        "rewrite",
        description="How a follow-up becomes the standalone question retrieval searches for: "
        "rewrite (pronouns and 'And on X?' filled in from the last turn, else the last question "
        "prepended; instant) or model (the reader condenses it, as llama-index's "
        "CondensePlusContextChatEngine does; a model call more). Measured in the README.",
    )
    reader_fallback: Literal["never", "unsupported", "always"] = Field(
        "unsupported",
        description="When the extractive composer answers instead of the reader: unsupported "
        "(the reader answered but nothing it wrote survived the check), always (also when the "
        "reader said the articles don't say), never. Measured in the README: 'always' answers "
        "most, but turns the reader's right refusals into the composer's guesses.",
    )
    reader_refusal_bias: float = Field(
        0.0, ge=0, le=30,
        description="Logits the local reader's refusal phrase loses at the reply's first token "
        "(then the reply goes on greedy). Off: with the 1.5B model, 1.5 (dev's choice) answered "
        "most refused answerable questions but also 14 of 15 unanswerable ones on NewsArticles "
        "(README, Evals).",
    )
    check_coverage: float = Field(
        0.5, ge=0, le=1,
        description="Share of a reader's sentence's content words (other than its names and "
        "numbers, which must all be there) that its passage must hold; measured on dev.",
    )
    check_similarity: float = Field(
        0.35, ge=-1, le=1,
        description="A reader's sentence is supported by a passage only if its MiniLM cosine "
        "with one of the passage's sentences (or the whole passage) is at least this; measured "
        "on the dev split (see README).",
    )
    index_batch: int = Field(
        1024, ge=1, description="Chunks embedded and committed together while indexing."
    )
    max_article_mb: float = Field(
        5.0, gt=0,
        description="Article files larger than this many megabytes are skipped with a warning "
        "(checked from the file size, before reading), so one huge file can't stall or exhaust "
        "the indexing of the rest.",
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
