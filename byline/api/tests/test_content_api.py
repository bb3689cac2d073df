"""The Content API's behaviour beyond shapes: keys, paging, ordering, fields, formats, gating, headers."""

import re

import pytest
from django.test import override_settings

from byline.api import views
from byline.api.models import Integration
from byline.stories.models import StoryPage

GHOST_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


def titles(response, key="posts"):
    assert response.status_code == 200, response.content
    return [item["title"] if "title" in item else item["name"] for item in response.json()[key]]


# ----- keys ----------------------------------------------------------------------------------------


def test_it_refuses_a_request_without_a_key_with_403(client, db):
    response = client.get("/ghost/api/content/posts/")
    assert response.status_code == 403
    assert response.json()["errors"][0]["type"] == "NoPermissionError"


def test_it_refuses_an_unknown_key_with_401(api):
    for key in ("0" * 26, "short", "x" * 5000, "' OR 1=1 --"):
        error = api("posts/", key=key).json()["errors"][0]
        assert (error["type"], error["code"]) == ("UnauthorizedError", "UNKNOWN_CONTENT_API_KEY")
        assert set(error) == {
            "message", "context", "type", "details", "property", "help", "code", "id", "ghostErrorCode"
        }  # fmt: skip


def test_a_key_given_twice_is_a_bad_request(client, integration):
    response = client.get(
        f"/ghost/api/content/posts/?key={integration.content_key}&key={integration.content_key}"
    )
    assert response.status_code == 400


def test_deleting_an_integration_revokes_its_key(api, integration):
    assert api("posts/").status_code == 200
    Integration.objects.filter(pk=integration.pk).delete()
    assert api("posts/").status_code == 401


@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "k"}}
)
def test_guessing_keys_is_slowed_down(api):
    statuses = {api("posts/", key=f"{n:026x}").status_code for n in range(60)}
    assert statuses == {401, 429}


def test_the_legacy_versioned_prefixes_answer_too(client, integration, make_story):
    make_story("Old client story")
    for prefix in ("v2", "v3", "v4", "v5", "canary"):
        response = client.get(f"/ghost/api/{prefix}/content/posts/", {"key": integration.content_key})
        assert titles(response) == ["Old client story"]


def test_ghost_admin_address_still_sends_editors_to_the_admin(client, db):
    response = client.get("/ghost/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")


# ----- browse and read -----------------------------------------------------------------------------


def test_it_lists_only_live_site_stories_newest_first(api, make_story):
    from datetime import timedelta

    from django.utils import timezone

    make_story("Older", published_at=timezone.now() - timedelta(days=2))
    make_story("Newer", published_at=timezone.now() - timedelta(days=1))
    make_story("A draft", live=False)
    make_story("Email only", email_only=True)
    assert titles(api("posts/")) == ["Newer", "Older"]


def test_read_is_an_array_of_one_without_meta(api, make_story):
    story = make_story("Only one")
    for path in (f"posts/{story.pk:024x}/", "posts/slug/only-one/"):
        body = api(path).json()
        assert list(body) == ["posts"]
        assert [post["id"] for post in body["posts"]] == [f"{story.pk:024x}"]


@pytest.mark.parametrize(
    "path", ["posts/slug/nope/", "posts/123/", "posts/zzzzzzzzzzzzzzzzzzzzzzzz/", "tags/slug/x/"]
)
def test_unknown_ids_and_slugs_are_404(api, path):
    response = api(path)
    assert response.status_code == 404
    assert response.json()["errors"][0]["type"] == "NotFoundError"


def test_a_draft_cannot_be_read_by_slug(api, make_story):
    make_story("Not yet", live=False)
    assert api("posts/slug/not-yet/").status_code == 404


def test_limit_all_means_all_and_the_meta_says_so(api, make_story):
    for number in range(17):
        make_story(f"Story {number:02d}")
    body = api("posts/", limit="all", fields="title").json()
    assert len(body["posts"]) == 17
    assert body["meta"]["pagination"] == {
        "page": 1, "limit": "all", "pages": 1, "total": 17, "next": None, "prev": None
    }  # fmt: skip


def test_pages_of_results_tell_the_truth(api, make_story):
    for number in range(5):
        make_story(f"Story {number}")
    first = api("posts/", limit=2).json()["meta"]["pagination"]
    last = api("posts/", limit=2, page=3).json()
    beyond = api("posts/", limit=2, page=9).json()
    assert first == {"page": 1, "limit": 2, "pages": 3, "total": 5, "next": 2, "prev": None}
    assert (len(last["posts"]), last["meta"]["pagination"]["next"], last["meta"]["pagination"]["prev"]) == (
        1,
        None,
        2,
    )
    assert beyond["posts"] == []


@pytest.mark.parametrize(
    ("param", "value"),
    [("limit", "0"), ("limit", "-1"), ("limit", "ten"), ("limit", "9" * 30), ("page", "0"), ("page", "x"),
     ("order", "nonsense desc"), ("order", "title sideways"), ("order", "title asc extra"),
     ("filter", "tag:"), ("filter", "secret:1")],
)  # fmt: skip
def test_bad_parameters_are_a_400_that_names_them(api, param, value):
    response = api("posts/", **{param: value})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["type"] == "BadRequestError"
    assert error["property"] == param


