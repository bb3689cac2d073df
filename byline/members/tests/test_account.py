"""The /account/ page: profile, newsletters, email change (real SMTP), sign out, delete."""

import pytest
from django.test import Client

from byline.lib.smtp_sink import text_of
from byline.lib.tokens import token_hash
from byline.members import services
from byline.members.models import Member, SignInToken
from byline.members.tests.conftest import link_in, sign_in_client, token_of
from byline.newsletters.models import Newsletter

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsletters(db):
    return {
        "daily": Newsletter.objects.create(name="Daily", slug="daily"),
        "weekly": Newsletter.objects.create(name="Weekly", slug="weekly"),
    }


@pytest.fixture
def member(db, newsletters):
    member = Member.objects.create(email="reader@example.com", name="Reader")
    member.newsletters.add(newsletters["daily"])
    return member


def sign_in(client, member):
    return sign_in_client(client, member)


def csrf_client(member=None) -> tuple[Client, str]:
    """A client that enforces CSRF, signed in, with the token the account page gave it."""
    client = Client(enforce_csrf_checks=True)
    if member is not None:
        sign_in(client, member)
    assert client.get("/account/").status_code == 200
    return client, client.cookies["csrftoken"].value


def test_signed_out_the_page_offers_to_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sign in to your account" in body
    assert 'action="/members/api/send-magic-link/"' in body
    assert 'href="/#subscribe"' in body
    assert "no-store" in response["Cache-Control"]


def test_the_sign_in_form_sends_a_link_back_to_the_account(client, smtp, member):
    response = client.post(
        "/members/api/send-magic-link/",
        {"email": "reader@example.com", "emailType": "signin", "redirect": "/account/"},
    )
    assert response.status_code == 201
    response = client.post("/members/", {"token": token_of(link_in(smtp.messages[-1]["message"]))})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert "reader@example.com" in client.get("/account/").content.decode()


def test_signed_in_the_page_shows_the_forms(client, member):
    body = sign_in(client, member).get("/account/").content.decode()
    assert 'value="Reader"' in body
    assert "reader@example.com" in body
    assert 'value="daily" checked' in body
    assert 'value="weekly">' in body
    for action in (
        "/account/email/",
        "/account/sign-out/",
        "/account/sign-out-everywhere/",
        "/account/delete/",
    ):
        assert f'action="{action}"' in body
    assert body.count("csrfmiddlewaretoken") == 5


