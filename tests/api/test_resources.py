"""The record resources: cursor pages, filters and sorting; create, read, update and delete
guarded by ETag / If-Match; Idempotency-Key on POST; every write in the audit log."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcher.config import Settings
from tests.support.api import client_as, served_app

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def app(private_settings: Settings) -> FastAPI:
    return served_app(private_settings)


@pytest.fixture(scope="module")
def admin(app: FastAPI) -> TestClient:
    return client_as(app, "admin")


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return response.json()  # type: ignore[no-any-return]


def _walk(client: TestClient, url: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        sep = "&" if "?" in url else "?"
        page = client.get(url + (f"{sep}cursor={cursor}" if cursor else "")).json()
        ids += [item["external_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def test_cursor_pages_cover_every_row_once_in_either_order(admin: TestClient) -> None:
    everything = admin.get("/v1/products?limit=200").json()
    assert everything["next_cursor"] is None
    all_ids = [p["external_id"] for p in everything["items"]]
    assert len(all_ids) >= 15
    assert _walk(admin, "/v1/products?limit=4") == all_ids  # default: creation order
    ascending = _walk(admin, "/v1/products?limit=4&sort=external_id")
    assert ascending == sorted(all_ids)
    assert _walk(admin, "/v1/products?limit=3&sort=-external_id") == ascending[::-1]


def test_list_filters_narrow_the_rows(admin: TestClient) -> None:
    valves = admin.get("/v1/products?hs_prefix=8481").json()["items"]
    assert valves and all(p["hs_code"].startswith("8481") for p in valves)
    own = admin.get("/v1/products?exporter_id=MX-E01").json()["items"]
    assert {p["exporter_id"] for p in own} == {"MX-E01"} and len(own) == 2
    food = admin.get("/v1/exporters?industry=food").json()["items"]
    assert food and {e["industry"] for e in food} == {"food"}
    vn = admin.get("/v1/buyers?country=VN&sort=name").json()["items"]
    assert [b["country"] for b in vn] == ["VN"] * len(vn) and len(vn) == 2
    assert [b["name"] for b in vn] == sorted(b["name"] for b in vn)


def test_bad_list_parameters_name_the_parameter(admin: TestClient) -> None:
    body = _problem(admin.get("/v1/products?sort=price"), 422)
    assert body["errors"][0]["field"] == "sort" and "external_id" in body["errors"][0]["reason"]
    body = _problem(admin.get("/v1/products?cursor=not-a-cursor"), 422)
    assert body["errors"][0]["field"] == "cursor"
    cursor = admin.get("/v1/products?limit=2").json()["next_cursor"]
    body = _problem(admin.get(f"/v1/products?limit=2&sort=external_id&cursor={cursor}"), 422)
    assert "sort=created" in body["errors"][0]["reason"]
    body = _problem(admin.get("/v1/products?colour=red"), 422)
    assert any("colour" in e["field"] for e in body["errors"])
    _problem(admin.get("/v1/products?limit=0"), 422)


def test_a_product_is_created_read_changed_and_deleted_with_its_etag(admin: TestClient) -> None:
    new = {
        "external_id": "API-P1",
        "exporter_id": "MX-E01",
        "name": "Gate valve",
        "description": "Cast iron gate valve DN50-DN300 for water works",
        "hs_code": "848180",
        "price_min_usd": 40,
        "price_max_usd": 90,
    }
    created = admin.post("/v1/products", json=new)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/products/API-P1"
    etag = created.headers["etag"]
    assert created.json()["exporter_id"] == "MX-E01" and created.json()["etag"] == etag.strip('"')
    read = admin.get("/v1/products/API-P1")
    assert read.headers["etag"] == etag and read.json()["name"] == "Gate valve"

    _problem(admin.post("/v1/products", json=new), 409)  # the id is taken
    change = {"price_max_usd": 120}
    _problem(admin.patch("/v1/products/API-P1", json=change), 428)
    _problem(admin.patch("/v1/products/API-P1", json=change, headers={"If-Match": '"x"'}), 412)
    changed = admin.patch("/v1/products/API-P1", json=change, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["price_max_usd"] == 120 and changed.json()["name"] == "Gate valve"
    new_etag = changed.headers["etag"]
    assert new_etag != etag
    # A change that breaks a rule spanning fields is refused, naming the field.
    body = _problem(
        admin.patch(
            "/v1/products/API-P1", json={"price_min_usd": 500}, headers={"If-Match": new_etag}
        ),
        422,
    )
    assert "price_min_usd" in body["detail"] or body["errors"]
    # The stale ETag cannot delete it; the current one can.
    _problem(admin.delete("/v1/products/API-P1", headers={"If-Match": etag}), 412)
    assert admin.delete("/v1/products/API-P1", headers={"If-Match": new_etag}).status_code == 204
    _problem(admin.get("/v1/products/API-P1"), 404)

    entries = admin.get("/v1/audit?resource=products&resource_id=API-P1").json()["items"]
    assert [e["action"] for e in entries] == ["delete", "update", "create"]
    delete, update, create = entries
    assert create["before"] is None and create["after"]["name"] == "Gate valve"
    assert update["before"]["price_max_usd"] == 90 and update["after"]["price_max_usd"] == 120
    assert delete["before"]["price_max_usd"] == 120 and delete["after"] is None
    assert {e["actor_role"] for e in entries} == {"admin"} and all(e["actor_key"] for e in entries)
    assert all(e["request_id"] for e in entries)


def test_a_referenced_record_cannot_be_deleted(admin: TestClient) -> None:
    etag = admin.get("/v1/exporters/MX-E01").headers["etag"]
    # Exporters have no DELETE: their history (events, products) refers to them.
    assert admin.delete("/v1/exporters/MX-E01", headers={"If-Match": etag}).status_code == 405


def test_the_same_post_with_the_same_idempotency_key_creates_one_record(app: FastAPI) -> None:
    staff = client_as(app, "staff", ["HAN"])
    event = {
        "external_id": "ev-idem-1",
        "exporter_id": "MX-E01",
        "buyer_id": "MX-B01",
        "stage": "market_info_sent",
        "occurred_at": "2026-11-02T09:00:00Z",
        "note": "sent the catalog",
    }
    key = {"Idempotency-Key": "6a1f8c3e-retry"}
    first = staff.post("/v1/events", json=event, headers=key)
    assert first.status_code == 201, first.text
    again = staff.post("/v1/events", json=event, headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"]
    stored = staff.get("/v1/events?buyer_id=MX-B01").json()["items"]
    assert [e["external_id"] for e in stored].count("ev-idem-1") == 1
    audit = client_as(app, "admin").get("/v1/audit?resource=events&resource_id=ev-idem-1")
    assert len(audit.json()["items"]) == 1  # one write, one entry

    # Without the key, the retry is a second create: refused as a conflict, not duplicated.
    _problem(staff.post("/v1/events", json=event), 409)
    # The same key for a different request is an error, not a silent replay.
    body = _problem(staff.post("/v1/events", json={**event, "note": "other"}, headers=key), 422)
    assert "Idempotency-Key" in body["detail"]
    # Keys are per caller: another staff key's same Idempotency-Key runs its own request.
    other = client_as(app, "staff", ["HAN"])
    second = {**event, "external_id": "ev-idem-2"}
    assert other.post("/v1/events", json=second, headers=key).status_code == 201


def test_creation_validates_every_field_by_name(admin: TestClient) -> None:
    body = _problem(
        admin.post(
            "/v1/buyers",
            json={"external_id": "API-B1", "name": "X", "country": "Atlantis", "responsiveness": 3},
        ),
        422,
    )
    fields = {e["field"] for e in body["errors"]}
    assert {"country", "responsiveness"} <= fields
    body = _problem(
        admin.post(
            "/v1/products",
            json={"external_id": "API-P2", "exporter_id": "NOPE", "description": "x"},
        ),
        404,
    )
    assert "NOPE" in body["detail"]


def test_staff_create_buyers_for_their_center_and_it_is_derived(app: FastAPI) -> None:
    hanoi = client_as(app, "staff", ["HAN"])
    made = hanoi.post(
        "/v1/buyers",
        json={
            "external_id": "API-B2",
            "name": "Hai Phong Trading",
            "country": "VN",
            "city": "Hai Phong",
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["center"] == "HAN"
    body = _problem(
        hanoi.post(
            "/v1/buyers",
            json={"external_id": "API-B3", "name": "Delhi Co", "country": "IN", "city": "Delhi"},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "center"
    # And cannot move one of theirs to another center.
    etag = made.headers["etag"]
    moved = hanoi.patch("/v1/buyers/API-B2", json={"center": "DEL"}, headers={"If-Match": etag})
    assert _problem(moved, 422)["errors"][0]["field"] == "center"


def test_a_partner_inquiry_is_its_own_and_keeps_no_internal_fields(app: FastAPI) -> None:
    partner = client_as(app, "partner")
    body = _problem(
        partner.post("/v1/needs", json={"external_id": "API-N0", "text": "x", "notes": "vip"}),
        422,
    )
    assert body["errors"][0]["field"] == "notes"
    made = partner.post(
        "/v1/needs",
        json={"external_id": "API-N1", "text": "Ống thép không gỉ cho nhà máy", "country": "VN"},
    )
    assert made.status_code == 201, made.text
    assert "notes" not in made.json()
    matches = partner.get("/v1/needs/API-N1/matches?top_k=3")
    assert matches.status_code == 200 and matches.json()["results"]
    # Staff of the inquiry's country read it with its internal fields; partners cannot.
    hanoi = client_as(app, "staff", ["HAN"])
    assert hanoi.get("/v1/needs/API-N1/internal").json()["notes"] is None
    _problem(partner.get("/v1/needs/API-N1/internal"), 403)


def test_two_staff_editing_one_shortlist_do_not_overwrite_each_other(app: FastAPI) -> None:
    anh, binh = client_as(app, "staff", ["HAN"]), client_as(app, "staff", ["HAN"])
    made = anh.post("/v1/shortlists", json={"exporter_id": "MX-E01", "title": "Valves, Hanoi"})
    assert made.status_code == 201, made.text
    url = made.headers["location"]
    etag_anh = anh.get(url).headers["etag"]
    etag_binh = binh.get(url).headers["etag"]
    assert etag_anh == etag_binh == '"1"'
    first = anh.patch(
        url,
        json={
            "items": [{"buyer_id": "MX-B01", "note": "asked for price list", "assigned_to": "Anh"}]
        },
        headers={"If-Match": etag_anh},
    )
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    body = _problem(
        binh.patch(url, json={"items": [], "title": "Mine"}, headers={"If-Match": etag_binh}),
        412,
    )
    assert "changed" in body["detail"]
    _problem(binh.patch(url, json={"title": "Mine"}), 428)
    stored = binh.get(url).json()
    assert stored["title"] == "Valves, Hanoi" and stored["version"] == 2
    assert [(i["buyer_id"], i["note"], i["assigned_to"]) for i in stored["items"]] == [
        ("MX-B01", "asked for price list", "Anh")
    ]
    # Having re-read, Binh's change applies on top of Anh's.
    again = binh.patch(url, json={"title": "Mine"}, headers={"If-Match": stored["etag"]})
    assert again.status_code == 200 and again.json()["items"] == stored["items"]
    _problem(binh.delete(url, headers={"If-Match": '"2"'}), 412)
    assert binh.delete(url, headers={"If-Match": again.headers["etag"]}).status_code == 204
