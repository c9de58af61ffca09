"""The web chat: one Gradio Blocks app over the shared engine, chat state kept per session.

The engine is thread-safe and shared; everything that belongs to one conversation (what the
chat shows, the answers and their citations) lives in that browser session's `gr.State`.
Links between the chat, the sources panel and the article view go through one small click
handler (`CITE_JS`) that sends "turn:n" back to Python, so a `[n]` in any earlier answer still
opens its own source.

Gradio keeps a copy of every uploaded file in its temp dir. That dir is the app's own
(`app_temp_dir()`, set as GRADIO_TEMP_DIR before Gradio is imported, removed at exit), and each
upload's copy is deleted as soon as it is handled, accepted (after it was written into the
corpus) or not.
"""

from __future__ import annotations

import atexit
import html
import ipaddress
import logging
import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index import offline

offline.prepare()  # before gradio is imported: no analytics

_temp_lock = threading.Lock()
_temp_dir: str | None = None
_temp_parent = os.environ.get("GRADIO_TEMP_DIR") or None  # a temp dir the user chose, if any


def app_temp_dir() -> str:
    """Gradio's temp dir for this process: a fresh folder of the app's own, removed at exit.

    It is made inside $GRADIO_TEMP_DIR when that is set (else the system temp dir), and
    GRADIO_TEMP_DIR is pointed at it, since Gradio reads that variable both when components are
    built and when requests are checked.
    """
    global _temp_dir
    with _temp_lock:
        if _temp_dir is None or not os.path.isdir(_temp_dir):
            if _temp_parent:
                os.makedirs(_temp_parent, exist_ok=True)
            _temp_dir = tempfile.mkdtemp(prefix="news-assistant-gradio-", dir=_temp_parent)
            atexit.register(shutil.rmtree, _temp_dir, ignore_errors=True)
        os.environ["GRADIO_TEMP_DIR"] = _temp_dir
        return _temp_dir


app_temp_dir()  # before gradio is imported: some of its modules read the variable on import

import gradio as gr  # noqa: E402

from assistant.api import clean_question  # noqa: E402
from assistant.errors import EmptyQuestion  # noqa: E402
from assistant.llm.base import Cancel  # noqa: E402
from assistant.models import Answer, Done, Kind, Retrieved, Stage, Token  # noqa: E402
from ui import render  # noqa: E402
from ui.style import CSS, THEME  # noqa: E402
from ui.uploads import MAX_BYTES, UploadRejected, add_upload, discard_upload  # noqa: E402

log = logging.getLogger(__name__)

EXAMPLES = [
    "Who did Trump send to Moscow to meet Putin?",
    "How long did the talks in the Kremlin last?",
    "What did Lavrov say about negotiating with the incoming U.S. administration?",
    "What share of the Donbas do Russian forces control?",
]
EMPTY_HINT = "Type a question about the articles first."
SUMMARIZE = "Summarize this article"  # a source's Summarize action, as the chat asks it
CONCURRENCY = 16  # chats answered at the same time; the engine answers read-only
CORPUS_LISTED = 40  # headlines listed under the corpus line
# the longest a question goes without an update: Gradio stops a generator (an API client that
# cancels its job) only when it yields, so a question held by the model must still yield
HEARTBEAT_S = 1.0

CITE_JS = """
const handler = (event) => {
  const brief = event.target.closest && event.target.closest('a[data-summarize]');
  if (brief) {
    event.preventDefault();
    event.stopPropagation();
    trigger('click', {summarize: brief.dataset.summarize});
    return;
  }
  const link = event.target.closest && event.target.closest('a[data-cite], a.cite');
  if (!link) return;
  const found = (link.dataset.cite || '').match(/^(\\d+):(\\d+)$/)
    || (link.getAttribute('href') || '').match(/src-(\\d+)-(\\d+)$/);
  if (!found) return;
  event.preventDefault();
  event.stopPropagation();
  trigger('click', {cite: `${found[1]}:${found[2]}`});
};
if (window.__assistantCite) document.removeEventListener('click', window.__assistantCite, true);
window.__assistantCite = handler;
document.addEventListener('click', handler, true);
"""

