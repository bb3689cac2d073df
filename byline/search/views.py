from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from byline.lib import ratelimit
from byline.search import services
from byline.search.query import MAX_INPUT, parse

PER_PAGE = 20
AS_YOU_TYPE = 8
REQUESTS_PER_MINUTE = 120  # per IP: as-you-type asks often, a script asking faster is not a reader


@require_safe
def search(request):
    raw = request.GET.get("q", "")[:MAX_INPUT]
    wants_json = request.GET.get("format") == "json"
    if not ratelimit.hit("search", ratelimit.client_ip(request), limit=REQUESTS_PER_MINUTE, window=60):
        if wants_json:
            return JsonResponse({"error": "Too many searches: try again in a minute."}, status=429)
        return render(request, "search/results.html", {"query": raw, "too_many": True}, status=429)
    query = parse(raw)
    results = services.search_stories(query) if query else NoResults()
    if wants_json:
        rows = services.load_results(results[:AS_YOU_TYPE], query, request)
        return JsonResponse(
            {
                "query": raw,
                "total": results.count() if query else 0,
                # True when there are more than `total` (counts stop at FTSResults.COUNT_LIMIT).
                "capped": getattr(results, "capped", False),
                "results": [services.as_json(row) for row in rows],
            }
        )
    page = Paginator(results, PER_PAGE).get_page(request.GET.get("page"))
    rows = services.load_results(page.object_list, query, request)
    context = {
        "query": raw,
        "page_obj": page,
        "results": rows,
        "capped": getattr(results, "capped", False),
        "suggested_tags": [] if rows else services.suggested_tags(),
    }
    return render(request, "search/results.html", context)


class NoResults(list):
    """No query, no results: an empty list that counts like search results do."""

    def count(self, *args) -> int:
        return 0
