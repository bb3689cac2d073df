"""The public site's middleware: the Site a request is for, and a strict Content-Security-Policy.

The theme ships its own scripts and styles and loads nothing from other hosts, so the policy can
forbid everything else. Story embeds (video players) are the one exception and live in frames.
Wagtail's admin manages its own pages and is left alone.
"""

from byline.core.services import site_for_request

PUBLIC_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",
        "media-src 'self' https:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src https:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
# A story page that runs imported code injection (a publication setting, off by default) needs inline
# scripts and scripts from other sites: that page alone gets this policy (byline/porting/templatetags).
INJECTED_CODE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https:",
        "style-src 'self' 'unsafe-inline' https:",
        "img-src 'self' data: https:",
        "media-src 'self' https:",
        "font-src 'self' data: https:",
        "connect-src 'self' https:",
        "frame-src https:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
ADMIN_PREFIXES = ("/admin/", "/django-admin/")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(ADMIN_PREFIXES):
            relaxed = getattr(request, "csp_allows_injected_code", False)
            response.headers.setdefault(
                "Content-Security-Policy", INJECTED_CODE_POLICY if relaxed else PUBLIC_POLICY
            )
            response.headers.setdefault("Permissions-Policy", "interest-cohort=(), camera=(), microphone=()")
        return response


class SiteMiddleware:
    """Tells Wagtail which Site a request is for from this process's copy (core.services), so pages,
    feeds, sitemaps and the API skip Wagtail's per-request site query. After the page cache: a
    cached page needs no site at all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request._wagtail_site = site_for_request(request)
        return self.get_response(request)
