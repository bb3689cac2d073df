"""Admin views for sending: the list of sends, one send's status, the email preview and the test send.

Mounted under /admin/newsletters/ by wagtail_hooks.py (Wagtail's admin login applies). Changing a send
(cancel, retry) or sending a test needs permission to publish the story.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from byline.members.services import normalise_email
from byline.newsletters import services
from byline.newsletters.models import Email, Newsletter, Recipient
from byline.stories.models import StoryPage

PER_PAGE = 50
FAILURES_SHOWN = 200


def _may_publish(user, story) -> bool:
    return story.permissions_for_user(user).can_publish()


def email_index(request):
    emails = Email.objects.select_related("newsletter", "story").order_by("-created_at", "-pk")
    page = Paginator(emails, PER_PAGE).get_page(request.GET.get("p"))
    rows = [(email, services.status_of(email)) for email in page]
    return TemplateResponse(request, "newsletters/admin/email_index.html", {"page": page, "rows": rows})


def email_status(request, email_id: int):
    email = get_object_or_404(Email.objects.select_related("newsletter", "story"), pk=email_id)
    recipients = email.recipients.order_by("pk")
    context = {
        "email": email,
        "status": services.status_of(email),
        "failures": recipients.filter(state=Recipient.FAILED)[:FAILURES_SHOWN],
        "uncertain": recipients.filter(uncertain=True)[:FAILURES_SHOWN],
        "running": email.status in (Email.PENDING, Email.SENDING),
        "may_change": _may_publish(request.user, email.story.specific),
    }
    return TemplateResponse(request, "newsletters/admin/email_status.html", context)


@require_POST
def email_cancel(request, email_id: int):
    email = get_object_or_404(Email, pk=email_id)
    if not _may_publish(request.user, email.story.specific):
        raise PermissionDenied
    count = services.cancel(email)
    messages.success(request, f"Cancelled: {count} recipients will not get this email.")
    return redirect("newsletters_email_status", email_id=email.pk)


@require_POST
def email_retry(request, email_id: int):
    email = get_object_or_404(Email, pk=email_id)
    if not _may_publish(request.user, email.story.specific):
        raise PermissionDenied
    count = services.retry_failed(email)
    messages.success(request, f"Sending again to {count} recipients whose delivery failed.")
    return redirect("newsletters_email_status", email_id=email.pk)


class TestSendForm(forms.Form):
    newsletter = forms.ModelChoiceField(queryset=Newsletter.objects.active(), empty_label=None)
    address = forms.CharField(label="Send a test to", max_length=254)

    def clean_address(self):
        try:
            return normalise_email(self.cleaned_data["address"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None


def _story(story_id: int) -> StoryPage:
    """The story as last saved (its latest revision), so a draft can be previewed before publishing."""
    page = get_object_or_404(StoryPage, pk=story_id)
    revision = page.get_latest_revision()
    return revision.as_object() if revision else page


def email_preview(request, story_id: int):
    story = _story(story_id)
    chosen = request.GET.get("newsletter") or story.email_newsletter_id
    if not chosen:
        chosen = Newsletter.objects.active().values_list("pk", flat=True).first()
    initial = {"newsletter": chosen}
    form = TestSendForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not _may_publish(request.user, story):
            raise PermissionDenied
        if form.is_valid():
            outcome = services.send_test(story, form.cleaned_data["newsletter"], form.cleaned_data["address"])
            if outcome.sent:
                messages.success(request, f"Test sent to {form.cleaned_data['address']}.")
            else:
                messages.error(request, f"The test could not be sent: {outcome.reply}")
            return redirect("newsletters_email_preview", story_id=story_id)
    context = {"story": story, "form": form, "newsletter_id": chosen}
    return TemplateResponse(request, "newsletters/admin/email_preview.html", context)


def email_preview_frame(request, story_id: int):
    """The email itself, as a subscriber would see it (shown in the preview page's frame)."""
    story = _story(story_id)
    newsletter = get_object_or_404(Newsletter, pk=request.GET.get("newsletter") or story.email_newsletter_id)
    html = services.preview_html(story, newsletter, name=request.user.first_name)
    response = HttpResponse(html)
    # The preview is framed by the admin's own page; nothing else may frame it.
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Content-Security-Policy"] = "script-src 'none'; frame-ancestors 'self'"
    return response
