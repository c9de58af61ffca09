"""Bounded work: a question can be stopped, waits its turn at the model, and is capped in time.

A stand-in reader that blocks until it is stopped (as a long prefill does) shows what the
engine does around the model: a caller that stops listening frees the model at once, a second
question is told its place in the queue, and one whose model time runs out is answered with
what was decided, marked partial. The real model's abort is tested in test_reader_real.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from assistant.engine import get_engine
from assistant.llm.base import Cancel, Cancelled, Reader
from assistant.llm.turns import Turns
from assistant.models import Done, Stage

QUESTION = "How long did the envoys' talks with Putin last?"


class Blocking(Reader):
    """Reads forever, until stopped: each call waits for its cancel signal."""

    name = "reader"

    def __init__(self) -> None:
        self.started = threading.Event()
        self.calls = 0

    def stream(self, prompt, max_tokens, cancel: Cancel | None = None):
        self.calls += 1
        self.started.set()
        while cancel is None or cancel.why is None:
            time.sleep(0.01)
        raise Cancelled(cancel.why)
        yield ""  # pragma: no cover - a generator that never gets here

    def choose(self, prompt, cancel=None):
        return {"YES": 1.0, "NO": 0.0}


@pytest.fixture
def blocking(built_index, monkeypatch):
    monkeypatch.setenv("ASSISTANT_BACKEND", "reader")
    monkeypatch.setenv("ASSISTANT_COMPOSER_CANDIDATE", "0")
    engine = get_engine()
    reader = Blocking()
    monkeypatch.setattr(engine, "_reader", reader)
    return engine, reader


def test_a_caller_that_stops_listening_frees_the_model(blocking):
    engine, reader = blocking
    events = engine.stream(QUESTION)
    for _event in events:
        if reader.started.is_set():
            break
    reader.started.wait(10)
    events.close()  # the tab closed: nobody listens any more
    deadline = time.monotonic() + 5
    while engine.turns.waiting or engine.turns._queue:
        assert time.monotonic() < deadline, "the model was not given back"
        time.sleep(0.02)


def test_a_stopped_question_says_so(blocking):
    engine, reader = blocking
    cancel = Cancel()
    threading.Timer(0.5, cancel.set).start()
    answer = engine.answer(QUESTION, cancel=cancel)
    assert answer.refused and answer.partial and answer.text == "Stopped."


def test_a_question_waiting_for_the_model_is_told_its_place(blocking):
    engine, reader = blocking
    first = Cancel()
    holder = threading.Thread(target=engine.answer, args=(QUESTION,), kwargs={"cancel": first})
    holder.start()
    assert reader.started.wait(10)
    second = Cancel()
    places = []
    for event in engine.stream(QUESTION, cancel=second):
        if isinstance(event, Stage) and event.queued:
            places.append(event.queued)
            first.set()  # the first one stops; the second gets the model, then stops too
            threading.Timer(0.3, second.set).start()
        if isinstance(event, Done):
            break
    holder.join(5)
    assert places and places[0] == 1


def test_a_question_past_its_model_time_is_answered_partial(blocking, monkeypatch):
    monkeypatch.setenv("ASSISTANT_ANSWER_CEILING_S", "0.5")
    engine = get_engine()
    monkeypatch.setattr(engine, "_reader", Blocking())
    started = time.monotonic()
    answer = engine.answer(QUESTION)
    assert time.monotonic() - started < 10
    assert answer.partial and answer.refused and "ran out of time" in answer.text


def test_turns_are_first_come_first_served_and_a_stopped_one_leaves_the_queue():
    turns = Turns()
    first = turns.wait(Cancel(), lambda place: None)
    waiting = Cancel()
    places: list[int] = []
    result: list[object] = []

    def second():
        try:
            result.append(turns.wait(waiting, places.append))
        except Cancelled as stop:
            result.append(stop.why)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.2)
    waiting.set()
    thread.join(5)
    assert places and places[0] == 1 and result == ["stopped"]
    assert turns.waiting == 0
    turns.release(first)
    assert turns.wait(Cancel(), lambda place: None) is not None  # free again
