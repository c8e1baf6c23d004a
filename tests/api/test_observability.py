"""Operations: request ids on every response, JSON log lines that carry them, and the
Prometheus metrics (latency by route template, match counts, served index versions)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api import observability
from api.main import create_app
from matcher.config import Settings
from matcher.storage.api_keys import create_key
from matcher.storage.database import session_scope


@pytest.fixture(scope="module")
def app(mini_settings: Settings) -> FastAPI:
    app = create_app(mini_settings.model_copy(update={"max_request_bytes": 2048}))
    # No lifespan (its threads can outlive the interpreter): load the supplier search here.
    app.state.match_service = app.state.runtime.match_service()
    return app


@pytest.fixture(scope="module")
def api_key(app: FastAPI) -> tuple[str, str]:
    """An admin key in the app's store: (key, prefix)."""
    with session_scope(app.state.runtime.sessions) as session:
        key, info = create_key(session, "observability tests", "admin")
    return key, info.prefix


@pytest.fixture(scope="module")
def client(app: FastAPI, api_key: tuple[str, str]) -> TestClient:
    return TestClient(app, headers={"X-API-Key": api_key[0]})


@pytest.fixture
def log_lines(mini_settings: Settings) -> Iterator[io.StringIO]:
    """Capture what the app's root handler writes (JSON), restoring stderr afterwards."""
    buffer = io.StringIO()
    observability.configure_logging(mini_settings, stream=buffer)
    yield buffer
    observability.configure_logging(mini_settings)


