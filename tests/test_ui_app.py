"""The web chat, served for real on 127.0.0.1: through gradio_client and in headless Chromium."""

from __future__ import annotations

import html
import os
import socket
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from assistant.engine import get_engine
from assistant.settings import Settings
from ui.app import EXAMPLES, auth_from_env, is_loopback, launch
from ui.cli import chat_command

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NEW_ARTICLE = (
    "Pinewood Falls elects an ostrich keeper as mayor\n\n"
    "Marguerite Okonkwo-Baird, who runs the Pinewood Falls ostrich sanctuary, was elected mayor "
    "of Pinewood Falls on Sunday with 61 percent of the vote. She promised a new footbridge "
    "over the Quillon river before the winter floods.\n"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chat_app(built_index):
    demo = launch(Settings(), "127.0.0.1", _free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield demo
    finally:
        demo.close()


def _client(demo):
    from gradio_client import Client

    return Client(demo.local_url, verbose=False, download_files=False, analytics_enabled=False)


def _said(answer: dict) -> dict:
    """An answer's JSON without its stats, whose timings differ from one asking to the next."""
    return {k: v for k, v in answer.items() if k != "stats"}


def _texts(messages) -> list[str]:
    """The text of each chat message, whichever content shape the client hands back."""
    out = []
    for m in messages:
        content = m["content"]
        if isinstance(content, list):
            content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
        out.append(content)
    return out


# -- serving: safe by default -----------------------------------------------------------------


def test_serves_on_loopback_only_without_share_link_or_analytics(chat_app):
    assert urlparse(chat_app.local_url).hostname == "127.0.0.1"
    assert chat_app.server_name == "127.0.0.1"
    assert not chat_app.share and chat_app.share_url is None
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert not chat_app.analytics_enabled


def test_login_comes_from_assistant_ui_auth():
    assert auth_from_env(None) is None and auth_from_env("") is None
    assert auth_from_env("ana:s3cret:x") == ("ana", "s3cret:x")
    for bad in ("nopassword", ":pw", "user:"):
        with pytest.raises(ValueError, match="user:password"):
            auth_from_env(bad)
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0")


def test_chat_command_refuses_a_malformed_login_cleanly(isolated, monkeypatch):
    monkeypatch.setenv("ASSISTANT_UI_AUTH", "just-a-name")
    result = CliRunner().invoke(chat_command, ["--port", str(_free_port())])
    assert result.exit_code == 2
    assert "user:password" in result.output and "Traceback" not in result.output


def test_assistant_chat_serves_the_indexed_seeds_until_stopped(built_index):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "chat", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first = proc.stdout.readline()  # printed once the server is up
        assert f"http://127.0.0.1:{port}" in first, first + proc.stdout.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10) as response:
            assert response.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stdout.close()


# -- the chat endpoint, as a script calls it ---------------------------------------------------


def test_chat_endpoint_answers_with_citations_and_remembers_the_conversation(chat_app):
    engine = get_engine(Settings())
    client = _client(chat_app)
    question, follow_up = EXAMPLES[0], "How long did they talk?"

    job = client.submit(question, api_name="/chat")
    answer, messages, sources, _article, _box = job.result()

    expected = engine.answer(question)
    assert _said(answer) == _said(expected.to_dict())
    assert not answer["refused"] and answer["citations"]
    # the box is emptied when the question is taken, and left alone after (the next question
    # may be being typed)
    assert job.outputs()[0][4] == "" and all(o[4] != "" for o in job.outputs()[1:])
    assert _texts(messages)[0] == question
    assert 'href="#src-0-1"' in _texts(messages)[1]
    assert html.escape(answer["citations"][0]["title"]) in sources and "<mark>" in sources

    answer2, messages2, *_ = client.predict(follow_up, api_name="/chat")
    assert _said(answer2) == _said(engine.answer(follow_up, [(question, expected.text)]).to_dict())
    assert answer2["question"] != follow_up  # rewritten with the conversation
    assert len(messages2) == 4


def test_the_chat_endpoint_streams_the_answer(chat_app):
    """The bubble shows the wait first, then the checked answer, which then stays as it is."""
    job = _client(chat_app).submit(EXAMPLES[0], api_name="/chat")
    job.result()
    replies = [_texts(out[1])[-1] for out in job.outputs() if len(out[1]) == 2]
    assert len(replies) >= 2 and "waiting" in replies[0] and "Searching" in replies[0]
    final = [i for i, r in enumerate(replies) if "waiting" not in r]
    assert final and all(replies[i] == replies[-1] for i in final)
    assert 'class="answer"' in replies[-1] and "cite" in replies[-1]


def test_an_empty_question_gets_a_friendly_message_not_an_error(chat_app):
    answer, messages, *_ = _client(chat_app).predict("   ", api_name="/chat")
    assert answer is None
    assert "Type a question" in _texts(messages)[-1]


def test_eight_simultaneous_chats_each_get_their_own_answers(chat_app):
    engine = get_engine(Settings())
    questions = EXAMPLES + [
        "What did Putin tell India Today?",
        "Who leads the US delegation?",
        "What is the capital of Australia?",
        "Will Ukraine join NATO?",
    ]
    follow_up = "What else did they say about that?"
    expected = {}
    for q in questions:
        first = engine.answer(q)
        second = engine.answer(follow_up, [(q, first.text)])
        expected[q] = (_said(first.to_dict()), _said(second.to_dict()))

    def converse(question: str):
        client = _client(chat_app)
        first, _, *_ = client.predict(question, api_name="/chat")
        second, messages, *_ = client.predict(follow_up, api_name="/chat")
        return _said(first), _said(second), _texts(messages)

    with ThreadPoolExecutor(max_workers=len(questions)) as pool:
        results = dict(zip(questions, pool.map(converse, questions)))

    for q, (first, second, texts) in results.items():
        assert (first, second) == expected[q], q
        assert texts[0] == q and texts[2] == follow_up and len(texts) == 4, q
    assert len({r[1]["question"] for r in results.values()}) == len(questions)


# -- the page, in a real browser ---------------------------------------------------------------


@pytest.fixture
def page(chat_app):
    yield from _browser(chat_app)


def _browser(chat_app):
    """A page of the served app in headless Chromium that may reach nothing but the app."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    host = urlparse(chat_app.local_url).netloc
    outside: list[str] = []

    def only_local(route):
        if urlparse(route.request.url).netloc == host or route.request.url.startswith("data:"):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 960})
        context.route("**/*", only_local)
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        pg.goto(chat_app.local_url)
        yield pg
        browser.close()
    assert outside == [], f"the page tried to reach the network: {outside}"


def _ask(page, question: str) -> None:
    """Type a question and press Enter; wait until its answer is complete."""
    from playwright.sync_api import expect

    answers = page.locator("#chat .answer, #chat .refusal, #chat .notice")
    before = answers.count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    expect(answers).to_have_count(before + 1)
    expect(page.locator("#chat .waiting")).to_have_count(0, timeout=60_000)  # the answer is in
    expect(box).to_have_value("")


def test_the_chat_in_a_browser(page, built_index):
    from playwright.sync_api import expect

    expect(page.locator("#corpus-line")).to_contain_text("5 news articles")
    expect(page.locator("#chat").get_by_text(EXAMPLES[0])).to_be_visible()

    # an answer with [n] links, streamed into the chat; its sources beside it
    _ask(page, EXAMPLES[0])
    last = page.locator("#chat .answer").last
    expect(last.locator("a.cite").first).to_have_text("[1]")
    card = page.locator("#sources #src-0-1")
    expect(card.locator("mark")).to_be_visible()
    expect(card.locator(".source-title")).to_have_text(
        get_engine(Settings()).answer(EXAMPLES[0]).citations[0].title
    )

    # [1] opens the whole article with the quote marked and scrolled into view (keyboard only)
    last.locator("a.cite").first.focus()
    page.keyboard.press("Enter")
    quote = page.locator("#article-view mark.quote")
    expect(quote).to_be_in_viewport()
    expect(quote).to_have_text(card.locator("mark").inner_text())
    expect(card).to_have_class("source active")

    # a question the articles don't answer: a refusal, styled differently, no sources
    _ask(page, "What is the boiling point of mercury in Kelvin?")
    expect(page.locator("#chat .refusal")).to_have_count(1)
    expect(page.locator("#sources")).to_contain_text("No sources")

    # upload an article; the very next question cites it
    page.locator("#add-article").get_by_text("Add an article").click()
    files = page.locator("#upload input[type=file]")
    files.set_input_files(
        {"name": "../Pinewood mayor.txt", "mimeType": "text/plain", "buffer": NEW_ARTICLE.encode()}
    )
    expect(page.locator("#upload-status .status-ok")).to_contain_text("Pinewood_mayor.txt")
    expect(page.locator("#corpus-line")).to_contain_text("6 news articles")
    _ask(page, "Who was elected mayor of Pinewood Falls?")
    expect(page.locator("#sources")).to_contain_text("Pinewood Falls elects an ostrich keeper")
    assert (built_index["corpus"] / "Pinewood_mayor.txt").read_text() == NEW_ARTICLE

    # a bad upload: a clear message, nothing changes
    files.set_input_files(
        {"name": "photo.txt", "mimeType": "text/plain", "buffer": b"\x89PNG\r\n\x1a\n\x00\x00"}
    )
    expect(page.locator("#upload-status .status-error")).to_contain_text("binary")
    expect(page.locator("#corpus-line")).to_contain_text("6 news articles")
    assert not (built_index["corpus"] / "photo.txt").exists()

    # a new chat, then a conversation with a follow-up, its first source open: the screenshot
    page.get_by_role("button", name="New chat").click()
    expect(page.locator("#chat .answer, #chat .refusal")).to_have_count(0)
    expect(page.locator("#question textarea")).to_be_focused()
    _ask(page, EXAMPLES[0])
    _ask(page, "How long did the talks last?")
    page.locator("#chat .answer").first.locator("a.cite").last.click()
    expect(page.locator("#sources .source.active")).to_have_count(1)
    expect(page.locator("#sources .sources-for")).to_contain_text(EXAMPLES[0])  # its own turn
    expect(page.locator("#article-view mark.quote")).to_be_in_viewport()
    page.mouse.move(0, 0)
    page.wait_for_timeout(400)  # let the smooth scroll settle
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)


@pytest.fixture
def reader_page(built_index, monkeypatch):
    """The chat with a reader that writes slowly (a scripted endpoint, paced word by word), so
    the browser can see each stage: the evidence, the unchecked draft (the phrase as it is
    copied), the checked answer."""
    import time

    from assistant.llm import readers
    from tests.scripted_llm import ScriptedLLM, require

    require("llama_index.llms.openai_like")

    def paced(self, prompt, max_tokens, cancel=None):
        if prompt.messages[0]["role"] != "system":  # the yes/no check of the grounded sentence
            yield "YES"
            return
        yield "SENTENCE: 1\nANSWER:"
        for word in "Steve Witkoff and son-in-law Jared Kushner".split(" "):
            time.sleep(0.4)
            yield " " + word

    monkeypatch.setattr(readers.EndpointReader, "stream", paced)
    with ScriptedLLM() as server:
        monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
        monkeypatch.setenv("ASSISTANT_LLM_URL", server.url)
        demo = launch(Settings(), "127.0.0.1", _free_port(), prevent_thread_lock=True, quiet=True)
        try:
            yield from _browser(demo)
        finally:
            demo.close()


def test_the_reader_streams_in_a_browser(reader_page):
    from playwright.sync_api import expect

    box = reader_page.locator("#question textarea")
    box.fill("Who did Trump send to Moscow?")
    box.press("Enter")
    # the passages the reader reads, as soon as retrieval is done, while the draft is written
    expect(reader_page.locator("#sources .evidence-list li.evidence").first).to_be_visible()
    draft = reader_page.locator("#chat .answer.waiting .draft")
    expect(draft).to_contain_text("Steve Witkoff")
    expect(draft).not_to_contain_text("Kushner")  # still being copied
    expect(draft).to_contain_text("draft · checking")  # marked as not yet the answer
    # then the checked answer, with its [1] link and the quoted source
    expect(reader_page.locator("#chat .waiting")).to_have_count(0)
    answer = reader_page.locator("#chat .answer").last
    expect(answer).to_contain_text("Witkoff")
    expect(answer.locator("a.cite").first).to_have_text("[1]")
    expect(reader_page.locator("#sources #src-0-1 mark")).to_contain_text("Witkoff")


def test_a_question_about_the_corpus_is_a_table_in_the_browser(page, built_index):
    """'Which articles mention X?' shows the index's list as a table, one row per article that
    mentions X, each row linked to its source; the next factual question is prose again."""
    import re

    from playwright.sync_api import expect

    topic = "Witkoff"
    mentions = re.compile(rf"\b{topic}\b", re.I)
    corpus = sorted(built_index["corpus"].glob("*.txt"))
    from index.corpus import read_article

    expected = {
        read_article(p).title for p in corpus if mentions.search(p.read_text(encoding="utf-8"))
    }
    assert 2 <= len(expected) < len(corpus)  # a list of several articles, not the whole corpus

    _ask(page, f"Which articles mention {topic}?")
    listing = page.locator("#chat .answer.listing")
    expect(listing).to_have_count(1)
    expect(listing.locator("p").first).to_have_text(f"{len(expected)} articles mention {topic}:")
    rows = listing.locator("table.listing tbody tr")
    expect(rows).to_have_count(len(expected))
    expect(page.locator("#sources article.source")).to_have_count(len(expected))

    # each row's [n] opens its own article's card, the mention marked, and the article itself
    shown = set()
    for i in range(len(expected)):
        row = rows.nth(i)
        link = row.locator("a.cite")
        expect(link).to_have_text(f"[{i + 1}]")
        expect(link).to_have_attribute("href", f"#src-0-{i + 1}")
        link.click()
        card = page.locator(f"#sources #src-0-{i + 1}")
        expect(card).to_have_class("source active")
        expect(card.locator("mark")).to_contain_text(mentions)
        expect(card.locator(".source-title")).to_have_text(row.locator("td").nth(1).inner_text())
        title = card.locator(".source-title").inner_text()
        expect(page.locator("#article-view h3")).to_have_text(title)
        quote = page.locator("#article-view mark.quote")
        expect(quote).to_be_in_viewport()
        expect(quote).to_have_text(card.locator("mark").inner_text())
        shown.add(title)
    assert shown == expected

    # a question about the news, in the same chat: prose with [n] links, no second table
    _ask(page, EXAMPLES[0])
    last = page.locator("#chat .answer").last
    expect(last).not_to_have_class(re.compile(r"\blisting\b"))
    expect(last.locator("table")).to_have_count(0)
    expect(last.locator("a.cite").first).to_have_attribute("href", "#src-1-1")
    expect(last).to_contain_text(topic)
    expect(page.locator("#chat table.listing")).to_have_count(1)
    expect(page.locator("#sources .sources-for")).to_contain_text(EXAMPLES[0])


def test_each_source_offers_a_summary_of_its_article(page, built_index):
    """A source card's Summarize asks for the article in brief, in the chat: a short list, each
    line cited to that article."""
    from playwright.sync_api import expect

    _ask(page, EXAMPLES[0])
    card = page.locator("#sources #src-0-1")
    title = card.locator(".source-title").inner_text()
    answers = page.locator("#chat .answer")
    before = answers.count()
    card.locator("a.summarize").click()
    expect(answers).to_have_count(before + 1)
    expect(page.locator("#chat .waiting")).to_have_count(0, timeout=60_000)
    summary = answers.last
    expect(summary.locator("li").first).to_be_visible()
    assert 1 <= summary.locator("li").count() <= 5
    expect(page.locator("#chat .message.user, #chat [data-testid='user']").last).to_contain_text(
        "Summarize this article"
    )
    titles = {page.locator(".source-title").nth(i).inner_text()
              for i in range(page.locator("#sources .source-title").count())}
    assert titles == {title}  # every line is cited to the summarized article
