"""Scheduled publishing: the clock's tick publishes what is due, and only that; the clock survives errors."""

import logging
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone
from wagtail.models import Revision

from byline.core import worker
from byline.stories.models import StoryPage


@pytest.fixture
def schedule_story(make_story):
    """A draft story scheduled the way the editor's "Publish" with a go-live date schedules it."""

    def schedule(title, go_live_in, **fields):
        story = make_story(title, live=False, **fields)
        story.go_live_at = timezone.now() + go_live_in
        story.save_revision().publish()
        story.refresh_from_db()
        return story

    return schedule


def clock_moved_on(delta):
    """Everything that reads django.utils.timezone.now() sees a later time."""
    real_now = timezone.now
    return mock.patch("django.utils.timezone.now", side_effect=lambda: real_now() + delta)


def test_a_story_scheduled_for_the_future_is_not_live_until_its_time(schedule_story):
    story = schedule_story("The budget, line by line", go_live_in=timedelta(hours=1))

    assert not story.live
    assert Revision.objects.filter(object_id=str(story.pk), approved_go_live_at__isnull=False).exists()


def test_the_tick_publishes_a_story_whose_go_live_time_has_passed(schedule_story, client):
    story = schedule_story("Polls close at eight", go_live_in=timedelta(minutes=30))
    assert client.get(story.url).status_code == 404

    with clock_moved_on(timedelta(minutes=31)):
        assert worker.publish_scheduled() is True

    story.refresh_from_db()
    assert story.live
    assert story.first_published_at is not None
    assert not Revision.objects.filter(approved_go_live_at__isnull=False).exists()
    assert client.get(story.url).status_code == 200


def test_the_tick_leaves_a_story_scheduled_for_later_alone(schedule_story):
    due = schedule_story("Due now", go_live_in=timedelta(minutes=5))
    later = schedule_story("Due tomorrow", go_live_in=timedelta(days=1))

    with clock_moved_on(timedelta(minutes=6)):
        worker.publish_scheduled()

    due.refresh_from_db()
    later.refresh_from_db()
    assert due.live
    assert not later.live
    assert later.go_live_at > timezone.now()
    assert Revision.objects.filter(object_id=str(later.pk), approved_go_live_at__isnull=False).exists()


def test_the_tick_takes_down_a_story_whose_expiry_time_has_passed(make_story):
    story = make_story("Offer ends Friday")
    StoryPage.objects.filter(pk=story.pk).update(expire_at=timezone.now() - timedelta(minutes=1))

    worker.publish_scheduled()

    story.refresh_from_db()
    assert not story.live
    assert story.expired


def test_the_tick_gives_way_while_another_clock_holds_the_turn(schedule_story):
    story = schedule_story("Two clocks", go_live_in=timedelta(minutes=1))
    cache.add(worker.LOCK_KEY, "another process", timeout=60)
    try:
        with clock_moved_on(timedelta(minutes=2)):
            assert worker.publish_scheduled() is False
        story.refresh_from_db()
        assert not story.live
    finally:
        cache.delete(worker.LOCK_KEY)

    with clock_moved_on(timedelta(minutes=2)):
        assert worker.publish_scheduled() is True
    story.refresh_from_db()
    assert story.live


def test_the_clock_logs_a_failed_tick_and_keeps_ticking(caplog):
    stop = threading.Event()
    calls = []

    def job():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        stop.set()

    with caplog.at_level(logging.ERROR, logger="byline.scheduler"):
        worker.run_every(0, job, stop)

    assert len(calls) == 2
    assert "Scheduled publishing failed" in caplog.text
    assert "database is locked" in caplog.text


def test_the_clock_thread_ticks_at_once_and_stops_when_asked():
    ticked = threading.Event()
    clock = worker.SchedulerThread(interval=60, job=ticked.set)

    clock.start()
    assert ticked.wait(5)
    clock.stop(timeout=5)

    assert not clock.is_alive()
