from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets import Button
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from byline.newsletters import views
from byline.newsletters.models import Email, Newsletter, Recipient
from byline.stories.models import StoryPage


class NewsletterViewSet(SnippetViewSet):
    model = Newsletter
    icon = "mail"
    menu_label = "Newsletters"
    menu_order = 220
    add_to_admin_menu = True
    list_display = ["name", "slug", "subscribe_on_signup", "status"]
    list_filter = ["status", "subscribe_on_signup"]
    search_fields = ["name", "slug"]
    # Editors drag newsletters into the order members see them in.
    sort_order_field = "sort_order"


register_snippet(NewsletterViewSet)


@hooks.register("register_admin_urls")
def newsletter_admin_urls():
    return [
        path("newsletters/emails/", views.email_index, name="newsletters_email_index"),
        path("newsletters/emails/<int:email_id>/", views.email_status, name="newsletters_email_status"),
        path(
            "newsletters/emails/<int:email_id>/cancel/", views.email_cancel, name="newsletters_email_cancel"
        ),
        path("newsletters/emails/<int:email_id>/retry/", views.email_retry, name="newsletters_email_retry"),
        path("newsletters/preview/<int:story_id>/", views.email_preview, name="newsletters_email_preview"),
        path(
            "newsletters/preview/<int:story_id>/email/",
            views.email_preview_frame,
            name="newsletters_email_preview_frame",
        ),
    ]


@hooks.register("register_admin_menu_item")
def email_sends_menu_item():
    return MenuItem("Email sends", reverse("newsletters_email_index"), icon_name="mail", order=221)


@hooks.register("register_page_header_buttons")
def story_email_buttons(page, user, view_name, next_url=None):
    if not isinstance(page.specific_deferred, StoryPage):
        return
    yield Button(
        "Preview email / send a test",
        reverse("newsletters_email_preview", args=[page.pk]),
        icon_name="mail",
        priority=70,
    )
    for email in Email.objects.filter(story_id=page.pk).select_related("newsletter"):
        yield Button(
            f"Send status: {email.newsletter.name}",
            reverse("newsletters_email_status", args=[email.pk]),
            icon_name="list-ul",
            priority=71,
        )


# A member's detail page (members' register_member_detail_panel hook) -----------------------------------


class MemberEmailsPanel(Component):
    """The newsletter emails this member was a recipient of, newest first, with what happened to each."""

    template_name = "newsletters/admin/member_emails_panel.html"
    SHOWN = 20

    def __init__(self, member):
        self.member = member

    def get_context_data(self, parent_context=None):
        recipients = (
            Recipient.objects.filter(member=self.member)
            .select_related("email__newsletter")
            .order_by("-email__created_at", "-pk")
        )
        return {"recipients": recipients[: self.SHOWN], "total": recipients.count()}


@hooks.register("register_member_detail_panel")
def member_emails_panel(request, member):
    return MemberEmailsPanel(member)


@hooks.register("story_form_initial")
def default_newsletter(story):
    """A new story in the editor starts set to send to the newsletter marked "send by default", if any."""
    newsletter = Newsletter.objects.active().filter(send_by_default=True).order_by("sort_order", "pk").first()
    return {"email_newsletter": newsletter.pk} if newsletter else {}
