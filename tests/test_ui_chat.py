"""The chat handlers without a server: per-session state and friendly errors."""

from __future__ import annotations

from assistant.models import Answer, Citation, Done, Retrieved, Source, Token
from ui.app import ChatUI, Session


class ScriptedEngine:
    """A stand-in engine that records the history it was given, or fails on request."""

    def __init__(self, fail: Exception | None = None, draft: list[str] | None = None) -> None:
        self.fail = fail
        self.draft = draft  # a reader's pieces; None: an extractive answer (no draft)
        self.histories: list = []
        self.store = self

    def article_texts(self, ids):
        return {i: ("Headline", "Quote. And the rest of the article.") for i in ids}

    def answer(self, question, history=None):
        if self.fail:
            raise self.fail
        self.histories.append(list(history or []))
        cite = Citation(1, "a1", "Headline", "Quote.", 0, 6, 0.9)
        return Answer(f"Answer to {question} [1]", [cite], question=question)

    def stream(self, question, history=None, cancel=None, article=None, heartbeat=None):
        self.cancel = cancel
        if self.draft is not None:
            yield Retrieved([Source(1, "a1", "Headline", "Quote.")])
            for piece in self.draft:
                yield Token(piece)
        yield Done(self.answer(question, history))


def _last(ui: ChatUI, question: str, session: Session | None):
    *_, final = ui.respond(question, session)
    return final  # (answer json, messages, sources, article, box, session)


def test_an_engine_failure_is_a_friendly_chat_message_without_a_traceback():
    ui = ChatUI(ScriptedEngine(fail=RuntimeError("Chroma went away\nTraceback (most recent...")))
    answer, messages, *_rest, session = _last(ui, "Who met Putin?", None)
    assert answer is None
    reply = messages[-1]["content"]
    assert "Sorry, something went wrong (Chroma went away)" in reply
    assert "Traceback" not in reply
    assert session.turns[0].answer is None


def test_each_session_keeps_its_own_history_and_the_state_passed_in_is_not_mutated():
    engine = ScriptedEngine()
    ui = ChatUI(engine)
    *_, alice = _last(ui, "Who met Putin?", None)
    *_, bob = _last(ui, "What did Lavrov say?", None)
    before = list(alice.messages)
    *_, alice2 = _last(ui, "Where next?", alice)
    assert alice.messages == before and len(alice2.messages) == 4
    assert engine.histories[-1] == [("Who met Putin?", "Answer to Who met Putin? [1]")]
    assert [t.question for t in bob.turns] == ["What did Lavrov say?"]


def test_the_wait_shows_at_once_then_the_checked_answer_replaces_it():
    steps = list(ChatUI(ScriptedEngine()).respond("Who met Putin?", None))
    replies = [s[1][-1]["content"] for s in steps if s[1][-1]["role"] == "assistant"]
    assert "Searching the articles" in replies[0] and 'class="elapsed"' in replies[0]
    assert "Finding the passages" in steps[0][2]  # not the last answer's sources
    assert 'class="answer"' in replies[-1] and 'href="#src-0-1"' in replies[-1]
    assert "Searching" not in replies[-1]
    assert "<article" in steps[-1][2] and steps[-1][0]["text"] == "Answer to Who met Putin? [1]"


def test_an_empty_question_gets_one_hint_however_often_it_is_sent():
    ui = ChatUI(ScriptedEngine())
    *_, session = _last(ui, "   ", None)
    *_, session = _last(ui, "", session)
    assert len(session.messages) == 1 and "Type a question" in session.messages[0]["content"]


def test_stop_stops_the_question_the_session_has_running():
    from types import SimpleNamespace

    engine = ScriptedEngine(draft=["Answer"])
    ui = ChatUI(engine)
    request = SimpleNamespace(session_hash="tab-1")
    steps = ui.respond("Who met Putin?", None, request)
    next(steps)  # the question is running
    next(steps)
    ui.stop(SimpleNamespace(session_hash="tab-2"))  # another tab's Stop: not this one
    assert engine.cancel.why is None
    ui.stop(request)
    assert engine.cancel.why == "stopped"
    list(steps)


def test_a_reader_answer_shows_the_evidence_then_the_draft_then_the_checked_answer():
    engine = ScriptedEngine(draft=["Answer to", " Who met Putin?", " [1] and an unchecked claim"])
    steps = list(ChatUI(engine).respond("Who met Putin?", None))
    sources = [s[2] for s in steps if isinstance(s[2], str)]
    assert "Reading these passages" in sources[1] and "Quote." in sources[1]
    replies = [s[1][-1]["content"] for s in steps if s[1][-1]["role"] == "assistant"]
    drafts = [r for r in replies if "draft" in r]
    assert all("draft · checking" in d and "not yet checked" in d for d in drafts)
    assert "unchecked claim" in drafts[-1] and 'href="#src-0-1"' not in drafts[-1]
    final = replies[-1]
    assert "unchecked claim" not in final and 'href="#src-0-1"' in final
    assert "<article" in steps[-1][2]
