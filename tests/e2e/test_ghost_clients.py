"""Ghost's own JavaScript clients (`@tryghost/content-api`, `@tryghost/admin-api`, from npm) against a live
Byline server.

The Node scripts live in tests/e2e/ghost_clients/; `npm ci` (run by `make test`) installs the clients
into node_modules from package-lock.json.
"""

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from byline.api import services
from byline.newsletters.models import Newsletter

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).parent / "ghost_clients"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module")
def node():
    node = shutil.which("node")
    if not node or not (ROOT / "node_modules" / "@tryghost" / "content-api").is_dir():
        pytest.fail("these tests need Node and `npm ci` (run `make test`, or `npm ci` in the repository)")
    return node


def run_script(node, name: str, *args: str) -> dict:
    done = subprocess.run(
        [node, str(SCRIPTS / name), *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_ghost_content_api_client_reads_byline(node, live_server, make_story, make_tag, make_author):
    harbour, council = make_tag("Harbour"), make_tag("Council")
    ada, ben = make_author("Ada Quayside"), make_author("Ben Ledger")
    now = timezone.now()
    for number in range(17):
        make_story(
            f"Tide table {number:02d}",
            tags=[harbour, council] if number % 2 else [council],
            authors=[ada] if number % 3 else [ben, ada],
            featured=number in (3, 5, 6),
            published_at=now - timedelta(hours=number),
            body=[{"type": "rich_text", "value": f"<p>Boats counted at dawn: {number}.</p>"}],
        )
    Newsletter.objects.create(name="Morning Tide", slug="morning-tide")
    key = services.add_integration("Ghost client test").content_key

    got = run_script(node, "content.js", live_server.url, key)

    first = got["firstPage"]
    assert [post["title"] for post in first["posts"]] == [f"Tide table {n:02d}" for n in range(5)]
    assert first["posts"][1]["primaryTag"] == "harbour" and first["posts"][0]["primaryTag"] == "council"
    assert first["posts"][0]["primaryAuthor"] == "ben-ledger"
    assert first["posts"][0]["url"] == f"{live_server.url}/tide-table-00/"
    assert "Boats counted at dawn: 0." in first["posts"][0]["html"]
    assert first["meta"]["pagination"] == {
        "page": 1,
        "limit": 5,
        "pages": 4,
        "total": 17,
        "next": 2,
        "prev": None,
    }
    assert got["filtered"] == [
        {"title": "Tide table 03", "slug": "tide-table-03", "featured": True},
        {"title": "Tide table 05", "slug": "tide-table-05", "featured": True},
    ]
    assert got["plain"] == [
        {"title": "Tide table 16", "plaintext": "Boats counted at dawn: 16."},
        {"title": "Tide table 15", "plaintext": "Boats counted at dawn: 15."},
    ]
    assert got["everything"]["count"] == 17
    assert got["everything"]["meta"]["pagination"]["limit"] == "all"
    assert got["secondPage"]["titles"] == [f"Tide table {n:02d}" for n in range(5, 10)]
    assert got["secondPage"]["meta"]["pagination"]["prev"] == 1
    assert got["byId"] == {"title": "Tide table 00", "tags": ["council"]}
    assert got["bySlug"]["id"]
    assert sorted(got["tags"], key=lambda t: t["slug"]) == [
        {"slug": "council", "posts": 17}, {"slug": "harbour", "posts": 8}
    ]  # fmt: skip
    assert sorted(got["authors"], key=lambda a: a["slug"]) == [
        {"slug": "ada-quayside", "posts": 17}, {"slug": "ben-ledger", "posts": 6}
    ]  # fmt: skip
    assert got["author"]["posts"] in (17, 6)
    assert got["settings"]["url"] == f"{live_server.url}/"
    assert got["tiers"] == ["free"]
    assert got["newsletters"] == ["morning-tide"]
    assert got["pages"] == []
    assert got["missing"]["type"] == "NotFoundError"
    assert got["missing"]["message"] == "Resource not found error, cannot read post."
    assert got["badFilter"]["type"] == "BadRequestError"
    assert got["badKey"]["type"] == "UnauthorizedError"


def test_ghost_admin_api_client_writes_stories_and_pages(
    node, live_server, make_author, make_image, tmp_path
):
    import io

    from PIL import Image as PILImage

    from byline.stories.models import StandalonePage, StoryPage

    make_author("Night Editor")
    picture = tmp_path / "crane.png"
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (20, 80, 140)).save(buffer, format="PNG")
    picture.write_bytes(buffer.getvalue())
    key = services.add_integration("Ghost admin client test").admin_api_key

    got = run_script(node, "admin.js", live_server.url, key, str(picture))

    assert got["image"]["url"].startswith(f"{live_server.url}/media/original_images/")
    assert got["image"]["ref"] == "quay-photo"
    assert got["tag"] == {"slug": "quayside"}
    assert got["added"]["status"] == "draft"
    assert got["added"]["tags"] == ["quayside", "works"]
    assert got["added"]["featureImage"] == got["image"]["url"]
    assert "<i>old crane</i>" in got["added"]["html"] and "<img" in got["added"]["html"]
    assert "starts on Monday" in got["edited"]["html"] and got["edited"]["changed"]
    assert got["conflict"]["type"] == "UpdateCollisionError"
    assert got["published"] == {"status": "published", "url": f"{live_server.url}/crane-repairs-begin/"}
    assert got["read"] == {"title": "Crane repairs begin", "status": "published"}
    assert got["bySlug"]["id"]
    assert got["browsed"] == {"count": 1, "total": 1}
    assert got["member"] == {"email": "harbour.reader@example.com", "labels": ["Quay"]}
    assert got["members"] == {"emails": ["harbour.reader@example.com"], "total": 1}
    assert got["deleted"] == "empty"
    assert got["gone"]["type"] == "NotFoundError"
    assert got["badKey"]["type"] == "UnauthorizedError"
    assert not StoryPage.objects.exists()
    page = got["page"]
    assert page["added"]["type"] == "page" and page["added"]["status"] == "draft"
    assert page["added"]["slug"] == "visiting-the-newsroom" and "<b>side door</b>" in page["added"]["html"]
    assert page["edited"]["status"] == "published"
    assert page["edited"]["url"] == f"{live_server.url}/visiting-the-newsroom/"
    assert "<p>Ring the bell at the front door.</p>" in page["edited"]["html"]
    assert page["conflict"]["type"] == "UpdateCollisionError"
    assert page["bySlug"]["same"] and page["browsed"] == ["visiting-the-newsroom"]
    assert page["deleted"] == "empty" and page["gone"]["type"] == "NotFoundError"
    assert not StandalonePage.objects.exists()
