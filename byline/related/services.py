"""The related-stories workflows: refresh one story's list (and offer the story to the lists of the
stories it is most like), withdraw a story from every list, rebuild everything, read a list.

Tasks, signals and the `related` command call these; see README.md for the guarantees.
"""

import itertools
import json
from array import array
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from byline.related.corpus import DatabaseCorpus, MemoryCorpus
from byline.related.engine import RELATED_COUNT, Profile, choose, rank, reduce_to_terms, term_counts
from byline.related.models import PinnedStory, Posting, RelatedStory, StoryProfile, Term
from byline.stories.models import StoryAuthor, StoryPage, StoryTag, load_cards

OFFER_TO = 20  # a new or edited story is offered to the lists of this many stories most like it
CHUNK = 900  # ids or terms per IN (...) clause: well under every database's limit on parameters
Progress = Callable[[str, int, int], None]


def half_life_days() -> float:
    return float(settings.RELATED_HALF_LIFE_DAYS)


def is_candidate(story: StoryPage) -> bool:
    """May be suggested under other stories: live, public, and shown on the site."""
    return story.live and story.visibility == "public" and not story.email_only


# ----- reading ------------------------------------------------------------------------------------


def related_for_page(story: StoryPage, count: int = RELATED_COUNT) -> list[StoryPage]:
    """The stored list, ready for cards: one query for the ids, then load_cards' fixed few.

    The list is filtered again here, so a story unpublished a moment ago never shows, even before
    the task that refills the lists has run.
    """
    if not story.pk:
        return []
    ids = (
        RelatedStory.objects.filter(
            story_id=story.pk, related__live=True, related__visibility="public", related__email_only=False
        )
        .order_by("position")
        .values_list("related_id", flat=True)[:count]
    )
    return load_cards(ids)


# ----- one story ----------------------------------------------------------------------------------


def refresh(story_ids) -> None:
    for story_id in dict.fromkeys(story_ids):
        refresh_story(story_id)


def refresh_story(story_id: int) -> list[tuple[int, float | None]]:
    """Index the story (when it may be suggested), compute and store its list, and offer it to the
    lists of the stories it is most like. Returns the stored list."""
    fields = ["title", "custom_excerpt", "plaintext", "live", "visibility", "email_only"]
    story = (
        StoryPage.objects.filter(pk=story_id).only(*fields, "first_published_at", "last_published_at").first()
    )
    if story is None:  # deleted since: the cascade removed its rows
        return []
    if not story.live:
        withdraw(story_id)
        RelatedStory.objects.filter(story_id=story_id).delete()
        return []
    with transaction.atomic():
        me, vector, withdrawn_from = index_story(story)
        corpus = DatabaseCorpus()
        ranked = rank(me, vector, corpus, half_life_days())
        pins = eligible_pins(story_id)
        chosen = choose(pins, ranked, corpus.latest(RELATED_COUNT + len(pins) + 1), story_id, RELATED_COUNT)
        store_list(story_id, chosen)
        if is_candidate(story):
            offer(story_id, ranked[:OFFER_TO])
    for other in withdrawn_from:  # lists it just left (it went members-only): refill them
        if other != story_id:
            refresh_story(other)
    return chosen


def profile_of(story: StoryPage) -> Profile:
    tags = [
        tag_id
        for tag_id, name in StoryTag.objects.filter(story=story)
        .order_by("sort_order")
        .values_list("tag_id", "tag__name")
        if not name.startswith("#")
    ]
    authors = StoryAuthor.objects.filter(story=story).values_list("author_id", flat=True)
    return Profile(
        id=story.pk,
        published_at=story.first_published_at or story.last_published_at or timezone.now(),
        primary_tag=tags[0] if tags else None,
        tags=frozenset(tags),
        authors=frozenset(authors),
    )


def index_story(story: StoryPage) -> tuple[Profile, dict, list[int]]:
    """The story's profile and reduced terms, stored when it is a candidate. A story that stopped
    being one is withdrawn: the third value lists the stories whose lists lost it."""
    counts = term_counts(story.title, story.custom_excerpt, story.plaintext)
    me = profile_of(story)
    withdrawn_from = []
    if not is_candidate(story):
        withdrawn_from = withdraw(story.pk)
        terms = term_table(counts)
        total = StoryProfile.objects.count() + 1
    else:
        is_new = not StoryProfile.objects.filter(pk=story.pk).exists()
        StoryProfile.objects.update_or_create(
            story_id=story.pk,
            defaults={
                "published_at": me.published_at,
                "primary_tag_id": me.primary_tag,
                "tag_ids": sorted(me.tags),
                "author_ids": sorted(me.authors),
            },
        )
        if is_new:
            # Counted once, when the story first becomes a candidate; see README.md on drift.
            count_terms(list(counts))
        terms = term_table(counts)
        total = StoryProfile.objects.count()
    by_id = {terms[text][0]: count for text, count in counts.items() if text in terms}
    df = {term_id: df for term_id, df in terms.values()}
    vector = reduce_to_terms(by_id, df, total)
    if is_candidate(story):
        Posting.objects.filter(story_id=story.pk).delete()
        Posting.objects.bulk_create(
            [Posting(term_id=term, story_id=story.pk, weight=weight) for term, weight in vector.items()]
        )
    return me, vector, withdrawn_from


