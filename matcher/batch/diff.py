"""What changed between two runs: new, dropped and moved matches.

A match is a (task, query, target) triple. *New*: in this run and not in the previous one;
*dropped*: the reverse; *moved*: in both at a different rank. With no previous run every match
is new. Staff start the day from this, so it is computed from the stored rows (one narrow
read per run, joined in pandas) rather than from what the batch happened to recompute: a
carried-over query can still gain or lose a match only if its rows differ, and then it
shows.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from matcher.storage.batch_queries import run_ranks
from matcher.storage.batch_runs import TASKS

Change = Literal["new", "dropped", "moved"]
MatchKey = tuple[str, str, str]


@dataclass(frozen=True)
class MatchChange:
    """One match that is new, dropped or moved (ranks 1-based; the missing side None)."""

    change: Change
    task: str
    query_key: str
    target_id: str
    previous_rank: int | None
    rank: int | None
    previous_score: float | None
    score: float | None

    @property
    def key(self) -> MatchKey:
        return (self.task, self.query_key, self.target_id)


@dataclass(frozen=True)
class RunDiff:
    """Each list sorted by (task, query key, target id)."""

    previous_run_id: str | None
    run_id: str
    new: tuple[MatchChange, ...]
    dropped: tuple[MatchChange, ...]
    moved: tuple[MatchChange, ...]

    def counts(self) -> dict[str, dict[str, int]]:
        """``{task: {"new": n, "dropped": n, "moved": n}}`` for every task."""
        out = {task: {"new": 0, "dropped": 0, "moved": 0} for task in TASKS}
        for kind, changes in (("new", self.new), ("dropped", self.dropped), ("moved", self.moved)):
            for task, n in Counter(c.task for c in changes).items():
                out.setdefault(task, {"new": 0, "dropped": 0, "moved": 0})[kind] = n
        return out


def _optional_float(value: Any) -> float | None:
    """A merged column's value; NaN where the match is missing from that run."""
    number = float(value)
    return None if math.isnan(number) else number


def _optional_int(value: Any) -> int | None:
    number = _optional_float(value)
    return None if number is None else int(number)


def diff_runs(session: Session, previous_run_id: str | None, run_id: str) -> RunDiff:
    """New, dropped and moved matches of ``run_id`` against ``previous_run_id`` (None: a
    first run, every match new)."""
    after = run_ranks(session, run_id)
    before = run_ranks(session, previous_run_id) if previous_run_id else after.iloc[:0]
    keys = ["task", "query_key", "target_id"]
    both = after.merge(before, on=keys, how="outer", suffixes=("", "_prev"), indicator=True)
    where = both.pop("_merge").astype(str)
    moved = (where == "both") & (both["rank"] != both["rank_prev"])
    both["change"] = where.map({"left_only": "new", "right_only": "dropped"}).where(
        where != "both", moved.map({True: "moved", False: ""})
    )
    changed = both[both["change"] != ""].sort_values(keys, kind="stable")
    out: dict[str, list[MatchChange]] = {"new": [], "dropped": [], "moved": []}
    for side in changed.to_dict("records"):
        out[str(side["change"])].append(
            MatchChange(
                side["change"],
                str(side["task"]),
                str(side["query_key"]),
                str(side["target_id"]),
                _optional_int(side["rank_prev"]),
                _optional_int(side["rank"]),
                _optional_float(side["score_prev"]),
                _optional_float(side["score"]),
            )
        )
    return RunDiff(
        previous_run_id, run_id, tuple(out["new"]), tuple(out["dropped"]), tuple(out["moved"])
    )
