"""A demo publication for `byline demo`: settings, authors, tags, stories, an About page and a login.

Everything a reader sees is made at run time: the words by Faker (seeded, so every run writes the
same publication) fitted into headline and sentence templates of our own, the pictures by Pillow
(abstract gradients and shapes, each described in its alt text).

Decisions, so the command is safe to run at any time:

- Every demo story carries the internal tag ``#demo`` (never shown to readers). It is how the demo
  recognises its own work, and how editors find the demo stories to delete before launch.
- A run adds only what is missing: authors and tags by slug, stories and the About page by slug
  under the home page, images by title in the "Demo content" collection. Running it twice adds
  nothing; running it with more ``--stories`` adds the extra ones (story *i* is the same every run).
- The publication settings are filled in only while they are still Wagtail's defaults, so a
  publication that has been set up is never renamed.
- A publication with stories the demo did not make is left alone: ``--if-empty`` says so and stops,
  without it the run is refused (``DemoRefused``). A demo never mixes into real content.
- A superuser ``admin`` is made only when no superuser exists; its random password goes to
  ``$BYLINE_DATA_DIR/admin-password.txt`` (mode 0600), and ``login_lines`` prints it while it still
  works.

The models live one floor up (stories), so they are looked up by name through the app registry, the
way a ForeignKey names a model, rather than imported into this core module.
"""

from __future__ import annotations

import hashlib
import html
import io
import math
import os
import random
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter
from wagtail.images import get_image_model
from wagtail.models import Collection, Revision, Site

from byline.core.models import PublicationSettings
from byline.core.services import align_site_with_public_url

SEED = 1848
DEFAULT_STORIES = 40
MAX_STORIES = 1000
SPREAD = timedelta(days=60)
FEATURED_POSITIONS = (1, 4, 9)  # Stories 1, 4 and 9 are featured: two or three in any run of 6+.
POOL_SIZE = 12  # Feature images are drawn once and shared: drawing 40 would double the run time.
FEATURE_SIZE = (1600, 900)
PHOTO_SIZE = (400, 400)
JPEG_QUALITY = 80
DEMO_TAG_NAME = "#demo"
DEMO_COLLECTION_NAME = "Demo content"
ABOUT_SLUG = "about"
ADMIN_USERNAME = "admin"
LOGIN_FILE_NAME = "admin-password.txt"

Say = Callable[[str], None]


class DemoError(Exception):
    """The demo cannot run as asked (bad argument, database not ready)."""


class DemoRefused(DemoError):
    """The publication has content of its own: the demo does not mix into it."""


def _model(name: str):
    return apps.get_model("stories", name)


# ----- the plan: pure data, the same on every run ------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A public tag and the kind of story filed under it."""

    name: str
    colour: str
    nouns: tuple[str, ...]
    headlines: tuple[str, ...]


SECTIONS = (
    Section(
        "Local",
        "#0f766e",
        ("bike lane", "library", "park", "footbridge", "farmers market", "bus route", "playground"),
        (
            "{city} council approves {noun} plan",
            "Residents push back on {street} {noun} proposal",
            "{city} to reopen its {noun} after {n}-month closure",
            "Neighbors rally to save the {street} {noun}",
            "What the new {noun} rules mean for {city}",
            "{city} {noun} upgrade runs {pct}% over budget",
        ),
    ),
    Section(
        "Politics",
        "#1d4ed8",
        ("zoning", "budget", "ballot measure", "term limits", "redistricting", "police oversight"),
        (
            "Mayor {last} faces questions over {noun} plan",
            "{city} voters to decide on {noun} in {month}",
            "State lawmakers split over {noun} bill",
            "{name} launches bid for {city} council seat",
            "Inside the fight over {city}'s {noun}",
            "Council delays {noun} vote for a {ordinal} time",
        ),
    ),
    Section(
        "Business",
        "#b45309",
        ("warehouse", "downtown storefront", "grocery store", "hotel", "brewery", "shipping depot"),
        (
            "{company} to add {jobs} jobs at new {city} {noun}",
            "Family-owned {shop} on {street} closes after {years} years",
            "Why {city}'s commercial rents keep climbing",
            "Plans for a {noun} on {street} win early approval",
            "{city} small businesses brace for a slow {month}",
            "{company} buys former {noun} for ${millions} million",
        ),
    ),
    Section(
        "Climate",
        "#15803d",
        ("flood wall", "heat plan", "tree canopy", "solar farm", "water supply", "recycling program"),
        (
            "{city} unveils a heat plan as summers get hotter",
            "How {city} is preparing for the next flood",
            "Report finds {city} {noun} falls short",
            "Volunteers plant {jobs} trees along {street}",
            "Who pays for the {city} {noun}?",
            "Drought warning puts {city}'s {noun} in the spotlight",
        ),
    ),
    Section(
        "Culture",
        "#9d174d",
        ("jazz festival", "street fair", "mural project", "film series", "book fair", "community theater"),
        (
            "{city} {noun} returns after {n}-year break",
            "A new {noun} brings {street} back to life",
            "Meet the {n} artists behind the {city} {noun}",
            "{name} on {years} years of running the {noun}",
            "The {city} {noun} is sold out. Here is what else to do",
            "Review: the {noun} at {last} Hall finds its voice",
        ),
    ),
    Section(
        "Technology",
        "#6d28d9",
        ("data centers", "traffic cameras", "e-scooters", "license plate readers", "delivery robots"),
        (
            "{city} weighs new limits on {noun}",
            "Rural households near {city} still waiting for broadband",
            "What we found in {jobs} pages of {city} records on {noun}",
            "{company} wants to bring {noun} to {city}",
            "How {city} uses {noun}, and who sees the data",
            "{city} pauses its pilot of {noun} after complaints",
        ),
    ),
    Section(
        "Health",
        "#be123c",
        ("clinic", "emergency room", "nursing home", "pharmacy", "urgent care center", "maternity ward"),
        (
            "{city} {noun} to cut hours in {month}",
            "Wait times at {city} {noun} hit a {record}-year high",
            "A new {noun} opens on {street}",
            "Why {city} families drive {n} hours to the nearest {noun}",
            "State inspectors cite {city} {noun}",
            "{name} leaves {city} {noun} after {years} years",
        ),
    ),
    Section(
        "Education",
        "#0369a1",
        ("bus routes", "teacher contract", "after-school program", "school lunch plan", "school budget"),
        (
            "{city} school board approves later start times",
            "Parents split over changes to {city}'s {noun}",
            "{last} Elementary gets a new principal",
            "Teachers rally over {city} {noun}",
            "{city} graduation rate rises to {pct2}%",
            "What the {noun} vote means for {city} students",
        ),
    ),
)