def count_terms(texts: list[str]) -> None:
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        Term.objects.bulk_create([Term(text=text, df=0) for text in chunk], ignore_conflicts=True)
        Term.objects.filter(text__in=chunk).update(df=F("df") + 1)


def term_table(texts) -> dict[str, tuple[int, int]]:
    """text -> (id, df) for the known terms among `texts`."""
    texts = list(texts)
    table = {}
    for start in range(0, len(texts), CHUNK):
        rows = Term.objects.filter(text__in=texts[start : start + CHUNK]).values_list("text", "id", "df")
        table.update({text: (term_id, df) for text, term_id, df in rows})
    return table


def eligible_pins(story_id: int) -> list[int]:
    pins = list(
        PinnedStory.objects.filter(story_id=story_id)
        .order_by("sort_order")
        .values_list("pinned_id", flat=True)
    )
    live = set(StoryProfile.objects.filter(story_id__in=pins).values_list("story_id", flat=True))
    return [pin for pin in pins if pin in live]


def store_list(story_id: int, chosen) -> None:
    RelatedStory.objects.filter(story_id=story_id).delete()
    RelatedStory.objects.bulk_create(
        [
            RelatedStory(story_id=story_id, related_id=related, position=n, score=value)
            for n, (related, value) in enumerate(chosen)
        ]
    )


def offer(story_id: int, ranked: list[tuple[int, float]]) -> None:
    """Put the story into the lists of the stories it is most like, where it beats what is there.

    Scores are symmetric (engine.py), so the story's score in their lists is its score for them.
    """
    others = dict(ranked)
    lists: dict[int, list[tuple[int, float | None]]] = {other: [] for other in others}
    for row in RelatedStory.objects.filter(story_id__in=list(others)).order_by("story_id", "position"):
        lists[row.story_id].append((row.related_id, row.score))
    for other, current in lists.items():
        kept = [(related, value) for related, value in current if related != story_id]
        pins = [item for item in kept if item[1] is None]
        scored = sorted(
            [item for item in kept if item[1] is not None] + [(story_id, others[other])],
            key=lambda item: item[1],
            reverse=True,
        )
        updated = (pins + scored)[:RELATED_COUNT]
        if updated != current:
            store_list(other, updated)


def withdraw(story_id: int) -> list[int]:
    """Take a story out of the candidates and out of every list; returns the stories whose lists
    lost it (they need refilling)."""
    affected = list(RelatedStory.objects.filter(related_id=story_id).values_list("story_id", flat=True))
    RelatedStory.objects.filter(related_id=story_id).delete()
    StoryProfile.objects.filter(story_id=story_id).delete()
    return affected


def lists_containing(story_id: int) -> list[int]:
    return list(RelatedStory.objects.filter(related_id=story_id).values_list("story_id", flat=True))


# ----- everything ---------------------------------------------------------------------------------