# the wait, shown: a stage's seconds tick in the browser between the server's updates, and the
# question box counts its characters against the limit (a longer paste is cut, and said so)
TICK_JS = """
if (!window.__assistantTick) {
  window.__assistantTick = setInterval(() => {
    // the chat's sanitizer drops data- attributes from messages: the seconds the server
    // counted are read from the text it sent ("3 s")
    document.querySelectorAll('#chat .elapsed').forEach((el) => {
      if (!el.dataset.t0) el.dataset.t0 = Date.now() - 1000 * (parseFloat(el.textContent) || 0);
      el.textContent = Math.round((Date.now() - el.dataset.t0) / 1000) + ' s';
    });
    count();  // the box is also emptied by the app, with no input event
  }, 500);
  const count = () => {
    const box = document.querySelector('#question textarea');
    const shown = document.querySelector('#question-count');
    if (!box || !shown) return;
    const most = parseInt(shown.dataset.max, 10);
    const n = box.value.length;
    const text = n.toLocaleString() + ' / ' + most.toLocaleString()
      + (n >= most ? ' · the rest was cut' : '');
    if (shown.textContent !== text) shown.textContent = text;
    shown.classList.toggle('full', n >= most);
  };
  document.addEventListener('input', (event) => {
    if (event.target.closest && event.target.closest('#question textarea')) count();
  }, true);
}
"""

SCROLL_JS = """
watch('value', () => {
  const mark = element.querySelector('mark.quote');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'smooth'});
});
"""


@dataclass(frozen=True)
class Turn:
    question: str
    answer: Answer | None  # None when answering failed


@dataclass
class Session:
    """One browser session's conversation; never shared between sessions."""

    messages: list[dict] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)

    def history(self) -> list[tuple[str, str]]:
        return [(t.question, t.answer.text) for t in self.turns if t.answer is not None]


