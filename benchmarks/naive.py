"""The baseline: a plain llama-index pipeline over the same articles, Chroma and embedder.

`SimpleDirectoryReader` -> `VectorStoreIndex` (default `SentenceSplitter`: 1,024-token chunks,
200 overlap) in its own Chroma collection -> `as_retriever()` (default top 2; top 5 for hit@5).
It is built in a process of its own (`python -m benchmarks.naive`), so its memory and imports are
measured apart from the product's; its retrieval is timed in the benchmark's process, question by
question beside the product's answers. It has no incremental update: a rerun embeds everything.
With a model, `citation_engine` answers from it with llama-index's `CitationQueryEngine`
(benchmarks/reader_bench.py times it beside the reader).

    python -m benchmarks.naive build CORPUS DATA QUESTIONS_JSON OUT_JSON
    python -m benchmarks.naive ask DATA QUESTION
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.measure import Question, disk_mb, hit_rate, peak_rss_mb, token_counts

COLLECTION = "naive"


def _setup():
    from index import offline

    offline.prepare()
    from llama_index.core import Settings
    from pydantic import PrivateAttr

    from index.llama_embedding import MiniLMEmbedding

    class Recording(MiniLMEmbedding):
        """The same embedder, keeping the texts it was given to count their tokens afterwards."""

        _seen: list = PrivateAttr(default_factory=list)

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            self._seen.extend(texts)
            return super()._get_text_embeddings(texts)

        def _get_text_embedding(self, text: str) -> list[float]:
            self._seen.append(text)
            return super()._get_text_embedding(text)

    Settings.embed_model = Recording()
    Settings.llm = None  # llama-index's MockLLM: nothing may call OpenAI
    return Settings.embed_model


def _vector_store(data: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chromadb.PersistentClient(
        path=str(data / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection(COLLECTION, metadata={"hnsw:space": "cosine"})
    return ChromaVectorStore(chroma_collection=collection), collection


def _article_ids(nodes) -> list[str]:
    return [Path(n.node.metadata.get("file_name", "")).stem for n in nodes]


def build_and_ask(corpus: Path, data: Path, questions: list[Question]) -> dict:
    embedder = _setup()
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex

    store, collection = _vector_store(data)
    start = time.perf_counter()
    documents = SimpleDirectoryReader(str(corpus), required_exts=[".txt", ".md"]).load_data()
    index = VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(vector_store=store),
        show_progress=sys.stderr.isatty(),
    )
    index_s = time.perf_counter() - start
    chunks = collection.count()
    embedded_tokens, chunk_tokens = token_counts(embedder._seen)

    top5 = index.as_retriever(similarity_top_k=5)
    retrieved = [_article_ids(top5.retrieve(q.question)) for q in questions]
    return {
        "index_s": round(index_s, 2),
        "articles": len(documents),
        "chunks": chunks,
        "index_chunks_per_s": round(chunks / index_s, 1),
        "index_articles_per_s": round(len(documents) / index_s, 2),
        "embedded_tokens": embedded_tokens,
        "index_tokens_per_s": round(embedded_tokens / index_s, 1),
        "tokens_cut_share": round(1 - embedded_tokens / chunk_tokens, 3) if chunk_tokens else 0.0,
        "noop_reindex_s": None,  # no incremental update: a rerun costs index_s again
        "hit_at_5": hit_rate(questions, retrieved),
        "peak_rss_mb": peak_rss_mb(),
        "index_disk_mb": disk_mb(data),
    }


def open_index(data: Path, encoder=None):
    """The built naive index, embedding queries with `encoder` (default: a MiniLM of its own).

    Only the embedder is set: retrievers never touch the LLM (and resolving `llm=None` prints
    to stdout, where the benchmark's table goes).
    """
    from index import offline

    offline.prepare()
    from llama_index.core import VectorStoreIndex

    from index.llama_embedding import MiniLMEmbedding

    store, _ = _vector_store(data)
    return VectorStoreIndex.from_vector_store(store, embed_model=MiniLMEmbedding(encoder))


def open_retriever(data: Path):
    """The default retriever (top 2) over a built naive index, for timing beside the product."""
    return open_index(data).as_retriever()


def citation_engine(data: Path, llm, encoder=None):
    """llama-index's `CitationQueryEngine` with its defaults over the built naive index: top 2
    chunks, cut into 512-token numbered sources, one "compact" prompt (refined when too long)."""
    from llama_index.core.query_engine import CitationQueryEngine

    return CitationQueryEngine.from_args(open_index(data, encoder), llm=llm)


def ask(data: Path, question: str) -> list[str]:
    """What a fresh process does to answer one question from the built naive index."""
    _setup()
    from llama_index.core import VectorStoreIndex

    store, _ = _vector_store(data)
    return _article_ids(VectorStoreIndex.from_vector_store(store).as_retriever().retrieve(question))


def main(argv: list[str]) -> None:
    if argv[:1] == ["build"] and len(argv) == 5:
        corpus, data, questions_json, out_json = map(Path, argv[1:])
        raw = json.loads(questions_json.read_text(encoding="utf-8"))
        questions = [Question(q["question"], (), tuple(q["articles"])) for q in raw]
        result = build_and_ask(corpus, data, questions)
        out_json.write_text(json.dumps(result), encoding="utf-8")
    elif argv[:1] == ["ask"] and len(argv) == 3:
        print(json.dumps(ask(Path(argv[1]), argv[2])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
