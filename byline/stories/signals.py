"""What the page cache must forget when stories, tags and authors change. Wired in
StoriesConfig.ready(). Pages declare what they show (`pagecache.depends_on`) with the names below;
a change purges the names it touches, after its transaction commits.

- `story:<id>`: the story's own page, and every card or related block that shows it.
- `stories`: the stream of stories (home pages, feeds, sitemaps): any story change moves it.
- `tag-stories:<id>` / `author-stories:<id>`: which stories an archive lists and in what order.
- `tag:<id>` / `author:<id>`: the tag's or author's own fields (name, description, photo).
"""

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from wagtail.signals import page_published, page_unpublished

from byline.lib.bulk import in_bulk_change
from byline.pagecache import purge_after_commit


def _archive_memberships(story_id) -> tuple[set, set]:
    from byline.stories.models import StoryAuthor, StoryTag

    tags = set(StoryTag.objects.filter(story_id=story_id).values_list("tag_id", flat=True))
    authors = set(StoryAuthor.objects.filter(story_id=story_id).values_list("author_id", flat=True))
    return tags, authors


def _remember_memberships(sender, instance, update_fields=None, **kwargs):
    # Before publishing replaces the tag and author rows: the archives the story leaves change too.
    # Only a whole save rewrites those rows; a draft saved (save_revision) names its few fields.
    if instance.pk and update_fields is None and not in_bulk_change():
        instance._pagecache_memberships = _archive_memberships(instance.pk)


def _purge_story(instance) -> None:
    if in_bulk_change():
        return
    tags, authors = getattr(instance, "_pagecache_memberships", (set(), set()))
    now_tags, now_authors = _archive_memberships(instance.pk)
    tags, authors = tags | now_tags, authors | now_authors
    urls = [instance.url or "", "/", "/rss/", "/sitemap.xml"]
    urls += [f"/tag/{tag.slug}/" for tag in instance.tags] if instance.pk else []
    purge_after_commit(
        f"story:{instance.pk}",
        "stories",
        *(f"tag-stories:{tag}" for tag in tags),
        *(f"author-stories:{author}" for author in authors),
        urls=[url for url in urls if url],
    )


def story_published(sender, instance, **kwargs):
    _purge_story(instance)


def story_unpublished(sender, instance, **kwargs):
    _purge_story(instance)


def story_deleting(sender, instance, **kwargs):
    if not in_bulk_change():
        instance._pagecache_memberships = _archive_memberships(instance.pk)


def story_deleted(sender, instance, **kwargs):
    if in_bulk_change():
        return
    tags, authors = getattr(instance, "_pagecache_memberships", (set(), set()))
    purge_after_commit(
        f"story:{instance.pk}",
        "stories",
        *(f"tag-stories:{tag}" for tag in tags),
        *(f"author-stories:{author}" for author in authors),
    )


def tag_changed(sender, instance, **kwargs):
    if not in_bulk_change():
        purge_after_commit(
            f"tag:{instance.pk}", f"tag-stories:{instance.pk}", urls=[f"/tag/{instance.slug}/"]
        )


def author_changed(sender, instance, **kwargs):
    if not in_bulk_change():
        purge_after_commit(
            f"author:{instance.pk}", f"author-stories:{instance.pk}", urls=[f"/author/{instance.slug}/"]
        )


def connect() -> None:
    from byline.stories.models import Author, StoryPage, Tag

    pre_save.connect(_remember_memberships, sender=StoryPage, dispatch_uid="pagecache-story-saving")
    page_published.connect(story_published, sender=StoryPage, dispatch_uid="pagecache-story-published")
    page_unpublished.connect(story_unpublished, sender=StoryPage, dispatch_uid="pagecache-story-unpublished")
    pre_delete.connect(story_deleting, sender=StoryPage, dispatch_uid="pagecache-story-deleting")
    post_delete.connect(story_deleted, sender=StoryPage, dispatch_uid="pagecache-story-deleted")
    for model, receiver in ((Tag, tag_changed), (Author, author_changed)):
        post_save.connect(receiver, sender=model, dispatch_uid=f"pagecache-{model.__name__}-saved")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"pagecache-{model.__name__}-deleted")
