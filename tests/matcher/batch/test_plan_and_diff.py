"""The plan (which queries a run ranks, partitions stable for the same inputs, a stored plan
read back unchanged), tie-breaking by target id, and the diff between two runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from matcher.batch.diff import diff_runs
from matcher.batch.engine import even_chunks, longest_first
from matcher.batch.plan import Partition, Plan, decide
from matcher.batch.queries import (
    FIRM_IMPORTERS,
    INQUIRY_SUPPLIERS,
    SERVICE_PARTNERS,
    Inputs,
    Query,
    QueryTexts,
)
from matcher.batch.worker import settle_ties
from matcher.storage import batch_runs
from matcher.storage.batch_runs import Recommendation
from matcher.storage.database import session_scope

AS_OF = dt.datetime(2026, 11, 23, 2, tzinfo=dt.UTC)
TASK_FPS = {INQUIRY_SUPPLIERS: "t1", FIRM_IMPORTERS: "t2", SERVICE_PARTNERS: "t3"}


def _inputs(
    needs: dict[str, str],
    task_fps: dict[str, str] = TASK_FPS,
    suppliers: dict[str, str] | None = None,
) -> Inputs:
    return Inputs(
        as_of=AS_OF,
        queries={
            INQUIRY_SUPPLIERS: [
                Query(INQUIRY_SUPPLIERS, key, i, None, fp)
                for i, (key, fp) in enumerate(sorted(needs.items()))
            ],
            FIRM_IMPORTERS: [Query(FIRM_IMPORTERS, "E1@HAN", 1, "HAN", "f")],
            SERVICE_PARTNERS: [],
        },
        task_fingerprints=task_fps,
        targets={INQUIRY_SUPPLIERS: suppliers or {"E1": "e1", "E2": "e2"}},
    )


def test_only_changed_queries_are_planned_and_partitions_are_stable() -> None:
    needs = {f"N{i:02d}": "same" for i in range(10)}
    candidates = {INQUIRY_SUPPLIERS: dict.fromkeys(needs, "c"), FIRM_IMPORTERS: {"E1@HAN": "c"}}
    first = decide(_inputs(needs), candidates, None, full=False, partition_size=4)
    assert first.reasons[INQUIRY_SUPPLIERS] == {"new": 10}
    parts = first.partitions()
    assert [(p.task, p.number, len(p.keys)) for p in parts] == [
        (INQUIRY_SUPPLIERS, 0, 4),
        (INQUIRY_SUPPLIERS, 1, 4),
        (INQUIRY_SUPPLIERS, 2, 2),
        (FIRM_IMPORTERS, 0, 1),
    ]
    assert parts[0].keys == ("N00", "N01", "N02", "N03")
    stored = Plan.from_json(first.to_json())
    assert Plan.read({**first.to_json(), "format": 1}) is None  # another format: rank all once
    assert stored.partitions() == parts and stored.as_of == AS_OF

    changed = {**needs, "N03": "edited", "N10": "new"}
    moved = {**candidates[INQUIRY_SUPPLIERS], "N07": "other candidates", "N10": "c"}
    second = decide(
        _inputs(changed),
        {INQUIRY_SUPPLIERS: moved, FIRM_IMPORTERS: {"E1@HAN": "c"}},
        Plan.read(first.to_json()),
        full=False,
        partition_size=4,
    )
    assert second.recompute[INQUIRY_SUPPLIERS] == ["N03", "N07", "N10"]
    assert second.reasons[INQUIRY_SUPPLIERS] == {"inputs": 1, "candidates": 1, "new": 1}
    assert second.recompute[FIRM_IMPORTERS] == []
    assert second.carry(FIRM_IMPORTERS) == ["E1@HAN"]
    assert len(second.carry(INQUIRY_SUPPLIERS)) == 8

    ranker = decide(
        _inputs(needs, {**TASK_FPS, FIRM_IMPORTERS: "a new ranker"}),
        candidates,
        Plan.read(first.to_json()),
        full=False,
        partition_size=4,
    )
    assert ranker.reasons == {
        INQUIRY_SUPPLIERS: {},
        FIRM_IMPORTERS: {"task": 1},
        SERVICE_PARTNERS: {},
    }
    # A supplier whose data changed re-ranks the inquiries it was recommended for.
    supplier = decide(
        _inputs(needs, suppliers={"E1": "e1 with new prices", "E2": "e2"}),
        candidates,
        Plan.read(first.to_json()),
        {INQUIRY_SUPPLIERS: {"N01": {"E2"}, "N05": {"E2", "E1"}, "N06": {"E1"}}},
        full=False,
        partition_size=4,
    )
    assert supplier.recompute[INQUIRY_SUPPLIERS] == ["N05", "N06"]
    assert supplier.reasons[INQUIRY_SUPPLIERS] == {"results": 2}
    # Unless the query was probed: its probe scored the changed supplier's rows and decided
    # (here it reached N06 only).
    probed = decide(
        _inputs(needs, suppliers={"E1": "e1 with new prices", "E2": "e2"}),
        candidates,
        Plan.read(first.to_json()),
        {INQUIRY_SUPPLIERS: {"N01": {"E2"}, "N05": {"E2", "E1"}, "N06": {"E1"}}},
        {INQUIRY_SUPPLIERS: {"N06"}},
        {INQUIRY_SUPPLIERS: {"N05", "N06"}},
        full=False,
        partition_size=4,
    )
    assert probed.recompute[INQUIRY_SUPPLIERS] == ["N06"]
    assert probed.reasons[INQUIRY_SUPPLIERS] == {"reached": 1}
    old = Plan.read(first.to_json())
    full = decide(_inputs(needs), candidates, old, full=True, partition_size=4)
    assert full.reasons[INQUIRY_SUPPLIERS] == {"full": 10}


def test_a_head_keeps_its_floor_and_an_older_head_means_its_entry_score() -> None:
    """A shortlist's head carries what every candidate outside it scores at most; a plan
    written before floors were kept (its head the MMR pool alone) reads as the float just
    below the entry score: the pool's members above it, the others at most at it."""
    plan = decide(_inputs({"N1": "a"}), {}, None, full=True, partition_size=10)
    plan.entries[FIRM_IMPORTERS] = {"F1@HAN": 0.5, "F2@HAN": 0.4, "F3@HAN": None}
    plan.heads[FIRM_IMPORTERS] = {"F1@HAN": [(7, 0.9), (8, 0.5)], "F2@HAN": [(9, 0.4)]}
    plan.floors[FIRM_IMPORTERS] = {"F1@HAN": 0.25, "F3@HAN": None}
    again = Plan.from_json(plan.to_json())
    assert again.floors == plan.floors and again.heads == plan.heads
    assert again.floor(FIRM_IMPORTERS, "F1@HAN") == 0.25
    assert again.floor(FIRM_IMPORTERS, "F3@HAN") == -math.inf  # the head holds them all
    older = again.floor(FIRM_IMPORTERS, "F2@HAN")
    assert older < 0.4 and math.nextafter(older, math.inf) == 0.4


