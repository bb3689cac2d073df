"""The Admin API: Ghost's token rules, and stories written through it."""

import io
import time

import jwt
import pytest
from PIL import Image as PILImage

from byline.api import services
from byline.stories.models import StoryPage, Tag


def token(integration, *, audience="/admin/", issued=None, lifetime=300, secret=None, kid=None, alg="HS256"):
    issued = int(time.time()) if issued is None else issued
    key = bytes.fromhex(secret or integration.admin_secret)
    claims = {"iat": issued, "exp": issued + lifetime, "aud": audience}
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid or integration.admin_key_id})


def undated(integration):
    """A correctly signed token without iat and exp."""
    key = bytes.fromhex(integration.admin_secret)
    return jwt.encode({"aud": "/admin/"}, key, algorithm="HS256", headers={"kid": integration.admin_key_id})


@pytest.fixture
def admin(client, integration):
    """Call the Admin API as the integration: `admin("post", "posts/", {"posts": [...]})`."""

    def call(method, path, data=None, *, auth=None, **extra):
        auth = auth if auth is not None else f"Ghost {token(integration)}"
        headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
        url = f"/ghost/api/admin/{path}"
        if method in ("get", "delete"):
            return getattr(client, method)(url, data, **headers, **extra)
        if "format" not in extra:
            return getattr(client, method)(url, data, content_type="application/json", **headers)
        return client.post(url, data, **headers)

    return call


@pytest.fixture
def writer(make_author):
    return make_author("Staff Writer")


def add(admin, **fields):
    response = admin("post", "posts/?source=html", {"posts": [fields]})
    assert response.status_code == 201, response.content
    return response.json()["posts"][0]


# ----- tokens --------------------------------------------------------------------------------------


def test_without_a_token_it_is_403(admin):
    assert admin("get", "posts/", auth="").status_code == 403


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda i: "Bearer abc", "INVALID_AUTH_HEADER"),
        (lambda i: "Ghost not-a-jwt", "INVALID_JWT"),
        (lambda i: f"Ghost {token(i, kid='f' * 24)}", "UNKNOWN_ADMIN_API_KEY"),
        (lambda i: f"Ghost {token(i, secret='ab' * 32)}", "INVALID_JWT"),
        (lambda i: f"Ghost {token(i, audience='/content/')}", "INVALID_JWT"),
        (lambda i: f"Ghost {token(i, issued=int(time.time()) - 400)}", "INVALID_JWT"),
        (lambda i: f"Ghost {token(i, lifetime=3600)}", "INVALID_JWT"),
        (lambda i: f"Ghost {token(i, alg='HS512')}", "INVALID_JWT"),
        (lambda i: f"Ghost {undated(i)}", "INVALID_JWT"),
    ],
)  # fmt: skip
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_bad_tokens_are_401_with_a_reason(admin, integration, make, code):
    response = admin("get", "posts/", auth=make(integration))
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == code


def test_a_fresh_token_for_a_legacy_audience_is_accepted(admin, integration):
    assert (
        admin("get", "posts/", auth=f"Ghost {token(integration, audience='/v4/admin/')}").status_code == 200
    )


def test_a_content_key_opens_nothing_in_the_admin_api(client, integration):
    response = client.get(f"/ghost/api/admin/posts/?key={integration.content_key}")
    assert response.status_code == 403


# ----- stories -------------------------------------------------------------------------------------


def test_it_adds_a_draft_from_html(admin, writer):
    html = (
        "<p>The council <strong>met</strong>.</p><hr><pre><code class='language-py'>x = 1</code></pre>"
        "<div class='kg-card'>Chart</div><!--members-only--><p>After.</p>"
    )
    post = add(admin, title="Budget night", html=html)
    assert post["status"] == "draft"
    story = StoryPage.objects.get(slug="budget-night")
    assert not story.live
    draft = story.get_latest_revision_as_object()
    assert [block.block_type for block in draft.body] == [
        "rich_text",
        "divider",
        "code",
        "html",
        "html",
        "rich_text",
    ]
    assert post["authors"][0]["slug"] == "staff-writer"
    assert "<b>met</b>" in post["html"]
    assert admin("get", "posts/").json()["meta"]["pagination"]["total"] == 1


