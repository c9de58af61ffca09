"""The fetcher against a real HTTP server on 127.0.0.1: limits, redirects, conditional requests."""

from __future__ import annotations

import socket
import threading

import pytest

from index.fetch import BadURL, Fetcher, FetchError, check_url, user_agent
from tests.webserver import Reply, Site


@pytest.fixture
def site():
    served = Site().start()
    yield served
    served.stop()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_page_is_fetched_with_our_user_agent(site):
    site.routes["/a"] = Reply("<p>hello</p>")
    with Fetcher() as fetcher:
        got = fetcher.get(site.url("/a"))
    assert (got.status, got.content, got.content_type) == (200, b"<p>hello</p>", "text/html")
    assert got.url == site.url("/a")
    assert site.asked("/a")[0].headers["User-Agent"] == user_agent()
    assert user_agent().startswith("news-assistant/") and user_agent().endswith(" (+local)")


def test_an_unchanged_resource_is_one_request_answered_304(site):
    site.routes["/feed"] = Reply("<rss/>", etag='"v1"', headers={"Last-Modified": "Tue, 14 Mar 2017 08:30:00 GMT"})
    with Fetcher() as fetcher:
        first = fetcher.get(site.url("/feed"))
        again = fetcher.get(site.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert first.etag == '"v1"' and first.last_modified.startswith("Tue, 14 Mar 2017")
    assert again.not_modified and again.content == b""
    second = site.asked("/feed")[1]
    assert second.headers["If-None-Match"] == '"v1"'
    assert second.headers["If-Modified-Since"] == first.last_modified
    assert len(site.requests) == 2


def test_redirects_are_followed_to_the_final_address(site):
    site.redirect("/old", "/moved", 301)
    site.redirect("/moved", site.url("/new"), 307)
    site.routes["/new"] = Reply("<p>here</p>")
    with Fetcher() as fetcher:
        got = fetcher.get(site.url("/old"))
    assert got.url == site.url("/new") and got.content == b"<p>here</p>"


def test_a_redirect_loop_stops_at_the_limit(site):
    site.redirect("/a", "/b")
    site.redirect("/b", "/a")
    with Fetcher(max_redirects=3) as fetcher, pytest.raises(FetchError, match="more than 3 redirects"):
        fetcher.get(site.url("/a"))
    assert len(site.requests) == 4  # the first request and three redirects followed


def test_a_redirect_to_a_file_is_refused(site):
    site.redirect("/sneaky", "file:///etc/passwd")
    with Fetcher() as fetcher, pytest.raises(FetchError, match="not http"):
        fetcher.get(site.url("/sneaky"))


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_a_page_over_the_size_limit_is_stopped(site, declared):
    site.routes["/big"] = Reply(b"x" * 300_000, length=declared)
    with Fetcher(max_mb=0.1) as fetcher, pytest.raises(FetchError, match="0.1 MB limit"):
        fetcher.get(site.url("/big"))


def test_a_missing_page_says_its_status(site):
    with Fetcher() as fetcher, pytest.raises(FetchError, match="404 Not Found"):
        fetcher.get(site.url("/gone"))


def test_a_slow_server_times_out(site):
    site.routes["/slow"] = Reply("late", delay=2)
    with Fetcher(timeout=0.5) as fetcher, pytest.raises(FetchError, match="timed out after 0.5 s"):
        fetcher.get(site.url("/slow"))


def test_an_unreachable_host_is_a_clear_error():
    with Fetcher(timeout=2) as fetcher, pytest.raises(FetchError, match="cannot connect"):
        fetcher.get(f"http://127.0.0.1:{closed_port()}/x")


@pytest.mark.parametrize(
    "url, reason",
    [
        ("not a url", "is not a URL"),
        ("example.org/news", "should start with http"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("ftp://example.org/x", "only http:// and https://"),
        ("http://example.org:port/", "is not a URL"),
        ("", "is not a URL"),
    ],
)
def test_only_http_addresses_are_fetched(url, reason):
    with pytest.raises(BadURL, match=reason):
        check_url(url)
    with Fetcher() as fetcher, pytest.raises(BadURL):
        fetcher.get(url)


def test_one_request_at_a_time_per_host(site):
    for n in range(4):
        site.routes[f"/p{n}"] = Reply("ok", delay=0.2)
    with Fetcher() as fetcher:
        threads = [
            threading.Thread(target=fetcher.get, args=(site.url(f"/p{n}"),)) for n in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(site.requests) == 4
    assert site.most_busy == 1
