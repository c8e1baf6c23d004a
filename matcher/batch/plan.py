"""Which queries a run ranks, which it carries over, and how the ranked ones are partitioned.

The plan is decided once, before the run's row exists, and stored in ``BatchRunRow.inputs``:
a resumed run reads it back instead of deciding again, so it ranks exactly the partitions
the killed one had left (with the same ``as_of``), and partition numbers mean the same
thing in both. Partitions are the recomputed keys of a task, sorted, chunked by
``batch_partition_size``: the same inputs give the same partitions.

The stored fingerprints (input and candidate, per query, and a digest per recommendable firm
or importer) are what the next incremental run compares against; 16 hex digits each keep a
plan of 50k queries over 70k firms and importers near 6 MB of JSON. The screens (per query
with a first stage: its top candidates and their threshold similarity) let the next run
screen only the queries a changed item can reach (``batch.screening``); at the default
depth (all 200 candidates) they add ~30 MB of JSON for 20k queries, which is what the
scaling note's "plan to a table" item is about.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from matcher.batch.queries import Inputs
from matcher.batch.screening import Screened
from matcher.storage.batch_runs import TASKS, Patched

PLAN_FORMAT = 4
# Why a query is ranked again (the summary counts them). REACHED: a changed or entering
# candidate now scores at or above the last ranking's entry score (``worker.probe``).
NEW, INPUTS, CANDIDATES, REACHED, RESULTS, TASK, FULL = (
    "new",
    "inputs",
    "candidates",
    "reached",
    "results",
    "task",
    "full",
)


@dataclass(frozen=True)
class Partition:
    task: str
    number: int
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Patch:
    """A query the run patches instead of ranking again (``worker.probe``): its new results
    (``Patched``: written at commit over the last run's rows), the entry score they leave,
    and for an inquiry the rows they are shown from (the last run's and the new ones: a
    superset of what is shown, which at worst ranks the inquiry again one night), for a
    shortlist the MMR pool it was re-picked from (``Plan.heads``)."""

    results: Patched
    entry: float
    shown: tuple[str, ...]
    head: tuple[tuple[int, float], ...] = ()
    floor: float = -math.inf


@dataclass
class Plan:
    as_of: dt.datetime
    full: bool
    partition_size: int
    task_fingerprints: dict[str, str]
    fingerprints: dict[str, dict[str, tuple[str, str]]]  # task -> key -> (inputs, candidates)
    recompute: dict[str, list[str]]  # task -> sorted keys ranked by this run
    targets: dict[str, dict[str, str]] = field(default_factory=dict)  # task -> target -> digest
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # screening timings, index versions
    # task -> key -> its top candidates, threshold and filter fields (``worker.Screened``):
    # what the next run's screening tests
    screens: dict[str, dict[str, Screened]] = field(default_factory=dict)
    # task -> key -> the score a candidate must reach to change the query's results, as its
    # last ranking left it (``RankOutcome.entry_score``; None: -inf, anything would). Set
    # at commit, from the ranked partitions and the carried queries' last entries.
    entries: dict[str, dict[str, float | None]] = field(default_factory=dict)
    # task -> key -> the rows its results were shown from (a supplier's product, external
    # ids), in rank order: a changed shown row re-ranks the query (``worker.probe``).
    shown: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # task -> key -> the pool its picks came from, (candidate id, score) best first
    # (``RankOutcome.head``; shortlists only): a changed importer that enters it is tested
    # by re-picking from it (``RankingPipeline.repick``) before the shortlist is re-ranked.
    heads: dict[str, dict[str, list[tuple[int, float]]]] = field(default_factory=dict)
    # task -> key -> what every candidate outside its head scores at most (None: -inf, the
    # head holds every candidate); a head recorded without one is the MMR pool alone, whose
    # floor is the entry score.
    floors: dict[str, dict[str, float | None]] = field(default_factory=dict)
    # task -> key -> the patch that replaces ranking the query again (carried queries only)
    patches: dict[str, dict[str, Patch]] = field(default_factory=dict)

    def carry(self, task: str) -> list[str]:
        """The task's queries whose previous recommendations this run copies."""
        return sorted(set(self.fingerprints[task]) - set(self.recompute[task]))

    def partitions(self) -> list[Partition]:
        out = []
        size = self.partition_size
        for task in TASKS:
            keys = self.recompute[task]
            for number, start in enumerate(range(0, len(keys), size)):
                out.append(Partition(task, number, tuple(keys[start : start + size])))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "as_of": self.as_of.isoformat(),
            "full": self.full,
            "partition_size": self.partition_size,
            "task_fingerprints": self.task_fingerprints,
            "fingerprints": {
                task: {key: list(pair) for key, pair in sorted(fps.items())}
                for task, fps in self.fingerprints.items()
            },
            "recompute": self.recompute,
            "targets": self.targets,
            "reasons": self.reasons,
            "extra": self.extra,
            "screens": {
                task: {
                    key: [
                        _finite(s.threshold),
                        list(s.ids),
                        list(s.fields),
                        s.spread and list(s.spread),
                    ]
                    for key, s in sorted(items.items())
                }
                for task, items in self.screens.items()
            },
            "shown": {task: dict(sorted(s.items())) for task, s in self.shown.items()},
            "heads": {
                task: {key: [[i, v] for i, v in head] for key, head in sorted(h.items())}
                for task, h in self.heads.items()
            },
            "entries": {
                task: {key: None if v is None else _finite(v) for key, v in sorted(e.items())}
                for task, e in self.entries.items()
            },
            "floors": {
                task: {key: None if v is None else _finite(v) for key, v in sorted(f.items())}
                for task, f in self.floors.items()
            },
            "patches": {
                task: {
                    key: {
                        "order": list(p.results.order),
                        "rows": {t: list(row) for t, row in sorted(p.results.rows.items())},
                        "entry": _finite(p.entry),
                        "shown": list(p.shown),
                        "head": [[i, v] for i, v in p.head],
                        "floor": _finite(p.floor),
                    }
                    for key, p in sorted(patches.items())
                }
                for task, patches in self.patches.items()
            },
        }

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> Plan | None:
        """A stored plan, or None where this code cannot read it (another format): the
        next run then ranks everything once."""
        try:
            return cls.from_json(data)
        except (ValueError, KeyError, TypeError):
            return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"batch plan format {data.get('format')!r} is not {PLAN_FORMAT}")
        return cls(
            as_of=dt.datetime.fromisoformat(data["as_of"]),
            full=bool(data["full"]),
            partition_size=int(data["partition_size"]),
            task_fingerprints=dict(data["task_fingerprints"]),
            fingerprints={
                task: {key: (pair[0], pair[1]) for key, pair in fps.items()}
                for task, fps in data["fingerprints"].items()
            },
            recompute={task: list(keys) for task, keys in data["recompute"].items()},
            targets={task: dict(t) for task, t in data.get("targets", {}).items()},
            reasons={task: dict(r) for task, r in data.get("reasons", {}).items()},
            extra=dict(data.get("extra", {})),
            screens={
                task: {
                    key: Screened(
                        tuple(int(i) for i in ids),
                        -math.inf if t is None else float(t),
                        tuple(str(f) for f in fields),
                        None if spread is None else tuple(float(v) for v in spread),
                    )
                    for key, (t, ids, fields, spread) in items.items()
                }
                for task, items in data.get("screens", {}).items()
            },
            entries={
                task: {key: None if v is None else float(v) for key, v in e.items()}
                for task, e in data.get("entries", {}).items()
            },
            shown={
                task: {key: [str(i) for i in ids] for key, ids in s.items()}
                for task, s in data.get("shown", {}).items()
            },
            heads={
                task: {key: [(int(i), float(v)) for i, v in head] for key, head in h.items()}
                for task, h in data.get("heads", {}).items()
            },
            floors={
                task: {key: None if v is None else float(v) for key, v in f.items()}
                for task, f in data.get("floors", {}).items()
            },
            patches={
                task: {
                    key: Patch(
                        Patched(
                            tuple(str(t) for t in p["order"]),
                            {
                                str(t): (
                                    float(score),
                                    None if probability is None else float(probability),
                                    list(reasons),
                                )
                                for t, (score, probability, reasons) in p["rows"].items()
                            },
                        ),
                        -math.inf if p["entry"] is None else float(p["entry"]),
                        tuple(str(i) for i in p["shown"]),
                        tuple((int(i), float(v)) for i, v in p.get("head", ())),
                        -math.inf if p.get("floor") is None else float(p["floor"]),
                    )
                    for key, p in patches.items()
                }
                for task, patches in data.get("patches", {}).items()
            },
        )

    def floor(self, task: str, key: str) -> float:
        """What every candidate outside the query's head scores at most, the head's members
        scoring above it: recorded with the head. A head recorded without one (by an older
        run: the MMR pool alone, its last member at the entry score) gets the float just
        below its entry score, so that its members are above it and the others at most at
        the entry (ties with them go the way they went)."""
        if key in self.floors.get(task, {}):
            value = self.floors[task][key]
            return -math.inf if value is None else value
        entry = self.entry(task, key)
        return -math.inf if entry is None else math.nextafter(entry, -math.inf)

    def entry(self, task: str, key: str) -> float | None:
        """The query's last entry score; None where none is recorded (then the query is
        screened and compared as a whole)."""
        if key not in self.entries.get(task, {}):
            return None
        value = self.entries[task][key]
        return -math.inf if value is None else value


