"""The one long-lived object: the embedder, the store and the keyword index, loaded once.

`get_engine()` caches one engine per distinct settings, the only global state the package keeps.
An engine is safe to share between threads (the web chat serves many people at once): lazy
loading and index updates are serialised by a lock, answering itself reads only.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from assistant.composer.reader import Composer
from assistant.llm.base import Cancel
from assistant.llm.turns import TurnReader, Turns
from assistant.models import Answer, Done, Event, Stage
from assistant.pipeline import path
from assistant.pipeline.plan import normalize
from assistant.settings import Settings
from index.build import IndexReport, update_index
from index.corpus import EmptyCorpusError, load_corpus
from index.embedding import shared_encoder
from index.store import Store, connect
from search.keywords import open_keywords
from search.retrieval import Retriever

log = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or Settings()
    key = settings.key()
    with _engines_lock:
        if key not in _engines:
            _engines[key] = Engine(settings)
        return _engines[key]


def clear_engines() -> None:
    """Forget cached engines (tests that point settings elsewhere, or a server restart)."""
    with _engines_lock:
        _engines.clear()


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.encoder = shared_encoder()
        self.store = Store(
            connect(settings.data_dir, settings.chroma_url),
            settings.collection,
            self.encoder.model_id,
            self.encoder.dimension,
        )
        self._lock = threading.RLock()
        self.turns = Turns()  # the reader's queue: one question at a time
        self._retriever: Retriever | None = None
        self._reader = None  # loaded on the first reader answer
        self._reader_missing: str | None = None

    def index(
        self,
        corpus_dir: Path | None = None,
        progress: Callable[[int], None] | None = None,
        on_todo: Callable[[int], None] | None = None,
    ) -> IndexReport:
        """Update the index from a corpus folder (default: the configured one).

        A folder that holds no article empties the index (with a warning saying so), so nothing
        is cited from files that are gone; a folder that does not exist is an error
        (CorpusError) and leaves the index as it is.
        """
        directory = Path(corpus_dir or self.settings.corpus_dir)
        emptied = False
        try:
            articles, warnings = load_corpus(
                directory, self.settings.max_article_mb, self.settings.export_columns
            )
        except EmptyCorpusError as err:
            articles, warnings, emptied = [], list(err.warnings), True
        with self._lock:
            report = update_index(
                articles, self.store, self.encoder, progress, on_todo, self.settings.index_batch
            )
            self._retriever = None
        if emptied:
            warnings.append(
                f"the corpus has no articles: the index was emptied ({report.removed} removed)"
            )
        report.warnings = warnings + report.warnings
        return report

    def ensure_index(self) -> IndexReport | None:
        """Build the index if there is none (or it was built with another model)."""
        with self._lock:
            if self.store.built_with() and not self.store.outdated_because() and self.store.count():
                return None
            return self.index()

    @property
    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                self.ensure_index()
                # saved under the data dir, keyed by the manifest: an unchanged index loads
                # instead of reading every chunk from Chroma and indexing it again
                keywords = open_keywords(self.store, Path(self.settings.data_dir) / "keywords")
                self._retriever = Retriever(
                    self.store, self.encoder, keywords, self.settings.keyword_share,
                    self.settings.recent_share,
                )
            return self._retriever

    def answer(
        self, question: str, history=None, cancel: Cancel | None = None,
        article: str | None = None,
    ) -> Answer:
        """The checked answer (the last event of `stream`)."""
        for event in self.stream(question, history, cancel, article):
            if isinstance(event, Done):
                return event.answer
        raise RuntimeError("the answer stream ended without an answer")  # pragma: no cover

    def stream(
        self, question: str, history=None, cancel: Cancel | None = None,
        article: str | None = None, heartbeat: float | None = None,
    ) -> Iterator[Event]:
        """Retrieved, then Token after Token as the reader copies, then Done(answer); `Stage`s
        between them say what it is doing (waiting for the model: its place in the queue).

        The answer is worked out in a thread of its own, so a caller that stops listening (a
        closed tab, a generator closed) or sets `cancel` ends the work at once: a model call
        in progress is aborted and the model is free for the next question. The question
        holds the model from its first call to its answer, first come first served, for at
        most Settings.answer_ceiling_s of model time. With `heartbeat`, the current Stage is
        said again after that many seconds without news, so a caller that can only stop
        between events (a web server closing a generator it iterates in a thread) is never
        kept waiting longer.
        """
        history = normalize(history)
        cancel = cancel or Cancel()
        most = self.settings.max_question_chars
        stage = Stage("Searching the articles")
        cut = f"The question was cut to its first {most:,} characters." if len(question) > most else ""
        events: queue.Queue = queue.Queue()
        worker = threading.Thread(
            target=self._work, args=(question[:most], history, cancel, events.put, cut, article),
            daemon=True, name="answer",
        )
        worker.start()
        try:
            while True:
                try:
                    event = events.get(timeout=heartbeat)
                except queue.Empty:  # nothing new: the stage again
                    yield stage
                    continue
                if isinstance(event, Stage):
                    stage = event
                if isinstance(event, BaseException):
                    raise event
                yield event
                if isinstance(event, Done):
                    return
        finally:
            cancel.set("stopped")  # a no-op once answered; else the caller left: stop the work

    def _work(
        self, question: str, history, cancel: Cancel, put, cut: str = "", article=None
    ) -> None:
        """One question, start to answer, its events `put` for the caller as they come;
        `cut` says how the question was cut, if it was."""
        reader = None
        doing = ["Reading the passages"]  # the last stage, said again when the turn comes

        def waiting(place: int) -> None:
            put(Stage("Waiting for the model", queued=place) if place else Stage(doing[0]))

        try:
            retriever = self.retriever
            inner = self.reader() if self.settings.backend != "extractive" else None
            if inner is not None:
                reader = TurnReader(
                    inner, self.turns, cancel, self.settings.answer_ceiling_s, on_wait=waiting
                )
            composer = Composer(retriever.keywords, self.settings)
            for event in path.stream(
                question, history, retriever, reader, composer, self.settings, article
            ):
                if cancel.why == "stopped" and not isinstance(event, Done):
                    continue  # nobody is listening for the rest
                if isinstance(event, Stage) and not event.queued:
                    doing[0] = event.text
                if isinstance(event, Done):
                    missing = self._reader_missing if inner is None else None
                    notice = " ".join(n for n in (cut, missing, event.answer.notice) if n)
                    event = Done(replace(event.answer, notice=notice))
                put(event)
        except BaseException as err:  # noqa: BLE001 - the caller's thread raises it
            put(err)
        finally:
            if reader is not None:
                reader.close()

    def warm(self) -> None:
        """Open the keyword index, load the reader and read its fixed instructions, so the
        chat's first question costs what every other one does (the web chat calls this in the
        background at start)."""
        _ = self.retriever  # opens (or builds) the keyword index
        reader = self.reader() if self.settings.backend != "extractive" else None
        from assistant.llm.readers import LocalReader
        from assistant.pipeline.read import warm_prompt

        if isinstance(reader, LocalReader):  # an endpoint keeps its own cache
            for _ in reader.stream(warm_prompt(), 1):
                pass

    def reader(self):
        """The reader backend, loaded once; None (with a notice) when no model is installed."""
        with self._lock:
            if self._reader is None and self._reader_missing is None:
                self._reader = self._load_reader()
            return self._reader

    def _load_reader(self):
        from assistant.llm import readers

        if self.settings.backend == "openai":
            endpoint = readers.EndpointReader(self.settings)
            return self._recorded(endpoint, f"{self.settings.llm_url}:{self.settings.llm_model}")
        path = readers.model_path(self.settings)
        if path is None:
            from assistant.llm.model_file import INSTALL

            self._reader_missing = (
                "The reader model is not installed, so this answer quotes the articles by "
                f"rules instead (install it with: {INSTALL}, or `make chat`)."
            )
            log.warning(self._reader_missing)
            return None
        reader = readers.model_reader(self.settings, path)
        # replies recorded under one runtime aren't replayed under another: their
        # probabilities differ in the last digits
        identity = ":".join(x for x in (path.name, str(path.stat().st_size), reader.runtime) if x)
        return self._recorded(reader, identity)

    def _recorded(self, reader, identity: str):
        """The reader, replaying recorded replies when measuring (ASSISTANT_REPLY_CACHE)."""
        if self.settings.reply_cache is None:
            return reader
        from assistant.llm.replay import RecordedReader

        return RecordedReader(reader, self.settings.reply_cache, identity)

