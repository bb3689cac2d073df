"""The send-magic-link endpoint's guards: address validation, rate limits, honeypot."""

import pytest
from django.core import mail
from django.test import override_settings

from byline.members.models import Member, SignInToken

pytestmark = pytest.mark.django_db

SEND = "/members/api/send-magic-link/"

INVALID_ADDRESSES = [
    "",
    " ",
    "plainaddress",
    "@example.com",
    "reader@",
    "reader@@example.com",
    "reader@example",
    "reader@.example.com",
    "reader@example..com",
    "reader.@example.com",
    ".reader@example.com",
    "re..ader@example.com",
    "reader@-example.com",
    "reader@example-.com",
    "reader@exa mple.com",
    "rea der@example.com",
    "reader@example.com\r\nBcc: victim@example.com",
    "reader@example.com\nBcc: victim@example.com",
    "reader\r@example.com",
    "reader@example.com\x00",
    "reader\t@example.com",
    "reader@example.com\u2028",
    "reader@exam\u200bple.com",
    "<reader@example.com>",
    "Reader <reader@example.com>",
    "reader@example.com, other@example.com",
    "reader@example.com;other@example.com",
    "reader(comment)@example.com",
    "reader@[300.0.0.1]",
    '"reader"@example.com"',
    "a" * 65 + "@example.com",
    "reader@" + "a" * 64 + ".com",
    "r" * 64 + "@" + ("d" * 60 + ".") * 4 + "com",
    "reader@example.c",
    "javascript:alert(1)@example.com",
    "reader@exa_mple.com",
]


def post(client, data):
    return client.post(SEND, data, content_type="application/json")


@pytest.mark.parametrize("address", INVALID_ADDRESSES)
def test_invalid_addresses_get_a_clear_400(client, address):
    response = post(client, {"email": address, "emailType": "signup"})
    assert response.status_code == 400, address
    message = response.json()["errors"][0]["message"]
    assert "email" in message.lower()
    assert not Member.objects.exists()
    assert not SignInToken.objects.exists()
    assert mail.outbox == []


def test_there_are_at_least_thirty_bad_inputs():
    assert len(INVALID_ADDRESSES) >= 30


@pytest.mark.parametrize("value", [None, 42, ["a@example.com"], {"email": "a@example.com"}])
def test_an_address_of_the_wrong_type_is_a_400(client, value):
    assert post(client, {"email": value}).status_code == 400


def test_a_missing_address_or_bad_json_is_a_400(client):
    assert post(client, {}).status_code == 400
    response = client.post(SEND, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_the_longest_valid_address_is_accepted_and_one_more_character_is_not(client, smtp):
    address = "r" * 64 + "@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 57 + ".com"
    assert len(address) == 254
    assert post(client, {"email": address}).status_code == 201
    too_long = post(client, {"email": "r" + address})
    assert too_long.status_code == 400
    assert "254" in too_long.json()["errors"][0]["message"]


def test_the_honeypot_answers_like_success_and_sends_nothing(client, smtp):
    response = post(client, {"email": "bot@example.com", "website": "http://spam.example"})
    assert response.status_code == 201
    assert response.content == post(client, {"email": "human@example.com"}).content
    assert [item["to"] for item in smtp.messages] == [["human@example.com"]]
    assert SignInToken.objects.filter(email="bot@example.com").count() == 0


def test_it_limits_links_per_address(client, smtp):
    for _ in range(5):
        assert post(client, {"email": "Busy@example.com"}).status_code == 201
    response = post(client, {"email": "busy@EXAMPLE.com"})
    assert response.status_code == 429
    assert "Too many" in response.json()["errors"][0]["message"]
    assert len(smtp.messages) == 5
    assert post(client, {"email": "calm@example.com"}).status_code == 201


@override_settings(MEMBERS_LINKS_PER_IP_HOUR=20)
def test_it_limits_links_per_ip(client):
    for number in range(20):
        assert post(client, {"email": f"reader{number}@example.com"}).status_code == 201
    response = post(client, {"email": "one-more@example.com"})
    assert response.status_code == 429
    assert "Too many" in response.json()["errors"][0]["message"]
    assert len(mail.outbox) == 20
    other_ip = client.post(
        SEND, {"email": "one-more@example.com"}, content_type="application/json", REMOTE_ADDR="10.0.0.9"
    )
    assert other_ip.status_code == 201


@override_settings(MEMBERS_LINKS_PER_IP_HOUR=3, BYLINE_TRUSTED_PROXIES=1)
def test_behind_a_proxy_it_counts_readers_by_their_forwarded_address(client):
    def from_reader(address, number):
        # Every request reaches Byline from the proxy's address; the proxy names the reader.
        return client.post(
            SEND,
            {"email": f"reader{number}@example.com"},
            content_type="application/json",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"forged-by-reader, {address}",
        )

    for number in range(3):
        assert from_reader("198.51.100.7", number).status_code == 201
    assert from_reader("198.51.100.7", 3).status_code == 429
    # Another reader behind the same proxy has a budget of their own.
    assert from_reader("198.51.100.8", 4).status_code == 201


def test_only_post_is_allowed(client, db):
    assert client.get(SEND).status_code == 405


@pytest.fixture
def blocked(site):
    from byline.core.models import PublicationSettings

    publication = PublicationSettings.for_site(site)
    publication.blocked_email_domains = "spam.example\n@Junk.Example.\n\n"
    publication.save()
    return publication


@pytest.mark.parametrize("address", ["a@spam.example", "b@mail.spam.example", "c@JUNK.example"])
def test_a_blocked_domain_gets_a_clear_400_and_no_link(client, smtp, blocked, address):
    response = post(client, {"email": address})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Addresses at this email domain are not accepted here."
    assert not SignInToken.objects.exists()
    assert smtp.messages == []


def test_a_blocked_domain_is_refused_for_members_too_so_the_answer_reveals_nothing(client, smtp, blocked):
    Member.objects.create(email="old@spam.example")
    assert post(client, {"email": "old@spam.example", "emailType": "signin"}).status_code == 400
    assert post(client, {"email": "new@spam.example", "emailType": "signin"}).status_code == 400


def test_a_domain_that_only_ends_like_a_blocked_one_is_accepted(client, smtp, blocked):
    assert post(client, {"email": "reader@notspam.example"}).status_code == 201
    assert SignInToken.objects.filter(email="reader@notspam.example").exists()
