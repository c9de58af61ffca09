"""The keyword (BM25) side of retrieval, kept under the data dir between starts.

`KeywordIndex` is BM25 (bm25s, Porter stems with demonyms folded) over every chunk and over
every whole article, with what the answer path needs per chunk: its text and fields, the
chunks of each article in order, and the term ids each article holds. All of it is arrays
(strings as one UTF-8 blob and offsets), so it can be written to a folder and memory-mapped
back instead of loading every chunk from Chroma and indexing them again at each start: at 7,874
chunks that took 0.9 s of a 3.4 s cold `assistant ask`.

`open_keywords` finds the copy saved for the store's current manifest (`<data_dir>/keywords/
<collection>/<key>/`, the key a digest of the manifest fingerprint, this module's FORMAT and
the bm25s and PyStemmer versions) or builds one from the store and saves it: into a temporary
folder renamed into place, so a build killed half-way leaves no index that looks complete, and
checked on load against the sizes it recorded, so a damaged copy is rebuilt, not used. Copies
kept for other manifests are removed. A data dir that can't be written (read-only, or another
user's) gets the index built in memory at each start, as before. With a Chroma server, each
assistant keeps its own copy in its own data dir, keyed by the server's manifest, so a corpus
changed from another machine is indexed again at the next start.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from index.store import Store
from index.units import Unit

log = logging.getLogger(__name__)

TERMS_CACHED = 16384  # passages' term sets kept (a few MB)
OPENING = 4  # passages of an article that say what it reports (its title and first sentences)
FORMAT = 2  # of the saved folder; bump when its layout, the tokenizer or the stemmer changes (2: dates)
PARTIAL = ".partial-"  # a folder being written (a stray one is a killed build)
STALE_PARTIAL_S = 3600  # a partial folder older than this is a killed build's, and removed
MMAP_BYTES = 1 << 16  # smaller arrays are read, not memory-mapped
INFO = "info.json"  # written last: what the folder holds, and every other file's size
_ROW_FIELDS = ("start", "end", "ordinal", "article", "title", "kind")


class KeywordIndex:
    """BM25 over every chunk, built from the store's chunks (or loaded: `load`, `open_keywords`)."""

    def __init__(self, chunks: Sequence[Unit]) -> None:
        import bm25s

        tokenizer = _tokenizer()
        bm25, article_bm25 = bm25s.BM25(), bm25s.BM25()
        article_ids: list[str] = []
        article_rows: list[list[int]] = []
        article_terms: list[np.ndarray] = []  # sorted unique term ids
        idf: dict[int, float] = {}
        median_idf = 1.0
        if chunks:
            ids = tokenizer.tokenize([c.matchable for c in chunks], return_as="ids", show_progress=False)
            bm25.index(ids, show_progress=False)
            articles: dict[str, list[int]] = {}
            rows: dict[str, list[int]] = {}
            for row, (chunk, chunk_ids) in enumerate(zip(chunks, ids, strict=True)):
                articles.setdefault(chunk.article_id, []).extend(chunk_ids)
                rows.setdefault(chunk.article_id, []).append(row)
            article_ids = list(articles)
            article_rows = [rows[a] for a in article_ids]
            article_terms = [np.unique(np.asarray(t, dtype=np.int64)) for t in articles.values()]
            article_bm25.index(list(articles.values()), show_progress=False)
            idf = _idf(ids, len(chunks))
            if idf:
                median_idf = sorted(idf.values())[len(idf) // 2]
        self._setup(
            _Chunks.of(chunks),
            tokenizer,
            bm25,
            article_bm25,
            article_ids,
            _Ragged.of(article_rows, np.int64),
            _Ragged.of(article_terms, np.int64),
            idf,
            median_idf,
        )

    def _setup(self, chunks, tokenizer, bm25, article_bm25, article_ids, article_rows,
               article_terms, idf, median_idf) -> None:
        self.chunks: _Chunks = chunks  # a sequence of Unit, in the order BM25 scores them
        self._tokenizer = tokenizer
        self._bm25 = bm25
        self._article_bm25 = article_bm25
        self._article_ids: list[str] = article_ids
        self._article_index = {a: i for i, a in enumerate(article_ids)}
        self._article_rows: _Ragged = article_rows  # each article's chunk rows, in order
        self._article_terms: _Ragged = article_terms
        self._article_chunks: dict[str, list[Unit]] = {}  # made on first use
        self.idf: dict[int, float] = idf
        self.median_idf = median_idf
        # a multi-part question weighs the same passages in every story it tries: tokenizing
        # them again was two thirds of its answer time
        self._terms = functools.lru_cache(maxsize=TERMS_CACHED)(self._tokenized_terms)

    # -- what retrieval and the answerers ask --------------------------------------------------

    def terms(self, text: str) -> frozenset[int]:
        """Stemmed, stopword-free term ids of text that the corpus knows (others can't match)."""
        return self._terms(text)

    def _tokenized_terms(self, text: str) -> frozenset[int]:
        ids = self._tokenizer.tokenize(
            [text], update_vocab=False, return_as="ids", show_progress=False
        )[0]
        return frozenset(i for i in ids if i in self.idf)

    def previous(self, hit: Unit) -> Unit | None:
        """The sentence before hit in its article, which often holds what "it" or "this" is."""
        row = self.chunks.row(f"{hit.article_id}:{hit.ordinal - 1}")
        return None if row is None else self.chunks[row]

    def unknown_terms(self, text: str) -> set[str]:
        """Content words of text that no indexed passage contains, stemmed."""
        tok = self._tokenizer
        words = [w for w in tok.splitter(text.lower()) if w not in tok.stopwords]
        vocab = tok.get_vocab_dict()
        return {s for s in (tok.stemmer(w) for w in words) if s not in vocab}

    @functools.cached_property
    def vocabulary(self) -> dict[str, int]:
        """Every word the indexed passages hold, lower case as written (accents kept), with
        the term id of its stem: what a spelling variant of a name is looked up in."""
        tok = self._tokenizer
        sids = tok.stem_to_sid
        found = {}
        for word, stemmed in tok.word_to_stem.items():
            sid = sids.get(stemmed)
            if sid is not None and sid in self.idf and word not in tok.stopwords:
                found[word] = sid
        return found

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (in `chunks` order) for query."""
        if not len(self.chunks):
            return np.zeros(0)
        ids = self._tokenizer.tokenize(
            [query], update_vocab=False, return_as="ids", show_progress=False
        )
        return self._bm25.get_scores(ids[0])

    def article_scores(self, text: str) -> dict[str, float]:
        """BM25 of whole articles for text, scaled to the best (articles sharing no term left out).

        A passage is judged by its own words; which story it belongs to is a question about its
        whole article.
        """
        if not self._article_ids:
            return {}
        ids = self._tokenizer.tokenize(
            [text], update_vocab=False, return_as="ids", show_progress=False
        )
        scores = self._article_bm25.get_scores(ids[0])
        best = float(scores.max()) if len(scores) else 0.0
        if best <= 0:
            return {}
        return {a: float(s) / best for a, s in zip(self._article_ids, scores, strict=True) if s > 0}

    def related(self, article_id: str, n: int) -> dict[str, float]:
        """The article (1.0) and the n others its opening finds, each with its share of the
        article's own score: the other reports of the event it is about, the closer the more.

        A news article's first sentences say what happened, so the whole-article BM25 of its
        opening ranks the other reports of that event first. (A story found by the question and
        one answer instead favours that answer's article, right or wrong: "the preparation for
        talks had lasted for several months", from a 2017 press review, then beat "five hours of
        talks" for how long the Moscow talks lasted.)
        """
        opening = " ".join(hit.matchable for hit in self.article_chunks(article_id)[:OPENING])
        scores = self.article_scores(opening)
        own = scores.get(article_id) or 1.0
        others = sorted((a for a in scores if a != article_id), key=scores.get, reverse=True)[:n]
        return {article_id: 1.0} | {a: min(scores[a] / own, 1.0) for a in others}

    def mentions(self, article_id: str, terms: Iterable[int]) -> bool:
        """Whether the article holds every one of terms (somewhere, not necessarily together).

        True for an article indexed after this keyword index was built: it can't be checked.
        """
        i = self._article_index.get(article_id)
        wanted = np.fromiter(terms, dtype=np.int64)
        return i is None or bool(np.isin(wanted, self._article_terms[i]).all())

    def article_chunks(self, article_id: str) -> list[Unit]:
        found = self._article_chunks.get(article_id)
        if found is None:
            i = self._article_index.get(article_id)
            if i is None:
                return []
            found = [self.chunks[int(row)] for row in self._article_rows[i]]
            self._article_chunks[article_id] = found
        return found

    def score_of(self, scores: np.ndarray, chunk_id: str) -> float:
        """chunk_id's score in scores; 0 for a chunk indexed after this keyword index was built
        (another process writing to the same Chroma server)."""
        i = self.chunks.row(chunk_id)
        return float(scores[i]) if i is not None and i < len(scores) else 0.0

    @functools.cached_property
    def days(self) -> np.ndarray:
        """Each chunk's article date as YYYYMMDD (0: undated), in `chunks` order."""
        per_article = np.array([int(d.replace("-", "")) if d else 0 for d in self.chunks.dates] or [0])
        return per_article[self.chunks.rows[:, 3]] if len(self.chunks) else np.zeros(0, np.int64)

    @functools.cached_property
    def newest(self) -> str | None:
        """The corpus's newest article date (ISO), which "last week" is taken relative to."""
        dates = [d for d in self.chunks.dates if d]
        return max(dates) if dates else None

    def top(self, scores: np.ndarray, k: int) -> list[tuple[Unit, float]]:
        """The k best-scoring chunks with a score above 0, best first."""
        # scoring all and partitioning is 15x faster than bm25s.retrieve at 100k chunks
        k = min(k, len(scores))
        if not k:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunks[int(i)], float(scores[i])) for i in top if scores[i] > 0]

    # -- saving and loading --------------------------------------------------------------------

    def save(self, folder: Path, key: str = "") -> None:
        """Write the index into folder (made if missing), INFO last, each file synced."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        _save_bm25(self._bm25, folder / "chunks.bm25")
        _save_bm25(self._article_bm25, folder / "articles.bm25")
        self._tokenizer.save_vocab(folder)
        arrays = {
            **self.chunks.arrays(),
            "article_rows": self._article_rows,
            "article_terms": self._article_terms,
        }
        for name, value in arrays.items():
            if isinstance(value, (_Ragged, _Strings)):
                np.save(folder / f"{name}.values.npy", value.values)
                np.save(folder / f"{name}.offsets.npy", value.offsets)
            else:
                np.save(folder / f"{name}.npy", value)
        np.save(folder / "idf.terms.npy", np.fromiter(self.idf, dtype=np.int64, count=len(self.idf)))
        np.save(folder / "idf.values.npy", np.fromiter(self.idf.values(), dtype=np.float64, count=len(self.idf)))
        files = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != INFO):
            _sync(path)
            files[path.relative_to(folder).as_posix()] = path.stat().st_size
        info = {
            "format": FORMAT,
            "key": key,
            "chunks": len(self.chunks),
            "articles": self._article_ids,
            **self.chunks.names(),
            "median_idf": self.median_idf,
            "files": files,
        }
        with open(folder / INFO, "w", encoding="utf-8") as f:
            json.dump(info, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())

    @classmethod
    def load(cls, folder: Path, key: str | None = None) -> KeywordIndex:
        """The index saved in folder (its big arrays memory-mapped). Raises ValueError (or
        OSError) for a folder that is incomplete, damaged, of another FORMAT or another key."""
        import bm25s

        folder = Path(folder)
        with open(folder / INFO, encoding="utf-8") as f:
            info = json.load(f)
        if info.get("format") != FORMAT or (key is not None and info.get("key") != key):
            raise ValueError(f"{folder} holds a keyword index of another format or manifest")
        for name, size in info["files"].items():
            if (folder / name).stat().st_size != size:
                raise ValueError(f"{folder / name} is {(folder / name).stat().st_size} bytes, not {size}")

        def array(name: str) -> np.ndarray:
            path = folder / f"{name}.npy"
            return np.load(path, mmap_mode="r" if path.stat().st_size > MMAP_BYTES else None)

        def ragged(name: str) -> _Ragged:
            return _Ragged(array(f"{name}.values"), array(f"{name}.offsets"))

        chunks = _Chunks.from_arrays(info, array, ragged)
        if len(chunks) != info["chunks"]:
            raise ValueError(f"{folder} holds {len(chunks)} chunks, its info says {info['chunks']}")
        tokenizer = _tokenizer()
        tokenizer.load_vocab(folder)
        self = cls.__new__(cls)
        self._setup(
            chunks,
            tokenizer,
            bm25s.BM25.load(folder / "chunks.bm25", mmap=True, load_vocab=False),
            bm25s.BM25.load(folder / "articles.bm25", mmap=True, load_vocab=False),
            list(info["articles"]),
            ragged("article_rows"),
            ragged("article_terms"),
            dict(zip(array("idf.terms").tolist(), array("idf.values").tolist(), strict=True)),
            info["median_idf"],
        )
        if not len(self._article_rows) == len(self._article_ids) == len(self._article_terms):
            raise ValueError(f"{folder}: its per-article arrays don't match its articles")
        return self


def open_keywords(store: Store, folder: Path) -> KeywordIndex:
    """The store's keyword index: the copy saved under folder for the store's manifest, or one
    built from every chunk in the store (saved there for the next start, when it can be)."""
    key = keywords_key(store)
    home = Path(folder) / store.name
    if key is not None:
        saved = _saved(home / key, key)
        if saved is not None:
            return saved
    built = KeywordIndex(store.all_chunks())
    # saved only if nothing changed while the chunks were read: a copy keyed by the manifest
    # must hold exactly what that manifest describes
    if key is not None and len(built.chunks) and keywords_key(store) == key:
        _save(built, home, key)
    return built


def keywords_key(store: Store) -> str | None:
    """The name of the store's saved keyword index; None when the manifest doesn't account for
    every chunk (an update under way or killed half-way), which no saved copy can be keyed by."""
    import bm25s
    import Stemmer

    fingerprint = store.manifest_fingerprint()
    if fingerprint is None:
        return None
    versions = f"{FORMAT} bm25s {bm25s.__version__} PyStemmer {_stemmer_version(Stemmer)}"
    return hashlib.sha256(f"{versions}\n{fingerprint}".encode()).hexdigest()[:32]


def _saved(folder: Path, key: str) -> KeywordIndex | None:
    if not folder.is_dir():
        return None
    try:
        return KeywordIndex.load(folder, key)
    except Exception as err:  # a damaged copy is rebuilt, whatever is wrong with it
        log.warning("the saved keyword index %s is unreadable (%s); building it again", folder, err)
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _save(index: KeywordIndex, home: Path, key: str) -> None:
    """Save index as home/key, atomically, and remove the copies kept for other manifests."""
    partial = None
    try:
        home.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=PARTIAL, dir=home))
        index.save(partial, key)
        try:
            os.rename(partial, home / key)
        except OSError:
            if not (home / key).is_dir():
                raise
            # another process saved the same index first: keep its copy
        else:
            partial = None
            _sync(home)
    except OSError as err:
        quiet = isinstance(err, PermissionError) or err.errno in (errno.EROFS, errno.EACCES)
        (log.info if quiet else log.warning)(
            "the keyword index could not be saved under %s (%s): it is built at each start", home, err
        )
        return
    finally:
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)
    _remove_others(home, key)


def _remove_others(home: Path, key: str) -> None:
    now = time.time()
    for entry in home.iterdir():
        if entry.name == key:
            continue
        if entry.name.startswith(PARTIAL):
            try:
                if now - entry.stat().st_mtime < STALE_PARTIAL_S:
                    continue  # another process may be writing it
            except OSError:
                continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems can't sync a directory
        pass
    finally:
        os.close(fd)


def _save_bm25(bm25, folder: Path) -> None:
    """bm25s's own save; its vocab (token id -> column, only used to look up string queries,
    which this index never asks) with str keys, as JSON needs (orjson refuses int keys)."""
    import copy

    shown = copy.copy(bm25)
    shown.vocab_dict = {str(k): v for k, v in bm25.vocab_dict.items()}
    shown.save(folder, show_progress=False)


def _stemmer_version(module) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("PyStemmer")
    except PackageNotFoundError:
        return getattr(module, "__version__", "unknown")


class _Ragged:
    """A list of int arrays as one array of values and one of offsets."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray) -> None:
        self.values, self.offsets = values, offsets

    @classmethod
    def of(cls, parts: Sequence[Sequence[int]], dtype) -> _Ragged:
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in parts], out=offsets[1:])
        values = np.concatenate([np.asarray(p, dtype=dtype) for p in parts]) if parts else np.zeros(0, dtype)
        return cls(values.astype(dtype, copy=False), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i] : self.offsets[i + 1]]


