"""Check: every sentence the reader wrote is kept only if the passage it cites supports it.

A model's `[n]` is a claim about its sentence, not a fact, so code decides. A passage supports a
sentence when every number and proper name the sentence states is in the passage (compared
stemmed, "five" as "5", "Ukraine's" as "Ukrainian"), most of its other content words are too
(`min_coverage`, one word may always be missing: "the US ambassador is Jared Kushner" is not in
a passage that names Kushner but no ambassador), and the sentence means something close to it: its MiniLM cosine with one of
the passage's sentences, or with the passage as a whole, is at least `min_similarity`. Names and numbers catch what embeddings blur ("six killed" vs "six
wounded" is close in meaning, "Canberra" in no passage is not in the passage); the similarity
catches what a bag of names can't (a name taken from the passage into a sentence it doesn't say).

- the cited passage supports it: kept as cited;
- another passage does: pointed at that one (the best supported);
- no marker: given the passage that supports it;
- none does, and it joins clauses (", and", "; "): each clause is checked on its own, since a
  small model puts two facts from two passages in one sentence;
- none does: dropped. Nothing left, or the refusal phrase: a refusal.

The quote is the passage's sentence that supports the claim best, widened to the next ones in
the passage until every name and number of the claim is in it, verbatim from the article with
its offsets. Markers are renumbered 1..n in order of first use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.claims import Claim, split_claims
from assistant.claims import words as content_words
from assistant.evidence import Evidence, Passage
from assistant.models import Citation
from assistant.reader import REFUSAL_PHRASE
from index.store import Hit

# claim text -> cosine with each evidence unit (by chunk id) and each passage (by its number)
Similarity = Callable[[str], tuple[dict[str, float], dict[int, float]]]
ArticleText = Callable[[str], str]

DUPLICATE = 0.8  # content-word Jaccard above which a sentence repeats one already kept
_CAPITALISED = re.compile(r"\b[^\W\d_][\w’'.-]*", re.U)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Tally:
    """What the check did to one reply (the eval and bench add these up)."""

    sentences: int = 0
    kept: int = 0
    repointed: int = 0
    unmarked: int = 0
    dropped: int = 0


@dataclass(frozen=True)
class Checked:
    text: str
    citations: list[Citation]
    refused: bool
    tally: Tally = field(default_factory=Tally)


def is_refusal(reply: str) -> bool:
    """The model said the passages don't answer (it may add words around the phrase)."""
    head = " ".join(reply.split()).upper()
    return head.startswith(REFUSAL_PHRASE) or (REFUSAL_PHRASE in head and "[" not in reply)


def check(
    reply: str,
    evidence: Evidence,
    similarity: Similarity,
    article_text: ArticleText,
    *,
    min_similarity: float,
    max_citations: int,
    min_coverage: float = 0.0,
    question: str = "",
) -> Checked:
    if is_refusal(reply) or not evidence.passages:
        return Checked("", [], True, Tally())
    context = " ".join([question] + [p.text for p in evidence.passages])
    kept: list[tuple[str, Passage, tuple[Hit, ...]]] = []
    kept_words: list[frozenset[str]] = []
    counts = dict(sentences=0, kept=0, repointed=0, unmarked=0, dropped=0)
    queue = [(claim, False) for claim in split_claims(reply)]
    while queue:
        claim, is_part = queue.pop(0)
        if REFUSAL_PHRASE in claim.text.upper():
            continue  # "... [1]. NOT IN THE ARTICLES for the rest": the rest isn't a claim
        counts["sentences"] += not is_part
        words = content_words(claim.text)
        facts = stated_facts(claim.text, context)
        # "Miami." answers "Where are they going?"; "Yes." and "Done." state nothing
        if not facts and len(words) < 2 or any(_jaccard(words, k) >= DUPLICATE for k in kept_words):
            counts["dropped"] += 1
            continue
        # a reply sentence answers the question: "28 points at first" means what it means
        # after "How many points did the plan have?", so it is compared with and without it
        units, passages = _either(similarity, claim.text, question)
        supported = [
            p for p in evidence.passages
            if _holds(p, facts)
            and _negated_alike(words, p, units)
            and _covered(words - facts, p, min_coverage)
            and _closeness(p, units, passages) >= min_similarity
        ]  # fmt: skip
        if not supported:
            parts = [] if is_part else clauses(claim)
            if parts:  # "X lasted five hours, and the plan had 28 points": two facts, two passages
                queue[0:0] = [(part, True) for part in parts]
                continue
            counts["dropped"] += 1
            continue
        cited = [evidence.passage(n) for n in claim.hints]
        right = next((p for p in cited if p in supported), None)
        if right is None:
            right = max(supported, key=lambda p: _closeness(p, units, passages))
            counts["repointed" if claim.hints else "unmarked"] += 1
        else:
            counts["kept"] += 1
        kept.append((claim.text, right, _quote_units(right, facts, units)))
        kept_words.append(words)
    text, citations = _number(kept, article_text, max_citations)
    if not citations:
        return Checked("", [], True, Tally(**counts))
    return Checked(text, citations, False, Tally(**counts))


_CLAUSE_BREAK = re.compile(r",\s+(?:and|but|while|whereas)\s+|;\s+", re.I)


def clauses(claim: Claim) -> list[Claim]:
    """The independent clauses of a compound sentence, each a claim of its own with the same
    markers; none when it has only one. A ", and" that ends a list ("Donetsk, Luhansk, and
    Kherson": a comma before it since the last break) joins names, not clauses."""
    text, pieces, start = claim.text, [], 0
    for m in _CLAUSE_BREAK.finditer(text):
        if m.group(0).startswith(",") and "," in text[start : m.start()]:
            continue
        pieces.append(text[start : m.start()])
        start = m.end()
    pieces = [p.strip(" ,;") for p in pieces + [text[start:]]]
    if len(pieces) < 2 or any(len(p.split()) < 3 or len(content_words(p)) < 2 for p in pieces):
        return []
    return [Claim(_end(p[0].upper() + p[1:]), claim.hints) for p in pieces]


