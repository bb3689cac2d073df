"""Plain text, excerpt and reading time must match what Ghost computes for the same post.

Several HTML cases are Ghost's own examples for ``htmlToPlaintext.excerpt``.
"""

from byline.lib.text import (
    count_images,
    count_words,
    excerpt,
    html_to_plaintext,
    reading_seconds,
    reading_time,
    word_count,
)

EMOJI = "\U0001f600"  # outside the BMP: two UTF-16 code units


def words(n: int) -> str:
    return " ".join(["word"] * n)


# --- html_to_plaintext ------------------------------------------------------------------------


def test_plaintext_of_no_body_is_empty():
    assert html_to_plaintext(None) == ""
    assert html_to_plaintext("") == ""
    assert html_to_plaintext("   \n ") == ""
    assert html_to_plaintext("<p></p><figure><img src='a.jpg'></figure>") == ""


def test_links_keep_their_text_but_not_their_url_and_images_are_skipped():
    html = (
        '<p>Some thing <a href="https://google.com">Google</a> once told me.</p>'
        '<img src="https://hotlink.com" alt="An important image">'
        "<p>And <strong>another</strong> thing.</p>"
    )
    assert html_to_plaintext(html) == "Some thing Google once told me.\n\nAnd another thing."


def test_figcaptions_are_skipped():
    html = (
        '<figure><img src="a.png"><figcaption>A snippet from a post template</figcaption></figure>'
        "<p>See? Not that scary! But still completely optional. </p>"
    )
    assert html_to_plaintext(html) == "See? Not that scary! But still completely optional."


def test_inline_footnote_references_are_skipped():
    html = (
        '<p>Testing<sup id="fnref:1"><a href="#fn:1" rel="footnote">1</a></sup>, my footnotes. '
        'Footnote<sup id="fnref:2"><a href="#fn:2" rel="footnote">2</a></sup>'
        '<a href="http://google.com">with a link</a> right after.'
    )
    assert html_to_plaintext(html) == "Testing, my footnotes. Footnotewith a link right after."


def test_footnotes_section_is_skipped():
    html = (
        '<p>Testing<sup><a href="#fn:1" rel="footnote">1</a></sup> a short post.</p>\n'
        '<div class="footnotes"><ol><li id="fn:1"><p><a href="https://ghost.org">'
        "https://ghost.org</a></p></li></ol></div>"
    )
    assert html_to_plaintext(html) == "Testing a short post."


def test_horizontal_rules_are_skipped():
    html = "<p>See you later alligator...</p><hr><p>...in a while crocodile</p>"
    assert html_to_plaintext(html) == "See you later alligator...\n\n...in a while crocodile"


def test_scripts_styles_and_signup_cards_are_skipped():
    html = (
        "<style>p { color: red }</style><p>Story.</p>"
        '<div class="kg-card kg-signup-card"><h2>Sign up</h2><p>Get the newsletter</p></div>'
        "<script>alert('x')</script><!-- a comment -->"
    )
    assert html_to_plaintext(html) == "Story."


def test_blockquote_is_a_plain_block_and_divs_are_inline():
    # Ghost's Instagram embed case, trimmed: divs do not break lines, blockquote gets no "> ".
    html = (
        "<p>Some text in a paragraph.</p>"
        '<blockquote class="instagram-media"><div> <a href="https://instagram.com/p/1/">'
        "<div><div></div></div><div><div>View this post on Instagram</div></div></a>"
        '<p><a href="https://instagram.com/p/1/">A post shared by Some Dude</a></p>'
        "</div></blockquote>"
    )
    assert html_to_plaintext(html) == (
        "Some text in a paragraph.\n\nView this post on Instagram\n\nA post shared by Some Dude"
    )


def test_headings_are_not_uppercased_and_get_html_to_text_spacing():
    html = "<p>Intro.</p><h2>Installing Ghost themes</h2><p>Body.</p><h4>Small</h4><p>End.</p>"
    # html-to-text puts two blank lines before h1-h3 and one before h4-h6.
    assert html_to_plaintext(html) == ("Intro.\n\n\nInstalling Ghost themes\n\nBody.\n\nSmall\n\nEnd.")


def test_paragraphs_are_separated_by_a_blank_line_and_br_by_a_newline():
    html = "<p>One<br>line two<br/></p><p>Two</p>"
    assert html_to_plaintext(html) == "One\nline two\n\nTwo"


