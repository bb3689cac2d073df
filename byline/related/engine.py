"""The related-stories score, free of storage: a story's most distinctive terms, and how a candidate
story is weighed against it.

A story is reduced to its `TERMS_PER_STORY` most distinctive terms by TF-IDF (as Lucene's
more-like-this does), their weights normalised so the text similarity of two stories is the dot
product of their reductions, between 0 and 1. Shared tags, the same primary tag and shared authors
add to it, and the whole is damped by the time between the two stories (`half_life_days`). Every
part is symmetric, so a story's score for a candidate is the candidate's score for it: that is what
lets a new story enter the lists of older ones without recomputing them.
"""

import heapq
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

RELATED_COUNT = 4
TERMS_PER_STORY = 25
TEXT_CANDIDATES = 200
# Only a term's strongest postings are read (impact-ordered pruning): a story's cost stays bounded
# however many stories use its terms.
POSTINGS_PER_TERM = 400
TAG_CANDIDATES = 50
TITLE_REPEAT = 3  # a title word counts as much as three in the body
MAX_TEXT = 200_000  # characters of a story's text looked at: bounds the cost of a huge story

SHARED_TAG = 0.06
MAX_SHARED_TAGS = 3
SAME_PRIMARY_TAG = 0.10
SHARED_AUTHOR = 0.04
MAX_SHARED_AUTHORS = 2
RECENCY_SHARE = 0.25  # how much of the score depends on the time between the stories

WORD = re.compile(r"[^\W\d_]{3,40}")
_STOPWORD_TEXT = """
    about above after again against all also although among and another any are aren around because
    been before being below between both but can cannot could did didn does doesn doing don down during
    each either even ever every few for from further get got had has have having her here hers herself
    him himself his how however into isn its itself just least less like made make many may might more
    most much must myself neither never new nor not now off once one only other others our ours
    ourselves out over own per perhaps quite rather said same say says several she should since some
    still such than that the their theirs them themselves then there these they this those though
    through thus too two under until upon very was wasn way were weren what when where whether which
    while who whom whose why will with within without would yet you your yours yourself yourselves
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def term_counts(title: str, excerpt: str, text: str) -> Counter:
    """How often each word of a story appears, its title counting `TITLE_REPEAT` times."""
    # Whole-text findall and one pass to drop stop words: a rebuild reads every story.
    counts = Counter(WORD.findall(text[:MAX_TEXT].casefold()))
    counts.update(WORD.findall(excerpt.casefold()))
    for word in WORD.findall(title.casefold()):
        counts[word] += TITLE_REPEAT
    for word in STOPWORDS.intersection(counts):
        del counts[word]
    return counts


def reduce_to_terms(counts: dict, df: dict, total: int, size: int = TERMS_PER_STORY) -> dict:
    """The `size` terms with the highest TF-IDF, weights normalised to length 1.

    `counts` and `df` share their keys (term ids or texts); a term missing from `df` is skipped.
    """
    weights = []
    for term, count in counts.items():
        frequency = df.get(term)
        if not frequency:
            continue
        idf = math.log((total + 1) / frequency)
        if idf <= 0:  # in every story: says nothing about this one
            continue
        weights.append(((1 + math.log(count)) * idf, term))
    top = heapq.nlargest(size, weights)
    norm = math.sqrt(sum(weight * weight for weight, _ in top)) or 1.0
    return {term: weight / norm for weight, term in top}


@dataclass(frozen=True)
class Profile:
    """What the score weighs about a story besides its text."""

    id: int
    published_at: datetime
    primary_tag: int | None = None
    tags: frozenset = field(default_factory=frozenset)
    authors: frozenset = field(default_factory=frozenset)
    # Unit-length vector from the optional embedding model (embedding.py), or None.
    embedding: tuple | None = field(default=None, compare=False)


def score(
    story: Profile,
    other: Profile,
    text_similarity: float,
    half_life_days: float,
    embedding_weight: float = 0.0,
) -> float:
    if (
        embedding_weight
        and story.embedding
        and other.embedding
        and len(story.embedding) == len(other.embedding)
    ):
        cosine = sum(a * b for a, b in zip(story.embedding, other.embedding, strict=True))
        text_similarity = text_similarity + embedding_weight * cosine
    shared_tags = min(len(story.tags & other.tags), MAX_SHARED_TAGS)
    same_primary = story.primary_tag is not None and story.primary_tag == other.primary_tag
    shared_authors = min(len(story.authors & other.authors), MAX_SHARED_AUTHORS)
    base = (
        text_similarity
        + SHARED_TAG * shared_tags
        + (SAME_PRIMARY_TAG if same_primary else 0.0)
        + SHARED_AUTHOR * shared_authors
    )
    gap_days = abs((story.published_at - other.published_at).total_seconds()) / 86400
    closeness = 0.5 ** (gap_days / half_life_days)
    return base * ((1 - RECENCY_SHARE) + RECENCY_SHARE * closeness)


def rank(
    story: Profile, vector: dict, corpus, half_life_days: float, embedding_weight: float = 0.0
) -> list[tuple[int, float]]:
    """Every candidate worth weighing against `story`, best first, as (story id, score).

    `corpus` answers four questions (see byline.related.corpus): the stories whose terms overlap
    `vector` with the overlap, the newest stories sharing a tag, and the profiles of given stories.
    """
    text = dict(corpus.text_candidates(vector, TEXT_CANDIDATES))
    candidate_ids = set(text) | set(corpus.tag_candidates(story.tags, TAG_CANDIDATES))
    candidate_ids.discard(story.id)
    scored = [
        (
            score(story, other, text.get(other.id, 0.0), half_life_days, embedding_weight),
            other.published_at,
            other.id,
        )
        for other in corpus.profiles(candidate_ids)
    ]
    # Equal scores: the newer story first, then the higher id, so the order never depends on the corpus.
    scored.sort(reverse=True)
    return [(story_id, value) for value, _, story_id in scored]


def choose(pins: list[int], ranked: list[tuple[int, float]], latest: list[int], story_id: int, count: int):
    """The list to store: pins first, then the best ranked, topped up with the latest stories so a
    story always shows `count` when the site has that many others. Items are (id, score or None)."""
    chosen: list[tuple[int, float | None]] = []
    seen = {story_id}
    for pin in pins:
        if pin not in seen and len(chosen) < count:
            chosen.append((pin, None))
            seen.add(pin)
    for story, value in [*ranked, *((story, 0.0) for story in latest)]:
        if len(chosen) >= count:
            break
        if story not in seen:
            chosen.append((story, value))
            seen.add(story)
    return chosen
