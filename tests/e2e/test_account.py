"""A member manages their newsletters on /account/ and signs out, in a real browser."""

import pytest

from byline.members.models import Member, SignInToken
from byline.members.services import send_magic_link
from byline.newsletters.models import Newsletter
from tests.e2e.mail import emailed_link_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def header_state(page) -> str:
    return page.evaluate("() => document.querySelector('[data-member-actions]').dataset.member")


def test_a_member_changes_newsletters_on_the_account_page_then_signs_out(page, newsroom):
    daily = Newsletter.objects.create(name="Morning Edition", slug="morning", sort_order=1)
    Newsletter.objects.create(name="Weekend Reads", slug="weekend", sort_order=2)
    member = Member.objects.create(email="kit@example.com", name="Kit Reader")
    member.newsletters.add(daily)

    send_magic_link("kit@example.com", purpose=SignInToken.SIGNIN, redirect_to=newsroom.story.url)
    page.goto(emailed_link_path())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{newsroom.story.url}")
    page.wait_for_function(
        "() => document.querySelector('[data-member-actions]').dataset.member === 'signed-in'"
    )

    page.locator(".site-header").get_by_role("link", name="Account").click()
    page.wait_for_url("**/account/")
    morning = page.get_by_role("checkbox", name="Morning Edition")
    weekend = page.get_by_role("checkbox", name="Weekend Reads")
    assert morning.is_checked() and not weekend.is_checked()
    morning.uncheck()
    weekend.check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/account/?done=saved")
    assert page.get_by_role("status").first.text_content().strip() == "Your changes are saved."
    assert page.get_by_role("checkbox", name="Weekend Reads").is_checked()
    assert not page.get_by_role("checkbox", name="Morning Edition").is_checked()
    assert list(member.newsletters.values_list("slug", flat=True)) == ["weekend"]

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/account/?done=signed_out")
    assert "You are signed out." in page.content()
    page.goto(newsroom.story.url)
    page.wait_for_function(
        "() => document.querySelector('[data-member-actions]').dataset.member === 'signed-out'"
    )
    assert page.locator(".site-header").get_by_role("link", name="Sign in").is_visible()
    status = page.evaluate("() => fetch('/members/api/member/').then((response) => response.status)")
    assert status == 204
    assert header_state(page) == "signed-out"
    assert page.watch.problems(page) == []
