"""`byline send` and `byline sendstatus`."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from byline.newsletters.models import Email, Recipient

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_send_sends_a_published_story_to_its_newsletter(smtp, newsletter, subscribe, make_story):
    subscribe("ana@readers.example")
    subscribe("ben@readers.example")
    story = make_story("Market day moves", email_newsletter=newsletter)
    Email.objects.all().delete()  # as if it had been published before newsletters were set up

    output = run("send", story.slug)
    assert "sent 2" in output
    assert sorted(item["to"][0] for item in smtp.messages) == ["ana@readers.example", "ben@readers.example"]
    assert "nothing to send" in run("send", story.slug)
    assert len(smtp.messages) == 2


def test_send_resumes_an_unfinished_send(smtp, newsletter, subscribe, make_story):
    for n in range(3):
        subscribe(f"reader{n}@readers.example")
    story = make_story(email_newsletter=newsletter)  # the queued send never ran
    assert Email.objects.get(story=story).status == Email.PENDING
    assert "sent 3" in run("send", story.slug)
    assert len(smtp.messages) == 3


def test_a_dry_run_sends_nothing_and_says_how_many(smtp, newsletter, subscribe, make_story):
    subscribe("ana@readers.example")
    subscribe("gone@readers.example", email_disabled=True)
    story = make_story("Market day moves")
    output = run("send", story.slug, "--newsletter", newsletter.slug, "--dry-run")
    assert "to 1 subscriber of The Weekly Ledger" in output
    assert smtp.messages == []
    assert not Email.objects.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["no-such-story"], "There is no story"),
        (["{slug}", "--newsletter", "nope"], "There is no newsletter"),
        (["{slug}"], "pass --newsletter"),
    ],
)
def test_send_explains_what_is_wrong(make_story, newsletter, args, message):
    story = make_story()
    with pytest.raises(CommandError, match=message):
        run("send", *[arg.format(slug=story.slug) for arg in args])


def test_send_refuses_a_draft(make_story, newsletter):
    story = make_story(live=False, email_newsletter=newsletter)
    with pytest.raises(CommandError, match="not published"):
        run("send", story.slug)


def test_sendstatus_prints_the_counts_and_failures(smtp, newsletter, subscribe, publish):
    subscribe("ana@readers.example")
    subscribe("ben@readers.example")
    story = publish(newsletter)
    email = Email.objects.get(story=story)
    email.recipients.filter(address="ben@readers.example").update(
        state=Recipient.FAILED, reply="550 5.1.1 No such mailbox here"
    )
    text = run("sendstatus", story.slug)
    assert "sent        1" in text
    assert "failed: ben@readers.example: 550 5.1.1 No such mailbox here" in text
    figures = json.loads(run("sendstatus", story.slug, "--json"))
    assert figures[0]["sent"] == 1 and figures[0]["failed"] == 1 and figures[0]["recipients"] == 2


def test_sendstatus_of_a_story_never_sent(make_story):
    with pytest.raises(CommandError, match="has not been sent"):
        run("sendstatus", make_story().slug)
