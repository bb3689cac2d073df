"""Sign-up by magic link, end to end through a real SMTP server."""

from datetime import timedelta

import pytest
from django.utils import timezone

from byline.lib.smtp_sink import text_of
from byline.lib.tokens import token_hash
from byline.members.models import Member, SignInToken
from byline.members.tests.conftest import link_in, token_of
from byline.newsletters.models import Newsletter

pytestmark = pytest.mark.django_db

SEND = "/members/api/send-magic-link/"


@pytest.fixture
def newsletters(db):
    return {
        "daily": Newsletter.objects.create(name="Daily", slug="daily", subscribe_on_signup=True),
        "weekly": Newsletter.objects.create(name="Weekly", slug="weekly", subscribe_on_signup=True),
        "special": Newsletter.objects.create(name="Special", slug="special", subscribe_on_signup=False),
        "old": Newsletter.objects.create(
            name="Old", slug="old", subscribe_on_signup=True, status=Newsletter.ARCHIVED
        ),
    }


def ask(client, email, email_type="signup", **extra):
    return client.post(
        SEND, {"email": email, "emailType": email_type, **extra}, content_type="application/json"
    )


def test_it_signs_up_confirms_and_signs_in(client, smtp, newsletters):
    response = ask(client, "Reader@Example.com", name="Ada  Lovelace\x07")
    assert response.status_code == 201
    assert response.json()["sent"] is True
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received["to"] == ["reader@example.com"]
    assert "Confirm your subscription" in received["message"]["Subject"]
    assert "15 minutes" in text_of(received["message"])

    link = link_in(received["message"])
    page = client.get(link)
    assert page.status_code == 200
    assert b"Confirm" in page.content
    # Opening the link (what a mail scanner does) neither creates the member nor spends the link.
    assert not Member.objects.exists()
    assert SignInToken.objects.get().used_at is None
    assert client.get("/members/api/member/").status_code == 204

    done = client.post("/members/", {"token": token_of(link)})
    assert done.status_code == 302
    assert done["Location"] == "/account/welcome/"
    member = Member.objects.get()
    assert member.email == "reader@example.com"
    assert member.name == "Ada Lovelace"
    assert set(member.newsletters.values_list("slug", flat=True)) == {"daily", "weekly"}

    me = client.get("/members/api/member/")
    assert me.status_code == 200
    assert "no-store" in me["Cache-Control"] and "private" in me["Cache-Control"]
    body = me.json()
    assert body["email"] == "reader@example.com"
    assert body["name"] == "Ada Lovelace"
    assert body["uuid"] == str(member.uuid)
    assert body["initials"] == "AL"
    assert {item["slug"] for item in body["newsletters"]} == {"daily", "weekly"}


def test_chosen_newsletters_replace_the_signup_defaults(client, smtp, newsletters):
    ask(client, "chooser@example.com", newsletters=["special"])
    link = link_in(smtp.messages[0]["message"])
    client.post("/members/", {"token": token_of(link)})
    member = Member.objects.get()
    assert list(member.newsletters.values_list("slug", flat=True)) == ["special"]


def test_the_form_post_works_without_javascript(client, smtp, newsletters):
    client.get("/")  # the CSRF cookie a real form page would set
    response = client.post(SEND, {"email": "form@example.com", "redirect": "/some-story/"})
    assert response.status_code == 201
    assert b"Check your inbox" in response.content
    link = link_in(smtp.messages[0]["message"])
    done = client.post("/members/", {"token": token_of(link)})
    assert done["Location"] == "/account/welcome/?next=%2Fsome-story%2F"


def test_asking_for_a_link_needs_no_csrf_token_so_pages_stay_cookie_free(smtp, newsletters):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post(SEND, {"email": "form@example.com"}).status_code == 201
    assert [item["to"] for item in smtp.messages] == [["form@example.com"]]