PUBLICATION_NOUNS = ("Ledger", "Dispatch", "Courier", "Beacon", "Chronicle", "Record", "Lantern", "Post")
ACCENT_COLOURS = ("#0f766e", "#1d4ed8", "#b91c1c", "#7c3aed", "#a16207", "#be185d")
AUTHOR_ROLES = (
    "Editor",
    "City hall reporter",
    "Data reporter",
    "Climate and environment reporter",
    "Culture and community reporter",
)
AUTHORS_WITH_PHOTOS = (0, 2, 3)  # The other two show their initials.
SHOPS = ("bakery", "hardware store", "bookshop", "diner", "florist", "print shop", "tailor")
ORDINALS = ("second", "third", "fourth", "fifth")
SUBHEADS = (
    "What it means for {city}",
    "The cost of the {noun}",
    "What {last} says",
    "How we got here",
    "What comes next",
    "By the numbers",
    "Questions about the {noun}",
    "Voices from {street}",
    "The view from {city}",
    "A long road",
)
ROLES = (
    "who lives on {street}",
    "a spokesperson for the city",
    "who runs a {shop} on {street}",
    "a member of the {city} council",
    "a teacher at {last} Elementary",
    "an organizer with {last} Neighbors",
    "a retired {shop} owner",
)
CALLOUTS = (
    ("💡", "Why it matters"),
    ("📌", "The background"),
    ("📊", "Key numbers"),
    ("🗳️", "Get involved"),
    ("✏️", "Correction"),
)


@dataclass(frozen=True)
class PublicationPlan:
    name: str
    description: str
    city: str
    state: str
    neighbours: tuple[str, ...]
    accent_colour: str
    footer_text: str
    handle: str


@dataclass(frozen=True)
class AuthorPlan:
    name: str
    slug: str
    role: str
    bio: str
    location: str
    website: str
    has_photo: bool


@dataclass(frozen=True)
class TagPlan:
    name: str
    slug: str
    description: str
    accent_colour: str


@dataclass(frozen=True)
class StoryPlan:
    index: int
    title: str
    slug: str
    section: int
    tags: tuple[int, ...]  # Indexes into SECTIONS, primary first.
    authors: tuple[int, ...]  # Indexes into the author plans, primary first.
    featured: bool
    custom_excerpt: str
    feature_image: int  # Index into the feature image pool.
    feature_caption: str
    body: tuple[dict, ...]  # StreamField JSON; image blocks hold {"pool": n} until published.
    age: float  # 0..1: how far back in the last SPREAD days it was published.


def _faker(seed: int) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def plan_publication(seed: int = SEED) -> PublicationPlan:
    fake = _faker(seed)
    rng = random.Random(seed)
    city = fake.city()
    state = fake.state()
    name = f"The {city} {rng.choice(PUBLICATION_NOUNS)}"
    handle = re.sub(r"[^a-z0-9]", "", name.lower().removeprefix("the "))[:15]
    return PublicationPlan(
        name=name,
        description=f"Independent news for {city} and the towns around it.",
        city=city,
        state=state,
        neighbours=tuple(fake.unique.city() for _ in range(4)),
        accent_colour=rng.choice(ACCENT_COLOURS),
        footer_text=(
            f"{name} is an independent, reader-funded newsroom in {city}, {state}, "
            f"founded in {rng.randint(1998, 2021)}."
        ),
        handle=handle,
    )


def plan_authors(publication: PublicationPlan, seed: int = SEED) -> list[AuthorPlan]:
    fake = _faker(seed + 1)
    plans = []
    for index, role in enumerate(AUTHOR_ROLES):
        name = fake.unique.name_nonbinary() if index == 4 else fake.unique.name()
        slug = slugify(name)
        bio = (
            f"{name.split()[0]} is {publication.name}'s {role.lower()}, based in {publication.city}. "
            f"{fake.sentence(nb_words=12)} {fake.sentence(nb_words=9)}"
        )
        plans.append(
            AuthorPlan(
                name=name,
                slug=slug,
                role=role,
                bio=bio,
                location=f"{fake.random_element(publication.neighbours + (publication.city,))}, "
                f"{publication.state}",
                website=f"https://{slug}.example.net/" if index % 2 == 0 else "",
                has_photo=index in AUTHORS_WITH_PHOTOS,
            )
        )
    return plans


