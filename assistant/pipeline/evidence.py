"""Evidence: the passages a reader is shown, numbered [1]..[k], within a token budget.

A retrieved sentence alone often lacks what it refers to ("They met for five hours" needs the
sentence naming who "they" are), so each of the best units is widened to its neighbours in its
article (a sentence window, as llama-index's SentenceWindowNodeParser does), windows of one
article that touch are merged, and a sentence that another report already carried is not shown
twice. Prompt tokens are the reader's main cost (~20 ms each on 2 cores), so passages are added
best first until the budget is spent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from index.units import Unit
from search.retrieval import Scored

Neighbours = Callable[[str], Sequence[Unit]]  # article id -> its units in article order
Vectors = Callable[[Sequence[str]], Mapping[str, np.ndarray]]  # chunk ids -> their embeddings


@dataclass(frozen=True)
class Passage:
    """One numbered passage: consecutive units of one article."""

    n: int
    article_id: str
    title: str
    units: tuple[Unit, ...]
    score: float  # the fused retrieval score of its best unit

    @property
    def text(self) -> str:
        """What the reader sees: sentences as written, table rows with their column names."""
        return " ".join(_shown(u) for u in self.units)


@dataclass(frozen=True)
class Line:
    """One numbered sentence (or table row) of the evidence: what a reader's pointer names."""

    n: int
    passage: Passage
    unit: Unit

    @property
    def text(self) -> str:
        return _shown(self.unit)


@dataclass(frozen=True)
class Evidence:
    question: str
    passages: tuple[Passage, ...]
    best_similarity: float  # the best cosine similarity among the retrieved units

    @cached_property
    def lines(self) -> tuple[Line, ...]:
        """Every shown sentence, numbered 1..n in the order the reader sees them (made once:
        the prompt, grounding and the composer all look lines up)."""
        units = [(p, u) for p in self.passages for u in p.units]
        return tuple(Line(n, p, u) for n, (p, u) in enumerate(units, start=1))

    def line(self, n: int) -> Line | None:
        lines = self.lines
        return lines[n - 1] if 1 <= n <= len(lines) else None

    def head(self, budget: int, count_tokens: Callable[[str], int]) -> Evidence:
        """Its first passages within `budget` tokens (one at least): the best evidence, read
        first. Numbered as in the whole, so a reading of the whole that follows shares its
        prompt's opening with this one's in the model's KV cache."""
        kept, spent = [], 0
        for p in self.passages:
            cost = count_tokens(p.title + " " + p.text) + 3 * len(p.units)
            if kept and spent + cost > budget:
                break
            kept.append(p)
            spent += cost
        return Evidence(self.question, tuple(kept), self.best_similarity)


def gather(
    question: str,
    ranked: Sequence[Scored] | Sequence[Sequence[Scored]],
    neighbours: Neighbours,
    count_tokens: Callable[[str], int],
    *,
    units: int,
    window: int,
    budget: int,
    diversity: float = 0.0,
    vectors: Vectors | None = None,
) -> Evidence:
    """The evidence for a question from its ranked units (best first), or for a question of
    several parts from each part's ranking: their best units taken in turn (each part's first,
    then each part's second, ...), so every part has its evidence within the budget.

    `diversity` > 0 takes the units by maximal marginal relevance over their embeddings
    (`vectors`) instead of by rank alone: an answer of several facts needs units that say
    different things, where the best few often say one thing in several reports."""
    rankings = [ranked] if not ranked or isinstance(ranked[0], Scored) else list(ranked)
    rankings = [[s for s in r if s.hit.kind != "header"] for r in rankings]
    best_similarity = max((s.hit.similarity for r in rankings for s in r), default=0.0)
    if diversity > 0 and vectors is not None:
        best = [_diverse(_distinct(r), units, diversity, vectors) for r in rankings]
    else:
        best = [_distinct(r)[:units] for r in rankings]
    spans: list[tuple[str, int, int, float]] = []  # article, first ordinal, last ordinal, score
    for s in _in_turn(best):
        hit = s.hit
        lo, hi = hit.ordinal - window, hit.ordinal + window
        for i, (article, a, b, score) in enumerate(spans):
            if article == hit.article_id and a <= hi + 1 and lo <= b + 1:
                spans[i] = (article, min(a, lo), max(b, hi), score)
                break
        else:
            spans.append((hit.article_id, lo, hi, s.fused))
    seen: set[str] = set()
    passages: list[Passage] = []
    spent = 0
    for article, lo, hi, score in spans:
        units_of = {u.ordinal: u for u in neighbours(article) if u.kind != "header"}
        window_units = [units_of[o] for o in range(lo, hi + 1) if o in units_of]
        fresh = [u for u in window_units if _key(u.text) not in seen]
        if not fresh:
            continue
        title = fresh[0].title
        # each sentence's "[n] ", and the headline when the article is new to the evidence
        cost = count_tokens(" ".join(_shown(u) for u in fresh)) + 3 * len(fresh)
        if all(p.article_id != article for p in passages):
            cost += count_tokens(title) + 3
        if passages and spent + cost > budget:
            continue
        spent += cost
        seen.update(_key(u.text) for u in fresh)
        passages.append(Passage(len(passages) + 1, article, title, tuple(fresh), score))
    return Evidence(question, tuple(passages), best_similarity)


