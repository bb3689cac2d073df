"""A story's plaintext, excerpt, reading time and word count are derived from its body and stored
whenever it is saved or published (Ghost's rules: see byline/lib/text.py); its listing date from
whether and when it is published."""

from datetime import timedelta

from django.utils import timezone

from byline.stories.models import StoryAuthor, StoryPage, StoryTag, copy_listing_dates
from conftest import paragraph_body


def fresh(story: StoryPage) -> StoryPage:
    return StoryPage.objects.get(pk=story.pk)


def words(count: int) -> str:
    return " ".join(["word"] * count)


def test_publishing_stores_the_derived_fields(make_story):
    story = fresh(make_story("Harbour", body=paragraph_body("The harbour reopens.", "Boats return.")))
    assert story.plaintext == "The harbour reopens.\n\nBoats return."
    assert story.excerpt == story.plaintext
    assert story.word_count == 5
    assert story.reading_time == 0  # five words: Ghost rounds 1 second to 0 minutes


def test_saving_a_draft_stores_the_derived_fields(make_story):
    story = fresh(make_story("Draft", live=False, body=paragraph_body(words(550))))
    assert not story.live
    assert story.word_count == 550
    assert story.reading_time == 2  # 550 words at 275 a minute
    assert len(story.excerpt) == 500


def test_custom_excerpt_wins(make_story):
    story = fresh(make_story(custom_excerpt="Boats are back.", body=paragraph_body(words(20))))
    assert story.excerpt == "Boats are back."
    assert story.plaintext == words(20)


def test_blank_custom_excerpt_falls_back_to_the_opening(make_story):
    story = fresh(make_story(custom_excerpt="   ", body=paragraph_body("The opening.")))
    assert story.excerpt == "The opening."


def test_excerpt_is_the_first_500_characters(make_story):
    text = "a" * 450 + " " + "b" * 100
    story = fresh(make_story(body=paragraph_body(text)))
    assert story.plaintext == text
    assert story.excerpt == text[:500]


def test_a_story_of_exactly_500_characters_is_its_own_excerpt(make_story):
    text = ("abcd " * 100).strip() + "!"
    assert len(text) == 500
    story = fresh(make_story(body=paragraph_body(text)))
    assert story.excerpt == story.plaintext == text
    assert story.word_count == 100


def test_a_story_with_no_body(make_story):
    story = fresh(make_story("Empty", body=[]))
    assert story.plaintext == ""
    assert story.excerpt == ""
    assert story.word_count == 0
    assert story.reading_time is None  # Ghost: no html, no reading time


def test_a_story_with_no_body_shows_no_reading_time(client, make_story):
    story = make_story("Empty", body=[])
    assert "min read" not in client.get(story.url).content.decode()


def test_emoji_count_as_two_characters_and_are_never_cut_in_half(make_story):
    # Ghost cuts at 500 UTF-16 units; an emoji is two, so the one straddling the cut is dropped.
    text = "a" * 499 + "📰" + " more news 🗞️"
    story = fresh(make_story(body=paragraph_body(text)))
    assert story.plaintext == text
    assert story.excerpt == "a" * 499
    assert story.word_count == 4


def test_an_emoji_story_keeps_its_emoji(make_story):
    story = fresh(make_story(body=paragraph_body("Good news 🎉 for the harbour 🚢")))
    assert story.plaintext == "Good news 🎉 for the harbour 🚢"
    assert story.excerpt == story.plaintext
    assert story.word_count == 7


def test_the_feature_image_counts_towards_reading_time(make_story, make_image):
    # 358 words take 78 s; the feature image's 12 s bring it to 90 s, which rounds up to 2 min.
    plain = fresh(make_story(body=paragraph_body(words(358))))
    pictured = fresh(make_story(body=paragraph_body(words(358)), feature_image=make_image()))
    assert plain.reading_time == 1
    assert pictured.reading_time == 2


def test_images_in_the_body_count_towards_reading_time(make_story, make_image):
    image = make_image()
    body = paragraph_body(words(358)) + [
        {"type": "image", "value": {"image": image.pk, "alt": "", "caption": "", "width": "regular"}}
    ]
    assert fresh(make_story(body=body)).reading_time == 2


def test_publishing_an_edited_body_updates_the_derived_fields(make_story):
    story = make_story(body=paragraph_body("Short."))
    story.body = paragraph_body(words(600))
    story.save_revision().publish()
    story = fresh(story)
    assert story.word_count == 600
    assert story.reading_time == 2
    assert story.excerpt == words(600)[:500]