def plan_tags(publication: PublicationPlan, seed: int = SEED) -> list[TagPlan]:
    fake = _faker(seed + 2)
    plans = []
    for section in SECTIONS:
        nouns = fake.random_elements(section.nouns, length=3, unique=True)
        description = (
            f"{section.name} news from {publication.city} and around {publication.state}: "
            f"{nouns[0]}, {nouns[1]}, {nouns[2]} and more. {fake.sentence(nb_words=10)}"
        )
        plans.append(TagPlan(section.name, slugify(section.name), description[:1000], section.colour))
    return plans


def demo_tag_plan() -> TagPlan:
    return TagPlan(
        DEMO_TAG_NAME,
        "hash-demo",
        "Stories made by `byline demo`. Internal tags never show on the site; "
        "delete the stories tagged here before the publication goes live.",
        "",
    )


def _sentence(fake: Faker, rng: random.Random, low: int = 10, high: int = 22) -> str:
    return fake.sentence(nb_words=rng.randint(low, high))


def _paragraph(fake: Faker, rng: random.Random, fill: dict, quote_chance: float = 0.3) -> str:
    sentences = [_sentence(fake, rng) for _ in range(rng.randint(3, 5))]
    if rng.random() < quote_chance:
        role = rng.choice(ROLES).format(**fill)
        quoted = fake.sentence(nb_words=rng.randint(8, 14)).rstrip(".")
        sentences.insert(rng.randint(1, len(sentences)), f"“{quoted},” said {fake.name()}, {role}.")
    text = html.escape(" ".join(sentences), quote=False)
    words = text.split(" ")
    if rng.random() < 0.2 and len(words) > 8:
        # Link three words of one sentence (a link across a full stop reads oddly).
        at = rng.randint(1, len(words) - 4)
        phrase = " ".join(words[at : at + 3])
        if not re.search(r"[.,“”]", phrase):
            link = f'<a href="https://example.org/{slugify(phrase)}">{phrase}</a>'
            text = " ".join([*words[:at], link, *words[at + 3 :]])
    return f"<p>{text}</p>"


def _story_fill(fake: Faker, rng: random.Random, publication: PublicationPlan, section: Section) -> dict:
    return {
        "city": rng.choice((publication.city,) * 3 + publication.neighbours),
        "street": fake.street_name(),
        "name": fake.name(),
        "last": fake.last_name(),
        "company": fake.company(),
        "noun": rng.choice(section.nouns),
        "shop": rng.choice(SHOPS),
        "month": fake.month_name(),
        "ordinal": rng.choice(ORDINALS),
        "n": rng.randint(2, 9),
        "years": rng.randint(12, 60),
        "record": rng.randint(5, 30),
        "jobs": rng.randrange(40, 900, 10),
        "millions": rng.randint(2, 48),
        "pct": rng.randint(8, 45),
        "pct2": rng.randint(78, 96),
    }


def _code_block(fake: Faker, rng: random.Random, fill: dict) -> dict:
    dataset = f"{slugify(fill['city']).replace('-', '_')}_{slugify(fill['noun']).replace('-', '_')}"
    column = fake.word()
    if rng.random() < 0.5:
        code = (
            "import csv\n\n"
            f'with open("{dataset}.csv", newline="") as f:\n'
            "    rows = list(csv.DictReader(f))\n\n"
            f'total = sum(float(row["{column}"]) for row in rows)\n'
            f'print(f"{{len(rows)}} records, {{total:,.0f}} {column} in all")\n'
        )
        return {"type": "code", "value": {"language": "python", "code": code}}
    code = (
        f"SELECT {column}, COUNT(*) AS records\n"
        f"FROM {dataset}\n"
        f"WHERE year >= {rng.randint(2015, 2023)}\n"
        "GROUP BY 1\nORDER BY records DESC\nLIMIT 10;"
    )
    return {"type": "code", "value": {"language": "sql", "code": code}}


def _extra_block(kind: str, fake: Faker, rng: random.Random, fill: dict, image: int) -> dict:
    if kind == "quote":
        role = rng.choice(ROLES).format(**fill)
        return {
            "type": "quote",
            "value": {"text": _sentence(fake, rng, 12, 24), "attribution": f"{fake.name()}, {role}"},
        }
    if kind == "image":
        caption = rng.choice(("", f"Illustration: {fake.name()}", _sentence(fake, rng, 6, 12)))
        return {
            "type": "image",
            "value": {"pool": image, "caption": caption, "width": rng.choice(("regular", "wide"))},
        }
    if kind == "callout":
        emoji, label = rng.choice(CALLOUTS)
        text = html.escape(_sentence(fake, rng, 12, 20), quote=False)
        return {"type": "callout", "value": {"emoji": emoji, "text": f"<p><b>{label}:</b> {text}</p>"}}
    if kind == "code":
        return _code_block(fake, rng, fill)
    if kind == "divider":
        return {"type": "divider", "value": None}
    # A button.
    label = rng.choice((f"Read the {fill['noun']} report", "See the documents", "Share your story"))
    return {
        "type": "button",
        "value": {"text": label, "url": f"https://example.org/{slugify(label)}"},
    }


EXTRA_BLOCKS = ("quote", "image", "callout", "code", "divider", "button")


