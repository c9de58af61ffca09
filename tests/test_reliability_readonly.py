"""A read-only data dir: answering works from the index there, writing it is a one-line error.

chromadb's embedded store cannot open a read-only SQLite file at all (it writes on open: "attempt
to write a readonly database"), so the store answers from a private temporary copy and refuses
only what needs a write, with exit 2 and a message naming the directory.

The data dir is made read-only with chmod. Root ignores file modes (CAP_DAC_OVERRIDE), so when
the tests run as root the commands run in a subprocess started through `setpriv` with that
capability (and its relatives) dropped from the bounding set: a root process without them is
held to the owner's permission bits like anyone else, which is exactly a read-only directory.
Without setpriv (or where dropping capabilities is not allowed) those tests are skipped; the
last test needs no privileges at all: it makes chromadb's own read-only error happen on a write.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import cli

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Who did Trump send to Moscow to meet Putin?"
DROPPED = "-dac_override,-dac_read_search,-fowner,-linux_immutable"


def _unprivileged(probe_dir: Path) -> list[str]:
    """A command prefix under which chmod a-w really stops writes (skips the test if none)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: chmod cannot make a directory read-only")
    prefix = [setpriv, f"--bounding-set={DROPPED}", "--"]
    probe = [sys.executable, "-c", f"open({str(probe_dir / 'probe')!r}, 'w')"]
    tried = subprocess.run(prefix + probe, capture_output=True, text=True)
    if tried.returncode == 0 or "PermissionError" not in tried.stderr:
        (probe_dir / "probe").unlink(missing_ok=True)
        pytest.skip(f"cannot drop root's file capabilities here: {tried.stderr.strip()[-200:]}")
    return prefix


def _set_tree_writable(top: Path, writable: bool) -> None:
    def mode(path: Path) -> int:
        bits = stat.S_IMODE(path.stat().st_mode)
        return bits | stat.S_IWUSR if writable else bits & ~0o222

    for folder, _, files in os.walk(top, topdown=False):
        for name in files:
            os.chmod(Path(folder) / name, mode(Path(folder) / name))
        os.chmod(folder, mode(Path(folder)))


@pytest.fixture
def read_only(tmp_path):
    """Makes a directory tree read-only; gives it back writable afterwards (for cleanup)."""
    made: list[Path] = []

    def make(top: Path) -> list[str]:
        top.mkdir(parents=True, exist_ok=True)
        _set_tree_writable(top, False)
        made.append(top)
        return _unprivileged(top)

    yield make
    for top in made:
        _set_tree_writable(top, True)


def _run(prefix: list[str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        prefix + [sys.executable, "-m", "assistant", *args],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=timeout,
    )


def _listing(top: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(top)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(top.rglob("*"))
    }


def test_a_read_only_index_answers_and_refuses_only_writes(built_index, read_only):
    data, corpus = built_index["data"], built_index["corpus"]
    prefix = read_only(data)
    before = _listing(data)

    asked = _run(prefix, "ask", "--json", QUESTION)
    assert asked.returncode == 0, asked.stderr
    assert "Witkoff" in asked.stdout and "Traceback" not in asked.stderr

    current = _run(prefix, "index")
    assert current.returncode == 0, current.stderr
    assert "0 added, 0 updated, 0 removed, 5 unchanged" in current.stdout

    (corpus / "oslo.txt").write_text("Oslo opens a bridge\n\nOslo opened a bridge on Monday.\n")
    changed = _run(prefix, "index")
    assert changed.returncode == 2, changed.stderr
    assert f"the data dir {data} is read-only" in changed.stderr
    assert "set ASSISTANT_DATA_DIR to a writable directory" in changed.stderr
    assert "Traceback" not in changed.stderr and "readonly database" not in changed.stderr
    assert _listing(data) == before  # nothing in the data dir was touched


def test_a_read_only_data_dir_without_an_index_is_a_one_line_error(isolated, read_only):
    data = isolated["data"]
    prefix = read_only(data)

    asked = _run(prefix, "ask", QUESTION)
    assert asked.returncode == 2, asked.stderr
    assert f"the data dir {data} is read-only" in asked.stderr
    assert "ASSISTANT_DATA_DIR" in asked.stderr and "Traceback" not in asked.stderr

    built = _run(prefix, "index")
    assert built.returncode == 2 and "Traceback" not in built.stderr
    assert f"the data dir {data} is read-only" in built.stderr

    chat = _run(prefix, "chat", "--port", str(_free_port()), timeout=120)
    assert chat.returncode == 2, chat.stdout + chat.stderr
    assert f"the data dir {data} is read-only" in chat.stderr and "Traceback" not in chat.stderr


def test_a_data_dir_that_cannot_be_created_is_a_one_line_error(isolated, read_only, tmp_path):
    parent = tmp_path / "locked"
    prefix = read_only(parent)
    env_dir = parent / "data"
    asked = subprocess.run(
        prefix + [sys.executable, "-m", "assistant", "ask", QUESTION],
        cwd=ROOT, env={**os.environ, "ASSISTANT_DATA_DIR": str(env_dir)},
        capture_output=True, text=True, timeout=180,
    )
    assert asked.returncode == 2, asked.stderr
    assert f"the data dir {env_dir} cannot be created" in asked.stderr
    assert "Traceback" not in asked.stderr


def test_the_chat_serves_a_read_only_index(built_index, read_only):
    prefix = read_only(built_index["data"])
    port = _free_port()
    proc = subprocess.Popen(
        prefix + [sys.executable, "-m", "assistant", "chat", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        seen = []
        for line in proc.stdout:  # a warning line may come first; ends if the process exits
            seen.append(line)
            if f"http://127.0.0.1:{port}" in line:
                break
        else:
            pytest.fail(f"the chat did not start: {''.join(seen)}")
        assert any("read-only" in line for line in seen)  # it says why it can't index
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10) as response:
            assert response.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()


def test_chromadbs_read_only_error_on_a_write_is_a_one_line_error(built_index, monkeypatch):
    """The data dir turning read-only under a running command: chromadb's own error, translated."""
    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError

    def refuse(self, *args, **kwargs):
        raise InternalError("error returned from database: (code: 8) attempt to write a readonly database")

    monkeypatch.setattr(Collection, "upsert", refuse)
    (built_index["corpus"] / "oslo.txt").write_text("Oslo opens a bridge\n\nOslo opened it.\n")
    result = CliRunner().invoke(cli, ["index"])
    assert result.exit_code == 2, result.output
    assert f"the data dir {built_index['data']} is read-only" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
