"""Names in spelling variants: "Which articles mention Zelensky?" finds "Zelenskyy" too, says so,
and leaves short names, lower-case words and exact matches as they were."""

from __future__ import annotations

import pytest

from assistant import answer
from assistant.settings import Settings
from index.chunking import chunk_article
from index.corpus import load_corpus
from index.units import Unit
from search.keywords import KeywordIndex
from search.listing import find, parse

ARTICLES = {
    "kyiv-talks": "Envoys in Kyiv\n\nPresident Volodymyr Zelenskyy met the envoys in Kyiv on Monday.\n",
    "talks-resume": "Talks to resume\n\nZelensky said the talks would resume next week.\n",
    "ranch": "A visit to the ranch\n\nGeorge Bush visited the ranch in Texas.\n",
    "concert": "Sold out\n\nThe Rush concert in Toronto sold out in minutes.\n",
    "damascus": "A speech\n\nBashar al-Assad spoke in Damascus on Sunday.\n",
    "aleppo": "An advance\n\nAssad's forces advanced on Aleppo overnight.\n",
    "rally": "A rally\n\nJean-Luc Mélenchon spoke at a rally in Marseille.\n",
    "minister": "The minister\n\nForeign Minister Sergei Lavrov arrived in Geneva.\n",
    "columnist": "A column\n\nThe columnist Jane Smyth wrote about the budget.\n",
    "economist": "A forecast\n\nThe economist Adam Smith expected growth to slow.\n",
}


@pytest.fixture
def corpus(isolated):
    """The corpus dir holding only ARTICLES (the seeds the fixture copies are removed)."""
    folder = isolated["corpus"]
    for path in folder.iterdir():
        if path.is_file():
            path.unlink()
    for name, text in ARTICLES.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def keywords(corpus) -> KeywordIndex:
    """The keyword index of the corpus, as the store's chunks would build it (no embedding)."""
    articles, _ = load_corpus(corpus)
    return KeywordIndex([
        Unit(c.id, c.article_id, a.title, c.text, c.start, c.end, c.ordinal, c.kind, 0.0,
             date=a.date, url=a.url)
        for a in articles for c in chunk_article(a)
    ])


def listed(question: str, keywords: KeywordIndex, variants: bool = True, **changed):
    """find() as the answer path calls it, with the settings' defaults (or none: exact words)."""
    settings = Settings()
    knobs = {
        "variant_ratio": settings.list_variant_ratio,
        "variant_min_length": settings.list_variant_min_length,
        "variant_y_length": settings.list_variant_y_length,
    } | changed
    if not variants:
        knobs["variant_ratio"] = None
    return find(parse(question), keywords, settings.list_cap, **knobs)


def articles(result) -> set[str]:
    return {u.article_id for u in result.shown}


def test_zelensky_finds_the_article_that_writes_zelenskyy_and_says_so(corpus):
    result = answer("Which articles mention Zelensky?")
    assert result.backend == "index" and not result.refused
    assert {c.article_id for c in result.citations} == {"kyiv-talks", "talks-resume"}
    assert result.text.startswith("2 articles mention Zelensky (also spelt Zelenskyy):")
    quotes = " ".join(c.quote for c in result.citations)
    assert "Zelenskyy met" in quotes and "Zelensky said" in quotes
    counted = answer("How many articles mention Zelenskyy?")
    assert counted.text.startswith("2 articles mention Zelenskyy (also spelt Zelensky).")


def test_without_variants_only_the_exact_spelling_is_found(keywords):
    assert articles(listed("Which articles mention Zelensky?", keywords, variants=False)) == {
        "talks-resume"
    }
    assert articles(listed("Which articles mention Zelensky?", keywords)) == {
        "kyiv-talks", "talks-resume"
    }


def test_bush_does_not_match_rush(corpus, keywords):
    result = answer("Which articles mention Bush?")
    assert [c.article_id for c in result.citations] == ["ranch"]
    assert result.text.startswith("1 article mentions Bush:") and "also spelt" not in result.text
    # the length floor is what keeps it out: a ratio low enough to join them (fuzz.ratio of
    # "bush" and "rush" is 75) joins them only when four-letter names are let in
    assert articles(listed("Which articles mention Bush?", keywords, variant_ratio=70)) == {"ranch"}
    loose = listed("Which articles mention Bush?", keywords, variant_ratio=70, variant_min_length=4)
    assert articles(loose) == {"ranch", "concert"} and loose.spellings == ("Rush",)


@pytest.mark.parametrize("topic", ["Bush", "Toronto", "Damascus", "Lavrov", "the budget"])
def test_an_exact_match_is_unchanged(keywords, topic):
    question = f"Which articles mention {topic}?"
    fuzzy, exact = listed(question, keywords), listed(question, keywords, variants=False)
    assert fuzzy.count == exact.count >= 1
    assert fuzzy.shown == exact.shown and fuzzy.spellings == ()


def test_a_lower_case_word_is_matched_as_written(keywords):
    assert articles(listed("Which articles mention zelensky?", keywords)) == {"talks-resume"}


def test_accents_are_folded(keywords):
    result = listed("Which articles mention Melenchon?", keywords)
    assert articles(result) == {"rally"} and result.spellings == ("Mélenchon",)
    assert listed("Which articles mention Melenchon?", keywords, variants=False).count == 0


def test_a_particle_before_a_hyphen_may_be_left_out(keywords):
    result = listed("Which articles mention al-Assad?", keywords)
    assert articles(result) == {"damascus", "aleppo"} and result.spellings == ("Assad",)
    assert articles(listed("Which articles mention al-Assad?", keywords, variants=False)) == {
        "damascus"
    }


def test_y_and_i_are_one_letter_only_in_long_enough_names(keywords):
    sergey = listed("Which articles mention Sergey Lavrov?", keywords)
    assert articles(sergey) == {"minister"} and sergey.spellings == ("Sergei",)
    assert articles(listed("Which articles mention Smith?", keywords)) == {"economist"}
    assert articles(listed("Which articles mention Smyth?", keywords)) == {"columnist"}
