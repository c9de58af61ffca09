"""Links and feeds: pages fetched into the corpus's web/ folder, feeds followed and updated."""

from __future__ import annotations

from index.corpus import load_corpus

SEED_IDS = [
    "000_a3e66bb6e1c6e4ee", "001_879027de3d8b4ae6", "002_349d635fff76aa66",
    "003_da6a537bacec0b05", "004_80ebed28bbef419f",
]


def test_the_web_folder_is_read_with_its_path_as_the_id(isolated):
    corpus = isolated["corpus"]
    site = corpus / "web" / "example.org"
    site.mkdir(parents=True)
    (site / "harbour.md").write_text(
        "---\ntitle: Harbour dredging approved\ndate: '2017-03-14'\n"
        "url: https://example.org/harbour\n---\nThe harbour will be dredged in May.\n",
        encoding="utf-8",
    )
    (site / ".add-123.part").write_text("half a file", encoding="utf-8")
    (corpus / "other").mkdir()
    (corpus / "other" / "note.txt").write_text("Not read\nfolders other than web/ aren't.\n")
    articles, warnings = load_corpus(corpus)
    assert warnings == []
    assert [a.id for a in articles] == [*SEED_IDS, "web/example.org/harbour"]
    web = articles[-1]
    assert (web.title, web.date, web.url) == (
        "Harbour dredging approved", "2017-03-14", "https://example.org/harbour"
    )
    assert web.text == (site / "harbour.md").read_text(encoding="utf-8")
