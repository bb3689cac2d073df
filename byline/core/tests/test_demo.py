import io
import stat
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.html import escape
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from byline.core import demo
from byline.core.models import PublicationSettings
from byline.stories.models import Author, StandalonePage, StoryPage, Tag

STORIES = 6


@pytest.fixture(autouse=True)
def demo_env(settings, tmp_path, monkeypatch):
    """Each test gets its own data folder and media, and small pictures (drawing is the slow part)."""
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(demo, "FEATURE_SIZE", (160, 90))
    monkeypatch.setattr(demo, "PHOTO_SIZE", (40, 40))
    return tmp_path


def run_demo(**options) -> str:
    out = io.StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict:
    return {
        "stories": StoryPage.objects.count(),
        "pages": Page.objects.count(),
        "authors": Author.objects.count(),
        "tags": Tag.objects.count(),
        "images": get_image_model().objects.count(),
        "users": get_user_model().objects.count(),
    }


def test_demo_loads_authors_tags_stories_and_an_about_page(db):
    run_demo(stories=STORIES)

    authors = list(Author.objects.all())
    assert len(authors) == 5
    assert any(author.photo_id for author in authors)
    assert any(not author.photo_id for author in authors)
    assert all(author.bio and author.location for author in authors)

    public_tags = [tag for tag in Tag.objects.all() if not tag.is_internal]
    assert len(public_tags) == 8
    assert all(tag.description for tag in public_tags)

    stories = list(StoryPage.objects.live().for_cards())
    assert len(stories) == STORIES
    for story in stories:
        assert story.feature_image is not None
        assert story.feature_image_alt
        assert 1 <= len(story.authors) <= 3
        assert 1 <= len(story.public_tags) <= 4
        assert len(story.custom_excerpt) <= 300
        assert story.reading_time
    assert 1 <= sum(story.featured for story in stories) <= 3

    about = StandalonePage.objects.live().get(slug="about")
    assert "newsroom" in about.plaintext


def test_demo_sets_up_the_publication_settings(db):
    run_demo(stories=1)

    publication = PublicationSettings.for_site(Site.objects.get(is_default_site=True))
    assert publication.name == demo.plan_publication().name
    assert publication.description
    assert publication.footer_text
    assert publication.x_handle and publication.bluesky_handle
    assert publication.accent_colour != "#c2410c"
    assert {"label": "About", "url": "/about/"} in [dict(link.value) for link in publication.navigation]
    # The subscribe box keeps the newsroom's defaults.
    assert publication.subscribe_heading == "Be the first to know"
    assert publication.subscribe_subheading == "Get notified about upcoming stories"


def test_demo_keeps_publication_settings_someone_already_set(db):
    site = Site.objects.get(is_default_site=True)
    publication = PublicationSettings.for_site(site)
    publication.name = "The Real Gazette"
    publication.save()

    output = run_demo(stories=1)

    assert PublicationSettings.for_site(site).name == "The Real Gazette"
    assert "left as they are" in output


def test_demo_spreads_stories_over_the_last_60_days_newest_first_on_the_home_page(db, client):
    before = timezone.now()
    run_demo(stories=5)

    dates = sorted(StoryPage.objects.values_list("first_published_at", flat=True))
    assert len(set(dates)) == 5
    assert dates[0] >= before - timedelta(days=60)
    assert dates[-1] <= timezone.now()
    assert dates[-1] - dates[0] > timedelta(days=30)
    assert all(story.last_published_at == story.first_published_at for story in StoryPage.objects.all())

    # The home page lists the stories (after the featured one) newest first.
    home = client.get("/").content.decode()
    lead = StoryPage.objects.published().filter(featured=True).first()
    listed = [story for story in StoryPage.objects.published() if story.pk != lead.pk]
    positions = [home.rindex(escape(story.title)) for story in listed]
    assert positions == sorted(positions)


def test_demo_stories_and_pages_render_without_showing_the_internal_demo_tag(db, client):
    run_demo(stories=3)

    demo_tag = Tag.objects.get(name=demo.DEMO_TAG_NAME)
    assert demo_tag.is_internal
    assert demo_tag.story_links.count() == 3
    assert all(not story.primary_tag.is_internal for story in StoryPage.objects.all())

    for story in StoryPage.objects.live():
        response = client.get(story.url)
        assert response.status_code == 200, story.url
        assert demo.DEMO_TAG_NAME not in response.content.decode()
    assert client.get("/about/").status_code == 200
    assert client.get("/tag/local/").status_code == 200
    assert client.get("/tag/hash-demo/").status_code == 404
    for author in Author.objects.all():
        assert client.get(author.get_absolute_url()).status_code == 200


def test_demo_bodies_use_the_story_blocks(db):
    run_demo(stories=STORIES)

    kinds = {block.block_type for story in StoryPage.objects.all() for block in story.body}
    assert {"rich_text", "quote", "image", "callout", "code", "divider", "button"} <= kinds
    headings = [
        block for story in StoryPage.objects.all() for block in story.body if "<h2>" in str(block.value)
    ]
    assert headings
    image_blocks = [
        block.value
        for story in StoryPage.objects.all()
        for block in story.body
        if block.block_type == "image"
    ]
    assert all(value["image"] and value["alt"] for value in image_blocks)


