"""Corpus faults found by the adversarial run (issue 16), each indexed and answered for real.

A BOM or CRLF file keeps the citation contract for anyone reading it as UTF-8 with newline="";
two files with one name, a huge file or an empty corpus give a warning, never a traceback, and
never a citation to a file that is not (or no longer) an article.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from assistant.cli import cli
from assistant.engine import clear_engines, get_engine
from index.chunking import chunk_article
from index.corpus import load_corpus

TABLE = "000_a3e66bb6e1c6e4ee"  # has a markdown table
DONBAS = "003_da6a537bacec0b05"
NATO = "004_80ebed28bbef419f"
QUESTIONS = [
    ("What is Putin's position on demilitarization zones?", TABLE),
    ("What is the feasibility of humanitarian corridors?", TABLE),
    ("What share of the Donbas region do Russian forces control?", DONBAS),
    ("Which German publication reported on a transcript of a European leaders' call?", DONBAS),
    ("How long would Ukraine's NATO membership be delayed under the plan drafted by Trump's advisers?", NATO),
    ("Which news agency interviewed Sergey Lavrov?", NATO),
]


def file_text(path: Path) -> str:
    """An article file's full UTF-8 text, as the citation contract reads it."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def rewrite(path: Path, bom: bool, crlf: bool) -> None:
    text = file_text(path).replace("\r\n", "\n")
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes((("\ufeff" if bom else "") + text).encode("utf-8"))


def test_bom_and_crlf_articles_are_cited_at_the_file_offsets(isolated):
    corpus = isolated["corpus"]
    rewrite(corpus / f"{TABLE}.txt", bom=True, crlf=True)
    rewrite(corpus / f"{DONBAS}.txt", bom=True, crlf=False)
    rewrite(corpus / f"{NATO}.txt", bom=False, crlf=True)
    files = {p.stem: file_text(p) for p in corpus.glob("*.txt")}
    assert files[TABLE].startswith("\ufeff") and "\r\n|" in files[TABLE]

    articles, warnings = load_corpus(corpus)
    assert warnings == []
    for article in articles:
        assert article.text == files[article.id]
        assert "\ufeff" not in article.title and "\r" not in article.title
        chunks = chunk_article(article)
        for c in chunks:
            assert files[article.id][c.start : c.end] == c.text == c.text.strip()
            assert "\ufeff" not in c.text and "\r" not in c.text
    table = chunk_article(next(a for a in articles if a.id == TABLE))
    assert table[0].start == 1, "the headline starts after the BOM"
    rows = [c for c in table if c.kind == "row"]
    assert len(rows) >= 10, "a CRLF markdown table is still cut into rows"
    assert any(c.embed_text.startswith("Proposal Element: Demilitarization Zones") for c in rows)

    engine = get_engine()
    assert engine.index().added == 5
    for question, source in QUESTIONS:
        result = engine.answer(question)
        assert result.citations, (question, result.text)
        for c in result.citations:
            assert files[c.article_id][c.start : c.end] == c.quote, (question, c)
        cited = {c.article_id for c in result.citations}
        assert source in cited, (question, cited)


def test_a_table_right_after_a_bom_with_crlf_lines_is_still_cut_into_rows(tmp_path):
    from index.corpus import read_article

    path = tmp_path / "table.md"
    path.write_bytes(
        "\ufeff| Item | State |\r\n|---|---|\r\n| Corridors | Open |\r\n\r\nEnd of story.\r\n".encode()
    )
    article = read_article(path)
    assert article.title == "| Item | State |"
    chunks = chunk_article(article)
    assert [(c.kind, c.start, c.text) for c in chunks] == [
        ("header", 1, "| Item | State |"),
        ("row", 30, "| Corridors | Open |"),
        ("sentence", 54, "End of story."),
    ]
    assert all(file_text(path)[c.start : c.end] == c.text for c in chunks)
    assert chunks[1].embed_text == "Item: Corridors; State: Open"


def test_a_txt_and_an_md_with_one_name_index_and_answer_on_a_fresh_data_dir(isolated):
    corpus = isolated["corpus"]
    (corpus / "x.md").write_text(
        "# Harbour reopens\n\nThe harbour of Valletta reopened on Monday after a three-week "
        "closure caused by the storm.\n",
        encoding="utf-8",
    )
    (corpus / "x.txt").write_text(
        "Harbour stays shut\nThe harbour will stay shut for another month, the ministry said.\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["index"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert (
        "warning: skipped x.txt: x.md has the same name, and an article's id is its file name "
        "without the extension"
    ) in result.output
    assert "6 added, 0 updated, 0 removed, 0 unchanged" in result.output
    asked = runner.invoke(cli, ["ask", "--json", "When did the harbour of Valletta reopen?"])
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.output)
    assert "Monday" in answer["text"]
    md = file_text(corpus / "x.md")
    for c in answer["citations"]:
        if c["article_id"] == "x":
            assert md[c["start"] : c["end"]] == c["quote"]
    assert "x" in {c["article_id"] for c in answer["citations"]}


def test_a_file_above_the_size_limit_is_skipped_and_the_rest_indexed(isolated, monkeypatch):
    corpus = isolated["corpus"]
    with open(corpus / "big.txt", "wb") as handle:
        handle.write(b"A huge headline\n")
        handle.truncate(3 * 2**20 + 2**19)  # 3.5 MB, sparse
    monkeypatch.setenv("ASSISTANT_MAX_ARTICLE_MB", "2")
    result = CliRunner().invoke(cli, ["index"])
    assert result.exit_code == 0, result.output
    assert (
        "warning: skipped big.txt: 3.5 MB, above the 2 MB limit (ASSISTANT_MAX_ARTICLE_MB)"
    ) in result.output
    assert "5 added" in result.output
    monkeypatch.setenv("ASSISTANT_MAX_ARTICLE_MB", "0")
    bad = CliRunner().invoke(cli, ["index"])
    assert bad.exit_code == 2 and "ASSISTANT_MAX_ARTICLE_MB" in bad.output


def test_a_corpus_emptied_of_articles_empties_the_index_and_answers_refuse(built_index):
    corpus = built_index["corpus"]
    for path in corpus.iterdir():
        path.unlink()
    (corpus / "notes.txt").write_bytes(b"")  # not an article: the corpus holds none
    runner = CliRunner()
    result = runner.invoke(cli, ["index"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "warning: skipped notes.txt: is empty" in result.output
    assert "warning: the corpus has no articles: the index was emptied (5 removed)" in result.output
    assert "0 added, 0 updated, 5 removed, 0 unchanged; 0 chunks in the index" in result.output

    asked = runner.invoke(cli, ["ask", "--json", "Who did Trump send to Moscow to meet Putin?"])
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.output)
    assert answer["refused"] is True and answer["citations"] == []
    plain = runner.invoke(cli, ["ask", "Who did Trump send to Moscow to meet Putin?"])
    assert plain.exit_code == 0, plain.output
    assert "Sources:" not in plain.output and "Traceback" not in plain.output

    again = runner.invoke(cli, ["index"])
    assert again.exit_code == 0, again.output
    assert "the index was emptied (0 removed)" in again.output


def test_a_missing_corpus_directory_is_an_error_and_keeps_the_index(built_index, tmp_path):
    result = CliRunner().invoke(cli, ["index", "--corpus", str(tmp_path / "gone")])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output
    clear_engines()
    assert len(get_engine().store.articles()) == 5