def test_order_sorts_and_a_second_key_breaks_ties(api, make_story):
    for title in ("Banana", "Apple", "Cherry"):
        make_story(title)
    assert titles(api("posts/", order="title asc")) == ["Apple", "Banana", "Cherry"]
    assert titles(api("posts/", order="title%20desc".replace("%20", " "))) == ["Cherry", "Banana", "Apple"]
    assert titles(api("posts/", order="featured desc,title asc")) == ["Apple", "Banana", "Cherry"]


def test_fields_keeps_only_the_named_fields(api, make_story):
    make_story("Slim")
    assert api("posts/", fields="title,slug,nonexistent").json()["posts"] == [
        {"title": "Slim", "slug": "slim"}
    ]


def test_formats_choose_html_and_plaintext(api, make_story):
    make_story("Formats", body=[{"type": "rich_text", "value": "<p>Hello <b>there</b>.</p>"}])
    default = api("posts/").json()["posts"][0]
    plain = api("posts/", formats="plaintext").json()["posts"][0]
    both = api("posts/", formats="html,plaintext").json()["posts"][0]
    assert "<b>there</b>" in default["html"] and "plaintext" not in default
    assert plain["plaintext"] == "Hello there." and "html" not in plain
    assert {"html", "plaintext"} <= set(both)


def test_include_adds_tags_authors_and_the_primary_ones(api, make_story, make_tag, make_author):
    internal, news = make_tag("#desk"), make_tag("News")
    ada, ben = make_author("Ada Byline"), make_author("Ben Byline")
    make_story("Included", tags=[internal, news], authors=[ada, ben])
    post = api("posts/", include="tags,authors").json()["posts"][0]
    assert [tag["slug"] for tag in post["tags"]] == ["hash-desk", "news"]
    assert [tag["visibility"] for tag in post["tags"]] == ["internal", "public"]
    assert post["primary_tag"]["slug"] == "news"
    assert [author["slug"] for author in post["authors"]] == ["ada-byline", "ben-byline"]
    assert post["primary_author"]["slug"] == "ada-byline"
    assert "email" not in post["primary_author"]


def test_objects_follow_ghost_conventions(api, make_story, make_image):
    story = make_story("Conventions", feature_image=make_image(), custom_excerpt="")
    post = api("posts/").json()["posts"][0]
    assert re.fullmatch(r"[0-9a-f]{24}", post["id"])
    assert post["url"] == "http://testserver/conventions/"
    assert post["feature_image"].startswith("http://testserver/media/")
    assert all(GHOST_DATE.match(post[key]) for key in ("created_at", "updated_at", "published_at"))
    assert post["custom_excerpt"] is None and post["excerpt"] == story.excerpt
    assert post["access"] is True and isinstance(post["reading_time"], int)


def test_members_only_stories_are_cut_at_the_paywall(api, make_story):
    body = [
        {"type": "rich_text", "value": "<p>Free opening paragraph.</p>"},
        {"type": "html", "value": "<!--members-only-->"},
        {"type": "rich_text", "value": "<p>Paid-for reporting.</p>"},
    ]
    make_story("Gated", visibility="members", body=body)
    make_story("Gated whole", visibility="members")
    posts = {p["title"]: p for p in api("posts/", formats="html,plaintext").json()["posts"]}
    gated, whole = posts["Gated"], posts["Gated whole"]
    assert gated["access"] is False and gated["visibility"] == "members"
    assert "Free opening" in gated["html"] and "Paid-for" not in gated["html"]
    assert "Paid-for" not in gated["plaintext"] and "Paid-for" not in (gated["excerpt"] or "")
    assert whole["html"] == "" and whole["excerpt"] is None


def test_tags_and_authors_count_published_stories(api, make_story, make_tag, make_author):
    busy, quiet = make_tag("Busy"), make_tag("Quiet")
    writer = make_author("Count Writer")
    make_story("One", tags=[busy], authors=[writer])
    make_story("Two", tags=[busy, quiet], authors=[writer])
    make_story("Draft", tags=[quiet], authors=[writer], live=False)
    make_story("Sent by email only", tags=[busy, quiet], authors=[writer], email_only=True)
    make_story("Taken down", tags=[busy, quiet], authors=[writer]).unpublish()
    tags = api("tags/", include="count.posts", order="count.posts desc").json()["tags"]
    assert [(tag["slug"], tag["count"]["posts"]) for tag in tags] == [("busy", 2), ("quiet", 1)]
    author = api("authors/slug/count-writer/", include="count.posts").json()["authors"][0]
    assert author["count"] == {"posts": 2}
    assert (
        api("tags/", filter="visibility:public+count.posts:>1", include="count.posts").json()["tags"][0][
            "slug"
        ]
        == "busy"
    )


