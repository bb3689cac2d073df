from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from byline.members.models import Member


class MemberViewSet(SnippetViewSet):
    """Read-mostly for now: members join by magic link; editors look them up, label them and take notes."""

    model = Member
    icon = "group"
    menu_label = "Members"
    menu_order = 230
    add_to_admin_menu = True
    list_display = ["email", "name", "status", "created_at"]
    list_filter = ["status", "newsletters", "labels", "email_disabled"]
    search_fields = ["email", "name"]
    search_backend_name = None  # plain database lookups: members are not in the search index
    panels = [
        FieldPanel("name"),
        FieldPanel("email"),
        FieldPanel("status", read_only=True),
        FieldPanel("labels"),
        FieldPanel("newsletters"),
        FieldPanel("email_disabled"),
        FieldPanel("note"),
    ]


register_snippet(MemberViewSet)
