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


def test_a_sentence_about_the_passages_is_a_marker_not_a_claim():
    reply = (
        "The four regions are Donetsk, Luhansk, Kherson and Zaporozhye. This is stated in passage 4. "
        "Witkoff went to Moscow [1]. Passage 2 supports this answer."
    )
    assert [(c.text, c.hints) for c in split_claims(reply)] == [
        ("The four regions are Donetsk, Luhansk, Kherson and Zaporozhye.", (4,)),
        ("Witkoff went to Moscow.", (1,)),  # its own marker stands; the meta sentence goes
    ]


def test_the_passage_tag_form_is_read_as_a_marker():
    assert [(c.text, c.hints) for c in split_claims('40,000 [passage id="4"]')] == [("40,000", (4,))]
    assert split_claims("Trump met Putin [passage 3].")[0].hints == (3,)


def test_a_sentence_that_names_a_passage_is_not_a_claim():
    reply = "Witkoff went to Moscow. The envoy is emphasized in passage [2]."
    assert [(c.text, c.hints) for c in split_claims(reply)] == [("Witkoff went to Moscow.", (2,))]
    assert split_claims("The passage of the bill took 3 weeks [1].")[0].hints == (1,)  # news