def test_the_content_api_does_not_show_drafts(admin, api, writer):
    add(admin, title="Secret draft", html="<p>Shh.</p>")
    assert api("posts/").json()["posts"] == []


def test_it_publishes_with_tags_and_authors_created_when_missing(admin, api, writer):
    post = add(
        admin,
        title="Harbour reopens",
        html="<p>Boats are back.</p>",
        status="published",
        tags=["Harbour", {"name": "#desk"}, {"slug": "harbour"}],
        authors=[{"name": "New Stringer"}, {"slug": "staff-writer"}],
    )
    assert post["status"] == "published"
    assert [tag["name"] for tag in post["tags"]] == ["Harbour", "#desk"]
    assert [author["name"] for author in post["authors"]] == ["New Stringer", "Staff Writer"]
    public = api("posts/slug/harbour-reopens/", include="tags").json()["posts"][0]
    assert "Boats are back." in public["html"] and public["primary_tag"]["slug"] == "harbour"


def test_editing_needs_the_last_updated_at_and_refuses_a_stale_one(admin, writer):
    post = add(admin, title="Ferry timetable", html="<p>Old times.</p>", status="published")
    edited = admin(
        "put",
        f"posts/{post['id']}/?source=html",
        {"posts": [{"html": "<p>New times.</p>", "updated_at": post["updated_at"]}]},
    )
    assert edited.status_code == 200, edited.content
    assert "New times." in edited.json()["posts"][0]["html"]
    stale = admin(
        "put", f"posts/{post['id']}/", {"posts": [{"title": "Mine", "updated_at": post["updated_at"]}]}
    )
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["type"] == "UpdateCollisionError"
    missing = admin("put", f"posts/{post['id']}/", {"posts": [{"title": "Mine"}]})
    assert missing.status_code == 422
    assert StoryPage.objects.get(pk=services.serializers.parse_id(post["id"])).title == "Ferry timetable"


def test_a_draft_can_be_published_then_unpublished(admin, api, writer):
    post = add(admin, title="Tides", html="<p>High at noon.</p>")
    published = admin(
        "put", f"posts/{post['id']}/", {"posts": [{"status": "published", "updated_at": post["updated_at"]}]}
    ).json()["posts"][0]
    assert published["status"] == "published" and len(api("posts/").json()["posts"]) == 1
    admin(
        "put", f"posts/{post['id']}/", {"posts": [{"status": "draft", "updated_at": published["updated_at"]}]}
    )
    assert api("posts/").json()["posts"] == []


def test_it_schedules_a_story_for_later(admin, writer):
    post = add(
        admin,
        title="Election results",
        html="<p>Soon.</p>",
        status="scheduled",
        published_at="2099-01-01T08:00:00.000Z",
    )
    assert post["status"] == "scheduled"
    assert post["published_at"] == "2099-01-01T08:00:00.000Z"
    refused = admin(
        "post",
        "posts/",
        {"posts": [{"title": "Past", "status": "scheduled", "published_at": "2000-01-01T00:00:00Z"}]},
    )
    assert refused.status_code == 422
    retitled = admin(
        "put", f"posts/{post['id']}/", {"posts": [{"title": "Results", "updated_at": post["updated_at"]}]}
    )
    assert retitled.status_code == 200, retitled.content
    assert retitled.json()["posts"][0]["status"] == "scheduled"
    assert retitled.json()["posts"][0]["published_at"] == "2099-01-01T08:00:00.000Z"


