"""Assembling the reader model from its part-wheels: checked, atomic, and clear when it fails."""

from __future__ import annotations

import hashlib
from collections import namedtuple

import pytest

from assistant.errors import BackendError
from assistant.llm import model_file


@pytest.fixture
def parts(tmp_path):
    paths = []
    for i, data in enumerate([b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]):
        path = tmp_path / f"part{i}.bin"
        path.write_bytes(data)
        paths.append(path)
    whole = b"".join(p.read_bytes() for p in paths)
    return paths, hashlib.sha256(whole).hexdigest(), whole


def test_parts_are_joined_in_order_and_checked(parts, tmp_path):
    paths, sha, whole = parts
    target = tmp_path / "cache" / "model.gguf"
    seen = []
    model_file.assemble(paths, target, sha, seen.append)
    assert target.read_bytes() == whole and sum(seen) == len(whole)
    assert [p.name for p in target.parent.iterdir()] == ["model.gguf"]


def test_a_damaged_part_leaves_no_file_behind(parts, tmp_path):
    paths, _, _ = parts
    target = tmp_path / "cache" / "model.gguf"
    with pytest.raises(BackendError, match="sha256 .* expected 0+: a part package is damaged"):
        model_file.assemble(paths, target, "0" * 64)
    assert list(target.parent.iterdir()) == []


def test_a_short_disk_is_said_before_writing(parts, tmp_path, monkeypatch):
    paths, sha, _ = parts
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(model_file.shutil, "disk_usage", lambda _: Usage(10, 10, 3))
    target = tmp_path / "cache" / "model.gguf"
    with pytest.raises(BackendError, match="needs .* GB in .*only 0.0 GB is free.*ASSISTANT_MODEL_DIR"):
        model_file.assemble(paths, target, sha)
    assert not target.exists()


def test_missing_part_packages_mean_no_packaged_model(tmp_path, monkeypatch):
    monkeypatch.setattr(model_file, "part_paths", lambda: None)
    assert model_file.packaged_model(tmp_path) is None
