"""The extractive composer as a reader: it points at evidence sentences by rules, instantly.

It reads the same numbered evidence the model reads and answers in the same form (pairs of a
sentence's number and a phrase, here the whole sentence), so its picks go through the same
grounding, decision and writing, and it can never cite a sentence the user wasn't shown. Its
rules (question kinds, stories a conversation stays in, parts of a question) live in `rules`
and `query`; they were fitted to the seed eval set item by item, before the split existed,
and generalise worse than the model (README). It answers alone when no model is installed or
`ASSISTANT_BACKEND=extractive`, and beside the model its pick is a second candidate, verified
like the model's (`pipeline/decide.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.composer.query import analyse
from assistant.composer.rules import compose
from assistant.pipeline.evidence import Evidence
from assistant.pipeline.read import NONE, PHRASE, POINTER, Pair, Reply
from assistant.settings import ComposerWeights, Settings
from search.keywords import KeywordIndex
from search.retrieval import Scored


class Composer:
    """The composer over one keyword index, with its weights and limits from Settings."""

    def __init__(self, keywords: KeywordIndex, settings: Settings) -> None:
        self.keywords = keywords
        self.weights = settings.composer
        self.max_citations = settings.max_citations
        self.min_similarity = settings.min_similarity

    def read(
        self,
        evidence: Evidence,
        asks: Sequence[tuple[str, str]],
        candidates: Sequence[Sequence[Scored]],
        history: Sequence[tuple[str, str]],
    ) -> list[Reply]:
        """One reply per part: `asks` are (asked, searched) texts, `candidates` each part's
        evidence units with their similarity to it."""
        keywords, weights = self.keywords, self.weights
        limits = (self.max_citations, self.min_similarity)
        said = history[-1][1] if history else ""
        # a follow-up is about what the last turn was about, and the parts of one question
        # about one story: sentences of that story's articles count for more
        story = {}
        if history or len(asks) > 1:
            whole = " ".join(part for part, _ in asks)
            story = _story(keywords.article_scores(_conversation(whole, history)), weights)
        asked = [
            (analyse(part, searched, keywords, weights, said), list(units))
            for (part, searched), units in zip(asks, candidates, strict=True)
        ]
        composed = compose(asked, keywords, *limits, story, weights)
        if len(asks) > 1 and not composed.refused:
            # a part answered from another story than the question's: the story of each answer
            # (its article and the other reports of the same event) is tried for all parts, and
            # the one that answers them best kept ("Who represented the US in Moscow and where
            # do they go next?" is one visit, not a trade fair and this)
            tried = {frozenset(story)}
            for article_id in dict.fromkeys(h.article_id for hits in composed.picked for h in hits):
                other = keywords.related(article_id, weights.story_articles)
                if frozenset(other) not in tried:
                    tried.add(frozenset(other))
                    again = compose(asked, keywords, *limits, other, weights)
                    composed = max(composed, again, key=lambda c: c.support)
        lines = {line.unit.chunk_id: line for line in evidence.lines}
        replies = []
        for hits in composed.picked or [()] * len(asks):
            pairs = tuple(
                Pair(lines[h.chunk_id].n, lines[h.chunk_id].text) for h in hits if h.chunk_id in lines
            )
            raw = "\n".join(f"{POINTER}: {p.line}\n{PHRASE}: {p.phrase}" for p in pairs) or NONE
            replies.append(Reply(pairs, raw))
        return replies


def _conversation(question: str, history) -> str:
    """The last turn (its question and answer) and this question: what a follow-up is about."""
    if not history:
        return question
    asked, said = history[-1]
    return f"{asked} {said} {question}"


def _story(scores: dict[str, float], weights: ComposerWeights) -> dict[str, float]:
    """The few articles, close to the best, that a conversation is about, with their scores."""
    best = sorted(scores, key=scores.get, reverse=True)[: weights.story_articles]
    return {a: scores[a] for a in best if scores[a] >= weights.story_share}
