"""The admin side of sending: send status, cancel and retry, preview, test send, the ordered newsletters."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from byline.lib.smtp_sink import html_of
from byline.newsletters import services
from byline.newsletters.models import Email, Newsletter, Recipient

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_email(smtp, newsletter, subscribe, publish):
    for n in range(3):
        subscribe(f"reader{n}@readers.example")
    story = publish(newsletter, title="Ferry timetable changes")
    email = Email.objects.get(story=story)
    Recipient.objects.filter(pk=email.recipients.order_by("pk").first().pk).update(
        state=Recipient.FAILED, reply="550 5.1.1 No such mailbox here"
    )
    return email


def test_the_status_view_shows_the_counts_and_the_servers_reply(
    admin_client, sent_email, django_assert_max_num_queries
):
    with django_assert_max_num_queries(40):
        response = admin_client.get(reverse("newsletters_email_status", args=[sent_email.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-count="sent">2<' in page
    assert 'data-count="failed">1<' in page
    assert 'data-count="recipients">3<' in page
    assert "550 5.1.1 No such mailbox here" in page
    assert "Retry failed (1)" in page


def test_the_index_lists_every_send(admin_client, sent_email):
    response = admin_client.get(reverse("newsletters_email_index"))
    assert response.status_code == 200
    assert "Ferry timetable changes" in response.content.decode()


def test_retry_failed_sends_again_to_the_failed_recipient(
    admin_client, sent_email, smtp, django_capture_on_commit_callbacks
):
    before = len(smtp.messages)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("newsletters_email_retry", args=[sent_email.pk]))
    assert response.status_code == 302
    assert len(smtp.messages) == before + 1
    assert services.status_of(sent_email).sent == 3


def test_cancel_needs_a_post_and_permission_to_publish(
    client, django_user_model, newsletter, subscribe, make_story
):
    subscribe("ana@readers.example")
    email = Email.objects.get(story=make_story(email_newsletter=newsletter))
    services.start(email)
    url = reverse("newsletters_email_cancel", args=[email.pk])
    editor = django_user_model.objects.create_user("reader-editor", password="pw")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    assert client.get(url).status_code == 405
    client.post(url)  # Wagtail's admin answers a refusal with a redirect and a message
    email.refresh_from_db()
    assert email.status == Email.SENDING
    assert services.status_of(email).pending == 1


def test_cancel_stops_whoever_has_not_been_sent_to(admin_client, newsletter, subscribe, make_story):
    subscribe("ana@readers.example")
    email = Email.objects.get(story=make_story(email_newsletter=newsletter))
    services.start(email)
    response = admin_client.post(reverse("newsletters_email_cancel", args=[email.pk]))
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == Email.CANCELLED
    assert services.status_of(email).suppressed == 1


def test_the_preview_shows_the_email_of_a_draft(admin_client, newsletter, make_story):
    story = make_story("Draft about lighthouses", live=False, email_newsletter=newsletter)
    response = admin_client.get(reverse("newsletters_email_preview", args=[story.pk]))
    assert response.status_code == 200
    assert "Send test" in response.content.decode()
    frame = admin_client.get(
        reverse("newsletters_email_preview_frame", args=[story.pk]) + f"?newsletter={newsletter.pk}"
    )
    assert frame.status_code == 200
    assert "Draft about lighthouses" in frame.content.decode()
    assert "Hi there," in frame.content.decode()
    assert "@@" not in frame.content.decode()


def test_a_test_send_reaches_the_address_and_touches_no_ledger(admin_client, smtp, newsletter, make_story):
    story = make_story("Draft about lighthouses", live=False, email_newsletter=newsletter)
    response = admin_client.post(
        reverse("newsletters_email_preview", args=[story.pk]),
        {"newsletter": newsletter.pk, "address": "Checker@Desk.example"},
    )
    assert response.status_code == 302
    assert [item["to"] for item in smtp.messages] == [["checker@desk.example"]]
    message = smtp.messages[0]["message"]
    assert message["Subject"] == "[Test] Draft about lighthouses"
    assert "Draft about lighthouses" in html_of(message)
    assert not Email.objects.exists()


def test_a_test_send_to_a_bad_address_is_refused(admin_client, smtp, newsletter, make_story):
    story = make_story("Draft", live=False, email_newsletter=newsletter)
    response = admin_client.post(
        reverse("newsletters_email_preview", args=[story.pk]),
        {"newsletter": newsletter.pk, "address": "not an address\r\nBcc: x@y.example"},
    )
    assert response.status_code == 200
    assert "line breaks" in response.content.decode()
    assert smtp.messages == []


def test_newsletters_can_be_dragged_into_order(admin_client, newsletter):
    from byline.newsletters.models import Newsletter

    sports = Newsletter.objects.create(name="Sports Desk", sort_order=1)
    listing = admin_client.get(
        reverse("wagtailsnippets_newsletters_newsletter:list") + "?ordering=sort_order"
    )
    assert listing.status_code == 200
    assert "w-orderable__item__handle" in listing.content.decode()
    url = reverse("wagtailsnippets_newsletters_newsletter:reorder", args=[sports.pk]) + "?position=0"
    assert admin_client.post(url).status_code == 200
    assert list(Newsletter.objects.values_list("name", flat=True)) == ["Sports Desk", "The Weekly Ledger"]


def test_a_storys_admin_page_links_to_its_email_preview_and_send_status(admin_client, sent_email):
    page = admin_client.get(reverse("wagtailadmin_pages:edit", args=[sent_email.story_id])).content.decode()
    assert reverse("newsletters_email_preview", args=[sent_email.story_id]) in page
    assert reverse("newsletters_email_status", args=[sent_email.pk]) in page


def test_a_members_detail_page_lists_the_emails_they_received(
    smtp, newsletter, subscribe, publish, admin_client
):
    reader = subscribe("reader@example.com", "Rita Reader")
    publish(newsletter, "Storm closes the harbour")
    html = admin_client.get(f"/admin/snippets/members/member/inspect/{reader.pk}/").content.decode()
    assert "Emails received" in html
    assert "Storm closes the harbour" in html
    assert "Sent" in html


def _add_story_form(admin_client, home) -> str:
    return admin_client.get(
        reverse("wagtailadmin_pages:add", args=("stories", "storypage", home.pk))
    ).content.decode()


def test_a_newsletter_marked_send_by_default_is_preselected_for_new_stories(admin_client, home, make_story):
    chosen = 'data-chooser-title id="id_email_newsletter-title">'
    Newsletter.objects.create(name="Old Letter", slug="old", send_by_default=True, status=Newsletter.ARCHIVED)
    assert f"{chosen}</div>" in _add_story_form(admin_client, home)  # an archived one is not chosen
    Newsletter.objects.create(name="Daily Wire", slug="daily", send_by_default=True)
    assert f"{chosen}Daily Wire</div>" in _add_story_form(admin_client, home)
    # Only the editor's form starts with it: stories made otherwise (imports, the API) are not emailed.
    assert make_story("Made in code").email_newsletter is None
