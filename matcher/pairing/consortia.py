"""Consortium proposal: manufacturers going to one market together with 2-4 service firms
that close their gaps, as a mixed-integer program (``scipy.optimize.milp``, HiGHS).

Groups of manufacturers are formed first:

- **cross-industry** mode: each manufacturer is its own group (one firm, its service team);
- **same-industry** mode: manufacturers of one industry share a consortium (a shared booth,
  shared logistics), up to ``group_size`` per group, in profile order.

Then the program chooses service firms per group. Variables: ``x[c, s]`` = 1 when service
firm ``s`` joins consortium ``c``; ``y[m, g]`` in [0, 1], the coverage of gap ``g`` of member
``m``. Maximise sum of gap weights x coverage, subject to:

- ``y[m, g] <= sum_s close[m, g, s] x[c(m), s]`` (a gap counts once some member service firm
  closes it; ``close`` is 1 where the firm's offering closes it for this market);
- ``sum_s x[c, s] <= max_services`` per consortium (4 by default). Coverage fills teams;
  where capacity runs out a consortium can end with fewer than ``min_services`` firms, and
  is flagged ``short`` rather than making the whole program infeasible;
- ``sum_c members(c) x[c, s] <= capacity(s)`` (a service firm's monthly pairings), and
  ``sum_c x[c, s] <= max_consortia`` (each firm in at most M consortia).

A gap's weight is the strength with which the best available service type closes it. The LP
relaxation's optimum is an upper bound on coverage; both are reported.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matcher._lazy import require
from matcher.pairing.gaps import Gap
from matcher.pairing.partners import ServiceOffer, closed_gaps


@dataclass(frozen=True)
class Member:
    firm_id: int
    industry: str | None
    gaps: tuple[Gap, ...]


@dataclass(frozen=True)
class Consortium:
    manufacturers: tuple[int, ...]
    services: tuple[int, ...]  # service firm ids
    covered: tuple[tuple[int, str, str, int], ...]  # (manufacturer, gap kind, detail, firm)
    open_gaps: tuple[tuple[int, str, str], ...]  # (manufacturer, gap kind, detail)
    short: bool = False  # fewer service firms than ``min_services``


@dataclass(frozen=True)
class Proposal:
    consortia: tuple[Consortium, ...]
    coverage: float  # achieved weighted gap coverage, share of all members' gap weight
    bound: float  # LP-relaxation upper bound on the same share
    load: dict[int, int]  # service firm -> manufacturers it serves across consortia
    capacity: dict[int, int]
    seconds: float
    status: str


def _groups(members: Sequence[Member], mode: str, group_size: int) -> list[list[int]]:
    if mode == "cross_industry":
        return [[i] for i in range(len(members))]
    if mode != "same_industry":
        raise ValueError(f"mode must be 'cross_industry' or 'same_industry', not '{mode}'")
    by_industry: dict[str, list[int]] = {}
    for i, m in enumerate(members):
        by_industry.setdefault(m.industry or "other", []).append(i)
    out = []
    for indices in by_industry.values():
        out += [indices[j : j + group_size] for j in range(0, len(indices), group_size)]
    return out


def _prepare(
    members: Sequence[Member],
    offers: Sequence[ServiceOffer],
    market: str,
    mode: str,
    group_size: int,
    max_consortia: int,
) -> tuple[str, list[list[int]], list[int], dict[int, int], list[tuple[int, Gap, float, set[int]]]]:
    """(market, groups, service firm ids, capacities, gap rows) shared by both solvers."""
    market = market.strip().upper()
    groups = _groups(members, mode, group_size)
    firms = sorted({o.firm_id for o in offers})
    capacity = dict.fromkeys(firms, 0)
    for o in offers:
        cap = o.capacity_left if o.capacity_left is not None else max_consortia * group_size
        capacity[o.firm_id] = max(capacity[o.firm_id], max(cap, 0))
    # Gap rows: (member, gap, weight, the firms that close it).
    gap_rows: list[tuple[int, Gap, float, set[int]]] = []
    for i, member in enumerate(members):
        for gap in member.gaps:
            closers = {o.firm_id for o in offers if closed_gaps(o, [gap], market)}
            weight = max((c.strength for c in gap.closes), default=0.0)
            if weight > 0:
                gap_rows.append((i, gap, weight, closers))
    return market, groups, firms, capacity, gap_rows


def _proposal(
    members: Sequence[Member],
    groups: list[list[int]],
    firms: list[int],
    capacity: dict[int, int],
    gap_rows: list[tuple[int, Gap, float, set[int]]],
    teams: list[list[int]],
    *,
    bound: float,
    seconds: float,
    status: str,
    min_services: int,
) -> Proposal:
    group_of = {i: c for c, g in enumerate(groups) for i in g}
    total = sum(w for _, _, w, _ in gap_rows) or 1.0
    load = dict.fromkeys(firms, 0)
    consortia = []
    for c, g in enumerate(groups):
        team = teams[c]
        for f in team:
            load[f] += len(g)
        covered, uncovered = [], []
        for i, gap, _, closers in gap_rows:
            if group_of[i] != c:
                continue
            by = sorted(set(team) & closers)
            if by:
                covered.append((members[i].firm_id, gap.kind.value, gap.detail, by[0]))
            else:
                uncovered.append((members[i].firm_id, gap.kind.value, gap.detail))
        consortia.append(
            Consortium(
                tuple(members[i].firm_id for i in g),
                tuple(team),
                tuple(covered),
                tuple(uncovered),
                short=len(team) < min_services,
            )
        )
    achieved = sum(w for i, _, w, closers in gap_rows if closers & set(teams[group_of[i]]))
    return Proposal(
        tuple(consortia),
        achieved / total,
        bound / total,
        {f: n for f, n in load.items() if n},
        capacity,
        seconds,
        status,
    )


def greedy_consortia(
    members: Sequence[Member],
    offers: Sequence[ServiceOffer],
    market: str,
    *,
    mode: str = "cross_industry",
    group_size: int = 3,
    min_services: int = 2,
    max_services: int = 4,
    max_consortia: int = 3,
) -> Proposal:
    """The greedy baseline: consortia in order of their open gap weight each take, up to
    ``max_services`` times, the service firm with the largest gain in covered weight that
    still has capacity. Per consortium this is the classic max-coverage greedy (within
    1 - 1/e of that consortium's best team); across consortia it ignores who else needs a
    scarce firm, which the MILP does not. ``bound`` is NaN (the MILP reports the LP bound)."""
    start = time.perf_counter()
    market, groups, firms, capacity, gap_rows = _prepare(
        members, offers, market, mode, group_size, max_consortia
    )
    group_of = {i: c for c, g in enumerate(groups) for i in g}
    rows_of: list[list[tuple[float, set[int]]]] = [[] for _ in groups]
    for i, _, w, closers in gap_rows:
        rows_of[group_of[i]].append((w, closers))
    left = dict(capacity)
    used = dict.fromkeys(firms, 0)
    teams: list[list[int]] = [[] for _ in groups]
    order = sorted(range(len(groups)), key=lambda c: -sum(w for w, _ in rows_of[c]))
    for c in order:
        open_rows = list(rows_of[c])
        size = len(groups[c])
        while len(teams[c]) < max_services and open_rows:
            gains: dict[int, float] = {}
            for w, closers in open_rows:
                for f in closers:
                    if left[f] >= size and used[f] < max_consortia and f not in teams[c]:
                        gains[f] = gains.get(f, 0.0) + w
            if not gains:
                break
            best = max(sorted(gains), key=lambda f: gains[f])
            teams[c].append(best)
            left[best] -= size
            used[best] += 1
            open_rows = [(w, cl) for w, cl in open_rows if best not in cl]
    return _proposal(
        members,
        groups,
        firms,
        capacity,
        gap_rows,
        teams,
        bound=float("nan"),
        seconds=time.perf_counter() - start,
        status="greedy",
        min_services=min_services,
    )


def propose_consortia(
    members: Sequence[Member],
    offers: Sequence[ServiceOffer],
    market: str,
    *,
    mode: str = "cross_industry",
    group_size: int = 3,
    min_services: int = 2,
    max_services: int = 4,
    max_consortia: int = 3,
    time_limit: float = 10.0,
) -> Proposal:
    """Consortia for ``members`` in ``market`` from service firms' ``offers`` (a firm with
    several offerings closes what any of them closes; its capacity is the largest stated)."""
    optimize = require("scipy.optimize", "scipy")
    start = time.perf_counter()
    market, groups, firms, capacity, gap_rows = _prepare(
        members, offers, market, mode, group_size, max_consortia
    )
    col = {f: j for j, f in enumerate(firms)}
    group_of = {i: c for c, g in enumerate(groups) for i in g}
    n_c, n_s, n_y = len(groups), len(firms), len(gap_rows)
    n_x = n_c * n_s
    if n_y == 0 or n_s == 0:
        empty = tuple(Consortium(tuple(members[i].firm_id for i in g), (), (), ()) for g in groups)
        return Proposal(empty, 0.0, 0.0, {}, capacity, time.perf_counter() - start, "no gaps")

    def x(c: int, s: int) -> int:
        return c * n_s + s

    objective = np.zeros(n_x + n_y)
    objective[n_x:] = -np.asarray([w for _, _, w, _ in gap_rows])  # milp minimises
    rows: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []
    for r, (i, _, _, closers) in enumerate(gap_rows):  # y <= sum of closing members
        row = np.zeros(n_x + n_y)
        row[n_x + r] = 1.0
        for f in closers:
            row[x(group_of[i], col[f])] = -1.0
        rows.append(row)
        lower.append(-np.inf)
        upper.append(0.0)
    # A firm only joins a consortium some member of which it helps.
    helpful: list[set[int]] = [set() for _ in groups]
    for i, _, _, closers in gap_rows:
        helpful[group_of[i]] |= {col[f] for f in closers}
    x_upper = np.zeros(n_x)
    for c in range(n_c):  # team size
        x_upper[[x(c, s) for s in helpful[c]]] = 1.0
        row = np.zeros(n_x + n_y)
        row[[x(c, s) for s in range(n_s)]] = 1.0
        rows.append(row)
        lower.append(0.0)  # short teams are reported (``Consortium.short``), not infeasible
        upper.append(float(max_services))
    for s, f in enumerate(firms):  # capacity and at most M consortia
        load_row = np.zeros(n_x + n_y)
        count_row = np.zeros(n_x + n_y)
        for c, g in enumerate(groups):
            load_row[x(c, s)] = len(g)
            count_row[x(c, s)] = 1.0
        rows += [load_row, count_row]
        lower += [-np.inf, -np.inf]
        upper += [float(capacity[f]), float(max_consortia)]
    constraints = optimize.LinearConstraint(np.vstack(rows), lower, upper)
    bounds = optimize.Bounds(np.zeros(n_x + n_y), np.concatenate([x_upper, np.ones(n_y)]))
    integrality = np.concatenate([np.ones(n_x), np.zeros(n_y)])
    relaxed = optimize.milp(objective, constraints=constraints, bounds=bounds)
    result = optimize.milp(
        objective,
        constraints=constraints,
        bounds=bounds,
        integrality=integrality,
        options={"time_limit": time_limit},
    )
    if result.x is None:
        raise RuntimeError(f"consortium program found no solution: {result.message}")
    chosen = np.round(result.x[:n_x]).reshape(n_c, n_s).astype(bool)
    teams = [[firms[s] for s in np.flatnonzero(chosen[c])] for c in range(n_c)]
    return _proposal(
        members,
        groups,
        firms,
        capacity,
        gap_rows,
        teams,
        bound=-float(relaxed.fun) if relaxed.x is not None else float("nan"),
        seconds=time.perf_counter() - start,
        status=str(result.message),
        min_services=min_services,
    )
