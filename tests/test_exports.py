"""Articles as users have them: YAML front matter, CSV and JSONL exports, dates and links."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from index.corpus import EmptyCorpusError, headline, load_corpus, read_article
from index.exports import iso_date

ROWS = [
    {
        "article_id": "17", "publish_date": "2017-02-13", "article_source_link": "https://example.org/a",
        "title": "Council approves the harbour budget",
        "text": "The city council approved the harbour budget of 4.2 million euros on Monday.\r\n"
        "The vote was 31 to 4.",
    },
    {
        "article_id": "18", "publish_date": "", "article_source_link": "",
        "title": "Ferry strike ends", "text": "The ferry strike ended after nine days.",
    },
    {
        "article_id": "19", "publish_date": "sometime soon", "article_source_link": "https://example.org/c",
        "title": "Bridge reopens", "text": "The old bridge reopened to cyclists on Friday.",
    },
    {"article_id": "20", "publish_date": "2017-03-01", "article_source_link": "", "title": "Empty", "text": "  "},
]


def write_csv(path: Path, rows=ROWS) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_csv_export_is_an_article_per_row_with_dates_links_and_its_text_as_read(tmp_path):
    write_csv(tmp_path / "NewsArticles.csv")
    articles, warnings = load_corpus(tmp_path)
    by_id = {a.id: a for a in articles}
    assert list(by_id) == ["NewsArticles:17", "NewsArticles:18", "NewsArticles:19"]
    first = by_id["NewsArticles:17"]
    assert first.title == "Council approves the harbour budget"
    assert first.date == "2017-02-13" and first.url == "https://example.org/a"
    assert first.text == ROWS[0]["text"]  # CRLF inside the field kept: offsets index into it
    assert by_id["NewsArticles:18"].date is None and by_id["NewsArticles:18"].url is None
    assert by_id["NewsArticles:19"].date is None  # "sometime soon" is no date: None, no crash
    assert "skipped 1 row(s) of NewsArticles.csv with no text: 20" in warnings
    assert "NewsArticles.csv: 2 row(s) with a blank or unreadable date (date None)" in warnings


def test_a_jsonl_export_and_columns_named_in_a_setting(tmp_path):
    lines = [{"story": "Rain fell all week in the valley.", "when": "March 3, 2017", "headline": "A wet week"}]
    (tmp_path / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n", encoding="utf-8")
    articles, _ = load_corpus(tmp_path, columns={"text": "story", "date": "when"})
    (article,) = articles
    assert article.id == "feed:1" and article.title == "A wet week" and article.date == "2017-03-03"
    with pytest.raises(EmptyCorpusError) as err:
        load_corpus(tmp_path, columns={"text": "nope"})
    assert "has no column 'nope' for text" in err.value.warnings[0]


def test_an_export_without_a_text_column_is_skipped_with_the_reason(tmp_path):
    write_csv(tmp_path / "x.csv", [{"headline": "No body", "date": "2017-01-01"}])
    (tmp_path / "a.txt").write_text("A headline here\nSome text.", encoding="utf-8")
    articles, warnings = load_corpus(tmp_path)
    assert [a.id for a in articles] == ["a"]
    assert warnings and warnings[0].startswith("skipped x.csv: has no text column")


def test_front_matter_gives_title_date_and_url_and_is_not_indexed(tmp_path):
    from index.chunking import chunk_article

    text = (
        "---\ntitle: Harbour budget passes\ndate: 2017-02-13\nurl: https://example.org/h\n---\n"
        "Share\nThe council approved the harbour budget on Monday.\n"
    )
    path = tmp_path / "harbour.md"
    path.write_text(text, encoding="utf-8")
    article = read_article(path)
    assert (article.title, article.date, article.url) == (
        "Harbour budget passes", "2017-02-13", "https://example.org/h"
    )
    assert article.text == text  # the file as read: citations index into it
    chunks = chunk_article(article)
    assert chunks and all(c.start >= article.body_start for c in chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert not any("title:" in c.text for c in chunks)


def test_a_rule_line_is_not_front_matter(tmp_path):
    path = tmp_path / "rule.md"
    path.write_text("---\nNot yaml: [unclosed\nBody line here.\n", encoding="utf-8")
    article = read_article(path)
    assert article.body_start == 0 and article.date is None


@pytest.mark.parametrize(
    "value, expected",
    [("2017-02-13", "2017-02-13"), ("13 February 2017", "2017-02-13"), ("Feb 13, 2017 10:02", "2017-02-13"),
     ("", None), ("n/a", None), ("3", None), ("sometime in 2017x", None)],
)
def test_dates_are_read_by_dateutil_or_are_none(value, expected):
    assert iso_date(value) == expected


def test_citations_of_an_export_carry_date_and_url_and_index_into_article_text(isolated):
    from assistant import answer, article_text
    from assistant.engine import get_engine
    from assistant.settings import Settings

    write_csv(isolated["corpus"] / "NewsArticles.csv")
    result = answer("How much was the harbour budget the city council approved?")
    assert not result.refused and "4.2 million" in result.text
    cited = [c for c in result.citations if c.article_id == "NewsArticles:17"]
    assert cited and cited[0].date == "2017-02-13" and cited[0].url == "https://example.org/a"
    for c in result.citations:
        assert article_text(c.article_id)[c.start : c.end] == c.quote
    assert json.loads(result.to_json())["citations"][0].keys() >= {"date", "url"}
    report = get_engine(Settings()).index()  # an unchanged export: nothing to do
    assert report.added == report.updated == 0 and report.unchanged >= 3


def test_the_seeds_headlines_skip_furniture_and_ledes():
    assert headline("Top NewsVideo\n\nThe Real Headline Is Here\n\n×\n") == "The Real Headline Is Here"
