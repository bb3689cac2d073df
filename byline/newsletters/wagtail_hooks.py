from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from byline.newsletters.models import Newsletter


class NewsletterViewSet(SnippetViewSet):
    model = Newsletter
    icon = "mail"
    menu_label = "Newsletters"
    menu_order = 220
    add_to_admin_menu = True
    list_display = ["name", "slug", "subscribe_on_signup", "status", "sort_order"]
    list_filter = ["status", "subscribe_on_signup"]
    search_fields = ["name", "slug"]


register_snippet(NewsletterViewSet)
