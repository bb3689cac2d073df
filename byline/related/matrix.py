"""The full rebuild's ranking: every story weighed against the archive in sparse matrix products.

Ranking one story at a time in Python (engine.rank) costs a few milliseconds a story, which is
fine when a story is published and far too slow for 100,000 at once. This module computes the
same thing for a block of stories in a few array operations:

- text: the stories' reduced term vectors (rows) times the pruned postings (each term's
  `POSTINGS_PER_TERM` strongest, as the database reads them), so the overlap is the one
  `DatabaseCorpus.text_candidates` sums; each row keeps its `TEXT_CANDIDATES` best;
- tags: the `TAG_CANDIDATES` newest stories sharing a public tag;
- the score of every (story, candidate) pair with engine.score's formula, in the same order of
  operations, so the lists match publishing one story at a time (up to exact ties).

Only the best `keep` of each story's ranked list come back: that is all `choose` ever reads.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from byline.related import engine

BLOCK = 1000  # stories ranked per matrix product: bounds memory (a row has up to 25 × 400 overlaps)
EPOCH = np.datetime64("1970-01-01T00:00:00", "us")


@dataclass
class Archive:
    """Every live story, by row: ids, whether it may be suggested, its profile as arrays, and its
    reduced terms as a sparse row (columns are term ids)."""

    ids: np.ndarray  # int64
    candidate: np.ndarray  # bool
    published_us: np.ndarray  # int64 microseconds since the epoch: exact, for ties
    primary: np.ndarray  # int64, -1 for none
    tags: sparse.csr_matrix  # story × tag, 1 where the story has the (public) tag
    authors: sparse.csr_matrix  # story × author
    terms: sparse.csr_matrix  # story × term, the reduced TF-IDF weights
    embeddings: np.ndarray | None = None  # story × dimensions, unit length (see embedding.py)
    embedding_weight: float = 0.0


def archive_from(profiles: list[engine.Profile], candidate: list[bool], terms: sparse.csr_matrix) -> Archive:
    ids = np.array([p.id for p in profiles], dtype=np.int64)
    published = np.array(
        [np.datetime64(p.published_at.replace(tzinfo=None), "us") for p in profiles], dtype="datetime64[us]"
    )
    return Archive(
        ids=ids,
        candidate=np.array(candidate, dtype=bool),
        published_us=(published - EPOCH).astype(np.int64),
        primary=np.array([-1 if p.primary_tag is None else p.primary_tag for p in profiles], dtype=np.int64),
        tags=_incidence([p.tags for p in profiles]),
        authors=_incidence([p.authors for p in profiles]),
        terms=terms,
    )


def attach_embeddings(archive: Archive, vectors: list, weight: float) -> None:
    """The optional model's unit vectors by row (zeros for a story without one: cosine 0)."""
    width = max(len(v) for v in vectors if v)
    rows = np.zeros((len(vectors), width))
    for n, vector in enumerate(vectors):
        if vector and len(vector) == width:
            rows[n] = vector
    archive.embeddings, archive.embedding_weight = rows, weight


def _incidence(sets: list) -> sparse.csr_matrix:
    columns = [sorted(s) for s in sets]
    return _csr(columns, [[1.0] * len(c) for c in columns])


