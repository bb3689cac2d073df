import pytest

from byline.newsletters.models import Newsletter

pytestmark = pytest.mark.django_db


def test_a_newsletter_gets_a_slug_from_its_name():
    assert Newsletter.objects.create(name="Morning Briefing").slug == "morning-briefing"


def test_active_leaves_out_archived_newsletters():
    Newsletter.objects.create(name="Daily")
    Newsletter.objects.create(name="Old", status=Newsletter.ARCHIVED)
    assert list(Newsletter.objects.active().values_list("name", flat=True)) == ["Daily"]
