"""The publication: its home page and its site-wide settings."""

from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction, Site

# First path segments the site itself answers; a page slug equal to one would be unreachable.
RESERVED_SLUGS = frozenset(
    {
        "tag", "tags", "author", "authors", "page", "rss", "feed", "search", "members", "member",
        "account", "ghost", "admin", "django-admin", "static", "media", "sitemap.xml",
        "sitemap-news.xml", "robots.txt", "favicon.ico", "documents", "images", "api",
        "subscribe", "signin", "signup", "unsubscribe", "comments", "email", "webhooks", "r",
        "_util", "assets", "content", "p", "404", "500",
    }
)  # fmt: skip


class ReservedSlugMixin:
    """Refuse slugs that would shadow a route of the site, with a form error on the slug field."""

    def clean(self):
        super().clean()
        if self.slug and self.slug.lower() in RESERVED_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is used by the site itself; choose another slug."})


VIEW_RESTRICTIONS_KEY = "core:view-restrictions-exist"


def view_restrictions_exist() -> bool:
    """Whether any page has a Wagtail privacy restriction, from the cache (forgotten when one is
    added or removed; see below)."""
    found = cache.get(VIEW_RESTRICTIONS_KEY)
    if found is None:
        found = PageViewRestriction.objects.exists()
        cache.set(VIEW_RESTRICTIONS_KEY, found, 3600)
    return found


class ViewRestrictionsMixin:
    """Publications rarely restrict pages with Wagtail's privacy setting (members-only stories use
    their own visibility). While no page is restricted, serving a page skips the two queries that
    look for restrictions on it and on its ancestors."""

    def get_view_restrictions(self):
        if not view_restrictions_exist():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def _forget_view_restrictions(sender, **kwargs):
    cache.delete(VIEW_RESTRICTIONS_KEY)
    # Again after commit: a reader between the two could have cached the old answer.
    transaction.on_commit(lambda: cache.delete(VIEW_RESTRICTIONS_KEY))


class HomePage(ViewRestrictionsMixin, Page):
    """The site root. Its listing is served by the stories app's home view (see byline/urls.py);
    this page carries the site's place in the tree and its SEO fields."""

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["stories.StoryPage", "stories.StandalonePage"]
    # The listing lives in a view, so a preview of this page would show nothing useful.
    preview_modes = []

    class Meta:
        verbose_name = "home page"

    def route(self, request, path_components):
        # A story's address is /<slug>/. Wagtail would find the child page, then load its story
        # fields in a second query; one query does both. Anything else (a draft, an About page, a
        # deeper path) takes Wagtail's way.
        if len(path_components) == 1:
            story = (
                apps.get_model("stories", "StoryPage")
                .objects.child_of(self)
                .live()
                .filter(slug=path_components[0])
                .first()
            )
            if story is not None:
                story._cached_parent_obj = self
                return story.route(request, [])
        return super().route(request, path_components)


# Settings are read by every public request and change a few times a year: they are kept in
# Django's cache (shared by every web process: a file or Redis) and forgotten whenever they, or an
# image or rendition (the logo), are saved or deleted. The timeout is only a safety net for writes
# that bypass signals (queryset.update()).
SETTINGS_CACHE_SECONDS = 600


class CachedSiteSettingMixin:
    """`cached_for_site(site)`: the site's settings row from Django's cache, read from the database
    (and cached) only after a change. A cached copy is a snapshot: never save it."""

    @classmethod
    def settings_cache_key(cls, site_id: int) -> str:
        return f"byline:site-settings:{cls._meta.label_lower}:{site_id}"

    @classmethod
    def cached_for_site(cls, site):
        key = cls.settings_cache_key(site.pk)
        found = cache.get(key)
        if found is None:
            found = cls.for_site(site)
            found.prepare_for_cache()
            cache.set(key, found, SETTINGS_CACHE_SECONDS)
        return found

    def prepare_for_cache(self) -> None:
        """Load what readers of the cached copy will touch, so it is stored with it."""

    @classmethod
    def forget_cached(cls, site_ids=None) -> None:
        ids = list(Site.objects.values_list("pk", flat=True)) if site_ids is None else list(site_ids)
        keys = [cls.settings_cache_key(site_id) for site_id in ids]

        def forget():
            cache.delete_many(keys)

        # Now, and again after commit: a request that re-read the old row while the transaction
        # was open must not keep it.
        forget()
        transaction.on_commit(forget)


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1a73e8.")


class NavigationLinkBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=50)
    url = blocks.CharBlock(max_length=500, help_text="A path like /about/ or a full URL.")


