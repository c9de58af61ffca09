"""The HTML the web chat shows: links, highlighted quotes, escaping. Pure functions, no server."""

from __future__ import annotations

import re

from assistant.models import Answer, Citation
from ui import render

ARTICLE = (
    "Envoys meet in Moscow\n\n"
    "The talks began on Tuesday. Steve Witkoff & Jared Kushner met <Putin> for five hours. "
    "They will meet Ukrainian officials in Miami next. " + "More words follow here. " * 30
)
QUOTE = "Steve Witkoff & Jared Kushner met <Putin> for five hours."
START = ARTICLE.index(QUOTE)


def citation(n=1, start=START, quote=QUOTE, article_id="a1") -> Citation:
    return Citation(n, article_id, "Envoys <meet> in Moscow", quote, start, start + len(quote), 0.6)


def test_markers_become_links_to_their_own_turns_sources_and_text_is_escaped():
    out = render.answer_html(
        "Witkoff <b>went</b> [1] and [7].", [citation()], turn=3, refused=False
    )
    assert '<a class="cite" href="#src-3-1" data-cite="3:1"' in out
    assert 'title="Envoys &lt;meet&gt; in Moscow"' in out
    assert "[7]" in out and "src-3-7" not in out  # a marker without a citation stays plain text
    assert "<b>" not in out and "&lt;b&gt;went&lt;/b&gt;" in out


def test_a_streaming_answer_is_marked_until_complete():
    partial = render.answer_html(
        "Witkoff went", [citation()], turn=0, refused=False, streaming=True
    )
    assert 'class="answer streaming"' in partial
    assert 'class="answer"' in render.answer_html("Witkoff went [1].", [citation()], 0, False)


def test_refusals_look_different_and_link_nothing():
    out = render.answer_html("The articles don't say. [1]", [], turn=0, refused=True)
    assert 'class="refusal"' in out and "Not in the articles" in out
    assert "<a " not in out


def test_the_wait_shows_the_stage_and_seconds_and_the_draft_as_not_yet_checked():
    out = render.waiting_html("Reading 12 sentences", 3.4)
    assert "Reading 12 sentences" in out and 'data-s="3.4"' in out and "draft" not in out
    out = render.waiting_html("Checking the answer", 7.0, "five hours\nthe <second> part")
    assert "draft · checking" in out and 'title="not yet checked"' in out
    assert "five hours<br>the &lt;second&gt; part" in out  # a line per part, escaped
    assert "<a " not in out  # a draft's markers are no links: nothing in it is checked


def test_an_answer_of_several_facts_is_a_list():
    text = "- Lavrov said Russia was ready. [1][2]\n- He added a condition. [3]"
    cites = [citation(1), citation(2), citation(3)]
    out = render.answer_html(text, cites, turn=0, refused=False)
    assert out.count("<li>") == 2 and out.count('class="cite"') == 3 and "<ul>" in out


def test_passage_marks_the_quote_inside_a_little_escaped_context():
    out = render.passage_html(ARTICLE, START, START + len(QUOTE), context=40)
    assert "<mark>Steve Witkoff &amp; Jared Kushner met &lt;Putin&gt; for five hours.</mark>" in out
    assert "began on Tuesday." in out and "Ukrainian officials" in out
    assert out.endswith("…") and "More words follow here. More words" not in out


def test_sources_panel_lists_headline_outlet_date_and_highlighted_passage():
    answer = Answer("Witkoff went [1].", [citation()])
    out = render.sources_html(answer, {"a1": ("Envoys meet", ARTICLE)}, turn=2, active=1)
    assert 'id="src-2-1"' in out and 'class="source active"' in out
    assert "Envoys &lt;meet&gt; in Moscow" in out and "<mark>Steve Witkoff" in out
    assert "Open article" in out and ">a1<" not in out  # no internal id on the card
    dated = Citation(1, "a1", "Envoys", QUOTE, START, START + len(QUOTE), 0.6, "2017-03-02",
                     "https://www.example.org/news/envoys")
    out = render.sources_html(Answer("Witkoff went [1].", [dated]), {}, turn=0)
    assert "example.org" in out and "2017-03-02" in out


