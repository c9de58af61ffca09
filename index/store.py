"""The Chroma side of the index: a chunk collection and a manifest collection.

The manifest holds one record per article (its sha256, whether its chunks are complete, and its
text), so an incremental update reads a few thousand small records instead of every chunk, and it
lives in Chroma itself, so a Chroma server holds the whole index and nothing can drift apart.
An article is marked `pending` before its chunks are written and `done` after; a killed build
leaves `pending` records, which the next build redoes from scratch.

Failures of the store itself become the index's errors, so every command reports them in one
line (exit 2): a Chroma server that stops answering in the middle of a command is a
`StoreUnreachable` naming its URL, and a data dir that cannot be written is a `ReadOnlyStore`
naming the directory. chromadb's embedded store cannot open a read-only SQLite file (it writes
on open), so a read-only index is answered from a private temporary copy, removed at exit; only
what needs a write (building or updating the index) is refused.
"""

from __future__ import annotations

import atexit
import errno
import functools
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from index import offline
from index.chunking import VERSION as CHUNKING_VERSION
from index.chunking import Chunk
from index.corpus import Article
from index.errors import ReadOnlyStore, StoreError, StoreUnreachable
from index.units import Unit

log = logging.getLogger(__name__)

SCHEMA = 1
SEAL = "fingerprint"  # manifest collection metadata: see Store.seal
WRITABLE_HINT = "set ASSISTANT_DATA_DIR to a writable directory"


@dataclass(frozen=True)
class ArticleState:
    sha256: str
    done: bool
    chunks: int


@dataclass(frozen=True)
class Origin:
    """Where a client's index lives, for error messages and the read-only guard."""

    url: str | None = None  # the Chroma server, in server mode
    data_dir: Path | None = None  # the data dir, in embedded mode
    read_only: bool = False  # the data dir can't be written: this client reads a temporary copy


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
        client._assistant_origin = Origin(url=chroma_url)
        return client
    data_dir = Path(data_dir)
    path = data_dir / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        if data_dir.is_dir():
            raise ReadOnlyStore(
                read_only_message(data_dir, "it holds no index and none can be built there")
            ) from None
        raise ReadOnlyStore(
            f"the data dir {data_dir} cannot be created ({err.strerror or err}); {WRITABLE_HINT}"
        ) from None
    read_only = not _writable(path)
    opened = _read_only_copy(path, data_dir) if read_only else path
    try:
        client = chromadb.PersistentClient(path=str(opened), settings=settings)
    except Exception as err:
        _forget_system(opened)
        if read_only or not _is_read_only_error(err):
            raise
        # the probe could write, SQLite could not (e.g. a read-only file among writable ones)
        read_only, opened = True, _read_only_copy(path, data_dir)
        client = chromadb.PersistentClient(path=str(opened), settings=settings)
    if read_only:
        log.warning("the data dir %s is read-only: answering from a copy of its index", data_dir)
    client._assistant_origin = Origin(data_dir=data_dir, read_only=read_only)
    return client


def read_only_message(data_dir: Path, detail: str) -> str:
    return f"the data dir {data_dir} is read-only: {detail}; {WRITABLE_HINT}"


def server_gone_message(url: str, err: BaseException) -> str:
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return (
        f"the Chroma server at {url} stopped answering ({reason[:200]}); start it again and "
        "rerun the command (`assistant index` completes an interrupted index)"
    )


def _writable(path: Path) -> bool:
    """Whether the index under path can be written: a file can be made there, SQLite opened."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=path)
    except OSError:
        return False
    os.close(fd)
    os.unlink(probe)
    for name in ("chroma.sqlite3", "chroma.sqlite3-wal"):
        if (path / name).exists():
            try:
                with open(path / name, "r+b"):
                    pass
            except OSError:
                return False
    return True


def _read_only_copy(path: Path, data_dir: Path) -> Path:
    """A private, writable copy of the index under path (removed at exit), to read from."""
    root = Path(tempfile.mkdtemp(prefix="assistant-readonly-index-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    copy = root / "chroma"
    try:
        shutil.copytree(
            path,
            copy,
            copy_function=shutil.copyfile,
            ignore=shutil.ignore_patterns("*-shm", ".write-probe-*"),
        )
        for folder, _, files in os.walk(copy):
            os.chmod(folder, 0o700)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o600)
    except OSError as err:
        shutil.rmtree(root, ignore_errors=True)
        raise ReadOnlyStore(
            read_only_message(data_dir, f"its index could not be copied to read from ({err})")
        ) from None
    return copy


def _forget_system(path: Path) -> None:
    """chromadb caches a client's system before starting it; drop one that failed to start."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path), None)
    except Exception:  # a private detail of chromadb; nothing to undo if it moved
        pass


