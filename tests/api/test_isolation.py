"""Who sees what. Staff of one center get 404 for another center's buyers, inquiries,
shortlists, funnel and pairing events, and recommendations; partners reach only what their
role allows, see only their own inquiries, and no partner-visible response schema carries a
sensitive field (walked over the whole OpenAPI document)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.routes.resources import SENSITIVE_FIELDS
from matcher.config import Settings
from tests.support.api import client_as, served_app


@pytest.fixture(scope="module")
def world(private_settings: Settings) -> dict[str, Any]:
    """Records of both centers: MX-B01 is Hanoi's importer, MX-B03 New Delhi's."""
    app = served_app(private_settings)
    admin = client_as(app, "admin")
    made = []
    made.append(
        admin.post(
            "/v1/exporters",
            json={
                "external_id": "ISO-S1",
                "kind": "service",
                "name_en": "Cert Partner",
                "industry": "services",
                "notes": "slow to answer",
            },
        )
    )
    made.append(
        admin.post(
            "/v1/services",
            json={
                "external_id": "ISO-SV1",
                "exporter_id": "ISO-S1",
                "service_type": "certification_consulting",
                "description": "BIS and CDSCO registration for India",
            },
        )
    )
    for center, buyer, n in (("HAN", "MX-B01", 1), ("DEL", "MX-B03", 2)):
        made.append(
            admin.post(
                "/v1/events",
                json={
                    "external_id": f"ISO-EV-{center}",
                    "exporter_id": "MX-E01",
                    "buyer_id": buyer,
                    "stage": "consultation",
                    "occurred_at": f"2026-10-0{n}T09:00:00Z",
                    "center": center,
                },
            )
        )
        made.append(
            admin.post(
                "/v1/needs",
                json={
                    "external_id": f"ISO-N-{center}",
                    "buyer_id": buyer,
                    "text": "valves",
                    "notes": "x",
                },
            )
        )
        made.append(
            admin.post(
                "/v1/shortlists",
                json={
                    "external_id": f"ISO-SL-{center}",
                    "center": center,
                    "exporter_id": "MX-E01",
                    "title": f"{center} list",
                    "items": [{"buyer_id": buyer}],
                },
            )
        )
        made.append(
            admin.post(
                "/v1/pairing-events",
                json={
                    "external_id": f"ISO-PE-{center}",
                    "manufacturer_id": "MX-E01",
                    "service_id": "ISO-SV1",
                    "market": "VN" if center == "HAN" else "IN",
                    "stage": "consultation",
                    "occurred_at": "2026-10-01T09:00:00Z",
                    "center": center,
                },
            )
        )
    for response in made:
        assert response.status_code == 201, response.text
    return {"app": app, "admin": admin}


@pytest.fixture(scope="module")
def hanoi(world: dict[str, Any]) -> TestClient:
    return client_as(world["app"], "staff", ["HAN"])


@pytest.fixture(scope="module")
def delhi(world: dict[str, Any]) -> TestClient:
    return client_as(world["app"], "staff", ["DEL"])


# (collection, Hanoi's record, New Delhi's record)
CENTER_SCOPED = [
    ("/v1/buyers", "MX-B01", "MX-B03"),
    ("/v1/needs", "ISO-N-HAN", "ISO-N-DEL"),
    ("/v1/shortlists", "ISO-SL-HAN", "ISO-SL-DEL"),
    ("/v1/events", "ISO-EV-HAN", "ISO-EV-DEL"),
    ("/v1/pairing-events", "ISO-PE-HAN", "ISO-PE-DEL"),
]


def _ids(client: TestClient, url: str) -> set[str]:
    response = client.get(url + "?limit=200")
    assert response.status_code == 200, response.text
    return {item["external_id"] for item in response.json()["items"]}


@pytest.mark.parametrize(("collection", "own", "other"), CENTER_SCOPED)
def test_staff_get_404_for_another_centers_records(
    collection: str, own: str, other: str, hanoi: TestClient, delhi: TestClient
) -> None:
    assert hanoi.get(f"{collection}/{own}").status_code == 200
    assert delhi.get(f"{collection}/{other}").status_code == 200
    for client, foreign in ((hanoi, other), (delhi, own)):
        response = client.get(f"{collection}/{foreign}")
        assert response.status_code == 404, response.text
        # Exactly as for a record that does not exist: nothing is disclosed.
        missing = client.get(f"{collection}/NO-SUCH-ID").json()
        assert response.json()["detail"].replace(foreign, "") == missing["detail"].replace(
            "NO-SUCH-ID", ""
        )
    assert own in _ids(hanoi, collection) and other not in _ids(hanoi, collection)
    assert other in _ids(delhi, collection) and own not in _ids(delhi, collection)


@pytest.mark.parametrize(
    ("collection", "other"),
    [("/v1/buyers", "MX-B03"), ("/v1/needs", "ISO-N-DEL"), ("/v1/shortlists", "ISO-SL-DEL")],
)
def test_staff_cannot_change_another_centers_records(
    collection: str, other: str, hanoi: TestClient
) -> None:
    response = hanoi.patch(f"{collection}/{other}", json={}, headers={"If-Match": "*"})
    assert response.status_code == 404, response.text
    if collection == "/v1/shortlists":
        gone = hanoi.delete(f"{collection}/{other}", headers={"If-Match": "*"})
        assert gone.status_code == 404


def test_staff_records_and_recommendations_stay_in_their_center(
    hanoi: TestClient, world: dict[str, Any]
) -> None:
    assert hanoi.get("/v1/buyers/MX-B03/suppliers").status_code == 404
    assert hanoi.get("/v1/buyers/MX-B01/suppliers").status_code == 200
    # Another center's shortlist is unknown here, as on the batch route (404, not 422).
    refused = hanoi.get("/v1/exporters/MX-E01/importers?center=DEL")
    assert refused.status_code == 404 and "MX-E01@DEL" in refused.json()["detail"]
    shortlist = hanoi.get("/v1/exporters/MX-E01/importers")
    assert shortlist.status_code == 200 and shortlist.json()["center"] == "HAN"
    assert {r["importer"]["center"] for r in shortlist.json()["results"]} <= {"HAN"}
    # Writes for another center, or naming its importers, are refused.
    event = {
        "exporter_id": "MX-E01",
        "buyer_id": "MX-B03",
        "stage": "mou",
        "occurred_at": "2026-11-01T09:00:00Z",
    }
    assert hanoi.post("/v1/events", json=event).status_code == 422
    assert hanoi.post("/v1/events", json={**event, "center": "DEL"}).status_code == 422
    listed = hanoi.post(
        "/v1/shortlists",
        json={"exporter_id": "MX-E01", "title": "x", "items": [{"buyer_id": "MX-B03"}]},
    )
    assert listed.status_code == 422 and "MX-B03" in listed.json()["detail"]
    # The audit log is for admins.
    assert hanoi.get("/v1/audit").status_code == 403
    assert world["admin"].get("/v1/audit").status_code == 200


def test_a_partner_sees_only_its_own_inquiries(world: dict[str, Any]) -> None:
    first, second = client_as(world["app"], "partner"), client_as(world["app"], "partner")
    assert (
        first.post(
            "/v1/needs",
            json={
                "external_id": "ISO-P1",
                "text": "kimchi, 1 container a month",
                "country": "VN",
            },
        ).status_code
        == 201
    )
    assert first.get("/v1/needs/ISO-P1").status_code == 200
    assert first.get("/v1/needs/ISO-P1/matches").status_code == 200
    assert _ids(first, "/v1/needs") == {"ISO-P1"}
    assert second.get("/v1/needs/ISO-P1").status_code == 404
    assert second.get("/v1/needs/ISO-P1/matches").status_code == 404
    assert _ids(second, "/v1/needs") == set()
    assert first.get("/v1/needs/ISO-N-HAN").status_code == 404  # staff's inquiries too


def _operations(app: FastAPI) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "MX-E01", path)


def test_every_route_needs_a_key_and_partners_only_reach_theirs(world: dict[str, Any]) -> None:
    app = world["app"]
    anonymous = TestClient(app)
    partner = client_as(app, "partner")
    checked = 0
    for method, path, operation in _operations(app):
        allowed = operation.get("x-roles")
        if path in ("/v1/health", "/v1/ready"):
            assert allowed is None
            continue
        assert allowed, f"{method.upper()} {path} declares no roles"
        url = _concrete(path)
        assert anonymous.request(method, url, json={}).status_code == 401, (method, path)
        if "partner" not in allowed:
            response = partner.request(method, url, json={})
            assert response.status_code == 403, (method, path, response.text)
            checked += 1
    assert checked >= 20


def _schema_properties(spec: dict[str, Any], schema: dict[str, Any], seen: set[str]) -> set[str]:
    """Every property name reachable from ``schema`` ($refs, arrays, unions, maps)."""
    names: set[str] = set()
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref in seen:
            return names
        seen.add(ref)
        target = spec
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return _schema_properties(spec, target, seen)
    for name, sub in schema.get("properties", {}).items():
        names.add(name)
        names |= _schema_properties(spec, sub, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            names |= _schema_properties(spec, schema[key], seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            names |= _schema_properties(spec, sub, seen)
    return names


def test_no_partner_visible_response_schema_has_a_sensitive_field(
    world: dict[str, Any],
) -> None:
    app = world["app"]
    spec = app.openapi()
    walked: dict[str, set[str]] = {}
    for method, path, operation in _operations(app):
        if "partner" not in operation.get("x-roles", []):
            continue
        fields: set[str] = set()
        for _status, response in operation.get("responses", {}).items():
            for content in response.get("content", {}).values():
                fields |= _schema_properties(spec, content.get("schema", {}), set())
        walked[f"{method.upper()} {path}"] = fields
        leaked = fields & SENSITIVE_FIELDS
        assert not leaked, f"{method.upper()} {path} can return {sorted(leaked)}"
    # The walk reached the partner's whole surface, including nested supplier profiles.
    assert {"POST /v1/inquiries/match", "GET /v1/needs/{external_id}", "GET /v1/exporters"} <= set(
        walked
    )
    assert "certifications" in walked["POST /v1/inquiries/match"]
    assert len(walked) >= 10
    # The same walk does find them where staff read: the check is not vacuous.
    internal = spec["paths"]["/v1/buyers/{external_id}"]["get"]
    schema = internal["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"contact_email", "credit_grade", "responsiveness", "notes"} <= _schema_properties(
        spec, schema, set()
    )


def test_partner_responses_hold_no_sensitive_values(world: dict[str, Any]) -> None:
    partner = client_as(world["app"], "partner")
    admin = world["admin"]
    assert admin.get("/v1/exporters/ISO-S1/internal").json()["notes"] == "slow to answer"
    for url in ("/v1/exporters/ISO-S1", "/v1/exporters?limit=200"):
        text = partner.get(url).text
        assert "slow to answer" not in text and '"notes"' not in text