class _Strings:
    """A list of strings as one UTF-8 blob and byte offsets."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray) -> None:
        self.values, self.offsets = values, offsets  # the UTF-8 bytes of all, and where each starts

    @classmethod
    def of(cls, strings: Iterable[str]) -> _Strings:
        encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.values[self.offsets[i] : self.offsets[i + 1]].tobytes().decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        whole = self.values.tobytes()
        bounds = self.offsets.tolist()
        for lo, hi in zip(bounds, bounds[1:]):
            yield whole[lo:hi].decode("utf-8", "surrogatepass")


class _Chunks(Sequence[Unit]):
    """Every chunk as columns; `chunks[i]` is the Unit the store gave for row i."""

    def __init__(self, ids: _Strings, texts: _Strings, search_texts: _Strings, rows: np.ndarray,
                 similarity: np.ndarray, articles: list[str], titles: list[str], kinds: list[str],
                 dates: list[str | None] | None = None, urls: list[str | None] | None = None) -> None:
        self.ids, self.texts, self.search_texts = ids, texts, search_texts
        self.rows = rows  # per chunk: start, end, ordinal, article, title, kind (the last 3 indices)
        self.similarity = similarity
        self.articles, self.titles, self.kinds = articles, titles, kinds
        # per article (by its index): its date and url, when known
        self.dates = dates or [None] * len(articles)
        self.urls = urls or [None] * len(articles)
        self._rows_by_id: dict[str, int] | None = None

    @classmethod
    def of(cls, hits: Sequence[Unit]) -> _Chunks:
        articles: dict[str, int] = {}
        titles: dict[str, int] = {}
        kinds: dict[str, int] = {}
        dated = {h.article_id: (h.date, h.url) for h in hits}
        rows = np.array(
            [
                (
                    h.start, h.end, h.ordinal,
                    articles.setdefault(h.article_id, len(articles)),
                    titles.setdefault(h.title, len(titles)),
                    kinds.setdefault(h.kind, len(kinds)),
                )
                for h in hits
            ],
            dtype=np.int64,
        ).reshape(len(hits), len(_ROW_FIELDS))
        return cls(
            _Strings.of(h.chunk_id for h in hits),
            _Strings.of(h.text for h in hits),
            _Strings.of(h.search_text for h in hits),
            rows,
            np.array([h.similarity for h in hits], dtype=np.float64),
            list(articles), list(titles), list(kinds),
            [dated[a][0] for a in articles], [dated[a][1] for a in articles],
        )

    def arrays(self) -> dict:
        return {
            "chunk_ids": self.ids, "chunk_texts": self.texts, "chunk_search_texts": self.search_texts,
            "chunk_rows": self.rows, "chunk_similarity": self.similarity,
        }

    def names(self) -> dict:
        return {"chunk_articles": self.articles, "chunk_titles": self.titles, "chunk_kinds": self.kinds,
                "chunk_article_dates": self.dates, "chunk_article_urls": self.urls}

    @classmethod
    def from_arrays(cls, info: dict, array, ragged) -> _Chunks:
        def strings(name: str) -> _Strings:
            r = ragged(name)
            return _Strings(r.values, r.offsets)

        chunks = cls(
            strings("chunk_ids"), strings("chunk_texts"), strings("chunk_search_texts"),
            array("chunk_rows"), array("chunk_similarity"),
            list(info["chunk_articles"]), list(info["chunk_titles"]), list(info["chunk_kinds"]),
            list(info["chunk_article_dates"]), list(info["chunk_article_urls"]),
        )
        n = len(chunks.ids)
        if not (len(chunks.texts) == len(chunks.search_texts) == len(chunks.similarity) == n
                and chunks.rows.shape == (n, len(_ROW_FIELDS))):
            raise ValueError("the saved chunk columns differ in length")
        return chunks

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        start, end, ordinal, article, title, kind = self.rows[i].tolist()
        return Unit(
            chunk_id=self.ids[i],
            article_id=self.articles[article],
            title=self.titles[title],
            text=self.texts[i],
            start=start,
            end=end,
            ordinal=ordinal,
            kind=self.kinds[kind],
            similarity=float(self.similarity[i]),
            search_text=self.search_texts[i],
            date=self.dates[article],
            url=self.urls[article],
        )

    def row(self, chunk_id: str) -> int | None:
        """The row of chunk_id (None for a chunk this index doesn't hold)."""
        if self._rows_by_id is None:
            self._rows_by_id = {c: i for i, c in enumerate(self.ids)}
        return self._rows_by_id.get(chunk_id)


def _tokenizer():
    from bm25s.tokenization import Tokenizer

    from search.text import stem

    return Tokenizer(stemmer=stem, stopwords="en")


def _idf(docs: list[list[int]], n: int) -> dict[int, float]:
    df = Counter(t for doc in docs for t in set(doc))
    df.pop(0, None)  # the empty token
    return {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
