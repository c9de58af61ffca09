"""The one long-lived object: the embedder, the store and the keyword index, loaded once.

`get_engine()` caches one engine per distinct settings, the only global state the package keeps.
An engine is safe to share between threads (the web chat serves many people at once): lazy
loading and index updates are serialised by a lock, answering itself reads only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from assistant.compose import Composed, compose
from assistant.followup import normalize, resolve, standalone
from assistant.models import Answer
from assistant.question import Part, analyse, parts
from assistant.retrieval import KeywordIndex, Retriever, Scored
from assistant.settings import Settings
from index.build import IndexReport, update_index
from index.corpus import load_corpus
from index.embedding import shared_encoder
from index.store import Store, connect

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
        self._retriever: Retriever | None = None

    def index(
        self,
        corpus_dir: Path | None = None,
        progress: Callable[[int], None] | None = None,
        on_todo: Callable[[int], None] | None = None,
    ) -> IndexReport:
        """Update the index from a corpus folder (default: the configured one)."""
        articles, warnings = load_corpus(Path(corpus_dir or self.settings.corpus_dir))
        with self._lock:
            report = update_index(
                articles, self.store, self.encoder, progress, on_todo, self.settings.index_batch
            )
            self._retriever = None
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
                keywords = KeywordIndex(self.store.all_chunks())
                self._retriever = Retriever(self.store, self.encoder, keywords)
            return self._retriever

    def answer(self, question: str, history=None) -> Answer:
        retriever = self.retriever
        keywords = retriever.keywords
        history = normalize(history)
        searched = standalone(question, history)
        pieces = parts(resolve(question, history))
        # a follow-up is about what the last turn was about, and the parts of one question are
        # about one story: that story's articles are searched whole, and count for more, so that
        # "What did Xi say?" stays with Macron's visit to Beijing and doesn't drift to other
        # reports of Xi (the two sides of a comparison are two stories)
        together = len(pieces) > 1 and not any(p.apart for p in pieces)
        story = {}
        if history or together:
            story = _story(keywords.article_scores(_conversation(question, history)))
        # one search serves a one-part question: its k best, then every passage of its story's
        # articles (a new question's own, by whole-article BM25, only searched, not favoured:
        # "we're joined by Dr. Petrov" answers "Which expert did World Today News interview?"
        # in words no search for the question ranks among 98k passages)
        k = self.settings.candidates
        looked = {}
        if len(pieces) == 1:
            looked = story or _story(keywords.article_scores(searched))
        first = retriever.search(searched, k, within=list(looked))
        candidates = first[:k]
        if len(pieces) == 1 and not pieces[0].context:
            # its one search already holds its story
            ask = partial(self._compose, pieces, history, [(searched, lambda story: first)])
        else:  # each part of "How long ... and how many ...?" gets its own search
            texts = [standalone(f"{p.context} {p.asked}".strip(), history) for p in pieces]
            ask = partial(
                self._compose, pieces, history,
                [(t, retriever.find(t, k).ranked) for t in texts],
            )
        composed = ask(story)
        if together and not composed.refused:
            # a part answered from another story than the question's: the story of each answer
            # (its article and the other reports of the same event) is tried for all parts, and
            # the one that answers them best kept ("Who represented the US in Moscow and where do
            # they go next?" is one visit, not a 2017 one and this; "How long did the Moscow talks
            # last?" is answered by another report of the talks the 28-point plan's article is on)
            tried = {frozenset(story)}
            for article_id in dict.fromkeys(c.article_id for c in composed.citations):
                other = keywords.related(article_id, STORY_ARTICLES)
                if frozenset(other) not in tried:
                    tried.add(frozenset(other))
                    composed = max(composed, ask(other), key=lambda c: c.support)
        if self.settings.backend != "extractive":
            # the extractive answer is the LLM's relevance gate and its fallback
            from assistant.llm import compose_with_llm

            composed = compose_with_llm(searched, candidates, self.settings, extractive=composed)
        retrieved = list(dict.fromkeys(c.hit.article_id for c in candidates))
        return Answer(
            text=composed.text,
            citations=composed.citations,
            refused=composed.refused,
            question=searched,
            retrieved=retrieved,
        )

    def _compose(
        self,
        pieces: list[Part],
        history: list[tuple[str, str]],
        searches: list[tuple[str, Callable[[list[str]], list[Scored]]]],
        story: dict[str, float],
    ) -> Composed:
        """Each part answered from its search (its text, and its hits ranked in a story)."""
        keywords = self.retriever.keywords
        said = history[-1][1] if history else ""
        asked = [
            (analyse(piece.asked, text, keywords, said), ranked(list(story)))
            for piece, (text, ranked) in zip(pieces, searches, strict=True)
        ]
        return compose(
            asked, keywords, self.settings.max_citations, self.settings.min_similarity, story
        )


STORY_ARTICLES = 3  # at most, each scoring at least STORY_SHARE of the best
STORY_SHARE = 0.8


def _conversation(question: str, history) -> str:
    """The last turn (its question and answer) and this question: what a follow-up is about."""
    if not history:
        return question
    asked, said = history[-1]
    return f"{asked} {said} {question}"


def _story(scores: dict[str, float]) -> dict[str, float]:
    """The few articles, close to the best, that a conversation is about, with their scores."""
    best = sorted(scores, key=scores.get, reverse=True)[:STORY_ARTICLES]
    return {a: scores[a] for a in best if scores[a] >= STORY_SHARE}
