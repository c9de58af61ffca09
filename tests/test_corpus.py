from pathlib import Path

import pytest

from index.corpus import EmptyCorpusError, headline, load_corpus, read_article
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
    # a saved page: "Top NewsVideo" and a lone "×" are page furniture, not the headline
    assert by_id["001_879027de3d8b4ae6"].title == (
        "Putin Rejects Key Parts of U.S. Peace Plan to End Ukraine War"
    )
    # the lede (a long sentence of prose) comes first; the headline is the line after it
    assert by_id["000_a3e66bb6e1c6e4ee"].title == (
        "Putin rejects key elements of U.S. plan to end Ukraine conflict"
    )
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


def test_a_bom_is_kept_in_the_text_and_left_out_of_the_title(tmp_path: Path):
    path = tmp_path / "note.md"
    path.write_bytes("\ufeff# Heading\r\n\r\nBody text here.\r\n".encode())
    article = read_article(path)
    assert article.title == "# Heading"
    # offsets count the BOM and the \r\n, as for anyone reading the file as UTF-8
    with open(path, encoding="utf-8", newline="") as handle:
        assert article.text == handle.read()
    assert article.text.startswith("\ufeff")


def test_a_bom_only_first_line_is_not_the_title(tmp_path: Path):
    path = tmp_path / "note.txt"
    path.write_bytes("\ufeff\r\nThe real headline\r\nBody.".encode())
    assert read_article(path).title == "The real headline"
    (tmp_path / "bom_only.txt").write_bytes("\ufeff \r\n".encode())
    with pytest.raises(ValueError, match="is empty"):
        read_article(tmp_path / "bom_only.txt")


def test_files_sharing_a_name_keep_the_first_and_name_both_in_the_warning(isolated):
    corpus = isolated["corpus"]
    (corpus / "x.txt").write_text("Text headline\nThe text version.\n", encoding="utf-8")
    (corpus / "x.md").write_text("# Markdown headline\nThe markdown version.\n", encoding="utf-8")
    articles, warnings = load_corpus(corpus)
    assert [a.id for a in articles].count("x") == 1
    assert next(a for a in articles if a.id == "x").title == "# Markdown headline"
    assert warnings == [
        "skipped x.txt: x.md has the same name, and an article's id is its file name without "
        "the extension",
    ]


def test_an_unreadable_file_does_not_take_the_name_from_a_good_one(isolated):
    corpus = isolated["corpus"]
    (corpus / "y.md").write_bytes(b"")
    (corpus / "y.txt").write_text("Good headline\nThe good one.\n", encoding="utf-8")
    articles, warnings = load_corpus(corpus)
    assert next(a for a in articles if a.id == "y").title == "Good headline"
    assert warnings == ["skipped y.md: is empty"]


def test_a_file_above_the_size_limit_is_skipped_from_its_size_without_reading_it(
    isolated, monkeypatch
):
    corpus = isolated["corpus"]
    with open(corpus / "big.txt", "wb") as handle:  # sparse: 30.2 MB on paper, no disk used
        handle.truncate(int(30.2 * 2**20))
    read = Path.read_bytes

    def read_bytes(self):
        assert self.name != "big.txt", "a file above the limit was read"
        return read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    articles, warnings = load_corpus(corpus)  # the default limit, 5 MB
    assert len(articles) == 5
    assert warnings == ["skipped big.txt: 30.2 MB, above the 5 MB limit (ASSISTANT_MAX_ARTICLE_MB)"]


def test_the_size_limit_is_a_setting_and_files_up_to_it_are_read(isolated):
    from assistant.settings import Settings
    from index.corpus import MAX_ARTICLE_MB

    assert Settings().max_article_mb == MAX_ARTICLE_MB == 5
    corpus = isolated["corpus"]
    line = "Another sentence about the talks in Moscow went on for hours.\n"
    body = "Generated headline\n" + line * (int(0.3 * 2**20) // len(line))
    (corpus / "generated.txt").write_text(body, encoding="utf-8")  # about 0.3 MB
    articles, warnings = load_corpus(corpus, max_article_mb=0.25)
    assert warnings == [
        "skipped generated.txt: 0.3 MB, above the 0.25 MB limit (ASSISTANT_MAX_ARTICLE_MB)"
    ]
    articles, warnings = load_corpus(corpus, max_article_mb=0.5)
    assert warnings == [] and "generated" in {a.id for a in articles}
    articles, warnings = load_corpus(corpus, max_article_mb=None)
    assert warnings == [] and len(articles) == 6


def test_missing_and_empty_corpus_directories_are_clear_errors(tmp_path: Path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmptyCorpusError, match="no articles found") as empty:
        load_corpus(tmp_path / "empty")
    assert empty.value.warnings == []
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.txt").write_bytes(b"")
    with pytest.raises(EmptyCorpusError, match="1 file") as bad:
        load_corpus(tmp_path / "bad")
    assert bad.value.warnings == ["skipped x.txt: is empty"]
    assert isinstance(bad.value, CorpusError)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Share this video\n×\nSkip to content\nCouncil Approves the Budget\nBody.", "Council Approves the Budget"),
        ("Menu\nHome\nRail strike ends after pay deal\nBody.", "Rail strike ends after pay deal"),
        # a headline may end with a question mark or a short full stop
        ("Is the strike over?\nBody text.", "Is the strike over?"),
        ("×\n# Notes\nbody", "# Notes"),
        # only ledes: the first line with words, as before
        ("The council met on Monday and approved the budget for next year after a long debate.", "The council met on Monday and approved the budget for next year after a long debate."),
    ],
)
def test_the_headline_is_the_first_line_that_reads_as_one(text, expected):
    assert headline(text) == expected
