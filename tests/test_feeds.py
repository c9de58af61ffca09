"""Links and feeds: pages fetched into the corpus's web/ folder, feeds followed and updated.

Every page and feed is served by a real HTTP server on 127.0.0.1 (tests/webserver.py); the
socket guard still fails anything that would leave the machine.
"""

from __future__ import annotations

import json
import re
import socket
import time
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from index.corpus import front_matter, load_corpus
from tests.webserver import Reply, Site

SEED_IDS = [
    "000_a3e66bb6e1c6e4ee", "001_879027de3d8b4ae6", "002_349d635fff76aa66",
    "003_da6a537bacec0b05", "004_80ebed28bbef419f",
]


def test_the_web_folder_is_read_with_its_path_as_the_id(isolated):
    corpus = isolated["corpus"]
    site = corpus / "web" / "example.org"
    site.mkdir(parents=True)
    (site / "harbour.md").write_text(
        "---\ntitle: Harbour dredging approved\ndate: '2017-03-14'\n"
        "url: https://example.org/harbour\n---\nThe harbour will be dredged in May.\n",
        encoding="utf-8",
    )
    (site / ".add-123.part").write_text("half a file", encoding="utf-8")
    (corpus / "other").mkdir()
    (corpus / "other" / "note.txt").write_text("Not read\nfolders other than web/ aren't.\n")
    articles, warnings = load_corpus(corpus)
    assert warnings == []
    assert [a.id for a in articles] == [*SEED_IDS, "web/example.org/harbour"]
    web = articles[-1]
    assert (web.title, web.date, web.url) == (
        "Harbour dredging approved", "2017-03-14", "https://example.org/harbour"
    )
    assert web.text == (site / "harbour.md").read_text(encoding="utf-8")



@pytest.mark.parametrize(
    "url, folder, name",
    [
        ("https://www.example.org/2017/03/harbour-dredging.html", "www.example.org", "harbour-dredging"),
        ("http://127.0.0.1:8080/news/2017/03/14/", "127.0.0.1_8080", "03-14"),
        ("https://example.org/story/12345", "example.org", "story-12345"),
        ("https://example.org/", "example.org", "index"),
        ("https://example.org/a?id=7", "example.org", r"a-[0-9a-f]{8}"),
        ("https://EXAMPLE.org/Caf%C3%A9--Protest!", "example.org", "cafe-protest"),
    ],
)
def test_a_page_is_filed_by_its_site_and_the_end_of_its_path(url, folder, name):
    from index.web import site_folder, slug

    assert site_folder(url) == folder
    assert re.fullmatch(name, slug(url))


def test_addresses_are_compared_without_tracking_and_trivia():
    from index.web import url_key

    assert url_key("HTTPS://Example.org:443/news/a/?utm_source=rss&id=3#top") == (
        "https://example.org/news/a?id=3"
    )
    assert url_key("http://example.org") == url_key("http://example.org:80/")
    assert url_key("http://example.org/a") != url_key("http://example.org/b")


def test_two_writers_of_one_article_store_it_once(isolated):
    from index.web import WebArticle, WebFolder

    article = WebArticle(
        title="Harbour dredging approved", text="The harbour will be dredged in May.",
        url="https://example.org/harbour", source="https://example.org/harbour?from=rss",
    )
    first, second = WebFolder(isolated["corpus"]), WebFolder(isolated["corpus"])
    first.find(), second.find()  # both read the folder before either wrote
    assert first.write(article, "2017-03-14T08:00:00+00:00") == ("web/example.org/harbour", True)
    assert second.write(article, "2017-03-14T08:00:01+00:00") == ("web/example.org/harbour", False)
    assert [p.name for p in web_files(isolated["corpus"])] == ["example.org", "harbour.md"]


# -- fixtures: a site on 127.0.0.1 with article pages and feeds ---------------------------------


@pytest.fixture
def site():
    served = Site().start()
    yield served
    served.stop()


def article_page(title: str, paragraphs: list[str], date: str | None = None,
                 canonical: str | None = None) -> str:
    meta = f'<meta property="article:published_time" content="{date}T08:30:00Z">' if date else ""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | The Coastal Times</title>{meta}{link}</head><body>
