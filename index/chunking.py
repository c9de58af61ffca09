"""Cut articles into citable units with exact character offsets.

A unit is one sentence, or one row of a markdown table: the smallest span a claim can cite, and
what the answerer compares with the question (embedded at index time, never at query time, as
llama-index's SentenceWindowNodeParser does). Units keep `article.text[start:end] == text`, so a
citation can always be checked against its article. What gets embedded (`embed_text`) may add
context a bare unit lacks, such as a table row's column names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from index import offline
from index.corpus import BOM, Article
from index.injection import addressed_to_machine

VERSION = 4  # bump when units or their titles change, so existing indexes are rebuilt, not mixed (4: headlines)
MIN_TOKENS = 6  # a shorter piece ("U.S. ", "Top NewsVideo") is joined to the next one
MAX_TOKENS = 120  # a longer sentence is cut by llama-index's SentenceSplitter

_ROW = re.compile(r"^\s*\|.*\|\s*$")
_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Chunk:
    id: str
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    kind: str  # "sentence", "row" of a table, or "header" row (names columns, answers nothing)
    embed_text: str


def chunk_article(article: Article) -> list[Chunk]:
    """The article's units, from where its body begins (front matter is not indexed), with
    offsets into its whole text."""
    body = article.body_start
    spans = [(s + body, e + body, k, t) for s, e, k, t in _spans(article.text[body:])]
    chunks = []
    for ordinal, (start, end, kind, embed_text) in enumerate(spans):
        if addressed_to_machine(article.text[start:end]):
            continue  # an instruction planted for AI readers: never quoted, never read
        chunks.append(
            Chunk(
                id=f"{article.id}:{ordinal}",
                article_id=article.id,
                ordinal=ordinal,
                start=start,
                end=end,
                text=article.text[start:end],
                kind=kind,
                embed_text=embed_text or article.text[start:end],
            )
        )
    return chunks


def _spans(text: str) -> Iterator[tuple[int, int, str, str]]:
    header: list[str] | None = None
    lines = list(_lines(text))
    for i, (start, line) in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _RULE.match(line):
            continue
        if _ROW.match(line):
            cells = _cells(line)
            next_line = lines[i + 1][1] if i + 1 < len(lines) else ""
            kind = "row"
            if _RULE.match(next_line):
                header, kind = cells, "header"
            lead = len(line) - len(line.lstrip())
            yield start + lead, start + len(line.rstrip()), kind, _row_text(header, cells)
            continue
        header = None
        for s, e in _sentences(line):
            yield start + s, start + e, "sentence", ""


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line) of each line, without its line break (LF, CRLF or CR) or a leading BOM.

    The text is never changed (a citation's offsets are the file's), so a BOM is skipped by
    starting the line after it rather than by removing it.
    """
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        bom = len(body) - len(body.lstrip(BOM))
        yield pos + bom, body[bom:]
        pos += len(line)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _row_text(header: list[str] | None, cells: list[str]) -> str:
    if not header or header == cells or len(header) != len(cells):
        return " | ".join(cells)
    return "; ".join(f"{h}: {c}" for h, c in zip(header, cells))


def _sentences(paragraph: str) -> list[tuple[int, int]]:
    """Sentence spans of one paragraph, located exactly in it, fragments merged, long ones cut."""
    count, sentence_spans, split_long = _tools()
    spans = sentence_spans(paragraph)
    merged: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None
    for s, e in spans:
        if pending is not None:
            s = pending[0]
            pending = None
        if count(paragraph[s:e]) < MIN_TOKENS:
            pending = (s, e)
            continue
        merged.append((s, e))
    if pending is not None:
        if merged:
            merged[-1] = (merged[-1][0], pending[1])
        else:
            merged.append(pending)
    out: list[tuple[int, int]] = []
    for s, e in merged:
        if count(paragraph[s:e]) <= MAX_TOKENS:
            out.append((s, e))
            continue
        cursor = s
        for piece in split_long(paragraph[s:e]):
            located = _locate(paragraph, piece, cursor)
            if located is not None and located[1] <= e:
                cursor = located[1]
                out.append(located)
    return out


def _locate(text: str, piece: str, cursor: int) -> tuple[int, int] | None:
    """Where piece (possibly with its whitespace changed by a splitter) sits in text."""
    piece = piece.strip()
    if not piece:
        return None
    at = text.find(piece, cursor)
    if at >= 0:
        return at, at + len(piece)
    pattern = r"\s+".join(re.escape(w) for w in piece.split())
    match = re.compile(pattern).search(text, cursor)
    return (match.start(), match.end()) if match else None


@lru_cache(maxsize=1)
def _tools() -> tuple[
    Callable[[str], int], Callable[[str], list[tuple[int, int]]], Callable[[str], list[str]]
]:
    """Token counter (tiktoken cl100k), sentence spans, and a splitter for over-long sentences.

    Sentences come from NLTK's trained English Punkt (bundled in llama-index's cache), which
    knows abbreviations such as "U.S."; llama-index's default Punkt is untrained and cuts there.
    """
    offline.prepare()
    import tiktoken
    from llama_index.core.node_parser import SentenceSplitter
    from nltk.tokenize.punkt import PunktTokenizer

    encoding = tiktoken.get_encoding("cl100k_base")
    splitter = SentenceSplitter(
        chunk_size=MAX_TOKENS, chunk_overlap=0, tokenizer=encoding.encode, paragraph_separator="\n"
    )

    def count(text: str) -> int:
        return len(encoding.encode(text, disallowed_special=()))

    punkt = PunktTokenizer("english")

    def sentence_spans(text: str) -> list[tuple[int, int]]:
        return list(punkt.span_tokenize(text))

    return count, sentence_spans, splitter.split_text
