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

from byline import pagecache
from byline.related import embedding
from byline.related.corpus import DatabaseCorpus
from byline.related.engine import (
    RELATED_COUNT,
    TERMS_PER_STORY,
    Profile,
    choose,
    rank,
    reduce_to_terms,
    term_counts,
)
from byline.related.models import MAX_PINS, PinnedStory, Posting, RelatedStory, StoryProfile, Term
from byline.stories.models import NOT_ON_CARDS, StoryAuthor, StoryPage, StoryTag, prepare_cards

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
    """The stored list, ready for cards: the stories in one query with their list rows, then
    prepare_cards' fixed few (authors, tags, renditions). On a story page the list was already
    chosen and prepared with the story itself (offer_cards); this reads it back.

    The list is filtered again here, so a story unpublished a moment ago never shows, even before
    the task that refills the lists has run.
    """
    offered = story.__dict__.get(OFFERED)
    if offered is not None and count <= RELATED_COUNT:
        return offered[:count]
    stories = related_rows(story, count)
    prepare_cards(stories)
    return stories


OFFERED = "_related_offered_cards"  # where offer_cards leaves the list on the story being served


def offer_cards(sender, story, **kwargs) -> list[StoryPage]:
    """Receiver of stories.models.story_page_cards: the related block's stories, for the story page
    to prepare with its own authors, tags and images (two queries fewer than preparing apart)."""
    stories = related_rows(story, RELATED_COUNT)
    story.__dict__[OFFERED] = stories
    return stories


def related_rows(story: StoryPage, count: int) -> list[StoryPage]:
    """The list's stories, as stored and still shown, not yet prepared for cards."""
    if not story.pk:
        return []
    rows = (
        RelatedStory.objects.filter(
            story_id=story.pk, related__live=True, related__visibility="public", related__email_only=False
        )
        .select_related("related__feature_image")
        .defer(*(f"related__{name}" for name in NOT_ON_CARDS))
        .order_by("position")[:count]
    )
    return [row.related for row in rows]


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
        ranked = rank(me, vector, corpus, half_life_days(), embedding.weight())
        pins = eligible_pins(story_id)
        chosen = choose(pins, ranked, corpus.latest(RELATED_COUNT + len(pins) + 1), story_id, RELATED_COUNT)
        store_list(story_id, chosen)
        if is_candidate(story):
            offer(story_id, ranked[:OFFER_TO])
    for other in withdrawn_from:  # lists it just left (it went members-only): refill them
        if other != story_id:
            refresh_story(other)
    return chosen


def profile_of(story: StoryPage, vector: list[float] | None = None) -> Profile:
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
        embedding=tuple(vector) if vector else None,
    )


def index_story(story: StoryPage) -> tuple[Profile, dict, list[int]]:
    """The story's profile and reduced terms, stored when it is a candidate. A story that stopped
    being one is withdrawn: the third value lists the stories whose lists lost it."""
    counts = term_counts(story.title, story.custom_excerpt, story.plaintext)
    vectors = embedding.embed([embedding.story_text(story.title, story.custom_excerpt, story.plaintext)])
    me = profile_of(story, vectors[0] if vectors else None)
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
                "embedding": list(me.embedding) if me.embedding else None,
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
    # The story's page shows this list (it declared `related:<id>` while rendering).
    pagecache.purge_after_commit(f"related:{story_id}")


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
    # numpy and scipy load only for rebuilds: web processes that read lists never pay for them.
    import numpy as np

    from byline.related import matrix

    progress = progress or (lambda stage, done, total: None)
    stories = StoryPage.objects.live()
    total = stories.count()
    tags, authors, pins = _links()

    vocabulary: dict[str, int] = {}
    documents: list[tuple[int, bool, object, array, array]] = []
    model = embedding.embedder()
    texts: list[str] = []
    embedded: list[list[float] | None] = []  # the optional model's vectors, by document
    rows = stories.values_list(
        "pk", "title", "custom_excerpt", "plaintext", "first_published_at", "visibility", "email_only"
    )
    for done, (pk, title, excerpt, plaintext, published, visibility, email_only) in enumerate(
        rows.iterator(chunk_size=2000), 1
    ):
        candidate = visibility == "public" and not email_only
        counts = term_counts(title, excerpt, plaintext)
        terms = array("I", [vocabulary.setdefault(text, len(vocabulary)) for text in counts])
        frequencies = array("I", counts.values())
        documents.append((pk, candidate, published, terms, frequencies))
        texts.append(embedding.story_text(title, excerpt, plaintext) if model else "")
        if len(texts) >= embedding.BATCH or done == total:
            embedded += embedding.embed(texts) or [None] * len(texts)
            texts = []
        if done % 500 == 0 or done == total:
            progress("Reading stories", done, total)
    # A term's document frequency counts the stories that may be suggested (see README.md).
    used_by_candidates = [np.frombuffer(d[3], dtype=np.uint32) for d in documents if d[1]]
    df = np.bincount(
        np.concatenate(used_by_candidates) if used_by_candidates else np.empty(0, dtype=np.uint32),
        minlength=len(vocabulary),
    ).tolist()

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

        stored_id = np.zeros(len(vocabulary), dtype=np.int64)  # 0: no candidate uses the term
        stored_id[list(term_id)] = list(term_id.values())
        progress("Indexing", 0, total)
        vectors = matrix.reduce_all(
            [(terms, frequencies) for _, _, _, terms, frequencies in documents],
            np.array(df, dtype=np.int64),
            stored_id,
            candidates,
            TERMS_PER_STORY,
        )
        everyone = []
        for (pk, _candidate, published, _terms, _frequencies), vector in zip(
            documents, embedded, strict=True
        ):
            tag_ids = tags.get(pk, [])
            everyone.append(
                Profile(
                    pk,
                    published or timezone.now(),
                    tag_ids[0] if tag_ids else None,
                    frozenset(tag_ids),
                    frozenset(authors.get(pk, ())),
                    tuple(vector) if vector else None,
                )
            )
        progress("Indexing", total, total)
        is_candidate_row = [document[1] for document in documents]
        _save_profiles(everyone, is_candidate_row, vectors)
        _rank_and_store(everyone, is_candidate_row, vectors, pins, progress)
        # Every list may have changed: every story page's related block with it.
        transaction.on_commit(pagecache.purge_all)
    return total


