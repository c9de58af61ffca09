"""Server mode: with ASSISTANT_CHROMA_URL the same commands run against a real `chroma run`.

The server is a real process on loopback. Restarting it must lose nothing: the same answer with
the same citations, the same chunk count, and a second `index` that finds every article current.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import answer
from assistant.cli import cli
from assistant.engine import clear_engines, get_engine

QUESTION = "Who did Trump send to Moscow to meet Putin?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroma_executable() -> str:
    here = Path(sys.executable).parent
    found = shutil.which("chroma", path=f"{here}{os.pathsep}{os.environ.get('PATH', '')}")
    assert found, "the `chroma` command (from chromadb) is not installed"
    return found


class ChromaServer:
    """`chroma run` on a free loopback port, over a data path that outlives restarts."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path, self.log = path, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        command = [chroma_executable(), "run", "--path", str(self.path),
                   "--host", "127.0.0.1", "--port", str(self.port)]
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"chroma run exited with {self.process.returncode}: {self.log.read_text()}")
            if self.alive():
                return
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"chroma run did not answer within {timeout}s: {self.log.read_text()}")

    def alive(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/api/v2/heartbeat")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None



def citations(result) -> list[tuple[str, int, int]]:
    return [(c.article_id, c.start, c.end) for c in result.citations]


def test_index_answer_restart_answer(chroma_server, isolated, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_server.url)
    runner = CliRunner()

    built = runner.invoke(cli, ["index"])
    assert built.exit_code == 0, built.output
    assert "5 added" in built.output
    first = answer(QUESTION)
    assert "Witkoff" in first.text and first.citations and not first.refused
    chunks = get_engine().store.count()
    assert chunks > 0
    assert not (isolated["data"] / "chroma").exists(), "wrote an embedded index instead"

    asked = runner.invoke(cli, ["ask", "--json", QUESTION])
    assert asked.exit_code == 0, asked.output
    assert "Witkoff" in asked.output

    chroma_server.stop()
    assert not chroma_server.alive()
    chroma_server.start()
    clear_engines()

    again = answer(QUESTION)
    assert again.text == first.text
    assert citations(again) == citations(first)
    assert get_engine().store.count() == chunks
    rebuilt = runner.invoke(cli, ["index"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "0 added, 0 updated, 0 removed, 5 unchanged" in rebuilt.output
    assert get_engine().store.count() == chunks


def test_eval_against_server(chroma_server, isolated, monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_server.url)
    report = tmp_path / "eval.json"
    result = CliRunner().invoke(cli, ["eval", "--json", str(report)])
    assert result.exit_code == 0, result.output
    assert report.exists()
    assert get_engine().store.count() > 0  # eval built the index on the server on first use
    assert not (isolated["data"] / "chroma").exists()


def test_ask_with_server_down_is_a_clean_error(monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", url)
    result = CliRunner().invoke(cli, ["ask", QUESTION])
    assert result.exit_code == 2
    assert url in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_index_with_server_down_is_a_clean_error(monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", url)
    result = CliRunner().invoke(cli, ["index"])
    assert result.exit_code == 2
    assert url in result.output and "Traceback" not in result.output
