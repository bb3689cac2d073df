"""The "Share this post" menu, in a real browser: keyboard only, clipboard, plain links without JS."""

from urllib.parse import quote

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TOP_TOGGLE = ".share__toggle[aria-controls='share-top']"
FOCUS_IN_TOP_MENU = "document.getElementById('share-top').contains(document.activeElement)"


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until `selector` has focus, as a keyboard reader would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def focused(page) -> str:
    return page.evaluate("document.activeElement.outerHTML.slice(0, 120)")


def test_a_reader_shares_a_story_with_the_keyboard_only(new_context, live_server, newsroom):
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    story_url = live_server.url + newsroom.story.url

    page.goto(newsroom.story.url)
    page.locator(".share--enhanced").first.wait_for()
    toggle = page.locator(TOP_TOGGLE)
    panel = page.locator("#share-top")
    assert toggle.is_visible()
    assert panel.is_hidden()

    tab_to(page, TOP_TOGGLE)
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert panel.is_visible()
    assert page.evaluate(FOCUS_IN_TOP_MENU), focused(page)

    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert panel.is_hidden()
    assert page.evaluate("(s) => document.activeElement.matches(s)", TOP_TOGGLE), focused(page)

    page.keyboard.press("Space")
    assert panel.is_visible()
    assert page.evaluate(FOCUS_IN_TOP_MENU), focused(page)
    for _ in range(10):  # arrow keys walk the menu; Copy link is first where there is no native share
        if page.evaluate("document.activeElement.matches('[data-share-copy]')"):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    status = panel.locator(".share__status")
    status.get_by_text("Link copied").wait_for()
    assert status.is_visible()
    assert page.evaluate("navigator.clipboard.readText()") == story_url
    assert page.evaluate("document.querySelector('link[rel=canonical]').href") == story_url

    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert page.evaluate("(s) => document.activeElement.matches(s)", TOP_TOGGLE)

    assert context.watch.problems(page) == []
    assert context.watch.foreign_requests(live_server.url) == []
    assert any(url.endswith("/theme.js") for url in context.watch.requests)


def test_a_click_outside_closes_the_menu_and_one_menu_opens_at_a_time(page, newsroom):
    page.goto(newsroom.story.url)
    page.locator(".share--enhanced").first.wait_for()
    page.locator(TOP_TOGGLE).click()
    assert page.locator("#share-top").is_visible()

    page.locator(".share__toggle[aria-controls='share-bottom']").click()
    assert page.locator("#share-bottom").is_visible()
    assert page.locator("#share-top").is_hidden()

    page.locator(".story__title").click()
    assert page.locator("#share-bottom").is_hidden()
    assert page.locator(".share__toggle[aria-expanded='true']").count() == 0
    # No native share sheet in desktop Linux Chromium: its item stays hidden.
    assert page.evaluate("typeof navigator.share") == "undefined"
    assert page.locator(".share__native").first.is_hidden()
    assert page.watch.problems(page) == []


def test_copy_link_falls_back_to_a_hidden_textarea_without_the_async_clipboard(
    new_context, live_server, newsroom
):
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})")
    page.goto(newsroom.story.url)
    assert page.evaluate("navigator.clipboard") is None

    page.locator(TOP_TOGGLE).click()
    page.locator("#share-top [data-share-copy]").click()
    page.locator("#share-top .share__status").get_by_text("Link copied").wait_for()
    assert page.locator(".share__clipboard").count() == 0  # the textarea is gone again
    assert page.locator("#share-top").is_visible()  # and the menu stayed open

    reader = context.new_page()
    reader.goto("/")
    assert reader.evaluate("navigator.clipboard.readText()") == live_server.url + newsroom.story.url
    assert context.watch.problems(page) == []


def test_the_share_links_point_at_each_network_with_the_story_encoded(page, live_server, newsroom):
    page.goto(newsroom.story.url)
    url = quote(live_server.url + newsroom.story.url, safe="")
    title = quote("The quay reopens", safe="")
    expected = {
        "x": f"https://x.com/intent/post?text={title}&url={url}",
        "facebook": f"https://www.facebook.com/sharer/sharer.php?u={url}",
        "linkedin": f"https://www.linkedin.com/sharing/share-offsite/?url={url}",
        "bluesky": f"https://bsky.app/intent/compose?text={title}%20{url}",
        "threads": f"https://www.threads.net/intent/post?text={title}%20{url}",
        "whatsapp": f"https://wa.me/?text={title}%20{url}",
        "email": f"mailto:?subject={title}&body={url}",
    }
    for menu in ("#share-top", "#share-bottom"):
        for network, href in expected.items():
            link = page.locator(f"{menu} .share__link--{network}")
            assert link.get_attribute("href") == href, network
            assert link.get_attribute("rel") == "noopener noreferrer"
    assert "http%3A%2F%2Flocalhost%3A" in expected["x"]


def test_the_share_links_work_without_javascript(new_context, newsroom):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(newsroom.story.url)

    for menu in ("#share-top", "#share-bottom"):
        assert page.locator(f"{menu} .share__title").is_visible()
        links = page.locator(f"{menu} .share__link")
        assert links.count() == 7
        for index in range(7):
            assert links.nth(index).is_visible()
        # The buttons that need a script stay out of the way.
        assert page.locator(f"{menu} [data-share-copy]").is_hidden()
        assert page.locator(f"{menu} [data-share-native]").is_hidden()
    assert page.locator(".share__toggle").first.is_hidden()
    assert page.locator(".share--enhanced").count() == 0
