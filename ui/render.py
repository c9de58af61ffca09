"""Answers, sources and articles as HTML for the web chat: pure functions, no Gradio.

Every piece of article text goes through `html.escape`; the only markup is ours. Element ids
carry the turn number, so a `[n]` in an old answer still names its own source, not the newest.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from assistant.models import MARKER, Answer, Citation, Source

CONTEXT_CHARS = 100  # surrounding text shown on each side of a quote in the sources panel
ARTICLE_CHARS = 60_000  # a longer article is shown around the quote, not sent whole

Texts = Mapping[str, tuple[str, str]]  # article id -> (title, text), as Store.article_texts


def source_id(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


def cite_link(turn: int, n: int, title: str) -> str:
    return (
        f'<a class="cite" href="#{source_id(turn, n)}" data-cite="{turn}:{n}" '
        f'title="{html.escape(title, quote=True)}">[{n}]</a>'
    )


def answer_html(
    text: str,
    citations: Sequence[Citation],
    turn: int,
    refused: bool,
    streaming: bool = False,
    unsure: bool = False,
    stopped: bool = False,
) -> str:
    """One chat message: the answer with each known `[n]` turned into a link to its source.

    While `streaming`, the message carries the class `streaming` (a cursor shows it is not done).
    A question of several parts is answered a line per part. `unsure`: a refusal that has a
    closest passage to show (in the sources panel, marked as not an answer).
    """
    state = " streaming" if streaming else ""
    if refused:
        tag = "Stopped" if stopped else "Not sure" if unsure else "Not in the articles"
        kind = "refusal stopped" if stopped else "refusal unsure" if unsure else "refusal"
        return (
            f'<div class="{kind}{state}"><span class="refusal-tag">{tag}</span>'
            f"<p>{html.escape(text)}</p></div>"
        )
    titles = {c.n: c.title for c in citations}

    def link(match: re.Match) -> str:
        numbers = [int(n) for n in re.split(r"\s*,\s*", match.group(1))]
        if not all(n in titles for n in numbers):
            return match.group(0)
        return "".join(cite_link(turn, n, titles[n]) for n in numbers)

    # each line kept, as one HTML line (the chat's markdown leaves an HTML block alone); the
    # lines of an answer of several facts ("- ...") as a list
    out: list[str] = []
    items: list[str] = []
    for line in (" ".join(line.split()) for line in text.splitlines() if line.strip()):
        linked = MARKER.sub(link, html.escape(line))
        if line.startswith("- "):
            items.append(f"<li>{linked[2:]}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        out.append(f"<p>{linked}</p>")
    if items:
        out.append(f"<ul>{''.join(items)}</ul>")
    return f'<div class="answer{state}">{"".join(out)}</div>'


def listing_html(answer: Answer, turn: int) -> str:
    """A question about the corpus: the count, then a table of the articles, one row each:
    headline, date, and the sentence that mentions the topic, linked to its source card."""
    head = html.escape(answer.text.splitlines()[0]) if answer.text else ""
    rows = "".join(
        f"<tr><td>{cite_link(turn, c.n, c.title)}</td><td>{html.escape(c.title)}</td>"
        f"<td>{html.escape(c.date or '')}</td><td>{html.escape(_clip(c.quote, 160))}</td></tr>"
        for c in answer.citations
    )
    table = (
        '<table class="listing"><thead><tr><th></th><th>Article</th><th>Date</th>'
        f"<th>Mention</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    return f'<div class="answer listing"><p>{head}</p>{table}</div>'


def waiting_html(stage: str, elapsed: float, draft: str = "") -> str:
    """The answer's bubble while it is worked out: what is being done and for how long (the
    seconds tick in the browser), and the model's draft so far, muted and labelled as not yet
    checked: the checked answer replaces all of it, so nothing shown here reads as final."""
    status = (
        f'<div class="stage"><span class="spinner" aria-hidden="true"></span>'
        f"{html.escape(stage)} · <span class=\"elapsed\" data-s=\"{elapsed:.1f}\">"
        f"{elapsed:.0f} s</span></div>"
    )
    lines = [" ".join(line.split()) for line in draft.splitlines() if line.strip()]
    if not lines:
        return f'<div class="answer waiting" role="status">{status}</div>'
    body = "<br>".join(html.escape(line) for line in lines)
    return (
        f'<div class="answer waiting" role="status">{status}<div class="draft" '
        f'title="not yet checked"><span class="draft-tag">draft · checking</span>{body}</div></div>'
    )


def pending_html() -> str:
    """The sources panel while a new question is answered: not the last answer's sources."""
    return '<div class="sources-empty">Finding the passages for this question…</div>'


