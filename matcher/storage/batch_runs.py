"""The nightly batch's storage: runs, checkpointed partitions, recommendations, the served
run and the run lock.

Why this shape:
- A partition's recommendations and its checkpoint row are written in one transaction, so
  after a kill a partition is either wholly there (and skipped on resume) or not at all.
- ``batch_current`` names the served run. ``commit_run`` marks the run committed and points
  ``batch_current`` at it in one transaction: readers see the old run until that commit and
  the new one after it, never a mix.
- The lock is a single row with a heartbeat. A lock whose holder is a dead process on this
  host, or whose heartbeat is older than ``STALE_AFTER``, is stale and may be taken over.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from matcher.errors import ConflictError
from matcher.storage.database import session_scope
from matcher.storage.tables import (
    BatchCurrentRow,
    BatchLockRow,
    BatchPartitionRow,
    BatchRunRow,
    RecommendationRow,
)

STALE_AFTER = dt.timedelta(minutes=10)
TASKS = ("inquiry_suppliers", "firm_importers", "service_partners")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Recommendation:
    task: str
    query_key: str
    rank: int
    target_id: str
    score: float
    probability: float | None
    reasons: list[dict[str, Any]]


# --- the run lock ---------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_is_stale(row: BatchLockRow, now: dt.datetime | None = None) -> bool:
    now = now or _now()
    if row.host == socket.gethostname() and not _alive(row.pid):
        return True
    return row.heartbeat_at < now - STALE_AFTER


def acquire_lock(sessions: sessionmaker[Session], holder: str, run_id: str | None) -> bool:
    """Take the run lock; True if a stale lock was taken over. ``ConflictError`` if a live
    run holds it (naming it)."""
    now = _now()
    values = {
        "id": 1,
        "holder": holder,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "run_id": run_id,
        "acquired_at": now,
        "heartbeat_at": now,
    }
    try:
        with session_scope(sessions) as session:
            session.execute(insert(BatchLockRow).values(**values))
        return False
    except IntegrityError:
        pass
    with session_scope(sessions) as session:
        row = session.get(BatchLockRow, 1, with_for_update=True)
        if row is None:  # released meanwhile
            session.execute(insert(BatchLockRow).values(**values))
            return False
        if not lock_is_stale(row, now):
            raise ConflictError(
                f"another batch run holds the lock ({row.holder}, pid {row.pid} on "
                f"{row.host}, run {row.run_id}, last heartbeat {row.heartbeat_at:%H:%M:%S} UTC)"
            )
        session.execute(update(BatchLockRow).where(BatchLockRow.id == 1).values(**values))
        return True


def heartbeat(sessions: sessionmaker[Session], run_id: str | None = None) -> None:
    with session_scope(sessions) as session:
        values: dict[str, Any] = {"heartbeat_at": _now()}
        if run_id is not None:
            values["run_id"] = run_id
        session.execute(
            update(BatchLockRow)
            .where(BatchLockRow.id == 1, BatchLockRow.pid == os.getpid())
            .values(**values)
        )


def release_lock(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        session.execute(
            delete(BatchLockRow).where(BatchLockRow.id == 1, BatchLockRow.pid == os.getpid())
        )


# --- runs and partitions --------------------------------------------------------------------


def unfinished_run(session: Session) -> BatchRunRow | None:
    """The run a killed batch left ``running`` (the newest), to resume."""
    return session.scalar(
        select(BatchRunRow)
        .where(BatchRunRow.status == "running")
        .order_by(BatchRunRow.started_at.desc())
        .limit(1)
    )


def last_committed(session: Session) -> BatchRunRow | None:
    return session.scalar(
        select(BatchRunRow)
        .where(BatchRunRow.status == "committed")
        .order_by(BatchRunRow.finished_at.desc())
        .limit(1)
    )


def start_run(
    session: Session,
    run_id: str,
    kind: str,
    inputs: dict[str, Any],
    partitions_total: int,
    previous_run_id: str | None,
) -> BatchRunRow:
    row = BatchRunRow(
        run_id=run_id,
        kind=kind,
        status="running",
        started_at=_now(),
        previous_run_id=previous_run_id,
        inputs=inputs,
        partitions_total=partitions_total,
        partitions_done=0,
        summary={},
    )
    session.add(row)
    session.flush()
    return row


def finished_partitions(session: Session, run_id: str) -> set[tuple[str, int]]:
    rows = session.execute(
        select(BatchPartitionRow.task, BatchPartitionRow.partition_no).where(
            BatchPartitionRow.run_id == run_id
        )
    )
    return {(task, number) for task, number in rows}


def write_partition(
    sessions: sessionmaker[Session],
    run_id: str,
    task: str,
    partition_no: int,
    queries: int,
    results: Sequence[Recommendation],
    seconds: float,
) -> None:
    """A partition's rows and its checkpoint, in one transaction."""
    with session_scope(sessions) as session:
        if results:
            session.execute(
                insert(RecommendationRow),
                [
                    {
                        "run_id": run_id,
                        "task": r.task,
                        "query_key": r.query_key,
                        "rank": r.rank,
                        "target_id": r.target_id,
                        "score": r.score,
                        "probability": r.probability,
                        "reasons": r.reasons,
                    }
                    for r in results
                ],
            )
        session.add(
            BatchPartitionRow(
                run_id=run_id,
                task=task,
                partition_no=partition_no,
                queries=queries,
                rows=len(results),
                seconds=seconds,
                finished_at=_now(),
            )
        )
        session.execute(
            update(BatchRunRow)
            .where(BatchRunRow.run_id == run_id)
            .values(partitions_done=BatchRunRow.partitions_done + 1)
        )


