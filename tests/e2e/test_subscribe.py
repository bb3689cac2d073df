"""The subscribe call to action (DESIGN.md item 8), in a real browser: with and without JavaScript."""

import json

import pytest
from django.core import mail

from byline.members.models import SignInToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SEND_MAGIC_LINK = "**/members/api/send-magic-link/"
SUBSCRIBING = "Subscribing…"
SUBSCRIBED = "You’ve been subscribed!"
WENT_WRONG = "Something went wrong"


def message(page, state: str):
    return page.locator(f"#subscribe [data-subscribe-message='{state}']")


def only_shown(page, state: str) -> None:
    for other in ("loading", "success", "error"):
        assert message(page, other).is_visible() == (other == state), f"{other} while {state}"


def test_the_three_messages_are_in_the_markup_and_hidden_until_needed(page, newsroom):
    page.goto(newsroom.story.url)
    box = page.locator("#subscribe")
    assert box.get_by_role("heading", name="Be the first to know").is_visible()
    assert box.get_by_text("Get notified about upcoming stories").is_visible()
    assert box.get_by_label("Your email address").is_visible()
    for state, text in (("loading", SUBSCRIBING), ("success", SUBSCRIBED), ("error", WENT_WRONG)):
        assert text in message(page, state).text_content()
        assert message(page, state).is_hidden()
    assert box.locator("[aria-live]").count() == 1
    honeypot = box.locator("input[name='website']")
    assert honeypot.get_attribute("tabindex") == "-1"
    assert honeypot.get_attribute("autocomplete") == "off"
    assert not honeypot.is_visible() or honeypot.bounding_box()["x"] < 0
    assert page.watch.problems(page) == []


def test_a_reader_subscribes_from_a_story_page(page, newsroom):
    page.goto(newsroom.story.url)
    page.locator(".subscribe__form--enhanced").wait_for()

    # Hold the request until "Subscribing…" has been seen, then let it through to the server.
    held = []
    page.route(SEND_MAGIC_LINK, lambda route: held.append(route))
    page.get_by_label("Your email address").fill("reader@example.com")
    page.locator("#subscribe").get_by_role("button", name="Subscribe").click()
    message(page, "loading").wait_for()
    only_shown(page, "loading")
    assert page.locator(".subscribe__button").is_disabled()
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(50)
    request = held[0].request
    assert json.loads(request.post_data) == {
        "email": "reader@example.com",
        "emailType": "signup",
        "redirect": newsroom.story.url,
        "website": "",
    }
    held[0].continue_()

    message(page, "success").wait_for()
    only_shown(page, "success")
    assert "Check your inbox to confirm." in message(page, "success").text_content()
    assert page.locator(".subscribe__button").is_enabled()
    token = SignInToken.objects.get(email="reader@example.com")
    assert token.purpose == SignInToken.SIGNUP
    assert token.redirect_to == newsroom.story.url
    assert [m.to for m in mail.outbox] == [["reader@example.com"]]
    assert page.watch.problems(page) == []


def test_an_invalid_address_shows_the_servers_reason(page, newsroom):
    page.goto(newsroom.story.url)
    page.locator(".subscribe__form--enhanced").wait_for()
    email = page.get_by_label("Your email address")
    email.fill("reader@example")  # the browser accepts it; the server does not
    email.press("Enter")

    message(page, "error").wait_for()
    only_shown(page, "error")
    text = message(page, "error").text_content()
    assert WENT_WRONG in text
    reason = page.locator("[data-subscribe-reason]").text_content().strip()
    assert reason and reason in text
    assert page.evaluate("document.activeElement.id") == "subscribe-email"
    assert email.get_attribute("aria-describedby") == "subscribe-error"
    assert not SignInToken.objects.exists()
    # The server's 400 is logged by the browser as a failed resource; nothing else went wrong.
    problems = [p for p in page.watch.problems(page) if "status of 400" not in p]
    assert problems == []


def test_too_many_attempts_says_so(page, newsroom):
    page.goto(newsroom.story.url)
    page.locator(".subscribe__form--enhanced").wait_for()
    email = page.get_by_label("Your email address")
    for _ in range(6):  # five links an hour per address
        email.fill("busy@example.com")
        email.press("Enter")
        page.wait_for_function(
            "() => document.querySelector('[data-subscribe-form]').dataset.state !== 'loading'"
        )
    only_shown(page, "error")
    assert "Try again in an hour" in message(page, "error").text_content()


def test_a_server_failure_shows_something_went_wrong(page, newsroom):
    page.route(
        SEND_MAGIC_LINK,
        lambda route: route.fulfill(status=500, content_type="text/html", body="<h1>Server Error</h1>"),
    )
    page.goto(newsroom.story.url)
    page.locator(".subscribe__form--enhanced").wait_for()
    page.get_by_label("Your email address").fill("reader@example.com")
    page.locator("#subscribe").get_by_role("button", name="Subscribe").click()

    message(page, "error").wait_for()
    only_shown(page, "error")
    assert WENT_WRONG in message(page, "error").text_content()
    assert page.locator(".subscribe__button").is_enabled()
    assert not SignInToken.objects.exists()


def test_the_home_page_has_the_subscribe_box_too(page, newsroom):
    page.goto("/")
    page.locator(".subscribe__form--enhanced").wait_for()
    page.get_by_label("Your email address").fill("front@example.com")
    page.get_by_label("Your email address").press("Enter")
    message(page, "success").wait_for()
    assert SignInToken.objects.get(email="front@example.com").redirect_to == "/"
    assert page.watch.problems(page) == []


def test_without_javascript_the_form_posts_and_lands_on_the_confirmation_page(new_context, newsroom):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(newsroom.story.url)
    page.get_by_label("Your email address").fill("nojs@example.com")
    page.locator("#subscribe").get_by_role("button", name="Subscribe").click()

    page.wait_for_url("**/members/api/send-magic-link/")
    assert page.get_by_role("heading", name="Check your inbox").is_visible()
    assert SignInToken.objects.get(email="nojs@example.com").redirect_to == newsroom.story.url
    # The header still offers the signed-out links: nothing depends on the script.
    assert page.locator(".site-header").get_by_role("link", name="Sign in").is_visible()


def test_the_optional_name_field_appears_when_the_site_asks_for_names(page, newsroom):
    from byline.core.models import PublicationSettings

    publication = PublicationSettings.for_site(newsroom.story.get_site())
    publication.subscribe_asks_name = True
    publication.save()
    page.goto(newsroom.story.url)
    page.locator(".subscribe__form--enhanced").wait_for()
    page.get_by_label("Your name (optional)").fill("Rosa Reader")
    page.get_by_label("Your email address").fill("rosa@example.com")
    page.locator("#subscribe").get_by_role("button", name="Subscribe").click()
    message(page, "success").wait_for()
    assert SignInToken.objects.get(email="rosa@example.com").name == "Rosa Reader"
    assert page.get_by_label("Your name (optional)").input_value() == ""
    assert page.watch.problems(page) == []


def test_without_the_setting_there_is_no_name_field(page, newsroom):
    page.goto(newsroom.story.url)
    assert page.locator("#subscribe input[name='name']").count() == 0
