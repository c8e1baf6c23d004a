"""Property-based fuzzing of the API against its own OpenAPI schema (schemathesis): for every
operation, bounded generated requests, valid and invalid, never get a 5xx, and every
response conforms to the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from api.main import create_app
from matcher.config import Settings
from tests.support.api import issue_key

MAX_EXAMPLES = 20  # per operation; `make test` must stay fast


@pytest.fixture(scope="module")
def api_schema(private_settings: Settings):  # type: ignore[no-untyped-def]
    # A private store (the fuzzer's valid POSTs create records), and a rate limit the
    # fuzzer's ~1,000 requests never reach (a 429 would hide the operations after it).
    app = create_app(private_settings.model_copy(update={"rate_limit_requests": 10**9}))
    runtime = app.state.runtime
    # What the lifespan loads, without its background threads: a 503 while warming up is
    # correct behaviour but not what this test is after.
    app.state.match_service = runtime.match_service()
    app.state.hs_suggester = runtime.hs_suggester()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.admin_key = issue_key(app, "admin")  # every operation, as the role allowed all
    return schema


def test_no_operation_answers_5xx(api_schema) -> None:  # type: ignore[no-untyped-def]
    """Each operation in turn (schemathesis's strategies driven by Hypothesis directly:
    its pytest plugin does not support this pytest)."""
    from hypothesis import given

    checked = []
    calls: dict[str, int] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers={"X-API-Key": api_schema.admin_key})
            key = f"{case.method} {case.path}"
            calls[key] = calls.get(key, 0) + 1
            assert response.status_code < 500, (case.method, case.path, response.text[:500])
            if response.status_code >= 400:
                content_type = response.headers["content-type"]
                if isinstance(content_type, list):  # schemathesis's response keeps all values
                    content_type = content_type[0]
                assert content_type.startswith("application/problem+json"), response.text

        run()
        checked.append(f"{operation.method.upper()} {operation.path}")
    print(f"fuzzed {len(checked)} operations with {sum(calls.values())} requests: no 5xx")
    assert len(checked) >= 40, checked
    # every operation was actually exercised, most of them with several distinct requests
    assert len(calls) == len(checked) and sum(calls.values()) >= 5 * len(checked), calls
