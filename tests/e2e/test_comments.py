"""Comments in the system Chromium: the member flow in place, moderation in the admin, and hostile input."""

import itertools
from urllib.parse import quote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from byline.comments.models import Comment
from byline.comments.text import to_html
from byline.members.models import Member, SignInToken
from byline.members.services import clean_name, send_magic_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def signed_in_page(new_context, email, name, story, **options):
    """A browser page signed in as a member, the real way: an emailed link, confirmed."""
    if not Member.objects.filter(email=email).exists():
        Member.objects.create(email=email, name=name)
    send_magic_link(email, purpose=SignInToken.SIGNIN, redirect_to=story.url)
    link = next(word for word in mail.outbox[-1].body.split() if "/members/?token=" in word)
    parts = urlsplit(link)
    context = new_context(**options)
    page = context.new_page()
    page.watch = context.watch
    page.goto(f"{parts.path}?{parts.query}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{story.url}")
    page.wait_for_selector("[data-comments][data-comments-ready]", state="attached")
    return page


def comment_article(page, text):
    return page.locator("article.comment", has_text=text)


def test_a_member_comments_replies_likes_edits_and_deletes_in_place(new_context, newsroom):
    story = newsroom.story
    page = signed_in_page(new_context, "ada@example.com", "Ada Lovelace", story)
    section = page.locator("#comments")
    assert section.get_by_text("Sign in to join the conversation.").is_hidden()

    box = section.get_by_label("Add a comment")
    box.fill("The quay looks <b>great</b> again.\nWell done.")
    section.get_by_role("button", name="Post comment").click()
    first = comment_article(page, "The quay looks great again.")
    first.wait_for()
    assert first.locator("b").text_content() == "great"
    assert section.locator("[data-comments-count]").text_content() == "1"
    assert box.input_value() == ""
    assert first.locator("time").text_content() == "just now"
    assert first.locator("time").get_attribute("title")  # the exact time on hover

    first.get_by_role("link", name="Reply").click()
    page.get_by_label("Reply to Ada Lovelace").fill("Replying to myself, to add a detail.")
    page.get_by_role("button", name="Post reply").click()
    reply = comment_article(page, "Replying to myself")
    reply.wait_for()
    assert section.locator("[data-comments-count]").text_content() == "2"

    first = comment_article(page, "The quay looks great again.").first
    like = first.get_by_role("button", name="Like", exact=True)
    like.click()
    first.get_by_role("button", name="Liked").wait_for()
    assert first.locator("[data-comment-likes]").text_content() == "1 like"
    first.get_by_role("button", name="Liked").click()
    first.get_by_role("button", name="Like", exact=True).wait_for()
    assert first.locator("[data-comment-likes]").text_content() == "0 likes"

    reply.get_by_role("button", name="Edit").click()
    page.get_by_label("Edit your comment").fill("Edited: the detail is the new crane.")
    page.get_by_role("button", name="Save").click()
    edited = comment_article(page, "Edited: the detail is the new crane.")
    edited.wait_for()
    assert edited.locator(".comment__edited").text_content() == "edited"

    # Editing a comment starts from what was typed: the bold survives an edit that keeps it.
    first = comment_article(page, "The quay looks great again.").first
    first.get_by_role("button", name="Edit").click()
    edit_box = page.get_by_label("Edit your comment")
    assert edit_box.input_value() == "The quay looks <b>great</b> again.\nWell done."
    edit_box.fill(edit_box.input_value() + " Truly.")
    page.get_by_role("button", name="Save").click()
    kept = comment_article(page, "Well done. Truly.")
    kept.wait_for()
    assert kept.locator("b").text_content() == "great"

    page.once("dialog", lambda dialog: dialog.accept())
    edited.get_by_role("button", name="Delete").click()
    edited.wait_for(state="detached")
    assert section.locator("[data-comments-count]").text_content() == "1"
    assert Comment.objects.filter(status=Comment.DELETED).count() == 1
    assert page.watch.problems(page) == []


