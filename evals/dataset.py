"""The eval set file format and its loader.

A broken line must not cost the whole run (people edit the set by hand), so the loader skips
bad lines and returns a readable problem for each, pointing at file and line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

CATEGORIES: tuple[str, ...] = ("factoid", "table", "multi", "followup", "unanswerable", "several")
REQUIRED_FIELDS: tuple[str, ...] = ("id", "category", "question", "patterns", "articles")
OPTIONAL_FIELDS: tuple[str, ...] = ("history", "split", "paraphrase_of", "facts", "speaker", "ordered", "full")
# the fields only a `several` item may carry (what its answer of several facts is scored on)
SEVERAL_FIELDS: tuple[str, ...] = ("facts", "speaker", "ordered", "full")
SPLITS: tuple[str, ...] = ("dev", "test")
DEFAULT_SET = Path(__file__).with_name("questions.jsonl")


@dataclass(frozen=True)
class Fact:
    """One fact of a `several` answer: a case-insensitive regex that matches it as the articles
    word it, and the ids of the articles that state it."""

    pattern: str
    articles: tuple[str, ...]

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE)


@dataclass(frozen=True)
class Speaker:
    """Whose words a what-X-said item asks for: a name for people, and a case-insensitive regex
    for the ways the articles refer to them ("Lavrov|Russia'?s foreign minister")."""

    name: str
    pattern: str

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE)


@dataclass(frozen=True)
class EvalItem:
    """One question with what counts as a right answer.

    `patterns` are case-insensitive regular expressions that must all match the answer text;
    `articles` are the ids of the articles that state the fact (empty when unanswerable).
    `source` is "file:line", kept so every report can point back at the line to fix.
    `split` is "dev" (tune on it freely) or "test" (judge changes on it; see evals/split.py);
    `paraphrase_of` is the id of the item this one rewords, if any.

    A `several` item's answer is several facts (evals/several.py scores it): `facts` lists them,
    each with the articles that state it; `patterns` and `articles` repeat the facts' patterns and
    the union of their articles, so code that reads only those still works. `speaker` is set
    when the question asks what one person said; `ordered` when the facts are listed in the
    order the events happened; `full` is how many facts make a full answer (None: all of them).
    """

    id: str
    category: str
    question: str
    patterns: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    source: str = ""
    split: str = "dev"
    paraphrase_of: str | None = None
    facts: tuple[Fact, ...] = ()
    speaker: Speaker | None = None
    ordered: bool = False
    full: int | None = None

    @property
    def answerable(self) -> bool:
        return self.category != "unanswerable"

    @property
    def needed(self) -> int:
        """How many facts answer a `several` item in full (all of them unless `full` says)."""
        return self.full if self.full is not None else len(self.facts)

    def compiled(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.IGNORECASE) for p in self.patterns]


class _Invalid(ValueError):
    """A line that cannot become an EvalItem; the message is shown to the person editing."""


def _string_list(obj: dict, name: str) -> tuple[str, ...]:
    value = obj[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"field '{name}' must be a list of strings")
    return tuple(value)


def _history(obj: dict) -> tuple[tuple[str, str], ...]:
    value = obj.get("history", [])
    if value is None:
        return ()
    ok = isinstance(value, list) and all(
        isinstance(turn, list) and len(turn) == 2 and all(isinstance(t, str) for t in turn)
        for turn in value
    )
    if not ok:
        raise _Invalid("field 'history' must be a list of [user, assistant] string pairs")
    return tuple((user, assistant) for user, assistant in value)


def _compiles(pattern: str, what: str) -> None:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise _Invalid(f"{what} {pattern!r} does not compile ({exc})") from None


def _several(obj: dict, patterns: tuple[str, ...], articles: tuple[str, ...]) -> dict:
    """The facts, speaker, order and quota of a `several` item, checked against its
    `patterns` and `articles` (which must repeat the facts' patterns and articles)."""
    facts_value = obj.get("facts")
    if not isinstance(facts_value, list) or len(facts_value) < 2:
        raise _Invalid("a several item needs 'facts': a list of at least two {pattern, articles} objects")
    facts: list[Fact] = []
    for i, fact in enumerate(facts_value, 1):
        if not isinstance(fact, dict) or set(fact) != {"pattern", "articles"}:
            raise _Invalid(f"fact {i} must be an object with exactly 'pattern' and 'articles'")
        pattern, named = fact["pattern"], fact["articles"]
        if not isinstance(pattern, str) or not pattern.strip():
            raise _Invalid(f"fact {i} needs a non-empty 'pattern'")
        ok = isinstance(named, list) and named and all(isinstance(a, str) and a for a in named)
        if not ok:
            raise _Invalid(f"fact {i} needs 'articles': a non-empty list of article ids")
        _compiles(pattern, f"fact {i} pattern")
        facts.append(Fact(pattern, tuple(named)))
    if tuple(f.pattern for f in facts) != patterns:
        raise _Invalid("'patterns' must list the facts' patterns, in the same order")
    if set(articles) != {a for f in facts for a in f.articles}:
        raise _Invalid("'articles' must be the union of the facts' articles")
    speaker = None
    if obj.get("speaker") is not None:
        value = obj["speaker"]
        ok = isinstance(value, dict) and set(value) == {"name", "pattern"} and all(
            isinstance(value[k], str) and value[k].strip() for k in ("name", "pattern"))
        if not ok:
            raise _Invalid("field 'speaker' must be an object with a non-empty 'name' and 'pattern'")
        _compiles(value["pattern"], "speaker pattern")
        speaker = Speaker(value["name"], value["pattern"])
    ordered = obj.get("ordered", False)
    if not isinstance(ordered, bool):
        raise _Invalid("field 'ordered' must be true or false")
    full = obj.get("full")
    if full is not None and (isinstance(full, bool) or not isinstance(full, int) or not 1 <= full <= len(facts)):
        raise _Invalid(f"field 'full' must be a whole number from 1 to {len(facts)} (the number of facts)")
    return {"facts": tuple(facts), "speaker": speaker, "ordered": ordered, "full": full}


def parse_item(obj: object, source: str = "") -> EvalItem:
    """Validate one decoded JSON value; raises _Invalid with a human message."""
    if not isinstance(obj, dict):
        raise _Invalid(f"expected a JSON object, got {type(obj).__name__}")
    for name in REQUIRED_FIELDS:
        if name not in obj:
            raise _Invalid(f"missing field '{name}'")
    unknown = sorted(set(obj) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise _Invalid(f"unknown field '{unknown[0]}' (expected {', '.join(REQUIRED_FIELDS + OPTIONAL_FIELDS)})")
    for name in ("id", "category", "question"):
        if not isinstance(obj[name], str) or not obj[name].strip():
            raise _Invalid(f"field '{name}' must be a non-empty string")
    category = obj["category"]
    if category not in CATEGORIES:
        raise _Invalid(f"unknown category '{category}' (expected one of {', '.join(CATEGORIES)})")
    patterns = _string_list(obj, "patterns")
    articles = _string_list(obj, "articles")
    history = _history(obj)
    for i, pattern in enumerate(patterns, 1):
        _compiles(pattern, f"pattern {i}")
    if category == "unanswerable":
        if patterns or articles:
            raise _Invalid("an unanswerable item must have empty 'patterns' and 'articles'")
    else:
        if not patterns:
            raise _Invalid(f"a {category} item needs at least one pattern")
        if not articles:
            raise _Invalid(f"a {category} item needs at least one article id")
    if category == "followup" and not history:
        raise _Invalid("a followup item needs a non-empty 'history'")
    several: dict = {}
    if category == "several":
        several = _several(obj, patterns, articles)
    else:
        extra = [name for name in SEVERAL_FIELDS if name in obj]
        if extra:
            raise _Invalid(f"field '{extra[0]}' is only for a several item")
    split = obj.get("split", "dev")
    if split not in SPLITS:
        raise _Invalid(f"field 'split' must be one of {', '.join(SPLITS)}, got {split!r}")
    paraphrase_of = obj.get("paraphrase_of")
    if paraphrase_of is not None and (not isinstance(paraphrase_of, str) or not paraphrase_of.strip()):
        raise _Invalid("field 'paraphrase_of' must be the id of another item")
    if paraphrase_of == obj["id"]:
        raise _Invalid("an item cannot be a paraphrase of itself")
    return EvalItem(
        id=obj["id"],
        category=category,
        question=obj["question"],
        patterns=patterns,
        articles=articles,
        history=history,
        source=source,
        split=split,
        paraphrase_of=paraphrase_of,
        **several,
    )


def load_eval_set(path: str | Path = DEFAULT_SET) -> tuple[list[EvalItem], list[str]]:
    """Load every good line; return the items and one message per bad line.

    Messages read "FILE:LINE: what is wrong" so an editor or terminal can jump to them.
    Blank lines are allowed (they make hand edits easier) and not reported.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [], [f"{path}: cannot read eval set ({exc.strerror or exc})"]
    except UnicodeDecodeError as exc:
        return [], [f"{path}: not UTF-8 ({exc})"]
    items: list[EvalItem] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON ({exc})")
            continue
        try:
            item = parse_item(obj, source=where)
        except _Invalid as exc:
            problems.append(f"{where}: {exc}")
            continue
        if item.id in seen:
            problems.append(f"{where}: duplicate id '{item.id}' (first on line {seen[item.id]})")
            continue
        seen[item.id] = lineno
        items.append(item)
    for item in items:  # checked after the whole file: an original may come after its paraphrase
        if item.paraphrase_of is not None and item.paraphrase_of not in seen:
            problems.append(f"{item.source}: 'paraphrase_of' names unknown id '{item.paraphrase_of}'")
    return items, problems