def test_saving_only_the_body_updates_the_derived_fields(make_story):
    story = make_story(body=paragraph_body("Short."))
    story.body = paragraph_body("A longer body now.")
    story.save(update_fields=["body"])
    story = fresh(story)
    assert story.plaintext == "A longer body now."
    assert story.word_count == 4


def test_a_new_custom_excerpt_updates_the_excerpt(make_story):
    story = make_story(body=paragraph_body("The opening."))
    story.custom_excerpt = "A standfirst."
    story.save_revision().publish()
    assert fresh(story).excerpt == "A standfirst."


# ----- the listing date: StoryPage.listed_at, what every listing filters and orders by ------------


def listed_ids() -> list[int]:
    return list(StoryPage.objects.published().values_list("pk", flat=True))


def test_a_published_story_is_listed_at_its_publication_date(make_story):
    story = fresh(make_story("Quay"))
    assert story.listed_at == story.first_published_at
    assert listed_ids() == [story.pk]


def test_a_draft_is_not_listed_until_it_is_published(make_story):
    story = make_story("Not yet", live=False)
    assert fresh(story).listed_at is None and listed_ids() == []

    story.save_revision().publish()

    assert fresh(story).listed_at == fresh(story).first_published_at
    assert listed_ids() == [story.pk]


def test_unpublishing_takes_a_story_off_the_listings(make_story):
    story = make_story("Withdrawn")

    story.unpublish()

    assert fresh(story).listed_at is None
    assert listed_ids() == []


def test_an_email_only_story_is_never_listed_and_an_edit_to_it_takes_one_off(make_story):
    letter = make_story("Letter", email_only=True)
    story = make_story("Story")
    assert fresh(letter).listed_at is None
    assert listed_ids() == [story.pk]

    story.email_only = True
    story.save_revision().publish()

    assert listed_ids() == []


def test_listings_order_by_publication_date_newest_first(make_story):
    older = make_story("Older", published_at=timezone.now() - timedelta(days=2))
    newer = make_story("Newer", published_at=timezone.now() - timedelta(days=1))
    assert listed_ids() == [newer.pk, older.pk]


def test_a_save_of_only_the_live_flag_keeps_the_listing_date_in_step(make_story):
    story = fresh(make_story("Flag"))
    story.live = False
    story.save(update_fields=["live"])
    assert fresh(story).listed_at is None


def link_dates(story) -> set:
    return {
        *StoryTag.objects.filter(story=story).values_list("listed_at", flat=True),
        *StoryAuthor.objects.filter(story=story).values_list("listed_at", flat=True),
    }


def test_a_story_s_tag_and_author_links_carry_its_listing_date(make_story, make_tag):
    story = fresh(make_story("Pier", tags=[make_tag("Harbour"), make_tag("Boats")]))
    assert link_dates(story) == {story.listed_at}


def test_unpublishing_takes_a_story_off_its_tag_and_author_archives(make_story, make_tag):
    harbour = make_tag("Harbour")
    story = make_story("Pier", tags=[harbour])

    story.unpublish()

    assert link_dates(story) == {None}
    assert not StoryTag.objects.filter(tag=harbour, listed_at__isnull=False).exists()


def test_a_tag_added_in_an_edit_is_dated_with_the_story(make_story, make_tag):
    story = make_story("Pier", tags=[make_tag("Harbour")])
    story.story_tags.add(StoryTag(tag=make_tag("Weather"), sort_order=1))
    story.save_revision().publish()

    assert link_dates(fresh(story)) == {fresh(story).listed_at}


def test_copying_listing_dates_after_a_bulk_redating(make_story, make_tag):
    story = make_story("Pier", tags=[make_tag("Harbour")])
    when = timezone.now() - timedelta(days=30)
    StoryPage.objects.filter(pk=story.pk).update(listed_at=when)

    copy_listing_dates([story.pk])

    assert link_dates(story) == {when}


def test_dating_stories_as_published_moves_them_in_the_listings_and_their_archives(make_story, make_tag):
    harbour = make_tag("Harbour")
    older, newer = make_story("Older", tags=[harbour]), make_story("Newer", tags=[harbour])
    letter = make_story("Letter", email_only=True, tags=[harbour])
    when = timezone.now() + timedelta(hours=1)

    StoryPage.objects.filter(pk__in=[older.pk, letter.pk]).date_as_published(when)

    assert listed_ids() == [older.pk, newer.pk]
    assert link_dates(older) == {when} and link_dates(letter) == {None}
    assert fresh(older).first_published_at == fresh(letter).first_published_at == when