def test_form_posts_from_another_site_are_refused(smtp, newsletters):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(SEND, {"email": "form@example.com"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert smtp.messages == []


def test_json_posts_from_another_site_are_refused(client, smtp):
    response = client.post(
        SEND,
        {"email": "x@example.com"},
        content_type="application/json",
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert smtp.messages == []


def test_it_never_redirects_off_site(client, smtp, newsletters):
    ask(client, "away@example.com", redirect="https://evil.example/phish")
    link = link_in(smtp.messages[0]["message"])
    assert client.post("/members/", {"token": token_of(link)})["Location"] == "/account/welcome/"


def test_a_reused_link_is_refused(client, smtp, newsletters):
    ask(client, "again@example.com")
    link = link_in(smtp.messages[0]["message"])
    assert client.post("/members/", {"token": token_of(link)}).status_code == 302
    other = client.__class__()
    again = other.post("/members/", {"token": token_of(link)})
    assert again.status_code == 400
    assert b"already been used" in again.content
    assert other.get("/members/api/member/").status_code == 204
    assert b"already been used" in other.get(link).content


def test_an_expired_link_is_refused(client, smtp, newsletters):
    ask(client, "late@example.com")
    link = link_in(smtp.messages[0]["message"])
    SignInToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert b"expired" in client.get(link).content
    response = client.post("/members/", {"token": token_of(link)})
    assert response.status_code == 400
    assert b"expired" in response.content
    assert not Member.objects.exists()
    assert client.get("/members/api/member/").status_code == 204


def test_an_unknown_link_is_refused(client, db):
    response = client.post("/members/", {"token": "not-a-real-token"})
    assert response.status_code == 400
    assert b"not valid" in response.content
    assert client.get("/members/?token=nope").status_code == 400
    assert client.get("/members/").status_code == 400


def test_only_the_hash_of_the_token_is_stored(client, smtp, newsletters):
    ask(client, "hash@example.com")
    token = token_of(link_in(smtp.messages[0]["message"]))
    row = SignInToken.objects.get()
    assert row.token_hash == token_hash(token)
    assert token not in str(row.__dict__)


def test_a_link_for_another_email_cannot_change_who_you_are(client, smtp, newsletters):
    ask(client, "alice@example.com")
    alice_link = link_in(smtp.messages[0]["message"])
    # The address posted beside the token is ignored: a link signs in only the address it was sent to.
    client.post("/members/", {"token": token_of(alice_link), "email": "mallory@example.com"})
    assert client.get("/members/api/member/").json()["email"] == "alice@example.com"
    assert list(Member.objects.values_list("email", flat=True)) == ["alice@example.com"]
    assert SignInToken.objects.get().email == "alice@example.com"


def test_mixed_case_addresses_are_one_member(client, smtp, newsletters):
    for address in ("Mixed@Example.com", "MIXED@example.COM", "mixed@example.com"):
        ask(client, address)
    assert [item["to"] for item in smtp.messages] == [["mixed@example.com"]] * 3
    first = link_in(smtp.messages[0]["message"])
    client.post("/members/", {"token": token_of(first)})
    # The later sign-up requests found no member yet; confirming them finds the one just made.
    for received in smtp.messages[1:]:
        assert client.post("/members/", {"token": token_of(link_in(received["message"]))}).status_code == 302
    assert Member.objects.count() == 1


def test_redeeming_a_link_needs_the_csrf_token(smtp, newsletters):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    response = client.post(SEND, {"email": "csrf@example.com"})
    assert response.status_code == 201
    token = token_of(link_in(smtp.messages[0]["message"]))
    assert client.post("/members/", {"token": token}, headers={"X-CSRFToken": "b" * 32}).status_code == 403
    assert not Member.objects.exists()
    assert client.post("/members/", {"token": token, "csrfmiddlewaretoken": "a" * 32}).status_code == 302
    assert Member.objects.get().email == "csrf@example.com"


def test_a_new_member_lands_on_a_welcome_page_that_leads_back_to_their_story(client, smtp, newsletters):
    ask(client, "newcomer@example.com", name="Nell Newcomer", redirect="/some-story/")
    done = client.post("/members/", {"token": token_of(link_in(smtp.messages[0]["message"]))})
    welcome = client.get(done["Location"])
    assert welcome.status_code == 200
    assert "no-store" in welcome["Cache-Control"]
    html = welcome.content.decode()
    assert "Welcome, Nell Newcomer!" in html
    assert "newcomer@example.com" in html
    assert "<strong>Daily</strong>" in html and "<strong>Weekly</strong>" in html
    assert "Special" not in html
    assert 'href="/some-story/">Continue reading' in html


def test_the_welcome_page_ignores_an_off_site_next_and_needs_a_member(client, smtp, newsletters):
    assert client.get("/account/welcome/")["Location"] == "/account/"
    ask(client, "careful@example.com")
    client.post("/members/", {"token": token_of(link_in(smtp.messages[0]["message"]))})
    html = client.get("/account/welcome/?next=https://evil.example/").content.decode()
    assert "evil.example" not in html
    assert 'href="/">Start reading' in html


def test_signing_in_goes_straight_back_without_the_welcome_page(client, smtp, newsletters):
    Member.objects.create(email="regular@example.com")
    ask(client, "regular@example.com", email_type="signin", redirect="/some-story/")
    done = client.post("/members/", {"token": token_of(link_in(smtp.messages[0]["message"]))})
    assert done["Location"] == "/some-story/"
