"""The chat as people use it, in headless Chromium against the real app on 127.0.0.1.

The seed corpus, real Chroma and the real embedder; the extractive backend where only the answer
matters, and a stand-in reader that holds the model until it is stopped (`Held`, after
tests/test_cancel.py's `Blocking`) where the model's time matters. One app of each kind and one
browser serve the whole module; every test opens its own browser context, so its own sessions.

Screenshots go to $ASSISTANT_TEST_SHOTS (default: <tmp>/ui-browser-wait), one per scenario.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from assistant.engine import get_engine
from assistant.settings import Settings
from tests.test_cancel import Blocking
from tests.test_ui_app import CHROMIUM, CHROMIUM_ARGS, _free_port
from ui.app import launch

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SHOTS = Path(os.environ.get("ASSISTANT_TEST_SHOTS") or Path(tempfile.gettempdir()) / "ui-browser-wait")
QUESTION = "Who did Trump send to Moscow to meet Putin?"


class Held(Blocking):
    """The model, held by a question until it is stopped (`hold`), as a long prefill holds it;
    with `hold` off it answers at once, copying "Steve Witkoff" from the sentence that has it.
    Records each call's cancel signal and how many calls have ended."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = True
        self.cancels: list = []
        self.ended = 0

    def stream(self, prompt, max_tokens, cancel=None):
        self.cancels.append(cancel)
        try:
            if self.hold:
                yield from super().stream(prompt, max_tokens, cancel)
                return
            self.calls += 1
            text = prompt.messages[-1]["content"]
            follow_up = re.search(r"^\s*Follow Up Input: (.+)$", text, re.M)  # made standalone
            found = re.search(r"^\[(\d+)\] .*Steve Witkoff", text, re.M)
            if follow_up:
                yield follow_up.group(1)
            else:
                yield f"SENTENCE: {found.group(1)}\nANSWER: Steve Witkoff" if found else "NONE"
        finally:
            self.ended += 1


def _serve(data: Path, corpus: Path, backend: str):
    settings = Settings(corpus_dir=corpus, data_dir=data, backend=backend)
    return settings, launch(settings, "127.0.0.1", _free_port(), prevent_thread_lock=True, quiet=True)


@pytest.fixture(scope="module")
def dirs(seed_index, tmp_path_factory):
    """A data dir (a copy of the seed index) and a corpus (a copy of the seeds) per app."""

    def make(name: str) -> tuple[Path, Path]:
        root = tmp_path_factory.mktemp(name)
        shutil.copytree(seed_index, root / "data")
        shutil.copytree(SEEDS, root / "corpus")
        return root / "data", root / "corpus"

    return make


@pytest.fixture(scope="module")
def extractive_app(dirs):
    data, corpus = dirs("extractive")
    settings, demo = _serve(data, corpus, "extractive")
    yield demo, get_engine(settings)
    demo.close()


@pytest.fixture(scope="module")
def held_app(dirs):
    """The app with the reader backend, its model the `Held` stand-in (set before the app
    starts, so its warm-up never loads the real one)."""
    data, corpus = dirs("held")
    settings = Settings(corpus_dir=corpus, data_dir=data, backend="reader")
    engine = get_engine(settings)
    engine._reader = Held()
    _, demo = _serve(data, corpus, "reader")
    assert get_engine(settings) is engine
    yield demo, engine
    demo.close()