def _story_body(
    index: int, fake: Faker, rng: random.Random, fill: dict, feature_image: int, pool_size: int
) -> list[dict]:
    # Every story gets one block kind in turn, so any six stories in a row show them all.
    extras = {EXTRA_BLOCKS[index % len(EXTRA_BLOCKS)]}
    extras |= {kind for kind in EXTRA_BLOCKS if rng.random() < 0.25}
    body_image = (feature_image + 1 + rng.randrange(max(1, pool_size - 1))) % pool_size
    blocks = [
        {
            "type": "rich_text",
            "value": "".join(_paragraph(fake, rng, fill) for _ in range(rng.randint(2, 3))),
        }
    ]
    in_middle = [kind for kind in ("quote", "image", "callout", "code") if kind in extras]
    sections = rng.randint(2, 3)
    for number in range(sections):
        subhead = html.escape(rng.choice(SUBHEADS).format(**fill), quote=False)
        paragraphs = "".join(_paragraph(fake, rng, fill) for _ in range(rng.randint(1, 3)))
        if number == sections - 1 and "divider" in extras:
            blocks.append(_extra_block("divider", fake, rng, fill, body_image))
        blocks.append({"type": "rich_text", "value": f"<h2>{subhead}</h2>{paragraphs}"})
        # Spread the middle blocks over the sections.
        for kind in in_middle[number::sections]:
            blocks.append(_extra_block(kind, fake, rng, fill, body_image))
    if "button" in extras:
        blocks.append(_extra_block("button", fake, rng, fill, body_image))
    return blocks


def _choose_others(rng: random.Random, count: int, first: int, weights: tuple[int, ...]) -> tuple:
    others = [i for i in range(count) if i != first]
    rng.shuffle(others)
    extra = rng.choices(range(len(weights)), weights=weights)[0]
    return (first, *others[:extra])


