"""What `make run` does on a fresh checkout, as subprocesses over real HTTP: bootstrap an
empty data dir (schema, demo data, index), start the server, answer health and a match."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TRADEMATCH = Path(sys.executable).with_name("tradematch")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 5) -> tuple[int, dict]:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, json.loads(response.read())


def _post(url: str, body: dict, key: str | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    headers = {"content-type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path_factory.mktemp("fresh") / "data"
    env = {
        **os.environ,
        "TRADEMATCH_DATA_DIR": str(data_dir),
        "TRADEMATCH_DEMO_EXPORTERS": "200",
        "TRADEMATCH_DATABASE_URL": "",
    }
    env.pop("TRADEMATCH_DATABASE_URL")
    boot = subprocess.run(
        [str(TRADEMATCH), "bootstrap"], env=env, capture_output=True, text=True, timeout=600
    )
    assert boot.returncode == 0, boot.stdout + boot.stderr
    keys_file = data_dir / "demo-keys.json"
    assert keys_file.stat().st_mode & 0o077 == 0, "the demo keys are readable by others"
    keys = json.loads(keys_file.read_text())
    assert set(keys) == {
        "demo admin",
        "demo partner platform",
        "demo staff Hanoi",
        "demo staff New Delhi",
    }
    port = _free_port()
    server = subprocess.Popen(
        [str(TRADEMATCH), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                status, body = _get(f"{base}/v1/health", timeout=2)
                if status == 200 and body.get("index"):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                out = server.stdout.read() if server.stdout else ""
                pytest.fail(f"server did not come up: {out}")
            time.sleep(0.5)
        yield base, keys["demo partner platform"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    # A second bootstrap on the same data dir reuses everything.
    again = subprocess.run(
        [str(TRADEMATCH), "bootstrap"], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0 and "indexes are up to date" in again.stdout, again.stdout
    assert json.loads(keys_file.read_text()) == keys  # keys are issued once, not rotated


def test_health_answers_with_the_index(served: tuple[str, str]) -> None:
    base, _ = served
    status, body = _get(f"{base}/v1/health")
    assert status == 200 and body["status"] == "ok"
    assert body["index"]["products"] > 100


def test_a_real_match_answers(served: tuple[str, str]) -> None:
    base, partner_key = served
    inquiry = {"text": "stainless steel ball valves for a chemical plant", "top_k": 5}
    try:
        _post(f"{base}/v1/inquiries/match", inquiry)
        raise AssertionError("a request without a key was served")
    except urllib.error.HTTPError as refused:
        assert refused.code == 401
    status, body = _post(f"{base}/v1/inquiries/match", inquiry, partner_key)
    assert status == 200
    assert len(body["results"]) == 5
    assert all(r["explanations"] for r in body["results"])