def test_sources_panel_is_empty_for_refusals_and_before_any_question():
    refused = Answer("The articles don't say.", [], refused=True)
    assert "No sources" in render.sources_html(refused, {}, 0)
    assert "<article" not in render.sources_html(None, {}, 0)


def test_article_view_marks_the_quote_even_if_offsets_drifted():
    exact = render.article_html(citation(), ("Envoys meet", ARTICLE))
    assert (
        f'<mark class="quote">{QUOTE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}</mark>'
        in exact
    )
    assert exact.count("<mark") == 1 and "&lt;Putin&gt;" in exact
    drifted = render.article_html(citation(start=3), ("Envoys meet", ARTICLE))
    assert drifted.count('<mark class="quote">') == 1
    missing = render.article_html(citation(), None)
    assert "no longer in the index" in missing


def test_corpus_line_says_how_many_and_which():
    out = render.corpus_html(5, ["First <headline>", "Second", "Third", "Fourth", "Fifth"])
    assert "5 news articles" in out and "First &lt;headline&gt;" in out and "2 more" in out
    assert out.count("<li>") == 5
    assert "No articles" in render.corpus_html(0, [])


def test_a_very_long_article_is_shown_around_its_quote():
    text = "Long story\n\n" + "Filler sentence here. " * 10_000 + QUOTE + " The end." * 10
    start = text.index(QUOTE)
    out = render.article_html(citation(start=start), ("Long story", text))
    assert len(out) < render.ARTICLE_CHARS + 1_000
    assert out.count('<mark class="quote">') == 1 and "The end." in out


def test_the_sources_panel_names_the_question_it_belongs_to():
    answer = Answer("Witkoff went [1].", [citation()])
    out = render.sources_html(answer, {}, turn=0, asked="Who <went>?")
    assert "For “Who &lt;went&gt;?”" in out


def test_a_question_of_several_parts_is_answered_a_line_per_part():
    out = render.answer_html(
        "Who met Putin? Witkoff [1]\nThe articles don't say: what he ate", [citation()], 0, False
    )
    first, second = re.findall(r"<p>(.*?)</p>", out)
    assert 'data-cite="0:1"' in first and second.startswith("The articles don&#x27;t say")


def test_not_sure_shows_the_closest_passage_as_that_not_as_a_source():
    answer = Answer("I'm not sure the articles answer this.", [], True, closest=citation())
    message = render.answer_html(answer.text, [], 0, True, unsure=True)
    assert "Not sure" in message and "Not in the articles" not in message and "cite" not in message
    panel = render.sources_html(answer, {"a1": ("Envoys meet in Moscow", ARTICLE)}, turn=0)
    assert "closest passage" in panel and "may not answer" in panel
    assert "<mark>Steve Witkoff &amp; Jared Kushner met &lt;Putin&gt; for five hours.</mark>" in panel


def test_a_source_card_shows_the_article_s_date_and_links_its_page():
    dated = Citation(1, "feed:7", "Harbour <budget>", QUOTE, START, START + len(QUOTE), 0.6,
                     date="2017-02-13", url="https://example.org/a?x=1&y=2")
    answer = Answer("It passed [1].", [dated])
    panel = render.sources_html(answer, {"feed:7": ("Harbour", ARTICLE)}, turn=0)
    assert '<time class="source-date" datetime="2017-02-13">2017-02-13</time>' in panel
    assert 'href="https://example.org/a?x=1&amp;y=2" target="_blank" rel="noopener noreferrer"' in panel
    unsafe = Citation(1, "feed:7", "t", QUOTE, START, START + len(QUOTE), 0.6, url="javascript:alert(1)")
    assert "javascript" not in render.sources_html(Answer("x [1]", [unsafe]), {}, turn=0)


def test_a_list_of_articles_is_a_table_linked_to_its_sources():
    rows = [Citation(1, "a1", "Envoys <meet>", QUOTE, START, START + len(QUOTE), 1.0, date="2017-02-13")]
    out = render.listing_html(Answer("1 article mentions Witkoff:\n- Envoys [1]", rows), turn=2)
    assert out.startswith('<div class="answer listing"><p>1 article mentions Witkoff:</p><table')
    assert 'data-cite="2:1"' in out and "<td>2017-02-13</td>" in out and "Envoys &lt;meet&gt;" in out
