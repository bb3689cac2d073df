"""Ghost's redirects.json and redirects.yaml into Wagtail redirects."""

import json

import pytest
from wagtail.contrib.redirects.models import Redirect

from byline.porting import services
from byline.porting.redirects import plain_path
from byline.porting.report import ImportFailed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        ("^/old-story/$", "/old-story/"),
        ("/about-us", "/about-us"),
        (r"^/2019/05/harbour\.html$", "/2019/05/harbour.html"),
        ("^/blog/(.*)$", None),
        ("^/tag/[a-z]+/$", None),
        ("^/page/\\d+/$", None),
        ("relative/path", None),
    ],
)
def test_plain_paths_are_told_from_patterns(pattern, path):
    assert plain_path(pattern) == path


def test_a_redirects_json_becomes_wagtail_redirects(tmp_path, client, make_story):
    make_story("New home", slug="new-home")
    rules = [
        {"from": "^/old-home/$", "to": "/new-home/", "permanent": True},
        {"from": "/promo", "to": "https://shop.example/promo", "permanent": False},
        {"from": "^/blog/(.*)$", "to": "/$1", "permanent": True},
    ]
    path = tmp_path / "redirects.json"
    path.write_text(json.dumps(rules))
    report = services.import_redirects(str(path))
    assert report.get("redirect", "created") == 2 and report.get("redirect", "skipped") == 1
    assert "is a pattern" in str(report.problems[0])
    response = client.get("/old-home/")
    assert (response.status_code, response["Location"]) == (301, "/new-home/")
    response = client.get("/promo")
    assert (response.status_code, response["Location"]) == (302, "https://shop.example/promo")
    again = services.import_redirects(str(path))
    assert again.get("redirect", "existing") == 2 and Redirect.objects.count() == 2


def test_a_redirects_yaml_becomes_wagtail_redirects(tmp_path):
    path = tmp_path / "redirects.yaml"
    path.write_text("301:\n  /from-here/: /to-there/\n302:\n  /for-now/: /elsewhere/\n")
    services.import_redirects(str(path))
    assert set(Redirect.objects.values_list("old_path", "redirect_link", "is_permanent")) == {
        ("/from-here", "/to-there/", True),
        ("/for-now", "/elsewhere/", False),
    }


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("redirects.json", "{oops", "is not valid JSON"),
        ("redirects.json", '{"from": "/a"}', "should be a list"),
        ("redirects.json", '[{"from": "/a"}]', 'rule 0 needs "from" and "to"'),
        ("redirects.yaml", "301: [unclosed", "is not valid YAML"),
        ("redirects.yaml", "404:\n  /a/: /b/\n", "should be 301 or 302"),
    ],
)
def test_a_bad_redirects_file_is_refused_whole(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ImportFailed, match=message):
        services.import_redirects(str(path))
    assert not Redirect.objects.exists()