def test_it_deletes_a_story(admin, writer):
    post = add(admin, title="Mistake", html="<p>Oops.</p>")
    assert admin("delete", f"posts/{post['id']}/").status_code == 204
    assert admin("get", f"posts/{post['id']}/").status_code == 404
    assert admin("delete", f"posts/{post['id']}/").status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"posts": []}, {"posts": [{}]}, {"posts": [{"title": ""}]}, {"posts": [{"title": "x" * 300}]},
     {"posts": [{"title": "Ok", "status": "sent"}]}, {"posts": [{"title": "Ok", "featured": "yes"}]},
     {"posts": [{"title": "Ok", "tags": "news"}]}, {"posts": [{"title": "Ok", "tags": [{"id": "nope"}]}]},
     {"posts": [{"title": "Ok", "feature_image": "https://elsewhere.example/a.png"}]},
     {"posts": [{"title": "Ok", "html": "<p>x</p>"}]}, {"posts": [{"title": "Ok", "published_at": "soon"}]}],
)  # fmt: skip
def test_bad_posts_are_refused_and_nothing_is_saved(admin, writer, body):
    response = admin("post", "posts/", body)
    assert response.status_code in (400, 422), response.content
    assert response.json()["errors"][0]["type"] in ("BadRequestError", "ValidationError")
    assert not StoryPage.objects.exists()


def test_a_body_that_is_not_json_is_a_400(admin):
    assert admin("post", "posts/", "{not json").status_code == 400


def test_slugs_stay_unique_and_clear_of_site_routes(admin, writer):
    assert add(admin, title="Same")["slug"] == "same"
    assert add(admin, title="Same")["slug"] == "same-2"
    assert add(admin, title="Tag", slug="tag")["slug"] == "tag-story"


# ----- images and tags -----------------------------------------------------------------------------


def png() -> io.BytesIO:
    data = io.BytesIO()
    PILImage.new("RGB", (40, 30), (200, 30, 30)).save(data, format="PNG")
    data.seek(0)
    data.name = "harbour.png"
    return data


def test_it_uploads_an_image_and_a_post_can_use_it(admin, writer):
    response = admin("post", "images/upload/", {"file": png(), "ref": "harbour-1"}, format="multipart")
    assert response.status_code == 201, response.content
    image = response.json()["images"][0]
    assert image["ref"] == "harbour-1" and image["url"].startswith("http://testserver/media/original_images/")
    post = add(
        admin,
        title="Pictured",
        html=f'<figure><img src="{image["url"]}" alt="A red square"><figcaption>Red.</figcaption></figure>',
        feature_image=image["url"],
    )
    assert post["feature_image"] == image["url"]
    body = StoryPage.objects.get(slug="pictured").get_latest_revision_as_object().body
    assert body[0].block_type == "image" and body[0].value["alt"] == "A red square"


def test_it_refuses_what_is_not_an_image(admin):
    fake = io.BytesIO(b"<?php echo 1; ?>")
    fake.name = "evil.png"
    assert admin("post", "images/upload/", {"file": fake}, format="multipart").status_code == 415
    assert admin("post", "images/upload/", {}, format="multipart").status_code == 422


def test_it_adds_a_tag_once(admin):
    response = admin("post", "tags/", {"tags": [{"name": "Weather", "description": "Rain and shine."}]})
    assert response.status_code == 201
    assert response.json()["tags"][0]["slug"] == "weather"
    assert admin("post", "tags/", {"tags": [{"name": "weather"}]}).status_code == 422
    assert Tag.objects.count() == 1


# ----- members -------------------------------------------------------------------------------------