@pytest.fixture
def held(held_app):
    """The held app with a fresh stand-in reader and an empty queue."""
    demo, engine = held_app
    engine._reader = Held()
    assert engine.turns._queue == []
    yield demo, engine, engine._reader
    engine._reader.hold = False  # whatever still runs is let go
    for cancel in engine._reader.cancels:
        if cancel is not None:
            cancel.set()
    _until(None, lambda: engine.turns._queue == [], 5, "the queue empties after the test")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tabs(browser):
    """`open(demo)` -> a new tab of the app, in this test's own context, that may reach
    nothing but the app; every test checks nothing else was asked for."""
    context = browser.new_context(viewport={"width": 1360, "height": 960})
    outside: list[str] = []
    hosts: set[str] = set()

    def only_local(route):
        url = route.request.url
        if urlparse(url).netloc in hosts or url.startswith("data:"):
            return route.continue_()
        outside.append(url)
        return route.abort()

    context.route("**/*", only_local)

    def open_tab(demo):
        hosts.add(urlparse(demo.local_url).netloc)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(demo.local_url)
        page.locator("#question textarea").wait_for()
        return page

    yield open_tab
    context.close()
    assert outside == [], f"the page tried to reach the network: {outside}"


def _until(page, condition, seconds: float, what: str) -> float:
    """Wait until `condition()` holds; the seconds it took. Fails saying `what` was awaited.
    It waits in the page (not time.sleep), so Playwright keeps serving the page's requests,
    which go through the route handler on this thread."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s: {what}")
        page.wait_for_timeout(20) if page is not None else time.sleep(0.02)
    return time.monotonic() - started


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _send(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def _bubble(page):
    """The last answer's bubble: the chat's last message row written by the assistant."""
    return page.locator("#chat .message-row.bot-row").last


def _stop_button(page):
    return page.locator("#question button[data-testid=stop-button]")


# -- Stop, a closed tab, the queue, New chat -----------------------------------------------------


def test_stop_ends_the_answer_at_once_and_frees_the_model(held, tabs):
    from playwright.sync_api import expect

    demo, engine, reader = held
    page = tabs(demo)
    _send(page, QUESTION)
    # the bubble at once: what is being done, and for how long
    stage = _bubble(page).locator(".answer.waiting .stage")
    expect(stage).to_be_visible(timeout=3_000)
    expect(stage).to_contain_text(re.compile(r"(Searching|Reading).* · \d+ s"))
    _until(page, lambda: reader.calls == 1, 20, "the question reaches the model")
    expect(stage).to_contain_text("Reading")
    # the model says nothing for seconds: the seconds still tick, in the browser
    expect(stage.locator(".elapsed")).to_have_text(re.compile(r"^[2-9] s$"), timeout=4_000)
    _shot(page, "1-stop-before")

    expect(_stop_button(page)).to_be_visible()
    _stop_button(page).click()
    clicked = time.monotonic()
    expect(_bubble(page).locator(".refusal")).to_contain_text("Stopped.", timeout=2_000)
    assert time.monotonic() - clicked < 2
    _until(page, lambda: engine.turns._queue == [], 2 - (time.monotonic() - clicked),
           "the model's queue is empty")
    assert reader.cancels[0].why == "stopped" and reader.ended == 1
    expect(_bubble(page).locator(".waiting")).to_have_count(0)
    _shot(page, "1-stop-after")

    # the model is free: the next question is read and answered
    reader.hold = False
    _send(page, QUESTION)
    answer = _bubble(page).locator(".answer:not(.waiting)")
    expect(answer).to_contain_text("Steve Witkoff", timeout=20_000)
    expect(answer.locator("a.cite").first).to_have_text("[1]")
    assert reader.calls >= 2 and engine.turns._queue == []


def test_closing_the_tab_stops_its_question(held, tabs):
    from playwright.sync_api import expect

    demo, engine, reader = held
    page = tabs(demo)
    watcher = tabs(demo)  # another tab of the same browser, still open, to wait in
    _send(page, QUESTION)
    expect(_bubble(page).locator(".answer.waiting")).to_be_visible()
    _until(page, lambda: reader.calls == 1 and engine.turns._queue, 20, "the model is busy")
    _shot(page, "2-close-before")
    page.close()
    closed = time.monotonic()
    _until(watcher, lambda: engine.turns._queue == [], 3, "the closed tab's question leaves the model")
    _until(watcher, lambda: reader.ended == 1, 3 - (time.monotonic() - closed),
           "the reader's call ends")
    assert reader.cancels[0].why == "stopped"
    _shot(watcher, "2-close-after")


def test_a_second_question_waits_its_turn_and_goes_on_when_the_first_stops(held, tabs):
    from playwright.sync_api import expect

    demo, engine, reader = held
    first, second = tabs(demo), tabs(demo)  # two tabs: two sessions
    _send(first, QUESTION)
    _until(first, lambda: reader.calls == 1, 20, "the first question reaches the model")
    _send(second, "How long did the talks in the Kremlin last?")
    waiting = _bubble(second).locator(".answer.waiting .stage")
    expect(waiting).to_contain_text("Waiting for the model: 1 question ahead", timeout=20_000)
    assert len(engine.turns._queue) == 2
    second.bring_to_front()
    _shot(second, "3-queued-waiting")

    _stop_button(first).click()
    expect(_bubble(first).locator(".refusal")).to_contain_text("Stopped.", timeout=2_000)
    _until(second, lambda: reader.calls == 2, 5, "the second question reaches the model")
    assert len(engine.turns._queue) == 1  # the second one's, holding the model
    # its bubble says it is no longer waiting for the model
    expect(waiting).not_to_contain_text("Waiting for the model", timeout=3_000)
    expect(waiting).to_contain_text("Reading")
    _shot(second, "3-queued-proceeds")


def test_new_chat_stops_the_running_question_and_clears_the_chat(held, tabs):
    from playwright.sync_api import expect

    demo, engine, reader = held
    page = tabs(demo)
    _send(page, QUESTION)
    _until(page, lambda: reader.calls == 1, 20, "the question reaches the model")
    page.get_by_role("button", name="New chat").click()
    _until(page, lambda: engine.turns._queue == [], 2, "the model's queue is empty")
    assert reader.cancels[0].why == "stopped"
    page.wait_for_timeout(1_000)  # whatever the stopped answer still sends has come by now
    expect(page.locator("#chat .message-row")).to_have_count(0)
    expect(page.locator("#chat [data-testid=bot]")).to_have_count(0)
    expect(page.locator("#question textarea")).to_be_focused()
    _shot(page, "4-new-chat")

    # and the chat goes on from nothing: the next answer is the first turn's
    reader.hold = False
    _send(page, QUESTION)
    answer = _bubble(page).locator(".answer:not(.waiting)")
    expect(answer).to_contain_text("Steve Witkoff", timeout=20_000)
    expect(answer.locator("a.cite").first).to_have_attribute("href", "#src-0-1")
    expect(page.locator("#chat [data-testid=user]")).to_have_count(1)


# -- the question box ----------------------------------------------------------------------------


def test_the_counter_shows_the_limit_and_a_longer_question_is_cut(extractive_app, tabs):
    from gradio_client import Client
    from playwright.sync_api import expect

    demo, engine = extractive_app
    most = engine.settings.max_question_chars
    assert most == 2000
    page = tabs(demo)
    count, box = page.locator("#question-count"), page.locator("#question textarea")
    expect(count).to_have_text("0 / 2,000")
    box.press_sequentially("Who is Witkoff?")
    expect(count).to_have_text("15 / 2,000")
    expect(count).not_to_have_class(re.compile(r"\bfull\b"))
    box.fill("x" * (most + 500))  # a paste longer than the limit
    assert len(box.input_value()) == most
    expect(count).to_have_text("2,000 / 2,000 · the rest was cut")
    expect(count).to_have_class(re.compile(r"\bfull\b"))
    _shot(page, "5-counter-cut")

    # a script's question is not held by the box: the answer says how it was cut
    client = Client(demo.local_url, verbose=False, download_files=False, analytics_enabled=False)
    long = QUESTION + " " + "Please answer carefully. " * 100
    assert len(long) > most
    answer, messages, *_ = client.predict(long, api_name="/chat")
    cut = "The question was cut to its first 2,000 characters."
    assert cut in answer["notice"]
    assert any(cut in str(m["content"]) and "notice" in str(m["content"]) for m in messages)


def test_asking_nothing_three_times_leaves_one_hint(extractive_app, tabs, monkeypatch):
    from playwright.sync_api import expect

    import ui.app

    demo, _engine = extractive_app
    asked: list[str] = []
    real = ui.app.clean_question
    monkeypatch.setattr(ui.app, "clean_question", lambda q: (asked.append(q), real(q))[1])
    page = tabs(demo)
    ask = page.locator("#question button[data-testid=submit-button]")
    idle = page.locator("#question [data-testid=status-tracker]")
    hint = page.locator("#chat .notice")
    for i in (1, 2, 3):  # each press answered before the next (one pending is not sent twice)
        ask.click()
        _until(page, lambda i=i: len(asked) == i, 5, f"empty question {i} reaches the app")
        expect(idle).to_have_class(re.compile(r"\bhide\b"))
        expect(hint).to_have_count(1)
    assert asked == ["", "", ""]
    expect(hint).to_have_text("Type a question about the articles first.")
    expect(page.locator("#chat [data-testid=bot]")).to_have_count(1)
    _shot(page, "6-one-hint")


# -- what the reader sees while an answer is worked out ------------------------------------------

RECORD_JS = """
() => {
  const chat = document.querySelector('#chat');
  const seen = chat.querySelectorAll('.message-row.bot-row').length;
  const states = [];
  const record = () => {
    const rows = chat.querySelectorAll('.message-row.bot-row');
    if (rows.length <= seen) return;
    const row = rows[rows.length - 1];
    if (!row.innerText.trim()) return;  // an empty bubble, before its first message is drawn
    const html = [...row.querySelectorAll('.message-content')].map((m) => m.innerHTML).join('\\n');
    const last = states[states.length - 1];
    if (last && last.html === html) return;
    states.push({html, marked: !!row.querySelector('.waiting, .draft-tag'),
                 draft: !!row.querySelector('.draft-tag'), t: performance.now()});
  };
  new MutationObserver(record).observe(chat, {subtree: true, childList: true,
                                              characterData: true, attributes: true});
  window.__answerStates = states;
}
"""


def _watch_answer(page, question: str, timeout_ms: int) -> list[dict]:
    """Every state of the new answer's bubble while it is answered, and 1.5 s after."""
    from playwright.sync_api import expect

    page.evaluate(RECORD_JS)
    _send(page, question)
    final = _bubble(page).locator(".answer:not(.waiting), .refusal")
    expect(final).to_be_visible(timeout=timeout_ms)
    page.wait_for_timeout(1_500)  # anything swapped in after the answer would show by now
    return page.evaluate("window.__answerStates")


