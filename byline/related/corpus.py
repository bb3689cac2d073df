"""Where the engine's candidates come from when one story is ranked (publishing, in a task): the
database. A full rebuild ranks everyone at once in matrix.py, with the same rules."""

from django.db import connection

from byline.related.engine import POSTINGS_PER_TERM, Profile
from byline.related.models import Posting, StoryProfile
from byline.stories.models import StoryTag


def profile_from_row(row: StoryProfile) -> Profile:
    return Profile(
        id=row.story_id,
        published_at=row.published_at,
        primary_tag=row.primary_tag_id,
        tags=frozenset(row.tag_ids),
        authors=frozenset(row.author_ids),
        embedding=tuple(row.embedding) if row.embedding else None,
    )


class DatabaseCorpus:
    """A few indexed queries per story, whatever the size of the archive."""

    def text_candidates(self, vector: dict, limit: int) -> list[tuple[int, float]]:
        if not vector:
            return []
        table = Posting._meta.db_table
        # Each term's strongest postings (the index is ordered that way), weighted and summed.
        branches = " UNION ALL ".join(
            f"SELECT * FROM (SELECT story_id, weight * %s AS part FROM {table} "  # noqa: S608
            f"WHERE term_id = %s ORDER BY weight DESC, story_id DESC LIMIT {POSTINGS_PER_TERM}) AS t{n}"
            for n in range(len(vector))
        )
        sql = (
            f"SELECT story_id, SUM(part) AS overlap FROM ({branches}) AS parts "  # noqa: S608
            "GROUP BY story_id ORDER BY overlap DESC, story_id DESC LIMIT %s"
        )
        params = [value for term, weight in vector.items() for value in (weight, term)] + [limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(story_id, float(overlap)) for story_id, overlap in cursor.fetchall()]

    def tag_candidates(self, tags, limit: int) -> list[int]:
        if not tags:
            return []
        tagged = StoryTag.objects.filter(tag_id__in=tags).values("story_id")
        return list(
            StoryProfile.objects.filter(story_id__in=tagged)
            .order_by("-published_at", "-story_id")
            .values_list("story_id", flat=True)[:limit]
        )

    def profiles(self, ids) -> list[Profile]:
        # Plain tuples: model instances cost more than the scoring itself.
        rows = StoryProfile.objects.filter(story_id__in=list(ids)).values_list(
            "story_id", "published_at", "primary_tag_id", "tag_ids", "author_ids", "embedding"
        )
        return [
            Profile(
                id=pk,
                published_at=at,
                primary_tag=primary,
                tags=frozenset(tags),
                authors=frozenset(authors),
                embedding=tuple(vector) if vector else None,
            )
            for pk, at, primary, tags, authors, vector in rows
        ]

    def latest(self, limit: int) -> list[int]:
        return list(
            StoryProfile.objects.order_by("-published_at", "-story_id").values_list("story_id", flat=True)[
                :limit
            ]
        )