def test_it_adds_browses_edits_and_deletes_members(admin):
    from byline.members.models import Member
    from byline.newsletters.models import Newsletter

    Newsletter.objects.create(name="Daily", slug="daily")
    Newsletter.objects.create(name="Weekly", slug="weekly", subscribe_on_signup=False)
    created = admin(
        "post",
        "members/",
        {"members": [{"email": " Reader@Example.com", "name": "Rea Der", "labels": ["VIP"]}]},
    )
    assert created.status_code == 201, created.content
    member = created.json()["members"][0]
    assert member["email"] == "reader@example.com"
    assert [n["name"] for n in member["newsletters"]] == ["Daily"]
    assert [label["name"] for label in member["labels"]] == ["VIP"]
    again = admin("post", "members/", {"members": [{"email": "reader@example.com"}]})
    assert again.status_code == 422
    bad = admin("post", "members/", {"members": [{"email": "not an address"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["property"] == "email"
    admin(
        "post",
        "members/",
        {"members": [{"email": "second@example.com", "newsletters": [{"slug": "weekly"}]}]},
    )
    browsed = admin("get", "members/", {"filter": "label:vip"}).json()
    assert [m["email"] for m in browsed["members"]] == ["reader@example.com"]
    assert admin("get", "members/").json()["meta"]["pagination"]["total"] == 2
    edited = admin(
        "put", f"members/{member['id']}/", {"members": [{"name": "Rea Der-Two", "newsletters": ["weekly"]}]}
    )
    assert edited.json()["members"][0]["name"] == "Rea Der-Two"
    assert [n["name"] for n in edited.json()["members"][0]["newsletters"]] == ["Weekly"]
    assert admin("delete", f"members/{member['id']}/").status_code == 204
    assert not Member.objects.filter(email="reader@example.com").exists()
    assert admin("get", f"members/{member['id']}/").status_code == 404


def test_publishing_with_a_newsletter_creates_its_send_once(admin, writer):
    from byline.newsletters.models import Email, Newsletter

    Newsletter.objects.create(name="Daily", slug="daily")
    post = add(admin, title="Emailed", html="<p>To your inbox.</p>")
    published = admin(
        "put",
        f"posts/{post['id']}/?newsletter=daily&email_segment=all",
        {"posts": [{"status": "published", "updated_at": post["updated_at"]}]},
    )
    assert published.status_code == 200, published.content
    story = StoryPage.objects.get(slug="emailed")
    assert Email.objects.filter(story_id=story.pk, newsletter__slug="daily").count() == 1
    unknown = admin("post", "posts/?newsletter=nope", {"posts": [{"title": "Other", "status": "published"}]})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["property"] == "newsletter"
    segment = admin(
        "post", "posts/?newsletter=daily&email_segment=status:paid", {"posts": [{"title": "Paid"}]}
    )
    assert segment.status_code == 422


def test_tags_are_browsed_read_edited_and_deleted(admin, make_story, make_tag):
    busy = make_tag("Busy")
    make_story("Tagged", tags=[busy, make_tag("Spare")])
    listed = admin("get", "tags/", {"include": "count.posts", "filter": "slug:busy"}).json()
    assert [(t["slug"], t["count"]["posts"]) for t in listed["tags"]] == [("busy", 1)]
    tag_id = listed["tags"][0]["id"]
    assert admin("get", "tags/slug/busy/").json()["tags"][0]["id"] == tag_id
    edited = admin("put", f"tags/{tag_id}/", {"tags": [{"name": "Very Busy", "accent_color": "#112233"}]})
    assert (
        edited.json()["tags"][0]["name"] == "Very Busy"
        and edited.json()["tags"][0]["accent_color"] == "#112233"
    )
    assert admin("put", f"tags/{tag_id}/", {"tags": [{"name": "Spare"}]}).status_code == 422
    assert admin("put", f"tags/{tag_id}/", {"tags": [{"accent_color": "red"}]}).status_code == 422
    assert admin("delete", "tags/slug/busy/").status_code == 405
    assert admin("delete", f"tags/{tag_id}/").status_code == 204
    assert admin("get", f"tags/{tag_id}/").status_code == 404
    assert StoryPage.objects.get(slug="tagged").tags[0].name == "Spare"


def test_a_body_sent_only_as_lexical_is_refused_not_dropped(admin, writer):
    lexical = '{"root":{"children":[],"type":"root","version":1}}'
    refused = admin("post", "posts/", {"posts": [{"title": "Lexical only", "lexical": lexical}]})
    assert refused.status_code == 422
    assert "lexical and mobiledoc are not read" in refused.json()["errors"][0]["context"]
    assert not StoryPage.objects.filter(title="Lexical only").exists()
    # Sent back as read (lexical empty), or with html beside it, a post is fine.
    post = add(admin, title="Both", html="<p>Read this.</p>", lexical=lexical)
    assert "Read this." in StoryPage.objects.get(slug="both").get_latest_revision_as_object().plaintext
    assert post["title"] == "Both"
