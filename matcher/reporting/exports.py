"""The files a center hands out: a shortlist as Excel or CSV, and a client firm's monthly
report as Excel, with Korean or English headers.

Every value that comes from the database is written as *text*, never as a formula: an
importer named ``=HYPERLINK(...)`` (or a note starting ``+``, ``-``, ``@``) would otherwise run
in the recipient's spreadsheet. In xlsx the cell's type is forced to string (with Excel's
quote prefix, so it stays text when edited); in CSV, which has no types, such values get a
leading apostrophe (the OWASP advice for CSV injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from matcher.domain.centers import BY_CODE
from matcher.domain.enums import CenterCode, FunnelStage
from matcher.errors import InputValidationError
from matcher.reporting.funnel import (
    PROGRESSION,
    expected_contracts,
    month_bounds,
    month_start,
    pairs_by_furthest,
)
from matcher.storage import records
from matcher.storage import reporting_queries as q
from matcher.storage.tables import ShortlistRow

Lang = Literal["ko", "en"]

# Column headers and labels, in one place per language.
HEADERS: dict[str, dict[Lang, str]] = {
    "position": {"ko": "순번", "en": "No."},
    "buyer_id": {"ko": "바이어 ID", "en": "Buyer ID"},
    "name": {"ko": "수입업체명", "en": "Importer"},
    "country": {"ko": "국가", "en": "Country"},
    "city": {"ko": "도시", "en": "City"},
    "buyer_type": {"ko": "바이어 유형", "en": "Buyer type"},
    "center": {"ko": "센터", "en": "Center"},
    "score": {"ko": "점수", "en": "Score"},
    "reason": {"ko": "추천 사유 {n}", "en": "Reason {n}"},
    "note": {"ko": "메모", "en": "Note"},
    "assigned_to": {"ko": "담당자", "en": "Assigned to"},
    "last_stage": {"ko": "최종 단계", "en": "Furthest stage"},
    "last_event_at": {"ko": "최근 활동 (UTC)", "en": "Last event (UTC)"},
    "firm": {"ko": "기업", "en": "Firm"},
    "firm_id": {"ko": "기업 ID", "en": "Firm ID"},
    "month": {"ko": "기간", "en": "Month"},
    "stage": {"ko": "단계", "en": "Stage"},
    "events": {"ko": "건수", "en": "Events"},
    "probability": {"ko": "계약 확률", "en": "Contract probability"},
    "pairs": {"ko": "최종 도달 바이어 수", "en": "Importers (furthest stage)"},
    "expected": {"ko": "예상 계약 건수", "en": "Expected contracts"},
    "expected_note": {
        "ko": "예상 계약 건수: 바이어별로 이번 달 도달한 가장 높은 단계의 계약 확률을 한 번씩 합산",
        "en": "Expected contracts: each importer counted once, at the contract probability "
        "of the furthest stage reached this month",
    },
    "date": {"ko": "일시 (UTC)", "en": "Date (UTC)"},
    "importer": {"ko": "수입업체", "en": "Importer"},
    "value_usd": {"ko": "금액 (USD)", "en": "Value (USD)"},
    "actor": {"ko": "담당자", "en": "Staff"},
    "sheet_shortlist": {"ko": "후보 목록", "en": "Shortlist"},
    "sheet_summary": {"ko": "요약", "en": "Summary"},
    "sheet_activity": {"ko": "활동 내역", "en": "Activity"},
}

_SHORTLIST_COLUMNS = ("position", "buyer_id", "name", "country", "city", "buyer_type", "center")
_SHORTLIST_TAIL = ("note", "assigned_to", "last_stage", "last_event_at")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _check_lang(lang: str) -> Lang:
    if lang not in ("ko", "en"):
        raise InputValidationError("lang", "use 'ko' or 'en'")
    return "ko" if lang == "ko" else "en"


def header(key: str, lang: Lang, **fmt: object) -> str:
    return HEADERS[key][lang].format(**fmt)


def stage_label(stage: FunnelStage | str | None, lang: Lang) -> str:
    if stage is None:
        return ""
    try:
        stage = FunnelStage(stage)
    except ValueError:
        return str(stage)
    return stage.label_ko if lang == "ko" else stage.label_en


@dataclass(frozen=True)
class ShortlistExportRow:
    position: int  # 1-based, the shortlist's order
    buyer_id: str  # external id
    name: str | None  # None where the importer no longer exists
    country: str | None
    city: str | None
    buyer_type: str | None
    center: str | None
    score: float | None
    reasons: list[str]
    note: str | None
    assigned_to: str | None
    # The furthest stage this firm reached with this importer (any center), see
    # ``furthest_stage``; None where the pair has no event yet.
    last_stage: FunnelStage | None
    last_event_at: dt.datetime | None


def furthest_stage(stages: Iterable[FunnelStage]) -> FunnelStage | None:
    """The furthest of a pair's stages by funnel order, not counting declines (a decline
    after a consultation does not make the pair "further" than the consultation); DECLINED
    only where that is all the pair has."""
    stages = set(stages)
    forward = [s for s in stages if s is not FunnelStage.DECLINED]
    if forward:
        return max(forward, key=lambda s: s.order)
    return FunnelStage.DECLINED if stages else None


def _reason_text(reason: Any, lang: Lang) -> str | None:
    """A stored reason is a string, or a ``{"en": ..., "ko": ...}`` object as the ranking
    explains (the language asked for, else the other)."""
    if isinstance(reason, str):
        return reason
    if isinstance(reason, Mapping):
        other: Lang = "en" if lang == "ko" else "ko"
        for key in (lang, other, "text"):
            if isinstance(reason.get(key), str):
                return str(reason[key])
    return None


def _score(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def shortlist_rows(
    session: Session, shortlist: ShortlistRow, lang: Lang = "en"
) -> list[ShortlistExportRow]:
    """The shortlist's items in order with each importer's details and how far the firm got
    with it. ``lang`` picks the language of reasons stored in both languages."""
    items = [item for item in shortlist.items if isinstance(item, Mapping)]
    buyers = q.buyers_by_external_id(session, [str(i.get("buyer_id")) for i in items])
    history = q.pair_stage_history(session, shortlist.exporter_id, [b.id for b in buyers.values()])
    stages: dict[int, set[FunnelStage]] = {}
    last_at: dict[int, dt.datetime] = {}
    for buyer_id, stage, at in history:
        try:
            stages.setdefault(buyer_id, set()).add(FunnelStage(stage))
        except ValueError:
            continue
        if buyer_id not in last_at or at > last_at[buyer_id]:
            last_at[buyer_id] = at
    out: list[ShortlistExportRow] = []
    for position, item in enumerate(items, start=1):
        ext = str(item.get("buyer_id"))
        buyer = buyers.get(ext)
        raw_reasons = item.get("reasons") or []
        reasons = [
            text
            for text in (_reason_text(r, lang) for r in raw_reasons)
            if text is not None and text.strip()
        ]
        out.append(
            ShortlistExportRow(
                position=position,
                buyer_id=ext,
                name=buyer.name if buyer else None,
                country=buyer.country if buyer else None,
                city=buyer.city if buyer else None,
                buyer_type=buyer.buyer_type if buyer else None,
                center=buyer.center if buyer else shortlist.center,
                score=_score(item.get("score")),
                reasons=reasons,
                note=item.get("note"),
                assigned_to=item.get("assigned_to"),
                last_stage=furthest_stage(stages.get(buyer.id, ())) if buyer else None,
                last_event_at=last_at.get(buyer.id) if buyer else None,
            )
        )
    return out


def _shortlist_table(
    rows: Sequence[ShortlistExportRow], lang: Lang
) -> tuple[list[str], list[list[Any]]]:
    """Headers and values shared by the xlsx and the CSV: one column per reason up to the
    longest list, so each reason can be filtered on its own."""
    n_reasons = max((len(r.reasons) for r in rows), default=0)
    headers = [header(k, lang) for k in _SHORTLIST_COLUMNS]
    headers.append(header("score", lang))
    headers += [header("reason", lang, n=i) for i in range(1, n_reasons + 1)]
    headers += [header(k, lang) for k in _SHORTLIST_TAIL]
    table: list[list[Any]] = []
    for r in rows:
        reasons: list[Any] = [*r.reasons, *[None] * (n_reasons - len(r.reasons))]
        table.append(
            [
                r.position,
                r.buyer_id,
                r.name,
                r.country,
                r.city,
                r.buyer_type,
                r.center,
                r.score,
                *reasons,
                r.note,
                r.assigned_to,
                stage_label(r.last_stage, lang),
                r.last_event_at,
            ]
        )
    return headers, table


# ----------------------------------------------------------------------------- xlsx


def _naive_utc(value: dt.datetime) -> dt.datetime:
    """Excel has no time zones; timestamps are written as UTC wall time (headers say so)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _put(ws: Worksheet, row: int, col: int, value: Any) -> None:
    """Write one cell; strings always as text (never a formula), timestamps as UTC."""
    if isinstance(value, dt.datetime):
        cell = ws.cell(row, col, _naive_utc(value))
        cell.number_format = _DATETIME_FORMAT
        return
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = ws.cell(row, col, text)
        cell.data_type = "s"
        if text.startswith(_FORMULA_START):
            cell.quotePrefix = True
        return
    ws.cell(row, col, value)


