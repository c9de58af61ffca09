"""Cutting a model's reply into claims, and the words claims and passages are compared by."""

from __future__ import annotations

from assistant.claims import split_claims, words


def test_splitting_keeps_markers_with_their_sentence():
    reply = (
        "Answer: Witkoff went to Moscow. [1] Kushner went too [2, 3]. "
        "<passage id=4>Talks lasted five hours (source 4). What else? [5]\n- U.S. envoys met Putin."
        "\nThe envoys were:"
    )
    claims = split_claims(reply)
    assert [c.text for c in claims] == [
        "Witkoff went to Moscow.",
        "Kushner went too.",
        "Talks lasted five hours.",
        "U.S. envoys met Putin.",
    ]
    assert [c.hints for c in claims] == [(1,), (2, 3), (4,), ()]


def test_meta_prefixes_and_open_quotes_are_trimmed():
    reply = (
        "The answer to this question is: Witkoff went to Moscow. "
        'The article says: "Six people were killed in a drone strike on Odesa.'
    )
    assert [c.text for c in split_claims(reply)] == [
        "Witkoff went to Moscow.",
        "Six people were killed in a drone strike on Odesa.",
    ]


def test_words_fold_numbers_abbreviations_demonyms_and_negation():
    assert words("five hours") == words("5 hours")
    assert words("the U.S. envoy") == words("the US envoy")
    assert words("Ukrainian territory") == words("Ukraine's territory")
    assert "not" in words("Russia doesn't agree")