@dataclass(frozen=True)
class Patched:
    """A query whose previous results a run patches instead of ranking it again: its
    targets in rank order, and the rows that are new or changed (target -> recommendation
    fields: score, probability, reasons); every other target's row is the previous run's."""

    order: tuple[str, ...]
    rows: Mapping[str, tuple[float, float | None, list[dict[str, Any]]]]


def patch_over(
    session: Session,
    run_id: str,
    previous_run_id: str,
    task: str,
    patches: Mapping[str, Patched],
) -> int:
    """Write patched queries' recommendations into this run: the previous run's rows,
    re-ranked with the new ones in their place (``Patched``). Returns the rows written."""
    keys = sorted(patches)
    written = 0
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        before: dict[tuple[str, str], RecommendationRow] = {
            (row.query_key, row.target_id): row
            for row in session.scalars(
                select(RecommendationRow).where(
                    RecommendationRow.run_id == previous_run_id,
                    RecommendationRow.task == task,
                    RecommendationRow.query_key.in_(chunk),
                )
            )
        }
        rows = []
        for key in chunk:
            patch = patches[key]
            for rank, target in enumerate(patch.order, start=1):
                if target in patch.rows:
                    score, probability, reasons = patch.rows[target]
                else:
                    old = before.get((key, target))
                    if old is None:
                        raise ValueError(
                            f"patching {task} {key!r}: {target!r} has no row in run "
                            f"{previous_run_id} to keep"
                        )
                    score, probability, reasons = old.score, old.probability, old.reasons
                rows.append(
                    {
                        "run_id": run_id,
                        "task": task,
                        "query_key": key,
                        "rank": rank,
                        "target_id": target,
                        "score": score,
                        "probability": probability,
                        "reasons": reasons,
                    }
                )
        if rows:
            session.execute(insert(RecommendationRow), rows)
        written += len(rows)
    return written


