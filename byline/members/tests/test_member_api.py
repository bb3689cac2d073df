"""PUT /members/api/member/: the signed-in member changes their name and newsletters."""

import pytest
from django.test import Client

from byline.members import services
from byline.members.models import Member
from byline.members.tests.conftest import sign_in_client
from byline.newsletters.models import Newsletter

pytestmark = pytest.mark.django_db

URL = "/members/api/member/"


@pytest.fixture
def newsletters(db):
    return {
        "daily": Newsletter.objects.create(name="Daily", slug="daily"),
        "weekly": Newsletter.objects.create(name="Weekly", slug="weekly"),
        "old": Newsletter.objects.create(name="Old", slug="old", status=Newsletter.ARCHIVED),
    }


@pytest.fixture
def member(db, newsletters):
    member = Member.objects.create(email="reader@example.com", name="Reader")
    member.newsletters.add(newsletters["daily"], newsletters["old"])
    return member


@pytest.fixture
def signed_in(client, member):
    return sign_in_client(client, member)


def put(client, data, **headers):
    return client.put(URL, data, content_type="application/json", headers=headers)


def test_put_updates_the_name_and_newsletters(signed_in, member, newsletters):
    response = put(signed_in, {"name": "Ada\x07 Lovelace", "newsletters": ["weekly"]})
    assert response.status_code == 200
    assert response.json()["name"] == "Ada Lovelace"
    assert [item["slug"] for item in response.json()["newsletters"]] == ["old", "weekly"]
    member.refresh_from_db()
    assert member.name == "Ada Lovelace"
    # Archived subscriptions are not the member's to change here; active ones are set exactly.
    assert set(member.newsletters.values_list("slug", flat=True)) == {"weekly", "old"}
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


def test_put_accepts_ghost_newsletter_objects(signed_in, member, newsletters):
    body = {"newsletters": [{"id": str(newsletters["weekly"].uuid)}, {"name": "daily"}, {"slug": "weekly"}]}
    assert put(signed_in, body).status_code == 200
    assert set(member.newsletters.values_list("slug", flat=True)) == {"daily", "weekly", "old"}


def test_put_with_only_a_name_leaves_newsletters_alone(signed_in, member):
    assert put(signed_in, {"name": "New"}).status_code == 200
    assert set(member.newsletters.values_list("slug", flat=True)) == {"daily", "old"}


def test_put_with_an_empty_list_unsubscribes_from_every_active_newsletter(signed_in, member):
    assert put(signed_in, {"newsletters": []}).status_code == 200
    assert list(member.newsletters.values_list("slug", flat=True)) == ["old"]


def test_put_is_401_when_signed_out(client, member):
    response = put(client, {"name": "Mallory"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["type"] == "unauthorized"
    member.refresh_from_db()
    assert member.name == "Reader"


@pytest.mark.parametrize(
    "body",
    [
        {"newsletters": ["nope"]},
        {"newsletters": ["old"]},  # archived: not subscribable
        {"newsletters": "daily"},
        {"newsletters": [{"id": "not-a-uuid"}]},
        {"name": 42},
        {"name": "x" * 192},
        ["not", "an", "object"],
    ],
)
def test_put_refuses_invalid_input_with_400(signed_in, member, body):
    response = put(signed_in, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]
    member.refresh_from_db()
    assert member.name == "Reader"
    assert set(member.newsletters.values_list("slug", flat=True)) == {"daily", "old"}


def test_put_refuses_bad_json(signed_in):
    response = signed_in.put(URL, "{nope", content_type="application/json")
    assert response.status_code == 400


def test_put_refuses_other_sites(signed_in, member):
    response = put(signed_in, {"name": "Evil"}, Origin="https://evil.example")
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.name == "Reader"


def test_a_form_put_needs_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session[services.SESSION_MEMBER_KEY] = member.pk
    session.save()
    response = client.put(URL, "name=Evil", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403
