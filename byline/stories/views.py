"""The site's listings: home, tag and author archives, each paginated at /page/N/."""

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from byline.stories.models import Author, StoryPage, Tag, load_cards, prefetch_renditions

STORIES_PER_PAGE = 15


def paginate(stories, page_number: int | None):
    """One page of story ids (page 1 when no number is given), or 404 for page 0 and pages past
    the end (never a 500).

    Two queries whatever the size of the archive: the count, and the ids of the page's slice.
    The page's stories are then loaded for their cards with `load_cards`.
    """
    page_number = 1 if page_number is None else page_number
    if page_number < 1:
        raise Http404("No such page")
    try:
        return Paginator(stories.values_list("pk", flat=True), STORIES_PER_PAGE).page(page_number)
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
    page = paginate(listing, page_number)
    lead = [featured_id] if featured_id and page.number == 1 else []
    stories = load_cards(lead + list(page.object_list))
    featured = stories.pop(0) if lead and stories and stories[0].pk == featured_id else None
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
    page = paginate(StoryPage.objects.published().filter(story_tags__tag=tag), page_number)
    return render(
        request,
        "stories/tag.html",
        {
            "tag": tag,
            "page": page,
            "stories": load_cards(page.object_list),
            "base_path": tag.get_absolute_url(),
        },
    )


def author_archive(request, slug: str, page_number: int | None = None):
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    if response := first_page_redirect(author.get_absolute_url(), page_number):
        return response
    prefetch_renditions([author.photo] if author.photo else [])
    stories = StoryPage.objects.published().filter(story_authors__author=author)
    page = paginate(stories, page_number)
    return render(
        request,
        "stories/author.html",
        {
            "author": author,
            "page": page,
            "stories": load_cards(page.object_list),
            "base_path": author.get_absolute_url(),
        },
    )