def plan_stories(
    count: int,
    publication: PublicationPlan,
    author_count: int,
    seed: int = SEED,
    pool_size: int = POOL_SIZE,
) -> list[StoryPlan]:
    """`count` stories; story i depends only on i (and the seed), so a longer run extends a shorter."""
    fake = Faker("en_US")
    plans: list[StoryPlan] = []
    slugs: set[str] = set()
    for index in range(count):
        fake.seed_instance(seed * 10_000 + index)
        rng = random.Random(seed * 10_000 + index)
        section_index = (index * 5) % len(SECTIONS)  # 5 and 8 are coprime: every tag in 8 stories.
        section = SECTIONS[section_index]
        fill = _story_fill(fake, rng, publication, section)
        # Story i is the (i // 8)th of its section: take the section's headlines in turn, so a
        # run of up to 48 stories never repeats a headline pattern within a section.
        turn = (index // len(SECTIONS) + section_index) % len(section.headlines)
        title = section.headlines[turn].format(**fill)
        title = title[0].upper() + title[1:]
        slug = slugify(title)[:80].strip("-")
        while slug in slugs:
            slug = f"{slug[:76]}-{rng.randint(2, 99)}"
        slugs.add(slug)
        feature_image = index % pool_size
        caption = ""
        if rng.random() < 0.4:
            caption = f"Illustration: {fake.name()} for {publication.name}"
        excerpt = ""
        if rng.random() < 0.35:
            excerpt = " ".join(_sentence(fake, rng, 14, 24) for _ in range(2))
            if len(excerpt) > 300:
                excerpt = excerpt[:297].rsplit(" ", 1)[0] + "…"
        plans.append(
            StoryPlan(
                index=index,
                title=title,
                slug=slug,
                section=section_index,
                tags=_choose_others(rng, len(SECTIONS), section_index, (35, 35, 20, 10)),
                authors=_choose_others(rng, author_count, index % author_count, (70, 22, 8)),
                featured=index in FEATURED_POSITIONS,
                custom_excerpt=excerpt,
                feature_image=feature_image,
                feature_caption=caption,
                body=tuple(_story_body(index, fake, rng, fill, feature_image, pool_size)),
                age=(index + 0.1 + 0.8 * rng.random()) / count,
            )
        )
    return plans


def about_body(publication: PublicationPlan, authors: list[AuthorPlan], seed: int = SEED) -> list[dict]:
    fake = _faker(seed + 3)
    rng = random.Random(seed + 3)
    team = "".join(
        f'<li><a href="/author/{author.slug}/">{html.escape(author.name)}</a>, {author.role.lower()}</li>'
        for author in authors
    )
    intro = (
        f"<p>{html.escape(publication.name)} is an independent, reader-funded newsroom covering "
        f"{html.escape(publication.city)} and the towns around it. "
        f"{html.escape(_sentence(fake, rng), quote=False)}</p>"
    )
    fill = {"city": publication.city, "street": fake.street_name(), "last": fake.last_name()}
    fill |= {"shop": rng.choice(SHOPS)}
    return [
        {"type": "rich_text", "value": intro + _paragraph(fake, rng, fill, quote_chance=0)},
        {"type": "rich_text", "value": f"<h2>Who we are</h2><ul>{team}</ul>"},
        {
            "type": "rich_text",
            "value": "<h2>How we work</h2>"
            + "".join(_paragraph(fake, rng, fill, quote_chance=0) for _ in range(2)),
        },
        {
            "type": "callout",
            "value": {
                "emoji": "✉️",
                "text": "<p><b>Got a tip?</b> Write to "
                '<a href="mailto:tips@example.org">tips@example.org</a>. '
                f"{html.escape(_sentence(fake, rng, 8, 14), quote=False)}</p>",
            },
        },
    ]


# ----- pictures ----------------------------------------------------------------------------------

PALETTE = {
    "coral": (255, 127, 102),
    "tangerine": (247, 140, 36),
    "saffron": (244, 190, 65),
    "sand": (232, 214, 178),
    "sage": (143, 174, 139),
    "forest green": (34, 94, 68),
    "teal": (20, 128, 130),
    "sky blue": (110, 180, 230),
    "cobalt": (35, 75, 170),
    "indigo": (60, 50, 130),
    "plum": (120, 50, 110),
    "rose": (226, 110, 150),
    "crimson": (180, 30, 55),
    "charcoal": (45, 48, 56),
    "cream": (248, 240, 222),
    "mint": (170, 226, 200),
    "lavender": (190, 170, 230),
    "rust": (170, 75, 40),
}
# Colours that sit well together; the first two make the background.
SCHEMES = (
    ("sand", "coral", "plum", "tangerine", "saffron"),
    ("cobalt", "sky blue", "teal", "cream", "saffron"),
    ("forest green", "sage", "mint", "saffron", "cream"),
    ("indigo", "plum", "rose", "lavender", "tangerine"),
    ("cream", "rust", "crimson", "charcoal", "sand"),
    ("mint", "sky blue", "rose", "saffron", "cobalt"),
    ("charcoal", "cobalt", "coral", "cream", "sky blue"),
    ("saffron", "tangerine", "teal", "forest green", "cream"),
)
STYLES = {
    "circles": "overlapping translucent circles",
    "bands": "diagonal bands",
    "rings": "concentric rings",
    "tiles": "a grid of geometric tiles",
    "waves": "layered waves",
    "dots": "a halftone dot pattern",
}


@dataclass(frozen=True)
class Artwork:
    seed: int
    style: str
    colours: tuple[str, ...]

    @property
    def description(self) -> str:
        first, second, *shapes = self.colours
        # The dots take one colour; the other styles use all three.
        inks = shapes[0] if self.style == "dots" else f"{shapes[0]}, {shapes[1]} and {shapes[2]}"
        return f"Abstract illustration: {STYLES[self.style]} in {inks} over a {first} and {second} gradient"


def feature_artwork(index: int, seed: int = SEED) -> Artwork:
    """Pool image `index`: style and colours cycle out of step, so the first 24 all differ."""
    rng = random.Random(seed + 100 + index)
    scheme = list(SCHEMES[index % len(SCHEMES)])
    background, shapes = scheme[:2], scheme[2:]
    rng.shuffle(shapes)
    return Artwork(seed + 100 + index, list(STYLES)[index % len(STYLES)], (*background, *shapes))


def _gradient(rng: random.Random, colours: list[tuple], size: tuple[int, int]) -> PILImage.Image:
    """A smooth field: a 3x2 grid of the colours and their tints, blown up with bicubic resampling."""
    small = PILImage.new("RGB", (3, 2))
    for x in range(3):
        for y in range(2):
            base = colours[(x + y + rng.randint(0, 1)) % 2]
            shade = rng.uniform(0.8, 1.15)
            small.putpixel((x, y), tuple(max(0, min(255, int(c * shade))) for c in base))
    return small.resize(size, PILImage.Resampling.BICUBIC)


def _rgba(colour: tuple, alpha: int) -> tuple:
    return (*colour, alpha)


def _draw_shapes(style: str, rng: random.Random, colours: list[tuple], size: tuple[int, int]):
    width, height = size
    layer = PILImage.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    if style == "circles":
        for _ in range(rng.randint(6, 11)):
            radius = rng.uniform(0.08, 0.38) * height
            x, y = rng.uniform(0, width), rng.uniform(0, height)
            colour = _rgba(rng.choice(colours), rng.randint(110, 200))
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    elif style == "bands":
        diagonal = int(math.hypot(width, height)) + 2
        band_layer = PILImage.new("RGBA", (diagonal, diagonal), (0, 0, 0, 0))
        band_draw = ImageDraw.Draw(band_layer)
        y = rng.uniform(0, diagonal * 0.15)
        while y < diagonal:
            thickness = rng.uniform(0.03, 0.12) * diagonal
            colour = _rgba(rng.choice(colours), rng.randint(120, 220))
            band_draw.rectangle((0, y, diagonal, y + thickness), fill=colour)
            y += thickness + rng.uniform(0.02, 0.1) * diagonal
        band_layer = band_layer.rotate(rng.uniform(20, 70), resample=PILImage.Resampling.BICUBIC)
        left, top = (diagonal - width) // 2, (diagonal - height) // 2
        layer = band_layer.crop((left, top, left + width, top + height))
    elif style == "rings":
        for _ in range(rng.randint(1, 2)):
            x, y = rng.uniform(0, width), rng.uniform(0, height)
            radius = rng.uniform(0.6, 1.1) * height
            while radius > 20:
                ring = rng.uniform(0.02, 0.05) * height
                colour = _rgba(rng.choice(colours), rng.randint(100, 200))
                draw.ellipse(
                    (x - radius, y - radius, x + radius, y + radius), outline=colour, width=int(ring)
                )
                radius -= ring * rng.uniform(1.6, 2.6)
    elif style == "tiles":
        rows = rng.choice((3, 4))
        cell = height / rows
        for row in range(rows):
            for column in range(math.ceil(width / cell)):
                box = (column * cell, row * cell, (column + 1) * cell, (row + 1) * cell)
                colour = _rgba(rng.choice(colours), rng.randint(170, 235))
                shape = rng.choice(("square", "quarter", "half", "circle", "none"))
                if shape == "square":
                    draw.rectangle(box, fill=colour)
                elif shape == "circle":
                    inset = cell * 0.12
                    draw.ellipse(
                        (box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset), fill=colour
                    )
                elif shape == "quarter":
                    # A quarter disc centred on one corner of the cell, filling the cell's side of it.
                    corner, start = rng.choice((((0, 0), 0), ((1, 0), 90), ((1, 1), 180), ((0, 1), 270)))
                    x, y = box[0] + corner[0] * cell, box[1] + corner[1] * cell
                    draw.pieslice((x - cell, y - cell, x + cell, y + cell), start, start + 90, fill=colour)
                elif shape == "half":
                    start = rng.choice((0, 90, 180, 270))
                    draw.pieslice(box, start, start + 180, fill=colour)
    elif style == "waves":
        layers = rng.randint(4, 6)
        for number in range(layers):
            base = height * (0.3 + 0.7 * number / layers)
            amplitude = rng.uniform(0.03, 0.09) * height
            wavelength = rng.uniform(0.4, 1.0) * width
            phase = rng.uniform(0, math.tau)
            points = [
                (x, base + amplitude * math.sin(phase + math.tau * x / wavelength))
                for x in range(0, width + 41, 40)
            ]
            colour = _rgba(colours[number % len(colours)], rng.randint(170, 230))
            draw.polygon([*points, (width + 40, height), (0, height)], fill=colour)
    else:  # dots
        step = width / rng.choice((28, 36, 44))
        centre = (rng.uniform(0, width), rng.uniform(0, height))
        reach = math.hypot(width, height)
        colour = _rgba(colours[0], rng.randint(180, 240))
        for row in range(int(height / step) + 2):
            for column in range(int(width / step) + 2):
                x = column * step + (step / 2 if row % 2 else 0)
                y = row * step
                closeness = 1 - math.hypot(x - centre[0], y - centre[1]) / reach
                radius = step * 0.48 * closeness**2
                if radius > 1:
                    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    return layer


def render_artwork(artwork: Artwork, size: tuple[int, int] = FEATURE_SIZE) -> bytes:
    """A JPEG of `artwork` at `size`."""
    rng = random.Random(artwork.seed)
    background = [PALETTE[name] for name in artwork.colours[:2]]
    shapes = [PALETTE[name] for name in artwork.colours[2:]]
    canvas = _gradient(rng, background, size).convert("RGBA")
    canvas.alpha_composite(_draw_shapes(artwork.style, rng, shapes, size))
    if artwork.style in ("circles", "waves") and rng.random() < 0.5:
        # Some pictures get a soft focus, so the set does not all look equally crisp.
        canvas = canvas.filter(ImageFilter.GaussianBlur(radius=size[1] / 300))
    return _jpeg(canvas)


def render_portrait(seed: int, size: tuple[int, int] = PHOTO_SIZE) -> bytes:
    """A stand-in author photo: a head-and-shoulders silhouette on a gradient."""
    rng = random.Random(seed)
    scheme = SCHEMES[seed % len(SCHEMES)]
    canvas = _gradient(rng, [PALETTE[scheme[0]], PALETTE[scheme[2]]], size).convert("RGBA")
    layer = PILImage.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    width, height = size
    figure = _rgba(PALETTE[rng.choice(("cream", "sand", "charcoal"))], 215)
    head = 0.17 * width
    centre_x, centre_y = width / 2 + rng.uniform(-0.04, 0.04) * width, 0.42 * height
    draw.ellipse(
        (centre_x - head, centre_y - head * 1.15, centre_x + head, centre_y + head * 1.15), fill=figure
    )
    draw.ellipse((0.16 * width, 0.68 * height, 0.84 * width, 1.35 * height), fill=figure)
    canvas.alpha_composite(layer)
    return _jpeg(canvas)


def _jpeg(canvas: PILImage.Image) -> bytes:
    buffer = io.BytesIO()
    canvas.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY, progressive=True)
    return buffer.getvalue()


