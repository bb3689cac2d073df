"""Stories, pages, tags, members and settings change below us; Ghost's webhook events go out from here.

Wired in ApiConfig.ready(). A serialisation failure never breaks the change that caused it: it is logged
and the event is skipped.
"""

import logging
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.signals import page_published, page_unpublished

from byline.api import serializers, services, webhooks
from byline.api.models import Webhook
from byline.lib.bulk import in_bulk_change

logger = logging.getLogger(__name__)


def _quiet(handler):
    @wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            handler(*args, **kwargs)
        except Exception:
            logger.exception("webhook event skipped")

    return wrapper


def _listening(event: str) -> bool:
    # An archive import (a bulk change) sends no webhooks: thousands of "post.added" would flood
    # every integration with stories that are not news.
    return not in_bulk_change() and event in webhooks.listened_events()


def _out() -> serializers.Output:
    return serializers.Output(root_url=settings.BYLINE_URL.rstrip("/"), formats={"html", "plaintext"})


def _kind(instance) -> str:
    from byline.stories.models import StoryPage

    return "post" if isinstance(instance, StoryPage) else "page"


def _serialise(instance) -> dict:
    """A story or page as the Admin API shows it: Ghost's webhook bodies carry the admin shape."""
    from byline.stories.models import StoryPage

    shape = serializers.admin_post if isinstance(instance, StoryPage) else serializers.admin_page
    row = type(instance).objects.filter(pk=instance.pk).first() or instance
    return shape(
        services.current_version(row) if row.pk else instance,
        row,
        _out(),
        None,
        status=services.story_status(row),
        updated_at=services.admin_updated_at(row),
    )


def _content(event_kind: str, current: dict, previous: dict | None = None) -> dict:
    return {event_kind: {"current": current, "previous": previous or {}}}


def _new_key_set() -> set:
    fresh = set()

    def forget():
        fresh.clear()

    forget.webhook_keys = fresh
    transaction.on_commit(forget)
    return fresh


def _once(key) -> bool:
    """True the first time `key` is seen in the current transaction.

    Wagtail saves a page several times while publishing; one event should go out. The keys live on a
    no-op on-commit callback of the transaction, so they vanish with it whether it commits or rolls
    back (Django keeps pending callbacks in `connection.run_on_commit`).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return True
    found = [
        callback.webhook_keys
        for _, callback, _ in connection.run_on_commit
        if hasattr(callback, "webhook_keys")
    ]
    keys = found[0] if found else _new_key_set()
    if key in keys:
        return False
    keys.add(key)
    return True


@_quiet
def on_published(sender, instance, **kwargs):
    kind = _kind(instance)
    first_time = instance.first_published_at == instance.last_published_at
    event = f"{kind}.published" if first_time else f"{kind}.published.edited"
    if _listening(event) and _once((event, instance.pk)):
        webhooks.announce(event, _content(kind, _serialise(instance)))
    _site_changed()


@_quiet
def on_unpublished(sender, instance, **kwargs):
    kind = _kind(instance)
    event = f"{kind}.unpublished"
    if _listening(event) and _once((event, instance.pk)):
        webhooks.announce(event, _content(kind, _serialise(instance)))
    _site_changed()


@_quiet
def on_page_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw:
        return
    kind = _kind(instance)
    event = f"{kind}.added" if created else f"{kind}.edited"
    if _listening(event) and _once((event, instance.pk)):
        pk = instance.pk
        model = type(instance)

        def later():
            found = model.objects.filter(pk=pk).first()
            if found is not None:
                webhooks.announce(event, _content(kind, _serialise(found)))

        transaction.on_commit(later)


@_quiet
def on_page_deleting(sender, instance, **kwargs):
    kind = _kind(instance)
    event = f"{kind}.deleted"
    if _listening(event):
        previous = _serialise(instance)
        webhooks.announce(event, {kind: {"current": {}, "previous": previous}})
    _site_changed()


@_quiet
def on_tag_saved(sender, instance, created, raw=False, **kwargs):
    event = "tag.added" if created else "tag.edited"
    if not raw and _listening(event):
        webhooks.announce(event, _content("tag", serializers.admin_tag(instance, _out())))


@_quiet
def on_tag_deleted(sender, instance, **kwargs):
    if _listening("tag.deleted"):
        webhooks.announce(
            "tag.deleted", {"tag": {"current": {}, "previous": serializers.admin_tag(instance, _out())}}
        )


def _member(member) -> dict:
    return {
        "id": serializers.ghost_id(member.pk),
        "uuid": str(member.uuid),
        "email": member.email,
        "name": member.name or None,
        "note": member.note or None,
        "status": member.status,
        "created_at": serializers.admin_date(member.created_at),
        "updated_at": serializers.admin_date(member.updated_at),
    }


@_quiet
def on_member_saved(sender, instance, created, raw=False, **kwargs):
    event = "member.added" if created else "member.edited"
    if not raw and _listening(event) and _once((event, instance.pk)):
        webhooks.announce(event, _content("member", _member(instance)))


@_quiet
def on_member_deleted(sender, instance, **kwargs):
    if _listening("member.deleted"):
        webhooks.announce("member.deleted", {"member": {"current": {}, "previous": _member(instance)}})


@_quiet
def on_settings_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _site_changed()


def _site_changed():
    if _listening("site.changed") and _once(("site.changed", None)):
        webhooks.announce("site.changed", {})


def connect():
    from byline.core.models import PublicationSettings
    from byline.members.models import Member
    from byline.stories.models import StandalonePage, StoryPage, Tag

    for model in (StoryPage, StandalonePage):
        uid = model.__name__
        page_published.connect(on_published, sender=model, dispatch_uid=f"api-published-{uid}")
        page_unpublished.connect(on_unpublished, sender=model, dispatch_uid=f"api-unpublished-{uid}")
        post_save.connect(on_page_saved, sender=model, dispatch_uid=f"api-saved-{uid}")
        pre_delete.connect(on_page_deleting, sender=model, dispatch_uid=f"api-deleting-{uid}")
    post_save.connect(on_tag_saved, sender=Tag, dispatch_uid="api-tag-saved")
    post_delete.connect(on_tag_deleted, sender=Tag, dispatch_uid="api-tag-deleted")
    post_save.connect(on_member_saved, sender=Member, dispatch_uid="api-member-saved")
    post_delete.connect(on_member_deleted, sender=Member, dispatch_uid="api-member-deleted")
    post_save.connect(on_settings_saved, sender=PublicationSettings, dispatch_uid="api-settings-saved")
    post_save.connect(webhooks.forget_listened_events, sender=Webhook, dispatch_uid="api-webhook-saved")
    post_delete.connect(webhooks.forget_listened_events, sender=Webhook, dispatch_uid="api-webhook-deleted")
