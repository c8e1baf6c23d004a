"""What `make run` does on a fresh checkout, as subprocesses over real HTTP: bootstrap an
empty data dir (schema, demo data, index), start the server, answer health and a match.

The store and the server are the session's shared ``served_demo`` (tests/e2e/conftest.py):
bootstrapping takes minutes and the browser tests need the same thing. The check that a
second bootstrap reuses everything runs here against that shared data dir, with the server
up, as a developer re-running `tradematch bootstrap` would; it writes nothing when it passes,
so the other tests see the store unchanged."""

from __future__ import annotations

import json
import urllib.error

import pytest

from tests.e2e.served import ServedDemo, get_json, post_json

pytestmark = pytest.mark.slow


def test_bootstrap_issues_private_demo_keys(served_demo: ServedDemo) -> None:
    keys_file = served_demo.data_dir / "demo-keys.json"
    assert keys_file.stat().st_mode & 0o077 == 0, "the demo keys are readable by others"
    assert set(served_demo.keys) == {
        "demo admin",
        "demo partner platform",
        "demo staff Hanoi",
        "demo staff New Delhi",
    }


def test_health_answers_with_the_index(served_demo: ServedDemo) -> None:
    status, body = get_json(f"{served_demo.base_url}/v1/health")
    assert status == 200 and body["status"] == "ok"
    assert body["index"]["products"] > 100


def test_a_real_match_answers(served_demo: ServedDemo) -> None:
    url = f"{served_demo.base_url}/v1/inquiries/match"
    inquiry = {"text": "stainless steel ball valves for a chemical plant", "top_k": 5}
    with pytest.raises(urllib.error.HTTPError) as refused:
        post_json(url, inquiry)
    assert refused.value.code == 401, "a request without a key was served"
    status, body = post_json(url, inquiry, served_demo.partner_key)
    assert status == 200
    assert len(body["results"]) == 5
    assert all(r["explanations"] for r in body["results"])


def test_a_second_bootstrap_reuses_everything(served_demo: ServedDemo) -> None:
    again = served_demo.tradematch("bootstrap", timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "indexes are up to date" in again.stdout, again.stdout
    keys_file = served_demo.data_dir / "demo-keys.json"
    assert json.loads(keys_file.read_text()) == served_demo.keys  # issued once, not rotated
