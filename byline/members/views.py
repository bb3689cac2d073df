"""Members' endpoints, on Ghost's paths so Ghost themes' forms feel at home. Thin: services do the work.

CSRF: form posts go through Django's CSRF check as usual. JSON requests (fetch with
`Content-Type: application/json`, or DELETE) cannot be sent cross-site by a browser without a CORS
preflight, which Byline never grants, so they are accepted without a token when their Origin header,
if any, is this site (see CONTEXT.md).
"""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from byline.lib import ratelimit
from byline.members import services
from byline.members.models import SignInToken

HONEYPOT_FIELD = "website"
SENT_BODY = {"sent": True, "message": "Check your inbox: we sent you a link."}


def _error(status: int, message: str, code: str) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "type": code}]}, status=status)


def _is_json(request) -> bool:
    return request.content_type == "application/json"


def _same_origin(request) -> bool:
    origin = request.headers.get("Origin")
    if not origin:
        return True
    allowed = {f"{request.scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}
    return origin in allowed


def _csrf_failure(request):
    """None when the request passes our CSRF rule (see the module docstring), else the 403 response."""
    if _is_json(request) or request.method == "DELETE":
        if _same_origin(request):
            return None
        return _error(403, "Requests from other sites are not accepted.", "csrf")
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})


def _payload(request) -> dict:
    if _is_json(request):
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}
    data = {key: request.POST.get(key) for key in request.POST}
    data["newsletters"] = request.POST.getlist("newsletters")
    return data


def _newsletter_slugs(value) -> list[str]:
    # Ghost themes send [{"name": …}] objects; our form sends slugs. Accept both shapes.
    slugs = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            item = item.get("slug") or item.get("name")
        if isinstance(item, str) and item:
            slugs.append(item)
    return slugs


def _safe_redirect(request, target) -> str:
    if isinstance(target, str) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _publication(request):
    from byline.core.context_processors import publication

    return publication(request)["publication"]


@csrf_exempt  # no token: see below; other sites are still refused by the Origin rule
@never_cache
def send_magic_link(request):
    """Asking for a link changes nothing for the browser that asks (no session, no cookie): the link
    goes to the address typed in, which anyone could type anywhere. So the subscribe form carries no
    CSRF token, which keeps every public page the same for every reader (cacheable, cookie-free);
    the link's redemption, which does sign a browser in, keeps Django's CSRF check."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not _same_origin(request):
        return _error(403, "Requests from other sites are not accepted.", "csrf")
    data = _payload(request)
    if data.get(HONEYPOT_FIELD):
        # A bot filled the field people never see: answer as if it worked, send nothing.
        return _sent(request)
    try:
        email = services.normalise_email(data.get("email"))
    except ValidationError as error:
        return _error(400, error.messages[0], "invalid_email")
    publication = _publication(request)
    if publication and publication.blocks_email_domain(email):
        # Whether or not the address is a member: the answer must not tell which.
        return _error(400, "Addresses at this email domain are not accepted here.", "blocked_domain")
    ip = ratelimit.client_ip(request)
    if not ratelimit.hit("magic-link:ip", ip, limit=settings.MEMBERS_LINKS_PER_IP_HOUR, window=3600):
        return _error(429, "Too many attempts from your network. Try again in an hour.", "rate_limited")
    if not services.may_send_link_to(email):
        return _error(429, "Too many links sent to this address. Try again in an hour.", "rate_limited")
    purpose = SignInToken.SIGNIN if data.get("emailType") == "signin" else SignInToken.SIGNUP
    services.send_magic_link(
        email,
        purpose=purpose,
        name=data.get("name") or "",
        newsletter_slugs=_newsletter_slugs(data.get("newsletters")),
        redirect_to=_safe_redirect(request, data.get("redirect")),
        request_ip=ip,
        publication=publication,
    )
    return _sent(request)


def _sent(request):
    if _is_json(request):
        return JsonResponse(SENT_BODY, status=201)
    # Without JavaScript: a page that says to check the inbox (same page whoever the address belongs to).
    return render(request, "members/link_sent.html", status=201)


@never_cache
def confirm(request):
    """GET shows a button (mail scanners open links; a GET never spends one); POST spends the link."""
    token = request.POST.get("token") if request.method == "POST" else request.GET.get("token")
    if request.method == "GET":
        try:
            row = services.peek(token or "")
        except services.InvalidLink as error:
            return render(request, "members/link_invalid.html", {"message": str(error)}, status=400)
        return render(request, "members/confirm.html", {"token": token, "purpose": row.purpose})
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        member, row = services.redeem(token or "")
    except services.InvalidLink as error:
        return render(request, "members/link_invalid.html", {"message": str(error)}, status=400)
    services.sign_in(request, member)
    back = _safe_redirect(request, row.redirect_to)
    if row.purpose == SignInToken.SIGNUP:
        # A new member first sees what they signed up for, with the way back to their story.
        return redirect(f"/account/welcome/?{urlencode({'next': back})}" if back else "/account/welcome/")
    return redirect(back or "/")


def _member_json(member) -> dict:
    return {
        "uuid": str(member.uuid),
        "email": member.email,
        "name": member.name,
        "firstname": member.name.split()[0] if member.name.split() else "",
        "initials": member.initials,
        "status": member.status,
        "subscribed": member.newsletters.exists(),
        "newsletters": [
            {"uuid": str(item.uuid), "slug": item.slug, "name": item.name, "description": item.description}
            for item in member.newsletters.all()
        ],
    }


def _private(response):
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_exempt  # PUT takes JSON only, under the Origin rule (see the module docstring)
@never_cache
def member(request):
    if request.method not in ("GET", "PUT"):
        return HttpResponseNotAllowed(["GET", "PUT"])
    if request.method == "PUT":
        return _private(_update_member(request))
    signed_in = services.current_member(request)
    if signed_in is None:
        return _private(HttpResponse(status=204))
    return _private(JsonResponse(_member_json(signed_in)))


def _update_member(request):
    if failure := _csrf_failure(request):
        return failure
    signed_in = services.current_member(request)
    if signed_in is None:
        return _error(401, "Sign in to change your account.", "unauthorized")
    if not _is_json(request):
        return _error(400, "Send the changes as JSON.", "invalid_request")
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "The request body is not valid JSON.", "invalid_request")
    if not isinstance(data, dict):
        return _error(400, "Send a JSON object.", "invalid_request")
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > services.NAME_MAX_LENGTH):
        return _error(
            400, f"Names are text of at most {services.NAME_MAX_LENGTH} characters.", "invalid_name"
        )
    try:
        newsletters = None
        if "newsletters" in data:
            newsletters = services.resolve_newsletters(data["newsletters"])
        services.update_member(signed_in, name=name, newsletters=newsletters)
    except ValidationError as error:
        return _error(400, error.messages[0], "invalid_newsletters")
    return JsonResponse(_member_json(signed_in))


@csrf_exempt  # DELETE cannot be sent cross-site without a preflight; the Origin rule still applies
def session(request):
    if request.method != "DELETE":
        return HttpResponseNotAllowed(["DELETE"])
    if failure := _csrf_failure(request):
        return failure
    services.sign_out(request)
    return _private(HttpResponse(status=204))
