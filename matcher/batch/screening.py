"""Which queries an incremental run has to screen again: from the changed items to the
queries they can reach, instead of re-running every query's first stage.

A query's first stage is recorded as its ``depth`` most similar candidates and the
similarity of the last of them (``worker.Screened``). After an upsert on the same base
(``VectorCollection.changes_since``), those top candidates can only change where

- one of them *moved* (gone, or a vector that moved) or changed a filter field the query
  filters on (``Screened.fields``): it may leave or fall back; or
- a changed item that is live now comes within ``margin`` of the query's threshold (its
  exact similarity to any of the query's vectors): it may enter. This covers an item that
  only moved from the approximate base to the exact delta too (one the base had missed),
  and ``margin`` the approximate base's refinement pool, which a tombstone shifts.

Every other item is searched exactly as it was (the base is not retrained), so every other
query's top candidates are what the last run found, and are carried over unscreened.
``scope`` restricts entering items to those a query filters on (a firm × center query only
meets the center's importers). The similarities are one matrix product of the queries'
vectors with the changed items' (chunked), which for 1% of a 100k catalogue costs seconds
where screening every query cost minutes of worker time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from matcher.index.collection import ItemChanges

_ROWS = 8192  # query vectors per matrix product


@dataclass(frozen=True)
class Screened:
    """One query's first stage as the next incremental run tests it: the ``depth`` most
    similar candidates (sorted ids), the similarity of the last of them (``-inf`` where
    the first stage found fewer: then any change may enter them), and the filter fields its
    searches filter on (a candidate whose value there changes may leave)."""

    ids: tuple[int, ...]
    threshold: float
    fields: tuple[str, ...] = ()
    # What the first stage standardised its searches' pool with: the similarities' mean and
    # deviation, then the responsiveness's where it reads them (``*.first_stage``).
    spread: tuple[float, ...] | None = None


def top_candidates(
    similarity: dict[int, float],
    depth: int,
    fields: Iterable[str] = (),
    spread: tuple[float, ...] | None = None,
) -> Screened:
    """The ``depth`` most similar of a first stage's candidates (ties by id). ``spread``:
    what the first stage standardised its searches' pool with, kept so that a probe can cut
    a pool that entering items grew back as the search would (``MatchService.score_candidates``)."""
    ranked = sorted(similarity.items(), key=lambda item: (-item[1], item[0]))[:depth]
    threshold = ranked[-1][1] if len(ranked) >= depth else -math.inf
    return Screened(
        tuple(sorted(i for i, _ in ranked)), float(threshold), tuple(sorted(fields)), spread
    )


def touched(
    vectors: Sequence[npt.NDArray[np.float32]],
    screens: Sequence[Screened],
    changes: ItemChanges,
    *,
    margin: float,
    scopes: Sequence[str | None] | None = None,
    item_scopes: Sequence[frozenset[str] | None] | None = None,
) -> npt.NDArray[np.bool_]:
    """Per query (``vectors[i]``: its query vectors, one row each; ``screens[i]``: its last
    first stage), whether a change can move its top candidates. ``scopes[i]`` and
    ``item_scopes[j]`` (the values the query filters on, and those a changed item carries;
    None: no restriction) keep out items the query cannot meet."""
    n = len(screens)
    if len(vectors) != n:
        raise ValueError(f"{len(vectors)} query vectors for {n} screens")
    out = np.zeros(n, dtype=bool)
    if n == 0 or len(changes) == 0:
        return out
    moved = {int(i) for i in changes.ids[changes.moved]}
    refiled = {int(i): f for i, f in zip(changes.ids.tolist(), changes.fields, strict=True) if f}
    for q, screen in enumerate(screens):
        if moved.intersection(screen.ids) or any(
            refiled[i].intersection(screen.fields) for i in refiled.keys() & set(screen.ids)
        ):
            out[q] = True
    live = np.flatnonzero(changes.present)
    if len(live) == 0:
        return out
    items = np.ascontiguousarray(changes.vectors[live], dtype=np.float32)
    item_ids = changes.ids[live]
    allowed = _allowed(scopes, item_scopes, live, n)
    thresholds = np.asarray([s.threshold for s in screens], dtype=np.float64) - margin
    best = _best_similarity(vectors, items)  # (queries, live items)
    members: dict[int, frozenset[int]] = {}  # a query's candidates, built once if needed
    for q, j in zip(*np.nonzero(best >= thresholds[:, None]), strict=True):
        if out[q] or (allowed is not None and not allowed[q, j]):
            continue
        if q not in members:
            members[q] = frozenset(screens[q].ids)
        if int(item_ids[j]) not in members[q]:
            out[q] = True
    return out


@dataclass(frozen=True)
class Reach:
    """What the changes mean for one query the last run ranked (``reach``): ``left``, one of
    its candidates is gone or refiled under a filter it uses (its first stage must run
    again); ``probe``, the candidates to score again (changed ones among its candidates,
    and changed ones that now come within the margin of its threshold); ``screen``, its
    candidates with the entering ones added and the gone ones removed."""

    left: bool
    probe: tuple[int, ...]
    screen: Screened


def reach(
    vectors: Sequence[npt.NDArray[np.float32]],
    screens: Sequence[Screened],
    changes: ItemChanges,
    *,
    margin: float,
    also_changed: frozenset[int] = frozenset(),
    scopes: Sequence[str | None] | None = None,
    item_scopes: Sequence[frozenset[str] | None] | None = None,
) -> list[Reach]:
    """Per query, as ``touched`` decides whether a change can move its top candidates, but
    down to the candidates: which of them to score again and its candidate set after the
    change. ``also_changed``: items whose indexed state did not change but whose rows
    did (a supplier's profile or history, an importer's history), probed where they are
    candidates. Cheaper than the first stage by far: no search, one matrix product."""
    n = len(screens)
    if len(vectors) != n:
        raise ValueError(f"{len(vectors)} query vectors for {n} screens")
    gone = {int(i) for i, p in zip(changes.ids.tolist(), changes.present, strict=True) if not p}
    refiled = {int(i): f for i, f in zip(changes.ids.tolist(), changes.fields, strict=True) if f}
    live = np.flatnonzero(changes.present)
    changed_live = {int(i) for i in changes.ids[live]} | set(also_changed)
    entering: list[set[int]] = [set() for _ in range(n)]
    if len(live) and n:
        items = np.ascontiguousarray(changes.vectors[live], dtype=np.float32)
        item_ids = changes.ids[live]
        allowed = _allowed(scopes, item_scopes, live, n)
        thresholds = np.asarray([s.threshold for s in screens], dtype=np.float64) - margin
        best = _best_similarity(vectors, items)
        for q, j in zip(*np.nonzero(best >= thresholds[:, None]), strict=True):
            if allowed is None or allowed[q, j]:
                entering[q].add(int(item_ids[j]))
    out: list[Reach] = []
    for q, screen in enumerate(screens):
        members = set(screen.ids)
        left = bool(gone & members) or any(
            refiled[i] & set(screen.fields) for i in refiled.keys() & members
        )
        new = entering[q] - members
        probe = sorted((members & changed_live) | new)
        ids = tuple(sorted((members - gone) | new))
        out.append(Reach(left, tuple(probe), replace(screen, ids=ids)))
    return out


def _allowed(
    scopes: Sequence[str | None] | None,
    item_scopes: Sequence[frozenset[str] | None] | None,
    live: npt.NDArray[np.int64],
    n: int,
) -> npt.NDArray[np.bool_] | None:
    if scopes is None or item_scopes is None:
        return None
    wanted = np.asarray(["" if s is None else s for s in scopes], dtype=object)
    unscoped = wanted == ""
    out = np.ones((n, len(live)), dtype=bool)
    for j, position in enumerate(live.tolist()):
        values = item_scopes[position]
        if values is not None:
            out[:, j] = unscoped | np.isin(wanted, list(values))
    return out


def _best_similarity(
    vectors: Sequence[npt.NDArray[np.float32]], items: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Per query, its best similarity (over its vectors) to each item; -inf for a query
    without vectors."""
    n = len(vectors)
    out = np.full((n, len(items)), -np.inf, dtype=np.float32)
    start = 0
    while start < n:
        stop, rows = start, 0
        while stop < n and (rows == 0 or rows + len(vectors[stop]) <= _ROWS):
            rows += len(vectors[stop])
            stop += 1
        chunk = [np.atleast_2d(v) for v in vectors[start:stop]]
        sizes = np.asarray([len(v) for v in chunk])
        if sizes.sum():
            sims = np.concatenate([v for v in chunk if len(v)]) @ items.T
            offsets = np.concatenate([[0], np.cumsum(sizes[sizes > 0])[:-1]])
            reduced = np.maximum.reduceat(sims, offsets, axis=0)
            out[start:stop][sizes > 0] = reduced
        start = stop
    return out


__all__ = ["Reach", "Screened", "reach", "top_candidates", "touched"]
