"""/sitemap.xml (an index of stories, pages, tags and authors) and the Google News sitemap.

Stories and pages come from Wagtail's sitemap generator (it knows live, public and the site root);
tags and authors are Django sitemaps over the snippets that have at least one live story.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Exists, Max, OuterRef
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from wagtail.contrib.sitemaps import Sitemap as WagtailSitemap
from wagtail.contrib.sitemaps.views import prepare_sitemaps
from wagtail.models import Site

from byline.core.models import view_restrictions_exist
from byline.core.services import page_paths
from byline.stories.models import Author, StoryAuthor, StoryPage, StoryTag, Tag, cached_listing_fact

# Search engines read at most 50,000 URLs per sitemap file: each section splits into pages of
# this many (?p=2, ?p=3, …), all listed by the index; one page is one slice of the section.
SITEMAP_LIMIT = 50_000
NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000  # Google News reads at most 1,000 URLs per sitemap.


class FactsFromListingCache:
    """The index reads, for every section, its size (how many sitemap pages) and its newest change.
    Both read every row of the section: at 100,000 stories that made /sitemap.xml take most of a
    second. They come from the listing cache instead (stories.models.cached_listing_fact), which
    forgets them on any change to a story, tag or author."""

    def fact_name(self, fact: str) -> str:
        site = self.get_wagtail_site().pk if isinstance(self, WagtailSitemap) else ""
        return f"sitemap:{type(self).__name__}:{site}:{fact}"

    @cached_property  # read several times per request (the index, each page); sitemaps are per request
    def paginator(self):
        paginator = super().paginator
        paginator.count = cached_listing_fact(self.fact_name("count"), paginator.object_list.count)
        return paginator

    def newest_change(self):
        return super().get_latest_lastmod()

    def get_latest_lastmod(self):
        return cached_listing_fact(self.fact_name("lastmod"), self.newest_change)


class NewestChangeInOneQuery(FactsFromListingCache):
    """Django's default newest change calls lastmod() on every item of the section (half a minute
    at 100,000 stories); one aggregate gives the same date."""

    def newest_change(self):
        newest = (
            self.items().order_by().aggregate(Max("last_published_at"), Max("latest_revision_created_at"))
        )
        return max((date for date in newest.values() if date), default=None)


class StorySitemap(NewestChangeInOneQuery, WagtailSitemap):
    """Every live story of the site, as Wagtail's generator lists pages, from three columns a row.

    Wagtail's generator builds each page as a full specific Page and asks it for its URL: at 50,000
    stories a sitemap page took 13 s. Here a row is (url_path, last published, last revised) and
    the address is the site's root URL and the path below the site's root page, as Wagtail's
    get_url_parts() writes it (tested against get_full_url, unicode slugs included)."""

    limit = SITEMAP_LIMIT

    def items(self):
        # Email-only stories went to inboxes, not to the site: no URL of theirs answers. Listed
        # stories are exactly the live ones that are not email-only.
        root = self.get_wagtail_site().root_page
        stories = StoryPage.objects.descendant_of(root, inclusive=True).filter(listed_at__isnull=False)
        if view_restrictions_exist():  # public() looks for restrictions itself: a query each time
            stories = stories.public()
        # Wagtail's lastmod: the last publication, else the last revision (pages from before the
        # former existed), in one column.
        lastmod = Coalesce("last_published_at", "latest_revision_created_at")
        return stories.order_by("path").values_list("url_path", lastmod)

    def _urls(self, page, protocol, domain):
        site = self.get_wagtail_site()
        path = page_paths(site)
        urls = [
            {"location": site.root_url + path(url_path), "lastmod": lastmod}
            for url_path, lastmod in self.paginator.page(page).object_list
        ]
        dates = [url["lastmod"] for url in urls]
        if dates and None not in dates:
            self.latest_lastmod = max(dates)
        return urls


class UrlsetXml:
    """Django's sitemap.xml template, written out by hand for the same output (tested): the template
    engine costs about 0.1 ms a URL, five seconds for a page of 50,000. A template object to Django
    (render(context, request)), so the sitemap view is Django's own."""

    HEAD = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
    )

    def render(self, context=None, request=None) -> str:
        parts = [self.HEAD]
        zone = timezone.get_current_timezone()
        for url in (context or {}).get("urlset", ()):
            parts.append(f"<url><loc>{escape(url['location'])}</loc>")
            if url.get("lastmod"):
                parts.append(f"<lastmod>{date_format(url['lastmod'], zone)}</lastmod>")
            if url.get("changefreq"):
                parts.append(f"<changefreq>{escape(url['changefreq'])}</changefreq>")
            if url.get("priority"):
                parts.append(f"<priority>{escape(url['priority'])}</priority>")
            for alternate in url.get("alternates") or ():
                parts.append(
                    f'<xhtml:link rel="alternate" hreflang="{escape(alternate["lang_code"])}"'
                    f' href="{escape(alternate["location"])}"/>'
                )
            parts.append("</url>")
        parts.append("\n</urlset>\n")
        return "".join(parts)


