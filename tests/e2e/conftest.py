"""Browser tests: the public site served by pytest-django's live server, driven by the system Chromium.

Playwright's sync API runs an event loop in the test thread, and Django refuses ORM calls from a
thread with a running loop; the fixtures only build rows before the browser acts, so the check is
switched off while the browser runs (see `browser`).

Every test gets a fresh browser context (no shared cookies, storage or permissions) from
`new_context`; `page` is the common case: one page in a plain context, recording what went wrong.
"""

import os
import shutil
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from byline.core.models import PublicationSettings

CHROMIUM = os.environ.get("BYLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Records Content-Security-Policy violations from inside the page, before any page script runs.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"browser tests need Chromium at {CHROMIUM}: run `make test` or apt-get install chromium")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@dataclass
class Watch:
    """What a page did that a test may want to assert never happened."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, context):
        context.add_init_script(CSP_LISTENER)
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("console", self._console)
        context.on("weberror", lambda error: self.console_errors.append(f"pageerror: {error.error}"))

    def _console(self, message):
        if message.type == "error":
            self.console_errors.append(f"console: {message.text}")

    def foreign_requests(self, origin: str) -> list[str]:
        """Requests to anything but `origin` (data: URIs stay inside the page)."""
        netloc = urlsplit(origin).netloc
        return [
            url for url in self.requests if not url.startswith("data:") and urlsplit(url).netloc != netloc
        ]

    def problems(self, page) -> list[str]:
        violations = page.evaluate("window.__cspViolations || []")
        return self.console_errors + [f"CSP: {violation}" for violation in violations]


@pytest.fixture
def new_context(browser, live_server):
    """`new_context(**options)`: a fresh context on the live server; closed after the test."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        context.watch = Watch()
        context.watch.attach(context)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    context = new_context()
    page = context.new_page()
    page.watch = context.watch
    return page


@pytest.fixture
def publication(live_server, site):
    """The site answers at the live server's address, so canonical URLs point at it."""
    address = urlsplit(live_server.url)
    site.hostname = address.hostname
    site.port = address.port
    site.save()
    settings = PublicationSettings.for_site(site)
    settings.name = "The Harbour Ledger"
    settings.description = "Independent news from the coast."
    settings.navigation = [
        ("link", {"label": "News", "url": "/tag/news/"}),
        ("link", {"label": "Culture", "url": "/tag/culture/"}),
    ]
    settings.save()
    return settings


def block(kind: str, value=None, **fields) -> dict:
    return {"type": kind, "value": fields or value}


def story_body(image, gallery) -> list[dict]:
    """One of every block the theme styles."""
    text = (
        "<p>The harbour authority confirmed on Tuesday that the northern quay will reopen to "
        "fishing boats next month, ending a closure that has lasted almost two years.</p>"
        "<h2>What changes</h2><p>Boats can tie up from June, <a href='/'>says the council</a>.</p>"
        "<ul><li>New moorings</li><li>A longer quay</li></ul>"
    )
    return [
        block("rich_text", text),
        block("quote", text="The quay is the heart of the town.", attribution="A skipper"),
        block("callout", emoji="💡", text="<p>Meetings every <b>Thursday</b>.</p>"),
        block("image", image=image.pk, alt="The quay", caption="At dawn.", width="wide"),
        # Long enough to scroll sideways: a scrolling region must be reachable by keyboard.
        block("code", language="python", code="print('the quay is open')  # " + "a long line " * 15),
        block("divider"),
        block("gallery", images=[picture.pk for picture in gallery], caption="The fleet."),
        block("image", image=image.pk, alt="The harbour from the hill", caption="", width="full"),
        block("button", text="Read the report", url="https://example.com/report"),
    ]


@dataclass
class Newsroom:
    story: object
    stories: list


@pytest.fixture
def newsroom(publication, make_story, make_author, make_tag, make_image) -> Newsroom:
    """A small publication: tags, authors with and without photos, feature images, every block."""
    news, culture, climate = make_tag("News"), make_tag("Culture"), make_tag("Climate")
    ada = make_author("Ada Lovelace", photo=make_image("Ada", 160, 160, (190, 140, 110)))
    grace = make_author("Grace Hopper")
    kofi = make_author("Kofi Mensah")
    colours = [(40, 90, 160), (160, 70, 40), (30, 120, 90), (120, 60, 140), (90, 90, 90)]
    others = [
        make_story(
            f"Other story {n}",
            authors=[[grace], [kofi], [ada], [grace, kofi], [kofi]][n],
            tags=[[news], [culture], [climate, news], [news], [culture]][n],
            feature_image=make_image(f"Feature {n}", 480, 270, colours[n]) if n != 3 else None,
            feature_image_alt=f"Picture for story {n}",
        )
        for n in range(5)
    ]
    picture = make_image("Quay", 720, 360, (20, 60, 100))
    story = make_story(
        "The quay reopens",
        authors=[ada, grace],
        tags=[news, climate],
        body=story_body(picture, [make_image(f"Gallery {n}", 360, 360) for n in range(3)]),
        feature_image=make_image("Harbour", 960, 540, (30, 80, 120)),
        feature_image_alt="Fishing boats in the harbour",
        feature_image_caption="The harbour at first light.",
        custom_excerpt="After two years, the fleet can tie up again.",
        featured=True,
    )
    return Newsroom(story=story, stories=[story, *others])


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate limits count in the (in-memory) cache: every browser test starts with none spent."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
