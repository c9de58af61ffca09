"""Saved web pages: the article's text, headline, date and address, and nothing of the page around it."""

from __future__ import annotations

from pathlib import Path

from index.corpus import load_corpus, read_article

STORY = [
    "The harbour authority approved a 4.2 million euro budget for dredging the old port on "
    "Monday, after a year of delays caused by a dispute over where the silt would be dumped.",
    "Dredging will begin in May and is expected to take eleven weeks, the authority's "
    "director, Marta Lindqvist, told reporters after the vote.",
    "Fishing crews have complained for years that the silted channel forces them to wait for "
    "high tide before they can land their catch at the market quay.",
]


def page(charset: str = "utf-8", title: str = "Harbour dredging approved after long delay") -> str:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in STORY)
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="{charset}">
<title>{title} | The Coastal Times</title>
<meta property="og:title" content="{title}">
<meta property="og:url" content="https://coastal.example.org/news/harbour-dredging">
<meta property="article:published_time" content="2017-03-14T08:30:00Z">
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/weather">Weather</a></li><li><a href="/subscribe">Subscribe today for 1 euro</a></li></ul></nav></header>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Tweet this story</a></div>
<main><article>
<h1>{title}</h1>
<p class="byline">By Ana Ruiz · <time datetime="2017-03-14">14 March 2017</time></p>
{paragraphs}
</article>
<section class="comments"><h2>Comments</h2>
<div class="comment"><p>Reader99: This is a waste of money, the port should close.</p></div>
</section></main>
<footer><p>Cookie settings · Privacy policy · © 2017 The Coastal Times</p></footer>
</body></html>
"""


def test_a_saved_page_is_its_article_with_headline_date_and_address(tmp_path):
    path = tmp_path / "harbour.html"
    path.write_text(page(), encoding="utf-8")
    article = read_article(path)
    assert article.id == "harbour"
    assert article.title == "Harbour dredging approved after long delay"
    assert article.date == "2017-03-14"
    assert article.url == "https://coastal.example.org/news/harbour-dredging"
    for paragraph in STORY:
        assert paragraph in article.text
    for furniture in ("Subscribe today", "Share on Facebook", "waste of money", "Cookie settings"):
        assert furniture not in article.text


def test_a_page_in_its_own_charset_is_read_by_it(tmp_path):
    title = "Café owners protest the new terrace fee"
    path = tmp_path / "cafe.htm"
    path.write_bytes(page("windows-1252", title).encode("cp1252"))
    article = read_article(path)
    assert article.title == title


def test_a_page_without_an_article_is_skipped_with_the_reason(tmp_path):
    (tmp_path / "menu.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    (tmp_path / "harbour.html").write_text(page(), encoding="utf-8")
    articles, warnings = load_corpus(tmp_path)
    assert [a.id for a in articles] == ["harbour"]
    assert any(w.startswith("skipped menu.html:") and "no article text" in w for w in warnings)


def test_citations_of_a_page_quote_its_stored_text_with_date_and_url(isolated):
    from assistant import answer, article_text
    from assistant.engine import get_engine
    from assistant.settings import Settings

    corpus: Path = isolated["corpus"]
    (corpus / "harbour.html").write_text(page(), encoding="utf-8")
    result = answer("How long is the dredging of the old port expected to take?")
    assert not result.refused and "eleven weeks" in result.text
    cited = [c for c in result.citations if c.article_id == "harbour"]
    assert cited and cited[0].date == "2017-03-14"
    assert cited[0].url == "https://coastal.example.org/news/harbour-dredging"
    for c in result.citations:
        assert article_text(c.article_id)[c.start : c.end] == c.quote
    # the stored text is what is quoted: the page may change on disk, the citation still holds
    (corpus / "harbour.html").write_text("<html><body>gone</body></html>", encoding="utf-8")
    assert article_text("harbour")[cited[0].start : cited[0].end] == cited[0].quote
    (corpus / "harbour.html").write_text(page(), encoding="utf-8")
    report = get_engine(Settings()).index()  # the same page again: nothing to do
    assert report.added == report.updated == 0


def test_the_extractor_benchmark_scores_what_comes_out_of_a_page(tmp_path, capsys):
    import json

    from benchmarks.html_extract import main, score, trafilatura_extract

    gold = {"file": "harbour.html", "with": STORY[1:2], "without": ["Subscribe today", "waste of money"]}
    got = score("trafilatura", trafilatura_extract, [(page(), gold)])
    assert (got.true_pos, got.false_neg, got.false_pos, got.true_neg) == (1, 0, 0, 2)
    assert got.titles == got.dates == got.urls == 1 and got.f1 == 1.0
    (tmp_path / "harbour.html").write_text(page(), encoding="utf-8")
    (tmp_path / "evaldata.json").write_text(json.dumps({"https://coastal.example.org/x": gold}))
    assert main(["--pages", str(tmp_path), "--lang", "en"]) == 0
    assert "1 pages, 1 main-text and 2 boilerplate snippets" in capsys.readouterr().out
