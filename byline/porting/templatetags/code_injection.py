"""`{% code_injection page "head" %}` / `"foot"`: an imported story's Ghost code injection, added to
its page only when the publication allows it (PublicationSettings.run_code_injection, off by
default). The page that shows it is marked so the Content-Security-Policy middleware gives that page
alone a policy that lets the snippet run (inline scripts, scripts from https sites)."""

from django import template
from django.utils.safestring import mark_safe

from byline.porting.models import ImportedSource

register = template.Library()
PLACES = {"head": "codeinjection_head", "foot": "codeinjection_foot"}


@register.simple_tag(takes_context=True)
def code_injection(context, page, where: str):
    publication = context.get("publication")
    if where not in PLACES or not page.pk or not getattr(publication, "run_code_injection", False):
        return ""
    if not hasattr(page, "_code_injection"):
        # One query for both places; stories without an imported source get an empty pair.
        found = ImportedSource.objects.filter(page_id=page.pk).values(*PLACES.values()).first()
        page._code_injection = found or {}
    code = page._code_injection.get(PLACES[where], "").strip()
    if not code:
        return ""
    if request := context.get("request"):
        request.csp_allows_injected_code = True
    # The editor chose to run it: it was written by the publication's own staff on Ghost.
    return mark_safe(code)  # noqa: S308