def rebuild(progress: Progress | None = None) -> int:
    """Recompute the index (with exact term counts) and every live story's list. Returns the number
    of lists stored. Runs in one transaction: readers see the old lists until it commits."""
    progress = progress or (lambda stage, done, total: None)
    stories = StoryPage.objects.live()
    total = stories.count()
    tags, authors, pins = _links()

    vocabulary: dict[str, int] = {}
    documents: list[tuple[int, bool, object, array, array]] = []
    df: list[int] = []
    rows = stories.values_list(
        "pk", "title", "custom_excerpt", "plaintext", "first_published_at", "visibility", "email_only"
    )
    for done, (pk, title, excerpt, plaintext, published, visibility, email_only) in enumerate(
        rows.iterator(chunk_size=2000), 1
    ):
        candidate = visibility == "public" and not email_only
        counts = term_counts(title, excerpt, plaintext)
        terms, frequencies = array("I"), array("I")
        for text, count in counts.items():
            index = vocabulary.setdefault(text, len(vocabulary))
            if index == len(df):
                df.append(0)
            if candidate:
                df[index] += 1
            terms.append(index)
            frequencies.append(count)
        documents.append((pk, candidate, published, terms, frequencies))
        if done % 500 == 0 or done == total:
            progress("Reading stories", done, total)

    with transaction.atomic():
        _clear_index()
        used = [(text, index) for text, index in vocabulary.items() if df[index]]
        created = Term.objects.bulk_create(
            [Term(text=text, df=df[index]) for text, index in used], batch_size=2000
        )
        term_id = {index: term.pk for (_, index), term in zip(used, created, strict=True)}
        if None in term_id.values():  # a database that does not return ids from bulk inserts
            by_text = dict(Term.objects.values_list("text", "id"))
            term_id = {index: by_text[text] for text, index in used}
        candidates = sum(1 for document in documents if document[1])

        profiles, vectors = [], {}
        for done, (pk, candidate, published, terms, frequencies) in enumerate(documents, 1):
            counts = {term_id[t]: c for t, c in zip(terms, frequencies, strict=True) if t in term_id}
            frequency = {term_id[t]: df[t] for t in terms if t in term_id}
            vectors[pk] = reduce_to_terms(counts, frequency, candidates)
            tag_ids = tags.get(pk, [])
            profile = Profile(
                pk,
                published,
                tag_ids[0] if tag_ids else None,
                frozenset(tag_ids),
                frozenset(authors.get(pk, ())),
            )
            if candidate:
                profiles.append(profile)
            if done % 2000 == 0 or done == total:
                progress("Indexing", done, total)
        _save_profiles(profiles, vectors)

        corpus = MemoryCorpus(profiles, vectors)
        everyone = {profile.id: profile for profile in profiles}
        related: list[tuple] = []
        half_life = half_life_days()
        for done, (pk, _candidate, published, _terms, _frequencies) in enumerate(documents, 1):
            tag_ids = tags.get(pk, [])
            me = everyone.get(pk) or Profile(
                pk,
                published,
                tag_ids[0] if tag_ids else None,
                frozenset(tag_ids),
                frozenset(authors.get(pk, ())),
            )
            ranked = rank(me, vectors[pk], corpus, half_life)
            story_pins = [pin for pin in pins.get(pk, []) if pin in everyone]
            chosen = choose(
                story_pins, ranked, corpus.latest(RELATED_COUNT + len(story_pins) + 1), pk, RELATED_COUNT
            )
            related += [(pk, other, n, value) for n, (other, value) in enumerate(chosen)]
            if len(related) >= 5000:
                _insert_rows(RelatedStory, ["story_id", "related_id", "position", "score"], related)
                related = []
            if done % 500 == 0 or done == total:
                progress("Ranking", done, total)
        _insert_rows(RelatedStory, ["story_id", "related_id", "position", "score"], related)
    return total


def _links():
    """Public tags (in order), authors and pins of every story, in three queries."""
    tags: dict[int, list[int]] = {}
    rows = StoryTag.objects.order_by("story_id", "sort_order").values_list("story_id", "tag_id", "tag__name")
    for story_id, tag_id, name in rows.iterator(chunk_size=5000):
        if not name.startswith("#"):
            tags.setdefault(story_id, []).append(tag_id)
    authors: dict[int, list[int]] = {}
    for story_id, author_id in StoryAuthor.objects.values_list("story_id", "author_id").iterator(
        chunk_size=5000
    ):
        authors.setdefault(story_id, []).append(author_id)
    pins: dict[int, list[int]] = {}
    for story_id, pinned_id in PinnedStory.objects.order_by("story_id", "sort_order").values_list(
        "story_id", "pinned_id"
    ):
        pins.setdefault(story_id, []).append(pinned_id)
    return tags, authors, pins


def _clear_index() -> None:
    # Plain DELETEs: the ORM would walk the cascades row by row.
    with connection.cursor() as cursor:
        for model in (RelatedStory, Posting, StoryProfile, Term):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608


def _save_profiles(profiles: list[Profile], vectors: dict[int, dict]) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    _insert_rows(
        StoryProfile,
        ["story_id", "published_at", "primary_tag_id", "tag_ids", "author_ids"],
        (
            (
                p.id,
                adapt(p.published_at),
                p.primary_tag,
                json.dumps(sorted(p.tags)),
                json.dumps(sorted(p.authors)),
            )
            for p in profiles
        ),
    )
    _insert_rows(
        Posting,
        ["term_id", "story_id", "weight"],
        ((term, p.id, weight) for p in profiles for term, weight in vectors[p.id].items()),
    )


def _insert_rows(model, columns: list[str], rows, batch: int = 5000) -> None:
    """Plain multi-row INSERTs: a rebuild writes millions of rows, and building a model instance
    for each costs more than the database does."""
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608  (names, no input)
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    rows = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(itertools.islice(rows, batch)):
            cursor.executemany(sql, chunk)
