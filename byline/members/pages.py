"""Server-rendered member pages outside /members/: the account page and unsubscribe links.

Both work without JavaScript. Every form posts with Django's CSRF token; the one exception is the
RFC 8058 one-click unsubscribe POST (`List-Unsubscribe=One-Click`), which mail providers send with no
cookie and no token: the signed link itself is the credential (see CONTEXT.md).
"""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from byline.members import account_preferences, services
from byline.members.views import _publication, _safe_redirect

NOTICES = {
    "saved": "Your changes are saved.",
    "email_sent": "Check the inbox of your new address: the change happens when you open the link we sent.",
    "email_changed": "Your email address is changed.",
    "signed_out": "You are signed out.",
    "signed_out_everywhere": "You are signed out on every device.",
    "deleted": "Your account and your personal data are deleted.",
}


def _private(response):
    response["Cache-Control"] = "private, no-store"
    return response


def _newsletters():
    from django.apps import apps

    return apps.get_model("newsletters", "Newsletter").objects.active()


def _account_page(request, member, *, errors=None, values=None, status=200):
    notice = NOTICES.get(request.GET.get("done", ""))
    if member is None:
        return _private(render(request, "members/account_signin.html", {"notice": notice}, status=status))
    subscribed = set(member.newsletters.values_list("pk", flat=True))
    context = {
        "member": member,
        "newsletters": [(item, item.pk in subscribed) for item in _newsletters()],
        "preferences": [(pref, pref.read(member)) for pref in account_preferences.registered()],
        "notice": notice,
        "errors": errors or {},
        "values": values or {},
    }
    return _private(render(request, "members/account.html", context, status=status))


@never_cache
def account(request):
    """GET shows the page (or a sign-in prompt); POST saves the name and newsletters."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    member = services.current_member(request)
    if request.method == "GET" or member is None:
        return _account_page(request, member, status=200 if request.method == "GET" else 401)
    name = request.POST.get("name", "")
    if len(name) > services.NAME_MAX_LENGTH:
        errors = {"name": f"Names can be at most {services.NAME_MAX_LENGTH} characters long."}
        return _account_page(request, member, errors=errors, status=400)
    try:
        newsletters = services.resolve_newsletters(request.POST.getlist("newsletters"))
    except ValidationError as error:
        return _account_page(request, member, errors={"newsletters": error.messages[0]}, status=400)
    services.update_member(member, name=name, newsletters=newsletters)
    if request.POST.get("preferences_shown") == "yes":
        # Only a form that showed the checkboxes may turn them off (an unticked box sends nothing).
        for preference in account_preferences.registered():
            preference.write(member, request.POST.get(f"preference-{preference.key}") == "on")
    return redirect("/account/?done=saved")


@never_cache
@require_POST
def change_email(request):
    member = services.current_member(request)
    if member is None:
        return _account_page(request, None, status=401)
    raw = request.POST.get("email", "")
    try:
        email = services.normalise_email(raw)
        if not services.may_send_link_to(email):
            raise ValidationError("Too many links sent to this address. Try again in an hour.")
        services.request_email_change(member, email, publication=_publication(request))
    except ValidationError as error:
        return _account_page(
            request, member, errors={"email": error.messages[0]}, values={"email": raw}, status=400
        )
    except services.EmailInUse:
        # The member's own page: saying so helps them and tells nothing they could not learn by signing up.
        errors = {"email": "That address is already used by another account."}
        return _account_page(request, member, errors=errors, values={"email": raw}, status=400)
    return redirect("/account/?done=email_sent")


@never_cache
def welcome(request):
    """Where a confirmed sign-up lands: what they are subscribed to, and the way back to their story."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    member = services.current_member(request)
    if member is None:
        return redirect("/account/")
    context = {
        "member": member,
        "newsletters": list(member.newsletters.all()),
        "next": _safe_redirect(request, request.GET.get("next")) or "/",
    }
    return _private(render(request, "members/welcome.html", context))


@never_cache
@require_POST
def sign_out(request):
    services.sign_out(request)
    return redirect("/account/?done=signed_out")


@never_cache
@require_POST
def sign_out_everywhere(request):
    member = services.current_member(request)
    if member is not None:
        services.sign_out_everywhere(member)
    services.sign_out(request)
    return redirect("/account/?done=signed_out_everywhere")


@never_cache
@require_POST
def delete_account(request):
    member = services.current_member(request)
    if member is None:
        return _account_page(request, None, status=401)
    if request.POST.get("confirm") != "yes":
        errors = {"delete": "Tick the box to confirm that you want to delete your account."}
        return _account_page(request, member, errors=errors, status=400)
    services.delete_member(member)
    services.sign_out(request)
    return redirect("/account/?done=deleted")


# Unsubscribe ------------------------------------------------------------------------------------------


@csrf_exempt  # only for the RFC 8058 one-click POST; every other POST is checked below
@never_cache
def unsubscribe(request, token):
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        member, newsletter = services.read_unsubscribe_token(token)
    except services.InvalidLink:
        raise Http404("Unknown unsubscribe link") from None
    context = {"newsletter": newsletter, "token": token}
    if request.method == "GET":
        # A GET never changes anything: mail scanners and link previews open links.
        context["subscribed"] = member.newsletters.filter(pk=newsletter.pk).exists()
        return _private(render(request, "members/unsubscribe.html", context))
    if request.POST.get("List-Unsubscribe") == "One-Click":
        services.unsubscribe(member, newsletter)
        return _private(render(request, "members/unsubscribed.html", context))
    if failure := CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}):
        return failure
    if request.POST.get("action") == "resubscribe" and newsletter.status == newsletter.ACTIVE:
        services.resubscribe(member, newsletter)
        return _private(render(request, "members/resubscribed.html", context))
    services.unsubscribe(member, newsletter)
    context["can_resubscribe"] = newsletter.status == newsletter.ACTIVE
    return _private(render(request, "members/unsubscribed.html", context))
