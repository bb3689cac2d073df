"""Stories, standalone pages, authors and tags."""

import hashlib
import uuid
from collections import defaultdict

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.blocks import StreamValue
from wagtail.blocks.list_block import ListValue
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.images.models import AbstractImage
from wagtail.models import Orderable, Page, PageManager, PageQuerySet
from wagtail.search import index

from byline import pagecache
from byline.core.blocks import StoryBodyBlock
from byline.core.models import ReservedSlugMixin, ViewRestrictionsMixin
from byline.lib import text
from byline.lib.bulk import bulk_change_finished, in_bulk_change
from byline.stories.forms import StoryPageForm

# Discs behind an author's initials when they have no photo: the theme defines this many colours
# (.avatar--c0 … .avatar--c6); the slug picks one so an author keeps their colour everywhere.
INITIALS_COLOUR_COUNT = 7


def image_queryset():
    return get_image_model().objects.prefetch_renditions()


class Author(index.Indexed, models.Model):
    """A byline credit shown on stories. Not a login: staff users are separate."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    bio = models.TextField(blank=True, max_length=2000)
    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    website = models.URLField(blank=True)
    location = models.CharField(max_length=120, blank=True)
    x_handle = models.CharField("X (Twitter) handle", max_length=50, blank=True)
    facebook = models.CharField(max_length=100, blank=True)
    bluesky_handle = models.CharField(max_length=100, blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("bio"),
        FieldPanel("photo"),
        FieldPanel("location"),
        MultiFieldPanel(
            [
                FieldPanel("website"),
                FieldPanel("x_handle"),
                FieldPanel("facebook"),
                FieldPanel("bluesky_handle"),
            ],
            "Links",
        ),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:120] or "author"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"/author/{self.slug}/"

    @property
    def initials(self) -> str:
        """Up to two letters: first and last word of the name ("Ada Lovelace" -> "AL")."""
        words = [word for word in self.name.split() if word[:1].isalnum()]
        if not words:
            return "?"
        letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
        return letters.upper()

    @property
    def initials_colour_index(self) -> int:
        digest = hashlib.sha256(self.slug.encode()).digest()
        return digest[0] % INITIALS_COLOUR_COUNT

    def same_as(self) -> list[str]:
        """Profile URLs for JSON-LD `sameAs`."""
        urls = [self.website] if self.website else []
        if self.x_handle:
            urls.append(f"https://x.com/{self.x_handle.lstrip('@')}")
        if self.facebook:
            urls.append(f"https://www.facebook.com/{self.facebook}")
        if self.bluesky_handle:
            urls.append(f"https://bsky.app/profile/{self.bluesky_handle}")
        return urls


class Tag(index.Indexed, models.Model):
    """A topic. Tags whose name starts with '#' are internal: used by the newsroom, never shown."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True, max_length=1000)
    feature_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accent_colour = models.CharField(max_length=7, blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("feature_image"),
        FieldPanel("accent_colour"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            # Ghost's convention: "#internal" becomes "hash-internal".
            base = ("hash-" + self.name[1:]) if self.is_internal else self.name
            self.slug = slugify(base)[:120] or "tag"
        super().save(*args, **kwargs)

    @property
    def is_internal(self) -> bool:
        return self.name.startswith("#")

    @property
    def visibility(self) -> str:
        return "internal" if self.is_internal else "public"

    def get_absolute_url(self) -> str:
        return self.url_for(self.slug)

    @staticmethod
    def url_for(slug: str) -> str:
        """A tag's page by its slug, for rows read without building the model (search results)."""
        return f"/tag/{slug}/"


# The two largest columns of a story, which a card never shows (it shows the stored excerpt).
NOT_ON_CARDS = ("body", "plaintext")


class StoryQuerySet(PageQuerySet):
    def published(self):
        """Stories the site lists, newest first: live and not email-only (those went to inboxes,
        not to the site), as StoryPage.listed_at records, so the filter and the order walk one
        index (migration 0004)."""
        return self.filter(listed_at__isnull=False).order_by("-listed_at", "-pk")

    def for_everyone(self):
        """Stories anyone may read. Written as "none of the other visibilities": SQLite plans an
        equality test on the story table by scanning that table and sorting the whole archive
        (a third of a second at 100,000 stories), while this keeps the walk down the newest-first
        index of the published listing (a few milliseconds)."""
        closed = [value for value, _ in StoryPage.VISIBILITY_CHOICES if value != "public"]
        return self.exclude(visibility__in=closed)

    def date_as_published(self, when) -> None:
        """Date these stories as first published at `when`, without saving them (the demo's
        spread over past days, the Admin API's `published_at`, test archives): the page row, the
        listing date of those the site lists (live, not email-only), and their tag and author links."""
        ids = list(self.values_list("pk", flat=True))
        StoryPage.objects.filter(pk__in=ids).update(first_published_at=when)
        StoryPage.objects.filter(pk__in=ids, live=True, email_only=False).update(listed_at=when)
        copy_listing_dates(ids)

    def for_card_fields(self):
        """The story rows a card reads, with their feature images (NOT_ON_CARDS left unread)."""
        return self.select_related("feature_image").defer(*NOT_ON_CARDS)

    def for_cards(self):
        """Everything a story card shows, in a fixed number of queries whatever the count.

        The feature image is prefetched rather than joined: a joined image counts as already
        fetched, and its renditions would then be looked up one image at a time.
        """
        photo_renditions = Prefetch(
            "story_authors__author__photo__renditions",
            queryset=get_image_model().get_rendition_model().objects.all(),
            to_attr="prefetched_renditions",
        )
        return self.prefetch_related(
            Prefetch("feature_image", queryset=image_queryset()), *byline_prefetches(), photo_renditions
        )


def card_dependencies(stories) -> list[str]:
    return [name for story in stories for name in story.card_dependencies()]


def load_cards(ids) -> list["StoryPage"]:
    """The stories with these ids, ready for cards, in the order of `ids`, in four queries however
    many there are: the stories with their feature images, their authors with photos, their tags,
    and the renditions of every image on the cards.

    Listings choose their stories by id first (a cheap query), then load them here, so a page that
    shows cards from two choices (the featured story and the latest) loads them in one go.
    """
    ids = list(ids)
    if not ids:
        return []
    stories = StoryPage.objects.filter(pk__in=ids).for_card_fields().in_bulk()
    cards = [stories[pk] for pk in ids if pk in stories]
    prepare_cards(cards)
    return cards


def prepare_cards(stories) -> None:
    """Authors (with photos) and tags of `stories` in two queries, then the renditions of their
    feature images and the photos in one (joined images are fine here: their renditions are
    attached by prefetch_renditions, which get_rendition reads first)."""
    prefetch_links(stories)
    prefetch_renditions(card_images(stories))


def prefetch_links(stories, *, authors: bool = True, tags: bool = True) -> None:
    """The stories' author links (with the authors and their photos) and tag links, in order: one
    query each for any number of stories (cards show no tag images)."""
    author_links, tag_links = byline_prefetches(tag_images=False)
    lookups = ([author_links] if authors else []) + ([tag_links] if tags else [])
    if stories and lookups:
        prefetch_related_objects(list(stories), *lookups)


def card_images(stories) -> list:
    """The images cards of `stories` show: feature images and their authors' photos."""
    images = []
    for story in stories:
        images += [story.feature_image] if story.feature_image_id else []
        images += [author.photo for author in story.authors if author.photo_id]
    return images


def byline_prefetches(*, tag_images: bool = True) -> list[Prefetch]:
    """A story's authors (with their photos) and tags (with their feature images unless told not
    to), in order, in two queries for any number of stories. Renditions are not loaded: see
    prepare_cards for cards."""
    tag = "tag__feature_image" if tag_images else "tag"
    return [
        Prefetch(
            "story_authors",
            queryset=StoryAuthor.objects.select_related("author__photo").order_by("sort_order"),
        ),
        Prefetch("story_tags", queryset=StoryTag.objects.select_related(tag).order_by("sort_order")),
    ]


def prefetch_renditions(images) -> None:
    """Every existing rendition of `images` in one query (what get_rendition looks at first)."""
    # One object per image (the same photo on several cards is one image to fill in).
    unique = {id(image): image for image in images if not hasattr(image, "prefetched_renditions")}
    images = list(unique.values())
    if images:
        renditions = get_image_model().get_rendition_model().objects.all()
        prefetch_related_objects(
            images, Prefetch("renditions", queryset=renditions, to_attr="prefetched_renditions")
        )


def load_bodies(stories) -> None:
    """Convert the bodies of many stories together (for a feed that renders them all): each kind
    of block that reads the database, such as images and galleries, then costs one query for all
    the stories instead of one per story, and the renditions of every image in them one more."""
    stream_block = StoryPage._meta.get_field("body").stream_block
    converted = []
    pending = defaultdict(list)  # block type -> [(story's number, block's position, raw block)]
    for number, story in enumerate(stories):
        raw_blocks = list(story.body.raw_data)
        converted.append([None] * len(raw_blocks))
        for position, raw in enumerate(raw_blocks):
            pending[raw["type"]].append((number, position, raw))
    for type_name, entries in pending.items():
        values = stream_block.child_blocks[type_name].bulk_to_python([raw["value"] for _, _, raw in entries])
        for (number, position, raw), value in zip(entries, values, strict=True):
            converted[number][position] = (type_name, value, raw.get("id"))
    images = []
    for story, blocks in zip(stories, converted, strict=True):
        story.body = StreamValue(stream_block, blocks, is_lazy=False)
        for block in story.body:
            images += _images_in(block.value)
    prefetch_renditions(images)


def _images_in(value):
    """The images inside a block value (image blocks, galleries, images nested in structs)."""
    if isinstance(value, AbstractImage):
        yield value
    elif isinstance(value, dict):  # StructValue
        for item in value.values():
            yield from _images_in(item)
    elif isinstance(value, ListValue | list | tuple):
        for item in value:
            yield from _images_in(item)


# Sent while a story page's context is built, with `story` and `request`. A receiver answers with
# the stories it will show on the page as cards (the related block), not yet prepared: the page
# prepares them with itself (prefetch_for_page). The apps above answer; stories knows none of them.
story_page_cards = Signal()

StoryManager = PageManager.from_queryset(StoryQuerySet)

# Listing counts ("Page 3 of 40", "212 stories") read every row of a listing: at 100,000 stories
# that is the one query of a listing page that grows with the archive. They are kept in Django's
# cache under a generation that any write to a story or its tags and authors replaces, so a count
# is never stale after a change made through the ORM; the timeout bounds the staleness of writes
# that bypass it (raw SQL).
LISTING_COUNT_SECONDS = 60
_LISTING_GENERATION = "byline:listing-generation"


def cached_listing_fact(name: str, compute):
    """A fact about the listings (a count, the newest change) from the listing cache: `compute()`
    runs only after a change to stories, their tags or authors, or LISTING_COUNT_SECONDS."""
    generation = cache.get_or_set(_LISTING_GENERATION, lambda: uuid.uuid4().hex, None)
    key = f"byline:listing:{generation}:{name}"
    found = cache.get(key)
    if found is None:
        found = (compute(),)  # in a tuple: a fact may be None (an empty section has no newest date)
        cache.set(key, found, LISTING_COUNT_SECONDS)
    return found[0]


def cached_count(queryset, name: str) -> int:
    return cached_listing_fact(f"count:{name}", queryset.count)


def listings_changed(**kwargs) -> None:
    if in_bulk_change():  # an import: forgotten once, by bulk_change_finished, not per row
        return

    def forget():
        cache.set(_LISTING_GENERATION, uuid.uuid4().hex, None)

    forget()
    transaction.on_commit(forget)  # again: a count read while the change was uncommitted is old


# The fields StoryPage.listed_at is derived from.
LISTED_BY = frozenset(
    {"live", "email_only", "first_published_at", "go_live_at", "latest_revision_created_at"}
)


class StoryPage(ViewRestrictionsMixin, ReservedSlugMixin, Page):
    """A story: the unit of publishing. Its derived fields are computed on every save."""

    VISIBILITY_CHOICES = [("public", "Everyone"), ("members", "Members only")]
    COMMENTS_OPEN = "open"
    COMMENTS_CLOSED = "closed"
    COMMENTS_HIDDEN = "hidden"
    COMMENTS_CHOICES = [
        (COMMENTS_OPEN, "Open"),
        (COMMENTS_CLOSED, "Closed (the thread stays visible, no new comments)"),
        (COMMENTS_HIDDEN, "Hidden"),
    ]

    body = StreamField(StoryBodyBlock(), blank=True, use_json_field=True)
    custom_excerpt = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown under the title and on cards. Leave empty to use the story's opening.",
    )
    feature_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    feature_image_alt = models.CharField(max_length=250, blank=True)
    feature_image_caption = models.CharField(max_length=500, blank=True)
    featured = models.BooleanField(default=False)
    visibility = models.CharField(max_length=10, choices=VISIBILITY_CHOICES, default="public")
    comments = models.CharField(max_length=10, choices=COMMENTS_CHOICES, default=COMMENTS_OPEN)

    # Email options: a string reference, so stories never import newsletters (a higher floor).
    email_newsletter = models.ForeignKey(
        "newsletters.Newsletter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="send as email to",
        help_text="Subscribers of this newsletter receive the story by email when it goes live.",
    )
    email_subject = models.CharField(max_length=300, blank=True, help_text="Defaults to the story's title.")
    email_only = models.BooleanField(
        default=False, help_text="Send the email but do not show the story on the site."
    )

    og_title = models.CharField("Facebook/OpenGraph title", max_length=300, blank=True)
    og_description = models.CharField("OpenGraph description", max_length=500, blank=True)
    og_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    twitter_title = models.CharField("X card title", max_length=300, blank=True)
    twitter_description = models.CharField("X card description", max_length=500, blank=True)
    twitter_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    canonical_url = models.URLField(max_length=2000, blank=True)

    # Derived on save (see refresh_derived_fields): never edited by hand.
    plaintext = models.TextField(blank=True, editable=False)
    excerpt = models.TextField(blank=True, editable=False)
    reading_time = models.PositiveIntegerField(null=True, editable=False)
    word_count = models.PositiveIntegerField(default=0, editable=False)
    # When the site lists the story (its publication date), or empty while it is not listed (a
    # draft, unpublished, email-only). The listings' filter and order both live on Wagtail's page
    # table and this one; a copy here lets every listing walk one index of this table, so page
    # 6,000 of the home costs what page 1 does (StoryQuerySet.published).
    listed_at = models.DateTimeField(null=True, editable=False)

    objects = StoryManager()
    base_form_class = StoryPageForm

    parent_page_types = ["core.HomePage"]
    subpage_types = []

    content_panels = Page.content_panels + [
        FieldPanel("custom_excerpt"),
        MultiFieldPanel(
            [
                FieldPanel("feature_image"),
                FieldPanel("feature_image_alt"),
                FieldPanel("feature_image_caption"),
            ],
            "Feature image",
        ),
        FieldPanel("body"),
        InlinePanel("story_authors", label="Authors", min_num=1, heading="Authors"),
        InlinePanel("story_tags", label="Tags", heading="Tags (the first public tag is primary)"),
        InlinePanel("pinned_related", label="Related story", max_num=4, heading="Pinned related stories"),
        MultiFieldPanel(
            [FieldPanel("featured"), FieldPanel("visibility"), FieldPanel("comments")], "Placement"
        ),
    ]
    email_panels = [
        FieldPanel("email_newsletter"),
        FieldPanel("email_subject"),
        FieldPanel("email_only"),
    ]
    seo_panels = Page.promote_panels + [
        MultiFieldPanel(
            [FieldPanel("og_title"), FieldPanel("og_description"), FieldPanel("og_image")],
            "OpenGraph (Facebook, LinkedIn, …)",
        ),
        MultiFieldPanel(
            [
                FieldPanel("twitter_title"),
                FieldPanel("twitter_description"),
                FieldPanel("twitter_image"),
            ],
            "X card",
        ),
        FieldPanel("canonical_url"),
    ]
    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="Story"),
            ObjectList(seo_panels, heading="SEO and social"),
            ObjectList(email_panels, heading="Email"),
            ObjectList(Page.settings_panels, heading="Publishing"),
        ]
    )
    search_fields = Page.search_fields + [
        index.SearchField("custom_excerpt"),
        index.SearchField("plaintext"),
        index.RelatedFields("story_tags", [index.RelatedFields("tag", [index.SearchField("name")])]),
        index.RelatedFields("story_authors", [index.RelatedFields("author", [index.SearchField("name")])]),
        index.FilterField("visibility"),
        index.FilterField("email_only"),
    ]

    class Meta:
        verbose_name = "story"
        verbose_name_plural = "stories"
        # The home page's lead: the newest featured story, found among the few featured ones.
        indexes = [
            models.Index(
                fields=["page_ptr"],
                condition=models.Q(featured=True, email_only=False),
                name="stories_featured",
            ),
            models.Index(
                fields=["listed_at", "page_ptr"],
                condition=models.Q(listed_at__isnull=False),
                name="stories_listed_newest_first",
            ),
        ]

    # ----- derived fields -----------------------------------------------------------------------

    def body_html(self) -> str:
        return str(self.body.render_as_block()) if self.body else ""

    def refresh_derived_fields(self) -> None:
        html = self.body_html()
        self.plaintext = text.html_to_plaintext(html)
        self.excerpt = text.excerpt(self.plaintext, self.custom_excerpt)
        # No body, no reading time (Ghost's null), even with a feature image.
        self.reading_time = text.reading_time(html or None, has_feature_image=bool(self.feature_image_id))
        self.word_count = text.word_count(self.plaintext)
        self.listed_at = self.listing_date()

    def full_clean(self, *args, **kwargs):
        # Drafts and previews are validated, not saved: compute here too so they show the right figures.
        self.refresh_derived_fields()
        super().full_clean(*args, **kwargs)

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"body", "custom_excerpt", "feature_image"} & set(update_fields):
            self.refresh_derived_fields()
            if update_fields is not None:
                kwargs["update_fields"] = set(update_fields) | {
                    "plaintext", "excerpt", "reading_time", "word_count",
                }  # fmt: skip
        self.listed_at = self.listing_date()
        relisted = update_fields is None or bool(LISTED_BY & set(update_fields))
        if update_fields is not None and relisted:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"listed_at"}
        saved = super().save(*args, **kwargs)
        if relisted:
            # Links written with this save already carry the date; the others (an unpublish
            # writes no links) are brought in step.
            for link in (StoryAuthor, StoryTag):
                link.objects.filter(story_id=self.pk).exclude(listed_at=self.listed_at).update(
                    listed_at=self.listed_at
                )
        return saved

    def listing_date(self):
        """`listed_at` as this story's fields say it should be: its publication date while it is
        live and on the site, else None."""
        if not self.live or self.email_only:
            return None
        return self.published_at

    # ----- what templates and feeds read -------------------------------------------------------

    @property
    def published_at(self):
        return (
            self.first_published_at or self.go_live_at or self.latest_revision_created_at or (timezone.now())
        )

    @property
    def updated_at(self):
        return self.last_published_at or self.published_at

    @cached_property
    def authors(self) -> list[Author]:
        return [link.author for link in self.story_authors.all()]

    @cached_property
    def tags(self) -> list[Tag]:
        return [link.tag for link in self.story_tags.all()]

    @cached_property
    def public_tags(self) -> list[Tag]:
        return [tag for tag in self.tags if not tag.is_internal]

    @property
    def primary_tag(self) -> Tag | None:
        return self.public_tags[0] if self.public_tags else None

    @property
    def primary_author(self) -> Author | None:
        return self.authors[0] if self.authors else None

    def get_context(self, request, *args, **kwargs):
        # The apps above show cards on this page (the related block): they offer them here, so
        # their authors, tags and images load with the story's own, in the same few queries.
        offered = story_page_cards.send(sender=StoryPage, story=self, request=request)
        self.prefetch_for_page(cards=[card for _, cards in offered for card in cards or ()])
        # Names from byline/stories/signals.py; the comments and related blocks are the other apps'.
        pagecache.depends_on(request, *self.card_dependencies(), f"comments:{self.pk}", f"related:{self.pk}")
        return super().get_context(request, *args, **kwargs)

    def prefetch_for_page(self, cards=()) -> None:
        """Load what the story page shows of the story itself, and of the stories on its cards, in
        a fixed number of queries however many authors, tags, body images and cards there are:
        authors with their photos (one query), tags (one), the body's images (one per kind of image
        block), then the renditions of all those images, the feature and social images and the
        cards' images (one).

        Wagtail's routing fetches the page on its own, so for_cards() does not apply here. A
        preview's authors and tags live in memory (from the revision) and are left alone.
        """
        images = self._load_own_images()
        own_authors = bool(self.pk) and not self.story_authors.is_deferring
        own_tags = bool(self.pk) and not self.story_tags.is_deferring
        if own_authors and own_tags:
            prefetch_links([self, *cards])
        else:
            prefetch_links(cards)
            prefetch_links([self], authors=own_authors, tags=own_tags)
        images += [author.photo for author in self.authors if author.photo is not None]
        for block in self.body:
            images += _images_in(block.value)
        prefetch_renditions(images + card_images(cards))

    def _load_own_images(self) -> list:
        """The feature, OpenGraph and X images in one query (each would otherwise cost its own)."""
        fields = ("feature_image", "og_image", "twitter_image")
        wanted = {
            getattr(self, f"{name}_id")
            for name in fields
            if getattr(self, f"{name}_id") and not self._meta.get_field(name).is_cached(self)
        }
        found = get_image_model().objects.in_bulk(wanted) if wanted else {}
        for name in fields:
            if getattr(self, f"{name}_id") in found:
                setattr(self, name, found[getattr(self, f"{name}_id")])
        return [image for image in (getattr(self, name) for name in fields) if image is not None]

    def get_template(self, request, *args, **kwargs):
        return "stories/story_page.html"

    def serve(self, request, *args, **kwargs):
        if self.email_only and not getattr(request, "is_preview", False):
            raise Http404("This story was sent by email only.")
        return super().serve(request, *args, **kwargs)

    def card_dependencies(self) -> list[str]:
        """What a page showing this story (its own page, or a card of it) shows of it, for the page
        cache: the story, its tags and its authors (see byline/stories/signals.py)."""
        return [
            f"story:{self.pk}",
            *(f"tag:{tag.pk}" for tag in self.tags),
            *(f"author:{author.pk}" for author in self.authors),
        ]


