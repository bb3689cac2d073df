"""The optional plug-in point for an embedding model. Off by default: Byline ranks with TF-IDF,
tags, authors and time alone, and nothing here downloads anything.

A site that has a model sets, in its settings:

    RELATED_EMBEDDER = "mysite.embeddings.embed"   # dotted path to a callable
    RELATED_EMBEDDING_WEIGHT = 0.3                 # default 0.3

The callable takes a list of texts (a story's title, standfirst and plain text) and returns one
vector (a sequence of floats, every one the same length) per text. Byline normalises the vectors
and adds `weight × cosine similarity` to the text part of the score (engine.score), so the score
stays symmetric. Candidates still come from the TF-IDF index and the tags: the model re-weighs
them, it does not search the whole archive. Vectors are stored on each story's profile, so the
model runs once per story publish and once per story in a rebuild (in batches of `BATCH`).
"""

from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

BATCH = 64  # texts per call of the model during a rebuild
DEFAULT_WEIGHT = 0.3


def embedder() -> Callable | None:
    path = getattr(settings, "RELATED_EMBEDDER", None)
    return import_string(path) if path else None


def weight() -> float:
    return float(getattr(settings, "RELATED_EMBEDDING_WEIGHT", DEFAULT_WEIGHT))


def story_text(title: str, excerpt: str, text: str) -> str:
    return "\n".join(part for part in (title, excerpt, text) if part)


def embed(texts: list[str]) -> list[list[float]] | None:
    """Unit-length vectors for `texts`, or None when no model is configured."""
    import numpy as np  # only where vectors are used: web processes never load it

    model = embedder()
    if model is None or not texts:
        return None
    vectors = np.asarray(model(texts), dtype=np.float64)
    if vectors.ndim != 2 or len(vectors) != len(texts):
        raise ValueError(f"RELATED_EMBEDDER must return one vector per text, got shape {vectors.shape}")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1.0, norms)).tolist()


def similarity(mine: list[float] | None, other: list[float] | None) -> float:
    """The weighted cosine added to a pair's text similarity (0 when either has no vector)."""
    import numpy as np  # only where vectors are used: web processes never load it

    if not mine or not other or len(mine) != len(other):
        return 0.0
    return weight() * float(np.dot(mine, other))