class ChatUI:
    """The event handlers, bound to one engine; holds no per-user state itself."""

    def __init__(self, engine, updater=None) -> None:
        self.engine = engine
        self.updater = updater  # feeds updated in the background (--update-every), if any
        # the question each browser session has running, to stop it: not chat state, which
        # lives in the session's gr.State
        self._running: dict[str, Cancel] = {}
        self._running_lock = threading.Lock()
        # questions stopped by "New chat": nothing more of theirs is shown or kept, or the
        # stopped turn would come back into the new chat (and its session state)
        self._cleared: weakref.WeakSet[Cancel] = weakref.WeakSet()

    def respond(
        self, question: str, session: Session | None, request: gr.Request | None = None,
        article: str | None = None,
    ) -> Iterator[tuple]:
        """Answer one message, showing what it is doing at once and as it goes (its stage and
        seconds, its place in the queue, the model's draft marked as not yet checked), then
        the checked answer; yields the values of CHAT_OUTPUTS. The Stop button, "New chat"
        and closing the tab stop it (`stop`), and the model is free at once."""
        session = _copy(session)
        try:
            question = clean_question(question)
        except EmptyQuestion:
            hint = _bot(render.notice_html(EMPTY_HINT))
            if not session.messages or session.messages[-1] != hint:  # one hint, not a pile
                session.messages.append(hint)
            yield _chat_out(session, box="")
            return
        cancel = self._start(_key(request))
        session.messages.append({"role": "user", "content": html.escape(question)})
        session.messages.append(_bot(render.waiting_html("Searching the articles", 0.0)))
        yield _chat_out(
            session, sources=render.pending_html(), article=render.article_html(None, None), box=""
        )
        turn = len(session.turns)
        started = time.monotonic()
        draft, answer, stage = "", None, "Searching the articles"
        try:
            for event in self.engine.stream(
                question, session.history(), cancel, article, heartbeat=HEARTBEAT_S
            ):
                if cancel in self._cleared:
                    yield _cleared_out()
                    return
                elapsed = time.monotonic() - started
                sources = None
                if isinstance(event, Stage):
                    stage = _waiting(event)
                elif isinstance(event, Retrieved):  # a reader reads these now: show them
                    sources = render.evidence_html(event.sources)
                elif isinstance(event, Token):
                    draft += event.text
                elif isinstance(event, Done):
                    answer = event.answer
                    break
                session.messages[-1] = _bot(render.waiting_html(stage, elapsed, draft))
                yield _chat_out(session, sources=sources)
        except Exception as err:  # shown as a message, logged in full for whoever runs it
            log.exception("answering %r failed", question)
            if cancel in self._cleared:
                yield _cleared_out()
                return
            session.turns.append(Turn(question, None))
            session.messages[-1] = _bot(render.notice_html(_sorry(err)))
            yield _chat_out(session, sources=render.sources_html(None, {}, turn))
            return
        finally:
            self._finish(_key(request), cancel)
        session.turns.append(Turn(question, answer))
        if answer.kind is Kind.LISTING:  # the index's list of articles: a table
            session.messages[-1] = _bot(render.listing_html(answer, turn))
        else:  # the checked answer, at once, in place of what was shown while waiting
            session.messages[-1] = _bot(render.answer_html(
                answer.text, answer.citations, turn, answer.refused,
                unsure=answer.closest is not None, stopped=answer.partial and answer.refused,
            ))
        if answer.notice:
            session.messages.append(_bot(render.notice_html(answer.notice)))
        sources = render.sources_html(answer, self._texts(answer), turn, asked=question)
        yield _chat_out(session, answer.to_dict(), sources, render.article_html(None, None))

    def _start(self, key: str) -> Cancel:
        """This session's question starts; one it had running is stopped (a new message
        while the last is answered replaces it)."""
        cancel = Cancel()
        with self._running_lock:
            previous = self._running.get(key)
            self._running[key] = cancel
        if previous is not None:
            previous.set()
        return cancel

    def _finish(self, key: str, cancel: Cancel) -> None:
        with self._running_lock:
            if self._running.get(key) is cancel:
                del self._running[key]

    def stop(self, request: gr.Request | None = None) -> None:
        """Stop this session's question (the Stop button, "New chat", a closed tab): its
        model work ends within a decode step, and the answer says it was stopped."""
        self._stop(_key(request))

    def _stop(self, key: str, clear: bool = False) -> None:
        with self._running_lock:
            cancel = self._running.get(key)
            if cancel is not None and clear:
                self._cleared.add(cancel)
        if cancel is not None:
            cancel.set()

    def ask_example(
        self, session: Session | None, evt: gr.SelectData, request: gr.Request | None = None
    ) -> Iterator[tuple]:
        value = evt.value
        question = value.get("text", "") if isinstance(value, dict) else str(value)
        yield from self.respond(question, session, request)

    def summarize(
        self, session: Session | None, evt: gr.EventData, request: gr.Request | None = None
    ) -> Iterator[tuple]:
        """A source's "Summarize": the article in brief, asked in the chat as a question."""
        article = getattr(evt, "summarize", None)
        if not article:  # a click on a source that asks for something else
            yield tuple(gr.skip() for _ in range(6))
            return
        yield from self.respond(SUMMARIZE, session, request, article=str(article))

    def open_source(self, session: Session | None, evt: gr.EventData) -> tuple[str, str]:
        """Show the sources of the turn a link belongs to, and the cited article in full."""
        if getattr(evt, "summarize", None):  # a source's Summarize: `summarize` answers it
            return gr.skip(), gr.skip()
        try:
            turn, n = (int(part) for part in str(evt.cite).split(":"))
            past = (session or Session()).turns[turn]
            answer = past.answer
            shown = [*answer.citations, *([answer.closest] if answer.closest else [])]
            citation = next(c for c in shown if c.n == n)
        except (AttributeError, ValueError, IndexError, StopIteration, TypeError):
            return gr.skip(), render.notice_html("That source belongs to a chat that has ended.")
        texts = self._texts(answer)
        return (
            render.sources_html(answer, texts, turn, active=n, asked=past.question),
            render.article_html(citation, texts.get(citation.article_id)),
        )

    def new_chat(self, request: gr.Request | None = None) -> tuple:
        self._stop(_key(request), clear=True)
        return "", [], Session(), render.sources_html(None, {}, 0), render.article_html(None, None)

    def add_article(self, path: str | None) -> tuple[None, str, str]:
        """Add an uploaded .txt/.md/.html file to the corpus and index it; explain any refusal.

        Gradio's copy of the upload is deleted once handled, whatever the outcome: an accepted
        file has been written into the corpus by then, a rejected one is not kept.
        """
        if not path:
            return None, gr.skip(), gr.skip()
        name = Path(path).name
        try:
            added = add_upload(self.engine, Path(path), name)
        except UploadRejected as err:
            return None, render.status_html(f"Not added: {err}.", ok=False), gr.skip()
        except Exception as err:
            log.exception("adding %s failed", name)
            return None, render.status_html(f"Not added: {_sorry(err)}", ok=False), gr.skip()
        finally:
            discard_upload(Path(path), Path(app_temp_dir()))
        a = added.article
        message = f"Added “{a.title}” as {added.path.name}; ask about it now."
        return None, render.status_html(message, ok=True), self.corpus()

    def add_link(self, url: str) -> tuple[str, str, str]:
        """Fetch a page into the corpus and index it; the panel's status line says how."""
        from ui.feeds import add_link

        if not (url or "").strip():
            return "", gr.skip(), gr.skip()
        said = add_link(self.engine, url.strip())
        ok = said.startswith(("Added", "Already"))
        return ("" if ok else url), render.status_html(said, ok=ok), self.corpus()

    def corpus(self) -> str:
        updated = self.updater.status() if self.updater is not None else ""
        try:
            ids = sorted(i for i, s in self.engine.store.articles().items() if s.done)
            texts = self.engine.store.article_texts(ids[:CORPUS_LISTED])
        except Exception:
            log.exception("reading the corpus summary failed")
            return render.corpus_html(0, [], updated=updated)
        return render.corpus_html(len(ids), [texts[i][0] for i in ids if i in texts], updated=updated)

    def _texts(self, answer: Answer) -> dict:
        shown = [*answer.citations, *([answer.closest] if answer.closest else [])]
        if not shown:
            return {}
        try:
            return self.engine.store.article_texts(c.article_id for c in shown)
        except Exception:
            log.exception("reading cited articles failed")
            return {}


