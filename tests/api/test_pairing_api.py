"""Service partners and consortium proposals over HTTP, on the mini catalog plus the
committed service-firm fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from matcher.config import Settings
from tests.support.api import issue_key

REPO = Path(__file__).resolve().parents[2]
FILES = (
    ("exporters", REPO / "data/fixtures/mini/exporters.csv"),
    ("products", REPO / "data/fixtures/mini/products.csv"),
    ("exporters", REPO / "data/fixtures/pairing/exporters.csv"),
    ("services", REPO / "data/fixtures/pairing/services.csv"),
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from matcher.ingest.pipeline import ingest_file
    from matcher.runtime import Runtime

    settings = Settings(data_dir=tmp_path_factory.mktemp("pairing-api") / "data", _env_file=None)  # type: ignore[call-arg]
    runtime = Runtime(settings)
    runtime.upgrade_schema()
    for kind, path in FILES:
        assert ingest_file(kind, path, runtime.sessions).errors == []
    runtime.build_index()
    runtime.engine.dispose()
    # Without the lifespan: the pairing routes build their service on first use, and the
    # app's background warm-up threads (HS suggester, index refresh) are not needed here.
    app = create_app(settings)
    yield TestClient(app, headers={"X-API-Key": issue_key(app, "admin")})


def test_service_partners_name_the_gap_they_close(client: TestClient) -> None:
    response = client.get("/v1/exporters/MX-E08/service-partners", params={"market": "IN"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["market"] == "IN"
    assert {g["kind"] for g in body["gaps"]} >= {"certification", "language"}
    top5 = {r["service_firm"]["external_id"]: r for r in body["results"][:5]}
    assert top5["PS-01"]["closes"][0]["detail"] == "CDSCO"
    assert top5["PS-02"]["closes"][0]["kind"] == "industry_complement"
    for result in body["results"]:
        assert result["closes"] and result["reasons_en"] and result["reasons_ko"]
    assert {e["code"] for e in body["excluded"]} <= {"no_capacity", "closes_no_gap"}


def test_service_partner_input_errors(client: TestClient) -> None:
    assert (
        client.get("/v1/exporters/NOPE/service-partners", params={"market": "IN"}).status_code
        == 404
    )
    missing = client.get("/v1/exporters/MX-E08/service-partners")
    assert missing.status_code == 422 and "market" in missing.text
    service_firm = client.get("/v1/exporters/PS-01/service-partners", params={"market": "IN"})
    assert service_firm.status_code == 422 and "exporter_id" in service_firm.text


def test_consortium_proposal(client: TestClient) -> None:
    response = client.post(
        "/v1/consortia/propose",
        json={"market": "IN", "exporter_ids": ["MX-E01", "MX-E08"], "max_consortia": 2},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(m["external_id"] for c in body["consortia"] for m in c["manufacturers"]) == [
        "MX-E01",
        "MX-E08",
    ]
    assert 0 < body["coverage"] <= body["bound"] + 1e-9
    for firm, load in body["load"].items():
        assert load <= body["capacity"][firm]
    bad = client.post("/v1/consortia/propose", json={"market": "IN", "mode": "random"})
    assert bad.status_code == 422 and "mode" in bad.text