def test_saving_the_name_and_newsletters(member):
    client, token = csrf_client(member)
    response = client.post(
        "/account/", {"name": "Ada Lovelace", "newsletters": ["weekly"], "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/?done=saved"
    member.refresh_from_db()
    assert member.name == "Ada Lovelace"
    assert list(member.newsletters.values_list("slug", flat=True)) == ["weekly"]
    assert "Your changes are saved." in client.get(response["Location"]).content.decode()


def test_unticking_every_newsletter_unsubscribes_from_all(member):
    client, token = csrf_client(member)
    client.post("/account/", {"name": "Reader", "csrfmiddlewaretoken": token})
    assert member.newsletters.count() == 0


def test_an_unknown_newsletter_is_refused(member):
    client, token = csrf_client(member)
    response = client.post("/account/", {"name": "X", "newsletters": ["nope"], "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.name == "Reader"


@pytest.mark.parametrize(
    "path, data",
    [
        ("/account/", {"name": "Evil", "newsletters": []}),
        ("/account/email/", {"email": "evil@example.com"}),
        ("/account/sign-out/", {}),
        ("/account/sign-out-everywhere/", {}),
        ("/account/delete/", {"confirm": "yes"}),
    ],
)
def test_account_forms_need_the_csrf_token(smtp, member, path, data):
    client, _ = csrf_client(member)
    assert client.post(path, data).status_code == 403
    member.refresh_from_db()
    assert member.name == "Reader"
    assert member.session_generation == 0
    assert smtp.messages == []
    assert client.get("/members/api/member/").status_code == 200


def test_posts_when_signed_out_change_nothing(member):
    client, token = csrf_client()
    assert client.post("/account/", {"name": "Evil", "csrfmiddlewaretoken": token}).status_code == 401
    assert (
        client.post("/account/delete/", {"confirm": "yes", "csrfmiddlewaretoken": token}).status_code == 401
    )
    assert Member.objects.filter(pk=member.pk, name="Reader").exists()


def test_sign_out(member):
    client, token = csrf_client(member)
    response = client.post("/account/sign-out/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get("/members/api/member/").status_code == 204


def test_sign_out_everywhere_ends_another_session(member):
    laptop = sign_in(Client(), member)
    phone, token = csrf_client(member)
    assert laptop.get("/members/api/member/").status_code == 200
    response = phone.post("/account/sign-out-everywhere/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert laptop.get("/members/api/member/").status_code == 204
    assert phone.get("/members/api/member/").status_code == 204
    member.refresh_from_db()
    assert member.session_generation == 1


def test_delete_needs_the_confirm_box(member):
    client, token = csrf_client(member)
    response = client.post("/account/delete/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 400
    assert Member.objects.filter(pk=member.pk).exists()


def test_delete_removes_the_member_their_links_and_subscriptions(smtp, member, newsletters):
    # A pending sign-in link and a pending email change belong to the member's personal data.
    services.send_magic_link("reader@example.com", purpose=SignInToken.SIGNIN)
    services.request_email_change(member, "new@example.com")
    assert SignInToken.objects.count() == 2
    other = Member.objects.create(email="other@example.com")
    other.newsletters.add(newsletters["daily"])
    client, token = csrf_client(member)
    response = client.post("/account/delete/", {"confirm": "yes", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == "/account/?done=deleted"
    assert not Member.objects.filter(pk=member.pk).exists()
    assert SignInToken.objects.count() == 0
    assert list(newsletters["daily"].subscribers.all()) == [other]
    assert client.get("/members/api/member/").status_code == 204
    assert (
        "Your account and your personal data are deleted."
        in client.get("/account/?done=deleted").content.decode()
    )
    # The emailed links are dead.
    for received in smtp.messages:
        assert (
            Client().post("/members/", {"token": token_of(link_in(received["message"]))}).status_code == 400
        )


def test_email_change_is_confirmed_by_a_link_to_the_new_address(smtp, member):
    client, token = csrf_client(member)
    response = client.post("/account/email/", {"email": " New@Example.com", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == "/account/?done=email_sent"
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received["to"] == ["new@example.com"]
    assert "Confirm your new email address" in received["message"]["Subject"]
    assert "ignore this email" in text_of(received["message"])
    member.refresh_from_db()
    assert member.email == "reader@example.com"  # not yet

    link = link_in(received["message"])
    assert "Confirm your new email address" in client.get(link).content.decode()
    member.refresh_from_db()
    assert member.email == "reader@example.com"  # a GET spends nothing
    response = client.post("/members/", {"token": token_of(link), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == "/account/?done=email_changed"
    member.refresh_from_db()
    assert member.email == "new@example.com"
    assert "Your email address is changed." in client.get(response["Location"]).content.decode()
    # The link is single use.
    assert (
        client.post("/members/", {"token": token_of(link), "csrfmiddlewaretoken": token}).status_code == 400
    )


def test_email_change_to_an_address_in_use_is_refused(smtp, member):
    Member.objects.create(email="taken@example.com")
    client, token = csrf_client(member)
    response = client.post("/account/email/", {"email": "Taken@example.com", "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    assert "already used by another account" in response.content.decode()
    assert smtp.messages == []


def test_email_change_fails_if_the_address_was_taken_meanwhile(smtp, member):
    services.request_email_change(member, "new@example.com")
    Member.objects.create(email="new@example.com")
    link = link_in(smtp.messages[0]["message"])
    response = Client().post("/members/", {"token": token_of(link)})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.email == "reader@example.com"


def test_an_invalid_new_address_is_refused(smtp, member):
    client, token = csrf_client(member)
    response = client.post(
        "/account/email/", {"email": "new@example.com\r\nBcc: x@y.z", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 400
    assert smtp.messages == []


def test_email_change_links_are_rate_limited(smtp, member, settings):
    settings.MEMBERS_LINKS_PER_EMAIL_HOUR = 2
    client, token = csrf_client(member)
    statuses = [
        client.post("/account/email/", {"email": "new@example.com", "csrfmiddlewaretoken": token}).status_code
        for _ in range(3)
    ]
    assert statuses == [302, 302, 400]
    assert len(smtp.messages) == 2


def test_an_email_change_link_only_changes_its_own_member(smtp, member):
    services.request_email_change(member, "new@example.com")
    row = SignInToken.objects.get()
    assert row.member == member
    assert row.purpose == SignInToken.EMAIL_CHANGE
    assert row.token_hash == token_hash(token_of(link_in(smtp.messages[0]["message"])))


def test_preferences_other_apps_register_are_shown_and_saved(member):
    from byline.members import account_preferences

    store = {member.pk: True}
    account_preferences.register(
        "test_digest",
        "Email me a digest",
        read=lambda m: store.get(m.pk, True),
        write=lambda m, on: store.__setitem__(m.pk, on),
    )
    try:
        client, token = csrf_client(member)
        page = client.get("/account/").content.decode()
        assert 'name="preference-test_digest" checked' in page
        assert '<label for="preference-test_digest">Email me a digest</label>' in page
        # A form that never showed the checkboxes (an old page, a script) leaves them alone.
        client.post("/account/", {"name": "", "newsletters": ["weekly"], "csrfmiddlewaretoken": token})
        assert store[member.pk] is True
        client.post(
            "/account/",
            {"name": "", "newsletters": ["weekly"], "preferences_shown": "yes", "csrfmiddlewaretoken": token},
        )
        assert store[member.pk] is False
        page = client.get("/account/").content.decode()
        assert 'name="preference-test_digest">' in page  # unticked now
    finally:
        account_preferences.unregister("test_digest")
