"""The nightly batch's recommendations are served from one committed run: while a run is
being written the API keeps serving the previous one, and switches only when the new run
commits, never mixing the two within a response. Scoping is the live routes': a partner its
own inquiries, staff their centers, admins the runs."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from fastapi import FastAPI

from api.main import create_app
from api.routes.resources import SENSITIVE_FIELDS
from matcher.config import Settings
from matcher.storage import batch_runs
from matcher.storage.batch_runs import Recommendation
from matcher.storage.database import session_scope
from tests.support.api import client_as

NEED = "BR-N1"  # the first partner's inquiry
FIRM = "MX-E01"
INQUIRY_URL = f"/v1/recommendations/inquiries/{NEED}"
IMPORTERS_URL = f"/v1/recommendations/firms/{FIRM}/importers?center=HAN"
PARTNERS_URL = f"/v1/recommendations/firms/{FIRM}/service-partners?market=IN"

# Each run recommends different targets for the same queries, so a mix would show.
SUPPLIERS = {"A": ["MX-E01", "MX-E09"], "B": ["MX-E02", "MX-E07", "MX-E06"]}
IMPORTERS = {"A": ["MX-B01"], "B": ["MX-B02", "MX-B01"]}
SERVICES = {"A": ["BR-SV1"], "B": ["BR-SV2", "BR-SV1"]}


@pytest.fixture(scope="module")
def world(private_settings: Settings) -> dict[str, Any]:
    """An app (no matching needed: everything is read from the batch's tables), an
    inquiry owned by one partner, two service offerings, and clients of every role. Before
    anything is committed, an inquiry's recommendations answer the "no run" problem."""
    app = create_app(private_settings)
    admin = client_as(app, "admin")
    owner, stranger = client_as(app, "partner"), client_as(app, "partner")
    made = [
        owner.post(
            "/v1/needs",
            json={"external_id": NEED, "text": "stainless ball valves, DN50", "country": "VN"},
        )
    ]
    for service_id, service_type in (
        ("BR-SV1", "certification_consulting"),
        ("BR-SV2", "logistics"),
    ):
        made.append(
            admin.post(
                "/v1/services",
                json={
                    "external_id": service_id,
                    "exporter_id": "MX-S01",
                    "service_type": service_type,
                    "description": "BIS registration and shipping for India",
                },
            )
        )
    for response in made:
        assert response.status_code == 201, response.text
    return {
        "app": app,
        "admin": admin,
        "owner": owner,
        "stranger": stranger,
        "hanoi": client_as(app, "staff", ["HAN"]),
        "delhi": client_as(app, "staff", ["DEL"]),
        "before_any_run": owner.get(INQUIRY_URL),
    }


def _rows(version: str) -> dict[str, list[Recommendation]]:
    """A run's rows, by task: descending scores, bilingual reasons naming the version."""

    def ranked(task: str, key: str, targets: list[str]) -> list[Recommendation]:
        return [
            Recommendation(
                task,
                key,
                rank,
                target,
                score=1.0 - rank / 10,
                probability=0.3,
                reasons=[{"en": f"run {version}", "ko": f"실행 {version}", "feature": "x"}],
            )
            for rank, target in enumerate(targets, start=1)
        ]

    return {
        "inquiry_suppliers": ranked("inquiry_suppliers", NEED, SUPPLIERS[version]),
        "firm_importers": ranked("firm_importers", f"{FIRM}@HAN", IMPORTERS[version]),
        "service_partners": ranked("service_partners", f"{FIRM}@IN", SERVICES[version]),
    }


def _start(app: FastAPI, previous: str | None) -> str:
    run_id = f"test-{uuid.uuid4().hex[:12]}"
    with session_scope(app.state.runtime.sessions) as session:
        batch_runs.start_run(session, run_id, "full", {}, len(batch_runs.TASKS), previous)
    return run_id


def _write(app: FastAPI, run_id: str, version: str, tasks: tuple[str, ...]) -> None:
    rows = _rows(version)
    for task in tasks:
        number = batch_runs.TASKS.index(task)
        batch_runs.write_partition(
            app.state.runtime.sessions, run_id, task, number, 1, rows[task], 0.01
        )


def _commit(app: FastAPI, run_id: str) -> None:
    with session_scope(app.state.runtime.sessions) as session:
        batch_runs.commit_run(session, run_id, {"queries": 3})


def _committed(app: FastAPI, version: str) -> str:
    """A whole run of ``version``'s rows, committed (served from now on)."""
    with session_scope(app.state.runtime.sessions) as session:
        previous = batch_runs.current_run_id(session)
    run_id = _start(app, previous)
    _write(app, run_id, version, batch_runs.TASKS)
    _commit(app, run_id)
    return run_id


def _targets(body: dict[str, Any], key: str) -> list[str]:
    return [item[key] for item in body["items"]]


def _served(world: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """Each endpoint's served run (header and body must agree) and targets in rank order."""
    out = {}
    for name, client, url, key in (
        ("suppliers", world["owner"], INQUIRY_URL, "supplier_id"),
        ("importers", world["hanoi"], IMPORTERS_URL, "importer_id"),
        ("services", world["admin"], PARTNERS_URL, "service_id"),
    ):
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert response.headers["X-Batch-Run"] == body["run_id"]
        out[name] = (body["run_id"], _targets(body, key))
    return out


def _expected(run_id: str, version: str) -> dict[str, tuple[str, list[str]]]:
    return {
        "suppliers": (run_id, SUPPLIERS[version]),
        "importers": (run_id, IMPORTERS[version]),
        "services": (run_id, SERVICES[version]),
    }


def test_before_any_run_commits_the_answer_says_how_to_get_one(world: dict[str, Any]) -> None:
    response = world["before_any_run"]
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/no-committed-run"
    assert "no nightly run has committed yet" in body["detail"]
    assert "tradematch batch nightly" in body["detail"]


def test_the_previous_run_is_served_until_the_new_one_commits(world: dict[str, Any]) -> None:
    app = world["app"]
    run_a = _committed(app, "A")
    assert _served(world) == _expected(run_a, "A")

    run_b = _start(app, run_a)
    _write(app, run_b, "B", batch_runs.TASKS)  # every row of B written, not committed
    assert _served(world) == _expected(run_a, "A")

    _commit(app, run_b)
    assert _served(world) == _expected(run_b, "B")

    # The bodies carry the served run's times, the targets' names and both languages.
    body = world["owner"].get(INQUIRY_URL).json()
    assert body["need_id"] == NEED and body["switched_at"] and body["committed_at"]
    first = body["items"][0]
    assert first["rank"] == 1 and first["supplier"]["name_en"] == "Gunsan Steel Pipe Co."
    assert first["reasons"] == [{"en": "run B", "ko": "실행 B"}]
    importers = world["hanoi"].get(IMPORTERS_URL).json()
    assert importers["center"] == "HAN"
    assert importers["items"][1]["importer"]["city"] == "Hai Phong"
    assert importers["items"][1]["importer"]["buyer_type"] == "distributor"
    services = world["admin"].get(PARTNERS_URL).json()
    assert services["market"] == "IN"
    assert services["items"][0]["service_type"] == "logistics"
    assert services["items"][0]["service_firm"]["external_id"] == "MX-S01"


def test_a_reader_during_a_run_sees_whole_runs_only(world: dict[str, Any]) -> None:
    """A poller reads while run B is written partition by partition and committed: it sees
    A, then B, each whole; never a mix, never an empty answer, never A again after B."""
    app = world["app"]
    run_a = _committed(app, "A")
    seen: list[tuple[str, str, list[str]]] = []
    failures: list[str] = []
    progress = threading.Condition()
    stop = threading.Event()

    def poll() -> None:
        client = world["hanoi"]
        while not stop.is_set():
            for name, url, key in (
                ("suppliers", INQUIRY_URL, "supplier_id"),
                ("importers", IMPORTERS_URL, "importer_id"),
            ):
                response = client.get(url)
                if response.status_code != 200:
                    failures.append(f"{url}: {response.status_code} {response.text[:200]}")
                    stop.set()
                    break
                body = response.json()
                if response.headers.get("X-Batch-Run") != body["run_id"]:
                    failures.append(f"header {response.headers.get('X-Batch-Run')} != body")
                with progress:
                    seen.append((name, body["run_id"], _targets(body, key)))
                    progress.notify_all()

    def polled(at_least: int) -> None:
        """Wait until the poller has answered ``at_least`` requests in all."""
        with progress:
            assert progress.wait_for(lambda: len(seen) >= at_least or stop.is_set(), 60)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        polled(2)
        run_b = _start(app, run_a)
        for task in ("inquiry_suppliers", "firm_importers", "service_partners"):
            _write(app, run_b, "B", (task,))
            polled(len(seen) + 2)  # a read between every partition
        during = len(seen)
        _commit(app, run_b)
        polled(len(seen) + 4)
    finally:
        stop.set()
        poller.join(60)
    assert not failures, failures

    order = [run for _, run, _ in seen]
    assert set(order) == {run_a, run_b}
    switch = order.index(run_b)
    assert switch >= during and set(order[switch:]) == {run_b}, "A after B, or B before commit"
    wanted = {"suppliers": SUPPLIERS, "importers": IMPORTERS}
    for name, run, targets in seen:
        assert targets == wanted[name]["A" if run == run_a else "B"], (name, run, targets)


def test_staff_see_only_their_centers_firm_queries(world: dict[str, Any]) -> None:
    _committed(world["app"], "A")
    hanoi, delhi = world["hanoi"], world["delhi"]
    assert _targets(hanoi.get(IMPORTERS_URL).json(), "importer_id") == IMPORTERS["A"]
    # The key's only center is the default.
    assert hanoi.get(f"/v1/recommendations/firms/{FIRM}/importers").json()["center"] == "HAN"

    foreign = hanoi.get(f"/v1/recommendations/firms/{FIRM}/importers?center=DEL")
    assert foreign.status_code == 404, foreign.text
    # As for a firm that does not exist: nothing is disclosed.
    missing = hanoi.get("/v1/recommendations/firms/NO-SUCH/importers?center=HAN")
    assert missing.status_code == 404
    assert foreign.json()["detail"].replace(f"{FIRM}@DEL", "") == missing.json()["detail"].replace(
        "NO-SUCH@HAN", ""
    )
    assert delhi.get(IMPORTERS_URL).status_code == 404
    assert delhi.get(f"/v1/recommendations/firms/{FIRM}/importers?center=DEL").status_code == 200
    # An admin names the center.
    admin = world["admin"]
    assert admin.get(f"/v1/recommendations/firms/{FIRM}/importers").status_code == 422
    assert admin.get(IMPORTERS_URL).status_code == 200


def test_partners_read_only_their_own_inquiries_without_sensitive_fields(
    world: dict[str, Any],
) -> None:
    _committed(world["app"], "A")
    owner, stranger = world["owner"], world["stranger"]
    mine = owner.get(INQUIRY_URL)
    assert mine.status_code == 200
    assert _targets(mine.json(), "supplier_id") == SUPPLIERS["A"]
    supplier = mine.json()["items"][0]["supplier"]
    assert not set(supplier) & SENSITIVE_FIELDS
    assert stranger.get(INQUIRY_URL).status_code == 404
    assert stranger.get("/v1/recommendations/inquiries/NO-SUCH").status_code == 404
    # The inquiry is a Vietnamese importer's: Hanoi's staff read it, New Delhi's do not.
    assert world["hanoi"].get(INQUIRY_URL).status_code == 200
    assert world["delhi"].get(INQUIRY_URL).status_code == 404
    # Firm queries and the runs are not a partner's.
    for url in (IMPORTERS_URL, PARTNERS_URL, "/v1/batch/runs"):
        assert owner.get(url).status_code == 403, url


def test_admins_page_through_the_runs(world: dict[str, Any]) -> None:
    app, admin = world["app"], world["admin"]
    committed = _committed(app, "A")
    running = _start(app, committed)
    _write(app, running, "B", ("inquiry_suppliers",))

    listed: list[dict[str, Any]] = []
    url = "/v1/batch/runs?limit=1"
    while url:
        page = admin.get(url)
        assert page.status_code == 200, page.text
        listed.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        url = f"/v1/batch/runs?limit=1&cursor={cursor}" if cursor else ""
    ids = [run["run_id"] for run in listed]
    assert len(ids) == len(set(ids)) and {committed, running} <= set(ids)
    assert ids.index(running) < ids.index(committed)  # newest first
    served = [run["run_id"] for run in listed if run["served"]]
    assert served == [committed]
    only_running = admin.get("/v1/batch/runs?status=running").json()["items"]
    assert running in {r["run_id"] for r in only_running}
    assert {r["status"] for r in only_running} == {"running"}

    detail = admin.get(f"/v1/batch/runs/{running}").json()
    assert detail["status"] == "running" and detail["kind"] == "full"
    assert (detail["partitions_done"], detail["partitions_total"]) == (1, 3)
    assert detail["tasks"] == [
        {
            "task": "inquiry_suppliers",
            "partitions": 1,
            "queries": 1,
            "rows": len(SUPPLIERS["B"]),
            "seconds": pytest.approx(0.01),
        }
    ]
    done = admin.get(f"/v1/batch/runs/{committed}").json()
    assert done["status"] == "committed" and done["summary"] == {"queries": 3}
    assert done["finished_at"] and done["served"]

    assert admin.get("/v1/batch/runs/no-such-run").status_code == 404
    bad = admin.get("/v1/batch/runs?cursor=not-a-cursor")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    assert world["hanoi"].get("/v1/batch/runs").status_code == 403
