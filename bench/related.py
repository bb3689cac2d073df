"""Related stories: quality and speed of the engine on a generated, topic-labelled archive.

    python bench/related.py [--stories 10000] [--sample 500] [--timed 100]

Builds a fresh SQLite database, writes the archive (bench/corpus.py: 24 topics, noisy tags), then:
- full rebuild time (`byline related --rebuild`'s service);
- precision@4 (related stories from the same topic) over --sample stories, for Byline's engine and,
  in the same run, the foundation's tag-overlap engine (most shared tags, newest first, topped up
  with the latest), which is the baseline;
- the time to compute one story's list the way publishing does (index it, rank it against the
  database, store the list, offer it to the lists of the stories most like it), p50/p95 over
  --timed stories.
Ends with the figures as one line of JSON.
"""

import argparse
import json
import random
import statistics
import time

import corpus


def baseline(story_id: int, count: int = 4) -> list[int]:
    """The foundation issue's engine (byline/related/engine.py before this one), by id."""
    from django.db.models import Count, Q

    from byline.stories.models import StoryPage, StoryTag

    tag_ids = list(
        StoryTag.objects.filter(story_id=story_id)
        .exclude(tag__name__startswith="#")
        .values_list("tag_id", flat=True)
    )
    candidates = StoryPage.objects.live().exclude(pk=story_id).filter(visibility="public")
    chosen: list[int] = []
    if tag_ids:
        chosen = list(
            candidates.filter(story_tags__tag_id__in=tag_ids)
            .annotate(shared=Count("story_tags", filter=Q(story_tags__tag_id__in=tag_ids)))
            .order_by("-shared", "-first_published_at", "-pk")
            .values_list("pk", flat=True)[:count]
        )
    if len(chosen) < count:
        chosen += list(
            candidates.exclude(pk__in=chosen)
            .order_by("-first_published_at", "-pk")
            .values_list("pk", flat=True)[: count - len(chosen)]
        )
    return chosen


def precision(lists: dict[int, list[int]], topic_of: dict[int, int]) -> float:
    hits = total = 0
    for story, related in lists.items():
        hits += sum(1 for other in related if topic_of[other] == topic_of[story])
        total += 4
    return hits / total


def percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--timed", type=int, default=100)
    args = parser.parse_args()

    corpus.setup_django("related")
    from byline.related import services
    from byline.related.models import RelatedStory

    started = time.perf_counter()
    plans, _, _ = corpus.plan(args.stories)
    ids = corpus.load(plans)
    print(f"generated and wrote {args.stories:,} stories in {time.perf_counter() - started:.0f}s")
    topic_of = {pk: item.topic for pk, item in zip(ids, plans, strict=True)}

    started, cpu_started = time.perf_counter(), time.process_time()
    services.rebuild(progress=lambda stage, done, total: None)
    rebuild_s = time.perf_counter() - started
    # CPU seconds too: on a shared machine the wall clock also counts the time spent waiting for a
    # core (the database is SQLite, in this process, so its work is counted).
    rebuild_cpu_s = time.process_time() - cpu_started
    print(f"full rebuild: {rebuild_s:.1f}s ({rebuild_cpu_s:.1f}s of CPU)")

    rng = random.Random(1)
    sample = rng.sample(ids, min(args.sample, len(ids)))
    stored: dict[int, list[int]] = {pk: [] for pk in sample}
    for story_id, related_id in (
        RelatedStory.objects.filter(story_id__in=sample)
        .order_by("story_id", "position")
        .values_list("story_id", "related_id")
    ):
        stored[story_id].append(related_id)
    byline_precision = precision(stored, topic_of)
    base_started = time.perf_counter()
    base_precision = precision({pk: baseline(pk) for pk in sample}, topic_of)
    base_ms = (time.perf_counter() - base_started) * 1000 / len(sample)

    timings = []
    for pk in rng.sample(ids, min(args.timed, len(ids))):
        started = time.perf_counter()
        services.refresh_story(pk)
        timings.append((time.perf_counter() - started) * 1000)

    figures = {
        "stories": args.stories,
        "precision_at_4": round(byline_precision, 3),
        "baseline_precision_at_4": round(base_precision, 3),
        "one_story_ms_p50": round(statistics.median(timings), 1),
        "one_story_ms_p95": round(percentile(timings, 0.95), 1),
        "baseline_one_story_ms_mean": round(base_ms, 1),
        "full_rebuild_s": round(rebuild_s, 1),
        "full_rebuild_cpu_s": round(rebuild_cpu_s, 1),
    }
    print(f"{'':28} {'Byline':>10} {'baseline':>10}")
    print(f"{'precision@4':28} {byline_precision:10.3f} {base_precision:10.3f}")
    print(f"{'one story (ms, p50)':28} {figures['one_story_ms_p50']:10.1f} {base_ms:10.1f}")
    print(f"{'one story (ms, p95)':28} {figures['one_story_ms_p95']:10.1f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
