"""The nightly batch's recommendations, served from one committed run, and the runs
themselves.

Why serve from the batch at all: staff start their day from the night's results, which must
not change under them while they read, and computing a firm's shortlist live costs a ranking
pass per request. Every response names the run it came from (``run_id`` and the
``X-Batch-Run`` header), so a client can tell when the recommendations changed.

Why a response never mixes two runs: ``batch_current`` names the served run and a run becomes
current only in the transaction that commits it, after all its rows were written. A request
reads the current run id once, then only that run's rows; a committed run's rows never
change, so whatever the batch writes meanwhile (under its own, uncommitted run id) is
invisible until the switch, and after the switch the new run is already complete.

Scoping follows the live routes: a partner reads its own inquiries, staff their centers'
inquiries and firm-center pairs (another center's is 404, never 403, so nothing is
disclosed), admins everything. Partner-visible bodies carry public supplier profiles only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.auth import EVERYONE, STAFF_AND_ADMIN, PrincipalDep, roles
from api.deps import SessionDep
from api.errors import problem
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, SortKey, paginate
from api.schemas import ServiceFirmOut, SupplierOut
from matcher.domain.enums import CenterCode, Role
from matcher.errors import InputValidationError, NotFoundError
from matcher.storage import batch_runs, visibility
from matcher.storage.api_keys import Principal
from matcher.storage.repository import get_exporter, rows_by_external_id, rows_by_id
from matcher.storage.tables import (
    BatchCurrentRow,
    BatchRunRow,
    BuyerRow,
    ExporterRow,
    NeedRow,
    RecommendationRow,
    ServiceOfferingRow,
)

router = APIRouter(tags=["recommendations"])

RUN_HEADER = "X-Batch-Run"
NO_RUN_DETAIL = "no nightly run has committed yet; run `tradematch batch nightly`"
# The served run's id travels in a header; 404 also answers before any run committed.
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            RUN_HEADER: {"description": "The batch run served", "schema": {"type": "string"}}
        }
    },
    404: {"description": "Not found (the query, or no nightly run has committed yet)"},
}

ExporterId = Annotated[
    str, Path(min_length=1, max_length=64, description="The Korean firm's external id")
]


# --- bodies ---------------------------------------------------------------------------------


class BatchReason(BaseModel):
    en: str
    ko: str


class ServedRun(BaseModel):
    """Which run answered: the batch's results are as of this run."""

    run_id: str
    committed_at: dt.datetime | None = Field(description="When the run finished and committed")
    switched_at: dt.datetime = Field(description="When the API started serving it")


class SupplierRecommendation(BaseModel):
    rank: int
    supplier_id: str
    supplier: SupplierOut | None = Field(
        description="The supplier's public profile; null if it was removed after the run"
    )
    score: float
    probability: float | None
    reasons: list[BatchReason]


class InquiryRecommendations(ServedRun):
    need_id: str
    items: list[SupplierRecommendation]


class ImporterBrief(BaseModel):
    id: str
    name: str
    country: str
    city: str | None
    buyer_type: str
    center: str | None


class ImporterRecommendation(BaseModel):
    rank: int
    importer_id: str
    importer: ImporterBrief | None = Field(
        description="The importer; null if it was removed after the run"
    )
    score: float
    probability: float | None
    reasons: list[BatchReason]


class FirmImporterRecommendations(ServedRun):
    exporter_id: str
    center: str
    items: list[ImporterRecommendation]


class ServicePartnerRecommendation(BaseModel):
    rank: int
    service_id: str
    service_type: str | None = Field(description="null if the offering was removed after the run")
    service_firm: ServiceFirmOut | None
    score: float
    probability: float | None
    reasons: list[BatchReason]


class FirmServicePartnerRecommendations(ServedRun):
    exporter_id: str
    market: str
    items: list[ServicePartnerRecommendation]


class BatchRunOut(BaseModel):
    run_id: str
    kind: str = Field(description="full | incremental")
    status: str = Field(description="running | committed | failed")
    served: bool = Field(description="Whether the API serves this run now")
    started_at: dt.datetime
    finished_at: dt.datetime | None
    previous_run_id: str | None
    partitions_done: int
    partitions_total: int
    summary: dict[str, Any]


class BatchTaskProgress(BaseModel):
    task: str
    partitions: int = Field(description="Partitions finished (checkpointed)")
    queries: int
    rows: int
    seconds: float = Field(description="Summed partition time")


