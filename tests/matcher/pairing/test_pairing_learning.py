"""Learning partner recommendation from pairing outcomes, on a small generated demo: the
corpus reads the recorded pairings, features are point in time, the learned ranker is
fitted and scored against the embedding-only baseline and the rule scorer on future
pairings, and an unfitted ranker refuses to score."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matcher.config import Settings
from matcher.embedding.encoders import build_encoder
from matcher.errors import NotFittedError
from matcher.learning.runs import demo_settings
from matcher.pairing.learning import (
    FEATURES,
    PairingCorpus,
    PairingRanker,
    build_pairing_set,
    evaluate_pairing,
    load_pairing_corpus,
    write_pairing_report,
)
from matcher.storage import database


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> PairingCorpus:
    root = tmp_path_factory.mktemp("pairing-learning")
    settings = Settings(data_dir=root / "data", _env_file=None)  # type: ignore[call-arg]
    demo = demo_settings(settings, exporters=600, seed=11, perturbed=False)
    engine = database.engine_from_settings(demo)
    return load_pairing_corpus(
        database.session_factory(engine), build_encoder(settings), settings.cache_dir
    )


def test_the_corpus_holds_the_recorded_pairings(corpus: PairingCorpus) -> None:
    t = corpus.timeline
    assert t.size > 200
    assert set(corpus.market_codes) == {"IN", "VN"}
    assert np.isin(t.buyer, corpus.offer_ids).all()
    assert set(t.exporter.tolist()) <= set(corpus.profiles)
    assert corpus.relevance.shape == (len(corpus.manufacturer_ids), len(corpus.offers))


def test_training_lists_hold_the_paired_offerings_and_sampled_others(
    corpus: PairingCorpus,
) -> None:
    t = corpus.timeline
    end = int(t.start.max()) + 1
    data = build_pairing_set(corpus, (0, end), end, negatives=20, seed=1)
    assert list(data.features.columns) == list(FEATURES)
    assert len(data.rows) == len(data.features) == int(data.groups.sum())
    assert data.rows["label"].max() > 0
    # every recorded pair appears once, with its grade at the label time
    assert len(data.rows[data.rows["label"] > 0]) == int((t.grade_as_of(end) > 0).sum())
    sizes = data.rows.groupby("query").size()
    paired = data.rows.groupby("query")["label"].size() - 20
    assert (sizes <= paired + 20).all()


def test_learned_ranker_is_evaluated_against_the_baselines(
    corpus: PairingCorpus, tmp_path: Path
) -> None:
    report, ranker = evaluate_pairing(corpus)
    assert set(report.metrics) == {"random", "embedding", "rule", "ltr"}
    for metrics in report.metrics.values():
        assert 0.0 <= metrics["nDCG@10"] <= 1.0
    # Similar is not complementary: on a demo this small only the ordering against the
    # embedding baseline is stable (the 3,000-firm figures are in the model card).
    assert report.ratio("ltr") > 1.0 and report.ratio("rule") > 1.0
    assert report.sizes["test_queries"] >= 10
    s = report.split
    assert s["train_end"] <= s["calibration_end"] <= s["cutoff"] < s["test_end"]
    assert abs(sum(report.importance.values()) - 1.0) < 0.01
    body = json.loads(write_pairing_report(report, tmp_path / "p.json").read_text())
    assert body["ndcg10_ratio_to_embedding"]["ltr"] == pytest.approx(report.ratio("ltr"))
    saved = ranker.save(tmp_path / "ranker")
    assert (saved / "model.txt").is_file()


def test_an_unfitted_ranker_refuses_to_score() -> None:
    import pandas as pd

    with pytest.raises(NotFittedError):
        PairingRanker().score(pd.DataFrame(columns=list(FEATURES)))
