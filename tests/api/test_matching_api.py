"""The HTTP API on the mini catalog: health, matching, buyers, errors, OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from matcher.config import Settings
from tests.support.api import issue_key


@pytest.fixture(scope="module")
def client(mini_settings: Settings) -> Iterator[TestClient]:
    app = create_app(mini_settings)
    with TestClient(app, headers={"X-API-Key": issue_key(app, "admin")}) as test_client:
        yield test_client


def test_health_reports_the_loaded_index(client: TestClient) -> None:
    body = client.get("/v1/health").json()
    assert body["status"] == "ok"
    assert body["index"]["products"] == 15
    assert body["index"]["model"] == "multilingual-e5-small"


def test_match_returns_ranked_explained_suppliers(client: TestClient) -> None:
    response = client.post(
        "/v1/inquiries/match",
        json={
            "text": "stainless steel ball valves for a chemical plant",
            "top_k": 3,
            "hs_codes": ["8481"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"]["hs_codes"] == ["8481"]
    assert len(body["results"]) == 3
    top = body["results"][0]
    assert top["supplier"]["id"] == "MX-E01"
    assert top["product"]["hs_code"] == "848180"
    assert "valve" in top["product"]["hs_description"].lower()
    assert {"semantic_similarity", "hs_agreement", "certification_coverage"} <= {
        e["feature"] for e in top["explanations"]
    }
    assert any(e["reason_ko"] for e in top["explanations"])
    assert len(top["reasons"]) >= 2
    for reason in top["reasons"]:
        assert reason["en"] and reason["ko"]
        assert reason["positive"] == (reason["contribution"] >= 0)
    assert top["exporter_side"] + top["buyer_side"] == pytest.approx(top["score"], abs=1e-3)
    assert set(body["timings_ms"]) == {"encode", "retrieve", "rank"}


def test_filters_reach_the_index(client: TestClient) -> None:
    body = client.post(
        "/v1/inquiries/match",
        json={"text": "valves", "filters": {"hs_prefixes": ["7307"], "max_moq": 1000}},
    ).json()
    assert [r["product"]["hs_code"] for r in body["results"]] == ["730723"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "valves", "hs_codes": ["123456"]}, "hs_codes"),
        ({"text": "valves", "top_k": 0}, "top_k"),
        ({"text": "valves", "filters": {"export_stages": ["expert"]}}, "export_stages"),
        ({"text": "valves", "colour": "red"}, "colour"),
        ({}, "text"),
    ],
)
def test_bad_input_names_the_field(
    client: TestClient, payload: dict[str, object], field: str
) -> None:
    response = client.post("/v1/inquiries/match", json=payload)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/validation" and body["status"] == 422
    fields = [e["field"] for e in body["errors"]]
    assert any(field in f for f in fields), fields
    assert all(e["reason"] for e in body["errors"])


def test_suppliers_for_a_buyer(client: TestClient) -> None:
    response = client.get("/v1/buyers/MX-B01/suppliers", params={"top_k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["query"]["required_certifications"] == ["ISO9001"]
    assert body["results"][0]["supplier"]["id"] in ("MX-E01", "MX-E09")  # the valve makers


def test_a_strict_buyer_gets_the_excluded_suppliers_with_the_reason(client: TestClient) -> None:
    # Delhi Agro strictly requires BIS; the agricultural machinery maker lacks it.
    body = client.get("/v1/buyers/MX-B03/suppliers", params={"top_k": 3}).json()
    assert "MX-E06" not in [r["supplier"]["id"] for r in body["results"]]
    excluded = {x["exporter_id"]: x for x in body["excluded"]}
    assert excluded["MX-E06"]["code"] == "certification_missing"
    assert "BIS" in excluded["MX-E06"]["reason_en"] and "BIS" in excluded["MX-E06"]["reason_ko"]


def test_a_centers_shortlist_of_importers_for_a_firm(client: TestClient) -> None:
    response = client.get("/v1/exporters/MX-E01/importers", params={"center": "HAN"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["importer"]["id"] for r in body["results"]] == ["MX-B01"]  # Hanoi's only one
    top = body["results"][0]
    assert len(top["reasons"]) >= 2 and all(r["en"] and r["ko"] for r in top["reasons"])
    everyone = client.get("/v1/exporters/MX-E01/importers").json()
    assert everyone["results"][0]["importer"]["id"] == "MX-B01"  # the valve distributor
    assert {r["importer"]["id"] for r in everyone["results"]} <= {"MX-B01", "MX-B02", "MX-B03"}


def test_shortlist_input_errors_name_the_problem(client: TestClient) -> None:
    assert client.get("/v1/exporters/NOPE/importers").status_code == 404
    response = client.get("/v1/exporters/MX-E01/importers", params={"center": "XXX"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.center"


def test_unknown_buyer_is_404(client: TestClient) -> None:
    response = client.get("/v1/buyers/NOPE/suppliers")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "NOPE" in response.json()["detail"]
    assert response.json()["instance"] == "/v1/buyers/NOPE/suppliers"


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/v1/health", "/v1/inquiries/match", "/v1/buyers/{buyer_id}/suppliers"} <= set(
        spec["paths"]
    )
    assert client.get("/docs").status_code == 200


def test_public_supplier_responses_carry_no_buyer_secrets(client: TestClient) -> None:
    text = client.get("/v1/buyers/MX-B01/suppliers").text
    for secret in ("sales@minhphat.example", "Met at Hanoi fair", "credit_grade", "responsiveness"):
        assert secret not in text


def test_hs_suggest_answers_once_warmed(client: TestClient) -> None:
    import time

    deadline = time.monotonic() + 120
    while True:
        response = client.post("/v1/hs/suggest", json={"text": "스테인리스 볼밸브", "top_k": 3})
        if response.status_code != 503 or time.monotonic() > deadline:
            break
        assert response.headers["retry-after"]
        time.sleep(0.5)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["suggested"] is True
    assert len(body["suggestions"]) == 3
    assert "8481" in [s["heading"] for s in body["suggestions"]]


def test_hs_suggest_validates_input(client: TestClient) -> None:
    response = client.post("/v1/hs/suggest", json={"text": "valve", "top_k": 50})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "top_k"
