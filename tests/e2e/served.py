"""A demo store bootstrapped and served by the real `tradematch` command, over real HTTP.

Bootstrapping generates demo data and builds the indexes (minutes), so the end-to-end tests
share one store and one server (the session fixture ``served_demo`` in conftest.py). This
module holds the pieces the tests import: the handle they receive and small HTTP helpers
that need nothing beyond the standard library.
"""

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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRADEMATCH = Path(sys.executable).with_name("tradematch")
REPO_ROOT = Path(__file__).resolve().parents[2]
# 300 firms give each center (Hanoi in particular) enough importers for a shortlist while
# the bootstrap stays quick; `make run` uses the much larger default.
DEMO_EXPORTERS = 300


@dataclass(frozen=True)
class ServedDemo:
    """What a test needs to talk to the served demo store: where it answers, where its data
    lies (``demo-keys.json``, ``demo-users.json``, the SQLite file), the environment the
    server runs with (to run more ``tradematch`` commands on the same store) and the demo
    API keys by name ("demo admin", "demo partner platform", "demo staff Hanoi", …)."""

    base_url: str
    data_dir: Path
    env: dict[str, str]
    keys: dict[str, str]
    log_path: Path

    @property
    def partner_key(self) -> str:
        return self.keys["demo partner platform"]

    @property
    def admin_key(self) -> str:
        return self.keys["demo admin"]

    def tradematch(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run ``tradematch <args>`` on this store (the server keeps running)."""
        return run_tradematch(list(args), self.env, timeout)

    def server_log(self) -> str:
        """The server's output so far, to explain a failure."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def demo_env(data_dir: Path) -> dict[str, str]:
    """The caller's environment pointed at ``data_dir`` with SQLite: a developer's
    ``TRADEMATCH_DATABASE_URL`` must not send a throwaway store into their database."""
    env = {
        **os.environ,
        "TRADEMATCH_DATA_DIR": str(data_dir),
        "TRADEMATCH_DEMO_EXPORTERS": str(DEMO_EXPORTERS),
    }
    env.pop("TRADEMATCH_DATABASE_URL", None)
    return env


def run_tradematch(
    args: list[str], env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``tradematch <args>`` from the repository root (where ``models/`` lies)."""
    return subprocess.run(
        [str(TRADEMATCH), *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str, key: str | None = None, timeout: float = 10) -> tuple[int, Any]:
    headers = {"X-API-Key": key} if key else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


def post_json(url: str, body: Any, key: str | None = None, timeout: float = 30) -> tuple[int, Any]:
    headers = {"content-type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


class ServerStartError(RuntimeError):
    """The bootstrap failed or the server did not come up; the message carries the output."""


@contextmanager
def serve_demo(root: Path, startup_timeout: float = 180) -> Iterator[ServedDemo]:
    """Bootstrap an empty data dir under ``root`` as `make run` does, serve it on a free
    port until the block ends, and stop the server (killing it if it does not stop)."""
    data_dir = root / "data"
    env = demo_env(data_dir)
    boot = run_tradematch(["bootstrap"], env)
    if boot.returncode != 0:
        raise ServerStartError(f"tradematch bootstrap failed:\n{boot.stdout}{boot.stderr}")
    keys = json.loads((data_dir / "demo-keys.json").read_text())
    port = free_port()
    log_path = root / "server.log"
    # The output goes to a file, not a pipe nobody reads: a full pipe would block the server.
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(TRADEMATCH), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    demo = ServedDemo(f"http://127.0.0.1:{port}", data_dir, env, keys, log_path)
    try:
        _wait_until_serving(demo, server, startup_timeout)
        yield demo
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def _wait_until_serving(demo: ServedDemo, server: subprocess.Popen[bytes], limit: float) -> None:
    """Poll /v1/health until it reports a loaded index (the server starts answering before
    its index is in memory)."""
    deadline = time.monotonic() + limit
    while True:
        try:
            status, body = get_json(f"{demo.base_url}/v1/health", timeout=2)
            if status == 200 and body.get("index"):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if server.poll() is not None:
            raise ServerStartError(f"the server exited ({server.returncode}):\n{demo.server_log()}")
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"the server did not come up in {limit:.0f} s:\n{demo.server_log()}"
            )
        time.sleep(0.5)
