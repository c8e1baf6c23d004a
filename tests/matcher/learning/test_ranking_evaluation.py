"""The ranking evaluation end to end on a small generated demo: every baseline is scored on
the same future lists, the learned ranker beats chance, the probability is reported with a
reliability table, and nothing in the learning path can read the generator's hidden truth."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from matcher.config import Settings
from matcher.embedding.encoders import build_encoder
from matcher.learning.datasets import candidate_pool
from matcher.learning.evaluate import CANDIDATE_SETTINGS, write_json
from matcher.learning.runs import EvaluationRun, demo_settings, run_evaluation, save_rankers
from matcher.ranking.learned import load_current

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> EvaluationRun:
    root = tmp_path_factory.mktemp("ranking-eval")
    settings = Settings(data_dir=root / "data", _env_file=None)  # type: ignore[call-arg]
    demo = demo_settings(settings, exporters=500, seed=7, perturbed=False)
    return run_evaluation(
        demo, build_encoder(settings), source="test demo", cache_root=settings.cache_dir
    )


def test_every_ranker_and_baseline_is_scored_in_both_directions(run: EvaluationRun) -> None:
    assert [r.direction for r in run.reports] == ["importer_fit", "supplier_fit"]
    for report in run.reports:
        assert set(report.metrics) == {"random", "tfidf", "cosine", "peer_fitscore", "rule", "ltr"}
        for name, m in report.metrics.items():
            for key in ("nDCG@10", "RR", "R@50", "AP", "coverage@10", "exposure_gini"):
                assert 0.0 <= m[key] <= 1.0, (report.direction, name, key)
        assert report.sizes["test_queries"] >= 20
        assert report.metrics["ltr"]["nDCG@10"] > report.metrics["random"]["nDCG@10"]
        assert 0.0 <= report.candidate_recall_200 <= 1.0 and report.positives > 0


def test_each_direction_splits_its_own_pairs_in_time_order(run: EvaluationRun) -> None:
    assert set(run.splits) == {"importer_fit", "supplier_fit"}
    for report in run.reports:
        s = run.splits[report.direction]
        assert s.train_end <= s.calibration_end <= s.cutoff < s.test_end < s.data_end
        assert report.split == s.__dict__


def test_calibration_is_reported_with_a_reliability_table(run: EvaluationRun) -> None:
    for report in run.reports:
        cal = report.calibration
        assert 0.0 <= cal["brier"] <= 1.0
        assert sum(row["pairs"] for row in cal["table"]) == report.sizes["test_pairs_contacted"]
        predicted = [row["predicted"] for row in cal["table"]]
        assert predicted == sorted(predicted)


def test_reports_and_versioned_models_are_written(run: EvaluationRun, tmp_path: Path) -> None:
    path = write_json(run.reports, tmp_path / "report.json", source=run.source)
    body = json.loads(path.read_text(encoding="utf-8"))
    assert {d["direction"] for d in body["directions"]} == {"importer_fit", "supplier_fit"}
    saved = save_rankers(run, tmp_path / "rankers", "multilingual-e5-small")
    for direction, directory in saved.items():
        card = (directory / "card.md").read_text(encoding="utf-8")
        assert "nDCG@10" in card and "Brier" in card and "recall@200" in card
        assert load_current(tmp_path / "rankers", direction) is not None


def test_nothing_that_learns_or_ranks_imports_the_hidden_truth() -> None:
    packages = (
        "matcher/learning",
        "matcher/ranking",
        "matcher/features",
        "matcher/matching",
        "matcher/pairing",
    )
    for package in packages:
        for path in (REPO / package).glob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                hidden = ("hidden_fit", "pairing_outcomes")
                assert not any(h in n for n in names for h in hidden), path


@pytest.mark.parametrize("direction", ["importer_fit", "supplier_fit"])
@pytest.mark.parametrize("which", ["ltr", "rule"])
def test_top_10_of_20_sampled_queries_carry_signed_bilingual_reasons(
    run: EvaluationRun, direction: str, which: str
) -> None:
    import numpy as np

    from matcher.features import registry
    from matcher.learning.datasets import candidate_pool, query_frame
    from matcher.ranking.base import Ranker
    from matcher.ranking.pipeline import RankingPipeline
    from matcher.ranking.rule import RuleRanker

    corpus = run.corpus
    ranker: Ranker = run.rankers[direction] if which == "ltr" else RuleRanker()
    pipeline = RankingPipeline(ranker, diversity=0.8)
    rng = np.random.default_rng(3)
    side = corpus.exporter_ids if direction == "importer_fit" else corpus.need_ids
    at = int(corpus.timeline.start.max())
    checked = 0
    for query in rng.choice(side, 20, replace=False):
        pool = candidate_pool(corpus, direction, int(query), 200)  # type: ignore[arg-type]
        frame = query_frame(corpus, direction, int(query), pool, at)  # type: ignore[arg-type]
        outcome = pipeline.rank(
            frame, 10, candidate="buyer" if direction == "importer_fit" else "exporter"
        )
        assert len(outcome.ranked) == min(10, len(pool) - len(outcome.excluded))
        values = registry.compute(frame, tuple(registry.FEATURES))
        for r in outcome.ranked:
            assert len(r.reasons) >= 2
            for reason in r.reasons:
                assert reason.en and reason.ko
                assert any("\uac00" <= ch <= "\ud7a3" for ch in reason.ko)
                contribution = r.contributions[reason.feature]
                assert reason.positive == (contribution >= 0)
                # the text is the feature's own phrasing for that sign, and would differ
                # for the other sign wherever the feature phrases both
                row = frame.iloc[r.row]
                value = float(values[reason.feature].iloc[r.row])
                same = registry.explain(reason.feature, row, value, contribution)
                assert same is not None and (same.en, same.ko) == (reason.en, reason.ko)
            checked += 1
    assert checked >= 100


def test_a_center_query_draws_candidates_from_that_center_only(run: EvaluationRun) -> None:
    corpus = run.corpus
    centers = [c for c in set(corpus.buyer_centers.tolist()) if c]
    assert centers, "the demo covers importers at the export centers"
    firm = int(corpus.exporter_ids[0])
    by_id = dict(zip(corpus.buyer_ids.tolist(), corpus.buyer_centers.tolist(), strict=True))
    for center in centers:
        pool = candidate_pool(corpus, "importer_fit", firm, 200, center=center)
        assert len(pool) == min(200, int((corpus.buyer_centers == center).sum()))
        assert {by_id[int(b)] for b in pool} == {center}
    everyone = candidate_pool(corpus, "importer_fit", firm, 10_000)
    assert len(everyone) == len(corpus.buyer_ids)


def test_served_and_pooled_candidate_recall_are_both_reported(run: EvaluationRun) -> None:
    importer = next(r for r in run.reports if r.direction == "importer_fit")
    assert 0.0 <= importer.candidate_recall_200_global <= 1.0
    # A center's pool is a subset of all importers: never larger.
    assert 0 < importer.median_pool <= importer.median_pool_global == len(run.corpus.buyer_ids)


def test_tree_settings_follow_the_one_standard_error_rule(run: EvaluationRun) -> None:
    for report in run.reports:
        scores = [v["ndcg10"] for v in report.validation]
        assert len(scores) == len(CANDIDATE_SETTINGS)
        best = int(np.argmax(scores))
        limit = scores[best] - report.validation[best]["se"]
        first_within = next(i for i, v in enumerate(scores) if v >= limit)
        assert report.tree_settings == dict(CANDIDATE_SETTINGS[first_within])
