"""IndexManager: every collection builds from the store; a corrupt version is reported and
never served; `tradematch index verify` names the bad file."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from matcher.cli.main import app
from matcher.config import Settings
from matcher.index.catalogs import CATALOGS
from matcher.index.filters import Where
from matcher.ingest.pipeline import ingest_file
from matcher.runtime import Runtime
from tests.conftest import MINI_CATALOG


@pytest.fixture
def runtime(settings: Settings) -> Runtime:
    rt = Runtime(settings.model_copy(update={"index_mmap": True}))
    rt.upgrade_schema()
    for kind in ("exporters", "products", "buyers"):
        assert ingest_file(kind, MINI_CATALOG / f"{kind}.csv", rt.sessions).errors == []
    return rt


def _truncate(runtime: Runtime, name: str) -> str:
    base = runtime.settings.index_dir / name
    version = (base / "CURRENT").read_text().strip()
    path = base / version / "index.faiss"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return str(path)


def test_every_collection_builds_and_filters(runtime: Runtime) -> None:
    runtime.indexes.ensure()
    loaded = runtime.indexes.loaded()
    assert set(loaded) == set(CATALOGS)
    assert loaded["products"].count == 15 and loaded["exporters"].count == 11
    assert loaded["buyers"].count == 3
    buyers = runtime.indexes.get("buyers")
    q = runtime.encoder.encode_queries(["stainless ball valves for a chemical plant"])
    hanoi = buyers.search(q, 5, Where({"center": ["HAN"], "hs": ["848180"]}))
    assert list(buyers.rows(hanoi.ids[0][hanoi.ids[0] >= 0])["external_id"]) == ["MX-B01"]
    assert not runtime.indexes.is_stale("buyers")


def test_start_with_a_truncated_current_version_serves_the_last_good_one(
    runtime: Runtime,
) -> None:
    first = runtime.build_index("products")
    second = runtime.build_index("products")
    bad = _truncate(runtime, "products")
    fresh = Runtime(runtime.settings)
    fresh.indexes._load("products")  # what a service start does first
    assert fresh.indexes.manifest("products").version == first.version != second.version
    assert any(bad in p.detail and "checksum" in p.detail for p in fresh.indexes.problems)
    service = fresh.match_service()
    assert service.match.__self__ is service  # still answers:
    from matcher.matching.service import MatchRequest

    assert service.match(MatchRequest(text="ball valve", top_k=3)).results


def test_reload_keeps_serving_when_the_new_version_is_corrupt(runtime: Runtime) -> None:
    runtime.indexes.ensure(["products"])
    serving = runtime.indexes.manifest("products").version
    runtime.build_index("products")  # a new version appears (e.g. the nightly batch)...
    bad = _truncate(runtime, "products")  # ...and is damaged before the service reloads
    assert runtime.indexes.reload() == []
    assert runtime.indexes.manifest("products").version == serving
    assert any(bad in p.detail for p in runtime.indexes.problems)
    q = runtime.encoder.encode_queries(["kimchi"])
    assert (runtime.indexes.get("products").search(q, 3).ids >= 0).all()
    # A good newer version is picked up.
    newest = runtime.build_index("products")
    assert runtime.indexes.reload() == ["products"]
    assert runtime.indexes.manifest("products").version == newest.version


def test_ensure_rebuilds_from_the_store_when_every_version_is_corrupt(runtime: Runtime) -> None:
    runtime.build_index("products")
    _truncate(runtime, "products")
    runtime.indexes.ensure(["products"])
    assert runtime.indexes.manifest("products").count == 15
    assert runtime.indexes.problems  # the corruption was reported, then repaired


def test_index_verify_exits_non_zero_naming_the_file(runtime: Runtime) -> None:
    runtime.indexes.ensure()
    cli = CliRunner()
    args = ["--data-dir", str(runtime.settings.data_dir), "index", "verify"]
    ok = cli.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    bad = _truncate(runtime, "buyers")
    failed = cli.invoke(app, args)
    assert failed.exit_code == 1
    assert bad.replace("\n", "") in failed.output.replace("\n", "")
    assert "checksum mismatch" in failed.output


def test_exact_and_approximate_agree_on_top_10(settings: Settings) -> None:
    """Issue 4's demo criterion, at test scale: same top-10 in at least 95% of queries."""
    from matcher.index.collection import CollectionSchema, VectorCollection

    rng = np.random.default_rng(5)
    centers = rng.normal(size=(300, 64))
    x = centers[rng.integers(0, 300, 8000)] + 0.4 * rng.normal(size=(8000, 64))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    q = x[rng.choice(8000, 1000, replace=False)] + 0.05 * rng.normal(size=(1000, 64))
    q = (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)
    ids = np.arange(8000, dtype=np.int64)
    import pandas as pd

    meta = pd.DataFrame({"i": ids})
    schema = CollectionSchema("agree", ())
    exact = VectorCollection(schema, 64, settings.model_copy(update={"index_kind": "flat"}))
    exact.build(ids, x, meta)
    for kind in ("hnsw", "ivf_flat"):
        approx = VectorCollection(schema, 64, settings.model_copy(update={"index_kind": kind}))
        approx.build(ids, x, meta)
        same = np.mean(
            [
                set(a) == set(b)
                for a, b in zip(exact.search(q, 10).ids, approx.search(q, 10).ids, strict=True)
            ]
        )
        assert same >= 0.95, (kind, same)