def test_another_member_reports_and_staff_hide_it_in_the_admin(new_context, newsroom, live_server):
    story = newsroom.story
    author = Member.objects.create(email="grace@example.com", name="Grace Hopper")
    comment = Comment.objects.create(story=story, member=author, html=to_html("Nobody reads this paper."))

    reader = signed_in_page(new_context, "kofi@example.com", "Kofi Mensah", story)
    target = comment_article(reader, "Nobody reads this paper.")
    target.get_by_role("button", name="Report").click()
    reader.get_by_label("What is wrong with this comment?").fill("Trolling other readers")
    reader.get_by_role("button", name="Send report").click()
    reader.get_by_text("Thanks: an editor will look at it.").wait_for()
    assert comment.reports.get().reason == "Trolling other readers"

    staff = get_user_model().objects.create_superuser("editor", "editor@example.com", "a-long-password")
    client = Client()
    client.force_login(staff)
    admin = new_context()
    admin.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = admin.new_page()
    page.goto("/admin/snippets/comments/comment/?status=reported")
    row = page.locator("tr", has_text="Nobody reads this paper.")
    assert "Trolling other readers" in row.text_content()
    row.locator("input[data-bulk-action-checkbox]").check()
    page.locator("[data-bulk-action-footer]").get_by_role("link", name="Hide").click()
    page.get_by_role("button", name="Yes, hide").click()
    page.wait_for_url("**/admin/snippets/comments/comment/**")
    comment.refresh_from_db()
    assert comment.status == Comment.HIDDEN

    reader.goto(story.url)
    reader.wait_for_selector("[data-comments][data-comments-ready]", state="attached")
    assert comment_article(reader, "Nobody reads this paper.").count() == 0
    assert reader.locator("[data-comments-count]").text_content() == "0"


