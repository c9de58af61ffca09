"""Recorded model replies: measure the code after the model without asking the model again.

An eval of the reader is ~200 questions at several seconds each; changing how a phrase is
grounded, a threshold, or how the answer is written doesn't change what the model was asked, so
its replies can be replayed. `ASSISTANT_REPLY_CACHE=DIR` wraps the reader: a prompt seen before
(same model, messages, grammar, openings and length) gets its recorded reply, shares and usage;
a new one is asked and recorded. It is for measuring only (latency then is the recorded
model's, not this run's); the product never sets it. Kept under ~/.cache/news-assistant/ by the
measurement commands, so a lost /tmp costs nothing and a new machine rebuilds it by running
the eval once.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from assistant.llm.base import Cancel, Prompt, Reader, Usage


class RecordedReader(Reader):
    def __init__(self, inner: Reader, folder: Path, identity: str) -> None:
        self.inner = inner
        self.name = inner.name
        self.identity = identity
        folder = Path(folder).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(folder / "replies.sqlite", check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS reply (key TEXT PRIMARY KEY, value TEXT)")
        self._lock = threading.Lock()
        self._usage = None

    def _key(self, kind: str, prompt: Prompt, max_tokens: int = 0) -> str:
        asked = [self.identity, kind, prompt.messages, prompt.grammar, prompt.openings, max_tokens]
        if prompt.prefix:  # (only then: the replies recorded before it keep their keys)
            asked.append(prompt.prefix)
        blob = json.dumps(asked, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _get(self, key: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM reply WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def _put(self, key: str, value: dict) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO reply VALUES (?, ?)", (key, json.dumps(value))
            )
            self._db.commit()

    def stream(
        self, prompt: Prompt, max_tokens: int, cancel: Cancel | None = None
    ) -> Iterator[str]:
        key = self._key("stream", prompt, max_tokens)
        found = self._get(key)
        if found is None:
            text = "".join(self.inner.stream(prompt, max_tokens, cancel))
            usage = self.inner.usage
            found = {"text": text, "usage": asdict(usage) if usage is not None else None}
            self._put(key, found)
        self._usage = _usage(found["usage"])
        yield found["text"]

    def choose(self, prompt: Prompt, cancel: Cancel | None = None) -> dict[str, float]:
        key = self._key("choose", prompt)
        found = self._get(key)
        if found is None:
            shares = self.inner.choose(prompt, cancel)
            usage = self.inner.usage
            found = {"shares": shares, "usage": asdict(usage) if usage is not None else None}
            self._put(key, found)
        self._usage = _usage(found["usage"])
        return found["shares"]

    @property
    def usage(self):
        return self._usage


def _usage(data: dict | None) -> Usage | None:
    return None if data is None else Usage(**data)