def _assert_never_swapped(states: list[dict]) -> None:
    assert states, "the bubble was never seen"
    assert states[0]["marked"], "the first thing shown is not marked as waiting"
    checked = next(i for i, s in enumerate(states) if not s["marked"])
    assert all(s["marked"] for s in states[:checked])
    after = {s["html"] for s in states[checked:]}
    assert len(after) == 1, f"the checked answer changed after it was shown: {states[checked:]}"


def test_the_answer_is_never_swapped_under_the_reader(extractive_app, tabs):
    demo, _engine = extractive_app
    page = tabs(demo)
    states = _watch_answer(page, QUESTION, 20_000)
    _assert_never_swapped(states)
    assert "Witkoff" in states[-1]["html"] and "a class=\"cite\"" in states[-1]["html"]
    _shot(page, "7-extractive-answer")


@pytest.fixture
def real_model(held_app, monkeypatch):
    """The held app's engine with its real packaged reader (loaded on the first question)."""
    from assistant.llm import model_file
    from tests.scripted_llm import require

    require("cyllama")
    demo, engine = held_app
    if model_file.packaged_model(Settings().model_dir) is None:
        if os.environ.get("ASSISTANT_TEST_REQUIRE_LLM") == "1":
            pytest.fail(f"the reader model is not installed ({model_file.INSTALL})")
        pytest.skip("the reader model is not installed")
    monkeypatch.setattr(engine, "_reader", None)
    yield demo, engine
    assert engine.turns._queue == []


