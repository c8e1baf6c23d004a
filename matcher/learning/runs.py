"""Entry points for `tradematch train` and `tradematch evaluate ranking`.

Evaluation can run on the configured store (what a deployment has recorded) or on a freshly
generated demo store, with the generator's default hidden weights or a perturbed set: a
ranker that only learned the generator would fail on the perturbed one. Demo stores live
under ``<data>/evaluation/`` with their own SQLite file; embeddings share the main cache.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from matcher.config import Settings
from matcher.embedding.encoders import Encoder
from matcher.learning.corpus import Corpus, load_corpus
from matcher.learning.datasets import DIRECTIONS, TimeSplit
from matcher.learning.evaluate import DirectionReport, evaluate, write_json
from matcher.ranking.learned import LTRRanker
from matcher.storage import database


@dataclass
class EvaluationRun:
    reports: list[DirectionReport]
    rankers: dict[str, LTRRanker]
    splits: dict[str, TimeSplit]  # per direction
    corpus: Corpus
    source: str


def demo_settings(settings: Settings, exporters: int, seed: int, perturbed: bool) -> Settings:
    """Settings pointing at a generated demo store (generated and loaded on first use)."""
    # The generator needs its hidden weights to *write* the demo; they are handed over by
    # name and nothing here reads them (see the circularity test).
    from matcher import demo as demo_package

    weights = "perturbed" if perturbed else "default"
    label = f"demo-{exporters}-{seed}-{weights}-v{demo_package.GENERATOR_VERSION}"
    root = settings.data_dir / "evaluation" / label
    demo = settings.model_copy(update={"data_dir": root, "database_url": None})
    done = root / "loaded.json"
    if not done.is_file():
        root.mkdir(parents=True, exist_ok=True)
        (root / "tradematch.db").unlink(missing_ok=True)
        manifest = demo_package.generate_demo(
            root / "demo",
            exporters=exporters,
            seed=seed,
            weights=getattr(demo_package, "PERTURBED" if perturbed else "DEFAULT"),
        )
        engine = database.engine_from_settings(demo)
        database.upgrade(engine)
        sessions = database.session_factory(engine)
        demo_package.load_demo(root / "demo", sessions)
        _suggest_hs(settings, sessions)
        engine.dispose()
        done.write_text(json.dumps(manifest.counts), encoding="utf-8")
    return demo


def _suggest_hs(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """HS suggestions for inquiries without a code, as ``tradematch ingest`` gives a store:
    the supplier search reads them where an inquiry states none."""
    from matcher.embedding.encoders import build_encoder
    from matcher.suggest.enrich import suggest_missing_hs
    from matcher.suggest.hs import HSSuggester

    suggester = HSSuggester(build_encoder(settings), settings.model_cache_dir).fit()
    suggest_missing_hs(sessions, suggester)


def run_evaluation(
    settings: Settings,
    encoder: Encoder,
    *,
    source: str,
    cache_root: Path | None = None,
    negatives: int = 60,
    seed: int = 0,
) -> EvaluationRun:
    engine = database.engine_from_settings(settings)
    sessions = database.session_factory(engine)
    corpus = load_corpus(settings, sessions, encoder, cache_root=cache_root)
    reports, rankers, splits = evaluate(
        corpus, maturity_days=settings.label_maturity_days, negatives=negatives, seed=seed
    )
    engine.dispose()
    return EvaluationRun(reports, rankers, splits, corpus, source)


def save_rankers(run: EvaluationRun, models_root: Path, encoder_name: str) -> dict[str, Path]:
    """Version each direction's ranker under ``models_root/<name>/<version>/`` with a model
    card of its held-out metrics, and point ``CURRENT`` at it."""
    version = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out: dict[str, Path] = {}
    for report in run.reports:
        ranker = run.rankers[report.direction]
        directory = models_root / ranker.name / version
        ranker.save(directory)
        (directory / "card.md").write_text(model_card(report, run, encoder_name), encoding="utf-8")
        write_json([report], directory / "evaluation.json", source=run.source)
        (models_root / ranker.name / "CURRENT").write_text(version, encoding="utf-8")
        out[report.direction] = directory
    return out


def metrics_table(report: DirectionReport) -> list[list[str]]:
    rows = []
    cosine = report.metrics["cosine"]["nDCG@10"]
    peer = report.metrics["peer_fitscore"]["nDCG@10"]
    for name, m in report.metrics.items():
        rows.append(
            [
                name,
                f"{m['nDCG@10']:.4f}",
                f"{m['RR']:.4f}",
                f"{m['R@50']:.4f}",
                f"{m['AP']:.4f}",
                f"{m['coverage@10']:.3f}",
                f"{m['exposure_gini']:.3f}",
                f"{m['nDCG@10'] / cosine:.3f}" if cosine else "-",
                f"{m['nDCG@10'] / peer:.3f}" if peer else "-",
            ]
        )
    return rows


TABLE_HEADER = [
    "ranker",
    "nDCG@10",
    "MRR",
    "R@50",
    "MAP",
    "coverage@10",
    "exposure Gini",
    "÷ cosine",
    "÷ peer FitScore",
]


def model_card(report: DirectionReport, run: EvaluationRun, encoder_name: str) -> str:
    split = run.splits[report.direction]
    lines = [
        f"# {run.rankers[report.direction].name}",
        "",
        f"LightGBM lambdarank, {report.direction.replace('_', ' ')}; encoder {encoder_name}.",
        f"Trained on: {run.source}. Time split (UTC): trees on pairs started before "
        f"{_day(split.train_end)}, calibration until {_day(split.calibration_end)}, "
        f"test {_day(split.cutoff)} to {_day(split.test_end)}.",
        "",
        "## Held-out metrics (future pairs)",
        "",
        "| " + " | ".join(TABLE_HEADER) + " |",
        "|" + "---|" * len(TABLE_HEADER),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in metrics_table(report)]
    cal = report.calibration
    lines += [
        "",
        f"Candidate-stage recall@200: {report.candidate_recall_200:.3f} "
        f"({report.positives} positive pairs; median pool {report.median_pool:.0f}); "
        f"{report.candidate_recall_200_consultation:.3f} of {report.consultations} that "
        f"reached a consultation; {report.candidate_recall_200_global:.3f} with one pool of "
        f"every importer (median {report.median_pool_global:.0f}).",
        "",
        "## P(consultation) calibration",
        "",
        f"Brier {cal.get('brier', float('nan')):.4f} (base rate alone: "
        f"{cal.get('brier_base_rate', float('nan')):.4f}).",
        "",
        "| predicted | observed | pairs |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r['predicted']:.3f} | {r['observed']:.3f} | {r['pairs']} |"
        for r in cal.get("table", [])
    ]
    lines += [
        "",
        "## Tree settings",
        "",
        f"Chosen on the validation window by the one-standard-error rule: {report.tree_settings}.",
        "",
        "| num_leaves | min_child_samples | validation nDCG@10 | s.e. |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {v['num_leaves']} | {v['min_child_samples']} | {v['ndcg10']:.4f} | {v['se']:.4f} |"
        for v in report.validation
    ]
    lines += ["", "## Sizes", "", "```", json.dumps(report.sizes, indent=2), "```", ""]
    return "\n".join(lines)


def _day(seconds: int) -> str:
    return (
        (dt.datetime(2000, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)).date().isoformat()
    )


def summary(run: EvaluationRun) -> dict[str, Any]:
    return {
        r.direction: {
            "ltr_over_cosine": r.metrics["ltr"]["nDCG@10"] / r.metrics["cosine"]["nDCG@10"],
            "ltr_over_peer": r.metrics["ltr"]["nDCG@10"] / r.metrics["peer_fitscore"]["nDCG@10"],
            "candidate_recall_200": r.candidate_recall_200,
            "candidate_recall_200_global": r.candidate_recall_200_global,
            "brier": r.calibration.get("brier"),
        }
        for r in run.reports
    }


__all__ = ["DIRECTIONS", "EvaluationRun", "demo_settings", "run_evaluation", "save_rankers"]