def _causes(err: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__


def _is_connection_error(err: BaseException) -> bool:
    import httpx

    return any(isinstance(e, (httpx.TransportError, ConnectionError)) for e in _causes(err))


_READ_ONLY_WORDS = ("readonly database", "read-only file system", "permission denied")


def _is_read_only_error(err: BaseException) -> bool:
    for e in _causes(err):
        if isinstance(e, OSError) and e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return True
        if any(word in str(e).lower() for word in _READ_ONLY_WORDS):
            return True
    return False


def _translated(method):
    """Store failures as the index's errors: a server that went away, a read-only data dir."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except StoreError:
            raise
        except Exception as err:
            origin = self.origin
            if origin.url and _is_connection_error(err):
                raise StoreUnreachable(server_gone_message(origin.url, err)) from err
            if origin.data_dir is not None and _is_read_only_error(err):
                raise ReadOnlyStore(
                    read_only_message(origin.data_dir, "the index there cannot be written")
                ) from err
            raise

    return wrapper


class Store:
    """Chunks and manifest of one index, named `name`, built with one embedding model."""

    def __init__(self, client, name: str, model_id: str, dimension: int) -> None:
        self.client = client
        self.name = name
        self.model_id = model_id
        self.dimension = dimension
        self._chunks = None
        self._manifest = None
        self.origin: Origin = getattr(client, "_assistant_origin", None) or Origin()

    def _check_writable(self) -> None:
        if self.origin.read_only:
            raise ReadOnlyStore(
                read_only_message(self.origin.data_dir, "the index there cannot be built or updated")
            )

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

    @_translated
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

    @_translated
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

    @_translated
    def reset(self) -> None:
        """Drop the whole index (both collections): used when the embedding model changed."""
        names = {c if isinstance(c, str) else c.name for c in self.client.list_collections()}
        if names & {f"{self.name}_chunks", f"{self.name}_articles"}:
            self._check_writable()
        for suffix in ("_chunks", "_articles"):
            if f"{self.name}{suffix}" in names:
                self.client.delete_collection(f"{self.name}{suffix}")
        self._chunks = self._manifest = None

    # -- manifest ----------------------------------------------------------------------------

    @_translated
    def articles(self) -> dict[str, ArticleState]:
        got = self._get_all(self.manifest, include=["metadatas"])
        return {
            i: ArticleState(m["sha256"], bool(m["done"]), int(m.get("chunks", 0)))
            for i, m in zip(got["ids"], got["metadatas"])
        }

    @_translated
    def article_urls(self) -> dict[str, str]:
        """Each indexed article's address, where it has one (id -> url)."""
        got = self._get_all(self.manifest, include=["metadatas"])
        return {i: m["url"] for i, m in zip(got["ids"], got["metadatas"]) if m.get("url")}

    @_translated
    def manifest_fingerprint(self) -> str | None:
        """A sha256 of what the index holds: each article's id, content hash, done flag and
        chunk count, the chunk total, the embedding model and the chunking version; the same
        digest from any client of the same index (a Chroma server's, on every machine).

        None while the manifest does not account for every chunk (an article `pending`, or
        chunk counts that don't add up: an update under way or killed half-way), since the
        chunks can then change under an unchanged manifest.

        Read from the seal an update leaves in the manifest's collection metadata when it has
        one (reading every article's entry took 0.3 s of a cold start at 3,800 articles);
        computed otherwise (an index an update left half-done, or one built before seals).
        """
        sealed = self._seal()
        return sealed or self._computed_fingerprint()

    @_translated
    def seal(self) -> None:
        """Record the manifest's fingerprint, for the next start to read instead of computing.

        Called at the end of an update; every write clears it first (`_unseal`), so a seal is
        only ever found on an index no one changed since. (Two updates at once on one server
        may leave the first's seal for a moment, until the other's next write clears it.)
        """
        fingerprint = self._computed_fingerprint() or ""
        if fingerprint != self._seal() and not self.origin.read_only:
            self._set_seal(fingerprint)

    def _seal(self) -> str:
        self._manifest = None  # fetched again: another process may have changed its metadata
        return (self.manifest.metadata or {}).get(SEAL, "")

    def _unseal(self) -> None:
        if self._seal():
            self._set_seal("")

    def _set_seal(self, fingerprint: str) -> None:
        self.manifest.modify(metadata={"schema": SCHEMA, SEAL: fingerprint})

    def _computed_fingerprint(self) -> str | None:
        import hashlib
        import json

        state = self.articles()
        total = self.count()
        if not all(s.done for s in state.values()) or sum(s.chunks for s in state.values()) != total:
            return None
        digest = hashlib.sha256()
        head = [self.name, self.model_id, self.dimension, SCHEMA, CHUNKING_VERSION, total]
        digest.update(json.dumps(head).encode())
        for article_id in sorted(state):
            s = state[article_id]
            digest.update(json.dumps([article_id, s.sha256, s.done, s.chunks]).encode())
        return digest.hexdigest()

    @_translated
    def article_texts(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(title, text) of the given articles, as they were indexed."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        got = self.manifest.get(ids=ids, include=["metadatas", "documents"])
        return {i: (m["title"], d) for i, m, d in zip(got["ids"], got["metadatas"], got["documents"])}

    @_translated
    def mark(self, articles: Sequence[Article], done: bool, chunk_counts: Sequence[int] = ()) -> None:
        if articles:
            self._check_writable()
            self._unseal()
        counts = list(chunk_counts) or [0] * len(articles)
        for lo, hi in self._batches(len(articles)):
            part = articles[lo:hi]
            self.manifest.upsert(
                ids=[a.id for a in part],
                embeddings=[[1.0]] * len(part),
                documents=[a.text for a in part],
                metadatas=[
                    {"sha256": a.sha256, "done": done, "chunks": n, "title": a.title, **_dated(a)}
                    for a, n in zip(part, counts[lo:hi])
                ],
            )

    @_translated
    def forget(self, article_ids: Sequence[str]) -> None:
        if not article_ids:
            return
        self._check_writable()
        self._unseal()
        self.delete_chunks(article_ids)
        for lo, hi in self._batches(len(article_ids)):
            self.manifest.delete(ids=list(article_ids[lo:hi]))

    # -- chunks ------------------------------------------------------------------------------

    @_translated
    def delete_chunks(self, article_ids: Sequence[str]) -> None:
        if article_ids:
            self._check_writable()
            self._unseal()
        for lo in range(0, len(article_ids), 100):
            self.chunks.delete(where={"article_id": {"$in": list(article_ids[lo : lo + 100])}})

    @_translated
    def add_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray, articles: dict) -> None:
        """`articles`: id -> the Article (its title, date and url go with each chunk)."""
        if chunks:
            self._check_writable()
            self._unseal()
        for lo, hi in self._batches(len(chunks)):
            part = chunks[lo:hi]
            self.chunks.add(
                ids=[c.id for c in part],
                embeddings=vectors[lo:hi],
                documents=[c.text for c in part],
                metadatas=[_chunk_meta(c, articles[c.article_id]) for c in part],
            )

    @_translated
    def count(self) -> int:
        return self.chunks.count()

    @_translated
    def search(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[Unit]:
        """The k nearest chunks; `where` (see `within_dates`) keeps only some articles' chunks."""
        # no count() first: it costs more than the search at 100k chunks, and Chroma returns
        # fewer than k results (or none) by itself
        got = self.chunks.query(
            query_embeddings=[vector], n_results=k, where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            _hit(i, d, m, 1.0 - dist)
            for i, d, m, dist in zip(
                got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]
            )
        ]

    @_translated
    def similarities(self, vector: np.ndarray, chunk_ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the query to chunks found some other way (e.g. by keywords)."""
        vectors = self.vectors(chunk_ids)
        if not vectors:
            return {}
        return dict(zip(vectors, (np.stack(list(vectors.values())) @ vector).tolist()))

    @_translated
    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The chunks' unit-length embeddings, by id."""
        if not chunk_ids:
            return {}
        got = self.chunks.get(ids=list(chunk_ids), include=["embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        return dict(zip(got["ids"], vectors))

    @_translated
    def all_chunks(self) -> list[Unit]:
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


def _dated(article) -> dict:
    """The date and url of an article as Chroma metadata (which holds no None: absent keys)."""
    return {k: v for k, v in (("date", article.date), ("url", article.url)) if v}


def day_number(date: str | None) -> int:
    """An ISO date as the integer Chroma compares (20170213); 0 for an undated article."""
    return int(date.replace("-", "")) if date else 0


def within_dates(start: str | None, end: str | None) -> dict | None:
    """A Chroma `where` for chunks of articles dated in [start, end), or undated."""
    bounds = []
    if start:
        bounds.append({"day": {"$gte": day_number(start)}})
    if end:
        bounds.append({"day": {"$lt": day_number(end)}})
    if not bounds:
        return None
    dated = bounds[0] if len(bounds) == 1 else {"$and": bounds}
    return {"$or": [{"day": 0}, dated]}


def _chunk_meta(chunk: Chunk, article) -> dict:
    meta = {
        "article_id": chunk.article_id,
        "title": article.title,
        **_dated(article),
        "day": day_number(article.date),
        "ordinal": chunk.ordinal,
        "start": chunk.start,
        "end": chunk.end,
        "kind": chunk.kind,
    }
    if chunk.embed_text != chunk.text:
        meta["embed_text"] = chunk.embed_text
    return meta


def _hit(chunk_id: str, text: str, meta: dict, similarity: float) -> Unit:
    return Unit(
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
        date=meta.get("date"),
        url=meta.get("url"),
    )
