"""The extractive answerer: answers made of the retrieved sentences themselves, instantly.

`ASSISTANT_BACKEND=extractive`, and the fallback when no reader model is installed. Its rules
(question kinds, stories a conversation stays in, parts of a question) live in `compose` and
`question`; this wires them to one retriever.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from assistant.compose import Composed, compose
from assistant.followup import normalize, resolve, standalone
from assistant.models import Answer
from assistant.question import Part, analyse, parts
from assistant.retrieval import Retriever, Scored
from assistant.settings import Settings


class Extractive:
    def __init__(self, retriever: Retriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings

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
        retrieved = list(dict.fromkeys(c.hit.article_id for c in candidates))
        return Answer(
            text=composed.text,
            citations=composed.citations,
            refused=composed.refused,
            question=searched,
            retrieved=retrieved,
            backend="extractive",
            trace={"retrieved": "\n".join(c.hit.matchable for c in candidates)},
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
