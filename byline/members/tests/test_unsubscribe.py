"""Unsubscribe links: signed per (member, newsletter); GET only asks, POST (or RFC 8058) unsubscribes."""

import pytest
from django.test import Client

from byline.members import services
from byline.members.models import Member
from byline.newsletters.models import Newsletter

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsletter(db):
    return Newsletter.objects.create(name="Daily Brief", slug="daily")


@pytest.fixture
def member(db, newsletter):
    member = Member.objects.create(email="reader@example.com")
    member.newsletters.add(newsletter)
    return member


@pytest.fixture
def path(settings, member, newsletter):
    settings.BYLINE_URL = "https://news.example"
    url = services.unsubscribe_url(member, newsletter)
    assert url.startswith("https://news.example/unsubscribe/")
    return url.removeprefix("https://news.example")


def subscribed(member, newsletter) -> bool:
    return member.newsletters.filter(pk=newsletter.pk).exists()


def test_get_changes_nothing_and_offers_a_button(client, path, member, newsletter):
    response = client.get(path)
    assert response.status_code == 200
    assert "You will be unsubscribed from Daily Brief" in response.content.decode()
    assert 'method="post"' in response.content.decode()
    assert subscribed(member, newsletter)
    assert "no-store" in response["Cache-Control"]


def test_one_click_post_without_cookie_or_token_unsubscribes(path, member, newsletter):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not subscribed(member, newsletter)


def test_one_click_post_as_multipart_also_works(path, member, newsletter):
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not subscribed(member, newsletter)


def test_one_click_is_idempotent(path, member, newsletter):
    client = Client(enforce_csrf_checks=True)
    for _ in range(2):
        assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not subscribed(member, newsletter)


def test_a_form_post_without_csrf_token_is_refused(path, member, newsletter):
    response = Client(enforce_csrf_checks=True).post(path, {"action": "unsubscribe"})
    assert response.status_code == 403
    assert subscribed(member, newsletter)


def test_the_confirm_button_unsubscribes_then_resubscribe_works(path, member, newsletter):
    client = Client(enforce_csrf_checks=True)
    client.get(path)  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(path, {"action": "unsubscribe", "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert "Resubscribe" in response.content.decode()
    assert not subscribed(member, newsletter)
    response = client.post(path, {"action": "resubscribe", "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert subscribed(member, newsletter)
    # Pressing the button twice does no harm.
    assert client.post(path, {"action": "resubscribe", "csrfmiddlewaretoken": token}).status_code == 200
    assert member.newsletters.count() == 1


def test_an_archived_newsletter_cannot_be_resubscribed(client, path, member, newsletter):
    newsletter.status = Newsletter.ARCHIVED
    newsletter.save()
    member.newsletters.remove(newsletter)
    client.post(path, {"action": "resubscribe"})
    assert not subscribed(member, newsletter)


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "x" + t, lambda t: "nope"])
def test_a_tampered_token_is_404(client, path, member, newsletter, mangle):
    token = path.split("/")[2]
    bad = f"/unsubscribe/{mangle(token)}/"
    assert client.get(bad).status_code == 404
    assert client.post(bad, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert subscribed(member, newsletter)


def test_a_token_signed_for_another_purpose_is_404(client, member, newsletter):
    from django.core import signing

    token = signing.dumps({"m": str(member.uuid), "n": str(newsletter.uuid)}, salt="other")
    assert client.post(f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert subscribed(member, newsletter)


def test_the_link_of_a_deleted_member_is_404(client, path, member):
    member.delete()
    assert client.get(path).status_code == 404


def test_each_member_and_newsletter_has_its_own_link(member, newsletter):
    other = Member.objects.create(email="other@example.com")
    weekly = Newsletter.objects.create(name="Weekly", slug="weekly")
    urls = {
        services.unsubscribe_url(member, newsletter),
        services.unsubscribe_url(other, newsletter),
        services.unsubscribe_url(member, weekly),
    }
    assert len(urls) == 3


def test_links_signed_the_old_way_still_work(member, newsletter):
    """Newsletters sent before the links' new signature carry `signing.dumps` tokens."""
    from django.core import signing

    token = signing.dumps(
        {"m": str(member.uuid), "n": str(newsletter.uuid)}, salt=services.UNSUBSCRIBE_SALT, compress=True
    )
    response = Client(enforce_csrf_checks=True).post(
        f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert not subscribed(member, newsletter)


def test_the_signature_is_djangos_salted_hmac_of_both_uuids(member, newsletter, settings):
    from django.utils.crypto import salted_hmac

    token = services.unsubscribe_token(member, newsletter)
    member_part, newsletter_part, signature = token.split(".")
    assert (member_part, newsletter_part) == (member.uuid.hex, newsletter.uuid.hex)
    digest = salted_hmac(
        services.UNSUBSCRIBE_LINK_SALT,
        f"{member_part}.{newsletter_part}",
        settings.SECRET_KEY,
        algorithm="sha256",
    ).digest()
    import base64

    assert signature == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_a_link_for_another_member_with_the_same_signature_is_404(client, member, newsletter):
    other = Member.objects.create(email="other@example.com")
    other.newsletters.add(newsletter)
    token = services.unsubscribe_token(member, newsletter)
    forged = other.uuid.hex + token[32:]
    assert client.post(f"/unsubscribe/{forged}/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert subscribed(other, newsletter)


def test_links_signed_before_the_secret_key_was_rotated_still_work(member, newsletter, settings):
    old_key = settings.SECRET_KEY
    token = services.unsubscribe_token(member, newsletter)
    settings.SECRET_KEY = "a-new-secret-key-for-this-test-0123456789-abcdefghijklmnop"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert services.read_unsubscribe_token(token) == (member, newsletter)
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(services.InvalidLink):
        services.read_unsubscribe_token(token)


def test_the_links_of_one_send_are_each_members_own(member, newsletter, settings):
    links = services.UnsubscribeLinks(newsletter)
    assert links.url(member.uuid) == services.unsubscribe_url(member, newsletter)
    assert links.url(str(member.uuid)) == links.url(member.uuid.hex)
    other = Member.objects.create(email="other@example.com")
    assert links.url(other.uuid) != links.url(member.uuid)
