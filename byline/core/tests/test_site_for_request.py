"""Which Site a request is for: Wagtail's answer, kept by each process until something site-wide
changes (core.services.site_for_request), and the home page finding a story by its slug in one query."""

import pytest
from django.http import Http404
from django.test import RequestFactory
from wagtail.models import Site

from byline.core import services
from byline.stories.models import StandalonePage
from conftest import paragraph_body


def request_for(host: str):
    return RequestFactory().get("/", HTTP_HOST=host)


def test_the_second_request_for_a_host_asks_the_database_nothing(site, django_assert_num_queries):
    first = services.site_for_request(request_for("127.0.0.1:8000"))

    with django_assert_num_queries(0):
        again = services.site_for_request(request_for("127.0.0.1:8000"))

    assert first.pk == again.pk == site.pk


def test_a_changed_site_address_is_seen_by_the_next_request(site):
    services.site_for_request(request_for("news.example"))  # the default site answers any host

    site.hostname, site.port = "news.example", 80
    site.save()

    assert services.site_for_request(request_for("news.example")).hostname == "news.example"


def test_a_new_site_for_another_host_answers_it_at_once(site, home):
    assert services.site_for_request(request_for("other.example")).pk == site.pk

    other = Site.objects.create(hostname="other.example", port=80, root_page=home, site_name="Other")

    assert services.site_for_request(request_for("other.example")).pk == other.pk
    assert services.site_for_request(request_for("127.0.0.1:8000")).pk == site.pk


def test_made_up_hosts_cannot_grow_the_copy_without_bound(site):
    for n in range(services.SITES_REMEMBERED * 3):
        services.site_for_request(request_for(f"forged-{n}.example"))

    assert len(services._sites) <= services.SITES_REMEMBERED


def test_a_cache_that_does_not_answer_still_finds_the_site(site, settings):
    settings.CACHES = {
        **settings.CACHES,
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }

    assert services.site_for_request(request_for("127.0.0.1:8000")).pk == site.pk


def test_the_home_page_finds_a_live_story_by_its_slug_in_one_query(
    home, make_story, django_assert_num_queries
):
    story = make_story("Harbour lights")
    request = request_for("127.0.0.1:8000")

    with django_assert_num_queries(1):
        routed = home.route(request, [story.slug]).page

    assert routed == story and type(routed) is type(story)
    assert routed.get_parent().pk == home.pk


def test_a_draft_story_and_a_deeper_path_are_not_found(home, make_story):
    draft = make_story("Not yet", live=False)
    request = request_for("127.0.0.1:8000")

    with pytest.raises(Http404):
        home.route(request, [draft.slug])
    with pytest.raises(Http404):
        home.route(request, [draft.slug, "more"])


def test_other_pages_under_the_home_are_still_found(home):
    about = StandalonePage(title="About us", body=paragraph_body("Who we are."))
    home.add_child(instance=about)
    about.save_revision().publish()

    routed = home.route(request_for("127.0.0.1:8000"), ["about-us"]).page

    assert routed.pk == about.pk and isinstance(routed, StandalonePage)
