"""Uploads leave nothing behind: Gradio's temp copy is deleted once handled, its dir at exit.

Gradio writes each uploaded file under its temp dir (GRADIO_TEMP_DIR) and never deletes it.
The app points that at a folder of its own (`app_temp_dir`), deletes each upload's copy after
handling it (an accepted one is in the corpus by then) and removes the folder at exit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.engine import get_engine
from assistant.settings import Settings
from tests.test_ui_uploads import NEW_ARTICLE
from ui.app import ChatUI, app_temp_dir, launch
from ui.uploads import discard_upload

ROOT = Path(__file__).resolve().parent.parent


def _as_gradio_upload(name: str, data: bytes) -> Path:
    """A file where Gradio's /upload route puts one: <temp dir>/<hash>/<name>."""
    folder = Path(app_temp_dir()) / "0123456789abcdef"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_gradio_uses_the_apps_own_temp_dir():
    import gradio.utils

    own = app_temp_dir()
    assert Path(own).is_dir() and Path(own).name.startswith("news-assistant-gradio-")
    assert os.environ["GRADIO_TEMP_DIR"] == own
    assert gradio.utils.get_upload_folder() == own


def test_an_accepted_upload_is_in_the_corpus_and_its_temp_copy_is_gone(built_index):
    ui = ChatUI(get_engine(Settings()))
    upload = _as_gradio_upload("Pinewood mayor.txt", NEW_ARTICLE.encode())

    _, status, _ = ui.add_article(str(upload))

    assert "Added" in status
    assert (built_index["corpus"] / "Pinewood_mayor.txt").read_text() == NEW_ARTICLE
    assert not upload.exists() and not upload.parent.exists()
    assert Path(app_temp_dir()).is_dir()  # the app's dir itself stays until exit


@pytest.mark.parametrize(
    "name, data",
    [("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00"), ("doc.pdf", b"%PDF-1.4"), ("empty.md", b"")],
)
def test_a_rejected_upload_is_deleted_and_changes_nothing(built_index, name, data):
    corpus = built_index["corpus"]
    before = sorted(p.name for p in corpus.iterdir())
    ui = ChatUI(get_engine(Settings()))
    upload = _as_gradio_upload(name, data)

    _, status, _ = ui.add_article(str(upload))

    assert "Not added" in status
    assert not upload.exists()
    assert sorted(p.name for p in corpus.iterdir()) == before


def test_only_files_inside_the_apps_temp_dir_are_deleted(tmp_path):
    outside = tmp_path / "keep.txt"
    outside.write_text("not an upload")
    assert not discard_upload(outside, Path(app_temp_dir()))
    assert outside.exists()
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    escape = root / "a" / "link.txt"
    escape.symlink_to(outside)  # a link inside pointing outside: the target is kept
    assert not discard_upload(escape, root)
    assert outside.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_uploads_through_the_served_app_leave_no_copy(built_index, tmp_path, monkeypatch):
    from gradio_client import Client, handle_file

    handled = []
    real = ChatUI.add_article

    def recording(self, path):
        handled.append(Path(path))
        assert Path(path).exists()  # Gradio's copy, as the handler gets it
        return real(self, path)

    monkeypatch.setattr(ChatUI, "add_article", recording)
    demo = launch(Settings(), "127.0.0.1", _free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(demo.local_url, verbose=False, download_files=False, analytics_enabled=False)
        good = tmp_path / "Pinewood mayor.txt"
        good.write_text(NEW_ARTICLE, encoding="utf-8")
        bad = tmp_path / "binary.txt"
        bad.write_bytes(b"\x00\x01\x02 binary")
        for path in (bad, good):
            client.predict(handle_file(str(path)), api_name="/add_article")
    finally:
        demo.close()
    assert [p.name for p in handled] == [bad.name, good.name]
    own = Path(app_temp_dir()).resolve()
    assert all(p.resolve().is_relative_to(own) and not p.exists() for p in handled)
    leftovers = [p for p in Path(app_temp_dir()).rglob("*") if p.name in (good.name, bad.name)]
    assert leftovers == []
    assert (built_index["corpus"] / "Pinewood_mayor.txt").read_text() == NEW_ARTICLE
    assert not (built_index["corpus"] / "binary.txt").exists()


def test_the_apps_temp_dir_is_removed_at_exit(tmp_path):
    script = "import ui.app, sys; sys.stdout.write(ui.app.app_temp_dir())"
    env = {**os.environ, "GRADIO_TEMP_DIR": str(tmp_path / "chosen")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    made = Path(done.stdout.strip())
    assert made.parent == tmp_path / "chosen"  # inside the temp dir the user chose
    assert not made.exists()
