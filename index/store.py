"""The Chroma side of the index: a chunk collection and a manifest collection.

The manifest holds one record per article (its sha256, whether its chunks are complete, and its
text), so an incremental update reads a few thousand small records instead of every chunk, and it
lives in Chroma itself, so a Chroma server holds the whole index and nothing can drift apart.
An article is marked `pending` before its chunks are written and `done` after; a killed build
leaves `pending` records, which the next build redoes from scratch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from index import offline
from index.chunking import VERSION as CHUNKING_VERSION
from index.chunking import Chunk
from index.corpus import Article
from index.errors import StoreError

SCHEMA = 1


@dataclass(frozen=True)
class ArticleState:
    sha256: str
    done: bool
    chunks: int


@dataclass(frozen=True)
class Hit:
    """A chunk found by a search, with the fields a citation needs."""

    chunk_id: str
    article_id: str
    title: str
    text: str
    start: int
    end: int
    ordinal: int
    kind: str
    similarity: float  # cosine similarity to the query, or 0.0 when not searched densely
    search_text: str = ""  # what was embedded, when it differs from text (a table row)

    @property
    def matchable(self) -> str:
        return self.search_text or self.text


def connect(data_dir: Path, chroma_url: str | None = None):
    """An embedded Chroma under data_dir, or a client of the Chroma server at chroma_url."""
    offline.prepare()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(f"ASSISTANT_CHROMA_URL {chroma_url!r} is not an http(s)://host:port URL")
        try:
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=settings,
            )
            client.heartbeat()
        except Exception as err:  # chromadb raises several types for a server that is down
            raise StoreError(f"cannot reach the Chroma server at {chroma_url}: {err}") from None
        return client
    path = Path(data_dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class Store:
    """Chunks and manifest of one index, named `name`, built with one embedding model."""

    def __init__(self, client, name: str, model_id: str, dimension: int) -> None:
        self.client = client
        self.name = name
        self.model_id = model_id
        self.dimension = dimension
        self._chunks = None
        self._manifest = None

    # -- collections -------------------------------------------------------------------------

    @property
    def chunks(self):
        if self._chunks is None:
            self._chunks = self.client.get_or_create_collection(
                f"{self.name}_chunks",
                embedding_function=None,
                metadata={
                    "hnsw:space": "cosine",
                    "embed_model": self.model_id,
                    "dimension": self.dimension,
                    "schema": SCHEMA,
                    "chunking": CHUNKING_VERSION,
                },
            )
        return self._chunks

    @property
    def manifest(self):
        if self._manifest is None:
            self._manifest = self.client.get_or_create_collection(
                f"{self.name}_articles", embedding_function=None, metadata={"schema": SCHEMA}
            )
        return self._manifest

    def built_with(self) -> str | None:
        """The embedding model the existing index was built with (None if there is no index)."""
        names = {c if isinstance(c, str) else c.name for c in self.client.list_collections()}
        if f"{self.name}_chunks" not in names:
            return None
        meta = self.chunks.metadata or {}
        model = meta.get("embed_model", "unknown")
        if meta.get("dimension") != self.dimension and model == self.model_id:
            return f"{model} ({meta.get('dimension')} dimensions)"
        return model

    def outdated_because(self) -> str | None:
        """Why the existing index cannot be updated in place (None: it can, or there is none)."""
        built_with = self.built_with()
        if built_with is None:
            return None
        if built_with != self.model_id:
            return (
                f"the index was built with the embedding model {built_with}, but this version "
                f"uses {self.model_id}"
            )
        chunking = (self.chunks.metadata or {}).get("chunking")
        if chunking != CHUNKING_VERSION:
            return f"the index was cut with chunking v{chunking}, this version uses v{CHUNKING_VERSION}"
        return None

    def reset(self) -> None:
        """Drop the whole index (both collections): used when the embedding model changed."""
        names = {c if isinstance(c, str) else c.name for c in self.client.list_collections()}
        for suffix in ("_chunks", "_articles"):
            if f"{self.name}{suffix}" in names:
                self.client.delete_collection(f"{self.name}{suffix}")
        self._chunks = self._manifest = None

    # -- manifest ----------------------------------------------------------------------------

    def articles(self) -> dict[str, ArticleState]:
        got = self._get_all(self.manifest, include=["metadatas"])
        return {
            i: ArticleState(m["sha256"], bool(m["done"]), int(m.get("chunks", 0)))
            for i, m in zip(got["ids"], got["metadatas"])
        }

    def article_texts(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(title, text) of the given articles, as they were indexed."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        got = self.manifest.get(ids=ids, include=["metadatas", "documents"])
        return {i: (m["title"], d) for i, m, d in zip(got["ids"], got["metadatas"], got["documents"])}

    def mark(self, articles: Sequence[Article], done: bool, chunk_counts: Sequence[int] = ()) -> None:
        counts = list(chunk_counts) or [0] * len(articles)
        for lo, hi in self._batches(len(articles)):
            part = articles[lo:hi]
            self.manifest.upsert(
                ids=[a.id for a in part],
                embeddings=[[1.0]] * len(part),
                documents=[a.text for a in part],
                metadatas=[
                    {"sha256": a.sha256, "done": done, "chunks": n, "title": a.title}
                    for a, n in zip(part, counts[lo:hi])
                ],
            )

    def forget(self, article_ids: Sequence[str]) -> None:
        if not article_ids:
            return
        self.delete_chunks(article_ids)
        for lo, hi in self._batches(len(article_ids)):
            self.manifest.delete(ids=list(article_ids[lo:hi]))

    # -- chunks ------------------------------------------------------------------------------

    def delete_chunks(self, article_ids: Sequence[str]) -> None:
        for lo in range(0, len(article_ids), 100):
            self.chunks.delete(where={"article_id": {"$in": list(article_ids[lo : lo + 100])}})

    def add_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray, titles: dict[str, str]) -> None:
        for lo, hi in self._batches(len(chunks)):
            part = chunks[lo:hi]
            self.chunks.add(
                ids=[c.id for c in part],
                embeddings=vectors[lo:hi],
                documents=[c.text for c in part],
                metadatas=[_chunk_meta(c, titles[c.article_id]) for c in part],
            )

    def count(self) -> int:
        return self.chunks.count()

    def search(self, vector: np.ndarray, k: int) -> list[Hit]:
        # no count() first: it costs more than the search at 100k chunks, and Chroma returns
        # fewer than k results (or none) by itself
        got = self.chunks.query(
            query_embeddings=[vector], n_results=k, include=["documents", "metadatas", "distances"]
        )
        return [
            _hit(i, d, m, 1.0 - dist)
            for i, d, m, dist in zip(
                got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]
            )
        ]

    def similarities(self, vector: np.ndarray, chunk_ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the query to chunks found some other way (e.g. by keywords)."""
        if not chunk_ids:
            return {}
        got = self.chunks.get(ids=list(chunk_ids), include=["embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        return dict(zip(got["ids"], (vectors @ vector).tolist()))

    def all_chunks(self) -> list[Hit]:
        got = self._get_all(self.chunks, include=["documents", "metadatas"])
        return [_hit(i, d, m, 0.0) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]

    # -- helpers -----------------------------------------------------------------------------

    def _batches(self, n: int) -> Iterable[tuple[int, int]]:
        size = max(1, min(self.client.get_max_batch_size(), 2000))
        for lo in range(0, n, size):
            yield lo, min(n, lo + size)

    def _get_all(self, collection, include: list[str]) -> dict:
        out: dict = {"ids": [], **{k: [] for k in include}}
        total = collection.count()
        page = 5000
        for offset in range(0, total, page):
            got = collection.get(include=include, limit=page, offset=offset)
            out["ids"] += got["ids"]
            for k in include:
                out[k] += got[k]
        return out


def _chunk_meta(chunk: Chunk, title: str) -> dict:
    meta = {
        "article_id": chunk.article_id,
        "title": title,
        "ordinal": chunk.ordinal,
        "start": chunk.start,
        "end": chunk.end,
        "kind": chunk.kind,
    }
    if chunk.embed_text != chunk.text:
        meta["embed_text"] = chunk.embed_text
    return meta


def _hit(chunk_id: str, text: str, meta: dict, similarity: float) -> Hit:
    return Hit(
        chunk_id=chunk_id,
        article_id=meta["article_id"],
        title=meta["title"],
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        ordinal=int(meta["ordinal"]),
        kind=meta.get("kind", "sentence"),
        similarity=float(similarity),
        search_text=meta.get("embed_text", ""),
    )
