from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from byline.api.models import Integration, Webhook


class IntegrationViewSet(SnippetViewSet):
    """Staff create an integration, then copy its keys from the listing or its inspect page."""

    model = Integration
    icon = "link-external"
    menu_label = "Integrations"
    menu_order = 900
    add_to_admin_menu = True
    list_display = ["name", "content_key", "admin_api_key", "created_at"]
    search_fields = ["name"]
    inspect_view_enabled = True
    inspect_view_fields = ["name", "description", "content_key", "admin_api_key", "created_at"]


class WebhookViewSet(SnippetViewSet):
    """Where each webhook delivers, and how its last delivery went."""

    model = Webhook
    icon = "resubmit"
    menu_label = "Webhooks"
    menu_order = 910
    add_to_admin_menu = True
    list_display = ["event", "target_url", "integration", "last_triggered_at", "last_triggered_status",
                    "last_triggered_error"]  # fmt: skip
    list_filter = ["event", "integration"]
    inspect_view_enabled = True


register_snippet(IntegrationViewSet)
register_snippet(WebhookViewSet)