class ListedLink(Orderable):
    """A story's link to one of its archives (an author's, a tag's), carrying the story's
    `listed_at`: the archive then walks one index of this table newest first, as the home walks
    the stories' own (a section tag on 12,500 of 100,000 stories sorted them all: 50 ms).

    Kept equal to the story's by this save() (a publish writes the links with the story) and by
    StoryPage.save() (publishing or unpublishing alone leaves the links be); code that re-dates
    stories without saving them calls StoryQuerySet.date_as_published(), and code writing links in
    bulk copy_listing_dates()."""

    listed_at = models.DateTimeField(null=True, editable=False)

    class Meta(Orderable.Meta):
        abstract = True

    def save(self, *args, **kwargs):
        self.listed_at = self.story.listed_at
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "listed_at"}
        super().save(*args, **kwargs)


def archive_indexes(owner: str, by_owner: str, newest_first: str) -> list[models.Index]:
    """An archive owner's (a tag's, an author's) two indexes on its links: its stories' ids (the
    API's filter, counts), and its listed stories newest first (its archive pages and feed)."""
    return [
        models.Index(fields=[owner, "story"], name=by_owner),
        models.Index(
            fields=[owner, "listed_at", "story"],
            condition=models.Q(listed_at__isnull=False),
            name=newest_first,
        ),
    ]


