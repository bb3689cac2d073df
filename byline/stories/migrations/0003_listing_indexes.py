from django.db import migrations, models

# Listings page with indexed offsets, not keysets: Ghost's /page/N/ addresses must keep working, and
# an offset walked along an index that matches the ORDER BY reads N × 15 index entries, a few
# milliseconds even at page 500, instead of sorting the archive. The partial index below matches
# StoryQuerySet.published() (and the API's default order): live pages, newest first, id breaking
# ties. It is on Wagtail's page table, so it is made here with SQL that SQLite and PostgreSQL share.
PUBLISHED_ORDER = (
    "CREATE INDEX IF NOT EXISTS stories_live_newest_first "
    "ON wagtailcore_page (first_published_at, id) WHERE live"
)


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0002_story_comments_and_email_options"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="storyauthor",
            index=models.Index(fields=["author", "story"], name="stories_by_author"),
        ),
        migrations.AddIndex(
            model_name="storytag",
            index=models.Index(fields=["tag", "story"], name="stories_by_tag"),
        ),
        migrations.AddIndex(
            model_name="storypage",
            index=models.Index(
                condition=models.Q(("email_only", False), ("featured", True)),
                fields=["page_ptr"],
                name="stories_featured",
            ),
        ),
        migrations.RunSQL(PUBLISHED_ORDER, "DROP INDEX IF EXISTS stories_live_newest_first"),
    ]
