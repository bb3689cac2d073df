"""Member sessions: sign in, sign out, sign out everywhere."""

import pytest
from django.test import Client

from byline.members import services
from byline.members.models import Member
from byline.members.tests.conftest import link_in, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    return Member.objects.create(email="reader@example.com", name="Reader")


def sign_in_by_link(client, smtp, email="reader@example.com"):
    client.post(
        "/members/api/send-magic-link/",
        {"email": email, "emailType": "signin"},
        content_type="application/json",
    )
    link = link_in(smtp.messages[-1]["message"])
    assert client.post("/members/", {"token": token_of(link)}).status_code == 302


def test_signing_in_starts_a_new_session(client, smtp, member):
    session = client.session  # a session that exists before sign-in
    session["probe"] = 1
    session.save()
    before = session.session_key
    sign_in_by_link(client, smtp)
    assert client.session.session_key != before
    assert client.session[services.SESSION_MEMBER_KEY] == member.pk


def test_the_session_cookie_is_httponly_and_samesite(client, smtp, member):
    client.post(
        "/members/api/send-magic-link/", {"email": "reader@example.com"}, content_type="application/json"
    )
    response = client.post("/members/", {"token": token_of(link_in(smtp.messages[-1]["message"]))})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_signing_out(client, smtp, member):
    sign_in_by_link(client, smtp)
    assert client.get("/members/api/member/").status_code == 200
    response = client.delete("/members/api/session/")
    assert response.status_code == 204
    assert client.get("/members/api/member/").status_code == 204


def test_sign_out_refuses_other_sites(client, smtp, member):
    sign_in_by_link(client, smtp)
    response = client.delete("/members/api/session/", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.get("/members/api/member/").status_code == 200


def test_sign_out_everywhere_ends_every_session(smtp, member):
    phone, laptop = Client(), Client()
    sign_in_by_link(phone, smtp)
    sign_in_by_link(laptop, smtp)
    assert laptop.get("/members/api/member/").status_code == 200
    services.sign_out_everywhere(member)
    assert phone.get("/members/api/member/").status_code == 204
    assert laptop.get("/members/api/member/").status_code == 204
    sign_in_by_link(phone, smtp)  # a new sign-in works under the new generation
    assert phone.get("/members/api/member/").status_code == 200


def test_a_deleted_member_is_signed_out(client, smtp, member):
    sign_in_by_link(client, smtp)
    member.delete()
    assert client.get("/members/api/member/").status_code == 204


def test_the_member_endpoint_is_never_cached(client, db):
    response = client.get("/members/api/member/")
    assert response.status_code == 204
    assert "no-store" in response["Cache-Control"]
    assert client.post("/members/api/member/").status_code == 405