def test_whitespace_inside_text_collapses_to_one_space():
    html = "<p>\n  Lots   of\n\tspace <em> here </em>, and <b>bold</b>text.\n</p>"
    assert html_to_plaintext(html) == "Lots of space here , and boldtext."


def test_entities_are_decoded_and_nbsp_is_kept():
    html = "<p>Tom &amp; Jerry &lt;3 &quot;caf&eacute;&quot; &#8212; 10&nbsp;km</p>"
    assert html_to_plaintext(html) == 'Tom & Jerry <3 "café" — 10\u00a0km'


def test_long_paragraph_is_not_wrapped():
    sentence = "The quick brown fox jumps over the lazy dog. " * 7  # ~315 characters
    plaintext = html_to_plaintext(f"<p>{sentence}</p>")
    assert len(plaintext) > 300
    assert "\n" not in plaintext
    assert plaintext == sentence.strip()


def test_lists_get_html_to_text_markers():
    html = "<ul><li>Casper</li><li>Edition</li></ul><ol><li>First</li><li>Second</li></ol>"
    assert html_to_plaintext(html) == " * Casper\n * Edition\n\n 1. First\n 2. Second"


def test_nested_lists_are_indented_under_their_item():
    html = (
        "<p>Themes:</p>"
        "<ul><li>Casper<ul><li>Light</li><li>Dark</li></ul></li><li>Edition</li></ul>"
        "<p>Done.</p>"
    )
    assert html_to_plaintext(html) == ("Themes:\n\n * Casper\n   * Light\n   * Dark\n * Edition\n\nDone.")


def test_ordered_list_honours_start_and_aligns_markers():
    html = "<ol start='9'><li>nine</li><li>ten</li></ol>"
    assert html_to_plaintext(html) == " 9.  nine\n 10. ten"


def test_preformatted_text_keeps_its_layout():
    html = "<p>Code:</p><pre><code>if x:\n    y()\n</code></pre><p>After.</p>"
    assert html_to_plaintext(html) == "Code:\n\nif x:\n    y()\n\nAfter."


def test_table_rows_are_lines():
    html = "<table><tr><th>Name</th><th>Score</th></tr><tr><td>Ada</td><td>10</td></tr></table>"
    assert html_to_plaintext(html) == "Name Score\nAda 10"


def test_absurdly_deep_markup_is_flattened_not_a_crash():
    html = "<p>Intro.</p>" + "<span>" * 5000 + "deep <b>words</b>" + "</span>" * 5000
    assert html_to_plaintext(html) == "Intro.\n\ndeep words"


# --- excerpt ----------------------------------------------------------------------------------


def test_excerpt_of_no_body_is_empty():
    assert excerpt("") == ""
    assert excerpt(html_to_plaintext(None)) == ""


def test_excerpt_of_exactly_500_characters_is_the_whole_text():
    text = "a" * 500
    assert excerpt(text) == text


def test_excerpt_of_501_characters_is_cut_to_500():
    assert excerpt("a" * 500 + "b") == "a" * 500


def test_excerpt_is_not_trimmed_and_has_no_ellipsis():
    text = "a" * 499 + " " + "b" * 10
    assert excerpt(text) == "a" * 499 + " "


def test_excerpt_counts_utf16_units_so_an_emoji_takes_two():
    # 498 + 2 units == 500: the emoji fits exactly.
    assert excerpt("a" * 498 + EMOJI) == "a" * 498 + EMOJI
    assert excerpt("a" * 498 + EMOJI + "b") == "a" * 498 + EMOJI


def test_excerpt_never_splits_an_emoji():
    # 499 + 2 units == 501: the cut at 500 falls inside the emoji, which is dropped whole.
    assert excerpt("a" * 499 + EMOJI) == "a" * 499


def test_excerpt_counts_bmp_accents_as_one_unit():
    assert excerpt("é" * 501) == "é" * 500


def test_custom_excerpt_wins_as_written():
    assert excerpt("a" * 600, custom_excerpt="  Hand written.  ") == "  Hand written.  "


def test_blank_custom_excerpt_falls_back_to_plaintext():
    assert excerpt("Story text.", custom_excerpt="") == "Story text."
    assert excerpt("Story text.", custom_excerpt=" \n\t ") == "Story text."
    assert excerpt("Story text.", custom_excerpt=None) == "Story text."


