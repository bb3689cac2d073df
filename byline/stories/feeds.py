"""RSS 2.0 feeds: the 15 latest stories, full content in content:encoded, feature image as
media:content (what feed readers and Ghost's own feed offer)."""

import re

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.html import escape
from wagtail.models import Site

from byline.core.models import PublicationSettings
from byline.stories.models import Author, StoryPage, Tag, load_bodies, prepare_cards

FEED_SIZE = 15
# Root-relative URLs in src/href attributes and in every candidate of a srcset, to be made
# absolute for readers outside the site.
RELATIVE_URL = re.compile(r"""(\s(?:src|href|poster)=)(["'])/(?!/)""")
SRCSET = re.compile(r"""(\ssrcset=)(["'])(.*?)\2""", re.DOTALL)


def absolute_urls(html: str, root_url: str) -> str:
    def srcset(match):
        candidates = [candidate.strip() for candidate in match[3].split(",")]
        fixed = [
            root_url + candidate if candidate.startswith("/") and candidate[1:2] != "/" else candidate
            for candidate in candidates
        ]
        return f"{match[1]}{match[2]}{', '.join(fixed)}{match[2]}"

    html = RELATIVE_URL.sub(lambda match: f"{match[1]}{match[2]}{root_url}/", html)
    return SRCSET.sub(srcset, html)


class StoryFeedGenerator(Rss201rev2Feed):
    content_type = "application/rss+xml; charset=utf-8"

    def rss_attributes(self):
        attrs = super().rss_attributes()
        attrs["xmlns:content"] = "http://purl.org/rss/1.0/modules/content/"
        attrs["xmlns:media"] = "http://search.yahoo.com/mrss/"
        attrs["xmlns:dc"] = "http://purl.org/dc/elements/1.1/"
        return attrs

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        handler.addQuickElement("ttl", "60")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item["creators"]:
            handler.addQuickElement("dc:creator", name)
        if item["image_url"]:
            handler.addQuickElement("media:content", attrs={"url": item["image_url"], "medium": "image"})
        handler.addQuickElement("content:encoded", item["content_html"])


class LatestStoriesFeed(Feed):
    feed_type = StoryFeedGenerator

    def __call__(self, request, *args, **kwargs):
        self.request = request
        site = Site.find_for_request(request)
        self.publication = PublicationSettings.cached_for_site(site) if site else PublicationSettings()
        self.root_url = request.build_absolute_uri("/").rstrip("/")
        return super().__call__(request, *args, **kwargs)

    def stories(self):
        return StoryPage.objects.published().for_everyone().select_related("feature_image")

    def items(self, obj=None):
        stories = list(self.stories_for(obj)[:FEED_SIZE])
        prepare_cards(stories)  # authors, tags and image renditions for all of them at once
        load_bodies(stories)  # every story's full text is in the feed
        return stories

    def stories_for(self, obj):
        return self.stories()

    def title(self, obj=None):
        return self.publication.name

    def description(self, obj=None):
        return self.publication.description or self.publication.name

    def link(self, obj=None):
        return "/"

    def item_title(self, story):
        return story.title

    def item_link(self, story):
        return story.get_url(self.request)

    def item_guid(self, story):
        return str(story.pk)

    item_guid_is_permalink = False

    def item_description(self, story):
        return story.excerpt

    def item_pubdate(self, story):
        return story.published_at

    def item_updateddate(self, story):
        return story.updated_at

    # No item_author_name: Django would write it as one more dc:creator, and every author is
    # already one (add_item_elements).

    def item_categories(self, story):
        return [tag.name for tag in story.public_tags]

    def item_extra_kwargs(self, story):
        image_url = self.feature_image_url(story)
        html = story.body_html()
        if image_url:
            alt = escape(story.feature_image_alt)
            html = f'<img src="{escape(image_url)}" alt="{alt}">' + html
        return {
            "creators": [author.name for author in story.authors],
            "image_url": image_url,
            "content_html": absolute_urls(html, self.root_url),
        }

    def feature_image_url(self, story) -> str:
        if not story.feature_image:
            return ""
        url = story.feature_image.get_rendition("width-1200").url
        return url if url.startswith("http") else self.root_url + url


class TagFeed(LatestStoriesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Tag.objects.exclude(name__startswith="#"), slug=slug)

    def title(self, tag):
        return f"{tag.name} · {self.publication.name}"

    def link(self, tag):
        return tag.get_absolute_url()

    def stories_for(self, tag):
        # Walks the tag's links newest first (StoryTag.listed_at) rather than sorting its stories.
        return (
            self.stories()
            .filter(story_tags__tag=tag, story_tags__listed_at__isnull=False)
            .order_by("-story_tags__listed_at", "-pk")
        )


class AuthorFeed(LatestStoriesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Author, slug=slug)

    def title(self, author):
        return f"{author.name} · {self.publication.name}"

    def link(self, author):
        return author.get_absolute_url()

    def stories_for(self, author):
        return (
            self.stories()
            .filter(story_authors__author=author, story_authors__listed_at__isnull=False)
            .order_by("-story_authors__listed_at", "-pk")
        )


# Feed objects keep the request on themselves, so each request gets its own instance (a shared one
# would mix requests under a threaded server).
def latest(request):
    return LatestStoriesFeed()(request)


def by_tag(request, slug):
    return TagFeed()(request, slug=slug)


def by_author(request, slug):
    return AuthorFeed()(request, slug=slug)
