"""Ranking 200 candidates: pair frame, features, exclusions, score, MMR and explanations.

The store is a generated demo (profiles, recorded funnel history, market prior); each query is
a firm and 200 importers with cosine similarities drawn like e5's (mean 0.80, sd 0.04), so no
encoder runs. Timed per query, for the rule ranker and a learned ranker fitted on the demo's
own events. Baseline in the same run: ordering the same 200 candidates by cosine alone
(``argsort``), the floor any ranking layer is compared with.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import console, percentiles, print_table
from matcher.config import Settings
from matcher.features import pairs as pair_frames
from matcher.features import registry
from matcher.features.history import seconds
from matcher.ranking.base import Ranker
from matcher.ranking.learned import LTRRanker, TrainingSet
from matcher.ranking.pipeline import RankingPipeline
from matcher.ranking.rule import RuleRanker
from matcher.runtime import Runtime

CANDIDATES = 200


def _learned(runtime: Runtime, rng: np.random.Generator) -> LTRRanker:
    """A learned ranker fitted on the demo's recorded pairs (timing only; see
    `tradematch evaluate ranking` for its quality)."""
    ctx = runtime.pair_context()
    t = ctx.timeline
    n = min(t.size, 6000)
    pick = rng.choice(t.size, n, replace=False)
    frame = pair_frames.build(
        ctx,
        t.exporter[pick],
        t.buyer[pick],
        t.start[pick],
        similarity=rng.normal(0.8, 0.04, n),
    )
    features = registry.compute(frame, tuple(registry.FEATURES))
    labels = t.grade_as_of(int(t.start.max()) + 1)[pick]
    order = np.argsort(t.exporter[pick], kind="stable")
    groups = np.unique(t.exporter[pick][order], return_counts=True)[1]
    return LTRRanker(n_estimators=200).fit(
        TrainingSet(features.iloc[order].reset_index(drop=True), labels[order], groups),
        calibration=TrainingSet(features, labels, np.asarray([n])),
    )


def run(exporters: int, queries: int, seed: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-rank-") as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)
        runtime = Runtime(settings)
        runtime.upgrade_schema()
        from matcher.demo.generator import generate_demo
        from matcher.demo.load import load_demo

        generate_demo(settings.demo_dir, exporters=exporters, seed=seed)
        load_demo(settings.demo_dir, runtime.sessions)
        t0 = time.perf_counter()
        context = runtime.pair_context()
        console.print(
            f"demo {exporters} firms: {len(context.exporters)} with products, "
            f"{len(context.buyers)} importers, {context.timeline.size} recorded pairs; "
            f"context loaded in {time.perf_counter() - t0:.1f}s"
        )
        rng = np.random.default_rng(seed)
        rankers: dict[str, Ranker] = {"rule": RuleRanker(), "ltr": _learned(runtime, rng)}
        firms = rng.choice(context.exporters.index.to_numpy(), queries)
        buyer_ids = context.buyers.index.to_numpy()
        now = int(seconds([dt.datetime.now(dt.UTC)])[0])
        work = [
            (
                int(firm),
                rng.choice(buyer_ids, min(CANDIDATES, len(buyer_ids)), replace=False),
                rng.normal(0.8, 0.04, min(CANDIDATES, len(buyer_ids))),
            )
            for firm in firms
        ]
        baseline: list[float] = []
        for _, _, sims in work:
            s = time.perf_counter()
            np.argsort(-sims)[:10]
            baseline.append((time.perf_counter() - s) * 1000)
        base = percentiles(baseline)
        rows = [["cosine order only (baseline)", *[f"{v:.3f}" for v in base.values()], "1.0"]]
        for name, ranker in rankers.items():
            pipeline = RankingPipeline(ranker, exposure_cap=settings.exposure_cap_per_month)
            assert context.history is not None
            exposure = context.history.recent_exposure(buyer_ids, now - 30 * 86400, now + 1)
            times: list[float] = []
            for i, (firm, buyers, sims) in enumerate(work):
                s = time.perf_counter()
                frame = pair_frames.build_columns(
                    context, np.full(len(buyers), firm), buyers, now, similarity=sims
                )
                outcome = pipeline.rank(frame, 10, candidate="buyer", exposure=exposure)
                elapsed = (time.perf_counter() - s) * 1000
                if i >= 5:  # warm-up
                    times.append(elapsed)
                assert outcome.ranked
            p = percentiles(times)
            rows.append(
                [
                    f"{name}: pair frame + features + exclusions + rank + MMR + reasons",
                    *[f"{v:.3f}" for v in p.values()],
                    f"{p['p50'] / base['p50']:.0f}",
                ]
            )
        print_table(
            f"ranking {CANDIDATES} candidates, top 10 explained ({queries} queries)",
            ["path", *[f"{k} ms" for k in base], "× baseline p50"],
            rows,
        )