def stated_facts(sentence: str, context: str = "") -> frozenset[str]:
    """The numbers and proper names a sentence states, normalised as `words` normalises them.

    A capitalised word is a name unless it is a function word, or opens the sentence and is
    written in lower case somewhere in `context` (the question and passages): "Russian forces"
    opens with a name, "Talks lasted" doesn't.
    """
    found: set[str] = set()
    lowered = {w for w in re.findall(r"[^\W\d_]+", context) if w[0].islower()}
    for number in _NUMBER.findall(sentence):
        found |= content_words(number)
    for m in _CAPITALISED.finditer(sentence):
        word = m.group(0).rstrip(".")
        if word.lower() in _NUMBER_WORD_SET:
            found |= content_words(word)  # "five hours" states 5
            continue
        if not word[0].isupper():
            continue
        opens = m.start() == 0 or sentence[: m.start()].rstrip()[-1:] in {".", ":", '"', "“"}
        if opens and word.lower() in lowered:
            continue
        found |= content_words(word)
    return frozenset(found)


_NEGATIONS = frozenset({"not", "no", "never", "nor", "without"})
_NUMBER_WORD_SET = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
    "forty fifty hundred".split()
)


def _either(similarity: Similarity, claim: str, question: str):
    units, passages = similarity(claim)
    if not question:
        return units, passages
    q_units, q_passages = similarity(f"{question} {claim}")
    return (
        {k: max(v, q_units.get(k, 0.0)) for k, v in units.items()},
        {k: max(v, q_passages.get(k, 0.0)) for k, v in passages.items()},
    )


def _holds(passage: Passage, facts: frozenset[str]) -> bool:
    return facts <= content_words(passage.text + " " + passage.title)


def _negated_alike(words: frozenset[str], passage: Passage, units: dict[str, float]) -> bool:
    """A claim that says "not" needs it in the passage's sentence closest to it: "Trump did not
    send Witkoff" is not supported by a passage that says so without "not" and "not" elsewhere."""
    negations = words & _NEGATIONS
    if not negations:
        return True
    best = max(passage.units, key=lambda u: units.get(u.chunk_id, 0.0))
    return negations <= content_words(best.text)


def _covered(words: frozenset[str], passage: Passage, share: float) -> bool:
    """The passage holds `share` of the claim's other content words; one word may always be
    missing (a verb in another tense or a synonym: "sent" for "dispatching")."""
    missing = words - content_words(passage.text + " " + passage.title)
    return len(missing) <= max(1.0, (1 - share) * len(words))


def _closeness(passage: Passage, units: dict[str, float], passages: dict[int, float]) -> float:
    best_unit = max((units.get(u.chunk_id, 0.0) for u in passage.units), default=0.0)
    return max(best_unit, passages.get(passage.n, 0.0))


def _quote_units(passage: Passage, facts: frozenset[str], units: dict[str, float]) -> tuple[Hit, ...]:
    """The passage's best sentence for the claim, widened forward until it holds its facts."""
    best_unit = max(passage.units, key=lambda u: units.get(u.chunk_id, 0.0))
    # only consecutive units: a quote never spans a unit left out of the index
    order = [best_unit]
    for u in passage.units:
        if u.ordinal == order[-1].ordinal + 1 and order[-1].ordinal >= best_unit.ordinal:
            order.append(u)
    for u in reversed(passage.units):
        if u.ordinal == order[0].ordinal - 1:
            order.insert(0, u)
    best = order.index(best_unit)
    lo = hi = best
    held = content_words(" ".join(u.text for u in order[lo : hi + 1]))
    while not facts <= held and (lo > 0 or hi < len(order) - 1):
        # take the neighbour that adds more of what is missing
        missing = facts - held
        gain_after = len(missing & content_words(order[hi + 1].text)) if hi < len(order) - 1 else -1
        gain_before = len(missing & content_words(order[lo - 1].text)) if lo > 0 else -1
        if gain_after >= gain_before:
            hi += 1
        else:
            lo -= 1
        held = content_words(" ".join(u.text for u in order[lo : hi + 1]))
    return tuple(order[lo : hi + 1])


def _number(
    kept: Sequence[tuple[str, Passage, tuple[Hit, ...]]],
    article_text: ArticleText,
    max_citations: int,
) -> tuple[str, list[Citation]]:
    spans: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    sentences: list[str] = []
    for sentence, passage, units in kept:
        key = (passage.article_id, units[0].start, units[-1].end)
        if key not in spans:
            if len(citations) == max_citations:
                continue
            spans[key] = len(citations) + 1
            if len(units) == 1:
                quote = units[0].text
            else:
                quote = article_text(passage.article_id)[key[1] : key[2]]
            citations.append(
                Citation(
                    n=spans[key],
                    article_id=passage.article_id,
                    title=passage.title,
                    quote=quote,
                    start=key[1],
                    end=key[2],
                    score=round(passage.score, 4),
                )
            )
        sentences.append(f"{_end(sentence)} [{spans[key]}]")
    text = " ".join(sentences)
    return re.sub(r"([.!?]) \[(\d+)\]", r" [\2]\1", text), citations


def _end(sentence: str) -> str:
    """A sentence ends in a full stop, or in a quotation that ends in one."""
    if sentence[-1:] in ".!?" or sentence[-2:-1] in {".", "!", "?"}:
        return sentence
    return sentence + "."


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
