"""Members and newsletters in Wagtail's admin."""

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