<nav><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/subscribe">Subscribe</a></nav>
<main><article><h1>{title}</h1>{body}</article></main>
<footer>Cookie settings · Privacy policy</footer></body></html>"""


def rss(items: list[dict], title: str = "The Coastal Times") -> str:
    entries = "".join(
        f"<item><title>{i['title']}</title><link>{i['link']}</link><guid>{i['link']}</guid>"
        f"<pubDate>{i.get('pubdate', 'Tue, 14 Mar 2017 08:00:00 GMT')}</pubDate>"
        f"<description>{escape(i.get('summary', ''))}</description></item>"
        for i in items
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>https://coastal.example.org/</link>{entries}</channel></rss>")


TOWNS = ["Port Elsa", "Marrow Bay", "Kettleford", "Dunhaven", "Silverby"]
TOPICS = [
    ("lighthouse restoration", "the lighthouse", "restoring the lamp room and the iron gallery"),
    ("ferry timetable", "the ferry service", "adding an early crossing for hospital staff"),
    ("school roof repairs", "the primary school", "replacing the leaking roof before winter"),
    ("flood barrier", "the river flood barrier", "raising the barrier by forty centimetres"),
    ("library opening hours", "the town library", "opening on Sundays from next month"),
    ("bus depot sale", "the old bus depot", "selling the site for affordable housing"),
    ("harbour dredging", "the harbour", "dredging the silted channel near the market quay"),
    ("market hall rebuild", "the market hall", "rebuilding the hall that burned in January"),
    ("cycle lane plan", "the cycle lane plan", "building a protected lane along the seafront"),
    ("water main upgrade", "the water mains", "replacing pipes laid in the 1890s"),
]


def story(n: int) -> dict:
    """Item n of a feed: a distinct town and topic, its own date and figures."""
    town = TOWNS[n % len(TOWNS)]
    topic, thing, plan = TOPICS[n // len(TOWNS) % len(TOPICS)]
    day = 1 + n % 28
    title = f"{town} approves {topic} plan"
    slug = f"{town}-{topic}".lower().replace(" ", "-")
    paragraphs = [
        f"Councillors in {town} voted on Monday to go ahead with {plan}, at a cost of "
        f"{n + 2}.{n % 10} million euros, after months of public consultation.",
        f"The work on {thing} in {town} is expected to start within {n % 9 + 2} weeks and to "
        f"take about {n % 5 + 3} months, the council's engineer, Jo Marsh {n}, said.",
        f"Residents of {town} had asked for years for {thing} to be dealt with, and a petition "
        f"gathered {1000 + 37 * n} signatures last autumn.",
    ]
    return {
        "n": n, "title": title, "paragraphs": paragraphs, "date": f"2017-03-{day:02d}",
        "path": f"/news/2017/03/{slug}.html",
        "canonical": f"https://coastal.example.org/news/{slug}",
        "summary": f"<p>{paragraphs[0]}</p>",
        "pubdate": f"Tue, {day:02d} Mar 2017 07:00:00 GMT",
    }


def serve_story(site: Site, s: dict) -> dict:
    site.routes[s["path"]] = Reply(
        article_page(s["title"], s["paragraphs"], s["date"], s["canonical"])
    )
    return {**s, "link": site.url(s["path"])}


def serve_feed(site: Site, stories: list[dict], etag: str, path: str = "/feed.xml") -> str:
    site.routes[path] = Reply(rss(stories), content_type="application/rss+xml", etag=etag)
    return site.url(path)


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def web_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "web").rglob("*")) if (corpus / "web").exists() else []


# -- assistant add --------------------------------------------------------------------------


def test_add_stores_the_page_as_markdown_and_indexes_it(built_index, site):
    s = serve_story(site, story(6))
    result = run("add", s["link"])
    assert result.exit_code == 0, result.output
    article_id = "web/coastal.example.org/marrow-bay-ferry-timetable"
    assert f"added {article_id}  “Marrow Bay approves ferry timetable plan”, 2017-03-07" in result.output
    assert "1 new, 0 already here, 0 failed" in result.output
    assert "index: 1 added, 0 updated, 0 removed, 5 unchanged" in result.output
    path = built_index["corpus"] / f"{article_id}.md"
    text = path.read_text(encoding="utf-8")
    meta, start = front_matter(text)
    assert meta["title"] == "Marrow Bay approves ferry timetable plan"
    assert (meta["date"], meta["url"], meta["source"]) == ("2017-03-07", s["canonical"], s["link"])
    assert meta["fetched"] and "feed" not in meta and "summary_only" not in meta
    # the article as trafilatura reads it (its headline, then its paragraphs), not the menu
    assert text[start:].splitlines() == [s["title"], *s["paragraphs"]]
    assert [p.name for p in web_files(built_index["corpus"])] == ["coastal.example.org", path.name]


def test_the_same_link_twice_is_already_here(built_index, site):
    s = serve_story(site, story(3))
    assert run("add", s["link"]).exit_code == 0
    again = run("add", s["link"])
    assert again.exit_code == 0, again.output
    assert "already here: web/coastal.example.org/dunhaven-lighthouse-restoration" in again.output
    assert "0 new, 1 already here, 0 failed" in again.output
    assert len(site.asked(s["path"])) == 1  # known by its address: not even fetched again
    # another address of the same article (its canonical address is the same): fetched, not added
    site.routes["/amp/3"] = site.routes[s["path"]]
    other = run("add", site.url("/amp/3"))
    assert "already here: web/coastal.example.org/dunhaven-lighthouse-restoration" in other.output
    assert len(web_files(built_index["corpus"])) == 2  # the site folder and the one article


def test_a_link_to_an_article_of_the_corpus_is_already_here(built_index, site):
    s = serve_story(site, story(4))
    (built_index["corpus"] / "saved.md").write_text(
        f"---\ntitle: {s['title']}\nurl: {s['canonical']}\n---\n{s['paragraphs'][0]}\n",
        encoding="utf-8",
    )
    assert run("index").exit_code == 0
    result = run("add", s["canonical"])  # not fetched: an indexed article has the address
    assert result.exit_code == 0, result.output
    assert "already here: saved" in result.output
    result = run("add", s["link"])  # fetched: the page's canonical address is the article's
    assert "already here: saved" in result.output
    assert web_files(built_index["corpus"]) == []


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "url, reason",
    [
        ("not a url", "is not a URL"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("http://127.0.0.1:{closed}/news", "cannot connect"),
        ("{site}/gone", "404 Not Found"),
        ("{site}/menu", "not an article"),
        ("{site}/photo.jpg", "not a web page (image/jpeg)"),
    ],
)
def test_a_link_that_cant_be_added_is_one_line_and_exit_2(isolated, site, url, reason):
    site.routes["/menu"] = Reply("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    site.routes["/photo.jpg"] = Reply(b"\xff\xd8\xff\xe0", content_type="image/jpeg")
    url = url.format(closed=closed_port(), site=site.url(""))
    result = run("add", url)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and reason in lines[0], lines
    assert web_files(isolated["corpus"]) == []


# -- feeds and update -----------------------------------------------------------------------


def follow(site: Site, stories: list[dict], etag: str = '"v1"') -> str:
    url = serve_feed(site, stories, etag)
    result = run("feeds", "add", url)
    assert result.exit_code == 0, result.output
    assert f"following “The Coastal Times” {url} ({len(stories)} items)" in result.output
    return url


def test_a_feed_that_changes_adds_only_its_new_item(built_index, site):
    first = [serve_story(site, story(n)) for n in (0, 1)]
    feed = follow(site, first)
    result = run("update")
    assert result.exit_code == 0, result.output
    assert f"{feed}: 2 new, 0 already here" in result.stdout
    assert "2 new, 0 already here, 0 failed" in result.stdout
    assert "index: 2 added, 0 updated, 0 removed, 5 unchanged" in result.stdout
    stored = {a.id: a for a in load_corpus(built_index["corpus"])[0] if a.id.startswith("web/")}
    assert sorted(a.title for a in stored.values()) == sorted(s["title"] for s in first)
    assert all(front_matter(a.text)[0]["feed"] == feed for a in stored.values())

    third = serve_story(site, story(2))
    serve_feed(site, [third, *first], '"v2"')
    again = run("update")
    assert f"{feed}: 1 new, 2 already here" in again.stdout
    assert "1 new, 2 already here, 0 failed" in again.stdout
    assert "index: 1 added, 0 updated, 0 removed, 7 unchanged" in again.stdout
    for s in [*first, third]:
        assert len(site.asked(s["path"])) == 1  # each page fetched once, when it was new
    saved = json.loads((built_index["data"] / "feeds.json").read_text())["feeds"]
    assert [(f["url"], f["etag"], f["result"]) for f in saved] == [
        (feed, '"v2"', "1 new, 2 already here")
    ]
    assert not [p for p in web_files(built_index["corpus"]) if p.name.startswith(".")]


def test_an_unchanged_feed_is_one_request_answered_304(built_index, site):
    feed = follow(site, [serve_story(site, story(n)) for n in (0, 1)])
    assert run("update").exit_code == 0
    asked = len(site.requests)
    started = time.monotonic()
    result = run("update")
    took = time.monotonic() - started
    print(f"\nupdate of an unchanged feed: {took:.2f} s")
    assert result.exit_code == 0, result.output
    assert f"{feed}: unchanged" in result.stdout
    assert "0 new, 0 already here, 0 failed" in result.stdout
    assert len(site.requests) == asked + 1
    assert site.requests[-1].headers["If-None-Match"] == '"v1"'


def test_a_broken_feed_is_a_line_of_the_report(built_index, site):
    good = follow(site, [serve_story(site, story(0))])
    broken = serve_feed(site, [serve_story(site, story(1))], '"b1"', path="/broken.xml")
    assert run("feeds", "add", broken).exit_code == 0
    site.routes["/broken.xml"] = Reply(
        "<rss version='2.0'><channel><title>Half</title><link>https://coastal",
        content_type="application/rss+xml",
    )
    down = serve_feed(site, [], '"d1"', path="/down.xml")
    assert run("feeds", "add", down).exit_code == 0
    del site.routes["/down.xml"]
    result = run("update")
    assert result.exit_code == 0, result.output
    assert f"{good}: 1 new, 0 already here" in result.stdout
    assert f"{broken}: failed" in result.stdout and f"{down}: failed" in result.stdout
    assert "1 new, 0 already here, 2 failed" in result.stdout
    assert f"failed: {broken} is not a readable RSS or Atom feed" in result.stdout
    assert f"failed: {down}: 404 Not Found" in result.stdout
    listed = run("feeds", "list").stdout
    assert "last updated" in listed and "(failed: " in listed and "1 articles" in listed


def test_following_a_page_that_isnt_a_feed_is_refused(isolated, site):
    site.routes["/news"] = Reply(article_page("A page", ["Not a feed at all, but a web page."]))
    result = run("feeds", "add", site.url("/news"))
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: {site.url('/news')} is a web page, not an RSS or Atom feed"
    )
    assert run("feeds", "list").stdout.startswith("no feeds followed")


def test_an_item_whose_page_is_gone_keeps_the_feed_summary(built_index, site):
    gone = {**story(7), "link": site.url("/news/removed.html")}
    feed = follow(site, [gone, serve_story(site, story(8))])
    result = run("update")
    assert result.exit_code == 0, result.output
    assert "2 new, 0 already here, 0 failed" in result.stdout
    assert "the feed's summary only (the page: 404 Not Found)" in result.stdout
    path = built_index["corpus"] / "web" / f"127.0.0.1_{site.port}" / "removed.md"
    meta, start = front_matter(path.read_text(encoding="utf-8"))
    assert meta["summary_only"] is True and meta["title"] == gone["title"]
    assert (meta["date"], meta["url"], meta["feed"]) == ("2017-03-08", gone["link"], feed)
    assert path.read_text(encoding="utf-8")[start:] == gone["paragraphs"][0] + "\n"


def test_removing_a_feed_can_delete_its_articles(built_index, site):
    feed = follow(site, [serve_story(site, story(n)) for n in (0, 1, 2)])
    assert run("update").exit_code == 0
    added = serve_story(site, story(9))
    assert run("add", added["link"]).exit_code == 0  # added by hand: not the feed's
    result = run("feeds", "remove", feed, "--delete-articles")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"stopped following {feed}",
        "deleted its 3 articles",
        "index: 0 added, 0 updated, 3 removed, 6 unchanged; "
        + result.stdout.split("unchanged; ")[1].splitlines()[0],
    ]
    left = [a.id for a in load_corpus(built_index["corpus"])[0] if a.id.startswith("web/")]
    assert left == ["web/coastal.example.org/silverby-ferry-timetable"]
    assert run("feeds", "list").stdout.startswith("no feeds followed")
    again = run("feeds", "remove", feed)
    assert again.exit_code == 2 and f"not following {feed}" in again.output


def test_removing_a_feed_keeps_its_articles_unless_asked(built_index, site):
    feed = follow(site, [serve_story(site, story(0))])
    assert run("update").exit_code == 0
    result = run("feeds", "remove", feed)
    assert "its articles stay in the corpus" in result.stdout
    assert len([p for p in web_files(built_index["corpus"]) if p.is_file()]) == 1


def test_a_feed_of_50_items_is_asked_about_end_to_end(built_index, site):
    stories = [serve_story(site, story(n)) for n in range(50)]
    follow(site, stories)
    result = run("update")
    assert result.exit_code == 0, result.output
    assert "50 new, 0 already here, 0 failed" in result.stdout
    assert "index: 50 added, 0 updated, 0 removed, 5 unchanged" in result.stdout
    target = stories[37]
    assert target["title"] == "Kettleford approves market hall rebuild plan"
    asked = run("ask", "--json", "What is the latest on the Kettleford market hall rebuild?")
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert not answer["refused"], answer["text"]
    cited = answer["citations"][0]
    assert cited["article_id"] == "web/coastal.example.org/kettleford-market-hall-rebuild"
    assert (cited["date"], cited["url"]) == (target["date"], target["canonical"])
    assert cited["quote"] in target["paragraphs"][0] + target["paragraphs"][1]


# -- the chat's side: a link for the "Add an article" panel, updates in the background --------


def test_add_link_says_in_one_line_how_it_went(built_index, site):
    from assistant.engine import get_engine
    from ui.feeds import add_link

    engine = get_engine()
    s = serve_story(site, story(12))
    added = add_link(engine, s["link"])
    assert added == (
        "Added “Kettleford approves school roof repairs plan” (2017-03-13) as "
        "web/coastal.example.org/kettleford-school-roof-repairs; ask about it now."
    )
    assert "web/coastal.example.org/kettleford-school-roof-repairs" in engine.store.articles()
    assert add_link(engine, s["link"]) == (
        "Already here: web/coastal.example.org/kettleford-school-roof-repairs."
    )
    assert add_link(engine, "file:///etc/passwd").startswith("Not added: file:///etc/passwd: only")
    assert add_link(engine, site.url("/nothing")) == f"Not added: {site.url('/nothing')}: 404 Not Found"


def test_the_updater_updates_in_the_background_and_says_when(built_index, site):
    from assistant.engine import get_engine
    from ui.feeds import Updater

    engine = get_engine()
    idle = Updater(engine, every_seconds=3600)
    assert wait_for(lambda: idle.status() == "No feeds followed.")
    idle.stop()

    follow(site, [serve_story(site, story(n)) for n in (20, 21)])
    updater = Updater(engine, every_seconds=0.2)
    try:
        assert wait_for(lambda: updater.status().endswith(", 2 new articles."), 60), updater.status()
        assert updater.status().startswith("Last updated ")
        assert "web/coastal.example.org/port-elsa-library-opening-hours" in engine.store.articles()
        serve_feed(site, [serve_story(site, story(22))], '"v2"')
        assert wait_for(lambda: updater.status().endswith(", 1 new article."), 60), updater.status()
        del site.routes["/feed.xml"]
        assert wait_for(lambda: "1 failed: " in updater.status(), 60), updater.status()
    finally:
        updater.stop()
    assert not updater._thread.is_alive()
    assert len(engine.store.articles()) == 8  # nothing indexed was lost to the failed update


def wait_for(check, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.mark.parametrize(
    "value, seconds", [("30m", 1800), ("90s", 90), ("2h", 7200), ("1.5h", 5400), (" 5M ", 300)]
)
def test_update_every_reads_seconds_minutes_and_hours(value, seconds):
    from ui.feeds import parse_every

    assert parse_every(value) == seconds


@pytest.mark.parametrize(
    "value, reason", [("30", "not a duration"), ("soon", "not a duration"), ("10s", "too often")]
)
def test_update_every_refuses_what_it_cant_read(value, reason):
    from ui.feeds import EVERY, parse_every

    with pytest.raises(ValueError, match=reason):
        parse_every(value)
    import click

    with pytest.raises(click.BadParameter, match=reason):
        EVERY.convert(value, None, None)


def test_adding_several_links_adds_those_it_can_and_says_which_it_couldnt(built_index, site):
    s = serve_story(site, story(5))
    result = run("add", s["link"], site.url("/gone"))
    assert result.exit_code == 2
    assert "added web/coastal.example.org/port-elsa-ferry-timetable" in result.stdout
    assert f"1 new, 0 already here, 1 failed ({site.url('/gone')}: 404 Not Found)" in result.stdout
    assert "Error: 1 of 2 links could not be added (above)" in result.stderr
    assert "index: 1 added, 0 updated, 0 removed, 5 unchanged" in result.stdout