def budget_for(budget: int, parts: int) -> int:
    """A question of several parts gets half a budget more for each part after the first: each
    part needs its own evidence, and the parts after the first cost the reader only their
    question (the evidence stays in its KV cache)."""
    return int(budget * (1 + (max(parts, 1) - 1) / 2))


def _in_turn(rankings: Sequence[Sequence[Scored]]) -> list[Scored]:
    """Each ranking's first, then each one's second, ...; a unit two parts share once."""
    out: dict[str, Scored] = {}
    for i in range(max((len(r) for r in rankings), default=0)):
        for r in rankings:
            if i < len(r):
                out.setdefault(r[i].hit.chunk_id, r[i])
    return list(out.values())


def _diverse(
    ranked: Sequence[Scored], units: int, diversity: float, vectors: Vectors, pool: int = 4
) -> list[Scored]:
    """`units` of the best `pool` x units, each next one the most relevant to the question
    (its fused score, as a share of the best) less `diversity` times its greatest similarity
    to one already taken (MMR, Carbonell & Goldstein 1998)."""
    candidates = list(ranked[: pool * units])
    if not candidates:
        return []
    found = vectors([s.hit.chunk_id for s in candidates])
    candidates = [s for s in candidates if s.hit.chunk_id in found]
    top = max(s.fused for s in candidates) or 1.0
    taken: list[Scored] = []
    like = np.zeros(len(candidates), dtype=np.float32)  # greatest similarity to a taken one
    matrix = np.stack([found[s.hit.chunk_id] for s in candidates])
    free = np.ones(len(candidates), dtype=bool)
    relevance = np.array([s.fused / top for s in candidates], dtype=np.float32)
    while len(taken) < units and free.any():
        score = np.where(free, relevance - diversity * like, -np.inf)
        i = int(np.argmax(score))
        taken.append(candidates[i])
        free[i] = False
        like = np.maximum(like, matrix @ matrix[i])
    return taken


def _distinct(ranked: Sequence[Scored]) -> list[Scored]:
    """Best first, a sentence repeated word for word by another report kept once."""
    seen: set[str] = set()
    out = []
    for s in ranked:
        key = _key(s.hit.text)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _shown(unit: Unit) -> str:
    return unit.matchable if unit.kind == "row" else unit.text


@lru_cache(maxsize=1)
def _cl100k():
    from index import offline

    offline.prepare()  # tiktoken's cl100k_base from llama-index's bundled cache
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    """Tokens of text as the evidence budget counts them, whoever reads: cl100k, within a few
    per cent of the packaged model's own count on news text, and the same evidence for every
    backend (the composer without a model reads what the model would have read)."""
    return len(_cl100k().encode(text, disallowed_special=()))


# A subheading is a short line that ends in a word, as unstructured's title test has it (at
# most 12 words, no final punctuation); a list item ("- Establishing humanitarian corridors")
# ends in a word too, and states a fact.
_HEADING_WORDS = 12
LIST_ITEM = re.compile(r"^(?:[-*•–]|\d+[.)])\s+")  # its marker


def statement(unit: Unit, min_words: int = 4) -> bool:
    """A sentence that says something: not a headline or subheading, a question, a fragment,
    or the lead-in to a list ("Key sticking points include:")."""
    text = unit.text.strip()
    if unit.kind == "header" or text == unit.title or text.endswith(("?", ":")):
        return False
    words = len(text.split())
    if unit.kind == "sentence" and text[-1:].isalnum() and words <= _HEADING_WORDS:
        return bool(LIST_ITEM.match(text)) and words >= min_words
    return words >= min_words