def _json_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def _samples(client: TestClient) -> dict[str, list[tuple[dict[str, str], float]]]:
    """``/metrics`` parsed: sample name -> [(labels, value)]."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return out


def _value(
    samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str
) -> float:
    return sum(v for lab, v in samples.get(name, []) if labels.items() <= lab.items())


def test_a_request_id_is_generated_when_none_is_sent(client: TestClient) -> None:
    first = client.get("/v1/health").headers["x-request-id"]
    second = client.get("/v1/health").headers["x-request-id"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_a_sane_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/v1/health", headers={"X-Request-ID": "lb-7f3a.2_x"})
    assert response.headers["x-request-id"] == "lb-7f3a.2_x"


@pytest.mark.parametrize("bad", ["has spaces", "a" * 129, "semi;colon", "ünïcode"])
def test_an_unsafe_request_id_is_replaced(client: TestClient, bad: str) -> None:
    response = client.get("/v1/health", headers={"X-Request-ID": bad.encode()})
    echoed = response.headers["x-request-id"]
    assert echoed != bad and len(echoed) == 32


def test_responses_from_other_middlewares_carry_the_id(client: TestClient) -> None:
    """The body-size limit answers 413 before routing; the id middleware sits outside it."""
    response = client.post(
        "/v1/inquiries/match", json={"text": "valves " * 1000}, headers={"X-Request-ID": "big-1"}
    )
    assert response.status_code == 413
    assert response.headers["x-request-id"] == "big-1"


def test_the_access_line_is_json_with_the_request_id_and_key_prefix(
    client: TestClient, api_key: tuple[str, str], log_lines: io.StringIO
) -> None:
    key, prefix = api_key
    client.get("/v1/buyers/NO-SUCH-BUYER/suppliers", headers={"X-Request-ID": "trace-42"})
    lines = _json_lines(log_lines)
    access = [e for e in lines if e["logger"] == "api.access" and e.get("request_id") == "trace-42"]
    assert len(access) == 1, lines
    line = access[0]
    assert line["method"] == "GET"
    assert line["path"] == "/v1/buyers/{buyer_id}/suppliers"  # the template, not the id
    assert line["status"] == 404
    assert line["duration_ms"] >= 0
    assert line["key_prefix"] == prefix
    assert line["level"] == "INFO" and line["ts"].endswith("+00:00") and line["message"]
    secret = key.split("_", 2)[2]
    assert secret not in log_lines.getvalue()


@pytest.fixture
def bare_app(mini_settings: Settings) -> FastAPI:
    """An app with two extra routes: one that logs, one that fails."""
    app = create_app(mini_settings)

    def noisy() -> dict[str, str]:
        logging.getLogger("tests.noisy").warning("looked at %s", "valves", extra={"hs": "8481"})
        return {"ok": "yes"}

    def boom() -> None:
        raise RuntimeError("kaput")

    app.add_api_route("/noisy", noisy)
    app.add_api_route("/boom", boom)
    return app


def test_log_lines_inside_a_request_carry_its_id_and_extra_fields(
    bare_app: FastAPI, log_lines: io.StringIO
) -> None:
    client = TestClient(bare_app, raise_server_exceptions=False)

    assert client.get("/noisy", headers={"X-Request-ID": "n-1"}).status_code == 200
    crashed = client.get("/boom", headers={"X-Request-ID": "b-1"})
    assert crashed.status_code == 500
    assert crashed.headers["x-request-id"] == "b-1"
    assert crashed.headers["content-type"] == "application/problem+json"

    lines = _json_lines(log_lines)
    noisy_line = next(e for e in lines if e["logger"] == "tests.noisy")
    assert noisy_line == {
        "ts": noisy_line["ts"],
        "level": "WARNING",
        "logger": "tests.noisy",
        "message": "looked at valves",
        "request_id": "n-1",
        "hs": "8481",
    }
    failure = next(e for e in lines if e.get("request_id") == "b-1" and "exc_info" in e)
    assert "RuntimeError: kaput" in failure["exc_info"]
    access = next(e for e in lines if e["logger"] == "api.access" and e.get("request_id") == "b-1")
    assert access["status"] == 500 and access["path"] == "/boom"
    outside = logging.getLogger("tests.noisy")
    outside.warning("between requests")
    assert "request_id" not in _json_lines(log_lines)[-1]


def test_configure_logging_is_idempotent_and_can_be_plain(mini_settings: Settings) -> None:
    buffer = io.StringIO()
    try:
        observability.configure_logging(mini_settings, stream=buffer)
        plain = mini_settings.model_copy(update={"log_json": False})
        observability.configure_logging(plain, stream=buffer)
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_tradematch_handler", 0)]
        assert len(ours) == 1
        logging.getLogger("tests.plain").warning("hello")
        line = buffer.getvalue().strip()
        assert line.endswith("WARNING tests.plain [-] hello")
        assert not line.startswith("{")
        assert logging.getLogger("uvicorn.error").propagate
        assert logging.getLogger("uvicorn.access").disabled
    finally:
        observability.configure_logging(mini_settings)


def test_latency_is_labelled_by_route_template(client: TestClient) -> None:
    client.get("/v1/buyers/ID-THAT-MUST-NOT-LEAK/suppliers")
    samples = _samples(client)
    count = _value(
        samples,
        "tradematch_http_request_duration_seconds_count",
        method="GET",
        route="/v1/buyers/{buyer_id}/suppliers",
        status="404",
    )
    assert count >= 1
    buckets = {
        lab["le"]
        for lab, _ in samples["tradematch_http_request_duration_seconds_bucket"]
        if lab["route"] == "/v1/buyers/{buyer_id}/suppliers"
    }
    assert {"0.1", "0.15", "0.2", "+Inf"} <= buckets
    text = client.get("/metrics").text
    assert "ID-THAT-MUST-NOT-LEAK" not in text
    client.get("/v1/no/such/route")
    assert "/v1/no/such/route" not in client.get("/metrics").text
    assert 'route="unmatched"' in client.get("/metrics").text


def test_successful_matches_are_counted_by_kind(client: TestClient) -> None:
    before = _samples(client)
    assert _value(before, "tradematch_matches_total", kind="importers") >= 0  # exported at 0
    response = client.post("/v1/inquiries/match", json={"text": "ball valves", "top_k": 2})
    assert response.status_code == 200, response.text
    assert client.get("/v1/buyers/MX-B01/suppliers").status_code == 200
    assert client.get("/v1/buyers/NO-SUCH-BUYER/suppliers").status_code == 404  # not counted
    after = _samples(client)
    for kind in ("inquiry", "suppliers"):
        grown = _value(after, "tradematch_matches_total", kind=kind) - _value(
            before, "tradematch_matches_total", kind=kind
        )
        assert grown == 1, kind
    assert _value(after, "tradematch_matches_total", kind="service_partners") == _value(
        before, "tradematch_matches_total", kind="service_partners"
    )


def test_index_info_shows_the_served_products_version(client: TestClient) -> None:
    health = client.get("/v1/health").json()["index"]
    samples = _samples(client)
    info = [lab for lab, v in samples["tradematch_index_info"] if v == 1]
    assert {
        "collection": "products",
        "version": health["version"],
        "model": health["model"],
    } in info
    assert _value(samples, "tradematch_index_items", collection="products") == health["products"]


def test_metrics_need_no_key_and_stay_out_of_the_schema(app: FastAPI) -> None:
    anonymous = TestClient(app)
    assert anonymous.get("/metrics").status_code == 200
    assert "/metrics" not in anonymous.get("/openapi.json").json()["paths"]


def test_each_app_has_its_own_registry(mini_settings: Settings) -> None:
    one, two = create_app(mini_settings), create_app(mini_settings)
    TestClient(one).get("/v1/health")
    assert one.state.metrics.registry is not two.state.metrics.registry
    text = TestClient(two).get("/metrics").text
    assert 'route="/v1/health"' not in text
