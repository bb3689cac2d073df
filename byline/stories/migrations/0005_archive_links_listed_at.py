from django.db import migrations, models

# Each link takes its story's listing date (StoryPage.listed_at, migration 0004).
FILL = """
UPDATE {table} SET listed_at = (
    SELECT story.listed_at FROM stories_storypage AS story WHERE story.page_ptr_id = {table}.story_id
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0004_listed_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="storyauthor",
            name="listed_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="storytag",
            name="listed_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunSQL(FILL.format(table="stories_storyauthor"), migrations.RunSQL.noop),
        migrations.RunSQL(FILL.format(table="stories_storytag"), migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="storyauthor",
            index=models.Index(
                condition=models.Q(("listed_at__isnull", False)),
                fields=["author", "listed_at", "story"],
                name="author_archive_newest_first",
            ),
        ),
        migrations.AddIndex(
            model_name="storytag",
            index=models.Index(
                condition=models.Q(("listed_at__isnull", False)),
                fields=["tag", "listed_at", "story"],
                name="tag_archive_newest_first",
            ),
        ),
    ]