def demo_collection() -> Collection:
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=DEMO_COLLECTION_NAME).first()
    return existing or root.add_child(name=DEMO_COLLECTION_NAME)


def _stored_image(title: str, filename: str, make: Callable[[], bytes], collection: Collection):
    """The demo image called `title`, drawn and saved only if it is not there yet."""
    Image = get_image_model()
    image = Image.objects.filter(collection=collection, title=title).first()
    if image is not None:
        return image, False
    data = make()
    image = Image(
        title=title,
        file=ImageFile(io.BytesIO(data), name=filename),
        collection=collection,
        file_size=len(data),
        file_hash=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
    )
    image.save()
    return image, True


@dataclass
class PoolImage:
    image: object
    alt: str


# ----- writing it to the database ----------------------------------------------------------------


@dataclass
class DemoReport:
    skipped: bool = False
    site_changed: bool = False
    settings_filled: bool = False
    authors_created: int = 0
    tags_created: int = 0
    images_created: int = 0
    stories_created: int = 0
    stories_total: int = 0
    about_created: bool = False
    admin_created: bool = False
    seconds: float = 0.0


def ensure_site_address() -> tuple[Site, bool]:
    site, changed = align_site_with_public_url()
    if site is None:
        raise DemoError("There is no default site: run `byline migrate` first.")
    return site, changed


def home_page(site: Site):
    from byline.core.models import HomePage

    home = HomePage.objects.filter(pk=site.root_page_id).first()
    if home is None:
        raise DemoError("The default site's root is not the publication's home page.")
    return home