def carry_over(
    session: Session, run_id: str, previous_run_id: str, task: str, query_keys: Iterable[str]
) -> int:
    """Copy unchanged queries' recommendations from the previous run into this one, so every
    run is complete on its own. Returns the rows copied."""
    keys = sorted(set(query_keys))
    copied = 0
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        source = select(
            literal(run_id, RecommendationRow.run_id.type).label("run_id"),
            RecommendationRow.task,
            RecommendationRow.query_key,
            RecommendationRow.rank,
            RecommendationRow.target_id,
            RecommendationRow.score,
            RecommendationRow.probability,
            RecommendationRow.reasons,
        ).where(
            RecommendationRow.run_id == previous_run_id,
            RecommendationRow.task == task,
            RecommendationRow.query_key.in_(chunk),
        )
        result = session.execute(
            insert(RecommendationRow).from_select(
                [
                    "run_id",
                    "task",
                    "query_key",
                    "rank",
                    "target_id",
                    "score",
                    "probability",
                    "reasons",
                ],
                source,
            )
        )
        copied += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return copied


def store_plan(session: Session, run_id: str, inputs: dict[str, Any]) -> None:
    """Replace the run's stored plan (at commit: with what its ranking learnt, the entry
    scores the next run probes against)."""
    session.execute(update(BatchRunRow).where(BatchRunRow.run_id == run_id).values(inputs=inputs))


def commit_run(session: Session, run_id: str, summary: dict[str, Any]) -> None:
    """Mark the run committed and serve it, in the caller's one transaction."""
    now = _now()
    session.execute(
        update(BatchRunRow)
        .where(BatchRunRow.run_id == run_id)
        .values(status="committed", finished_at=now, summary=summary)
    )
    if session.get(BatchCurrentRow, 1) is None:
        session.add(BatchCurrentRow(id=1, run_id=run_id, switched_at=now))
    else:
        session.execute(
            update(BatchCurrentRow)
            .where(BatchCurrentRow.id == 1)
            .values(run_id=run_id, switched_at=now)
        )


def fail_run(session: Session, run_id: str, summary: dict[str, Any]) -> None:
    session.execute(
        update(BatchRunRow)
        .where(BatchRunRow.run_id == run_id)
        .values(status="failed", finished_at=_now(), summary=summary)
    )


def current_run_id(session: Session) -> str | None:
    row = session.get(BatchCurrentRow, 1)
    return None if row is None else row.run_id


def served(
    session: Session, task: str, query_key: str, run_id: str | None = None
) -> tuple[str | None, list[RecommendationRow]]:
    """The served run's recommendations for one query, best first."""
    run = run_id or current_run_id(session)
    if run is None:
        return None, []
    rows = session.scalars(
        select(RecommendationRow)
        .where(
            RecommendationRow.run_id == run,
            RecommendationRow.task == task,
            RecommendationRow.query_key == query_key,
        )
        .order_by(RecommendationRow.rank)
    )
    return run, list(rows)


def runs_query(status: str | None = None, kind: str | None = None) -> Select[Any]:
    """The runs, filtered by status and kind where given (the caller orders and pages)."""
    stmt = select(BatchRunRow)
    if status is not None:
        stmt = stmt.where(BatchRunRow.status == status)
    if kind is not None:
        stmt = stmt.where(BatchRunRow.kind == kind)
    return stmt


def partition_progress(session: Session, run_id: str) -> list[dict[str, Any]]:
    """Per task: finished partitions, their queries, rows and seconds."""
    rows = session.execute(
        select(
            BatchPartitionRow.task,
            func.count(),
            func.coalesce(func.sum(BatchPartitionRow.queries), 0),
            func.coalesce(func.sum(BatchPartitionRow.rows), 0),
            func.coalesce(func.sum(BatchPartitionRow.seconds), 0.0),
        )
        .where(BatchPartitionRow.run_id == run_id)
        .group_by(BatchPartitionRow.task)
        .order_by(BatchPartitionRow.task)
    )
    return [
        {
            "task": task,
            "partitions": int(n),
            "queries": int(queries),
            "rows": int(count),
            "seconds": float(seconds),
        }
        for task, n, queries, count, seconds in rows
    ]