def _display_width(value: Any) -> int:
    """Roughly how many character cells a value takes: Korean (wide) characters two."""
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _write_table(
    ws: Worksheet,
    headers: Sequence[str],
    table: Sequence[Sequence[Any]],
    first_row: int = 1,
    frozen: bool = True,
) -> None:
    """A header row (bold; frozen and filterable where ``frozen``) and the rows, then
    column widths that fit the sheet."""
    for col, text in enumerate(headers, start=1):
        _put(ws, first_row, col, text)
        ws.cell(first_row, col).font = Font(bold=True)
    for r, values in enumerate(table, start=first_row + 1):
        for col, value in enumerate(values, start=1):
            _put(ws, r, col, value)
    _fit_columns(ws)
    if frozen and headers:
        ws.freeze_panes = f"A{first_row + 1}"
        last = get_column_letter(len(headers))
        ws.auto_filter.ref = f"A{first_row}:{last}{first_row + len(table)}"


def _fit_columns(ws: Worksheet, skip_rows: Iterable[int] = ()) -> None:
    """Column widths that fit the content within reason (6 to 60 characters)."""
    skipped = set(skip_rows)
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.row in skipped or cell.column is None:
                continue
            widths[cell.column] = max(widths.get(cell.column, 0), _display_width(cell.value))
    for col, widest in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(widest + 2, 6), 60)


