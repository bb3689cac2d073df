"""The header search box in a real browser: results appear as you type, Enter lands on the results page."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_typing_shows_results_and_enter_opens_the_results_page(page, newsroom, make_story):
    from conftest import paragraph_body

    make_story("Lighthouse keepers remember", body=paragraph_body("The lamp was <b>lit</b> by hand."))
    make_story("Ferry timetable", body=paragraph_body("A lighthouse tour leaves at noon."))
    page.goto(newsroom.story.url)
    box = page.get_by_role("searchbox", name="Search stories")
    box.click()
    box.press_sequentially("lighthouse", delay=20)

    quick = page.locator("#site-search-results")
    quick.locator(".site-search__title").first.wait_for()
    titles = quick.locator(".site-search__title").all_inner_texts()
    assert titles == ["Lighthouse keepers remember", "Ferry timetable"]
    assert quick.locator("mark").first.inner_text().lower() == "lighthouse"
    assert quick.is_visible()

    box.press("Enter")
    page.wait_for_url("**/search/?q=lighthouse")
    assert page.locator("h1").inner_text() == "Search"
    assert page.locator(".search-result__title").all_inner_texts() == titles
    assert page.locator(".search-result__snippet mark").count() >= 1
    assert page.watch.problems(page) == []
    assert page.watch.foreign_requests(page.url) == []


def test_a_search_with_no_match_says_so_and_offers_topics(page, newsroom):
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search stories")
    box.fill("zeppelin")
    page.locator(".site-search__empty").wait_for()
    box.press("Enter")
    page.wait_for_url("**/search/?q=zeppelin")
    assert "No stories match" in page.locator(".search-results__status").inner_text()
    assert page.locator(".search-results__tags a").count() >= 1
    assert page.watch.problems(page) == []