def _csr(columns: list[list[int]], values: list[list[float]]) -> sparse.csr_matrix:
    lengths = np.array([len(c) for c in columns], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    flat = [c for row in columns for c in row]
    width = (max(flat) + 1) if flat else 1
    data = np.array([v for row in values for v in row], dtype=np.float64)
    return sparse.csr_matrix((data, np.array(flat, dtype=np.int64), indptr), shape=(len(columns), width))


def reduce_all(documents: list, df: np.ndarray, term_ids: np.ndarray, total: int, size: int):
    """engine.reduce_to_terms for every document at once: a story × term CSR of the reduced,
    normalised weights. `documents` are (term indexes, counts) array pairs; `df` and `term_ids`
    (the stored Term's id, 0 for a term no candidate uses) are by term index."""
    lengths = np.array([len(terms) for terms, _ in documents], dtype=np.int64)
    row = np.repeat(np.arange(len(documents)), lengths)
    term = np.concatenate([np.frombuffer(terms, dtype=np.uint32) for terms, _ in documents]).astype(np.int64)
    count = np.concatenate([np.frombuffer(counts, dtype=np.uint32) for _, counts in documents])
    frequency = df[term]
    known = frequency > 0
    idf = np.zeros(len(term))
    idf[known] = np.log((total + 1) / frequency[known])
    weight = (1 + np.log(count)) * idf
    kept = known & (idf > 0)
    row, term, weight = row[kept], term_ids[term[kept]], weight[kept]
    # Each row's `size` best, ties to the higher term id, as heapq.nlargest on (weight, term) does.
    order = np.lexsort((-term, -weight, row))
    row, term, weight = row[order], term[order], weight[order]
    first = np.searchsorted(row, row, side="left")
    top = (np.arange(len(row)) - first) < size
    row, term, weight = row[top], term[top], weight[top]
    norms = np.sqrt(np.bincount(row, weights=weight * weight, minlength=len(documents)))
    norms[norms == 0] = 1.0
    shape = (len(documents), int(term_ids.max(initial=0)) + 1)
    return sparse.csr_matrix((weight / norms[row], (row, term)), shape=shape)


def rank_all(archive: Archive, half_life_days: float, keep: int) -> Iterator[list[tuple[int, float]]]:
    """For each story, in row order, its `keep` best candidates as (story id, score)."""
    postings = _pruned_postings(archive)
    newest = _newest_by_tag(archive)
    for start in range(0, len(archive.ids), BLOCK):
        rows = np.arange(start, min(start + BLOCK, len(archive.ids)))
        pairs_i, pairs_j, text = _candidate_pairs(archive, rows, postings, newest)
        scores = _scores(archive, pairs_i, pairs_j, text, half_life_days)
        yield from _best(archive, rows, pairs_i, pairs_j, scores, keep)


def _pruned_postings(archive: Archive) -> sparse.csr_matrix:
    """term × story: each term's strongest postings among the candidates, as the database reads them
    (`ORDER BY weight DESC, story_id DESC LIMIT POSTINGS_PER_TERM`)."""
    terms = archive.terms.tocoo()
    mine = archive.candidate[terms.row]
    story, term, weight = terms.row[mine], terms.col[mine], terms.data[mine]
    order = np.lexsort((-archive.ids[story], -weight, term))
    story, term, weight = story[order], term[order], weight[order]
    first = np.searchsorted(term, term, side="left")
    kept = (np.arange(len(term)) - first) < engine.POSTINGS_PER_TERM
    shape = (archive.terms.shape[1], len(archive.ids))
    return sparse.csr_matrix((weight[kept], (term[kept], story[kept])), shape=shape)


def _newest_by_tag(archive: Archive) -> list[np.ndarray]:
    """For each tag, the rows of the candidates carrying it, newest first (ties: higher id)."""
    by_age = np.lexsort((-archive.ids, -archive.published_us))
    by_age = by_age[archive.candidate[by_age]]
    tags = archive.tags.tocsc()
    position = np.empty(len(archive.ids), dtype=np.int64)
    position[by_age] = np.arange(len(by_age))
    newest = []
    for tag in range(tags.shape[1]):
        rows = tags.indices[tags.indptr[tag] : tags.indptr[tag + 1]]
        rows = rows[archive.candidate[rows]]
        newest.append(rows[np.argsort(position[rows], kind="stable")][: engine.TAG_CANDIDATES])
    return newest


def _candidate_pairs(archive: Archive, rows, postings, newest):
    """(story row, candidate row, text similarity) for every candidate of every story in `rows`."""
    overlap = (archive.terms[rows] @ postings).tocsr()
    overlap.sort_indices()
    pairs_i, pairs_j, texts = [], [], []
    for n, row in enumerate(rows):
        cols = overlap.indices[overlap.indptr[n] : overlap.indptr[n + 1]]
        values = overlap.data[overlap.indptr[n] : overlap.indptr[n + 1]]
        top = _top(values, archive.ids[cols], engine.TEXT_CANDIDATES)
        cols, values = cols[top], values[top]
        tagged = _tag_candidates(archive, row, newest)
        extra = np.setdiff1d(tagged, cols, assume_unique=True)
        cols = np.concatenate([cols, extra])
        values = np.concatenate([values, np.zeros(len(extra))])
        mine = cols != row
        pairs_i.append(np.full(int(mine.sum()), row, dtype=np.int64))
        pairs_j.append(cols[mine])
        texts.append(values[mine])
    return np.concatenate(pairs_i), np.concatenate(pairs_j), np.concatenate(texts)


def _top(values: np.ndarray, ids: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the `limit` largest values, ties going to the higher id (heapq.nlargest on
    (value, id), as MemoryCorpus did and the database's ORDER BY does)."""
    if len(values) <= limit:
        return np.arange(len(values))
    threshold = np.partition(values, len(values) - limit)[len(values) - limit]
    above = np.flatnonzero(values > threshold)
    equal = np.flatnonzero(values == threshold)
    equal = equal[np.argsort(ids[equal])[::-1][: limit - len(above)]]
    return np.concatenate([above, equal])


def _tag_candidates(archive: Archive, row: int, newest: list[np.ndarray]) -> np.ndarray:
    tags = archive.tags.indices[archive.tags.indptr[row] : archive.tags.indptr[row + 1]]
    if len(tags) == 0:
        return np.empty(0, dtype=np.int64)
    if len(tags) == 1:
        return newest[tags[0]]
    rows = np.unique(np.concatenate([newest[tag] for tag in tags]))
    age = np.lexsort((-archive.ids[rows], -archive.published_us[rows]))
    return rows[age][: engine.TAG_CANDIDATES]


def _shared(incidence: sparse.csr_matrix, pairs_i, pairs_j) -> np.ndarray:
    return np.asarray(incidence[pairs_i].multiply(incidence[pairs_j]).sum(axis=1)).ravel()


def _scores(archive: Archive, pairs_i, pairs_j, text, half_life_days: float) -> np.ndarray:
    """engine.score for every pair, in the same order of operations."""
    if archive.embeddings is not None:
        similar = np.einsum("ij,ij->i", archive.embeddings[pairs_i], archive.embeddings[pairs_j])
        text = text + archive.embedding_weight * similar
    shared_tags = np.minimum(_shared(archive.tags, pairs_i, pairs_j), engine.MAX_SHARED_TAGS)
    primary = archive.primary[pairs_i]
    same_primary = (primary >= 0) & (primary == archive.primary[pairs_j])
    shared_authors = np.minimum(_shared(archive.authors, pairs_i, pairs_j), engine.MAX_SHARED_AUTHORS)
    base = (
        text
        + engine.SHARED_TAG * shared_tags
        + np.where(same_primary, engine.SAME_PRIMARY_TAG, 0.0)
        + engine.SHARED_AUTHOR * shared_authors
    )
    gap_us = np.abs(archive.published_us[pairs_i] - archive.published_us[pairs_j])
    gap_days = (gap_us / 1e6) / 86400
    closeness = 0.5 ** (gap_days / half_life_days)
    return base * ((1 - engine.RECENCY_SHARE) + engine.RECENCY_SHARE * closeness)


def _best(archive: Archive, rows, pairs_i, pairs_j, scores, keep: int):
    """Each row's `keep` best pairs: score, then the newer story, then the higher id (engine.rank)."""
    order = np.lexsort((-archive.ids[pairs_j], -archive.published_us[pairs_j], -scores, pairs_i))
    pairs_i, pairs_j, scores = pairs_i[order], pairs_j[order], scores[order]
    starts = np.searchsorted(pairs_i, rows, side="left")
    ends = np.searchsorted(pairs_i, rows, side="right")
    for start, end in zip(starts, ends, strict=True):
        end = min(end, start + keep)
        yield [
            (int(archive.ids[j]), float(s))
            for j, s in zip(pairs_j[start:end], scores[start:end], strict=True)
        ]
