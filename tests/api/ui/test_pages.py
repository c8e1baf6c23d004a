"""The staff web UI over HTTP (no browser): login and logout, center isolation (404),
CSRF, inert markup, dashboard numbers against SQL, every page in Korean and English with no
missing translation, and the shortlist workflow end to end."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.ui import i18n
from matcher.config import Settings
from matcher.domain.enums import BuyerType, FunnelStage, PricePositioning
from matcher.domain.schemas import BuyerRecord, FunnelEventRecord
from matcher.storage import records
from matcher.storage.database import session_scope
from matcher.storage.staff_users import create_user
from tests.support.api import served_app

PASSWORD = "correct horse battery"
TEMPLATES = Path(i18n.__file__).parent / "templates"
XSS = "<script>alert('x')</script> Trading"


@pytest.fixture(scope="module")
def app(private_settings: Settings) -> FastAPI:
    app = served_app(private_settings)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with session_scope(app.state.runtime.sessions) as session:
        create_user(session, "lan", "Lan (Hanoi)", PASSWORD, ["HAN"])
        create_user(session, "minh", "Minh (Hanoi)", PASSWORD, ["HAN"])
        create_user(session, "priya", "Priya (Delhi)", PASSWORD, ["DEL"])
        records.create(
            session,
            "buyers",
            BuyerRecord(external_id="UI-XSS", name=XSS, country="VN", city="Hanoi", center="HAN"),
        )
        stages = ["market_info_sent", "market_info_sent", "mou", "consultation", "contract"]
        for n, stage in enumerate(stages):
            records.create(
                session,
                "events",
                FunnelEventRecord(
                    exporter_id="MX-E01",
                    buyer_id="MX-B01" if n % 2 else "UI-XSS",
                    stage=FunnelStage(stage),
                    occurred_at=now - dt.timedelta(minutes=n),
                    center="HAN",
                    actor="Lan (Hanoi)",
                ),
            )
        records.create(  # New Delhi's event: never in Hanoi's numbers
            session,
            "events",
            FunnelEventRecord(
                exporter_id="MX-E06",
                buyer_id="MX-B03",
                stage=FunnelStage.MOU,
                occurred_at=now,
                center="DEL",
            ),
        )
    return app


def login(app: FastAPI, username: str, lang: str = "ko") -> TestClient:
    client = TestClient(app)
    client.cookies.set(i18n.COOKIE, lang)
    response = client.post(
        "/ui/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


def csrf(client: TestClient, url: str = "/ui/") -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', client.get(url).text)
    assert match
    return match.group(1)


def start_shortlist(client: TestClient, buyers: list[str]) -> str:
    token = csrf(client)
    for buyer in buyers:
        added = client.post(
            "/ui/firms/MX-E01/shortlist",
            data={
                "buyer_id": buyer,
                "center": "HAN",
                "csrf_token": token,
                "score": "0.4",
                "reason_en": ["Shares HS heading 8481"],
                "reason_ko": ["HS 8481 일치"],
            },
            headers={"X-Requested-With": "fetch"},
        )
        assert added.status_code == 200, added.text
    return str(added.json()["shortlist"])


def test_pages_need_a_login_and_a_wrong_password_is_refused(app: FastAPI) -> None:
    anonymous = TestClient(app)
    for url in ("/ui/", "/ui/firms/MX-E01", "/ui/buyers/MX-B01", "/ui/search?q=x"):
        response = anonymous.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")
    wrong = anonymous.post("/ui/login", data={"username": "lan", "password": "nope-nope-nope"})
    assert wrong.status_code == 401 and i18n.messages("ko")["auth.failed"] in wrong.text
    # Never an open redirect after login.
    client = TestClient(app)
    response = client.post(
        "/ui/login",
        data={"username": "lan", "password": PASSWORD, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/ui/"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    # Logging out ends the session on the server, not only in the browser.
    token = client.cookies.get("tm_session")
    assert client.post("/ui/logout", data={"csrf_token": csrf(client)}).status_code == 200
    stale = TestClient(app)
    stale.cookies.set("tm_session", token)
    assert stale.get("/ui/", follow_redirects=False).status_code == 303


def test_new_delhi_staff_get_404_on_hanoi_pages(app: FastAPI) -> None:
    hanoi, delhi = login(app, "lan"), login(app, "priya")
    shortlist = start_shortlist(hanoi, ["MX-B01"])
    for url in (
        "/ui/?center=HAN",
        "/ui/firms/MX-E01?center=HAN",
        "/ui/buyers/MX-B01",
        f"/ui/shortlists/{shortlist}",
        f"/ui/shortlists/{shortlist}/export.xlsx",
        f"/ui/shortlists/{shortlist}/export.csv",
        "/ui/firms/MX-E01/report.xlsx?center=HAN",
    ):
        assert hanoi.get(url).status_code == 200, url
        response = delhi.get(url)
        assert response.status_code == 404, url
        # Nothing of the record shows (the id appears only in the page's own links).
        assert "Minh Phát" not in response.text and "Hai Phong" not in response.text
    token = csrf(delhi)
    posts = {
        f"/ui/shortlists/{shortlist}/event": {"buyer_id": "MX-B01", "stage": "mou"},
        f"/ui/shortlists/{shortlist}/item": {"buyer_id": "MX-B01", "version": "1", "note": "x"},
        f"/ui/shortlists/{shortlist}/remove": {"buyer_id": "MX-B01", "version": "1"},
        "/ui/firms/MX-E01/shortlist": {"buyer_id": "MX-B01", "center": "HAN"},
    }
    for url, data in posts.items():
        assert delhi.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    assert delhi.get("/ui/buyers/MX-B03").status_code == 200  # their own importer


def test_forms_without_the_csrf_token_are_rejected(app: FastAPI) -> None:
    hanoi = login(app, "lan")
    shortlist = start_shortlist(hanoi, ["MX-B01"])
    before = hanoi.get(f"/ui/shortlists/{shortlist}").text
    with session_scope(app.state.runtime.sessions) as session:
        events = session.execute(text("SELECT count(*) FROM funnel_events")).scalar_one()
    posts = {
        "/ui/firms/MX-E01/shortlist": {"buyer_id": "MX-B02", "center": "HAN"},
        "/ui/firms/MX-E01/shortlist/all": {"buyer_id": "MX-B02", "center": "HAN"},
        f"/ui/shortlists/{shortlist}/event": {"buyer_id": "MX-B01", "stage": "contract"},
        f"/ui/shortlists/{shortlist}/item": {"buyer_id": "MX-B01", "version": "1", "note": "x"},
        f"/ui/shortlists/{shortlist}/move": {
            "buyer_id": "MX-B01",
            "version": "1",
            "direction": "up",
        },
        f"/ui/shortlists/{shortlist}/remove": {"buyer_id": "MX-B01", "version": "1"},
        "/ui/logout": {},
    }
    for url, data in posts.items():
        assert hanoi.post(url, data=data).status_code == 403, url
        forged = hanoi.post(url, data={**data, "csrf_token": "forged"})
        assert forged.status_code == 403, url
        assert i18n.messages("ko")["error.csrf"] in forged.text
    with session_scope(app.state.runtime.sessions) as session:
        assert session.execute(text("SELECT count(*) FROM funnel_events")).scalar_one() == events
    assert hanoi.get(f"/ui/shortlists/{shortlist}").text == before
    assert hanoi.get("/ui/").status_code == 200  # still logged in: logout was refused too


def test_a_script_in_a_buyer_name_renders_inert(app: FastAPI) -> None:
    hanoi = login(app, "lan")
    shortlist = start_shortlist(hanoi, ["UI-XSS"])
    for url in ("/ui/buyers/UI-XSS", f"/ui/shortlists/{shortlist}", "/ui/?center=HAN"):
        page = hanoi.get(url).text
        assert "<script>alert" not in page, url
    assert (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Trading"
        in hanoi.get("/ui/buyers/UI-XSS").text
    )


def _dashboard_counts(page: str) -> dict[str, int]:
    return {
        stage: int(count)
        for stage, count in re.findall(
            r'data-stage="(\w+)"><td>[^<]*</td><td class="num" data-count>(\d+)', page
        )
    }


def test_dashboard_numbers_equal_a_direct_sql_count(app: FastAPI) -> None:
    hanoi = login(app, "lan")
    shown = _dashboard_counts(hanoi.get("/ui/").text)
    start = dt.datetime.now(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    with session_scope(app.state.runtime.sessions) as session:
        rows = session.execute(
            text(
                "SELECT stage, count(*) FROM funnel_events WHERE center = :c "
                "AND occurred_at >= :s AND occurred_at < :e GROUP BY stage"
            ),
            {"c": "HAN", "s": start.replace(tzinfo=None), "e": end.replace(tzinfo=None)},
        ).all()
    counted = dict(rows)
    assert shown == {s.value: counted.get(s.value, 0) for s in FunnelStage.progression()}
    assert shown["market_info_sent"] >= 2 and shown["contract"] >= 1


def test_every_page_renders_in_korean_and_english_with_no_missing_key(app: FastAPI) -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_.]+)'", template.read_text("utf-8")))
    prefixes = {k for k in used if k.endswith(".")}
    keys = used - prefixes
    dynamic = (
        {f"buyer_type.{b.value}" for b in BuyerType}
        | {f"price.{p.value}" for p in PricePositioning}
        | {f"search.kind.{k}" for k in ("firm", "buyer", "need")}
        | {f"notice.{n}" for n in ("saved", "stale", "recorded")}
    )
    assert {k.rsplit(".", 1)[0] + "." for k in dynamic} >= prefixes
    for lang in i18n.LANGUAGES:
        table = i18n.messages(lang)
        missing = (keys | dynamic) - set(table)
        assert not missing, f"{lang} lacks {sorted(missing)}"
        assert all(value.strip() for value in table.values())
    assert set(i18n.messages("ko")) == set(i18n.messages("en"))

    for lang in i18n.LANGUAGES:
        client = login(app, "lan", lang)
        shortlist = start_shortlist(client, ["MX-B01"])
        pages = [
            "/ui/login",
            "/ui/",
            "/ui/firms/MX-E01?center=HAN",
            f"/ui/shortlists/{shortlist}",
            f"/ui/shortlists/{shortlist}?notice=stale",
            "/ui/buyers/MX-B01",
            "/ui/search?q=stainless+valves",
            "/ui/buyers/NOPE",
        ]
        for url in pages:
            page = client.get(url).text
            assert "⟦" not in page, (lang, url)
            assert f'<html lang="{lang}"' in page, (lang, url)
        korean = client.get("/ui/").text
        assert (i18n.messages("ko")["dashboard.title"] in korean) == (lang == "ko")


def test_the_shortlist_workflow(app: FastAPI) -> None:
    lan, minh = login(app, "lan", "en"), login(app, "minh", "en")
    firm = lan.get("/ui/firms/MX-E01?center=HAN&buyer_type=distributor")
    assert firm.status_code == 200
    assert all(
        "Distributor" in row
        for row in re.findall(r'<tr data-buyer="[^"]+">(.*?)</tr>', firm.text, re.S)
    )
    shortlist = start_shortlist(lan, ["MX-B01", "UI-XSS"])
    page = lan.get(f"/ui/shortlists/{shortlist}").text
    version = int(re.search(r'name="version" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
    token = csrf(lan)
    moved = lan.post(
        f"/ui/shortlists/{shortlist}/move",
        data={"buyer_id": "UI-XSS", "direction": "up", "version": version, "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.headers["location"].endswith("notice=saved")
    # Minh still has the old version open: his change is refused, not lost over Lan's.
    stale = minh.post(
        f"/ui/shortlists/{shortlist}/item",
        data={"buyer_id": "MX-B01", "version": version, "note": "mine", "csrf_token": csrf(minh)},
        follow_redirects=False,
    )
    assert stale.headers["location"].endswith("notice=stale")
    assigned = lan.post(
        f"/ui/shortlists/{shortlist}/item",
        data={
            "buyer_id": "MX-B01",
            "version": version + 1,
            "note": "send catalogue",
            "assigned_to": "Minh (Hanoi)",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert assigned.headers["location"].endswith("notice=saved")
    recorded = lan.post(
        f"/ui/shortlists/{shortlist}/event",
        data={
            "buyer_id": "MX-B01",
            "stage": "consultation",
            "value_usd": "12000",
            "note": "video call",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert recorded.headers["location"].endswith("notice=recorded")
    bad = lan.post(
        f"/ui/shortlists/{shortlist}/event",
        data={
            "buyer_id": "MX-B01",
            "stage": "consultation",
            "value_usd": "lots",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422 and "value_usd" in bad.text

    workbook = openpyxl.load_workbook(
        io.BytesIO(lan.get(f"/ui/shortlists/{shortlist}/export.xlsx").content)
    )
    sheet = workbook.active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    body = [r for r in rows if r and r[1] in ("MX-B01", "UI-XSS")]
    assert [r[1] for r in body] == ["UI-XSS", "MX-B01"]  # the order Lan set
    flat = json.dumps(rows, default=str, ensure_ascii=False)
    assert "Shares HS heading 8481" in flat and "send catalogue" in flat
    assert "Minh (Hanoi)" in flat and "Consultation" in flat
    history = lan.get("/ui/buyers/MX-B01").text
    assert "video call" in history and "12000" in history


def test_search_finds_firms_and_importers_in_another_language_within_the_center(
    app: FastAPI,
) -> None:
    hanoi, delhi = login(app, "lan", "en"), login(app, "priya", "en")
    # Korean for "stainless ball valves": the valve makers, though their profiles are English.
    page = hanoi.get("/ui/search", params={"q": "스테인리스 볼밸브"}).text
    firms = re.findall(r'href="/ui/firms/([^"]+)"', page)
    assert firms and firms[0] in ("MX-E01", "MX-E09"), firms[:3]
    # Vietnamese for "ball valves for a chemical plant": Hanoi's importer that asks for them.
    found = hanoi.get("/ui/search", params={"q": "van bi cho nhà máy hóa chất"}).text
    assert "/ui/buyers/MX-B01" in found
    # New Delhi staff never get Hanoi's importers, whatever they search.
    other = delhi.get("/ui/search", params={"q": "van bi cho nhà máy hóa chất"}).text
    assert "/ui/buyers/MX-B01" not in other and "/ui/buyers/UI-XSS" not in other