def _chat_out(session: Session, answer=None, sources=None, article=None, box=None) -> tuple:
    """(answer JSON, chat, sources, article, question box, session); None leaves a panel (and
    the box, which the person may be typing the next question in) as is."""
    keep = gr.skip()
    return (
        answer,
        list(session.messages),  # a snapshot: the next chunk replaces the last message
        keep if sources is None else sources,
        keep if article is None else article,
        keep if box is None else box,
        session,
    )


def _cleared_out() -> tuple:
    """CHAT_OUTPUTS of a question stopped by "New chat": the empty chat it shows. Gradio
    shows an event's last output again when it ends, so ending without this would bring the
    question back into the new chat."""
    empty = Session()
    return (None, [], render.sources_html(None, {}, 0), render.article_html(None, None),
            gr.skip(), empty)


def _key(request: gr.Request | None) -> str:
    """The browser session a request comes from (one per tab)."""
    return getattr(request, "session_hash", None) or ""


def _waiting(stage: Stage) -> str:
    if stage.queued:
        ahead = "question" if stage.queued == 1 else "questions"
        return f"Waiting for the model: {stage.queued} {ahead} ahead"
    return stage.text


def _copy(session: Session | None) -> Session:
    if session is None:
        return Session()
    return Session(messages=list(session.messages), turns=list(session.turns))


def _bot(content: str) -> dict:
    return {"role": "assistant", "content": content}


def _sorry(err: Exception) -> str:
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f"Sorry, something went wrong ({reason[:200]}). Please try again in a moment."


