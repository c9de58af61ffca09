"""The keyword index is saved under the data dir, keyed by the manifest, and loaded at the next
start instead of being built from every chunk again; a changed corpus or a damaged copy is
built again, and a data dir that can't be written still answers."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.engine import clear_engines, get_engine
from index.store import Store
from search.keywords import PARTIAL, KeywordIndex, keywords_key

QUESTIONS = [
    "Who did Trump send to Moscow to meet Putin?",
    "What share of the Donbas region do Russian forces control?",
    "What is Putin's position on demilitarization zones?",
    "Which news agency interviewed Sergey Lavrov?",
    "What is the capital of Australia?",
]
QUERIES = QUESTIONS + ["Ukrainian territory", "Der Spiegel transcript", "", "the of and", "zzqx"]


def _answers(engine) -> list:
    return [
        (a.text, a.citations, a.refused, a.retrieved)
        for a in (engine.answer(q) for q in QUESTIONS)
    ]


def _copies(data) -> list:
    home = data / "keywords" / "news"
    return sorted(p.name for p in home.iterdir()) if home.is_dir() else []


def _no_chunk_loading(monkeypatch):
    def refuse(self):
        raise AssertionError("the keyword index was built from every chunk again")

    monkeypatch.setattr(Store, "all_chunks", refuse)


def test_a_saved_and_loaded_index_scores_as_a_freshly_built_one(built_index, tmp_path):
    engine = get_engine()
    engine.ensure_index()
    hits = engine.store.all_chunks()
    fresh = KeywordIndex(hits)
    fresh.save(tmp_path / "saved", "k")
    loaded = KeywordIndex.load(tmp_path / "saved", "k")

    assert list(loaded.chunks) == list(fresh.chunks) == hits
    assert loaded.idf == fresh.idf and loaded.median_idf == fresh.median_idf
    for query in QUERIES:
        a, b = fresh.scores(query), loaded.scores(query)
        assert np.array_equal(a, b), query
        assert loaded.top(b, 20) == fresh.top(a, 20)
        assert loaded.article_scores(query) == fresh.article_scores(query)
        assert loaded.terms(query) == fresh.terms(query)
        assert loaded.unknown_terms(query) == fresh.unknown_terms(query)
        assert [loaded.score_of(b, h.chunk_id) for h in hits] == [fresh.score_of(a, h.chunk_id) for h in hits]
    articles = sorted({h.article_id for h in hits})
    for article_id in articles + ["999_written_later"]:
        assert loaded.article_chunks(article_id) == fresh.article_chunks(article_id)
        assert loaded.related(article_id, 3) == fresh.related(article_id, 3)
        for query in QUERIES:
            assert loaded.mentions(article_id, loaded.terms(query)) == fresh.mentions(article_id, fresh.terms(query))
    assert [loaded.previous(h) for h in hits] == [fresh.previous(h) for h in hits]
    with pytest.raises(ValueError):
        KeywordIndex.load(tmp_path / "saved", "another manifest's key")


def test_a_second_start_on_an_unchanged_index_loads_it_and_answers_the_same(built_index, monkeypatch):
    first = _answers(get_engine())
    assert len(_copies(built_index["data"])) == 1

    clear_engines()
    _no_chunk_loading(monkeypatch)
    assert _answers(get_engine()) == first


def test_a_changed_article_changes_the_key_and_the_next_start_builds_again(built_index, monkeypatch):
    question = "Which news agency interviewed Sergey Lavrov?"
    engine = get_engine()
    assert "TASS" in engine.answer(question).text
    key = keywords_key(engine.store)
    assert _copies(built_index["data"]) == [key]

    path = built_index["corpus"] / "004_80ebed28bbef419f.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("TASS", "Interfax"), encoding="utf-8")
    engine.index()
    assert keywords_key(engine.store) != key

    clear_engines()
    calls = []
    real = Store.all_chunks
    monkeypatch.setattr(Store, "all_chunks", lambda self: calls.append(1) or real(self))
    engine = get_engine()
    said = engine.answer(question).text
    assert calls and "Interfax" in said and "TASS" not in said
    assert _copies(built_index["data"]) == [keywords_key(engine.store)]  # the old copy is gone


@pytest.mark.parametrize("damage", ["truncated array", "truncated info", "no info", "stray partial"])
def test_a_partly_written_copy_is_ignored_and_built_again(built_index, monkeypatch, damage):
    first = _answers(get_engine())
    [key] = _copies(built_index["data"])
    home = built_index["data"] / "keywords" / "news"
    saved = home / key
    if damage == "truncated array":
        victim = max(saved.glob("*.npy"), key=lambda p: p.stat().st_size)
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    elif damage == "truncated info":
        info = saved / "info.json"
        info.write_bytes(info.read_bytes()[:40])
    elif damage == "no info":
        (saved / "info.json").unlink()
    else:  # a build killed before its rename: a partial folder and no copy for the key
        saved.rename(home / f"{PARTIAL}killed")
        (home / f"{PARTIAL}killed" / "chunk_texts.values.npy").write_bytes(b"\x93NUMPY")

    clear_engines()
    calls = []
    real = Store.all_chunks
    monkeypatch.setattr(Store, "all_chunks", lambda self: calls.append(1) or real(self))
    assert _answers(get_engine()) == first
    assert calls  # built again, not loaded
    assert key in _copies(built_index["data"])

    clear_engines()
    _no_chunk_loading(monkeypatch)
    assert _answers(get_engine()) == first  # and the new copy loads


def test_a_data_dir_where_nothing_can_be_saved_still_answers(built_index):
    (built_index["data"] / "keywords").write_text("not a folder")  # mkdir under it fails
    first = _answers(get_engine())
    assert (built_index["data"] / "keywords").read_text() == "not a folder"
    clear_engines()
    assert _answers(get_engine()) == first


def test_no_copy_is_kept_for_an_index_an_update_left_half_done(built_index):
    from index.corpus import load_corpus

    engine = get_engine()
    engine.ensure_index()
    articles, _ = load_corpus(built_index["corpus"])
    engine.store.mark(articles[:1], done=False)  # as a killed update leaves it
    assert keywords_key(engine.store) is None
    assert "Witkoff" in engine.answer(QUESTIONS[0]).text
    assert _copies(built_index["data"]) == []


def test_each_assistant_keeps_its_own_copy_and_sees_another_writer_s_change(built_index, tmp_path):
    # two assistants on one index (as on one Chroma server), each with its own data dir
    from search.keywords import open_keywords

    engine = get_engine()
    engine.ensure_index()
    mine, theirs = tmp_path / "mine" / "keywords", tmp_path / "theirs" / "keywords"
    question = "Sergey Lavrov interview agency"
    before = open_keywords(engine.store, mine)
    assert open_keywords(engine.store, theirs).article_scores(question) == before.article_scores(question)
    key = keywords_key(engine.store)
    assert [p.name for p in (mine / "news").iterdir()] == [key] == [p.name for p in (theirs / "news").iterdir()]

    (built_index["corpus"] / "050_oslo.txt").write_text(
        "Oslo opens a bridge\n\nOslo opened a bridge across the fjord on Monday.\n", encoding="utf-8"
    )
    engine.index()  # the other writer
    after = open_keywords(engine.store, mine)
    assert "050_oslo" in after.article_scores("Oslo bridge fjord")
    assert [p.name for p in (mine / "news").iterdir()] == [keywords_key(engine.store)] != [key]


def test_a_killed_build_s_old_partial_folder_is_removed_by_the_next_save(built_index):
    import os
    import time

    from search.keywords import STALE_PARTIAL_S

    home = built_index["data"] / "keywords" / "news"
    stray = home / f"{PARTIAL}long-ago"
    stray.mkdir(parents=True)
    (stray / "chunk_rows.npy").write_bytes(b"half")
    old = time.time() - STALE_PARTIAL_S - 60
    os.utime(stray, (old, old))
    assert get_engine().retriever.keywords.chunks  # built, saved, and the stray removed
    assert _copies(built_index["data"]) == [keywords_key(get_engine().store)]


def test_a_start_reads_the_update_s_seal_instead_of_every_article_and_a_write_breaks_it(
    built_index, monkeypatch
):
    from index.corpus import load_corpus

    engine = get_engine()
    engine.ensure_index()
    computed = engine.store._computed_fingerprint()
    assert computed is not None

    def refuse(self):
        raise AssertionError("every article's manifest entry was read at start")

    with monkeypatch.context() as patched:
        patched.setattr(Store, "articles", refuse)
        assert engine.store.manifest_fingerprint() == computed

    articles, _ = load_corpus(built_index["corpus"])
    engine.store.mark(articles[:1], done=False)  # any write, from any process, unseals
    assert engine.store._seal() == ""
    assert engine.store.manifest_fingerprint() is None
    engine.index()  # the update that finishes seals again
    assert engine.store._seal() == engine.store.manifest_fingerprint() == computed
