"""The site's listings: home, tag and author archives, each paginated at /page/N/."""

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property

from byline import pagecache
from byline.stories.models import (
    Author,
    StoryAuthor,
    StoryPage,
    StoryTag,
    Tag,
    archive_ids,
    cached_count,
    card_dependencies,
    load_cards,
    prefetch_renditions,
)

STORIES_PER_PAGE = 15


class CountedPaginator(Paginator):
    """Django's Paginator, told the count rather than asking the database for it."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


def paginate(story_ids, page_number: int | None, listing: str):
    """One page of story ids (page 1 when no number is given), or 404 for page 0 and pages past
    the end (never a 500). `story_ids`: a query of ids in the listing's order.

    Indexed offsets rather than keysets: /page/N/ is Ghost's address scheme and must keep working,
    and the offset walks an index matching the ORDER BY (migrations 0004 and 0005), N × 15
    entries, instead of sorting the archive. The count comes from the listing cache
    (`cached_count`, keyed by `listing`), so a page costs one query for its ids; load_cards then
    loads its stories.
    """
    page_number = 1 if page_number is None else page_number
    if page_number < 1:
        raise Http404("No such page")
    count = cached_count(story_ids, listing)
    try:
        return CountedPaginator(story_ids, STORIES_PER_PAGE, count).page(page_number)
    except EmptyPage:
        raise Http404("No such page")


def first_page_redirect(base_path: str, page_number: int | None):
    """/page/1/ is the listing itself: one address per page, as Ghost does."""
    return redirect(base_path, permanent=True) if page_number == 1 else None


def home(request, page_number: int | None = None):
    if response := first_page_redirect("/", page_number):
        return response
    published = StoryPage.objects.published()
    # The newest featured story leads page 1 and is left out of the list on every page, so no
    # story shows twice and page 2 starts where page 1 ended.
    featured_id = published.filter(featured=True).values_list("pk", flat=True).first()
    listing = published.exclude(pk=featured_id) if featured_id else published
    page = paginate(listing.values_list("pk", flat=True), page_number, f"home:{featured_id}")
    lead = [featured_id] if featured_id and page.number == 1 else []
    stories = load_cards(lead + list(page.object_list))
    featured = stories.pop(0) if lead and stories and stories[0].pk == featured_id else None
    pagecache.depends_on(request, "stories", *card_dependencies(stories))
    return render(
        request,
        "stories/home.html",
        {"featured": featured, "page": page, "stories": stories, "base_path": "/"},
    )


def tag_archive(request, slug: str, page_number: int | None = None):
    tag = get_object_or_404(Tag.objects.select_related("feature_image"), slug=slug)
    if tag.is_internal:
        raise Http404("No such tag")
    if response := first_page_redirect(tag.get_absolute_url(), page_number):
        return response
    prefetch_renditions([tag.feature_image] if tag.feature_image else [])
    page = paginate(archive_ids(StoryTag.objects.filter(tag=tag)), page_number, f"tag:{tag.pk}")
    stories = load_cards(page.object_list)
    pagecache.depends_on(request, f"tag:{tag.pk}", f"tag-stories:{tag.pk}", *card_dependencies(stories))
    return render(
        request,
        "stories/tag.html",
        {
            "tag": tag,
            "page": page,
            "stories": stories,
            "base_path": tag.get_absolute_url(),
        },
    )


def author_archive(request, slug: str, page_number: int | None = None):
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    if response := first_page_redirect(author.get_absolute_url(), page_number):
        return response
    prefetch_renditions([author.photo] if author.photo else [])
    page = paginate(
        archive_ids(StoryAuthor.objects.filter(author=author)), page_number, f"author:{author.pk}"
    )
    stories = load_cards(page.object_list)
    pagecache.depends_on(
        request, f"author:{author.pk}", f"author-stories:{author.pk}", *card_dependencies(stories)
    )
    return render(
        request,
        "stories/author.html",
        {
            "author": author,
            "page": page,
            "stories": stories,
            "base_path": author.get_absolute_url(),
        },
    )
