"""Which queries a change can reach (``batch.screening.touched``): a query is screened again
when one of its top candidates was altered or a live changed item comes within the margin
of its threshold, and only then; a query's scope keeps out items it cannot meet."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.batch.queries import Query
from matcher.batch.screening import touched
from matcher.batch.worker import Probe, Screened, _patch, _reaches, top_candidates
from matcher.index.collection import ItemChanges
from matcher.matching.service import ScoredProbe

DIM = 8


def _unit(*values: float) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(values)] = values
    return (v / np.linalg.norm(v)).astype(np.float32)


def _changes(
    items: list[tuple[int, np.ndarray | None, bool]],
    scopes: list[str | None] | None = None,
    fields: dict[int, frozenset[str]] | None = None,
) -> ItemChanges:
    fields = fields or {}
    """(id, live vector or None where gone, moved); ``fields``: changed filter fields."""
    return ItemChanges(
        np.asarray([i for i, _, _ in items], dtype=np.int64),
        np.stack([np.zeros(DIM, np.float32) if v is None else v for _, v, _ in items])
        if items
        else np.zeros((0, DIM), np.float32),
        np.asarray([v is not None for _, v, _ in items], dtype=bool),
        np.asarray([a for _, _, a in items], dtype=bool),
        tuple(fields.get(i, frozenset()) for i, _, _ in items),
        tuple(
            None if v is None else {"center": None if scopes is None else scopes[n]}
            for n, (_, v, _) in enumerate(items)
        ),
    )


Q = _unit(1, 0)
SCREEN = Screened((1, 2, 3), 0.8)  # its top three, the last at cosine 0.8


def test_a_moved_top_candidate_touches_and_a_kept_one_does_not() -> None:
    far = _unit(0, 1)
    assert touched([Q[None]], [SCREEN], _changes([(2, far, True)]), margin=0.0).tolist() == [True]
    assert touched([Q[None]], [SCREEN], _changes([(2, None, True)]), margin=0.0).tolist() == [True]
    # Same vector and filters (a new description-free detail): it stays where it was.
    near = _unit(1, 0.1)
    assert touched([Q[None]], [SCREEN], _changes([(2, near, False)]), margin=0.0).tolist() == [
        False
    ]
    # A new price leaves the candidates of a query that filters on price only.
    priced = _changes([(2, near, False)], fields={2: frozenset({"price_max_usd"})})
    assert touched([Q[None]], [SCREEN], priced, margin=0.0).tolist() == [False]
    filtering = Screened(SCREEN.ids, SCREEN.threshold, ("hs", "price_max_usd"))
    assert touched([Q[None]], [filtering], priced, margin=0.0).tolist() == [True]


@pytest.mark.parametrize(
    ("cosine", "margin", "expected"),
    [(0.9, 0.0, True), (0.79, 0.0, False), (0.79, 0.02, True), (0.5, 0.02, False)],
)
def test_an_item_entering_above_the_threshold_touches(
    cosine: float, margin: float, expected: bool
) -> None:
    item = _unit(cosine, math.sqrt(1 - cosine**2))
    got = touched([Q[None]], [SCREEN], _changes([(9, item, True)]), margin=margin)
    assert got.tolist() == [expected]
    # Not moved (only from the base to the exact delta): above the threshold it may still enter
    # (the approximate base had missed it).
    got = touched([Q[None]], [SCREEN], _changes([(9, item, False)]), margin=margin)
    assert got.tolist() == [expected]


def test_the_best_of_a_querys_vectors_counts_and_scope_keeps_others_out() -> None:
    item = _unit(0, 1)
    firm = np.stack([_unit(1, 0), _unit(0.1, 1)])  # its second product is near the item
    changes = _changes([(9, item, True)], scopes=["han"])
    both = [firm, firm]
    got = touched(
        both,
        [SCREEN, SCREEN],
        changes,
        margin=0.0,
        scopes=["han", "del"],
        item_scopes=[frozenset({"han"})],
    )
    assert got.tolist() == [True, False]


def test_fewer_candidates_than_the_depth_means_any_live_change_touches() -> None:
    short = top_candidates({1: 0.9, 2: 0.5}, depth=3)
    assert short == Screened((1, 2), -math.inf)
    far = _unit(-1, 0)
    assert touched([Q[None]], [short], _changes([(9, far, False)]), margin=0.0).tolist() == [True]
    assert touched(
        [Q[None]],
        [short],
        _changes(
            [],
        ),
        margin=0.0,
    ).tolist() == [False]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_no_query_whose_top_candidates_move_is_missed(seed: int, depth: int) -> None:
    """Against brute force: change random items of a random catalogue; every query whose
    exact top ``depth`` set differs afterwards is touched."""
    rng = np.random.default_rng(seed)
    n, m = 40, 12
    items = rng.normal(size=(n, DIM)).astype(np.float32)
    items /= np.linalg.norm(items, axis=1, keepdims=True)
    queries = rng.normal(size=(m, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    before = {i: items[i] for i in range(n)}
    after = dict(before)
    changed: list[tuple[int, np.ndarray | None, bool]] = []
    for i in rng.choice(n, size=4, replace=False).tolist():
        kind = rng.integers(0, 3)
        if kind == 0:
            del after[i]
            changed.append((i, None, True))
        elif kind == 1:
            v = rng.normal(size=DIM).astype(np.float32)
            after[i] = v / np.linalg.norm(v)
            changed.append((i, after[i], True))
        else:
            changed.append((i, after[i], False))  # metadata only
    for new in (100, 101):
        v = rng.normal(size=DIM).astype(np.float32)
        after[new] = v / np.linalg.norm(v)
        changed.append((new, after[new], True))

    def top(catalogue: dict[int, np.ndarray], q: np.ndarray) -> Screened:
        return top_candidates({i: float(q @ v) for i, v in catalogue.items()}, depth)

    screens = [top(before, q) for q in queries]
    hit = touched([q[None] for q in queries], screens, _changes(changed), margin=1e-6)
    for q, screen, h in zip(queries, screens, hit, strict=True):
        if top(after, q).ids != screen.ids:
            assert h


# --- reach: down to the candidates ----------------------------------------------------------


def test_reach_probes_changed_candidates_and_entering_items_and_patches_the_screen() -> None:
    from matcher.batch.screening import reach

    near, far = _unit(1, 0.1), _unit(0, 1)
    changes = _changes([(2, far, True), (7, near, True), (8, far, True)])
    (found,) = reach([Q[None]], [SCREEN], changes, margin=0.0)
    assert not found.left
    # 2 is a candidate whose vector moved: scored again (it stays a candidate); 7 now comes
    # within the threshold: it enters; 8 is changed but out of reach.
    assert found.probe == (2, 7)
    assert found.screen == Screened((1, 2, 3, 7), 0.8)


def test_reach_probes_a_candidate_whose_row_changed_without_its_vector() -> None:
    from matcher.batch.screening import reach

    (found,) = reach([Q[None]], [SCREEN], _changes([]), margin=0.0, also_changed=frozenset({3, 9}))
    assert found.probe == (3,) and found.screen == SCREEN and not found.left


def test_reach_says_a_query_left_by_a_gone_or_refiled_candidate() -> None:
    from matcher.batch.screening import reach

    (gone,) = reach([Q[None]], [SCREEN], _changes([(1, None, True)]), margin=0.0)
    assert gone.left and gone.screen.ids == (2, 3)
    filtered = Screened((1, 2, 3), 0.8, ("center",))
    refiled = _changes([(2, _unit(1, 0.05), False)], fields={2: frozenset({"center"})})
    (moved,) = reach([Q[None]], [filtered], refiled, margin=0.0)
    assert moved.left


@pytest.mark.parametrize(("scope", "probed"), [("IN-DEL", ()), ("vn-han", (7,))])
def test_reach_keeps_out_items_of_another_scope(scope: str, probed: tuple[int, ...]) -> None:
    from matcher.batch.screening import reach

    changes = _changes([(7, _unit(1, 0.1), True)], scopes=["VN-HAN"])
    (found,) = reach(
        [Q[None]],
        [SCREEN],
        changes,
        margin=0.0,
        scopes=[scope],
        item_scopes=[frozenset({"vn-han"})],
    )
    assert found.probe == probed


# --- probe: whether scored rows can change a query's results -------------------------------


def _probe(
    entry: float, shown: tuple[str, ...] = (), results: dict[str, float] | None = None
) -> Probe:
    query = Query("inquiry_suppliers", "NEED-1", 1, None, "x")
    return Probe(query, (1,), (1, 2), entry, shown, tuple(sorted((results or {}).items())))


def test_a_shown_row_that_changed_always_reaches() -> None:
    probe = _probe(0.5, shown=("P1", "P2"), results={"F1": 0.9, "F2": 0.6})
    assert _reaches(probe, [("P2", "F2", 0.1)])  # its score fell: the next one moves up


def test_an_outsider_reaches_only_at_the_entry_score() -> None:
    probe = _probe(0.5, shown=("P1",), results={"F1": 0.9})
    assert not _reaches(probe, [("P7", "F7", 0.49)])
    assert _reaches(probe, [("P7", "F7", 0.5)])
    assert not _reaches(probe, [("P7", "F7", -math.inf)])  # excluded


def test_another_row_of_a_shown_supplier_reaches_only_by_beating_the_shown_one() -> None:
    probe = _probe(0.5, shown=("P1",), results={"F1": 0.9})
    assert not _reaches(probe, [("P3", "F1", 0.8)])  # F1 keeps showing P1
    assert _reaches(probe, [("P3", "F1", 0.95)])


def test_with_no_entry_score_bound_any_live_row_reaches() -> None:
    assert _reaches(_probe(-math.inf), [("P7", "F7", -3.0)])


# --- patch: an inquiry's results with probed suppliers put in place -------------------------


_SAID = ((), 0.5)  # a row's reasons and probability, as the probe explains it


def _scored(*rows: tuple[str, str, float]) -> ScoredProbe:
    return ScoredProbe(
        ids=tuple(range(len(rows))),
        external=tuple(r[0] for r in rows),
        targets=tuple(r[1] for r in rows),
        scores=tuple(r[2] for r in rows),
        explained=tuple(_SAID if r[2] > -math.inf else None for r in rows),
    )


_TOP3 = {"F1": 0.9, "F2": 0.7, "F3": 0.5}


def test_an_entering_supplier_takes_its_place_and_the_kth_one_leaves() -> None:
    probe = _probe(0.5, shown=("P1", "P2", "P3"), results=_TOP3)
    patch = _patch(probe, _scored(("P9", "F9", 0.8)), 3)
    assert patch is not None
    assert patch.results.order == ("F1", "F9", "F2")
    assert set(patch.results.rows) == {"F9"} and patch.results.rows["F9"][:2] == (0.8, 0.5)
    assert patch.entry == 0.7  # what the next newcomer must reach
    assert set(patch.shown) == {"P1", "P2", "P3", "P9"}


def test_a_shown_row_that_rose_is_patched_and_one_that_fell_is_patched_while_clear() -> None:
    probe = _probe(0.5, shown=("P1", "P2", "P3"), results=_TOP3)
    rose = _patch(probe, _scored(("P3", "F3", 0.95)), 3)
    assert rose is not None and rose.results.order == ("F3", "F1", "F2")
    # A shown row that fell: the probe scored the supplier's other products in the pool
    # with it (``SupplierProbe.shown``), and its best row decides its place. Clear above
    # the entry score, no unscored candidate can pass it.
    fell = _patch(probe, _scored(("P2", "F2", 0.6), ("P4", "F2", 0.55)), 3)
    assert fell is not None and fell.results.order == ("F1", "F2", "F3")
    assert fell.results.rows["F2"][0] == 0.6 and fell.entry == 0.5
    # Its next product now shows it.
    moved = _patch(probe, _scored(("P2", "F2", 0.52), ("P4", "F2", 0.65)), 3)
    assert moved is not None and moved.results.rows["F2"][0] == 0.65
    assert "P4" in moved.shown
    # Down to the entry score, or excluded: a candidate no one scored may take its place.
    assert _patch(probe, _scored(("P2", "F2", 0.50008), ("P4", "F2", 0.3)), 3) is None
    assert _patch(probe, _scored(("P2", "F2", 0.45)), 3) is None
    assert _patch(probe, _scored(("P2", "F2", -math.inf)), 3) is None
    # The k-th supplier's own row fell: anything below it was unscored.
    assert _patch(probe, _scored(("P3", "F3", 0.49)), 3) is None


def test_another_product_of_a_shown_supplier_replaces_its_row_only_by_beating_it() -> None:
    probe = _probe(0.5, shown=("P1", "P2", "P3"), results=_TOP3)
    patch = _patch(probe, _scored(("P8", "F2", 0.8), ("P7", "F2", 0.75)), 3)
    assert patch is not None and patch.results.order == ("F1", "F2", "F3")
    assert patch.results.rows["F2"][0] == 0.8


def test_scores_within_rounding_of_the_boundary_are_left_to_ranking() -> None:
    probe = _probe(0.5, shown=("P1", "P2", "P3"), results=_TOP3)
    assert _patch(probe, _scored(("P9", "F9", 0.50005)), 3) is None  # ties the entry score
    assert _patch(probe, _scored(("P8", "F2", 0.70004)), 3) is None  # ties its supplier's row


def test_fewer_results_than_k_take_any_live_entrant() -> None:
    probe = _probe(-math.inf, shown=("P1",), results={"F1": 0.9})
    patch = _patch(probe, _scored(("P9", "F9", -2.0), ("P8", "F8", -math.inf)), 3)
    assert patch is not None and patch.results.order == ("F1", "F9")
    assert patch.entry == -math.inf