def test_the_real_models_draft_is_marked_and_then_replaced_once(real_model, tabs):
    demo, engine = real_model
    page = tabs(demo)
    states = _watch_answer(page, QUESTION, 120_000)  # seconds on 2 idle cores, more if busy
    _assert_never_swapped(states)
    assert any(s["draft"] for s in states), "the model's draft was never shown"
    assert "draft" not in states[-1]["html"]
    print(f"the real model's answer: {_bubble(page).inner_text()!r}")
    _shot(page, "7-real-model-answer")


# -- small things --------------------------------------------------------------------------------

ARTICLE_ID = re.compile(r"\b\d{3}_[0-9a-f]{16}\b")


def _lines(cell) -> float:
    """How many lines the text in a table cell takes: the height its text spans, in lines."""
    return cell.evaluate(
        """(el) => {
          const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          let top = Infinity, bottom = -Infinity, line = 0;
          for (let node = walk.nextNode(); node; node = walk.nextNode()) {
            if (!node.textContent.trim()) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            for (const r of range.getClientRects()) {
              top = Math.min(top, r.top);
              bottom = Math.max(bottom, r.bottom);
            }
            const s = getComputedStyle(node.parentElement);
            line = Math.max(line, s.lineHeight === 'normal' ? 1.2 * parseFloat(s.fontSize)
                                                            : parseFloat(s.lineHeight));
          }
          return line ? (bottom - top) / line : 0;
        }"""
    )