def _rank_and_store(everyone: list[Profile], candidate: list[bool], vectors, pins, progress):
    """Every story's list, ranked in blocks of sparse matrix products (matrix.py), written in bulk."""
    # numpy and scipy load only for rebuilds: web processes that read lists never pay for them.
    from byline.related import matrix

    archive = matrix.archive_from(everyone, candidate, vectors)
    if any(p.embedding for p in everyone):
        matrix.attach_embeddings(archive, [p.embedding for p in everyone], embedding.weight())
    suggestible = {p.id for p, c in zip(everyone, candidate, strict=True) if c}
    newest = sorted(
        (p for p in everyone if p.id in suggestible), key=lambda p: (p.published_at, p.id), reverse=True
    )
    latest = [p.id for p in newest[: RELATED_COUNT + MAX_PINS + 1]]
    related: list[tuple] = []
    ranked_lists = matrix.rank_all(archive, half_life_days(), keep=RELATED_COUNT + MAX_PINS)
    for done, (me, ranked) in enumerate(zip(everyone, ranked_lists, strict=True), 1):
        story_pins = [pin for pin in pins.get(me.id, []) if pin in suggestible]
        top_up = latest[: RELATED_COUNT + len(story_pins) + 1]
        chosen = choose(story_pins, ranked, top_up, me.id, RELATED_COUNT)
        related += [(me.id, other, n, value) for n, (other, value) in enumerate(chosen)]
        if len(related) >= 5000:
            _insert_rows(RelatedStory, ["story_id", "related_id", "position", "score"], related)
            related = []
        if done % 500 == 0 or done == len(everyone):
            progress("Ranking", done, len(everyone))
    _insert_rows(RelatedStory, ["story_id", "related_id", "position", "score"], related)


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


def _save_profiles(everyone: list[Profile], candidate: list[bool], vectors) -> None:
    """The candidates' profiles and postings (their rows of the story × term matrix `vectors`)."""
    # numpy and scipy load only for rebuilds: web processes that read lists never pay for them.
    import numpy as np

    adapt = connection.ops.adapt_datetimefield_value
    profiles = [p for p, c in zip(everyone, candidate, strict=True) if c]
    _insert_rows(
        StoryProfile,
        ["story_id", "published_at", "primary_tag_id", "tag_ids", "author_ids", "embedding"],
        (
            (
                p.id,
                adapt(p.published_at),
                p.primary_tag,
                json.dumps(sorted(p.tags)),
                json.dumps(sorted(p.authors)),
                json.dumps(list(p.embedding)) if p.embedding else None,
            )
            for p in profiles
        ),
    )
    postings = vectors.tocoo()
    ids = np.array([p.id for p in everyone], dtype=np.int64)
    mine = np.array(candidate, dtype=bool)[postings.row]
    _insert_rows(
        Posting,
        ["term_id", "story_id", "weight"],
        zip(
            postings.col[mine].tolist(),
            ids[postings.row[mine]].tolist(),
            postings.data[mine].tolist(),
            strict=True,
        ),
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
