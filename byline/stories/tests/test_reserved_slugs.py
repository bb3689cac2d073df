"""A page may not take a slug the site itself answers (/tag/, /rss/, /admin/, …): it would be
unreachable. Editors are told so on the slug field, in the model and in the admin's page form."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from byline.core.blocks import RICH_TEXT_FEATURES
from byline.stories.models import StandalonePage, StoryPage

RESERVED = ["tag", "rss", "admin", "sitemap.xml", "search", "author", "page", "ghost", "assets", "RSS"]


@pytest.mark.parametrize("slug", RESERVED)
def test_a_story_cannot_take_a_reserved_slug(home, slug):
    with pytest.raises(ValidationError) as error:
        home.add_child(instance=StoryPage(title="Anything", slug=slug))
    assert "slug" in error.value.message_dict
    assert not StoryPage.objects.exists()


@pytest.mark.parametrize("slug", ["tag", "rss", "admin", "search"])
def test_a_standalone_page_cannot_take_a_reserved_slug(home, slug):
    with pytest.raises(ValidationError) as error:
        home.add_child(instance=StandalonePage(title="Anything", slug=slug))
    assert error.value.message_dict["slug"] == [f"“{slug}” is used by the site itself; choose another slug."]


def test_a_title_that_makes_a_reserved_slug_is_refused(home):
    with pytest.raises(ValidationError) as error:
        home.add_child(instance=StoryPage(title="RSS"))
    assert "slug" in error.value.message_dict


def test_slugs_that_merely_contain_a_reserved_word_are_fine(home, make_story):
    for slug in ["tags-of-the-trade", "rss-explained", "the-admin", "searching"]:
        make_story(slug=slug, title=slug)
    assert StoryPage.objects.count() == 4


# ----- through the Wagtail admin ----------------------------------------------------------------


@pytest.fixture
def editor(client, admin_user):
    client.force_login(admin_user)
    return client


def add_story_url(home) -> str:
    return reverse("wagtailadmin_pages:add", args=("stories", "storypage", home.pk))


def story_form_data(title, slug, authors, **overrides) -> dict:
    data = {
        "title": title,
        "slug": slug,
        "custom_excerpt": "",
        "feature_image": "",
        "feature_image_alt": "",
        "feature_image_caption": "",
        "body": streamfield(
            [("rich_text", rich_text("<p>The boats are back.</p>", features=RICH_TEXT_FEATURES))]
        ),
        "story_authors": inline_formset([{"author": author.pk} for author in authors], min=1),
        "story_tags": inline_formset([]),
        "pinned_related": inline_formset([]),
        "visibility": "public",
        "comments": "open",
        "email_newsletter": "",
        "email_subject": "",
        "seo_title": "",
        "search_description": "",
        "og_title": "",
        "og_description": "",
        "og_image": "",
        "twitter_title": "",
        "twitter_description": "",
        "twitter_image": "",
        "canonical_url": "",
        "go_live_at": "",
        "expire_at": "",
        "action-publish": "action-publish",
    }
    data.update(overrides)
    return nested_form_data(data)


def test_admin_add_story_form_opens(editor, home):
    response = editor.get(add_story_url(home))
    assert response.status_code == 200
    assert 'name="slug"' in response.content.decode()


def test_admin_adds_and_publishes_a_story_with_one_author(editor, home, make_author):
    author = make_author("Ada Lovelace")
    response = editor.post(add_story_url(home), story_form_data("Harbour reopens", "harbour", [author]))
    assert response.status_code == 302, response.context and response.context["form"].errors
    story = StoryPage.objects.get(slug="harbour")
    assert story.live
    assert story.authors == [author]
    assert story.plaintext == "The boats are back."
    assert editor.get("/harbour/").status_code == 200


def test_admin_refuses_a_reserved_slug_on_the_slug_field(editor, home, make_author):
    response = editor.post(
        add_story_url(home), story_form_data("Feeds", "rss", [make_author("Ada Lovelace")])
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["slug"] == ["“rss” is used by the site itself; choose another slug."]
    assert "is used by the site itself" in response.content.decode()
    assert not StoryPage.objects.exists()


def test_admin_requires_at_least_one_author(editor, home):
    response = editor.post(add_story_url(home), story_form_data("Anonymous", "anonymous", []))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.formsets["story_authors"].non_form_errors()
    assert not StoryPage.objects.exists()


def test_page_form_class_reports_the_slug_error(home, make_author):
    form_class = StoryPage.get_edit_handler().get_form_class()
    data = story_form_data("Search", "search", [make_author("Ada Lovelace")])
    form = form_class(data, instance=StoryPage(), parent_page=home, for_user=None)
    assert not form.is_valid()
    assert form.errors["slug"] == ["“search” is used by the site itself; choose another slug."]


def test_admin_previews_a_new_story_with_its_authors(editor, home, make_author):
    url = reverse("wagtailadmin_pages:preview_on_add", args=("stories", "storypage", home.pk))
    data = story_form_data("Preview me", "preview-me", [make_author("Grace Hopper")])
    assert editor.post(url, data).json()["is_valid"]
    response = editor.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview me" in html and "Grace Hopper" in html


def test_admin_previews_edits_to_a_published_story(editor, make_story, make_author):
    story = make_story("Published", slug="published", authors=[make_author("Ada Lovelace")])
    url = reverse("wagtailadmin_pages:preview_on_edit", args=(story.pk,))
    data = story_form_data("Published, edited", "published", [make_author("Grace Hopper")])
    # The editor changes the story's one author, in the form that holds Ada's link.
    data["story_authors-INITIAL_FORMS"] = "1"
    data["story_authors-0-id"] = str(story.story_authors.get().pk)
    assert editor.post(url, data).json()["is_valid"]
    html = editor.get(url).content.decode()
    assert "Published, edited" in html and "Grace Hopper" in html
    assert "Ada Lovelace" not in html