def test_a_listing_table_does_not_wrap_its_date_and_markers_and_cards_show_no_ids(
    extractive_app, tabs
):
    from playwright.sync_api import expect

    demo, _engine = extractive_app
    page = tabs(demo)
    _send(page, "Which articles mention Witkoff?")
    table = page.locator("#chat table.listing")
    expect(table).to_be_visible(timeout=20_000)
    rows = table.locator("tbody tr")
    assert rows.count() >= 2
    date = table.locator("th").nth(2)
    expect(date).to_have_text("Date")
    assert _lines(date) < 1.5, "the Date header wraps"
    for i in range(rows.count()):
        marker, when = rows.nth(i).locator("td").nth(0), rows.nth(i).locator("td").nth(2)
        expect(marker).to_have_text(f"[{i + 1}]")
        assert _lines(marker) < 1.5, f"the marker of row {i + 1} wraps"
        if when.inner_text().strip():
            assert _lines(when) < 1.5, f"the date of row {i + 1} wraps"

    cards = page.locator("#sources article.source")
    expect(cards).to_have_count(rows.count())
    for i in range(cards.count()):
        text = cards.nth(i).inner_text()
        assert not ARTICLE_ID.search(text), f"card {i + 1} shows an article id: {text!r}"
    rows.nth(0).locator("a.cite").click()
    expect(page.locator("#article-view mark.quote")).to_be_visible()
    assert not ARTICLE_ID.search(page.locator("#article-view").inner_text())
    _shot(page, "8-listing")



def test_an_api_client_that_gives_up_frees_the_model(held):
    """A script asking over the HTTP API that cancels its job (or goes away) stops its question
    as Stop does: the model's call is aborted and the queue is empty within 2 s."""
    from gradio_client import Client

    demo, engine, reader = held
    client = Client(demo.local_url, verbose=False)
    job = client.submit(QUESTION, api_name="/chat")
    _until(None, lambda: reader.calls == 1 and engine.turns._queue, 20, "the model is busy")
    job.cancel()
    cancelled = time.monotonic()
    _until(None, lambda: engine.turns._queue == [] and reader.ended == 1, 2,
           "the cancelled job's question leaves the model")
    assert reader.cancels[0].why == "stopped" and time.monotonic() - cancelled < 2
    client.close()