def evidence_html(sources: Sequence[Source]) -> str:
    """The numbered passages the reader is reading, shown while it writes."""
    if not sources:
        return '<div class="sources"><p class="muted">No passage was found.</p></div>'
    cards = "".join(
        f'<li class="evidence" data-n="{s.n}"><b>[{s.n}]</b> '
        f'<span class="title">{html.escape(s.title)}</span>'
        f"<blockquote>{html.escape(_clip(s.text, 400))}</blockquote></li>"
        for s in sources
    )
    return (
        '<div class="sources evidence-list"><p class="muted">Reading these passages; the '
        f"answer's sources appear here once its citations are checked.</p><ol>{cards}</ol></div>"
    )


def notice_html(text: str) -> str:
    """A friendly message in the chat for anything that is not an answer (errors, hints)."""
    return f'<div class="notice">{html.escape(text)}</div>'


def status_html(message: str, ok: bool) -> str:
    """The line under the uploader saying what happened to the file."""
    kind = "ok" if ok else "error"
    return f'<div class="status status-{kind}" role="status">{html.escape(message)}</div>'


def passage_html(text: str, start: int, end: int, context: int = CONTEXT_CHARS) -> str:
    """The quote marked inside a little of the text around it, cut at word boundaries."""
    lo, hi = max(0, start - context), min(len(text), end + context)
    if lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    before = html.escape(" ".join(text[lo:start].split()))
    after = html.escape(" ".join(text[end:hi].split()))
    quote = html.escape(text[start:end])
    return (
        f"{'… ' if lo > 0 else ''}{before} <mark>{quote}</mark> {after}"
        f"{' …' if hi < len(text) else ''}"
    ).strip()


def locate(citation: Citation, text: str) -> tuple[int, int] | None:
    """Where the quote sits in the article text, trusting the offsets only when they check out."""
    if text[citation.start : citation.end] == citation.quote:
        return citation.start, citation.end
    found = text.find(citation.quote)
    return (found, found + len(citation.quote)) if found != -1 and citation.quote else None


def sources_html(
    answer: Answer | None, texts: Texts, turn: int, active: int | None = None, asked: str = ""
) -> str:
    """The sources panel: one card per citation, passage in context, a link to the article.

    `asked` is the question as typed; the panel names it, since it may show an earlier turn.
    """
    caption = (
        f'<div class="sources-for">For “{html.escape(_clip(asked, 90))}”</div>' if asked else ""
    )
    if answer is not None and answer.refused and answer.closest is not None:
        card = _card(answer.closest, texts.get(answer.closest.article_id), turn, False)
        note = (
            '<p class="muted closest-note">The closest passage found. It may not answer the '
            "question, so it is not given as an answer.</p>"
        )
        return '<div class="sources closest">' + caption + note + card + "</div>"
    if answer is None or answer.refused or not answer.citations:
        if answer is None:
            hint = "Ask a question; the passages each answer cites appear here."
        elif answer.partial:
            hint = "Stopped before an answer was found: no sources."
        else:
            hint = "No sources: the articles don't answer this."
        return f'<div class="sources-empty">{html.escape(hint)}</div>'
    cards = [_card(c, texts.get(c.article_id), turn, c.n == active) for c in answer.citations]
    return '<div class="sources">' + caption + "".join(cards) + "</div>"