def _finite(value: float) -> float | None:
    """JSON has no infinity: a threshold of -inf (fewer candidates than the depth) is null."""
    return None if math.isinf(value) else value


def decide(
    inputs: Inputs,
    candidates: Mapping[str, Mapping[str, str]],
    old: Plan | None,
    previous_results: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None,
    reached: Mapping[str, set[str]] | None = None,
    probed: Mapping[str, set[str]] | None = None,
    *,
    full: bool,
    partition_size: int,
) -> Plan:
    """The plan against the last committed run's plan (``old``, read back with
    ``Plan.read``; None: none, or one this code cannot read) and what its queries
    recommended (``previous_results``: task -> key -> target id -> score). ``candidates``:
    task -> key -> candidate fingerprint from the first stage (tasks without a per-query
    first stage map to ''). ``reached``: task -> keys whose probed candidates can change
    their results. ``probed``: task -> keys that were probed; a changed target among their
    results does not re-rank them by itself, since the probe scored every row of every
    changed target in their pools and decided (re-rank, re-pick or patch)."""
    results = previous_results or {}
    hits = reached or {}
    scored = probed or {}
    fingerprints: dict[str, dict[str, tuple[str, str]]] = {}
    recompute: dict[str, list[str]] = {}
    reasons: dict[str, dict[str, int]] = {}
    for task in TASKS:
        fps = {
            q.key: (q.inputs, candidates.get(task, {}).get(q.key, "")) for q in inputs.queries[task]
        }
        before = old.fingerprints.get(task, {}) if old is not None else {}
        same_task = (
            old is not None and old.task_fingerprints.get(task) == (inputs.task_fingerprints[task])
        )
        was = old.targets.get(task, {}) if old is not None else {}
        now = inputs.targets.get(task, {})
        why: Counter[str] = Counter()
        chosen = []
        for key in sorted(fps):
            if full:
                reason = FULL
            elif key not in before:
                reason = NEW
            elif not same_task:
                reason = TASK
            elif before[key][0] != fps[key][0]:
                reason = INPUTS
            elif before[key][1] != fps[key][1]:
                reason = CANDIDATES
            elif key in hits.get(task, ()):
                reason = REACHED
            elif key not in scored.get(task, ()) and any(
                was.get(t) != now.get(t) for t in results.get(task, {}).get(key, ())
            ):
                reason = RESULTS
            else:
                continue
            why[reason] += 1
            chosen.append(key)
        fingerprints[task], recompute[task], reasons[task] = fps, chosen, dict(why)
    return Plan(
        as_of=inputs.as_of,
        full=full,
        partition_size=partition_size,
        task_fingerprints=dict(inputs.task_fingerprints),
        fingerprints=fingerprints,
        recompute=recompute,
        targets={task: dict(t) for task, t in inputs.targets.items()},
        reasons=reasons,
    )
