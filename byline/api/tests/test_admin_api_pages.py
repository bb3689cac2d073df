"""The Admin API's pages: Ghost's page objects written to and read from Byline's standalone pages."""

import pytest

from byline.api.serializers import parse_id
from byline.api.tests.test_admin_api import png, token
from byline.stories.models import StandalonePage


@pytest.fixture
def admin(client, integration):
    """Call the Admin API as the integration: `admin("post", "pages/", {"pages": [...]})`."""

    def call(method, path, data=None, *, auth=None):
        auth = auth if auth is not None else f"Ghost {token(integration)}"
        headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
        url = f"/ghost/api/admin/{path}"
        if method in ("get", "delete"):
            return getattr(client, method)(url, data, **headers)
        return getattr(client, method)(url, data, content_type="application/json", **headers)

    return call


def add(admin, **fields):
    response = admin("post", "pages/?source=html", {"pages": [fields]})
    assert response.status_code == 201, response.content
    return response.json()["pages"][0]


def edit(admin, page, **fields):
    """Edit `page` as a client that read it last would: with the updated_at it read."""
    body = {"pages": [{"updated_at": page["updated_at"], **fields}]}
    return admin("put", f"pages/{page['id']}/?source=html", body)


def stored(page) -> StandalonePage:
    return StandalonePage.objects.get(pk=parse_id(page["id"]))


# ----- add and read --------------------------------------------------------------------------------


def test_it_adds_a_draft_page_from_html(admin, api):
    page = add(
        admin,
        title="Contact the newsroom",
        html="<h2>Phones</h2><p>Call the <strong>desk</strong> after nine.</p><hr>",
        meta_title="Reach us",
    )
    assert page["type"] == "page" and page["status"] == "draft"
    assert page["slug"] == "contact-the-newsroom"
    assert page["meta_title"] == "Reach us"
    assert page["tags"] == [] and page["authors"] == [] and page["primary_author"] is None
    assert "<b>desk</b>" in page["html"]
    assert page["excerpt"].startswith("Phones")
    assert page["updated_at"].endswith("Z") and page["published_at"] is None
    row = stored(page)
    assert not row.live
    assert [block.block_type for block in row.get_latest_revision_as_object().body] == [
        "rich_text",
        "divider",
    ]
    assert api("pages/").json()["pages"] == []  # a draft is not public


def test_pages_are_browsed_and_read_by_id_and_slug(admin):
    first = add(admin, title="Masthead", html="<p>Who makes the paper.</p>", status="published")
    add(admin, title="Corrections policy", html="<p>How errors are fixed.</p>")
    browsed = admin("get", "pages/", {"limit": 1}).json()
    assert browsed["meta"]["pagination"] == {
        "page": 1,
        "limit": 1,
        "pages": 2,
        "total": 2,
        "next": 2,
        "prev": None,
    }
    everything = admin("get", "pages/", {"limit": "all"}).json()["pages"]
    assert sorted(page["title"] for page in everything) == ["Corrections policy", "Masthead"]
    by_id = admin("get", f"pages/{first['id']}/").json()
    assert list(by_id) == ["pages"] and by_id["pages"][0]["title"] == "Masthead"
    by_slug = admin("get", "pages/slug/masthead/").json()["pages"][0]
    assert by_slug["id"] == first["id"] and by_slug["status"] == "published"


def test_unknown_pages_are_404(admin, make_story):
    story = make_story("A story, not a page")
    for path in ("pages/slug/nowhere/", f"pages/{story.pk:024x}/", "pages/not-an-id/"):
        response = admin("get", path)
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["message"] == "Resource not found error, cannot read page."


def test_posts_and_pages_stay_apart(admin, make_story):
    make_story("Only a story")
    add(admin, title="Only a page")
    assert [p["title"] for p in admin("get", "pages/").json()["pages"]] == ["Only a page"]
    assert [p["title"] for p in admin("get", "posts/").json()["posts"]] == ["Only a story"]


