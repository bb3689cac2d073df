"""The site's listings: home, tag and author archives, each paginated at /page/N/."""

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from byline.stories.models import Author, StoryPage, Tag

STORIES_PER_PAGE = 15


def paginate(stories, page_number: int):
    """One page of stories, or 404 for page 0 and pages past the end (never a 500).

    `count()` is one query and the page's slice another, so the cost does not grow with the archive.
    """
    if page_number < 1:
        raise Http404("No such page")
    try:
        return Paginator(stories, STORIES_PER_PAGE).page(page_number)
    except EmptyPage:
        raise Http404("No such page")


def home(request, page_number: int = 1):
    stories = StoryPage.objects.published().for_cards()
    featured = None
    if page_number == 1:
        featured = stories.filter(featured=True).first()
        if featured is not None:
            stories = stories.exclude(pk=featured.pk)
    page = paginate(stories, page_number)
    return render(
        request,
        "stories/home.html",
        {"featured": featured, "page": page, "stories": page.object_list, "base_path": "/"},
    )


def tag_archive(request, slug: str, page_number: int = 1):
    tag = get_object_or_404(Tag.objects.select_related("feature_image"), slug=slug)
    if tag.is_internal:
        raise Http404("No such tag")
    stories = StoryPage.objects.published().filter(story_tags__tag=tag).for_cards()
    page = paginate(stories, page_number)
    return render(
        request,
        "stories/tag.html",
        {
            "tag": tag,
            "page": page,
            "stories": page.object_list,
            "base_path": tag.get_absolute_url(),
        },
    )


def author_archive(request, slug: str, page_number: int = 1):
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    stories = StoryPage.objects.published().filter(story_authors__author=author).for_cards()
    page = paginate(stories, page_number)
    return render(
        request,
        "stories/author.html",
        {
            "author": author,
            "page": page,
            "stories": page.object_list,
            "base_path": author.get_absolute_url(),
        },
    )
