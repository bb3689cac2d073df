"""Export a site, import it into an empty one: the same stories, URLs, tags, authors, excerpts, members."""

import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from byline.members.models import Label, Member
from byline.newsletters.models import Newsletter
from byline.porting import services
from byline.stories.models import Author, StandalonePage, StoryPage, Tag

pytestmark = pytest.mark.django_db


def story_facts():
    facts = []
    for story in StoryPage.objects.order_by("slug").prefetch_related(
        "story_authors__author", "story_tags__tag"
    ):
        facts.append(
            {
                "slug": story.slug,
                "url": story.url,
                "title": story.title,
                "live": story.live,
                "published": story.first_published_at and story.first_published_at.replace(microsecond=0),
                "custom_excerpt": story.custom_excerpt,
                "excerpt": story.excerpt,
                "plaintext": story.plaintext,
                "reading_time": story.reading_time,
                "featured": story.featured,
                "visibility": story.visibility,
                "seo_title": story.seo_title,
                "search_description": story.search_description,
                "og_title": story.og_title,
                "canonical_url": story.canonical_url,
                "authors": [(author.slug, author.name, author.bio) for author in story.authors],
                "tags": [(tag.slug, tag.name, tag.description) for tag in story.tags],
            }
        )
    return facts


def member_facts():
    return [
        (
            member.email,
            member.name,
            member.note,
            member.created_at.replace(microsecond=0),
            sorted(label.name for label in member.labels.all()),
            sorted(newsletter.slug for newsletter in member.newsletters.all()),
        )
        for member in Member.objects.order_by("email").prefetch_related("labels", "newsletters")
    ]


def empty_the_site():
    StoryPage.objects.all().delete()
    StandalonePage.objects.all().delete()
    Author.objects.all().delete()
    Tag.objects.all().delete()
    Member.objects.all().delete()
    Label.objects.all().delete()


def test_export_then_import_into_an_empty_site_gives_the_same_site(
    make_story, make_author, make_tag, home, tmp_path
):
    daily = Newsletter.objects.create(name="Daily", slug="daily", subscribe_on_signup=True)
    ada = make_author("Ada Lovelace", bio="Writes about engines.")
    grace = make_author("Grace Hopper")
    harbour = make_tag("Harbour", description="Quays and boats.")
    internal = make_tag("#print")
    body = [
        {"type": "rich_text", "value": "<h2>Morning</h2><p>The <b>first</b> boat left at six.</p>"},
        {"type": "code", "value": {"language": "python", "code": "print('tide')"}},
        {"type": "quote", "value": {"text": "Calm seas.", "attribution": "The skipper"}},
        {"type": "divider", "value": None},
        {"type": "rich_text", "value": "<ul><li>one</li><li>two</li></ul>"},
    ]
    make_story(
        "Boats at dawn",
        slug="boats-at-dawn",
        authors=[grace, ada],
        tags=[internal, harbour],
        body=body,
        custom_excerpt="Six o'clock on the quay.",
        featured=True,
        seo_title="Boats at dawn, SEO",
        search_description="Early boats.",
        og_title="Boats (OG)",
        canonical_url="https://elsewhere.example/boats",
        published_at=datetime(2026, 3, 1, 6, 0, 0, tzinfo=UTC),
    )
    make_story("Members only notes", slug="members-notes", authors=[ada], visibility="members")
    make_story("Unfinished draft", slug="unfinished", authors=[ada], live=False)
    home.add_child(instance=StandalonePage(title="About us", slug="about-us", body=body[:1]))
    reader = Member.objects.create(email="reader@example.com", name="Rita Reader", note="Since 2020")
    reader.labels.add(Label.objects.create(name="Founding"))
    reader.newsletters.add(daily)
    Member.objects.create(email="quiet@example.com")

    before_stories, before_members = story_facts(), member_facts()
    export_file, members_file = tmp_path / "site.json", tmp_path / "members.csv"
    call_command("export", str(export_file))
    call_command("export", "members", str(members_file))
    document = json.loads(export_file.read_text(encoding="utf-8"))
    assert document["db"][0]["meta"]["version"].startswith("6.")

    empty_the_site()
    assert not StoryPage.objects.exists() and not Member.objects.exists()
    report = services.import_ghost(str(export_file))
    assert report.get("story", "created") == 3 and report.get("page", "created") == 1
    assert report.problems == []
    services.import_members(str(members_file))

    assert story_facts() == before_stories
    assert member_facts() == before_members
    about = StandalonePage.objects.get(slug="about-us")
    assert about.title == "About us" and "Morning" in about.plaintext
