"""A Chroma server that dies in the middle of a command: exit 2 naming its URL, no traceback.

The server is a real `chroma run` on loopback (tests/test_server_mode.py), killed with SIGKILL
between two of the index's writes, or between indexing and answering. Once it is started again
on the same data path, the next `assistant index` completes the interrupted build.
"""

from __future__ import annotations

from click.testing import CliRunner

from assistant.cli import cli
from assistant.engine import clear_engines, get_engine
from index.store import Store
from tests.test_server_mode import QUESTION, ChromaServer


def kill(server: ChromaServer) -> None:
    """Sudden death: SIGKILL, no shutdown."""
    server.process.kill()
    server.process.wait(timeout=30)
    server.process = None
    assert not server.alive()


def assert_server_gone(result, url: str) -> None:
    assert result.exit_code == 2, result.output
    assert f"the Chroma server at {url} stopped answering" in result.output
    assert "Traceback" not in result.output and "ConnectError" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_server_killed_mid_index_is_a_clean_error_and_the_next_run_completes(
    chroma_server, isolated, monkeypatch
):
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_server.url)
    monkeypatch.setenv("ASSISTANT_INDEX_BATCH", "1")  # one article per write: a build in 5 steps
    real_add = Store.add_chunks
    calls = []

    def add_then_die(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # two articles written, the server dies before the third
            kill(chroma_server)
        return real_add(self, *args, **kwargs)

    monkeypatch.setattr(Store, "add_chunks", add_then_die)
    runner = CliRunner()
    interrupted = runner.invoke(cli, ["index"])
    assert_server_gone(interrupted, chroma_server.url)
    assert len(calls) == 3

    monkeypatch.setattr(Store, "add_chunks", real_add)
    chroma_server.start()
    clear_engines()
    completed = runner.invoke(cli, ["index"])
    assert completed.exit_code == 0, completed.output
    # the two written articles are current; the one cut off is redone, the rest added
    assert "2 added, 1 updated, 0 removed, 2 unchanged" in completed.output
    again = runner.invoke(cli, ["index"])
    assert "0 added, 0 updated, 0 removed, 5 unchanged" in again.output
    manifest = get_engine().store.articles()
    assert all(state.done for state in manifest.values()) and len(manifest) == 5
    assert get_engine().store.count() == sum(state.chunks for state in manifest.values())
    answered = runner.invoke(cli, ["ask", "--json", QUESTION])
    assert answered.exit_code == 0 and "Witkoff" in answered.output


def test_server_killed_before_a_question_is_a_clean_error(chroma_server, isolated, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_server.url)
    runner = CliRunner()
    built = runner.invoke(cli, ["index"])
    assert built.exit_code == 0, built.output
    kill(chroma_server)  # the engine (and its client) outlive the server
    asked = runner.invoke(cli, ["ask", QUESTION])
    assert_server_gone(asked, chroma_server.url)
    reindexed = runner.invoke(cli, ["index"])
    assert_server_gone(reindexed, chroma_server.url)
