from index.chunking import MAX_TOKENS, chunk_article
from index.corpus import article_from_text, load_corpus


def test_every_chunk_reproduces_its_article_text_exactly(isolated):
    articles, _ = load_corpus(isolated["corpus"])
    for article in articles:
        chunks = chunk_article(article)
        assert len(chunks) > 5
        for chunk in chunks:
            assert article.text[chunk.start : chunk.end] == chunk.text
            assert chunk.text == chunk.text.strip() and chunk.text
        ordered = [(c.start, c.end) for c in chunks]
        assert ordered == sorted(ordered)
        assert all(a[1] <= b[0] for a, b in zip(ordered, ordered[1:])), "chunks overlap"
        assert len({c.id for c in chunks}) == len(chunks)


def test_sentences_are_not_cut_at_abbreviations():
    article = article_from_text(
        "a", "Headline\nThe latest U.S. proposal was discussed at length. Mr. Smith left early today."
    )
    texts = [c.text for c in chunk_article(article)]
    assert texts == [
        "Headline",
        "The latest U.S. proposal was discussed at length.",
        "Mr. Smith left early today.",
    ]


def test_table_rows_are_units_and_carry_their_column_names():
    text = (
        "Title\n| Proposal Element | Putin’s Position |\n|---|---|\n"
        "| Demilitarization Zones | Rejected |\n| NATO Expansion Restrictions | Non-negotiable |\n"
    )
    chunks = chunk_article(article_from_text("t", text))
    kinds = [(c.kind, c.text) for c in chunks]
    assert kinds == [
        ("sentence", "Title"),
        ("header", "| Proposal Element | Putin’s Position |"),
        ("row", "| Demilitarization Zones | Rejected |"),
        ("row", "| NATO Expansion Restrictions | Non-negotiable |"),
    ]
    assert chunks[2].embed_text == "Proposal Element: Demilitarization Zones; Putin’s Position: Rejected"


def test_very_long_sentences_are_cut_but_stay_verbatim():
    sentence = "The envoy said " + ", and then ".join(f"point {i} was discussed" for i in range(80)) + "."
    article = article_from_text("long", "Headline\n" + sentence)
    chunks = chunk_article(article)
    assert len(chunks) > 3
    for c in chunks:
        assert article.text[c.start : c.end] == c.text
    assert max(len(c.text) for c in chunks) < MAX_TOKENS * 8
