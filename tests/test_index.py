import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.engine import get_engine
from assistant.settings import Settings
from index.chunking import chunk_article
from index.corpus import load_corpus
from index.store import Store, connect

ROOT = Path(__file__).resolve().parent.parent


def expected_chunks(corpus: Path) -> int:
    articles, _ = load_corpus(corpus)
    return sum(len(chunk_article(a)) for a in articles)


def assert_consistent(store: Store, corpus: Path) -> None:
    """No duplicate, orphan or missing chunk: the index holds exactly the corpus."""
    articles, _ = load_corpus(corpus)
    state = store.articles()
    assert set(state) == {a.id for a in articles}
    assert all(s.done for s in state.values())
    chunks = store.all_chunks()
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))
    assert len(chunks) == expected_chunks(corpus)
    for article in articles:
        mine = [c for c in chunks if c.article_id == article.id]
        assert len(mine) == state[article.id].chunks == len(chunk_article(article))
        for c in mine:
            assert article.text[c.start : c.end] == c.text


def test_indexing_twice_gives_the_same_chunks_and_skips_everything(isolated):
    engine = get_engine()
    first = engine.index()
    assert (first.added, first.updated, first.removed, first.unchanged) == (5, 0, 0, 0)
    count = engine.store.count()
    second = engine.index()
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 5)
    assert engine.store.count() == count == expected_chunks(isolated["corpus"])


def test_changed_added_and_deleted_articles_are_applied(isolated):
    corpus = isolated["corpus"]
    engine = get_engine()
    engine.index()
    changed = corpus / "003_da6a537bacec0b05.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA new closing sentence was added.\n", encoding="utf-8")
    (corpus / "004_80ebed28bbef419f.txt").unlink()
    (corpus / "005_new.txt").write_text("A new headline\nSomething else happened today in Kyiv.\n", encoding="utf-8")
    report = engine.index()
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 3)
    assert_consistent(engine.store, corpus)
    assert not [c for c in engine.store.all_chunks() if c.article_id == "004_80ebed28bbef419f"]


def test_a_killed_build_is_completed_by_the_next_run(isolated):
    corpus = isolated["corpus"]
    base = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
    for i in range(20):  # with small commit groups, enough for several
        (corpus / f"copy_{i:03d}.txt").write_text(f"Copy {i}\n{base[i % 5]}\nVariant {i}.", encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ASSISTANT_INDEX_BATCH": "40"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "index"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    # tqdm redraws with \r; kill as soon as the first group of articles is committed
    seen = ""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        ch = proc.stderr.read(1)
        if not ch:
            break
        seen += ch
        if "indexing:" in seen and any(f" {n}/25" in seen for n in range(1, 20)):
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"build finished before it was killed: {seen[-300:]}"

    engine = get_engine()
    partial = engine.store.articles()
    assert 0 < sum(s.done for s in partial.values()) < 25
    report = engine.index()
    assert report.added + report.updated + report.unchanged == 25
    assert report.unchanged > 0, "articles committed before the kill are not redone"
    assert_consistent(engine.store, corpus)


def test_an_index_built_with_another_model_is_rebuilt_with_a_clear_message(isolated):
    settings = Settings()
    old = Store(connect(settings.data_dir), settings.collection, "some-other-model", 8)
    old.chunks.add(ids=["x:0"], embeddings=[[0.1] * 8], documents=["old"],
                   metadatas=[{"article_id": "x", "title": "t", "ordinal": 0, "start": 0, "end": 3, "kind": "sentence"}])
    engine = get_engine(settings)
    report = engine.index()
    assert "some-other-model" in report.rebuilt_because
    assert engine.encoder.model_id in report.rebuilt_because
    assert report.added == 5
    assert_consistent(engine.store, isolated["corpus"])
    assert engine.answer("Who did Trump send to Moscow to meet Putin?").citations


def test_an_emptied_corpus_empties_the_index_and_refilling_it_indexes_again(built_index, tmp_path):
    corpus = built_index["corpus"]
    engine = get_engine()
    away = tmp_path / "away"
    corpus.rename(away)
    corpus.mkdir()
    report = engine.index()
    assert (report.added, report.removed, report.chunks) == (0, 5, 0)
    assert report.warnings == ["the corpus has no articles: the index was emptied (5 removed)"]
    assert engine.store.articles() == {} and engine.store.count() == 0
    assert engine.answer("Who did Trump send to Moscow to meet Putin?").citations == []
    (away / "003_da6a537bacec0b05.txt").rename(corpus / "003_da6a537bacec0b05.txt")
    report = engine.index()
    assert (report.added, report.removed) == (1, 0)
    assert_consistent(engine.store, corpus)
    assert engine.answer("What share of the Donbas region do Russian forces control?").citations
