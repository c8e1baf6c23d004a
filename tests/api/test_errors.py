"""One error envelope (RFC 9457 problem+json) for every failure, request size limits, 503
with Retry-After when the database is unreachable, and readiness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from matcher.config import Settings
from tests.support.api import issue_key

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(mini_settings: Settings) -> TestClient:
    small = mini_settings.model_copy(update={"max_request_bytes": 2048})
    app = create_app(small)
    # Without the lifespan (its warm-up threads can outlive the test process's interpreter):
    # load what the lifespan loads first, the supplier search.
    app.state.match_service = app.state.runtime.match_service()
    return TestClient(app, headers={"X-API-Key": issue_key(app, "admin")})


def _is_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body  # type: ignore[no-any-return]


def test_an_unknown_route_is_a_problem(client: TestClient) -> None:
    body = _is_problem(client.get("/v1/nothing-here"), 404)
    assert body["instance"] == "/v1/nothing-here"
    _is_problem(client.delete("/v1/health"), 405)


def test_validation_errors_name_each_field_and_reason(client: TestClient) -> None:
    response = client.post("/v1/inquiries/match", json={"top_k": 0, "colour": "red"})
    body = _is_problem(response, 422)
    assert body["type"] == "/problems/validation"
    fields = {e["field"]: e["reason"] for e in body["errors"]}
    assert {"text", "top_k", "colour"} <= set(fields), fields
    assert all(fields.values())


def test_a_body_over_the_limit_is_refused_with_413(client: TestClient) -> None:
    big = {"text": "valves " * 1000}
    body = _is_problem(client.post("/v1/inquiries/match", json=big), 413)
    assert "2048" in body["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"text": "'
        for _ in range(100):
            yield b"valves " * 10
        yield b'"}'

    chunked = client.post(
        "/v1/inquiries/match", content=chunks(), headers={"content-type": "application/json"}
    )
    _is_problem(chunked, 413)

    def small() -> Iterator[bytes]:
        yield b'{"text": "butterfly valves", '
        yield b'"top_k": 2}'

    ok = client.post(
        "/v1/inquiries/match", content=small(), headers={"content-type": "application/json"}
    )
    assert ok.status_code == 200, ok.text


def test_ready_when_the_database_answers_and_the_index_is_loaded(client: TestClient) -> None:
    response = client.get("/v1/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["checks"] == {"database": "ok", "indexes": "ok"}
    assert "products" in body["indexes"]


def test_an_unreachable_database_is_503_with_retry_after(tmp_path: Path) -> None:
    """Nothing listens on port 9: every query fails to connect. The API answers 503 with
    Retry-After (not 500), and readiness says which check failed."""
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url="postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2",
        _env_file=None,
    )
    # No lifespan: nothing is loaded at start. Checking the key is the first query to fail.
    client = TestClient(create_app(settings), headers={"X-API-Key": "tm_0badc0de_" + "x" * 43})
    response = client.get("/v1/exporters/MX-E08/service-partners", params={"market": "IN"})
    body = _is_problem(response, 503)
    assert response.headers["retry-after"].isdigit()
    assert "database" in body["detail"].lower()
    ready = client.get("/v1/ready")
    body = _is_problem(ready, 503)
    assert ready.headers["retry-after"].isdigit()
    assert body["checks"]["database"].startswith("unavailable")