class StoryAuthor(ListedLink):
    story = ParentalKey(StoryPage, on_delete=models.CASCADE, related_name="story_authors")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="story_links")

    panels = [FieldPanel("author")]

    class Meta(ListedLink.Meta):
        constraints = [models.UniqueConstraint(fields=["story", "author"], name="unique_author_per_story")]
        indexes = archive_indexes("author", "stories_by_author", "author_archive_newest_first")


class StoryTag(ListedLink):
    story = ParentalKey(StoryPage, on_delete=models.CASCADE, related_name="story_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="story_links")

    panels = [FieldPanel("tag")]

    class Meta(ListedLink.Meta):
        constraints = [models.UniqueConstraint(fields=["story", "tag"], name="unique_tag_per_story")]
        indexes = archive_indexes("tag", "stories_by_tag", "tag_archive_newest_first")


def archive_ids(links):
    """A tag's or author's stories, newest first, from their links alone (StoryTag/StoryAuthor
    carry each story's listing date): the archive pages, their feeds and the Content API's
    `filter=tag:…` walk the link index this way."""
    return (
        links.filter(listed_at__isnull=False)
        .order_by("-listed_at", "-story_id")
        .values_list("story_id", flat=True)
    )


def copy_listing_dates(story_ids=None) -> None:
    """Each story's listed_at onto its author and tag links (every link when no ids are given):
    after stories were updated or written in bulk, bypassing StoryPage.save()."""
    listed_at = models.Subquery(
        StoryPage.objects.filter(pk=models.OuterRef("story_id")).values("listed_at")[:1]
    )
    for link in (StoryAuthor, StoryTag):
        links = link.objects.all() if story_ids is None else link.objects.filter(story_id__in=story_ids)
        links.update(listed_at=listed_at)


class StandalonePage(ViewRestrictionsMixin, ReservedSlugMixin, Page):
    """A page outside the stream of stories: About, Contact, a masthead."""

    body = StreamField(StoryBodyBlock(), blank=True, use_json_field=True)
    feature_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    feature_image_alt = models.CharField(max_length=250, blank=True)
    plaintext = models.TextField(blank=True, editable=False)

    parent_page_types = ["core.HomePage"]
    subpage_types = []
    content_panels = Page.content_panels + [
        FieldPanel("feature_image"),
        FieldPanel("feature_image_alt"),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("plaintext")]

    class Meta:
        verbose_name = "page"

    def refresh_derived_fields(self) -> None:
        self.plaintext = text.html_to_plaintext(str(self.body.render_as_block()))

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is None:
            self.refresh_derived_fields()
        return super().save(*args, **kwargs)

    def get_template(self, request, *args, **kwargs):
        return "stories/standalone_page.html"


for _model in (StoryPage, StoryTag, StoryAuthor, StandalonePage, Tag, Author):
    _label = _model._meta.label_lower
    post_save.connect(listings_changed, sender=_model, dispatch_uid=f"byline-listings-saved-{_label}")
    post_delete.connect(listings_changed, sender=_model, dispatch_uid=f"byline-listings-deleted-{_label}")
bulk_change_finished.connect(listings_changed, dispatch_uid="byline-listings-bulk-change")
