"""The theme's layout at phone and desktop widths."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
GRID_COLUMNS = "getComputedStyle(document.querySelector('.card-grid')).gridTemplateColumns.split(' ').length"


def test_the_layout_fits_a_phone_and_fills_a_desktop(new_context, newsroom):
    context = new_context(**PHONE)
    phone = context.new_page()
    for path in ("/", newsroom.story.url, "/tag/news/", "/author/grace-hopper/", "/no-such-page/"):
        phone.goto(path)
        assert phone.evaluate("window.innerWidth") == 390
        assert phone.evaluate(OVERFLOW) == 0, f"{path} scrolls sideways on a phone"
    context.watch.console_errors.clear()  # the 404 page's own status is logged as an error

    phone.goto("/")
    assert phone.evaluate(GRID_COLUMNS) == 1
    phone.goto(newsroom.story.url)
    # The text column fills the phone less its margins; a full-width image runs edge to edge.
    assert 330 <= phone.locator(".story__body p").first.bounding_box()["width"] <= 375
    assert phone.locator(".block-image--full img").bounding_box()["width"] == 390
    # The open share menu stays on screen.
    phone.locator(".share--enhanced").first.wait_for()
    phone.locator(".share__toggle[aria-controls='share-top']").tap()
    menu = phone.locator("#share-top").bounding_box()
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 390
    assert phone.evaluate(OVERFLOW) == 0
    assert context.watch.problems(phone) == []

    # A desktop: the featured story large over a three-column grid, four related stories in a row.
    desktop = new_context().new_page()
    desktop.goto("/")
    assert desktop.evaluate(GRID_COLUMNS) == 3
    featured = desktop.locator(".card--large")
    assert featured.locator(".card__title").inner_text() == "The quay reopens"
    assert featured.bounding_box()["width"] > 1000
    assert desktop.locator(".card-grid .card").count() == 5
    desktop.goto(newsroom.story.url)
    related = desktop.locator(".related__grid .card")
    assert related.count() == 4
    assert len({round(related.nth(i).bounding_box()["y"]) for i in range(4)}) == 1
