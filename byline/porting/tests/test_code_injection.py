"""Imported code injection is kept for review in the admin, shown as text, and put on the site only
when the publication allows it, with a Content-Security-Policy relaxed on that story's page alone."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from byline.porting import services
from byline.porting.tests.conftest import minimal_export, post
from byline.stories.models import StoryPage

pytestmark = pytest.mark.django_db

HEAD = '<script>window.tracker = "harbour-stats";</script>'
FOOT = '<script src="https://widgets.example/poll.js"></script>'


@pytest.fixture
def imported(write_export):
    services.import_ghost(
        write_export(minimal_export(post("poll-night", codeinjection_head=HEAD, codeinjection_foot=FOOT)))
    )
    return StoryPage.objects.get(slug="poll-night")


def test_administrators_see_imported_code_as_text(imported, client):
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "pw"))
    response = client.get("/admin/imported-code-injection/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;window.tracker = &quot;harbour-stats&quot;;&lt;/script&gt;" in html
    assert HEAD not in html and FOOT not in html  # escaped, so the admin never runs it either
    assert f"/admin/pages/{imported.pk}/edit/" in html


def test_other_staff_cannot_see_it(imported, client):
    editor = get_user_model().objects.create_user("editor", "editor@example.com", "pw")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    response = client.get("/admin/imported-code-injection/")
    # Wagtail turns a refusal in the admin into a redirect to the dashboard with a message
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_the_story_page_does_not_carry_the_code_by_default(imported, client):
    site = imported.get_site()
    html = client.get(imported.url, HTTP_HOST=f"{site.hostname}:{site.port}").content.decode()
    assert "harbour-stats" not in html and "widgets.example/poll.js" not in html


def test_with_the_setting_on_the_story_runs_its_code_under_a_policy_that_allows_it(imported, client):
    from byline.core.middleware import INJECTED_CODE_POLICY, PUBLIC_POLICY
    from byline.core.models import PublicationSettings

    site = imported.get_site()
    publication = PublicationSettings.for_site(site)
    publication.run_code_injection = True
    publication.save()
    host = f"{site.hostname}:{site.port}"
    response = client.get(imported.url, HTTP_HOST=host)
    html = response.content.decode()
    assert HEAD in html.split("</head>")[0]
    assert FOOT in html.split("</footer>")[1]
    assert response["Content-Security-Policy"] == INJECTED_CODE_POLICY
    # Every other page keeps the strict policy.
    assert client.get("/", HTTP_HOST=host)["Content-Security-Policy"] == PUBLIC_POLICY


def test_with_the_setting_on_a_story_without_code_keeps_the_strict_policy(imported, client, make_story):
    from byline.core.middleware import PUBLIC_POLICY
    from byline.core.models import PublicationSettings

    site = imported.get_site()
    publication = PublicationSettings.for_site(site)
    publication.run_code_injection = True
    publication.save()
    plain = make_story("A story written here")
    response = client.get(plain.url, HTTP_HOST=f"{site.hostname}:{site.port}")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == PUBLIC_POLICY
