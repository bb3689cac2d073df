"""Where the engine's candidates come from: the database (one story at a time, in a task) or
memory (a full rebuild). Both answer the same questions, so both rank with the same code."""

import heapq
from collections import defaultdict

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
            "story_id", "published_at", "primary_tag_id", "tag_ids", "author_ids"
        )
        return [
            Profile(
                id=pk, published_at=at, primary_tag=primary, tags=frozenset(tags), authors=frozenset(authors)
            )
            for pk, at, primary, tags, authors in rows
        ]

    def latest(self, limit: int) -> list[int]:
        return list(
            StoryProfile.objects.order_by("-published_at", "-story_id").values_list("story_id", flat=True)[
                :limit
            ]
        )


class MemoryCorpus:
    """The whole index in memory, for ranking every story in one go."""

    def __init__(self, profiles: list[Profile], vectors: dict[int, dict]):
        self.by_id = {profile.id: profile for profile in profiles}
        self.postings: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for story_id, vector in vectors.items():
            if story_id in self.by_id:
                for term, weight in vector.items():
                    self.postings[term].append((story_id, weight))
        for postings in self.postings.values():  # as the database reads them
            postings.sort(key=lambda posting: (posting[1], posting[0]), reverse=True)
            del postings[POSTINGS_PER_TERM:]
        # Newest first, with the same tie-break as the database.
        newest = sorted(self.by_id.values(), key=lambda p: (p.published_at, p.id), reverse=True)
        self.newest = [profile.id for profile in newest]
        self.rank_of = {story_id: n for n, story_id in enumerate(self.newest)}
        self.by_tag: dict[int, list[int]] = defaultdict(list)  # tag -> ranks, newest first
        for n, profile in enumerate(newest):
            for tag in profile.tags:
                self.by_tag[tag].append(n)

    def text_candidates(self, vector: dict, limit: int) -> list[tuple[int, float]]:
        overlap: dict[int, float] = defaultdict(float)
        for term, weight in vector.items():
            for story_id, other in self.postings.get(term, ()):
                overlap[story_id] += weight * other
        return heapq.nlargest(limit, overlap.items(), key=lambda item: (item[1], item[0]))

    def tag_candidates(self, tags, limit: int) -> list[int]:
        ranks: set[int] = set()
        for tag in tags:
            ranks.update(self.by_tag.get(tag, ())[:limit])
        return [self.newest[n] for n in sorted(ranks)[:limit]]

    def profiles(self, ids) -> list[Profile]:
        return [self.by_id[story_id] for story_id in ids if story_id in self.by_id]

    def latest(self, limit: int) -> list[int]:
        return self.newest[:limit]
