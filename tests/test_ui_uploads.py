"""Adding articles from the web page: names are made safe, bad files change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.engine import get_engine
from assistant.settings import Settings
from ui.uploads import MAX_BYTES, UploadRejected, add_upload, check_upload, safe_name

NEW_ARTICLE = (
    "Pinewood Falls elects an ostrich keeper as mayor\n\n"
    "Marguerite Okonkwo-Baird, who runs the Pinewood Falls ostrich sanctuary, was elected mayor "
    "of Pinewood Falls on Sunday with 61 percent of the vote. She promised a new footbridge "
    "over the Quillon river before the winter floods.\n"
)


@pytest.mark.parametrize(
    "given, safe",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        ("/abs/path/Report 2024 (final).TXT", "Report_2024_final.txt"),
        (".hidden.txt", "hidden.txt"),
        ("....txt", "article.txt"),
        ("résumé du jour.md", "r_sum_du_jour.md"),
        ("a/b/c/../../x.y.z.txt", "x.y.z.txt"),
        ("x" * 300 + ".txt", "x" * 80 + ".txt"),
    ],
)
def test_file_names_are_sanitised(given, safe):
    assert safe_name(given) == safe


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("empty.txt", b"", "is empty"),
        ("blank.md", b"  \n\t\n", "is empty"),
        ("latin1.txt", "Caf\xe9 cr\xe8me\n".encode("latin-1"), "not UTF-8"),
        ("huge.txt", b"a" * (MAX_BYTES + 1), "limit is 5 MB"),
        ("doc.pdf", b"%PDF-1.4", "only .txt, .md and .html"),
        ("noext", b"Headline\n", "only .txt, .md and .html"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(tmp_path, name, data, reason):
    with pytest.raises(UploadRejected, match=reason):
        check_upload(name, data, tmp_path, {})


def test_an_upload_may_not_take_an_existing_name_or_repeat_an_existing_text(tmp_path):
    (tmp_path / "story.md").write_text("Old story\n")
    with pytest.raises(UploadRejected, match="already exists"):
        check_upload("story.txt", b"A new story\n", tmp_path, {})
    with pytest.raises(UploadRejected, match="already exists"):
        check_upload("../indexed.txt", b"A new story\n", tmp_path, {"indexed": "0" * 64})
    name, article = check_upload("new.txt", NEW_ARTICLE.encode(), tmp_path, {})
    with pytest.raises(UploadRejected, match="same text as the article old"):
        check_upload("other.txt", NEW_ARTICLE.encode(), tmp_path, {"old": article.sha256})
    with pytest.raises(UploadRejected, match="same text as the article old"):  # a BOM adds nothing
        check_upload("bom.txt", b"\xef\xbb\xbf" + NEW_ARTICLE.encode(), tmp_path, {"old": article.sha256})
    assert name == "new.txt" and article.title.startswith("Pinewood Falls")


def _snapshot(corpus: Path, engine) -> tuple:
    return sorted(p.name for p in corpus.iterdir()), engine.store.articles()


def test_an_accepted_upload_is_indexed_and_cited_by_the_next_question(built_index, tmp_path):
    engine = get_engine(Settings())
    corpus = built_index["corpus"]
    upload = tmp_path / "uploads" / "Pinewood mayor!.txt"
    upload.parent.mkdir()
    upload.write_text(NEW_ARTICLE, encoding="utf-8")

    added = add_upload(engine, upload)

    assert added.path == corpus / "Pinewood_mayor.txt"
    assert added.path.read_text(encoding="utf-8") == NEW_ARTICLE
    assert added.path.stat().st_mode & 0o777 == 0o644  # readable as a file saved by hand
    assert "1 added" in added.summary
    assert [p.name for p in corpus.iterdir() if p.name.startswith(".")] == []
    answer = engine.answer("Who was elected mayor of Pinewood Falls?")
    assert not answer.refused
    assert answer.citations[0].article_id == "Pinewood_mayor"


def test_bad_uploads_change_nothing_already_indexed(built_index, tmp_path):
    engine = get_engine(Settings())
    corpus = built_index["corpus"]
    before = _snapshot(corpus, engine)
    seed = corpus / "003_da6a537bacec0b05.txt"
    cases = {
        "binary.txt": b"\x00\x01\x02 binary",
        "empty.txt": b"",
        "latin1.txt": "Caf\xe9\n".encode("latin-1"),
        "copy.txt": seed.read_bytes(),
        "003_da6a537bacec0b05.md": b"A different text under an existing id\n",
        "big.txt": b"word " * (MAX_BYTES // 5 + 1),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(UploadRejected):
            add_upload(engine, path)
    assert _snapshot(corpus, engine) == before


def test_an_upload_has_the_corpus_s_size_limit(built_index, tmp_path, monkeypatch):
    """The limit is ASSISTANT_MAX_ARTICLE_MB, as for files put in the corpus folder by hand."""
    monkeypatch.setenv("ASSISTANT_MAX_ARTICLE_MB", "0.001")
    engine = get_engine(Settings())
    big = tmp_path / "two_kb.txt"
    big.write_bytes(b"Headline\n" + b"word " * 400)
    with pytest.raises(UploadRejected, match="the limit is 0.001 MB"):
        add_upload(engine, big)
    assert not (built_index["corpus"] / "two_kb.txt").exists()


def test_a_saved_page_can_be_uploaded_and_is_cited_from_its_article_text(built_index, tmp_path):
    from tests.test_html import STORY, page

    engine = get_engine(Settings())
    upload = tmp_path / "Harbour news.html"
    upload.write_text(page(), encoding="utf-8")
    added = add_upload(engine, upload)
    assert added.path.name == "Harbour_news.html" and added.article.date == "2017-03-14"
    answer = engine.answer("How long is the dredging of the old port expected to take?")
    assert not answer.refused and answer.citations[0].article_id == "Harbour_news"
    assert answer.citations[0].quote in STORY[1]
    with pytest.raises(UploadRejected, match="same text as the article Harbour_news"):
        check_upload("again.html", upload.read_bytes(), built_index["corpus"],
                     {i: s.sha256 for i, s in engine.store.articles().items()})
    with pytest.raises(UploadRejected, match="no article text"):
        check_upload("menu.html", b"<html><body><nav>Home</nav></body></html>", tmp_path, {})
