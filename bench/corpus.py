"""A generated, topic-labelled archive for the related-stories and search benchmarks.

Every word is invented from syllables by a seeded generator (no real text): each topic has its own
vocabulary, all stories share a common vocabulary drawn with a Zipf-like skew, lengths vary like
news stories (mostly 300 to 1,200 words), and tags are noisy: 30% of stories carry a wrong topic's
tag or none. Stories are written straight into the tables (cloned from one story published the
normal way), because creating 100,000 Wagtail pages one by one would take longer than the thing
being measured; the engine and the search index then see exactly what publishing leaves.
"""

import itertools
import os
import random
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SYLLABLE_TEXT = (
    "ka lo ri men tor sa vel dun pra ish ol ber nax qui zo tel mar fen gru wyn "
    "pel dra sko vin han lup ter mos cal bri nov gat sem rul fod yar kes tam pho lin"
)
SYLLABLES = _SYLLABLE_TEXT.split()
TOPICS = 24
TOPIC_WORDS = 300
COMMON_WORDS = 4000
TOPIC_SHARE = 0.22  # of a story's words, from its topic's vocabulary
NOISY_TAGS = 0.30
AUTHORS = 150


@dataclass
class Plan:
    topic: int
    title: str
    text: str
    tag: int | None  # index of the topic tag it carries (maybe wrong), or None
    author: int
    days_ago: float


def vocabulary(rng: random.Random, count: int, taken: set) -> list[str]:
    words = []
    while len(words) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def zipf_weights(count: int) -> list[float]:
    return list(itertools.accumulate(1 / (rank**1.05) for rank in range(1, count + 1)))


def plan(stories: int, seed: int = 6) -> tuple[list[Plan], list[list[str]], list[str]]:
    rng = random.Random(seed)
    taken: set[str] = set()
    common = vocabulary(rng, COMMON_WORDS, taken)
    topics = [vocabulary(rng, TOPIC_WORDS, taken) for _ in range(TOPICS)]
    common_cum, topic_cum = zipf_weights(COMMON_WORDS), zipf_weights(TOPIC_WORDS)
    beats = {author: rng.sample(range(TOPICS), 2) for author in range(AUTHORS)}
    plans = []
    for n in range(stories):
        topic = n % TOPICS
        length = int(min(2500, max(120, rng.lognormvariate(6.3, 0.5))))  # median ~550 words
        own = int(length * TOPIC_SHARE)
        words = rng.choices(common, cum_weights=common_cum, k=length - own)
        words += rng.choices(topics[topic], cum_weights=topic_cum, k=own)
        rng.shuffle(words)
        sentences = [" ".join(words[i : i + 16]).capitalize() + "." for i in range(0, len(words), 16)]
        title_words = rng.choices(topics[topic], k=3) + rng.choices(common[:400], k=4)
        rng.shuffle(title_words)
        roll = rng.random()
        if roll < NOISY_TAGS / 2:
            tag = None
        elif roll < NOISY_TAGS:
            tag = rng.choice([t for t in range(TOPICS) if t != topic])
        else:
            tag = topic
        writers = [a for a, topics_of in beats.items() if topic in topics_of] or [0]
        plans.append(
            Plan(
                topic=topic,
                title=" ".join(title_words).capitalize(),
                text=" ".join(sentences),
                tag=tag,
                author=rng.choice(writers) if rng.random() < 0.7 else rng.randrange(AUTHORS),
                days_ago=rng.uniform(0, 3650),
            )
        )
    return plans, topics, common