def build_app(engine, updater=None) -> gr.Blocks:
    ui = ChatUI(engine, updater)
    with gr.Blocks(title="Ask the news") as demo:
        session = gr.State(None)
        with gr.Column(elem_classes="app-header"):
            gr.HTML(
                "<h1>Ask the news</h1><p>Every sentence of an answer is quoted from an article "
                "and cites it as <span class='cite-sample'>[n]</span>; when the articles don't "
                "say, the assistant tells you so.</p>"
            )
            corpus_line = gr.HTML(ui.corpus(), label="corpus", elem_id="corpus-line")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                chatbot = gr.Chatbot(
                    label="chat",
                    elem_id="chat",
                    show_label=False,
                    height=520,
                    examples=[{"text": q} for q in EXAMPLES],
                    placeholder="**Ask about the articles.** Try one of these, or type below.",
                    latex_delimiters=[],
                    feedback_options=None,
                    buttons=[],
                    layout="bubble",
                )
                most = engine.settings.max_question_chars
                box = gr.Textbox(
                    label="question",
                    elem_id="question",
                    show_label=False,
                    placeholder="Ask a question and press Enter…",
                    submit_btn="Ask",
                    stop_btn="Stop",
                    autofocus=True,
                    max_length=most,
                )
                with gr.Row(elem_classes="chat-tools"):
                    new_chat = gr.Button("New chat", size="sm", variant="secondary", scale=0)
                    gr.HTML(
                        f"<span class='hint'>Enter sends · Stop ends the answer · Tab reaches "
                        f"the [n] links</span><span id='question-count' class='hint' "
                        f"data-max='{most}'>0 / {most:,}</span>",
                        elem_classes="hint-box",
                    )
                with gr.Accordion("Add an article", open=False, elem_id="add-article"):
                    gr.HTML(
                        f"<p class='hint'>A .txt or .md file in UTF-8, or a saved .html page, "
                        f"up to {MAX_BYTES // 2**20} MB; the headline is its first line or the "
                        "page's title. It is saved into the corpus folder, "
                        f"<code>{html.escape(str(engine.settings.corpus_dir))}</code>, and can "
                        "be cited from the next question on.</p>"
                    )
                    upload = gr.File(
                        elem_id="upload",
                        label="article file",
                        file_types=[".txt", ".md", ".html", ".htm"],
                        type="filepath",
                        height=120,
                    )
                    link = gr.Textbox(
                        label="or a link to a news page",
                        elem_id="add-link",
                        placeholder="https://…",
                        submit_btn="Add",
                        max_lines=1,
                    )
                    upload_status = gr.HTML(label="status", elem_id="upload-status")
            with gr.Column(scale=2, min_width=320, elem_classes="side"):
                gr.HTML("<h2 class='panel-title'>Sources</h2>")
                sources = gr.HTML(
                    render.sources_html(None, {}, 0),
                    label="sources",
                    elem_id="sources",
                    max_height=360,
                    js_on_load=CITE_JS + TICK_JS,
                )
                gr.HTML("<h2 class='panel-title'>Article</h2>")
                article = gr.HTML(
                    render.article_html(None, None),
                    label="article",
                    elem_id="article-view",
                    js_on_load=SCROLL_JS,
                )
        answer_json = gr.JSON(visible=False, label="answer")

        chat_outputs = [answer_json, chatbot, sources, article, box, session]
        box.submit(ui.respond, [box, session], chat_outputs, api_name="chat")
        box.stop(ui.stop, None, None, api_visibility="private", queue=False)
        chatbot.example_select(ui.ask_example, [session], chat_outputs, api_visibility="private")
        sources.click(ui.open_source, [session], [sources, article], api_visibility="private")
        sources.click(ui.summarize, [session], chat_outputs, api_visibility="private")
        reset = [box, chatbot, session, sources, article]
        new_chat.click(ui.new_chat, None, reset, api_visibility="private").then(
            None, js="() => document.querySelector('#question textarea')?.focus()"
        )
        chatbot.clear(ui.new_chat, None, reset, api_visibility="private")
        upload.upload(
            ui.add_article,
            [upload],
            [upload, upload_status, corpus_line],
            api_name="add_article",
            concurrency_limit=1,
        )
        link.submit(
            ui.add_link, [link], [link, upload_status, corpus_line], api_name="add_link",
            concurrency_limit=1,
        )
        demo.load(ui.corpus, None, corpus_line, api_visibility="private")
        if updater is not None:  # the line says when the feeds were last updated
            gr.Timer(30).tick(ui.corpus, None, corpus_line, api_visibility="private")
        demo.unload(ui.stop)  # a closed tab stops its question
    return demo


def auth_from_env(value: str | None) -> tuple[str, str] | None:
    """`ASSISTANT_UI_AUTH=user:password` -> ("user", "password"); unset -> no login."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("ASSISTANT_UI_AUTH must look like user:password")
    return user, password


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _warm(engine) -> None:
    try:
        engine.warm()
    except Exception:  # noqa: BLE001 - the first question will report the same problem
        log.warning("warming the reader up failed", exc_info=True)


def launch(
    settings=None,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    auth: tuple[str, str] | None = None,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
    update_every: float | None = None,
) -> gr.Blocks:
    """Index the corpus (incrementally), then serve the chat; never a public share link.
    `update_every` (seconds): update the followed feeds that often in the background."""
    from assistant.engine import get_engine
    from assistant.settings import Settings
    from index.errors import CorpusError, ReadOnlyStore

    app_temp_dir()
    engine = get_engine(settings or Settings())
    try:
        engine.index()
    except CorpusError:
        if engine.store.count() == 0:
            raise
        log.warning("corpus folder unreadable; serving the existing index", exc_info=True)
    except ReadOnlyStore as err:  # the index can't be updated, but it can still be read
        if engine.store.count() == 0:
            raise
        log.warning("%s; serving the existing index", err)
    updater = None
    if update_every:
        from ui.feeds import Updater

        updater = Updater(engine, update_every)
        atexit.register(updater.stop, 1.0)
    demo = build_app(engine, updater)
    threading.Thread(target=_warm, args=(engine,), daemon=True, name="warm-up").start()
    demo.queue(default_concurrency_limit=CONCURRENCY)
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth,
        auth_message="This chat is private: sign in with the account you were given.",
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        show_error=False,
        theme=THEME,
        css=CSS,
        footer_links=["api"],
        max_file_size=MAX_BYTES * 4,  # larger files never reach our handler; ours say why
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
    )
    return demo