# --- word and image counts --------------------------------------------------------------------


def test_tags_separate_words_and_entities_count_as_written():
    # Ghost counts the raw HTML: "&amp;" is the word "amp".
    assert count_words("<p>word<b>bold</b>word</p>") == 3
    assert count_words("<p>Tom &amp; Jerry</p>") == 3


def test_cjk_counts_one_word_per_character():
    assert count_words("<p>日本語</p>") == 3
    assert count_words("<p>中文 字 and English</p>") == 5
    assert count_words("<p>안녕하세요</p>") == 5


def test_kana_run_counts_as_one_word_like_ghost():
    # Ghost only checks the run's first character against U+4E00; hiragana is below it.
    assert count_words("<p>ひらがな</p>") == 1


def test_greek_cyrillic_and_latin1_words_count():
    assert count_words("<p>Привет мир</p>") == 2
    assert count_words("<p>Γεια σου κοσμε</p>") == 3
    assert count_words("<p>café déjà vu</p>") == 3


def test_images_are_lowercase_img_tags_even_across_lines():
    assert count_images('<img src="a"><p>x</p><img\nsrc="b"\n>') == 2
    assert count_images('<IMG src="a"><picture><source srcset="b"></picture>') == 0


def test_plain_word_count_splits_on_whitespace():
    assert word_count("") == 0
    assert word_count("  one two\nthree\t four ") == 4


# --- reading time -----------------------------------------------------------------------------


def test_reading_time_of_no_body():
    assert reading_time(None) is None
    assert reading_time("") == 0


def test_275_words_read_in_one_minute():
    assert reading_time(f"<p>{words(275)}</p>") == 1


def test_image_seconds_are_12_then_11_then_down_to_a_floor_of_3():
    assert reading_seconds(0, 1) == 12
    assert reading_seconds(0, 2) == 12 + 11
    # Ten images take 12+11+...+3 = 75 s; the 11th and 12th still take 3 s each.
    assert reading_seconds(0, 12) == 75 + 3 + 3
    assert reading_seconds(0, 13) == 84


def test_one_image_adds_12_seconds():
    html = f"<p>{words(110)}</p>"  # 110 words = 24 s -> 0.4 min -> 0
    assert reading_time(html) == 0
    # 24 s + 12 s = 36 s -> 0.6 min -> 1
    assert reading_time(html + '<img src="a.jpg">') == 1


def test_second_image_adds_11_seconds_not_12():
    # 30 words = 6.55 s; + 23 s = 29.5 s -> 0 min. Were it 12 + 12, 30.5 s would round to 1.
    two_images = '<img src="a.jpg"><img src="b.jpg">'
    assert reading_time(f"<p>{words(30)}</p>{two_images}") == 0
    # 33 words = 7.2 s; + 23 s = 30.2 s -> 1 min.
    assert reading_time(f"<p>{words(33)}</p>{two_images}") == 1


def test_image_time_floors_at_three_seconds():
    # 50 words = 10.9 s; 12 images = 81 s -> 91.9 s -> 1.53 min -> 2. Without the 3 s floor the
    # last two images would take 2 + 1 s: 88.9 s -> 1.48 min -> 1.
    html = f"<p>{words(50)}</p>" + '<img src="x.jpg">' * 12
    assert reading_time(html) == 2


def test_feature_image_counts_as_an_image():
    html = f"<p>{words(110)}</p>"
    assert reading_time(html, has_feature_image=False) == 0
    assert reading_time(html, has_feature_image=True) == 1
    assert reading_time("", has_feature_image=True) == 0  # 12 s


def test_reading_time_rounds_half_up_like_javascript():
    # 495 words = 495 * 60 / 275 = 108 s; 4 images = 12+11+10+9 = 42 s; 150 s = 2.5 min.
    # Math.round(2.5) is 3 where Python's round(2.5) is 2.
    html = f"<p>{words(495)}</p>" + '<img src="x.jpg">' * 4
    assert reading_seconds(495, 4) == 150
    assert reading_time(html) == 3
    # Images alone: 12 images = 81 s, 23 more at 3 s = 69 s; 150 s again.
    assert reading_time('<img src="x.jpg">' * 35) == 3


def test_cjk_story_reading_time():
    # 275 ideographs are 275 words: one minute.
    assert reading_time("<p>" + "字" * 275 + "</p>") == 1
