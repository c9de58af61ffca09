"""Bring the index in line with the corpus, touching only what changed.

Articles are compared by content hash; new and changed ones are (re)chunked and embedded in
groups, so the embedder sees large batches of similar-length texts, and each group is committed
to the manifest only after its chunks are in, which makes a killed build safe to resume.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from index.chunking import chunk_article
from index.corpus import Article
from index.embedding import MiniLM
from index.store import Store

GROUP_CHUNKS = 1024

Progress = Callable[[int], None]


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    warnings: list[str] = field(default_factory=list)
    rebuilt_because: str | None = None

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged; {self.chunks} chunks in the index"
        )


def update_index(
    articles: Sequence[Article],
    store: Store,
    encoder: MiniLM,
    progress: Progress | None = None,
    on_todo: Callable[[int], None] | None = None,
    group_chunks: int = GROUP_CHUNKS,
) -> IndexReport:
    """Make the index hold exactly `articles`. `progress(n)` is called as n more are done."""
    report = IndexReport()
    outdated = store.outdated_because()
    if outdated:
        report.rebuilt_because = f"{outdated}; rebuilding it from the corpus"
        store.reset()

    state = store.articles()
    wanted = {a.id for a in articles}
    gone = sorted(i for i in state if i not in wanted)
    store.forget(gone)
    report.removed = len(gone)

    todo = [a for a in articles if not _is_current(a, state)]
    report.unchanged = len(articles) - len(todo)
    report.updated = sum(1 for a in todo if a.id in state)
    report.added = len(todo) - report.updated
    if on_todo:
        on_todo(len(todo))

    for group in _groups(todo, group_chunks):
        _index_group(group, store, encoder)
        if progress:
            progress(len(group))
    store.seal()  # after a no-op too: an index built before seals existed gets one
    report.chunks = store.count()
    return report


def _is_current(article: Article, state: dict) -> bool:
    known = state.get(article.id)
    return known is not None and known.done and known.sha256 == article.sha256


def _groups(articles: Sequence[Article], group_chunks: int):
    group: list[Article] = []
    size = 0
    for article in articles:
        group.append(article)
        size += max(1, len(article.text) // 150)  # about one chunk per sentence
        if size >= group_chunks:
            yield group
            group, size = [], 0
    if group:
        yield group


def _index_group(group: list[Article], store: Store, encoder: MiniLM) -> None:
    store.mark(group, done=False)
    ids = [a.id for a in group]
    store.delete_chunks(ids)
    per_article = [chunk_article(a) for a in group]
    chunks = [c for cs in per_article for c in cs]
    vectors = encoder.encode([c.embed_text for c in chunks])
    store.add_chunks(chunks, vectors, {a.id: a for a in group})
    store.mark(group, done=True, chunk_counts=[len(cs) for cs in per_article])
