"""axe-core on the home page and a story page, in the light and the dark colour scheme.

The site's Content-Security-Policy (script-src 'self') refuses the inline <script> that
page.add_script_tag() injects, so these contexts, and only these, are opened with bypass_csp=True.
Every other browser test runs under the real policy and fails on any violation.
"""

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}

RUN_AXE = """async (selector) => {
  const results = await axe.run(selector || document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.slice(0, 5).map((n) => ({target: n.target.join(" "), why: n.failureSummary})),
  }));
}"""


def serious_violations(page, selector=None) -> list[dict]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN_AXE, selector) if v["impact"] in BLOCKING]


def readable(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"\n[{violation['impact']}] {violation['id']}: {violation['help']} ({violation['url']})")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}\n      {node['why']}".replace("\n", "\n      "))
    return "\n".join(lines) or json.dumps(violations)


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_home_and_story_pages_have_no_serious_accessibility_violations(new_context, newsroom, scheme):
    context = new_context(bypass_csp=True, color_scheme=scheme)
    page = context.new_page()

    # Home and story pages, plus an archive (author) and the 404 page, which share their parts.
    for path in ("/", newsroom.story.url, "/author/ada-lovelace/", "/no-such-page/"):
        page.goto(path)
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        violations = serious_violations(page)
        assert violations == [], f"{path} ({scheme}):{readable(violations)}"

    # The share menu open: its popover, buttons and status text.
    page.goto(newsroom.story.url)
    page.locator(".share--enhanced").first.wait_for()
    page.locator(".share__toggle[aria-controls='share-top']").click()
    page.locator("#share-top [data-share-copy]").hover()
    violations = serious_violations(page, ".share")
    assert violations == [], f"open share menu ({scheme}):{readable(violations)}"


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_subscribe_messages_and_signed_in_header_have_no_serious_violations(new_context, newsroom, scheme):
    context = new_context(bypass_csp=True, color_scheme=scheme)
    page = context.new_page()
    member = {"uuid": "5f0c", "email": "ada@example.com", "name": "Ada Lovelace", "initials": "AL"}
    page.route("**/members/api/member/", lambda route: route.fulfill(status=200, json=member))
    answers = iter(
        [
            {"status": 400, "json": {"errors": [{"message": "Enter a valid email address."}]}},
            {"status": 201, "json": {"sent": True}},
        ]
    )
    page.route("**/members/api/send-magic-link/", lambda route: route.fulfill(**next(answers)))
    page.goto(newsroom.story.url)
    page.locator("[data-member-actions][data-member='signed-in']").wait_for()
    violations = serious_violations(page, ".site-header")
    assert violations == [], f"signed-in header ({scheme}):{readable(violations)}"

    email = page.get_by_label("Your email address")
    for state in ("error", "success"):
        email.fill("reader@example.com")
        email.press("Enter")
        page.locator(f"#subscribe [data-subscribe-message='{state}']").wait_for()
        violations = serious_violations(page, ".subscribe")
        assert violations == [], f"subscribe {state} ({scheme}):{readable(violations)}"