def test_pages_are_standalone_pages(api, home):
    from byline.stories.models import StandalonePage

    about = StandalonePage(
        title="About", slug="about-the-paper", body=[{"type": "rich_text", "value": "<p>Us.</p>"}]
    )
    home.add_child(instance=about)
    about.save_revision().publish()
    page = api("pages/slug/about-the-paper/").json()["pages"][0]
    assert page["url"] == "http://testserver/about-the-paper/"
    assert "Us." in page["html"] and page["show_title_and_feature_image"] is True


def test_settings_speak_for_the_publication(api, site):
    from byline.core.models import PublicationSettings

    publication = PublicationSettings.for_site(site)
    publication.name, publication.x_handle = "The Harbour Gazette", "harbourgazette"
    publication.save()
    body = api("settings/").json()
    assert body["settings"]["title"] == "The Harbour Gazette"
    assert body["settings"]["twitter"] == "@harbourgazette"
    assert body["settings"]["url"] == "http://testserver/"
    assert body["meta"] == {}


# ----- headers -------------------------------------------------------------------------------------


def test_an_unchanged_answer_is_a_304(api, make_story, client, integration):
    make_story("Cached")
    first = api("posts/")
    again = client.get(
        "/ghost/api/content/posts/", {"key": integration.content_key}, HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    StoryPage.objects.update(title="Cached, then edited")
    assert (
        client.get(
            "/ghost/api/content/posts/", {"key": integration.content_key}, HTTP_IF_NONE_MATCH=first["ETag"]
        ).status_code
        == 200
    )


def test_cors_preflight_is_answered_for_a_day(client, db):
    response = client.options(
        "/ghost/api/content/posts/",
        HTTP_ORIGIN="https://front.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept-version",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Max-Age"] == "86400"
    assert response["Access-Control-Allow-Headers"] == "accept-version"


def test_writing_to_the_content_api_is_refused(client, integration):
    response = client.post(f"/ghost/api/content/posts/?key={integration.content_key}", {})
    assert response.status_code == 405
    assert response.json()["errors"][0]["type"] == "MethodNotAllowedError"


def test_unknown_api_paths_are_a_json_404(api):
    response = api("nothing-here/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == "Resource not found"


# ----- query bounds --------------------------------------------------------------------------------


def test_a_page_of_stories_costs_the_same_few_queries_whatever_its_size(
    api, make_story, make_tag, make_author, make_image, django_assert_max_num_queries
):
    tags = [make_tag(f"Tag {n}") for n in range(3)]
    authors = [make_author(f"Writer {n}", photo=make_image(width=24, height=24)) for n in range(2)]
    for number in range(15):
        make_story(
            f"Bounded {number}", tags=tags, authors=authors, feature_image=make_image(width=32, height=18)
        )
    with django_assert_max_num_queries(14):
        assert len(api("posts/", include="tags,authors", formats="html,plaintext").json()["posts"]) == 15
    with django_assert_max_num_queries(8):
        api("tags/", include="count.posts", limit="all")
    with django_assert_max_num_queries(8):
        api("authors/", include="count.posts", limit="all")
    with django_assert_max_num_queries(10):
        api("posts/slug/bounded-3/", include="tags,authors")
    with django_assert_max_num_queries(8):
        api("settings/")


def test_the_search_index_lists_the_stories_updated_last_and_every_author_and_public_tag(
    api, make_story, make_tag, make_author, django_assert_max_num_queries, monkeypatch, rf, site
):
    writer = make_author("Index Writer")
    make_tag("#hidden")
    for number in range(4):
        make_story(f"Indexed {number}", authors=[writer], tags=[make_tag(f"Topic {number}")])
    make_story("Locked", visibility="members", custom_excerpt="A teaser.")
    with django_assert_max_num_queries(6):
        posts = api("search-index/posts/").json()["posts"]
    assert len(posts) == 5
    assert set(posts[0]) == {
        "id",
        "slug",
        "title",
        "excerpt",
        "url",
        "created_at",
        "published_at",
        "updated_at",
        "visibility",
    }
    locked = next(post for post in posts if post["title"] == "Locked")
    assert locked["excerpt"] == "A teaser."
    request = rf.get("/", HTTP_HOST=f"{site.hostname}:{site.port}")
    stories = {story.slug: story for story in StoryPage.objects.live()}
    paths = {post["url"].removeprefix("http://testserver") for post in posts}
    assert paths == {story.get_url(request) for story in stories.values()}
    # As Ghost: the posts updated last, at most SEARCH_INDEX_POSTS of them.
    monkeypatch.setattr(views, "SEARCH_INDEX_POSTS", 2)
    newest = StoryPage.objects.live().order_by("-last_published_at", "-pk")[:2]
    assert [post["slug"] for post in api("search-index/posts/").json()["posts"]] == [s.slug for s in newest]
    assert [t["slug"] for t in api("search-index/tags/").json()["tags"]] == [f"topic-{n}" for n in range(4)]
    assert "index-writer" in [a["slug"] for a in api("search-index/authors/").json()["authors"]]


def test_an_unexpected_failure_still_answers_in_ghosts_envelope(api, monkeypatch):
    from byline.api import services

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "browse", broken)
    response = api("posts/")
    assert response.status_code == 500
    assert response.json()["errors"][0]["type"] == "InternalServerError"
    assert response["Access-Control-Allow-Origin"] == "*"