def fill_publication_settings(site: Site, plan: PublicationPlan, tags: list[TagPlan]) -> bool:
    """Set the publication's identity while it is still the default; True when it was filled in."""
    publication = PublicationSettings.for_site(site)
    default_name = PublicationSettings._meta.get_field("name").default
    if publication.name != default_name or publication.description:
        return False
    publication.name = plan.name
    publication.description = plan.description
    publication.accent_colour = plan.accent_colour
    publication.navigation = [
        ("link", {"label": "About", "url": f"/{ABOUT_SLUG}/"}),
        *(("link", {"label": tag.name, "url": f"/tag/{tag.slug}/"}) for tag in tags[:3]),
    ]
    publication.footer_text = plan.footer_text[:300]
    publication.x_handle = plan.handle
    publication.bluesky_handle = f"{plan.handle}.bsky.social"
    publication.save()
    return True


def ensure_authors(plans: list[AuthorPlan], collection: Collection, seed: int = SEED) -> tuple[list, int]:
    Author = _model("Author")
    authors, created_count = [], 0
    for index, plan in enumerate(plans):
        author, created = Author.objects.get_or_create(
            slug=plan.slug,
            defaults={
                "name": plan.name,
                "bio": plan.bio,
                "location": plan.location,
                "website": plan.website,
            },
        )
        if created:
            created_count += 1
            if plan.has_photo:
                author.photo, _ = _stored_image(
                    f"Demo portrait: {plan.name}",
                    f"demo-portrait-{plan.slug}.jpg",
                    lambda index=index: render_portrait(seed + 200 + index, PHOTO_SIZE),
                    collection,
                )
                author.save(update_fields=["photo"])
        authors.append(author)
    return authors, created_count


def ensure_tags(plans: list[TagPlan]) -> tuple[list, int]:
    Tag = _model("Tag")
    tags, created_count = [], 0
    for plan in plans:
        tag, created = Tag.objects.get_or_create(
            slug=plan.slug,
            defaults={
                "name": plan.name,
                "description": plan.description,
                "accent_colour": plan.accent_colour,
            },
        )
        created_count += created
        tags.append(tag)
    return tags, created_count


def ensure_feature_pool(indexes: set[int], collection: Collection, seed: int = SEED) -> tuple[dict, int]:
    pool, created_count = {}, 0
    for index in sorted(indexes):
        artwork = feature_artwork(index, seed)
        image, created = _stored_image(
            f"Demo feature {index + 1:02d}: {artwork.description.split(': ', 1)[1]}",
            f"demo-feature-{index + 1:02d}.jpg",
            lambda artwork=artwork: render_artwork(artwork, FEATURE_SIZE),
            collection,
        )
        pool[index] = PoolImage(image, artwork.description)
        created_count += created
    return pool, created_count


def _body_with_images(body: tuple[dict, ...], pool: dict[int, PoolImage]) -> list[dict]:
    resolved = []
    for block in body:
        if block["type"] == "image":
            picture = pool[block["value"]["pool"]]
            value = {key: item for key, item in block["value"].items() if key != "pool"}
            block = {"type": "image", "value": {"image": picture.image.pk, "alt": picture.alt, **value}}
        resolved.append(block)
    return resolved


def _body_images(plan: StoryPlan) -> set[int]:
    return {block["value"]["pool"] for block in plan.body if block["type"] == "image"}


def publish_story(home, plan: StoryPlan, *, authors, tags, demo_tag, pool, now: datetime):
    """Create, publish and back-date one story, all or nothing."""
    StoryPage, StoryAuthor, StoryTag = _model("StoryPage"), _model("StoryAuthor"), _model("StoryTag")
    feature = pool[plan.feature_image]
    story_tags = [tags[index] for index in plan.tags] + [demo_tag]
    with transaction.atomic():
        story = StoryPage(
            title=plan.title,
            slug=plan.slug,
            live=False,
            body=_body_with_images(plan.body, pool),
            custom_excerpt=plan.custom_excerpt,
            feature_image=feature.image,
            feature_image_alt=feature.alt,
            feature_image_caption=plan.feature_caption,
            featured=plan.featured,
        )
        story.story_authors = [
            StoryAuthor(author=authors[index], sort_order=order) for order, index in enumerate(plan.authors)
        ]
        story.story_tags = [StoryTag(tag=tag, sort_order=order) for order, tag in enumerate(story_tags)]
        home.add_child(instance=story)
        # add_child has just validated the page: skip a second full_clean (and body render).
        revision = story.save_revision(clean=False)
        revision.publish()
        # Listings order by publication date: spread the demo over the last SPREAD days.
        when = now - SPREAD * plan.age
        back_dated = StoryPage.objects.filter(pk=story.pk)
        back_dated.update(last_published_at=when, latest_revision_created_at=when)
        back_dated.date_as_published(when)  # and its place in the listings and archives
        Revision.objects.filter(pk=revision.pk).update(created_at=when)
    return story


def ensure_about_page(home, publication: PublicationPlan, authors: list[AuthorPlan]) -> bool:
    StandalonePage = _model("StandalonePage")
    if home.get_children().filter(slug=ABOUT_SLUG).exists():
        return False
    with transaction.atomic():
        page = StandalonePage(
            title="About", slug=ABOUT_SLUG, live=False, body=about_body(publication, authors)
        )
        home.add_child(instance=page)
        page.save_revision().publish()
    return True


def demo_story_counts() -> tuple[int, int]:
    """(all stories, stories the demo made)."""
    StoryPage = _model("StoryPage")
    total = StoryPage.objects.count()
    demo = StoryPage.objects.filter(story_tags__tag__name=DEMO_TAG_NAME).distinct().count()
    return total, demo


