from pathlib import Path

import pytest

from index.corpus import load_corpus, read_article
from index.errors import CorpusError


def test_seeds_load_with_ids_titles_and_exact_text(isolated):
    articles, warnings = load_corpus(isolated["corpus"])
    assert warnings == []
    assert [a.id for a in articles] == [
        "000_a3e66bb6e1c6e4ee",
        "001_879027de3d8b4ae6",
        "002_349d635fff76aa66",
        "003_da6a537bacec0b05",
        "004_80ebed28bbef419f",
    ]
    by_id = {a.id: a for a in articles}
    assert by_id["003_da6a537bacec0b05"].title == (
        "Putin says Russia disagrees with parts of US plan to end Ukraine war"
    )
    # "Top NewsVideo" is the first non-empty line of 001, so it is its headline by definition
    assert by_id["001_879027de3d8b4ae6"].title == "Top NewsVideo"
    path = isolated["corpus"] / "002_349d635fff76aa66.txt"
    assert by_id["002_349d635fff76aa66"].text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("latin1.txt", "Caf\xe9 au lait\n".encode("latin-1"), "not UTF-8"),
        ("empty.txt", b"", "is empty"),
        ("blank.txt", b"  \n\n \t\n", "is empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("notes.pdf", b"%PDF-1.4 a document", "unknown extension"),
    ],
)
def test_bad_files_are_skipped_with_a_warning_naming_them(isolated, name, content, reason):
    (isolated["corpus"] / name).write_bytes(content)
    articles, warnings = load_corpus(isolated["corpus"])
    assert len(articles) == 5
    assert len(warnings) == 1
    assert name in warnings[0] and reason in warnings[0]


def test_markdown_articles_and_bom_are_read(tmp_path: Path):
    path = tmp_path / "note.md"
    path.write_bytes("\ufeff# Heading\n\nBody text here.".encode())
    article = read_article(path)
    assert article.title == "# Heading"
    assert not article.text.startswith("\ufeff")


def test_missing_and_empty_corpus_directories_are_clear_errors(tmp_path: Path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no articles found"):
        load_corpus(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.txt").write_bytes(b"")
    with pytest.raises(CorpusError, match="1 file"):
        load_corpus(tmp_path / "bad")
