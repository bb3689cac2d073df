"""Sign-in by magic link, and what the send endpoint tells (or does not tell) a stranger."""

import pytest

from byline.lib.smtp_sink import text_of
from byline.members.models import Member, SignInToken
from byline.members.tests.conftest import link_in, token_of
from byline.newsletters.models import Newsletter

pytestmark = pytest.mark.django_db

SEND = "/members/api/send-magic-link/"


@pytest.fixture
def member(db):
    return Member.objects.create(email="known@example.com", name="Known Reader")


def ask(client, email, email_type="signin", **extra):
    return client.post(
        SEND, {"email": email, "emailType": email_type, **extra}, content_type="application/json"
    )


def test_it_signs_in_an_existing_member(client, smtp, member):
    assert ask(client, "Known@Example.com").status_code == 201
    received = smtp.messages[0]
    assert received["to"] == ["known@example.com"]
    assert "Sign in" in received["message"]["Subject"]
    link = link_in(received["message"])
    assert b"Sign in" in client.get(link).content
    assert client.post("/members/", {"token": token_of(link)}).status_code == 302
    assert client.get("/members/api/member/").json()["uuid"] == str(member.uuid)
    assert Member.objects.count() == 1


def test_signing_up_again_with_a_known_address_sends_a_sign_in_link(client, smtp, member):
    Newsletter.objects.create(name="Daily", slug="daily", subscribe_on_signup=True)
    ask(client, "known@example.com", email_type="signup")
    assert "Sign in" in smtp.messages[0]["message"]["Subject"]
    assert SignInToken.objects.get().purpose == SignInToken.SIGNIN
    client.post("/members/", {"token": token_of(link_in(smtp.messages[0]["message"]))})
    member.refresh_from_db()
    assert member.newsletters.count() == 0  # defaults are for new members only


def test_signing_in_with_an_unknown_address_emails_a_sign_up_offer(client, smtp, db):
    assert ask(client, "stranger@example.com").status_code == 201
    message = smtp.messages[0]["message"]
    assert "No account" in message["Subject"]
    assert "no account" in text_of(message)
    assert not Member.objects.exists()
    client.post("/members/", {"token": token_of(link_in(message))})
    assert Member.objects.get().email == "stranger@example.com"


def test_the_response_is_the_same_for_known_and_unknown_addresses(client, smtp, member):
    for email_type in ("signin", "signup"):
        known = ask(client, "known@example.com", email_type=email_type)
        unknown = ask(client, "unknown@example.com", email_type=email_type)
        assert known.status_code == unknown.status_code == 201
        assert known.content == unknown.content
        assert known["Content-Type"] == unknown["Content-Type"]
        assert sorted(known.headers) == sorted(unknown.headers)
    assert len(smtp.messages) == 4


def test_a_sign_in_link_never_creates_an_account(client, smtp, member):
    ask(client, "known@example.com")
    member.delete()
    response = client.post("/members/", {"token": token_of(link_in(smtp.messages[0]["message"]))})
    assert response.status_code == 400
    assert not Member.objects.exists()
