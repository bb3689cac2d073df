"""Importing Ghost exports (2.x with mobiledoc, 4.x, 6.x with lexical) into Byline."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from wagtail.models import Revision
from wagtail.signals import page_published

from byline.core.models import PublicationSettings
from byline.newsletters.models import Newsletter
from byline.porting import services
from byline.porting.models import ImportedSource
from byline.stories.models import Author, StandalonePage, StoryPage, Tag

pytestmark = pytest.mark.django_db


def test_a_ghost_2_export_imports_stories_pages_authors_tags_and_settings(fixture_path, site):
    report = services.import_ghost(fixture_path("ghost2.json"))

    story = StoryPage.objects.get(slug="tide-tables-return")
    assert story.title == "Tide tables return to the harbour office"
    assert story.live and story.url == "/tide-tables-return/"
    assert story.first_published_at == datetime(2018, 12, 2, 8, 15, tzinfo=UTC)
    assert story.featured is True
    assert story.custom_excerpt == "Paper is back by popular demand."
    assert story.seo_title == "Tide tables are back"
    assert story.search_description == "The harbour office prints tide tables again."
    assert story.og_title == "Tide tables (paper edition)"
    # Tags keep their order; the internal one comes first in the file but is never primary.
    assert [tag.slug for tag in story.tags] == ["hash-print", "harbour", "notices"]
    assert story.primary_tag.slug == "harbour"
    assert Tag.objects.get(slug="hash-print").is_internal
    # Ghost 2 kept one author on the post row.
    assert [author.slug for author in story.authors] == ["maren"]
    maren = Author.objects.get(slug="maren")
    assert (maren.bio, maren.website, maren.x_handle) == (
        "Edits the Gazette.",
        "https://maren.example",
        "marenholt",
    )
    assert Author.objects.get(slug="jonas").website == ""  # "not a url" is dropped, not fatal

    # Byline's own rules recompute the derived fields (the export's plaintext is not used).
    assert story.plaintext.startswith(
        "Printed tide tables are back at the counter, after a winter of screens only."
    )
    assert story.excerpt == "Paper is back by popular demand."
    # __GHOST_URL__ became this site.
    assert 'href="/notices/"' in story.body_html()

    about = StandalonePage.objects.get(slug="about")
    assert about.live and "A small paper for a small harbour town." in about.plaintext

    draft = StoryPage.objects.get(slug="ferry-timetable-changes")
    assert not draft.live and draft.first_published_at is None

    publication = PublicationSettings.for_site(site)
    assert publication.name == "The Harbour Gazette"
    assert publication.x_handle == "harbourgazette"
    assert [(link.value["label"], link.value["url"]) for link in publication.navigation] == [
        ("Home", "/"),
        ("About", "/about/"),
    ]

    source = ImportedSource.objects.get(page=story)
    assert source.system == "ghost" and source.original_id == "5c2a1f0e8b1d2a0001a0b001"
    assert source.mobiledoc.startswith('{"version":"0.3.1"')
    assert source.codeinjection_head == '<meta name="x-legacy" content="1">'
    assert "/content/images/2018/12/tides.jpg" in report.missing_images
    assert "/content/images/2018/12/harbour-office.jpg" in report.missing_images
    assert report.get("story", "created") == 2 and report.get("page", "created") == 1
    assert report.get("author", "created") == 2 and report.get("tag", "created") == 3


def test_a_ghost_4_export_maps_cards_meta_and_author_order(fixture_path):
    report = services.import_ghost(
        fixture_path("ghost4.json"), old_url="https://old-gazette.example", with_settings=False
    )
    story = StoryPage.objects.get(slug="lighthouse-logbooks-online")
    assert [author.slug for author in story.authors] == ["tomas", "ilse"]
    assert [tag.slug for tag in story.tags] == ["history", "harbour"]
    assert Tag.objects.get(slug="history").accent_colour == "#2255aa"
    assert story.visibility == "members"
    assert story.canonical_url == "https://museum.example/logbooks"
    assert story.feature_image_alt == "The lighthouse at dusk"
    assert story.feature_image_caption == "Photo: the museum"
    assert story.og_description == "Forty logbooks scanned."
    assert story.twitter_description == "A century of weather."
    kinds = [block.block_type for block in story.body]
    assert kinds == ["rich_text", "code", "divider", "quote", "html", "callout"]
    code = story.body[1].value
    assert (code["language"], code["code"]) == ("sql", "SELECT year, storms FROM logbooks;")
    assert story.body[3].value["attribution"] == "Keeper's entry, 1921"
    raw = story.body[4].value
    assert "Archive widget" in raw and "script" not in raw and "onclick" not in raw
    assert story.body[5].value["emoji"] == "📚"
    # The code injection is kept (for the round trip), not run.
    assert "widgets.example" in ImportedSource.objects.get(page=story).codeinjection_foot
    assert "widgets.example" not in story.body_html()

    scheduled = StoryPage.objects.get(slug="harbour-festival-schedule")
    assert not scheduled.live
    assert scheduled.go_live_at == datetime(2031, 6, 1, 8, tzinfo=UTC)
    revision = Revision.page_revisions.get(object_id=str(scheduled.pk))
    assert revision.approved_go_live_at == datetime(2031, 6, 1, 8, tzinfo=UTC)
    # The old site's absolute links became this site's.
    assert 'href="/tag/harbour/"' in scheduled.body_html()
    # A tag id that is not in the file is left out and reported.
    assert [tag.slug for tag in scheduled.tags] == ["harbour"]
    assert any("6059b1c4f1e2d30001b0dfff" in str(problem) for problem in report.problems)
    # No author on the scheduled post: credited to Ghost's owner, and said so.
    assert [author.slug for author in scheduled.authors] == ["ilse"]
    assert any("credited to Ilse Varga" in str(problem) for problem in report.problems)


def test_a_ghost_6_export_keeps_lexical_and_imports_newsletters(fixture_path):
    services.import_ghost(fixture_path("ghost6.json"))
    story = StoryPage.objects.get(slug="night-ferry-returns")
    assert story.visibility == "members"  # paid → members only (Byline has free members only)
    assert story.first_published_at == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert [block.block_type for block in story.body] == ["rich_text", "button", "rich_text"]
    assert story.body[1].value["url"] == "https://ferries.example/timetable"
    assert ImportedSource.objects.get(page=story).lexical.startswith('{"root"')

    sent = StoryPage.objects.get(slug="members-letter-quay-rebuild")
    assert sent.email_only and not sent.live
    assert sent.email_subject == "The quay rebuild, explained"

    weekly = Newsletter.objects.get(slug="weekly-tides")
    assert (weekly.sender_name, weekly.reply_to, weekly.status) == ("The Gazette", "", "active")
    old = Newsletter.objects.get(slug="old-bulletin")
    assert (old.reply_to, old.status, old.subscribe_on_signup) == (
        "editor@gazette.example",
        "archived",
        False,
    )


def test_an_import_sends_no_email_and_publishes_nothing_through_wagtail(fixture_path, mailoutbox):
    published = []

    def record(sender, **kwargs):
        published.append(kwargs["instance"])

    page_published.connect(record)
    try:
        services.import_ghost(fixture_path("ghost6.json"))
    finally:
        page_published.disconnect(record)
    assert published == []
    assert mail.outbox == []


def test_a_dry_run_reports_everything_and_changes_nothing(fixture_path, site):
    before = (StoryPage.objects.count(), Author.objects.count(), Tag.objects.count())
    name_before = PublicationSettings.for_site(site).name
    report = services.import_ghost(fixture_path("ghost2.json"), dry_run=True)
    assert report.get("story", "created") == 2
    assert "dry run: nothing was changed" in report.table()
    assert (StoryPage.objects.count(), Author.objects.count(), Tag.objects.count()) == before
    assert PublicationSettings.for_site(site).name == name_before
    assert not ImportedSource.objects.exists()


def test_importing_the_same_file_twice_skips_what_is_there(fixture_path):
    services.import_ghost(fixture_path("ghost2.json"))
    report = services.import_ghost(fixture_path("ghost2.json"))
    assert report.get("story", "skipped") == 2 and report.get("page", "skipped") == 1
    assert report.get("author", "existing") == 2
    assert StoryPage.objects.filter(slug="tide-tables-return").count() == 1