def test_a_reader_sees_the_thread_and_loads_more_in_place(page, newsroom):
    story = newsroom.story
    ada = Member.objects.create(email="ada@example.com", name="Ada Lovelace")
    first = Comment.objects.create(story=story, member=ada, html=to_html("The oldest comment."))
    for n in range(5):
        Comment.objects.create(
            story=story, member=ada, parent=first, in_reply_to=first, html=to_html(f"Reply number {n}.")
        )
    Comment.objects.create(story=story, member=None, html=to_html("Said by someone who left."))
    page.goto(story.url)
    page.wait_for_selector("[data-comments][data-comments-ready]", state="attached")
    section = page.locator("#comments")
    assert section.get_by_text("Sign in to join the conversation.").is_visible()
    assert section.locator("[data-comments-form]").is_hidden()
    assert section.get_by_role("button", name="Like").count() == 0  # hidden for readers
    assert comment_article(page, "Said by someone who left.").locator(".comment__author").text_content() == (
        "Deleted member"
    )

    section.get_by_role("link", name="Show 2 more replies").click()
    comment_article(page, "Reply number 4.").wait_for()
    assert page.url.endswith(story.url)  # in place, no navigation

    section.get_by_role("link", name="Newest first").click()
    section.locator('[data-comments-thread][data-order="newest"]').wait_for()
    articles = section.locator(".comments__list > li > article")
    assert "Said by someone who left." in articles.first.text_content()
    assert page.watch.problems(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_comments_section_has_no_serious_accessibility_violations(new_context, newsroom, scheme):
    from tests.e2e.test_accessibility import readable, serious_violations

    story = newsroom.story
    grace = Member.objects.create(email="grace@example.com", name="Grace Hopper")
    first = Comment.objects.create(story=story, member=grace, html=to_html("A <b>first</b> comment."))
    Comment.objects.create(
        story=story, member=grace, parent=first, in_reply_to=first, html=to_html("A reply.")
    )
    # axe is injected as an inline script, which only a CSP-bypassing context allows.
    options = {"bypass_csp": True, "color_scheme": scheme}
    reader = new_context(**options).new_page()
    reader.goto(story.url)
    reader.wait_for_selector("[data-comments][data-comments-ready]", state="attached")
    violations = serious_violations(reader, "#comments")
    assert violations == [], f"reader ({scheme}):{readable(violations)}"

    page = signed_in_page(new_context, "ada@example.com", "Ada Lovelace", story, **options)
    comment_article(page, "A first comment.").get_by_role("link", name="Reply").click()
    comment_article(page, "A reply.").get_by_role("button", name="Report").click()
    page.get_by_label("What is wrong with this comment?").wait_for()
    violations = serious_violations(page, "#comments")
    assert violations == [], f"member ({scheme}):{readable(violations)}"


# Hostile input -----------------------------------------------------------------------------------

BASE_PAYLOADS = [
    "<script>alert(1)</script>",
    "<script src=//evil.example/x.js></script>",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror='alert(1)'//",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<iframe srcdoc='<script>parent.alert(1)</script>'>",
    "<a href=javascript:alert(1)>click</a>",
    "<a href='data:text/html,<script>alert(1)</script>'>x</a>",
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    "javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<style>*{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<b onmouseover=alert(1)>bold</b>",
    "<b/onclick=alert(1)>x",
    "<i style=x onfocus=alert(1) tabindex=1>",
    "<em>ok</em><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script\x00>alert(1)</script>",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "＜script＞alert(1)＜/script＞",
    "<script>alert(1)</script>\u202e",
    "\u202e<img src=x onerror=alert(1)>",
    'https://example.com/"onmouseover="alert(1)',
    "https://example.com/<script>alert(1)</script>",
    "https://example.com/'onerror='alert(1)",
    "<a href=https://example.com onclick=alert(1)>link</a>",
    "<base href=javascript:alert(1)//>",
    '<meta http-equiv=refresh content="0;url=javascript:alert(1)">',
    "<link rel=import href=data:text/html,<script>alert(1)</script>>",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<select><style></select><img src=x onerror=alert(1)></style>",
    '<xmp><p title="</xmp><img src=x onerror=alert(1)>">',
    "{{constructor.constructor('alert(1)')()}}",
    "${alert(1)}",
]
VARIANTS = [
    lambda text: text,
    lambda text: text.upper().replace("ALERT", "alert"),
    lambda text: f"Before\n\n{text}\n\nafter",
    lambda text: quote(text),
    lambda text: f"<b>{text}</b>",
]
HOSTILE = [variant(payload) for payload, variant in itertools.product(BASE_PAYLOADS, VARIANTS)]
ALLOWED_IN_BODY = {"P", "BR", "A", "B", "STRONG", "I", "EM"}
FORBIDDEN = ["SCRIPT", "IFRAME", "OBJECT", "EMBED", "SVG", "MATH", "STYLE", "IMG", "BASE", "META"]
# Replaces the dialogs before any page script: a payload that runs leaves a trace instead of blocking.
TRAP_DIALOGS = """
window.alert = window.confirm = window.prompt = (message) => {
  (window.__pwned = window.__pwned || []).push("dialog " + message);
};
"""

INSPECT = """
() => {
  const problems = [];
  for (const body of document.querySelectorAll("[data-comment-body]")) {
    for (const element of body.querySelectorAll("*")) {
      if (!ALLOWED.includes(element.tagName)) problems.push("tag " + element.tagName);
      for (const attribute of element.attributes) {
        const ok = element.tagName === "A" && (attribute.name === "href" || attribute.name === "rel");
        if (!ok) problems.push(element.tagName + " attribute " + attribute.name);
        if (attribute.name === "href" && !/^https?:/i.test(attribute.value)) {
          problems.push("href " + attribute.value);
        }
      }
    }
  }
  for (const name of document.querySelectorAll(".comment__author, .comment__replying")) {
    if (name.children.length) problems.push("markup in a name: " + name.innerHTML);
  }
  for (const element of document.querySelectorAll("[data-comments] *")) {
    for (const attribute of element.attributes) {
      if (attribute.name.startsWith("on")) problems.push("handler " + attribute.name);
    }
    if (FORBIDDEN.includes(element.tagName)) {
      problems.push("element " + element.tagName);
    }
  }
  return problems.concat(window.__pwned || []);
}
""".replace("ALLOWED", str(sorted(ALLOWED_IN_BODY))).replace("FORBIDDEN", str(FORBIDDEN))


def test_hostile_comments_and_names_never_run_in_the_browser(page, newsroom):
    assert len(HOSTILE) >= 200
    story = newsroom.story
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.context.add_init_script(TRAP_DIALOGS)
    # Names go through clean_name on every way in (sign-up, account, API, import): it takes out control
    # characters (PostgreSQL refuses NUL) and keeps the hostile markup, which is what is under test.
    members = [
        Member.objects.create(email=f"hostile{n}@example.com", name=clean_name(payload))
        for n, payload in enumerate(BASE_PAYLOADS)
    ]
    parent = Comment.objects.create(story=story, member=members[0], html=to_html("A calm first comment."))
    stored = 0
    for n, text in enumerate(HOSTILE):
        try:
            html = to_html(text)
        except ValueError:
            continue
        Comment.objects.create(
            story=story, member=members[n % len(members)], parent=parent, in_reply_to=parent, html=html
        )
        stored += 1
    assert stored >= 200
    # Every reply on one page, then the story page with its preview and the script's viewer pass.
    for path in (f"/comments/replies/{parent.pk}/", story.url, f"/comments/{story.pk}/?order=newest"):
        page.goto(path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(100)
        assert page.evaluate(INSPECT) == [], path
    assert page.locator(".comment--reply").count() >= 3
    assert dialogs == []
    assert page.watch.problems(page) == []
