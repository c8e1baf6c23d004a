"""Building the product index twice on unchanged data encodes nothing the second time."""

from __future__ import annotations

from matcher.config import Settings
from matcher.ingest.pipeline import ingest_file
from matcher.runtime import Runtime
from tests.conftest import MINI_CATALOG


def test_rebuild_on_unchanged_data_encodes_zero_texts(settings: Settings) -> None:
    runtime = Runtime(settings)
    runtime.upgrade_schema()
    for kind in ("exporters", "products"):
        ingest_file(kind, MINI_CATALOG / f"{kind}.csv", runtime.sessions)
    first = runtime.build_index()
    assert first.extra["cache_misses"] == 15 and first.extra["cache_hits"] == 0
    second = runtime.build_index()
    assert (second.extra["cache_hits"], second.extra["cache_misses"]) == (15, 0)
    assert second.fingerprint == first.fingerprint
    assert not runtime.indexes.is_stale("products")

    # One changed description: exactly one text is encoded again.
    path = settings.data_dir / "one.csv"
    path.write_text(
        "external_id,exporter_id,description\nMX-P05,MX-E03,Spicy ramyeon in 5 flavours\n",
        encoding="utf-8",
    )
    assert ingest_file("products", path, runtime.sessions).counts.updated == 1
    assert runtime.indexes.is_stale("products")
    third = runtime.build_index()
    assert (third.extra["cache_hits"], third.extra["cache_misses"]) == (14, 1)
