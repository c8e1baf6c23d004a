"""An importer's page: its profile and its whole history with every firm, across years and
staff, so what a center learned about it survives turnover."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from api.deps import RuntimeDep
from api.ui.pages.common import not_found
from api.ui.session import StaffDep
from api.ui.templating import render
from matcher.domain.enums import FunnelStage
from matcher.storage import visibility
from matcher.storage.database import session_scope
from matcher.storage.tables import BuyerRow, ExporterRow, FunnelEventRow, NeedRow

router = APIRouter()


@router.get("/buyers/{buyer_id}", response_class=HTMLResponse)
def buyer_page(
    buyer_id: str, request: Request, staff: StaffDep, runtime: RuntimeDep
) -> HTMLResponse:
    with session_scope(runtime.sessions) as session:
        buyer = visibility.find(session, BuyerRow, visibility.buyers, staff.principal, buyer_id)
        if buyer is None:
            return not_found(request, staff)
        history = session.execute(
            select(
                FunnelEventRow, ExporterRow.external_id, ExporterRow.name_ko, ExporterRow.name_en
            )
            .join(ExporterRow, ExporterRow.id == FunnelEventRow.exporter_id)
            .where(FunnelEventRow.buyer_id == buyer.id)
            .order_by(FunnelEventRow.occurred_at.desc(), FunnelEventRow.id.desc())
        ).all()
        inquiries = list(
            session.scalars(
                select(NeedRow).where(NeedRow.buyer_id == buyer.id).order_by(NeedRow.id.desc())
            )
        )
    label = "label_ko" if staff.lang == "ko" else "label_en"
    events = [
        {
            "at": event.occurred_at,
            "firm_id": firm_id,
            "firm": name_ko or name_en or firm_id,
            "stage": getattr(FunnelStage(event.stage), label),
            "value_usd": event.value_usd,
            "note": event.note,
            "actor": event.actor,
            "center": event.center,
        }
        for event, firm_id, name_ko, name_en in history
    ]
    firms = len({e["firm_id"] for e in events})
    years = sorted({e["at"].year for e in events})
    return render(
        request,
        "buyer.html",
        {
            "staff": staff,
            "t": staff.t,
            "buyer": buyer,
            "events": events,
            "inquiries": inquiries,
            "firms": firms,
            "years": years,
        },
    )
