"""Emails about comments, delivered to a real SMTP server (aiosmtpd, the `smtp` fixture)."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from byline.comments import notifications, services
from byline.comments.models import AuthorCommentAlert
from byline.lib.smtp_sink import html_of, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(comment_settings, django_capture_on_commit_callbacks):
    def post(member, story, text, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.post_comment(
                member=member, story=story, text=text, site_settings=comment_settings, **kwargs
            )

    return post


def received(smtp, address):
    return [item["message"] for item in smtp.messages if address in item["to"]]


def test_the_storys_authors_hear_of_a_new_comment(smtp, story, make_member, post):
    AuthorCommentAlert.objects.create(author=story.authors[0], email="writer@example.com")
    post(make_member("Grace Hopper"), story, "Thanks for <b>this</b> story.\nMore please.")
    [message] = received(smtp, "writer@example.com")
    assert message["Subject"].strip() == "New comment on “The ferry timetable changes”"
    assert "Grace Hopper commented" in text_of(message)
    assert "Thanks for this story.\nMore please." in text_of(message).replace("\r\n", "\n")
    assert f"{story.url}#comment-" in html_of(message)


def test_authors_who_turned_alerts_off_hear_nothing(smtp, story, make_member, post):
    AuthorCommentAlert.objects.create(
        author=story.authors[0], email="writer@example.com", notify_on_comment=False
    )
    post(make_member(), story, "Quiet please")
    assert smtp.messages == []


def test_a_member_hears_of_a_reply_and_can_turn_it_off_with_one_click(smtp, story, make_member, post):
    ada, grace = make_member("Ada Lovelace", "ada@example.com"), make_member("Grace Hopper")
    first = post(ada, story, "What time is the last ferry?")
    post(grace, story, "Half past ten, <script>alert(1)</script>", reply_to=first)
    [message] = received(smtp, "ada@example.com")
    assert (
        message["Subject"].strip() == "Grace Hopper replied to your comment on “The ferry timetable changes”"
    )
    assert "<script>" not in html_of(message)
    off = re.search(r"https?://\S+/comments/notifications/off/\S+/", text_of(message)).group(0)
    assert message["List-Unsubscribe"].strip() == f"<{off}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = urlsplit(off).path
    assert "Turn off reply emails" in Client().get(path).content.decode()  # a GET changes nothing
    assert notifications.wants_reply_emails(ada)
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not notifications.wants_reply_emails(ada)
    post(grace, story, "Another answer", reply_to=first)
    assert len(received(smtp, "ada@example.com")) == 1


def test_a_member_can_turn_reply_emails_back_on(make_member):
    ada = make_member()
    notifications.set_reply_emails(ada, False)
    path = f"/comments/notifications/off/{notifications.replies_off_token(ada)}/"
    response = Client().post(path, {"on": "1"})
    assert "Reply emails are on" in response.content.decode()
    assert notifications.wants_reply_emails(ada)


def test_replying_to_yourself_sends_nothing_and_tampered_links_are_refused(
    smtp, story, make_member, post, client
):
    ada = make_member(email="ada@example.com")
    first = post(ada, story, "A question")
    post(ada, story, "Answering myself", reply_to=first)
    assert smtp.messages == []
    assert client.get("/comments/notifications/off/not-a-token/").status_code == 404
    token = notifications.replies_off_token(ada)
    assert Client(enforce_csrf_checks=True).post(f"/comments/notifications/off/{token}/").status_code == 403


def test_the_reply_email_setting_is_on_the_account_page(member_client):
    from byline.comments.notifications import wants_reply_emails

    client = member_client()
    page = client.get("/account/").content.decode()
    assert "Email me when someone replies to my comments" in page
    assert 'name="preference-comment_replies" checked' in page
    token = client.cookies["csrftoken"].value
    client.post("/account/", {"name": "", "preferences_shown": "yes", "csrfmiddlewaretoken": token})
    assert wants_reply_emails(client.member) is False
    client.post(
        "/account/",
        {
            "name": "",
            "preferences_shown": "yes",
            "preference-comment_replies": "on",
            "csrfmiddlewaretoken": token,
        },
    )
    assert wants_reply_emails(client.member) is True