@register_setting(icon="site")
class PublicationSettings(CachedSiteSettingMixin, BaseSiteSetting):
    """What the publication says about itself: shown in the header, footer, feeds and metadata."""

    name = models.CharField(max_length=120, default="Byline")
    description = models.CharField(max_length=300, blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accent_colour = models.CharField(max_length=7, default="#c2410c", validators=[hex_colour])
    navigation = StreamField([("link", NavigationLinkBlock())], blank=True, use_json_field=True)
    subscribe_heading = models.CharField(max_length=120, default="Be the first to know")
    subscribe_subheading = models.CharField(max_length=250, default="Get notified about upcoming stories")
    subscribe_asks_name = models.BooleanField("ask for a name in the subscribe box", default=False)
    footer_text = models.CharField(max_length=300, blank=True)
    postal_address = models.TextField(
        blank=True, max_length=500, help_text="Printed in the footer of every newsletter email."
    )
    sender_name = models.CharField(
        "sender name for members' emails",
        max_length=120,
        blank=True,
        help_text="Sign-in and sign-up emails come from this name. Defaults to the publication's name.",
    )
    sender_email = models.EmailField(
        "sender address for members' emails",
        blank=True,
        help_text="Defaults to the server's DEFAULT_FROM_EMAIL.",
    )
    support_email = models.EmailField(
        blank=True, help_text="Replies to members' emails go here. Leave empty for no Reply-To."
    )
    blocked_email_domains = models.TextField(
        blank=True,
        max_length=20000,
        help_text="One domain per line (e.g. spam.example). Links are not sent to these domains "
        "or their subdomains.",
    )
    x_handle = models.CharField("X (Twitter) handle", max_length=50, blank=True)
    facebook_page = models.CharField(max_length=100, blank=True)
    bluesky_handle = models.CharField(max_length=100, blank=True)
    threads_handle = models.CharField(max_length=50, blank=True)
    linkedin_page = models.CharField(max_length=100, blank=True)
    run_code_injection = models.BooleanField(
        "run imported code injection",
        default=False,
        help_text="Stories imported from Ghost keep their code injection (Settings › Imported code "
        "injection). When this is on, it is added to those stories' pages, and those pages alone allow "
        "inline scripts and scripts from other https sites. Leave it off unless you trust every snippet.",
    )

    panels = [
        MultiFieldPanel([FieldPanel("name"), FieldPanel("description"), FieldPanel("logo")], "Identity"),
        FieldPanel("accent_colour"),
        FieldPanel("navigation"),
        MultiFieldPanel(
            [
                FieldPanel("subscribe_heading"),
                FieldPanel("subscribe_subheading"),
                FieldPanel("subscribe_asks_name"),
            ],
            "Subscribe call to action",
        ),
        FieldPanel("footer_text"),
        MultiFieldPanel(
            [
                FieldPanel("sender_name"),
                FieldPanel("sender_email"),
                FieldPanel("support_email"),
                FieldPanel("postal_address"),
            ],
            "Email",
        ),
        FieldPanel("blocked_email_domains"),
        MultiFieldPanel(
            [
                FieldPanel("x_handle"),
                FieldPanel("facebook_page"),
                FieldPanel("bluesky_handle"),
                FieldPanel("threads_handle"),
                FieldPanel("linkedin_page"),
            ],
            "Social accounts",
        ),
        FieldPanel("run_code_injection"),
    ]

    class Meta:
        verbose_name = "publication settings"

    def prepare_for_cache(self) -> None:
        # The logo and its renditions travel with the cached copy (header, og:image, JSON-LD).
        if self.logo_id:
            logos = get_image_model().objects.prefetch_renditions()
            prefetch_related_objects([self], Prefetch("logo", queryset=logos))

    def blocks_email_domain(self, email: str) -> bool:
        """True when the address's domain, or a domain it is under, is on the blocked list."""
        domain = email.rsplit("@", 1)[-1].strip().lower().rstrip(".")
        blocked = {
            line.strip().lower().lstrip("@").rstrip(".") for line in self.blocked_email_domains.splitlines()
        }
        blocked.discard("")
        parts = domain.split(".")
        return any(".".join(parts[i:]) in blocked for i in range(len(parts)))

    def social_links(self) -> list[tuple[str, str]]:
        """(label, url) for every social account that is filled in."""
        links = [
            ("X", self.x_handle and f"https://x.com/{self.x_handle.lstrip('@')}"),
            ("Facebook", self.facebook_page and f"https://www.facebook.com/{self.facebook_page}"),
            ("Bluesky", self.bluesky_handle and f"https://bsky.app/profile/{self.bluesky_handle}"),
            ("Threads", self.threads_handle and f"https://www.threads.net/@{self.threads_handle}"),
            ("LinkedIn", self.linkedin_page and f"https://www.linkedin.com/{self.linkedin_page}"),
        ]
        return [(label, url) for label, url in links if url]


@receiver(post_save, sender=PublicationSettings)
@receiver(post_delete, sender=PublicationSettings)
def _forget_publication_settings(sender, instance, **kwargs):
    PublicationSettings.forget_cached([instance.site_id])


def _forget_logo(sender, instance, **kwargs):
    """A cached copy carries its logo and the logo's renditions: forget it when they change.

    Renditions are made all the time (the first view of any new image), so only the copies whose
    logo this is are forgotten; the site ids come from Wagtail's own cached list (no query)."""
    image_id = getattr(instance, "image_id", None) or instance.pk
    for root in Site.get_site_root_paths():
        cached = cache.get(PublicationSettings.settings_cache_key(root.site_id))
        if cached is not None and cached.logo_id == image_id:
            PublicationSettings.forget_cached([root.site_id])


for _model in (get_image_model(), get_image_model().get_rendition_model()):
    _label = _model._meta.label_lower
    post_save.connect(_forget_logo, sender=_model, dispatch_uid=f"byline-logo-saved-{_label}")
    post_delete.connect(_forget_logo, sender=_model, dispatch_uid=f"byline-logo-deleted-{_label}")
