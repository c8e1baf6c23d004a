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


def _search(runtime: Runtime, text: str) -> list[int]:
    products = runtime.indexes.get("products")
    found = products.search(runtime.encoder.encode_queries([text]), 10)
    return [int(i) for i in found.ids[0] if i >= 0]


def test_refresh_upserts_what_changed_and_keeps_the_base(settings: Settings) -> None:
    """The nightly batch's path: an edit, a deletion and a new product go into the current
    version's delta (only their texts encoded); the base index file is the same bytes, the
    delta survives a reload, and searches see the store as it is now."""
    from matcher.domain.schemas import ProductRecord
    from matcher.index import persistence
    from matcher.storage import records
    from matcher.storage.database import session_scope

    rt = Runtime(settings.model_copy(update={"index_compaction_ratio": 0.5}))
    rt.upgrade_schema()
    for kind in ("exporters", "products"):
        assert ingest_file(kind, MINI_CATALOG / f"{kind}.csv", rt.sessions).errors == []
    first = rt.indexes.build("products")
    unchanged = rt.indexes.refresh("products")
    assert (unchanged.extra["upserted"], unchanged.extra["deleted"]) == (0, 0)
    assert unchanged.extra["cache_misses"] == 0

    with session_scope(rt.sessions) as session:
        row = records.get_row(session, "products", "MX-P02")
        edited = records.merged_record(
            session, "products", row, {"description": "Cast iron gate valve for irrigation"}
        )
        records.update(session, "products", row, edited, row.content_hash)
        records.remove(session, "products", records.get_row(session, "products", "MX-P01"), None)
        records.create(
            session,
            "products",
            ProductRecord(
                external_id="MX-P99",
                exporter_id="MX-E01",
                name="Solar water pump",
                description="Submersible solar water pump for farm irrigation",
                hs_code="841370",
            ),
        )
        ids = {
            x: records.get_row(session, "products", x).id for x in ("MX-P02", "MX-P99", "MX-P03")
        }
    assert rt.indexes.is_stale("products")
    second = rt.indexes.refresh("products")
    assert (second.extra["upserted"], second.extra["deleted"]) == (2, 1)
    assert second.extra["cache_misses"] == 2  # the edited and the new text, nothing else
    assert second.count == first.count
    assert second.files["index.faiss"] == first.files["index.faiss"]  # not retrained
    assert not rt.indexes.is_stale("products")

    rt.indexes.ensure(["products"])  # loads the new version from disk, delta included
    assert rt.indexes.manifest("products").version == second.version
    pump = _search(rt, "solar powered irrigation pump")
    assert pump[0] == ids["MX-P99"]
    assert ids["MX-P02"] in _search(rt, "gate valve for irrigation")
    deleted = persistence.current(settings.index_dir, "products").manifest
    assert deleted.extra["tombstones"] == 2  # the old MX-P01 and the old MX-P02
    live = set(rt.indexes.get("products").live()[0].tolist())
    assert ids["MX-P03"] in live and len(live) == first.count


def test_refresh_rebuilds_the_base_once_the_delta_passes_the_ratio(settings: Settings) -> None:
    from matcher.storage import records
    from matcher.storage.database import session_scope

    rt = Runtime(settings.model_copy(update={"index_compaction_ratio": 0.05}))
    rt.upgrade_schema()
    for kind in ("exporters", "products"):
        assert ingest_file(kind, MINI_CATALOG / f"{kind}.csv", rt.sessions).errors == []
    rt.indexes.build("products")
    with session_scope(rt.sessions) as session:
        row = records.get_row(session, "products", "MX-P02")
        edited = records.merged_record(session, "products", row, {"price_max_usd": 450.0})
        records.update(session, "products", row, edited, row.content_hash)
    refreshed = rt.indexes.refresh("products")
    assert refreshed.extra["upserted"] == 1 and refreshed.extra["compacted"]
    assert refreshed.extra["delta"] == refreshed.extra["tombstones"] == 0
    assert refreshed.extra["cache_misses"] == 0  # a price is not in the text


def test_row_digests_agree_between_the_store_and_a_published_collection() -> None:
    """The refresh compares the store's rows with the collection's metadata as parquet gives
    it back (numpy arrays for lists, numpy scalars, NaN for None): the same row digests
    alike, a changed value does not."""
    import pandas as pd

    from matcher.index.manager import row_digests

    store = pd.DataFrame(
        {
            "hs_code": ["848180", None],
            "certifications": [["ISO9001", "CE"], []],
            "price": [12.5, None],
            "moq": [100, 5],
            "active": [True, False],
        }
    )
    published = pd.DataFrame(
        {
            "hs_code": ["848180", np.nan],
            "certifications": [np.asarray(["ISO9001", "CE"]), np.asarray([], dtype=object)],
            "price": [np.float64(12.5), np.nan],
            "moq": [np.int64(100), np.int64(5)],
            "active": [np.bool_(True), np.bool_(False)],
        }
    )
    assert row_digests(store) == row_digests(published)
    changed = published.copy()
    changed.loc[1, "moq"] = 6
    assert row_digests(store)[0] == row_digests(changed)[0]
    assert row_digests(store)[1] != row_digests(changed)[1]
