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
