"""Members and newsletters in Wagtail's admin."""

from datetime import UTC

import pytest
from django.contrib.auth import get_user_model

from byline.members.models import Member
from byline.newsletters.models import Newsletter

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


def test_members_are_listed_and_searchable(editor_client):
    Member.objects.create(email="found@example.com", name="Found Reader")
    Member.objects.create(email="other@example.com", name="Someone Else")
    response = editor_client.get("/admin/snippets/members/member/", {"q": "found"})
    assert response.status_code == 200
    assert b"found@example.com" in response.content
    assert b"other@example.com" not in response.content


def test_newsletters_can_be_added_in_the_admin(editor_client):
    response = editor_client.get("/admin/snippets/newsletters/newsletter/add/")
    assert response.status_code == 200
    response = editor_client.post(
        "/admin/snippets/newsletters/newsletter/add/",
        {
            "name": "Morning Briefing",
            "slug": "morning",
            "description": "",
            "sender_name": "",
            "sender_email": "",
            "reply_to": "",
            "subscribe_on_signup": "on",
            "status": "active",
            "sort_order": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert Newsletter.objects.get().name == "Morning Briefing"
    assert editor_client.get("/admin/snippets/newsletters/newsletter/").status_code == 200


def test_a_member_added_in_the_admin_is_stored_lower_cased(editor_client):
    response = editor_client.post(
        "/admin/snippets/members/member/add/",
        {"name": "Added", "email": "Added@Example.com", "note": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    assert Member.objects.get().email == "added@example.com"


# Listing: filters and the CSV export ------------------------------------------------------------------

LIST = "/admin/snippets/members/member/"


def _member(email, *, days_ago=0, **fields):
    from datetime import timedelta

    from django.utils import timezone

    return Member.objects.create(email=email, created_at=timezone.now() - timedelta(days=days_ago), **fields)


def test_members_can_be_filtered_by_sign_up_date(editor_client):
    from datetime import timedelta

    from django.utils import timezone

    _member("old@example.com", days_ago=40)
    _member("recent@example.com", days_ago=3)
    since = (timezone.localdate() - timedelta(days=10)).isoformat()
    response = editor_client.get(LIST, {"created_at_after": since})
    assert response.status_code == 200
    assert b"recent@example.com" in response.content
    assert b"old@example.com" not in response.content
    until = (timezone.localdate() - timedelta(days=10)).isoformat()
    response = editor_client.get(LIST, {"created_at_before": until})
    assert b"old@example.com" in response.content
    assert b"recent@example.com" not in response.content


def test_members_can_be_filtered_by_newsletter_and_label(editor_client):
    from byline.members.models import Label

    daily = Newsletter.objects.create(name="Daily", slug="daily")
    vip = Label.objects.create(name="VIP")
    subscribed = _member("subscribed@example.com")
    subscribed.newsletters.add(daily)
    labelled = _member("labelled@example.com")
    labelled.labels.add(vip)
    by_newsletter = editor_client.get(LIST, {"newsletters": daily.pk}).content
    assert b"subscribed@example.com" in by_newsletter and b"labelled@example.com" not in by_newsletter
    by_label = editor_client.get(LIST, {"labels": vip.pk}).content
    assert b"labelled@example.com" in by_label and b"subscribed@example.com" not in by_label


def _csv_rows(response):
    import csv
    import io

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="members.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_export_has_ghosts_columns_and_every_member(editor_client):
    from byline.members.models import Label

    daily = Newsletter.objects.create(name="Daily", slug="daily")
    weekly = Newsletter.objects.create(name="Weekly", slug="weekly")
    ada = _member("ada@example.com", name="Ada Lovelace", note="Met at the fair")
    ada.newsletters.add(daily, weekly)
    ada.labels.add(Label.objects.create(name="Press"), Label.objects.create(name="VIP"))
    _member("quiet@example.com", email_disabled=True)
    rows = sorted(_csv_rows(editor_client.get(LIST, {"export": "csv"})), key=lambda row: row["email"])
    assert [row["email"] for row in rows] == ["ada@example.com", "quiet@example.com"]
    assert list(rows[0]) == [
        "id",
        "email",
        "name",
        "note",
        "subscribed_to_emails",
        "labels",
        "newsletters",
        "email_disabled",
        "created_at",
        "last_seen_at",
    ]
    assert rows[0]["id"] == str(ada.uuid)
    assert rows[0]["name"] == "Ada Lovelace"
    assert rows[0]["subscribed_to_emails"] == "true"
    assert sorted(rows[0]["labels"].split(",")) == ["Press", "VIP"]
    assert sorted(rows[0]["newsletters"].split(",")) == ["daily", "weekly"]
    assert rows[0]["created_at"] == ada.created_at.isoformat()
    assert rows[1]["subscribed_to_emails"] == "false"
    assert rows[1]["email_disabled"] == "true"


def test_the_csv_export_follows_the_search_and_filters(editor_client):
    _member("kept@example.com", days_ago=1)
    _member("dropped@example.com", days_ago=90)
    rows = _csv_rows(editor_client.get(LIST, {"export": "csv", "q": "kept"}))
    assert [row["email"] for row in rows] == ["kept@example.com"]


def test_the_csv_export_neutralises_formulas_in_names(editor_client):
    _member("sly@example.com", name='=HYPERLINK("https://evil.example","Click")', note="@SUM(1)")
    rows = _csv_rows(editor_client.get(LIST, {"export": "csv"}))
    assert rows[0]["name"] == '\'=HYPERLINK("https://evil.example","Click")'
    assert rows[0]["note"] == "'@SUM(1)"


def test_the_csv_export_makes_a_bounded_number_of_queries(editor_client, django_assert_max_num_queries):
    daily = Newsletter.objects.create(name="Daily", slug="daily")
    for number in range(30):
        _member(f"reader{number}@example.com").newsletters.add(daily)
    with django_assert_max_num_queries(20):
        rows = _csv_rows(editor_client.get(LIST, {"export": "csv"}))
    assert len(rows) == 30


def test_the_export_needs_a_staff_user(client):
    _member("secret@example.com")
    response = client.get(LIST, {"export": "csv"})
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# A member's detail page -------------------------------------------------------------------------------


def test_a_members_detail_shows_subscriptions_labels_and_links_sent(editor_client, client):
    from byline.members.services import send_magic_link

    daily = Newsletter.objects.create(name="Daily Digest", slug="daily")
    member = _member("detail@example.com", name="Dee Tail")
    member.newsletters.add(daily)
    send_magic_link("detail@example.com", purpose="signin")
    response = editor_client.get(f"{LIST}inspect/{member.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "detail@example.com" in html
    assert "Daily Digest" in html
    assert "Sign-in links sent" in html
    assert "Sign in" in html and "Waiting" in html


def test_other_apps_add_sections_to_a_members_detail_through_the_hook(editor_client):
    from wagtail import hooks
    from wagtail.admin.ui.components import Component

    class Extra(Component):
        def __init__(self, member):
            self.member = member

        def render_html(self, parent_context=None):
            return f"<section>Extra section for {self.member.email}</section>"

    member = _member("hooked@example.com")
    with hooks.register_temporarily("register_member_detail_panel", lambda request, m: Extra(m)):
        html = editor_client.get(f"{LIST}inspect/{member.pk}/").content.decode()
    assert "Extra section for hooked@example.com" in html


# Dashboard --------------------------------------------------------------------------------------------


def test_the_dashboard_shows_members_total_new_this_week_and_a_chart(editor_client):
    _member("a@example.com", days_ago=60)
    _member("b@example.com", days_ago=20)
    _member("c@example.com", days_ago=2)
    html = editor_client.get("/admin/").content.decode()
    assert "<strong data-members-total>3</strong> members" in html
    assert "<strong data-members-new>1</strong> new" in html
    assert '<svg class="members-chart" role="img"' in html
    assert "<polyline" in html


def test_members_by_week_counts_the_running_total_at_the_end_of_each_week(db):
    from datetime import date, datetime

    from byline.members.wagtail_hooks import members_by_week

    today = date(2026, 11, 26)  # a Thursday; its week starts on Monday 23 November
    for day in (date(2026, 1, 5), date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 24)):
        Member.objects.create(
            email=f"m{day.isoformat()}@example.com",
            created_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        )
    series = members_by_week(3, today=today)
    assert series == [(date(2026, 11, 9), 3), (date(2026, 11, 16), 3), (date(2026, 11, 23), 4)]


def test_the_chart_geometry_spans_the_box_and_puts_the_largest_total_at_the_top():
    from datetime import date

    from byline.members.wagtail_hooks import chart_geometry

    chart = chart_geometry([(date(2026, 1, 5), 0), (date(2026, 1, 12), 5), (date(2026, 1, 19), 10)])
    points = [tuple(float(n) for n in pair.split(",")) for pair in chart["line"].split()]
    assert points[0] == (24.0, 136.0)  # zero sits on the baseline at the left edge
    assert points[-1] == (576.0, 24.0)  # the largest total reaches the top at the right edge
    assert points[1] == (300.0, 80.0)
    empty = chart_geometry([])
    assert empty["line"] == ""


def test_the_dashboard_panel_is_only_for_staff_who_may_see_members(client):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("writer", "writer@example.com", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    html = client.get("/admin/").content.decode()
    assert "members-chart" not in html
