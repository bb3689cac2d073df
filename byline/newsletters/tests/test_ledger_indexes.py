"""The ledger's partial indexes serve the queries a send runs while it goes, with the values bound as
parameters (as Django and the driver pass them), so no query reads a send's whole ledger per chunk."""

import re

import pytest
from django.db import connection
from django.utils import timezone

from byline.newsletters import services
from byline.newsletters.models import Email, Recipient

pytestmark = pytest.mark.django_db


@pytest.fixture
def email(newsletter, make_story, subscribe):
    for n in range(30):
        subscribe(f"reader{n}@readers.example")
    story = make_story("Council votes on the new bridge", email_newsletter=newsletter)
    email = Email.objects.get(story=story)
    assert services.start(email)
    return email


def statements_of(action) -> list[tuple[str, list]]:
    """The SQL (with its parameters, unbound) of every statement `action()` runs on the ledger."""
    seen = []

    def capture(execute, sql, params, many, context):
        if Recipient._meta.db_table in sql:
            seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        action()
    assert seen, "the action ran no statement on the ledger"
    return seen


def plan_of(sql: str, params) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " / ".join(row[-1] for row in cursor.fetchall())
        # PostgreSQL: a table this small is cheapest to scan, so ask whether an index *can* serve it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return " / ".join(row[0] for row in cursor.fetchall())


# A whole-table read: SQLite's "SCAN t" without an index, PostgreSQL's sequential scan.
WHOLE_LEDGER = re.compile(r"SCAN newsletters_recipient(?! USING)|Seq Scan on newsletters_recipient")


def assert_uses(index: str, action) -> None:
    """Every ledger statement of `action` avoids reading the whole ledger, and one reads `index`."""
    plans = [plan_of(sql, params) for sql, params in statements_of(action)]
    assert not any(WHOLE_LEDGER.search(plan) for plan in plans), plans
    assert any(index in plan for plan in plans), plans


def test_claiming_reads_the_pending_index(email):
    assert_uses("recipient_pending", lambda: services.claim(email, "a" * 32, 10))


def test_the_lease_check_before_each_claim_reads_the_held_index(email):
    services.claim(email, "a" * 32, 10)
    assert_uses("recipient_held", lambda: services.recover_stale(email.pk))


def test_the_sending_limits_read_the_held_and_sent_indexes(email, settings):
    settings.NEWSLETTER_PER_MINUTE = 100
    assert_uses("recipient_held", lambda: services.sending_allowance(timezone.now()))
    assert_uses("recipient_sent", lambda: services.sending_allowance(timezone.now()))


def test_the_listed_failures_read_the_failed_index(email):
    assert_uses(
        "recipient_failed",
        lambda: list(email.recipients.filter(state=Recipient.FAILED).order_by("pk")[:20]),
    )