class BatchRunDetail(BatchRunOut):
    tasks: list[BatchTaskProgress]


# --- the served run -------------------------------------------------------------------------


def _served_run(session: Session) -> tuple[BatchCurrentRow, BatchRunRow | None] | None:
    """The served run's pointer (one row: its id and switch time are read together) and its
    run row; None before any run committed."""
    current = session.get(BatchCurrentRow, 1)
    if current is None:
        return None
    return current, session.get(BatchRunRow, current.run_id)


def _no_run(request: Request) -> JSONResponse:
    return problem(404, NO_RUN_DETAIL, kind="no-committed-run", instance=request.url.path)


def _reasons(raw: Sequence[Any] | None) -> list[BatchReason]:
    """The stored ``[{en, ko}]``; anything else the batch kept there stays internal."""
    return [
        BatchReason(en=str(r.get("en", "")), ko=str(r.get("ko", "")))
        for r in raw or []
        if isinstance(r, dict)
    ]


def _rows(
    session: Session, response: Response, task: str, query_key: str
) -> tuple[dict[str, Any], list[RecommendationRow]] | None:
    """The served run's stamp and its rows for one query (None: no run committed yet), and
    the ``X-Batch-Run`` header. The rows are read by the run id read first, never "the
    current run" again, so one response is one run."""
    served = _served_run(session)
    if served is None:
        return None
    current, run = served
    _, rows = batch_runs.served(session, task, query_key, current.run_id)
    response.headers[RUN_HEADER] = current.run_id
    stamp = {
        "run_id": current.run_id,
        "committed_at": None if run is None else run.finished_at,
        "switched_at": current.switched_at,
    }
    return stamp, rows


def _supplier(row: ExporterRow) -> SupplierOut:
    return SupplierOut(
        id=row.external_id,
        name_ko=row.name_ko,
        name_en=row.name_en,
        kind=row.kind,
        industry=row.industry,
        city=row.city,
        export_stage=row.export_stage,
        employees=row.employees,
        certifications=list(row.certifications or []),
        markets=list(row.markets or []),
        languages=list(row.languages or []),
    )


@router.get(
    "/recommendations/inquiries/{need_id}",
    response_model=InquiryRecommendations,
    responses=_RESPONSES,
    **roles(*EVERYONE),
)
def inquiry_suppliers(
    need_id: Annotated[str, Path(min_length=1, max_length=64, description="Inquiry id")],
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
) -> Any:
    """The suppliers last night's run recommended for a stored inquiry (a partner's own, a
    staff key's centers'), with their public profiles and bilingual reasons."""
    if visibility.find(session, NeedRow, visibility.needs, principal, need_id) is None:
        raise NotFoundError("inquiry", need_id)
    served = _rows(session, response, "inquiry_suppliers", need_id)
    if served is None:
        return _no_run(request)
    stamp, rows = served
    firms = rows_by_external_id(session, ExporterRow, [r.target_id for r in rows])
    items = [
        SupplierRecommendation(
            rank=r.rank,
            supplier_id=r.target_id,
            supplier=_supplier(firms[r.target_id]) if r.target_id in firms else None,
            score=r.score,
            probability=r.probability,
            reasons=_reasons(r.reasons),
        )
        for r in rows
    ]
    return InquiryRecommendations(**stamp, need_id=need_id, items=items)


def _firm_center(principal: Principal, exporter_id: str, center: CenterCode | None) -> str:
    """The center whose importers are asked for: a staff key's own (another center's is 404,
    as if the firm were unknown there), else the key's only center; admins name one."""
    code = visibility.firm_center(principal, exporter_id, center.value if center else None)
    if code is None:
        raise InputValidationError("center", "name the center whose importers you want")
    return code


