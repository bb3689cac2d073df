"""The optional embedding model: a site names a callable in RELATED_EMBEDDER and its vectors join
the score. The model here is a tiny one written for the test (no weights, no download): it
knows that some different words mean the same thing."""

import pytest

from byline.related import services
from byline.related.models import StoryProfile
from byline.stories.models import StoryPage

SEA = {"ferry", "crossing", "ship", "voyage"}
MONEY = {"budget", "taxes", "treasurer", "deficit"}
calls: list[list[str]] = []


def concept_model(texts: list[str]) -> list[list[float]]:
    """Two dimensions: how much a text is about the sea, how much about money."""
    calls.append(list(texts))
    vectors = []
    for text in texts:
        words = text.lower().split()
        vectors.append([sum(w in SEA for w in words) + 0.01, sum(w in MONEY for w in words) + 0.01])
    return vectors


def broken_model(texts: list[str]) -> list[list[float]]:
    return [[1.0, 2.0]]  # one vector whatever the number of texts


@pytest.fixture(autouse=True)
def no_calls_yet():
    calls.clear()


def related_titles(story) -> list[str]:
    return [s.title for s in services.related_for_page(StoryPage.objects.get(pk=story.pk))]


def archive(publish, make_tag):
    """Three stories under one tag (so each is a candidate for the others) and no word in common.
    The taxes story is closest in time to the ferry one, so without a model it comes first."""
    local = make_tag("Local")
    ferry = publish("Morning ferry", "ferry crossing ferry crossing", days=30, tags=[local])
    ship = publish("Old ship", "ship voyage ship voyage", days=5, tags=[local])
    publish("Council taxes", "budget taxes treasurer deficit", days=29, tags=[local])
    return ferry, ship


def test_without_a_model_the_score_is_unchanged(publish, make_tag):
    ferry, _ = archive(publish, make_tag)
    assert related_titles(ferry) == ["Council taxes", "Old ship"]
    assert not calls
    assert not StoryProfile.objects.filter(embedding__isnull=False).exists()


def test_a_configured_model_joins_the_score_when_publishing(publish, make_tag, settings):
    settings.RELATED_EMBEDDER = "byline.related.tests.test_embedding_plugin.concept_model"
    settings.RELATED_EMBEDDING_WEIGHT = 0.5
    ferry, ship = archive(publish, make_tag)
    assert calls, "the model was never asked"
    assert related_titles(ferry) == ["Old ship", "Council taxes"]
    assert related_titles(ship) == ["Morning ferry", "Council taxes"]
    stored = StoryProfile.objects.get(story_id=ferry.pk).embedding
    assert stored == pytest.approx([1.0, 0.0], abs=0.01)  # normalised to unit length


def test_a_rebuild_uses_the_model_in_batches_and_agrees_with_publishing(publish, make_tag, settings):
    settings.RELATED_EMBEDDER = "byline.related.tests.test_embedding_plugin.concept_model"
    settings.RELATED_EMBEDDING_WEIGHT = 0.5
    ferry, ship = archive(publish, make_tag)
    services.refresh([ferry.pk, ship.pk])
    one_by_one = {story.pk: related_titles(story) for story in (ferry, ship)}
    calls.clear()
    services.rebuild()
    assert len(calls) == 1 and len(calls[0]) == 3  # one batch for the whole (small) archive
    assert {story.pk: related_titles(story) for story in (ferry, ship)} == one_by_one
    assert one_by_one[ferry.pk] == ["Old ship", "Council taxes"]


def test_a_model_returning_the_wrong_shape_is_a_clear_error(publish, settings):
    ferry = publish("Morning ferry", "ferry crossing")
    publish("Old ship", "ship voyage ferry")
    settings.RELATED_EMBEDDER = "byline.related.tests.test_embedding_plugin.broken_model"
    with pytest.raises(ValueError, match="one vector per text"):
        services.rebuild()
    assert related_titles(ferry) == ["Old ship"]  # the stored lists are untouched
