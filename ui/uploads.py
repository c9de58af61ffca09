"""Adding an article from the web page: check everything first, then write, then index.

A rejected upload never touches the corpus folder or the index. An accepted one is written under
a sanitised name through a temporary dot-file (which the corpus reader skips) and `os.replace`,
so a reader never sees half a file, and the index is updated incrementally. The web page
then deletes its temporary copy of the upload (`discard_upload`), accepted or not.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from index.corpus import FILE_SUFFIXES, Article, article_from_text, page_article, write_article
from index.html import HTML_SUFFIXES

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_STEM = 80

_write_lock = threading.Lock()  # serialises name checks and writes; holds no chat state


class UploadRejected(ValueError):
    """The file cannot become an article; the message says why, for the person uploading."""


@dataclass(frozen=True)
class Added:
    article: Article
    path: Path
    summary: str  # the index report, e.g. "1 added, 0 updated, ..."


def safe_name(filename: str) -> str:
    """A file name made of [A-Za-z0-9._-] only, without any directory part or leading dots."""
    base = PureWindowsPath(PurePosixPath(str(filename)).name).name
    suffix = Path(base).suffix.lower()
    stem = base[: -len(suffix)] if suffix else base
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)
    stem = re.sub(r"_{2,}", "_", stem).strip("._-")[:MAX_STEM].rstrip("._-") or "article"
    suffix = suffix if suffix in FILE_SUFFIXES else ""
    return stem + suffix


def check_upload(
    filename: str,
    data: bytes,
    corpus_dir: Path,
    indexed: Mapping[str, str],
    max_bytes: int = MAX_BYTES,
) -> tuple[str, Article]:
    """Validate an upload against the corpus and the index (article id -> sha256).

    Returns the sanitised file name and the article; raises UploadRejected saying why not.
    """
    shown = PurePosixPath(str(filename)).name or "the file"
    if Path(shown).suffix.lower() not in FILE_SUFFIXES:
        raise UploadRejected(f"{shown}: only .txt, .md and .html articles can be added")
    if len(data) > max_bytes:
        raise UploadRejected(f"{shown} is {_mb(len(data))}; the limit is {_mb(max_bytes)}")
    if b"\x00" in data:
        raise UploadRejected(f"{shown} looks binary (it contains NUL bytes), not like text")
    name = safe_name(shown)
    if Path(name).suffix in HTML_SUFFIXES:  # a saved page: its article, in its own charset
        try:
            article = page_article(Path(name).stem, data)
        except ValueError as err:
            raise UploadRejected(f"{shown} {err}") from None
        return name, _new(shown, article, {article.sha256}, corpus_dir, indexed)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UploadRejected(
            f"{shown} is not UTF-8 text (bad byte at offset {err.start}); save it as UTF-8"
        ) from None
    try:
        article = article_from_text(Path(name).stem, text)  # as the corpus reads it
    except ValueError as err:
        raise UploadRejected(f"{shown} {err}") from None
    bare = text.removeprefix("\ufeff")
    # the index hashes the text as it is (a BOM included); with or without one, it is a copy
    copies = {hashlib.sha256(t.encode("utf-8")).hexdigest() for t in (bare, "\ufeff" + bare)}
    return name, _new(shown, article, copies, corpus_dir, indexed)


def _new(shown: str, article: Article, copies: set[str], corpus_dir: Path,
         indexed: Mapping[str, str]) -> Article:
    """The article, unless the index holds it already (by content or by name)."""
    same = next((i for i, sha in indexed.items() if sha in copies), None)
    if same is not None:
        raise UploadRejected(f"{shown} has the same text as the article {same}, already indexed")
    if article.id in indexed or _stem_taken(Path(corpus_dir), article.id):
        raise UploadRejected(
            f"an article named {article.id} already exists; rename the file and try again"
        )
    return article


def add_upload(engine, source: Path, filename: str | None = None) -> Added:
    """Check an uploaded file, write it into the corpus folder and index it incrementally."""
    source = Path(source)
    filename = filename or source.name
    max_bytes = round(engine.settings.max_article_mb * 2**20)  # the corpus's own limit
    if source.stat().st_size > max_bytes:  # don't read a huge file just to refuse it
        raise UploadRejected(
            f"{filename} is {_mb(source.stat().st_size)}; the limit is {_mb(max_bytes)}"
        )
    data = source.read_bytes()
    corpus_dir = Path(engine.settings.corpus_dir)
    with _write_lock:
        indexed = {i: s.sha256 for i, s in engine.store.articles().items()}
        name, article = check_upload(filename, data, corpus_dir, indexed, max_bytes)
        path = _write_new(corpus_dir, name, data)
        try:
            report = engine.index(corpus_dir)
        except Exception:
            path.unlink(missing_ok=True)
            raise
    return Added(article=article, path=path, summary=report.summary())


def discard_upload(path: Path, root: Path) -> bool:
    """Delete the web server's temporary copy of an upload, and the folders it leaves empty.

    Only a file inside `root` (the app's own temp dir) is touched, so nothing else on the
    machine can be deleted through a crafted path. Returns whether a file was deleted.
    """
    try:
        root = Path(root).resolve()
        target = Path(path).resolve()
    except OSError:
        return False
    if target == root or not target.is_relative_to(root) or not target.is_file():
        return False
    try:
        target.unlink()
    except OSError:
        log.warning("could not delete the uploaded copy %s", target, exc_info=True)
        return False
    folder = target.parent
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            break
        folder = folder.parent
    return True


def _mb(size: int) -> str:
    return f"{size / 2**20:.3g} MB"


def _stem_taken(corpus_dir: Path, stem: str) -> bool:
    if not corpus_dir.is_dir():
        return False
    return any(p.stem.lower() == stem.lower() for p in corpus_dir.iterdir())


def _write_new(corpus_dir: Path, name: str, data: bytes) -> Path:
    target = corpus_dir / name
    try:
        write_article(target, data, replace=False)  # checked under the lock just before
    except FileExistsError:
        raise UploadRejected(f"an article named {target.stem} already exists") from None
    return target
