from django.conf import settings
from django.db import migrations, models

# Every story the site lists gets its listing date (StoryPage.listing_date): live, not email-only,
# dated by first publication (else its scheduled or latest revision date, else now). One statement
# that SQLite and PostgreSQL share.
FILL_LISTED_AT = """
UPDATE stories_storypage SET listed_at = (
    SELECT COALESCE(page.first_published_at, page.go_live_at, page.latest_revision_created_at, CURRENT_TIMESTAMP)
    FROM wagtailcore_page AS page
    WHERE page.id = stories_storypage.page_ptr_id AND page.live
)
WHERE NOT email_only
"""


class Migration(migrations.Migration):
    dependencies = [
        ("newsletters", "0003_newsletter_send_by_default"),
        ("stories", "0003_listing_indexes"),
        ("wagtailimages", "0027_image_description"),
        migrations.swappable_dependency(settings.WAGTAIL_PAGE_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="storypage",
            name="listed_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunSQL(FILL_LISTED_AT, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="storypage",
            index=models.Index(
                condition=models.Q(("listed_at__isnull", False)),
                fields=["listed_at", "page_ptr"],
                name="stories_listed_newest_first",
            ),
        ),
    ]
