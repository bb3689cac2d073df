"""Importing a WordPress export (WXR 1.2) with Gutenberg and classic content."""

from datetime import UTC, datetime

import pytest
from wagtail.contrib.redirects.models import Redirect

from byline.porting import services
from byline.porting.models import ImportedSource
from byline.porting.report import ImportFailed
from byline.porting.wordpress import autop, clean_content
from byline.stories.models import StandalonePage, StoryPage, Tag

pytestmark = pytest.mark.django_db


def test_a_wordpress_export_imports_posts_pages_terms_authors_and_redirects(fixture_path, client):
    report = services.import_wordpress(fixture_path("wordpress.xml"))

    story = StoryPage.objects.get(slug="footbridge-reopens")
    assert story.live and story.featured
    assert story.first_published_at == datetime(2024, 4, 2, 9, 30, tzinfo=UTC)
    assert story.custom_excerpt == "The mill footbridge is open again."
    assert [author.name for author in story.authors] == ["Piotr Kowalski"]
    # Categories first (the first is primary), then tags; "Uncategorized" is left out.
    assert [tag.slug for tag in story.tags] == ["river-news", "flooding"]
    assert not Tag.objects.filter(slug="uncategorized").exists()
    assert [block.block_type for block in story.body] == ["rich_text", "html", "rich_text"]
    html = story.body_html()
    assert "<!-- wp:" not in html and "What was repaired" in html and "New handrails" in html
    assert 'href="/2024/03/flood-warning/"' in html  # the old site's links are now this site's
    assert "https://riverside.example/wp-content/uploads/2024/04/bridge.jpg" in report.missing_images
    source = ImportedSource.objects.get(page=story)
    assert (source.system, source.original_id) == ("wordpress", "10")
    assert source.original_feature_image.endswith("/bridge.jpg")

    # The old permalink redirects to the new URL.
    response = client.get("/2024/04/footbridge-reopens/")
    assert (response.status_code, response["Location"]) == (301, "/footbridge-reopens/")

    private = StoryPage.objects.get(slug="flood-warning")
    assert private.live and private.visibility == "members"
    assert private.plaintext.startswith("Water is rising near the lower meadows.")
    assert "<br>" in private.body_html()  # single line breaks survive, as WordPress shows them

    future = StoryPage.objects.get(slug="regatta-preview")
    assert not future.live and future.go_live_at == datetime(2031, 7, 1, 8, tzinfo=UTC)

    draft = StoryPage.objects.get(slug="half-written-piece")  # no post_name: from the title
    assert not draft.live
    assert [author.name for author in draft.authors] == ["Nadia Osei"]  # unknown login → first author
    assert any("ghostwriter" in str(problem) for problem in report.problems)

    assert not StoryPage.objects.filter(title="Old deleted thing").exists()
    assert StandalonePage.objects.get(slug="contact").live
    assert report.get("story", "created") == 4 and report.get("page", "created") == 1
    assert Redirect.objects.filter(old_path="/2024/04/footbridge-reopens").exists()


def test_importing_twice_skips_and_the_dry_run_changes_nothing(fixture_path):
    report = services.import_wordpress(fixture_path("wordpress.xml"), dry_run=True)
    assert report.get("story", "created") == 4
    assert not StoryPage.objects.exists() and not Redirect.objects.exists()
    services.import_wordpress(fixture_path("wordpress.xml"))
    again = services.import_wordpress(fixture_path("wordpress.xml"))
    assert again.get("story", "skipped") >= 4


def test_gutenberg_comments_go_and_classic_paragraphs_come():
    assert clean_content("<!-- wp:paragraph -->\n<p>One</p>\n<!-- /wp:paragraph -->") == "<p>One</p>"
    assert autop("First line\nsecond line\n\nNew paragraph") == (
        "<p>First line<br>\nsecond line</p>\n<p>New paragraph</p>"
    )
    assert autop("<ul><li>kept</li></ul>\n\ntext") == "<ul><li>kept</li></ul>\n<p>text</p>"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<rss><channel><item>", "is not well-formed XML"),
        (b"not xml at all", "is not well-formed XML"),
        (b"<html><body>hello</body></html>", "not a WordPress export"),
    ],
)
def test_a_file_that_is_not_a_wordpress_export_is_refused(tmp_path, content, message):
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=message):
        services.import_wordpress(str(path))
    assert not StoryPage.objects.exists()


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xml = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY leak SYSTEM "file://{secret}">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><item><title>Leak &leak;</title><content:encoded>body &leak;</content:encoded>
<wp:post_name>leak</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<wp:post_date_gmt>2024-01-01 00:00:00</wp:post_date_gmt></item></channel></rss>"""
    path = tmp_path / "xxe.xml"
    path.write_text(xml)
    services.import_wordpress(str(path))
    story = StoryPage.objects.get(slug="leak")
    assert "TOP SECRET" not in story.title and "TOP SECRET" not in story.plaintext