def _card(citation: Citation, article: tuple[str, str] | None, turn: int, active: bool) -> str:
    span = locate(citation, article[1]) if article else None
    if article and span:
        passage = passage_html(article[1], *span)
    else:
        passage = f"<mark>{html.escape(citation.quote)}</mark>"
    classes = "source active" if active else "source"
    return (
        f'<article class="{classes}" id="{source_id(turn, citation.n)}">'
        f'<header><span class="source-n">{citation.n}</span>'
        f'<span class="source-title">{html.escape(citation.title)}</span>{_dated(citation)}</header>'
        f'<p class="passage">{passage}</p>'
        f"<footer>{_origin(citation)}{_link(citation)}"
        f'<a class="summarize" href="#" data-summarize="{html.escape(citation.article_id, quote=True)}">'
        "Summarize</a>"
        f'<a class="open-article" href="#{source_id(turn, citation.n)}" '
        f'data-cite="{turn}:{citation.n}">Open article ›</a></footer></article>'
    )


def _origin(citation: Citation) -> str:
    """Where a source is from, as a reader names it: the outlet (its site) or, for a file
    with no address, nothing more than the headline and date already say."""
    host = urlsplit(citation.url).hostname if citation.url else None
    if host:
        return f'<span class="source-outlet">{html.escape(host.removeprefix("www."))}</span>'
    return '<span class="source-outlet"></span>'


def _dated(citation: Citation) -> str:
    if not citation.date:
        return ""
    return f'<time class="source-date" datetime="{html.escape(citation.date)}">{html.escape(citation.date)}</time>'


def _link(citation: Citation) -> str:
    """The article's own page, when its export or front matter names one (http(s) only)."""
    if not citation.url or not citation.url.lower().startswith(("http://", "https://")):
        return ""
    return (
        f'<a class="source-url" href="{html.escape(citation.url, quote=True)}" target="_blank" '
        'rel="noopener noreferrer">original ↗</a>'
    )


def article_html(citation: Citation | None, article: tuple[str, str] | None) -> str:
    """The whole article, the cited quote marked (`mark.quote`) so it can be scrolled to."""
    if citation is None:
        return (
            '<div class="article-empty">Open a source ([n] in an answer, or '
            "“Open article” on a card) to read the whole article here.</div>"
        )
    if article is None:
        return notice_html(f"The article {citation.article_id} is no longer in the index.")
    title, text = article
    span = locate(citation, text)
    if span:
        start, end = span
        lo, hi = _window(len(text), start, end)
        body = (
            f"{'… ' if lo else ''}{html.escape(text[lo:start])}"
            f'<mark class="quote">{html.escape(text[start:end])}</mark>'
            f"{html.escape(text[end:hi])}{' …' if hi < len(text) else ''}"
        )
    else:
        body = html.escape(text[:ARTICLE_CHARS]) + (" …" if len(text) > ARTICLE_CHARS else "")
    return (
        f'<div class="article"><div class="article-head"><span class="source-n">{citation.n}</span>'
        f"<div><h3>{html.escape(title)}</h3>{_origin(citation)}{_dated(citation)}</div>"
        f'</div><div class="article-body">{body}</div></div>'
    )


def _window(length: int, start: int, end: int) -> tuple[int, int]:
    """All of an article, or for a very long one the part around the quote."""
    if length <= ARTICLE_CHARS:
        return 0, length
    half = max(0, ARTICLE_CHARS - (end - start)) // 2
    lo = max(0, start - half)
    return lo, min(length, max(end + half, lo + ARTICLE_CHARS))


def corpus_html(count: int, titles: Sequence[str], shown: int = 3, updated: str = "") -> str:
    """The short line saying what the corpus holds, with every headline one click away, and
    when the followed feeds were last updated (`updated`), if they are."""
    feeds = f' <span class="feeds-status">{html.escape(updated)}</span>' if updated else ""
    if count == 0:
        return f'<div class="corpus">No articles are indexed yet: add one below.{feeds}</div>'
    noun = "article" if count == 1 else "articles"
    named = "; ".join(f"<i>{html.escape(_clip(t, 70))}</i>" for t in titles[:shown])
    more = f" and {count - shown} more" if count > shown else ""
    items = "".join(f"<li>{html.escape(t)}</li>" for t in titles)
    rest = f"<li>… and {count - len(titles)} more</li>" if count > len(titles) else ""
    return (
        f'<details class="corpus"><summary>Answers come from <b>{count} news {noun}</b>: '
        f"{named}{more}.{feeds}</summary><ul>{items}{rest}</ul></details>"
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
