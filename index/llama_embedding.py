"""The ONNX MiniLM encoder as a llama-index `BaseEmbedding`, so any llama-index pipeline
(ours at index time, the naive baseline in benchmarks) embeds with the same offline model."""

from __future__ import annotations

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.embedding import MODEL_ID, MiniLM


class MiniLMEmbedding(BaseEmbedding):
    _encoder: MiniLM = PrivateAttr()

    def __init__(self, encoder: MiniLM | None = None, embed_batch_size: int = 256, **kwargs) -> None:
        super().__init__(model_name=MODEL_ID, embed_batch_size=embed_batch_size, **kwargs)
        self._encoder = encoder or MiniLM()

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encoder.encode_one(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encoder.encode_one(text).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.encode(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)