def test_demo_twice_does_not_duplicate_content(db):
    run_demo(stories=2)
    first = counts()

    output = run_demo(stories=2)

    assert counts() == first
    assert "Stories: 0 published" in output


def test_demo_with_more_stories_adds_only_the_missing_ones(db):
    run_demo(stories=2)
    first_slugs = set(StoryPage.objects.values_list("slug", flat=True))

    run_demo(stories=4)

    assert StoryPage.objects.count() == 4
    assert first_slugs < set(StoryPage.objects.values_list("slug", flat=True))
    assert Author.objects.count() == 5


def test_if_empty_with_existing_stories_adds_nothing(db, make_story):
    make_story("Our first real story")
    before = counts()

    output = run_demo(stories=STORIES, if_empty=True)

    assert counts() == before
    assert "already has 1 story" in output
    assert "Site:   http://127.0.0.1:8000/" in output


def test_if_empty_after_a_demo_adds_nothing(db):
    run_demo(stories=2)
    before = counts()

    run_demo(stories=STORIES, if_empty=True)

    assert counts() == before


def test_demo_refuses_to_mix_into_a_publication_with_stories_of_its_own(db, make_story):
    make_story("Our first real story")

    with pytest.raises(CommandError, match="did not make"):
        run_demo(stories=STORIES)
    assert StoryPage.objects.count() == 1


@pytest.mark.parametrize("stories", [-1, 1001, "many"])
def test_story_count_outside_0_to_1000_is_an_error(db, stories):
    with pytest.raises(CommandError, match="0 to 1000"):
        run_demo(stories=stories)
    assert StoryPage.objects.count() == 0


def test_story_count_that_is_not_a_number_is_an_error_on_the_command_line(db):
    with pytest.raises(CommandError, match="invalid int value"):
        call_command("demo", "--stories", "many", stdout=io.StringIO())


def test_demo_with_no_stories_still_sets_up_the_publication(db):
    run_demo(stories=0)

    assert StoryPage.objects.count() == 0
    assert Author.objects.count() == 5
    assert StandalonePage.objects.filter(slug="about").exists()


def test_admin_password_file_is_private_and_printed(db):
    output = run_demo(stories=1)

    path = django_settings.DATA_DIR / demo.LOGIN_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    password = path.read_text().strip()
    assert len(password) >= 20
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    assert f"Login:  admin / {password}" in output
    assert "Admin:  http://127.0.0.1:8000/admin/" in output

    again = run_demo(stories=1, if_empty=True)

    assert path.read_text().strip() == password
    assert f"Login:  admin / {password}" in again
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_an_existing_superuser_is_kept_and_no_password_is_printed(db):
    get_user_model().objects.create_superuser("editor", "editor@example.org", "a-long-password")

    output = run_demo(stories=1)

    assert not get_user_model().objects.filter(username="admin").exists()
    assert not (django_settings.DATA_DIR / demo.LOGIN_FILE_NAME).exists()
    assert "Login:  use your own staff account" in output


def test_a_changed_admin_password_is_not_printed(db):
    run_demo(stories=1)
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("changed-by-the-editor")
    admin.save()

    output = run_demo(stories=1)

    assert "use your own staff account" in output
    assert "changed-by-the-editor" not in output


def test_demo_points_the_default_site_at_byline_url(db):
    Site.objects.filter(is_default_site=True).update(hostname="old.example", port=8080)

    run_demo(stories=1)

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8000)


def test_demo_text_is_the_same_on_every_run_and_a_longer_run_extends_a_shorter():
    publication = demo.plan_publication()
    assert publication == demo.plan_publication()
    assert demo.plan_authors(publication) == demo.plan_authors(publication)

    short = demo.plan_stories(3, publication, 5)
    long = demo.plan_stories(40, publication, 5)
    assert [(p.slug, p.body) for p in short] == [(p.slug, p.body) for p in long[:3]]
    assert len({p.slug for p in long}) == 40
    assert len({p.title.split()[-1] for p in long}) > 20  # Headlines vary.
    assert 2 <= sum(p.featured for p in long) <= 3
    assert all(len(p.custom_excerpt) <= 300 for p in long)
    assert 5 < sum(bool(p.custom_excerpt) for p in long) < 35
    assert all(0 < p.age < 1 for p in long)


def test_feature_images_are_full_size_jpegs_and_differ():
    size = (1600, 900)
    first = demo.render_artwork(demo.feature_artwork(0), size)
    picture = PILImage.open(io.BytesIO(first))
    assert (picture.format, picture.size) == ("JPEG", size)

    small = [demo.render_artwork(demo.feature_artwork(index), (160, 90)) for index in range(12)]
    assert len(set(small)) == 12
    assert len({demo.feature_artwork(index).description for index in range(12)}) == 12


def test_a_plain_user_called_admin_is_not_promoted(db):
    get_user_model().objects.create_user("admin", password="their-own-password")

    output = run_demo(stories=1)

    assert not get_user_model().objects.get(username="admin").is_superuser
    assert "not a superuser" in output
    assert "create one with `byline createsuperuser`" in output


def test_demo_reports_each_phase(db):
    output = run_demo(stories=2)

    for phase in ("Publication:", "Authors: 5", "Tags: 8 public", "Images:", "Stories: 2 published"):
        assert phase in output
    assert "About page: /about/" in output