def test_a_page_keeps_an_uploaded_feature_image(admin, client, integration):
    uploaded = client.post(
        "/ghost/api/admin/images/upload/", {"file": png()}, HTTP_AUTHORIZATION=f"Ghost {token(integration)}"
    )
    url = uploaded.json()["images"][0]["url"]
    page = add(admin, title="Our office", feature_image=url, feature_image_alt="A red door")
    assert page["feature_image"] == url and page["feature_image_alt"] == "A red door"
    assert stored(page).get_latest_revision_as_object().feature_image_id is not None


def test_slugs_are_unique_and_clear_of_site_routes(admin, make_story):
    make_story("About")
    assert add(admin, title="About")["slug"] == "about-2"
    assert add(admin, title="Search")["slug"] == "search-page"


# ----- edit, publish, delete -----------------------------------------------------------------------


def test_editing_needs_the_last_updated_at_and_refuses_a_stale_one(admin):
    page = add(admin, title="Opening hours", html="<p>Nine to five.</p>", status="published")
    edited = edit(admin, page, html="<p>Ten to four.</p>", feature_image_alt="The front door")
    assert edited.status_code == 200, edited.content
    changed = edited.json()["pages"][0]
    assert "Ten to four." in changed["html"] and changed["updated_at"] != page["updated_at"]
    assert stored(page).plaintext == "Ten to four."
    stale = edit(admin, page, title="Someone else's title")
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["type"] == "UpdateCollisionError"
    assert stale.json()["errors"][0]["message"] == "Saving failed! Someone else is editing this page."
    missing = admin("put", f"pages/{page['id']}/", {"pages": [{"title": "No date"}]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["property"] == "updated_at"
    assert stored(page).title == "Opening hours"


def test_editing_a_draft_shows_the_new_text_before_it_is_published(admin):
    page = add(admin, title="Subscriptions", html="<p>Old prices.</p>")
    edited = edit(admin, page, html="<p>New prices from spring.</p>").json()["pages"][0]
    assert edited["status"] == "draft"
    assert edited["excerpt"] == "New prices from spring." and "New prices" in edited["html"]
    assert "Old prices." in str(stored(page).body)  # the live row waits for publication


def test_a_draft_page_is_published_then_unpublished(admin, api):
    page = add(admin, title="Letters", html="<p>Write to the editor.</p>")
    published = edit(admin, page, status="published").json()["pages"][0]
    assert published["status"] == "published" and published["published_at"]
    public = api("pages/slug/letters/").json()["pages"][0]
    assert "Write to the editor." in public["html"]
    unpublished = edit(admin, published, status="draft")
    assert unpublished.json()["pages"][0]["status"] == "draft"
    assert api("pages/").json()["pages"] == [] and not stored(page).live


def test_a_page_can_be_scheduled(admin):
    page = add(admin, title="Launch", status="scheduled", published_at="2099-05-01T10:00:00.000Z")
    assert page["status"] == "scheduled" and page["published_at"] == "2099-05-01T10:00:00.000Z"
    past = admin(
        "post", "pages/", {"pages": [{"title": "Late", "status": "scheduled", "published_at": "2001-01-01"}]}
    )
    assert past.status_code == 422 and past.json()["errors"][0]["property"] == "published_at"
    assert StandalonePage.objects.count() == 1


def test_it_deletes_a_page(admin):
    page = add(admin, title="Temporary notice")
    assert admin("delete", "pages/slug/temporary-notice/").status_code == 405
    response = admin("delete", f"pages/{page['id']}/")
    assert response.status_code == 204 and response.content == b""
    assert not StandalonePage.objects.exists()
    assert admin("get", f"pages/{page['id']}/").status_code == 404
    assert admin("delete", f"pages/{page['id']}/").status_code == 404


def test_page_webhooks_carry_the_admin_page(admin, integration, settings, django_capture_on_commit_callbacks):
    from byline.api.models import Webhook
    from byline.api.tests.test_webhooks import Receiver

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on loopback
    receiver = Receiver()
    try:
        Webhook.objects.create(integration=integration, event="page.published", target_url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            page = add(admin, title="Press releases", html="<p>Sent on request.</p>", status="published")
        [body] = receiver.events()
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
    current = body["page"]["current"]
    assert current["id"] == page["id"] and current["type"] == "page" and current["status"] == "published"
    assert current["updated_at"].endswith("Z")


# ----- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "prop"),
    [({"pages": [{}]}, "title"), ({"pages": [{"title": " "}]}, "title"),
     ({"pages": [{"title": "x" * 256}]}, "title"), ({"pages": [{"title": "Ok", "status": "sent"}]}, "status"),
     ({"pages": [{"title": "Ok", "tags": ["News"]}]}, "tags"),
     ({"pages": [{"title": "Ok", "authors": [{"slug": "someone"}]}]}, "authors"),
     ({"pages": [{"title": "Ok", "visibility": "members"}]}, "visibility"),
     ({"pages": [{"title": "Ok", "custom_excerpt": "Short."}]}, "custom_excerpt"),
     ({"pages": [{"title": "Ok", "lexical": "{}"}]}, "lexical"),
     ({"pages": [{"title": "Ok", "feature_image": "https://elsewhere.example/a.png"}]}, "feature_image"),
     ({"pages": [{"title": "Ok", "published_at": "tomorrow"}]}, "published_at")],
)  # fmt: skip
def test_bad_pages_are_refused_and_nothing_is_saved(admin, body, prop):
    response = admin("post", "pages/?source=html", body)
    assert response.status_code == 422, response.content
    error = response.json()["errors"][0]
    assert error["type"] == "ValidationError" and error["property"] == prop
    assert error["message"] == "Validation error, cannot save page."
    assert not StandalonePage.objects.exists()


@pytest.mark.parametrize("body", [{}, {"posts": [{"title": "Wrong key"}]}, {"pages": []}, "{not json"])
def test_malformed_bodies_are_400(admin, body):
    response = admin("post", "pages/", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["type"] == "BadRequestError"
    assert not StandalonePage.objects.exists()


def test_html_without_source_html_is_refused(admin):
    response = admin("post", "pages/", {"pages": [{"title": "Ok", "html": "<p>Body.</p>"}]})
    assert response.status_code == 422 and response.json()["errors"][0]["property"] == "html"
    assert not StandalonePage.objects.exists()


def test_a_bad_edit_changes_nothing(admin):
    page = add(admin, title="Ethics code", html="<p>Be fair.</p>", status="published")
    refused = edit(admin, page, title="Ethics code, revised", tags=["Policy"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["property"] == "tags"
    row = stored(page)
    assert row.title == "Ethics code" and not row.has_unpublished_changes
    assert admin("get", f"pages/{page['id']}/").json()["pages"][0]["updated_at"] == page["updated_at"]


def test_a_page_read_back_can_be_sent_back_unchanged(admin):
    """Clients edit by sending the object they read: the fields a page here cannot keep come back empty
    and must pass."""
    page = add(admin, title="Staff list", html="<p>Everyone here.</p>")
    echoed = {key: value for key, value in page.items() if key not in ("html", "id")}
    response = admin("put", f"pages/{page['id']}/", {"pages": [{**echoed, "title": "Our staff"}]})
    assert response.status_code == 200, response.content
    assert response.json()["pages"][0]["title"] == "Our staff"


def test_the_openapi_document_describes_every_field_of_an_admin_page(admin):
    from byline.api import openapi

    document = openapi.document("http://testserver")
    assert {"/ghost/api/admin/pages/", "/ghost/api/admin/pages/{id}/"} <= set(document["paths"])
    page = add(admin, title="Rights and permissions", html="<p>Ask first.</p>")
    described = document["components"]["schemas"]["AdminPage"]["properties"]
    assert set(page) - set(described) == set()


# ----- tokens --------------------------------------------------------------------------------------


def test_pages_need_a_valid_token(admin, integration):
    assert admin("get", "pages/", auth="").status_code == 403
    forged = f"Ghost {token(integration, secret='cd' * 32)}"
    wrong = admin("post", "pages/", {"pages": [{"title": "Sneaky"}]}, auth=forged)
    assert wrong.status_code == 401 and wrong.json()["errors"][0]["code"] == "INVALID_JWT"
    assert admin("delete", "pages/000000000000000000000001/", auth="Bearer nope").status_code == 401
    assert not StandalonePage.objects.exists()
