"""The header's member links: the same HTML for every reader, the signed-in state from the members API."""

import pytest

from byline.members.models import Member, SignInToken
from byline.members.services import send_magic_link
from tests.e2e.mail import emailed_link_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_signed_out_reader_sees_sign_in_and_subscribe(page, newsroom):
    for path, subscribe_href in (
        (newsroom.story.url, "#subscribe"),
        ("/", "#subscribe"),
        ("/tag/news/", "/#subscribe"),
    ):
        page.goto(path)
        page.wait_for_function(
            "() => document.querySelector('[data-member-actions]').dataset.member === 'signed-out'"
        )
        header = page.locator(".site-header")
        assert header.get_by_role("link", name="Sign in").get_attribute("href") == "/account/"
        assert header.get_by_role("link", name="Subscribe").get_attribute("href") == subscribe_href
        assert header.get_by_role("link", name="Account").count() == 0
    assert page.watch.problems(page) == []


def test_the_header_subscribe_link_goes_to_the_subscribe_box(page, newsroom):
    page.goto(newsroom.story.url)
    page.locator(".site-header").get_by_role("link", name="Subscribe").click()
    page.wait_for_function("() => location.hash === '#subscribe'")
    assert page.locator("#subscribe").is_visible()


def test_after_confirming_the_emailed_link_the_header_shows_the_member(page, newsroom):
    send_magic_link(
        "ada@example.com", purpose=SignInToken.SIGNUP, name="Ada Lovelace", redirect_to=newsroom.story.url
    )
    page.goto(emailed_link_path())
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/account/welcome/**")
    assert Member.objects.filter(email="ada@example.com").exists()
    page.get_by_role("link", name="Continue reading").click()
    page.wait_for_url(f"**{newsroom.story.url}")

    page.wait_for_function(
        "() => document.querySelector('[data-member-actions]').dataset.member === 'signed-in'"
    )
    header = page.locator(".site-header")
    account = header.get_by_role("link", name="Account")
    assert account.is_visible()
    assert account.get_attribute("href") == "/account/"
    assert header.locator("[data-member-initials]").text_content() == "AL"
    assert header.get_by_role("link", name="Sign in").is_hidden()
    assert header.get_by_role("link", name="Subscribe").is_hidden()
    assert page.watch.problems(page) == []


def test_the_page_html_is_the_same_signed_in_or_out(new_context, newsroom):
    """Only the JSON endpoint knows who is signed in; the story page itself does not change."""
    Member.objects.create(email="grace@example.com", name="Grace Hopper")
    send_magic_link("grace@example.com", purpose=SignInToken.SIGNIN)
    member_page = new_context().new_page()
    member_page.goto(emailed_link_path())
    member_page.get_by_role("button", name="Sign in").click()
    member_page.wait_for_url("**/")
    reader_page = new_context().new_page()

    def header_html(page):
        response = page.request.get(newsroom.story.url)
        html = response.text()
        return html[html.index("<header") : html.index("</header>")]

    assert header_html(member_page) == header_html(reader_page)
    assert member_page.request.get("/members/api/member/").json()["initials"] == "GH"
    assert reader_page.request.get("/members/api/member/").status == 204
