"""An index reload under load drops no request: matches keep answering 200 while new
product index versions are built, published and swapped in, and the new product is found
once its version is served."""

from __future__ import annotations

import threading
import time
from collections import Counter

from matcher.config import Settings
from tests.support.api import client_as, served_app


def test_requests_during_index_reloads_all_succeed(private_settings: Settings) -> None:
    settings = private_settings.model_copy(update={"rate_limit_requests": 10**9})
    app = served_app(settings)
    runtime = app.state.runtime
    partner = client_as(app, "partner")
    admin = client_as(app, "admin")
    statuses: Counter[int] = Counter()
    versions: set[str] = set()
    failures: list[str] = []
    stop = threading.Event()

    def load() -> None:
        inquiry = {"text": "stainless steel ball valves", "top_k": 3}
        while not stop.is_set():
            response = partner.post("/v1/inquiries/match", json=inquiry)
            statuses[response.status_code] += 1
            if response.status_code == 200:
                versions.add(response.json()["index_version"])
            else:
                failures.append(response.text[:300])

    workers = [threading.Thread(target=load) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        before = app.state.match_service is not None and runtime.indexes.manifest("products")
        served = [before.version]
        for n in range(3):
            made = admin.post(
                "/v1/products",
                json={
                    "external_id": f"RELOAD-P{n}",
                    "exporter_id": "MX-E01",
                    "description": f"Cryogenic ball valve series {n} for LNG terminals",
                    "hs_code": "848180",
                },
            )
            assert made.status_code == 201, made.text
            runtime.build_index("products")
            assert runtime.indexes.reload() == ["products"]
            served.append(runtime.indexes.manifest("products").version)
        # How many requests fit into three reloads depends on the machine: let the load run
        # on until it has at least ten answers (the reloads above already overlapped it).
        deadline = time.monotonic() + 60
        while statuses[200] + len(failures) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)

    assert not failures, failures[:3]
    assert statuses[200] >= 10, statuses
    assert len(set(served)) == 4  # three new versions were swapped in under load
    assert versions & set(served[1:]), "no request was answered by a reloaded version"
    found = partner.post(
        "/v1/inquiries/match",
        json={"text": "Cryogenic ball valve series 2 for LNG terminals", "top_k": 20},
    ).json()
    assert found["index_version"] == served[-1]
    assert "RELOAD-P2" in {r["product"]["id"] for r in found["results"]}
