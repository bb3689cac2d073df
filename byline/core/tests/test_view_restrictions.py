"""Wagtail's page privacy still protects pages, though an unrestricted site skips looking for it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction


def test_a_password_restriction_added_later_protects_the_story(
    client, make_story, django_capture_on_commit_callbacks
):
    story = make_story("The council's draft budget")
    assert "draft budget" in client.get(story.url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        restriction = PageViewRestriction.objects.create(
            page=story, restriction_type=PageViewRestriction.PASSWORD, password="s3cret-word"
        )
    answer = client.get(story.url)
    assert "The council" not in answer.content.decode() and "password" in answer.content.decode().lower()
    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    assert "draft budget" in client.get(story.url).content.decode()


def test_while_no_page_is_restricted_serving_a_story_does_not_look_for_restrictions(client, make_story):
    story = make_story("Harbour lights")
    client.get(story.url)
    with CaptureQueriesContext(connection) as queries:
        client.get(story.url)
    assert not [query for query in queries.captured_queries if "pageviewrestriction" in query["sql"]]