@router.get(
    "/recommendations/firms/{exporter_id}/importers",
    response_model=FirmImporterRecommendations,
    responses=_RESPONSES,
    **roles(*STAFF_AND_ADMIN),
)
def firm_importers(
    exporter_id: ExporterId,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    center: Annotated[
        CenterCode | None,
        Query(
            description="Whose importers (staff: one of the key's centers; default: its only one)"
        ),
    ] = None,
) -> Any:
    """The importers last night's run recommended for a client firm at one center."""
    code = _firm_center(principal, exporter_id, center)
    if get_exporter(session, exporter_id) is None:
        raise NotFoundError("firm at center", f"{exporter_id}@{code}")
    served = _rows(session, response, "firm_importers", f"{exporter_id}@{code}")
    if served is None:
        return _no_run(request)
    stamp, rows = served
    buyers = rows_by_external_id(session, BuyerRow, [r.target_id for r in rows])
    items = []
    for r in rows:
        buyer = buyers.get(r.target_id)
        brief = None
        if buyer is not None:
            brief = ImporterBrief(
                id=buyer.external_id,
                name=buyer.name,
                country=buyer.country,
                city=buyer.city,
                buyer_type=buyer.buyer_type,
                center=buyer.center,
            )
        items.append(
            ImporterRecommendation(
                rank=r.rank,
                importer_id=r.target_id,
                importer=brief,
                score=r.score,
                probability=r.probability,
                reasons=_reasons(r.reasons),
            )
        )
    return FirmImporterRecommendations(**stamp, exporter_id=exporter_id, center=code, items=items)


@router.get(
    "/recommendations/firms/{exporter_id}/service-partners",
    response_model=FirmServicePartnerRecommendations,
    responses=_RESPONSES,
    **roles(*STAFF_AND_ADMIN),
)
def firm_service_partners(
    exporter_id: ExporterId,
    request: Request,
    response: Response,
    session: SessionDep,
    market: Annotated[
        str, Query(pattern="^[A-Za-z]{2}$", description="ISO country code of the market")
    ],
) -> Any:
    """The service partners last night's run recommended for a manufacturer and a market."""
    market = market.upper()
    if get_exporter(session, exporter_id) is None:
        raise NotFoundError("exporter", exporter_id)
    served = _rows(session, response, "service_partners", f"{exporter_id}@{market}")
    if served is None:
        return _no_run(request)
    stamp, rows = served
    offerings = rows_by_external_id(session, ServiceOfferingRow, [r.target_id for r in rows])
    owner_ids = {o.exporter_id for o in offerings.values()}
    owners = rows_by_id(session, ExporterRow, owner_ids)
    items = []
    for r in rows:
        offering = offerings.get(r.target_id)
        owner = owners.get(offering.exporter_id) if offering is not None else None
        items.append(
            ServicePartnerRecommendation(
                rank=r.rank,
                service_id=r.target_id,
                service_type=None if offering is None else offering.service_type,
                service_firm=None
                if owner is None
                else ServiceFirmOut(
                    external_id=owner.external_id,
                    name=owner.name_en or owner.name_ko or owner.external_id,
                ),
                score=r.score,
                probability=r.probability,
                reasons=_reasons(r.reasons),
            )
        )
    return FirmServicePartnerRecommendations(
        **stamp, exporter_id=exporter_id, market=market, items=items
    )


# --- the runs -------------------------------------------------------------------------------


def _run_out(run: BatchRunRow, current: str | None) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "kind": run.kind,
        "status": run.status,
        "served": run.run_id == current,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "previous_run_id": run.previous_run_id,
        "partitions_done": run.partitions_done,
        "partitions_total": run.partitions_total,
        "summary": dict(run.summary or {}),
    }


# Newest first; runs started in the same instant are ordered by id.
_RUN_SORTS = {"started": SortKey(BatchRunRow.started_at, dt.datetime)}


@router.get("/batch/runs", response_model=Page[BatchRunOut], **roles(Role.ADMIN))
def list_runs(
    session: SessionDep,
    status: Annotated[Literal["running", "committed", "failed"] | None, Query()] = None,
    kind: Annotated[Literal["full", "incremental"] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The nightly batch's runs, newest first: their progress and summaries."""
    stmt = batch_runs.runs_query(status, kind)
    rows, next_cursor = paginate(
        session, stmt, BatchRunRow.run_id, _RUN_SORTS, "-started", limit, cursor
    )
    current = batch_runs.current_run_id(session)
    return {
        "items": [_run_out(r, current) for r in rows],
        "next_cursor": next_cursor,
        "limit": limit,
    }


@router.get("/batch/runs/{run_id}", response_model=BatchRunDetail, **roles(Role.ADMIN))
def read_run(
    run_id: Annotated[str, Path(min_length=1, max_length=40, description="Batch run id")],
    session: SessionDep,
) -> dict[str, Any]:
    """One run: status, progress per task (from its checkpoints) and summary."""
    run = session.get(BatchRunRow, run_id)
    if run is None:
        raise NotFoundError("batch run", run_id)
    tasks = batch_runs.partition_progress(session, run_id)
    return {
        **_run_out(run, batch_runs.current_run_id(session)),
        "tasks": tasks,
    }