def date_format(moment, zone) -> str:
    """As the template's `date:"Y-m-d"`: an aware datetime in the site's time zone first."""
    if isinstance(moment, datetime) and moment.utcoffset() is not None:
        moment = moment.astimezone(zone)
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"


class PageSitemap(NewestChangeInOneQuery, WagtailSitemap):
    limit = SITEMAP_LIMIT

    def items(self):
        return super().items().not_type(StoryPage)


class TagSitemap(FactsFromListingCache, DjangoSitemap):
    limit = SITEMAP_LIMIT

    def items(self):
        # EXISTS per tag walks the tag's own links (an index) and stops at the first live story; a
        # join with DISTINCT would read every link in the archive (half a second at 100,000).
        live = StoryPage.objects.published().filter(pk=OuterRef("story_id"))
        has_live_story = Exists(StoryTag.objects.filter(tag=OuterRef("pk")).filter(Exists(live)))
        return Tag.objects.exclude(name__startswith="#").filter(has_live_story).order_by("slug")


class AuthorSitemap(FactsFromListingCache, DjangoSitemap):
    limit = SITEMAP_LIMIT

    def items(self):
        live = StoryPage.objects.published().filter(pk=OuterRef("story_id"))
        has_live_story = Exists(StoryAuthor.objects.filter(author=OuterRef("pk")).filter(Exists(live)))
        return Author.objects.filter(has_live_story).order_by("slug")


SECTIONS = {
    "posts": StorySitemap,
    "pages": PageSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}


def _sections(request):
    # Wagtail's sitemaps need the request (to know the site); Django's are plain instances.
    sitemaps = {name: cls if issubclass(cls, WagtailSitemap) else cls() for name, cls in SECTIONS.items()}
    return prepare_sitemaps(request, sitemaps)


@require_safe
@cache_control(max_age=600, public=True)
def index(request):
    return sitemap_views.index(request, _sections(request), sitemap_url_name="sitemap_section")


@require_safe
@cache_control(max_age=600, public=True)
def section(request, section: str):
    if section not in SECTIONS:
        raise Http404("No such sitemap")
    return sitemap_views.sitemap(request, _sections(request), section=section, template_name=UrlsetXml())


@require_safe
@cache_control(max_age=300, public=True)
def news(request):
    """Stories published in the last 48 hours, in Google News' sitemap format."""
    since = timezone.now() - NEWS_WINDOW
    stories = (
        StoryPage.objects.published()
        .filter(first_published_at__gte=since, visibility="public")
        .order_by("-first_published_at")[:NEWS_LIMIT]
    )
    site = Site.find_for_request(request)
    root_url = site.root_url if site else request.build_absolute_uri("/").rstrip("/")
    return render(
        request,
        "stories/sitemap_news.xml",
        # Google News wants the publication's language as an ISO 639 code ("en", "fr", "zh-cn").
        {"stories": stories, "root_url": root_url, "LANGUAGE_CODE": settings.LANGUAGE_CODE.lower()},
        content_type="application/xml; charset=utf-8",
    )
