"""Fetching feeds and pages politely and safely: the only code here that goes on the network.

One GET at a time per host (a feed of 50 items from one site is 50 requests one after the
other, never a flood), a clear User-Agent, conditional requests (a feed that answers 304 costs
one small request), and hard limits: a deadline for the whole response, a size limit counted
on the decoded bytes as they stream (a page past it is stopped there, a gzip bomb too), and a
redirect limit, each hop checked to be http or https. Every failure is a FetchError whose
message says why in a few words ("404 Not Found", "timed out after 20 s").
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import httpx

REDIRECTS = (301, 302, 303, 307, 308)
_MB = 2**20


class FetchError(ValueError):
    """A feed or page could not be fetched; the message says why, for a person to read."""


class BadURL(FetchError):
    """Not an http(s) address: nothing was requested."""


@dataclass(frozen=True)
class Fetched:
    url: str  # where the content came from, after redirects
    status: int  # 200-299, or 304 when a conditional request found nothing new
    content: bytes
    content_type: str  # without parameters, lower case ("" when the server didn't say)
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@cache
def user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("news-assistant")
    except PackageNotFoundError:  # run from a checkout that isn't installed
        ours = "dev"
    return f"news-assistant/{ours} (+local)"


def check_url(url: str) -> str:
    """The address, stripped, if it is an absolute http(s) URL; raises BadURL saying why not."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that isn't a number
    except ValueError:
        raise BadURL(f"{url!r} is not a URL") from None
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        raise BadURL(f"{url}: only http:// and https:// addresses can be fetched")
    if not parts.scheme or not parts.hostname:
        raise BadURL(f"{url!r} is not a URL (it should start with http:// or https://)")
    return url


_host_locks: dict[str, threading.Lock] = {}
_host_locks_guard = threading.Lock()


def _host_lock(url: str) -> threading.Lock:
    """One lock per host and port for the whole process: the chat's background updates and a
    link added meanwhile take turns on a site rather than hitting it together."""
    parts = urlsplit(url)
    key = f"{parts.hostname}:{parts.port or parts.scheme}"
    with _host_locks_guard:
        return _host_locks.setdefault(key, threading.Lock())


class Fetcher:
    """GETs with limits; use as a context manager (it holds an HTTP connection pool)."""

    def __init__(
        self,
        timeout: float = 20.0,
        max_mb: float = 10.0,
        max_redirects: int = 5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = int(max_mb * _MB)
        self.max_mb = max_mb
        self.max_redirects = max_redirects
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # followed here, so each hop is counted and checked
            headers={"User-Agent": user_agent()},
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings) -> Fetcher:
        return cls(settings.fetch_timeout, settings.fetch_max_mb, settings.fetch_max_redirects)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> Fetched:
        """The content at `url`, following redirects; with `etag`/`last_modified` (from an
        earlier Fetched) a 304 comes back as `not_modified` with no content."""
        url = check_url(url)
        headers = {"Accept": accept} if accept else {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _hop in range(self.max_redirects + 1):
            with _host_lock(url):
                got = self._get_once(url, headers)
            if isinstance(got, Fetched):
                return got
            url = got
        raise FetchError(f"{url}: more than {self.max_redirects} redirects")

    def _get_once(self, url: str, headers: dict[str, str]) -> Fetched | str:
        """The response, or the address it redirects to."""
        deadline = time.monotonic() + self.timeout
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    return self._next_hop(url, response.headers["location"])
                if response.status_code == 304:
                    return self._fetched(response, b"")
                if not response.is_success:
                    raise FetchError(f"{url}: {response.status_code} {response.reason_phrase}".rstrip())
                return self._fetched(response, self._read(url, response, deadline))
        except httpx.TimeoutException:
            raise FetchError(f"{url}: timed out after {self.timeout:g} s") from None
        except httpx.ConnectError as err:
            raise FetchError(f"{url}: cannot connect ({_reason(err)})") from None
        except (httpx.HTTPError, httpx.InvalidURL) as err:
            raise FetchError(f"{url}: {_reason(err)}") from None

    def _next_hop(self, url: str, location: str) -> str:
        target = str(httpx.URL(url).join(location))
        try:
            return check_url(target)
        except BadURL:
            raise FetchError(f"{url}: redirected to {target}, which is not http(s)") from None

    def _read(self, url: str, response: httpx.Response, deadline: float) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(f"{url}: {int(declared) / _MB:.1f} MB, above the {self._limit()}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self.max_bytes:
                raise FetchError(f"{url}: larger than the {self._limit()}; stopped there")
            if time.monotonic() > deadline:
                raise FetchError(f"{url}: timed out after {self.timeout:g} s")
        return bytes(body)

    def _limit(self) -> str:
        return f"{self.max_mb:g} MB limit (ASSISTANT_FETCH_MAX_MB)"

    @staticmethod
    def _fetched(response: httpx.Response, content: bytes) -> Fetched:
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return Fetched(
            url=str(response.url),
            status=response.status_code,
            content=content,
            content_type=kind,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )


def _reason(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return text[:200] or type(err).__name__
