"""The members' services on their own: addresses, names, spending links."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from byline.members import services
from byline.members.models import Member, SignInToken


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Reader@Example.COM", "reader@example.com"),
        ("  reader@example.com ", "reader@example.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
    ],
)
def test_it_normalises_addresses(given, stored):
    assert services.normalise_email(given) == stored


def test_it_explains_bad_addresses():
    with pytest.raises(ValidationError, match="valid email address"):
        services.normalise_email("nope")
    with pytest.raises(ValidationError, match="line breaks"):
        services.normalise_email("a@example.com\r\nBcc: b@example.com")


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("  Ada   Lovelace ", "Ada Lovelace"),
        ("Ada\r\nBcc: x@example.com", "Ada Bcc: x@example.com"),
        ("Ada\x00\x07\u200bLovelace", "Ada Lovelace"),
        (None, ""),
        (42, ""),
        ("Zoë Ñandú 李", "Zoë Ñandú 李"),
    ],
)
def test_it_cleans_names(given, cleaned):
    assert services.clean_name(given) == cleaned


def test_names_are_capped():
    assert len(services.clean_name("x" * 5000)) == services.NAME_MAX_LENGTH


@pytest.mark.django_db
def test_a_link_redeems_once(mailoutbox):
    services.send_magic_link("once@example.com", purpose="signup")
    token = mailoutbox[0].body.split("token=", 1)[1].split()[0]
    member, row = services.redeem(token)
    assert member.email == "once@example.com" and row.used_at is not None
    with pytest.raises(services.InvalidLink, match="already been used"):
        services.redeem(token)


@pytest.mark.django_db
def test_the_link_lives_as_long_as_the_setting_says(settings, mailoutbox):
    settings.MEMBERS_LINK_MINUTES = 15
    services.send_magic_link("time@example.com", purpose="signup")
    row = SignInToken.objects.get()
    assert (row.expires_at - row.created_at).total_seconds() == 15 * 60
    assert "15 minutes" in mailoutbox[0].body


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # flushes: restore the migrated rows after
def test_two_concurrent_redeems_of_one_link_have_one_winner(mailoutbox):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("in-memory SQLite shares one connection's locks across threads")
    services.send_magic_link("race@example.com", purpose="signup")
    token = mailoutbox[0].body.split("token=", 1)[1].split()[0]
    barrier = threading.Barrier(4)
    outcomes = []

    def redeem():
        barrier.wait()
        try:
            services.redeem(token)
            outcomes.append("won")
        except services.InvalidLink:
            outcomes.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost", "lost", "lost", "won"]
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_redeems_racing_after_the_update_find_the_link_spent(mailoutbox):
    """The conditional UPDATE is what decides: once it has matched, no later redeem matches."""
    services.send_magic_link("race2@example.com", purpose="signup")
    token = mailoutbox[0].body.split("token=", 1)[1].split()[0]
    services.redeem(token)
    assert SignInToken.objects.filter(used_at__isnull=True).count() == 0
    with pytest.raises(services.InvalidLink):
        services.redeem(token)


@pytest.mark.django_db
def test_a_lost_create_race_returns_the_existing_member():
    existing = Member.objects.create(email="dup@example.com")
    original = Member.objects.filter

    calls = {"n": 0}

    def filter_that_misses_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            return Member.objects.none()  # as if the other confirmation had not committed yet
        return original(*args, **kwargs)

    from unittest import mock

    with mock.patch.object(Member.objects, "filter", side_effect=filter_that_misses_once):
        member, created = services._get_or_create_member("dup@example.com", name="")
    assert (member.pk, created) == (existing.pk, False)
    assert Member.objects.count() == 1


def test_old_links_are_removed_a_day_after_they_expire(db):
    from datetime import timedelta

    from django.utils import timezone

    from byline.members import services
    from byline.members.models import SignInToken

    now = timezone.now()
    for name, expired_ago in (("stale", timedelta(days=2)), ("recent", timedelta(hours=2))):
        SignInToken.objects.create(
            token_hash=name.ljust(64, "0"),
            email=f"{name}@example.com",
            purpose=SignInToken.SIGNIN,
            created_at=now - expired_ago - timedelta(minutes=15),
            expires_at=now - expired_ago,
        )
    services.send_magic_link("new@example.com", purpose=SignInToken.SIGNUP)
    assert set(SignInToken.objects.values_list("email", flat=True)) == {
        "recent@example.com",
        "new@example.com",
    }
