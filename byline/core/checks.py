"""Misconfigurations turned into system checks with stable ids (shown by `byline check --deploy`)."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def check_public_url(app_configs, **kwargs):
    problems = []
    if settings.BYLINE_URL.startswith("http://") and not settings.DEBUG:
        host = settings.BYLINE_URL.split("://", 1)[1].split(":")[0].split("/")[0]
        if host not in ("127.0.0.1", "localhost"):
            problems.append(
                Warning(
                    "BYLINE_URL is served over plain http.",
                    hint="Set BYLINE_URL to the https:// address readers use.",
                    id="byline.W001",
                )
            )
    return problems