def load_demo(stories: int = DEFAULT_STORIES, *, if_empty: bool = False, say: Say = print) -> DemoReport:
    """Load (or top up) the demo publication; see the module docstring for the rules."""
    if isinstance(stories, bool) or not isinstance(stories, int) or not 0 <= stories <= MAX_STORIES:
        raise DemoError(f"--stories must be a whole number from 0 to {MAX_STORIES}, not {stories!r}.")
    started = time.monotonic()
    report = DemoReport()
    site, report.site_changed = ensure_site_address()
    if report.site_changed:
        say(f"Pointed the default site at {site.hostname}:{site.port} (from BYLINE_URL).")
    home = home_page(site)

    total, demo_made = demo_story_counts()
    if total and if_empty:
        report.skipped = True
        report.stories_total = total
        say(f"The publication already has {total} stor{'y' if total == 1 else 'ies'}: no demo loaded.")
        return report
    if total > demo_made:
        own = total - demo_made
        raise DemoRefused(
            f"The publication has {own} stor{'y' if own == 1 else 'ies'} the demo did not make; the demo "
            "only fills an empty publication. Use --if-empty to skip quietly."
        )

    publication = plan_publication()
    author_plans = plan_authors(publication)
    tag_plans = plan_tags(publication)

    report.settings_filled = fill_publication_settings(site, publication, tag_plans)
    current_name = PublicationSettings.for_site(site).name
    if report.settings_filled:
        say(f"Publication: {publication.name}, “{publication.description}”")
    else:
        say(f"Publication: {current_name} (settings already set; left as they are)")

    collection = demo_collection()
    authors, report.authors_created = ensure_authors(author_plans, collection)
    with_photos = sum(1 for author in authors if author.photo_id)
    say(f"Authors: {len(authors)} ({report.authors_created} new, {with_photos} with photos)")

    tags, report.tags_created = ensure_tags(tag_plans)
    demo_tags, demo_tag_created = ensure_tags([demo_tag_plan()])
    demo_tag = demo_tags[0]
    report.tags_created += demo_tag_created
    say(f"Tags: {len(tags)} public and {DEMO_TAG_NAME} internal ({report.tags_created} new)")

    plans = plan_stories(stories, publication, len(authors))
    present = set(home.get_children().values_list("slug", flat=True))
    missing = [plan for plan in plans if plan.slug not in present]
    wanted = {plan.feature_image for plan in missing}.union(*(_body_images(plan) for plan in missing))
    pool, report.images_created = ensure_feature_pool(wanted, collection)
    if missing:
        say(f"Images: {len(pool)} feature images ({report.images_created} drawn)")

    now = timezone.now()
    for done, plan in enumerate(missing, start=1):
        publish_story(home, plan, authors=authors, tags=tags, demo_tag=demo_tag, pool=pool, now=now)
        if done % 100 == 0 and done < len(missing):
            say(f"  … {done} of {len(missing)} stories published")
    report.stories_created = len(missing)
    report.stories_total = _model("StoryPage").objects.count()
    say(
        f"Stories: {report.stories_created} published, {len(plans) - len(missing)} already there "
        f"(spread over the last {SPREAD.days} days)"
    )

    report.about_created = ensure_about_page(home, publication, author_plans)
    say(f"About page: /{ABOUT_SLUG}/ ({'new' if report.about_created else 'already there'})")

    report.admin_created = ensure_admin_user()
    if report.admin_created:
        say(f"Staff user: created “{ADMIN_USERNAME}” (password in {password_file()})")
    elif not get_user_model().objects.filter(is_superuser=True).exists():
        say(f"Staff user: “{ADMIN_USERNAME}” exists but is not a superuser; left as it is.")
    report.seconds = time.monotonic() - started
    say(f"Demo loaded in {report.seconds:.1f} s.")
    return report


# ----- the admin login ---------------------------------------------------------------------------


def password_file() -> Path:
    return Path(settings.DATA_DIR) / LOGIN_FILE_NAME


def _write_private(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)  # O_CREAT's mode does not apply to a file already there.
        handle.write(content)


def ensure_admin_user() -> bool:
    """A superuser `admin` with a random password, when the site has no superuser at all."""
    User = get_user_model()
    if User.objects.filter(is_superuser=True).exists():
        return False
    if User.objects.filter(username=ADMIN_USERNAME).exists():
        # Someone made an `admin` who is not a superuser: do not promote their account behind their back.
        return False
    password = secrets.token_urlsafe(18)
    with transaction.atomic():
        # If the file cannot be written, no account is left behind with a password nobody knows.
        User.objects.create_superuser(ADMIN_USERNAME, email="", password=password)
        _write_private(password_file(), password + "\n")
    return True


def login_lines() -> list[str]:
    """Where to go and how to sign in, printed at the end of every run."""
    base = settings.BYLINE_URL.rstrip("/")
    lines = [f"Site:   {base}/", f"Admin:  {base}/admin/"]
    User = get_user_model()
    admin = User.objects.filter(username=ADMIN_USERNAME, is_superuser=True, is_active=True).first()
    path = password_file()
    password = path.read_text().strip() if path.exists() else ""
    if admin is not None and password and admin.check_password(password):
        lines.append(f"Login:  {ADMIN_USERNAME} / {password}   (saved in {path})")
    elif User.objects.filter(is_staff=True).exists() or User.objects.filter(is_superuser=True).exists():
        lines.append("Login:  use your own staff account")
    else:
        lines.append("Login:  no staff account yet: create one with `byline createsuperuser`")
    return lines
