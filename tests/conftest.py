"""Every test runs offline, with its own data dir and its own copy of the seeds.

The socket guard makes any non-loopback connection fail the test, so nothing can quietly reach
the network. Building the seed index takes seconds, so it is built once per session and copied
into each test that asks for `built_index`.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["NO_PROXY"] = "127.0.0.1,localhost"


class NetworkBlocked(RuntimeError):
    pass


def _is_loopback(host) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded(real):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise NetworkBlocked(f"test tried to reach the network: {address!r}")
        return real(self, address)

    return connect


def pytest_configure(config):
    socket.socket.connect = _guarded(_real_connect)
    socket.socket.connect_ex = _guarded(_real_connect_ex)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A fresh corpus copy and data dir per test; no engine survives from another test."""
    from assistant.engine import clear_engines

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    for name in (
        "ASSISTANT_CHROMA_URL", "ASSISTANT_LLM_URL", "ASSISTANT_LLM_MODEL",
        "ASSISTANT_LLM_MODEL_PATH", "ASSISTANT_LLM_API_KEY", "ASSISTANT_UI_AUTH",
    ):
        monkeypatch.delenv(name, raising=False)
    # the reader takes seconds an answer: tests that want it ask for it (`reader_settings`)
    monkeypatch.setenv("ASSISTANT_BACKEND", "extractive")
    clear_engines()
    yield {"corpus": corpus, "data": data}
    clear_engines()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """A data dir holding the index of the seeds, built once for the whole session."""
    from assistant.engine import Engine
    from assistant.settings import Settings

    data = tmp_path_factory.mktemp("seed-index")
    engine = Engine(Settings(corpus_dir=SEEDS, data_dir=data))
    engine.index()
    return data


@pytest.fixture
def built_index(seed_index, isolated) -> dict:
    """This test's data dir, pre-filled with the seed index (its corpus is the seed copy)."""
    shutil.copytree(seed_index, isolated["data"], dirs_exist_ok=True)
    return isolated


@pytest.fixture
def chroma_server(tmp_path):
    """A real `chroma run` on loopback (tests/test_server_mode.py), stopped after the test."""
    from tests.test_server_mode import ChromaServer

    server = ChromaServer(tmp_path / "chroma-server", tmp_path / "chroma-server.log")
    server.start()
    yield server
    server.stop()