def _sheet_title(text: str) -> str:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = _SHEET_TITLE_BAD.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", text)).strip()
    return cleaned[:31] or "Sheet"


def _to_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def shortlist_xlsx(title: str, rows: Sequence[ShortlistExportRow], lang: Lang) -> bytes:
    """The shortlist as one sheet named after ``title``, header in row 1 (so it also reads
    straight into pandas), frozen and filterable."""
    lang = _check_lang(lang)
    headers, table = _shortlist_table(rows, lang)
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has its first sheet
    ws.title = _sheet_title(title or header("sheet_shortlist", lang))
    wb.properties.title = ILLEGAL_CHARACTERS_RE.sub("", title)
    _write_table(ws, headers, table)
    score_col = len(_SHORTLIST_COLUMNS) + 1
    for r in range(2, len(table) + 2):
        ws.cell(r, score_col).number_format = "0.000"
    return _to_bytes(wb)


# ----------------------------------------------------------------------------- csv


def _csv_text(value: Any) -> str:
    """A cell as CSV text; text that a spreadsheet would run as a formula gets a leading
    apostrophe (numbers are ours, so a negative score stays a number)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return _naive_utc(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value == value else ""
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def shortlist_csv(rows: Sequence[ShortlistExportRow], lang: Lang) -> str:
    """The shortlist as CSV text with the xlsx's columns, starting with a byte-order mark.

    Excel in Korea opens a BOM-less CSV as CP949 and garbles Korean and Vietnamese names; the
    BOM makes it read UTF-8. The caller encodes the returned text as UTF-8 (not
    ``utf-8-sig``, which would add a second BOM)."""
    lang = _check_lang(lang)
    headers, table = _shortlist_table(rows, lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(h) for h in headers])
    for values in table:
        writer.writerow([_csv_text(v) for v in values])
    return "\ufeff" + buffer.getvalue()


# ----------------------------------------------------------------------------- monthly report


def _center_name(center: str, lang: Lang) -> str:
    try:
        info = BY_CODE[CenterCode(center)]
    except (ValueError, KeyError):
        return center
    return f"{info.name_ko if lang == 'ko' else info.name_en} ({center})"


def monthly_report_xlsx(
    session: Session, exporter_external_id: str, center: str, month: dt.date, lang: Lang
) -> bytes:
    """The report a center sends a client firm each month.

    *Summary*: the firm, the center, the month, events per progression stage and the
    expected contracts of the firm's importers by the dashboard's rule (each pair once, at
    its furthest stage's probability). *Activity*: every event of the firm at the center in
    the month (any stage), oldest first. Raises ``NotFoundError`` for an unknown firm.
    """
    lang = _check_lang(lang)
    exporter = records.get_row(session, "exporters", exporter_external_id)
    first = month_start(month)
    start, end = month_bounds(first)
    counts = q.stage_counts(session, center, start, end, exporter_id=exporter.id)
    pairs = pairs_by_furthest(session, center, start, end, exporter_id=exporter.id)
    events = q.firm_events(session, exporter.id, center, start, end)

    wb = Workbook()
    summary = wb.active
    assert summary is not None  # a new workbook always has its first sheet
    summary.title = header("sheet_summary", lang)
    names = (
        (exporter.name_ko, exporter.name_en)
        if lang == "ko"
        else (exporter.name_en, exporter.name_ko)
    )
    facts: list[tuple[str, Any]] = [
        ("firm", next((n for n in names if n), exporter.external_id)),
        ("firm_id", exporter.external_id),
        ("center", _center_name(center, lang)),
        ("month", first.strftime("%Y-%m")),
        ("expected", round(expected_contracts(pairs), 4)),
    ]
    for r, (key, value) in enumerate(facts, start=1):
        _put(summary, r, 1, header(key, lang))
        summary.cell(r, 1).font = Font(bold=True)
        _put(summary, r, 2, value)
    table_row = len(facts) + 2
    stage_headers = [header(k, lang) for k in ("stage", "events", "probability", "pairs")]
    stage_table = [
        [stage_label(s, lang), counts.get(s.value, 0), s.contract_probability, pairs[s]]
        for s in PROGRESSION
    ]
    _write_table(summary, stage_headers, stage_table, first_row=table_row, frozen=False)
    for r in range(table_row + 1, table_row + 1 + len(stage_table)):
        summary.cell(r, 3).number_format = "0%"
    note_row = table_row + len(stage_table) + 2
    _put(summary, note_row, 1, header("expected_note", lang))
    _fit_columns(summary, skip_rows=[note_row])

    activity = wb.create_sheet(header("sheet_activity", lang))
    keys = ("date", "importer", "country", "city", "stage", "value_usd", "note", "actor")
    activity_table = [
        [
            e["occurred_at"],
            e["buyer_name"],
            e["country"],
            e["city"],
            stage_label(e["stage"], lang),
            e["value_usd"],
            e["note"],
            e["actor"],
        ]
        for e in events
    ]
    _write_table(activity, [header(k, lang) for k in keys], activity_table)
    for r in range(2, len(activity_table) + 2):
        activity.cell(r, 6).number_format = "#,##0.00"
    return _to_bytes(wb)
