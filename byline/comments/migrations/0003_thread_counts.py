import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Exists, OuterRef, Q


def count_existing_threads(apps, schema_editor):
    """Fill the counts of every story that has comments, as services.recount computes them."""
    Comment = apps.get_model("comments", "Comment")
    ThreadCounts = apps.get_model("comments", "ThreadCounts")
    published_replies = Comment.objects.filter(parent=OuterRef("pk"), status="published")
    shown_at_top = Q(parent=None) & (
        Q(status="published") | (Q(status__in=["hidden", "deleted"]) & Exists(published_replies))
    )
    rows = (
        Comment.objects.values("story_id")
        .annotate(top=Count("id", filter=shown_at_top), total=Count("id", filter=Q(status="published")))
        .order_by("story_id")
    )
    ThreadCounts.objects.bulk_create(
        (
            ThreadCounts(story_id=row["story_id"], top_level=row["top"], published=row["total"])
            for row in rows
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0002_comment_guest_name"),
        ("stories", "0005_archive_links_listed_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="ThreadCounts",
            fields=[
                (
                    "story",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="stories.storypage",
                    ),
                ),
                ("top_level", models.PositiveIntegerField(default=0)),
                ("published", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(count_existing_threads, migrations.RunPython.noop),
    ]