@given(
    st.lists(st.text(max_size=3), max_size=300),
    st.integers(min_value=1, max_value=64),
    st.integers(min_value=0, max_value=16),
)
def test_texts_to_encode_are_spread_over_every_worker(
    items: list[str], most: int, workers: int
) -> None:
    """A night's few changed texts are spread over the workers, in chunks of at most
    ``most``, none larger than one worker's share (the largest is what the phase waits
    for)."""
    chunks = even_chunks(items, most, workers)
    assert [x for chunk in chunks for x in chunk] == items
    assert all(0 < len(chunk) <= most for chunk in chunks)
    if items:
        # The largest chunk: no larger than one worker's share.
        share = -(-len(items) // min(len(items), max(workers, 1)))
        assert max(map(len, chunks)) <= share
    assert even_chunks(["t"] * 521, 512, 2) == [["t"] * 261, ["t"] * 260]


def test_the_costliest_partitions_are_handed_out_first() -> None:
    """Partitions go out by their queries times the seconds a query of their task took in
    the last run, the costliest first: the last to finish are small ones."""
    a = Partition(INQUIRY_SUPPLIERS, 0, tuple("abcd"))
    b = Partition(INQUIRY_SUPPLIERS, 1, tuple("a"))
    c = Partition(FIRM_IMPORTERS, 0, tuple("abc"))
    d = Partition(SERVICE_PARTNERS, 0, tuple("ab"))
    costs = {
        INQUIRY_SUPPLIERS: {"queries": 10, "seconds": 1.0},
        FIRM_IMPORTERS: {"queries": 10, "seconds": 2.0},
    }
    # 0.4, 0.1, 0.6 s; partners unknown, counted at the costliest rate (0.2 a query).
    assert longest_first([a, b, c, d], costs) == [c, a, d, b]
    assert longest_first([a, b, c, d], {}) == [a, c, d, b]  # by size where nothing is known


def test_query_texts_give_each_first_stage_its_texts_and_the_encoder_each_text_once() -> None:
    texts = QueryTexts(
        needs={1: "query: noodles", 2: "query: valves"},
        documents={7: ["valve 8481", "pump 8413"], 8: ["valve 8481"]},
    )
    assert texts.all() == ["pump 8413", "query: noodles", "query: valves", "valve 8481"]
    inquiries = [
        Query(INQUIRY_SUPPLIERS, "N2", 2, None, "f"),
        Query(INQUIRY_SUPPLIERS, "N9", 9, None, "f"),
    ]
    assert texts.of(INQUIRY_SUPPLIERS, inquiries) == [["query: valves"], []]  # N9: gone
    firms = [
        Query(FIRM_IMPORTERS, "E7@HAN", 7, "HAN", "f"),
        Query(FIRM_IMPORTERS, "E9@HAN", 9, "HAN", "f"),
    ]
    assert texts.of(FIRM_IMPORTERS, firms) == [["valve 8481", "pump 8413"], []]
    with pytest.raises(ValueError, match="no per-query first stage"):
        texts.of(SERVICE_PARTNERS, [])


def _rec(
    query: str, rank: int, target: str, score: float, task: str = INQUIRY_SUPPLIERS
) -> Recommendation:
    return Recommendation(task, query, rank, target, score, None, [])


def test_ties_are_ordered_by_target_id() -> None:
    settled = settle_ties(
        [
            _rec("N1", 1, "E9", 0.9),
            _rec("N1", 2, "E5", 0.7),
            _rec("N1", 3, "E2", 0.7),
            _rec("N1", 4, "E1", 0.3),
        ]
    )
    assert [(r.rank, r.target_id) for r in settled] == [(1, "E9"), (2, "E2"), (3, "E5"), (4, "E1")]


def _commit(sessions: sessionmaker[Session], run_id: str, results: list[Recommendation]) -> None:
    with session_scope(sessions) as session:
        batch_runs.start_run(session, run_id, "full", {}, 1, None)
    batch_runs.write_partition(sessions, run_id, INQUIRY_SUPPLIERS, 0, 3, results, 0.1)
    with session_scope(sessions) as session:
        batch_runs.commit_run(session, run_id, {})


def test_diff_names_new_dropped_and_moved_matches(sessions: sessionmaker[Session]) -> None:
    _commit(
        sessions,
        "run-1",
        [_rec("N1", 1, "E1", 0.9), _rec("N1", 2, "E2", 0.8), _rec("N2", 1, "E3", 0.5)],
    )
    _commit(
        sessions,
        "run-2",
        [
            _rec("N1", 1, "E2", 0.95),
            _rec("N1", 2, "E1", 0.85),
            _rec("N3", 1, "E3", 0.6),
            _rec("N3", 1, "B1", 0.6, FIRM_IMPORTERS),
        ],
    )
    with session_scope(sessions) as session:
        diff = diff_runs(session, "run-1", "run-2")
        first = diff_runs(session, None, "run-1")
    assert [(c.task, c.query_key, c.target_id, c.rank) for c in diff.new] == [
        (FIRM_IMPORTERS, "N3", "B1", 1),
        (INQUIRY_SUPPLIERS, "N3", "E3", 1),
    ]
    assert [(c.query_key, c.target_id, c.previous_rank, c.rank) for c in diff.dropped] == [
        ("N2", "E3", 1, None)
    ]
    assert [
        (c.target_id, c.previous_rank, c.rank, c.previous_score, c.score) for c in diff.moved
    ] == [
        ("E1", 1, 2, 0.9, 0.85),
        ("E2", 2, 1, 0.8, 0.95),
    ]
    assert diff.counts() == {
        INQUIRY_SUPPLIERS: {"new": 1, "dropped": 1, "moved": 2},
        FIRM_IMPORTERS: {"new": 1, "dropped": 0, "moved": 0},
        SERVICE_PARTNERS: {"new": 0, "dropped": 0, "moved": 0},
    }
    assert len(first.new) == 3 and first.dropped == first.moved == ()
    assert all(c.change == "new" and c.previous_rank is None for c in first.new)


def test_schedule_refuses_a_malformed_cron_line(tmp_path: Path) -> None:
    from matcher.cli.main import app

    result = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path), "batch", "schedule", "--cron", "at two at night"]
    )
    assert result.exit_code == 2 and "error" in result.output