def setup_django(label: str, database_url: str | None = None) -> Path:
    """A fresh SQLite database (WAL, the production settings) in a temporary folder, or the
    (empty) database at `database_url`."""
    folder = Path(tempfile.mkdtemp(prefix=f"byline-bench-{label}-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")
    os.environ.update(
        BYLINE_DATA_DIR=str(folder),
        DATABASE_URL=database_url or f"sqlite:///{folder / 'byline.sqlite3'}",
        SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopq",  # noqa: S106
        ALLOWED_HOSTS="testserver",
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return folder


def load(plans: list[Plan]) -> list[int]:
    """Write the planned stories; returns their ids in plan order."""
    from django.db import connection, transaction
    from django.utils import timezone
    from treebeard.mp_tree import MP_Node
    from wagtail.models import Page

    from byline.core.models import HomePage
    from byline.stories.models import Author, StoryAuthor, StoryPage, StoryTag, Tag, copy_listing_dates

    home = HomePage.objects.get(depth=2)
    authors = Author.objects.bulk_create(
        [Author(name=f"Writer {n}", slug=f"writer-{n}") for n in range(AUTHORS)]
    )
    tags = Tag.objects.bulk_create([Tag(name=f"Topic {n}", slug=f"topic-{n}") for n in range(TOPICS)])
    template = StoryPage(title="Template", slug="template", body=[])
    home.add_child(instance=template)
    template.save_revision().publish()

    def row(table, pk_column, pk):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table} WHERE {pk_column} = %s", [pk])  # noqa: S608
            names = [column[0] for column in cursor.description]
            return dict(zip(names, cursor.fetchone(), strict=True))

    page_row = row(Page._meta.db_table, "id", template.pk)
    story_row = row(StoryPage._meta.db_table, "page_ptr_id", template.pk)
    Page.objects.filter(pk=template.pk).delete()
    home.refresh_from_db()
    next_id = Page.objects.order_by("-id").values_list("id", flat=True).first() + 1
    step = MP_Node.steplen
    now = timezone.now()
    ids = []
    with transaction.atomic():
        pages, stories, tag_links, author_links = [], [], [], []
        for n, item in enumerate(plans):
            pk = next_id + n
            ids.append(pk)
            slug = f"story-{n}"
            when = connection.ops.adapt_datetimefield_value(now - timedelta(days=item.days_ago))
            page = dict(page_row)
            page.update(
                id=pk,
                path=home.path + MP_Node._int2str(n + 1).rjust(step, "0"),
                depth=home.depth + 1,
                numchild=0,
                title=item.title,
                draft_title=item.title,
                slug=slug,
                url_path=f"{home.url_path}{slug}/",
                translation_key=str(uuid.uuid4()),
                first_published_at=when,
                last_published_at=when,
                latest_revision_created_at=when,
                latest_revision_id=None,
                live_revision_id=None,
            )
            pages.append(page)
            story = dict(story_row)
            story.update(
                page_ptr_id=pk,
                body='[{"type": "rich_text", "value": "<p>text</p>"}]',
                plaintext=item.text,
                excerpt=item.text[:500],
                word_count=item.text.count(" ") + 1,
                reading_time=max(1, item.text.count(" ") // 275),
                listed_at=when,
            )
            stories.append(story)
            if item.tag is not None:
                tag_links.append(StoryTag(story_id=pk, tag_id=tags[item.tag].pk, sort_order=0))
            author_links.append(StoryAuthor(story_id=pk, author_id=authors[item.author].pk, sort_order=0))
        _insert(Page._meta.db_table, pages)
        _insert(StoryPage._meta.db_table, stories)
        Page.objects.filter(pk=home.pk).update(numchild=len(plans))
        StoryTag.objects.bulk_create(tag_links, batch_size=5000)
        StoryAuthor.objects.bulk_create(author_links, batch_size=5000)
        copy_listing_dates()  # the links carry their story's listing date (tag and author archives)
    return ids


def _insert(table: str, rows: list[dict]) -> None:
    from django.db import connection

    columns = list(rows[0])
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(
                sql, [[row[column] for column in columns] for row in rows[start : start + 5000]]
            )


SECTIONS = 8  # tags cutting across topics ("Section 0" …), so most stories carry two tags
FEATURED_EVERY = 40
CO_AUTHORED_EVERY = 5
PARAGRAPH_SENTENCES = 5


def dress_site(ids: list[int], plans: list[Plan]) -> None:
    """Make the loaded archive look like a publication's: each story's text as its body (paragraphs of
    rich text), one story in FEATURED_EVERY featured, a section tag on most stories after the topic tag,
    and a second author on one story in CO_AUTHORED_EVERY. Bulk statements only."""
    from django.db import connection, transaction

    from byline.stories.models import Author, StoryAuthor, StoryPage, StoryTag, Tag, copy_listing_dates

    sections = Tag.objects.bulk_create(
        [Tag(name=f"Section {n}", slug=f"section-{n}") for n in range(SECTIONS)]
    )
    authors = list(Author.objects.order_by("pk").values_list("pk", flat=True))
    writer_of = {pk: plans[n].author for n, pk in enumerate(ids)}
    table = StoryPage._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 5000):
                cursor.executemany(
                    f"UPDATE {table} SET body = %s, featured = %s WHERE page_ptr_id = %s",  # noqa: S608
                    [
                        (body_json(plans[n].text), n % FEATURED_EVERY == 0, ids[n])
                        for n in range(start, min(start + 5000, len(ids)))
                    ],
                )
        StoryTag.objects.bulk_create(
            [
                StoryTag(story_id=pk, tag_id=sections[n % SECTIONS].pk, sort_order=1)
                for n, pk in enumerate(ids)
                if n % SECTIONS  # every SECTIONS-th story keeps its one tag
            ],
            batch_size=5000,
        )
        StoryAuthor.objects.bulk_create(
            [
                StoryAuthor(
                    story_id=pk,
                    author_id=authors[(writer_of[pk] + 1) % len(authors)],
                    sort_order=1,
                )
                for n, pk in enumerate(ids)
                if n % CO_AUTHORED_EVERY == 0
            ],
            batch_size=5000,
        )
        copy_listing_dates()


def body_json(text: str) -> str:
    """A StreamField value: the text as rich-text paragraphs of PARAGRAPH_SENTENCES sentences."""
    import json

    sentences = text.split(". ")
    paragraphs = [
        ". ".join(sentences[i : i + PARAGRAPH_SENTENCES])
        for i in range(0, len(sentences), PARAGRAPH_SENTENCES)
    ]
    html = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return json.dumps([{"type": "rich_text", "value": html, "id": str(uuid.uuid4())}])


def relate_by_topic(ids: list[int], plans: list[Plan], count: int = 4) -> None:
    """Stored related lists without the engine's rebuild (which takes 20 minutes at 100,000): each
    story's `count` nearest neighbours in publication order within its (true) topic, as the engine
    would store them."""
    from django.db import transaction

    from byline.related.models import RelatedStory

    by_topic: dict[int, list[int]] = {}
    for n in sorted(range(len(ids)), key=lambda n: plans[n].days_ago):
        by_topic.setdefault(plans[n].topic, []).append(ids[n])
    rows = []
    for members in by_topic.values():
        for place, pk in enumerate(members):
            near = [members[i] for i in _nearest(place, len(members), count)]
            rows += [
                RelatedStory(story_id=pk, related_id=other, position=position, score=1.0 / (position + 1))
                for position, other in enumerate(near)
            ]
    with transaction.atomic():
        RelatedStory.objects.bulk_create(rows, batch_size=5000)


def _nearest(place: int, size: int, count: int) -> list[int]:
    """Indexes of the `count` places closest to `place` in a list of `size`, nearest first."""
    found, step = [], 1
    while len(found) < count and step < size:
        for i in (place - step, place + step):
            if 0 <= i < size and len(found) < count:
                found.append(i)
        step += 1
    return found
