"""The record resources' specifications: who reads and writes each, what partners must not
see, its filters and sort orders, and the scoping rules a write must pass."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import EVERYONE, STAFF_AND_ADMIN
from api.pagination import SortKey
from api.routes.records import Filter, ResourceSpec, resource_router
from matcher.domain.centers import BY_CODE, center_for
from matcher.domain.enums import (
    BuyerType,
    CenterCode,
    ExportStage,
    FirmKind,
    FunnelStage,
    Industry,
    NeedStatus,
    Role,
    ServiceType,
)
from matcher.domain.schemas import (
    BuyerRecord,
    Country,
    ExternalId,
    FunnelEventRecord,
    HSPrefix,
    Language,
    NeedRecord,
    PairingEventRecord,
    Record,
    ShortText,
)
from matcher.errors import InputValidationError
from matcher.storage import visibility
from matcher.storage.api_keys import Principal
from matcher.storage.tables import (
    BuyerRow,
    ExporterRow,
    FunnelEventRow,
    NeedRow,
    PairingEventRow,
    ProductRow,
    ServiceOfferingRow,
)

# Never in a response a partner key can receive (checked against the OpenAPI document).
SENSITIVE_FIELDS = frozenset(
    {"notes", "note", "contact_email", "credit_grade", "responsiveness", "owner_key"}
)


def _by_external(column: Any, table: Any) -> Any:
    """A filter on a reference given by the referenced row's external id."""
    return lambda value: column.in_(select(table.id).where(table.external_id == value))


def _common_sorts(table: Any) -> dict[str, SortKey]:
    return {"created": SortKey(table.id, int), "external_id": SortKey(table.external_id)}


# --- scoping rules for writes -----------------------------------------------------------


def _visible_buyer(session: Session, principal: Principal, external_id: str, field: str) -> None:
    if visibility.find(session, BuyerRow, visibility.buyers, principal, external_id) is None:
        # Another center's importer reads as unknown: its existence is not disclosed.
        raise InputValidationError(field, f"no importer '{external_id}' you can see")


def _guard_buyer(session: Session, principal: Principal, record: Record) -> Record:
    assert isinstance(record, BuyerRecord)
    center = record.center.value if record.center else center_for(record.country, record.city)
    owned = visibility.write_center(principal, center)
    if owned != (record.center.value if record.center else None):
        record = record.model_copy(update={"center": CenterCode(owned) if owned else None})
    return record


def _guard_need(session: Session, principal: Principal, record: Record) -> Record:
    assert isinstance(record, NeedRecord)
    if principal.role is Role.PARTNER:
        if record.buyer_id is not None:
            raise InputValidationError(
                "buyer_id", "partner inquiries name no registered importer; leave it out"
            )
        if record.notes is not None:
            raise InputValidationError("notes", "internal notes are written by center staff")
        return record
    if principal.role is Role.STAFF:
        if record.buyer_id is not None:
            _visible_buyer(session, principal, record.buyer_id, "buyer_id")
        else:
            countries = {BY_CODE[c].country for c in principal.centers}
            if record.country not in countries:
                raise InputValidationError(
                    "country",
                    f"an inquiry without buyer_id must come from {', '.join(sorted(countries))}",
                )
    return record


def _guard_event(session: Session, principal: Principal, record: Record) -> Record:
    assert isinstance(record, FunnelEventRecord)
    center = visibility.write_center(principal, record.center.value if record.center else None)
    if principal.role is Role.STAFF:
        _visible_buyer(session, principal, record.buyer_id, "buyer_id")
    if center != (record.center.value if record.center else None):
        record = record.model_copy(update={"center": CenterCode(center) if center else None})
    return record


def _guard_pairing_event(session: Session, principal: Principal, record: Record) -> Record:
    assert isinstance(record, PairingEventRecord)
    center = visibility.write_center(principal, record.center.value if record.center else None)
    if center != (record.center.value if record.center else None):
        record = record.model_copy(update={"center": CenterCode(center) if center else None})
    return record


def _center(values: dict[str, Any]) -> str | None:
    center = values.get("center")
    return None if center is None else str(getattr(center, "value", center))


SPECS = (
    ResourceSpec(
        kind="exporters",
        path="/exporters",
        tag="exporters",
        read_roles=EVERYONE,
        create_roles=STAFF_AND_ADMIN,
        change_roles=STAFF_AND_ADMIN,
        hidden=frozenset({"notes"}),
        filters={
            "kind": Filter(
                FirmKind, lambda v: ExporterRow.kind == v.value, "manufacturer or service"
            ),
            "industry": Filter(Industry, lambda v: ExporterRow.industry == v.value, "Industry"),
            "export_stage": Filter(
                ExportStage, lambda v: ExporterRow.export_stage == v.value, "Export stage"
            ),
            "city": Filter(ShortText, lambda v: ExporterRow.city == v, "City, exactly"),
        },
        sort_keys=_common_sorts(ExporterRow),
    ),
    ResourceSpec(
        kind="products",
        path="/products",
        tag="exporters",
        read_roles=EVERYONE,
        create_roles=STAFF_AND_ADMIN,
        change_roles=STAFF_AND_ADMIN,
        deletable=True,
        filters={
            "exporter_id": Filter(
                ExternalId, _by_external(ProductRow.exporter_id, ExporterRow), "The firm's id"
            ),
            "hs_prefix": Filter(
                HSPrefix,
                lambda v: ProductRow.hs_code.startswith(v),
                "2/4/6-digit HS code",
            ),
            "language": Filter(Language, lambda v: ProductRow.language == v, "ISO 639-1"),
        },
        sort_keys=_common_sorts(ProductRow),
    ),
    ResourceSpec(
        kind="services",
        path="/services",
        tag="exporters",
        read_roles=EVERYONE,
        create_roles=STAFF_AND_ADMIN,
        change_roles=STAFF_AND_ADMIN,
        deletable=True,
        filters={
            "exporter_id": Filter(
                ExternalId,
                _by_external(ServiceOfferingRow.exporter_id, ExporterRow),
                "The firm's id",
            ),
            "service_type": Filter(
                ServiceType, lambda v: ServiceOfferingRow.service_type == v.value, "Service type"
            ),
        },
        sort_keys=_common_sorts(ServiceOfferingRow),
    ),
    ResourceSpec(
        kind="buyers",
        path="/buyers",
        tag="buyers",
        read_roles=STAFF_AND_ADMIN,
        create_roles=STAFF_AND_ADMIN,
        change_roles=STAFF_AND_ADMIN,
        filters={
            "country": Filter(Country, lambda v: BuyerRow.country == v, "ISO alpha-2"),
            "center": Filter(CenterCode, lambda v: BuyerRow.center == v.value, "Center code"),
            "buyer_type": Filter(BuyerType, lambda v: BuyerRow.buyer_type == v.value, "Type"),
            "opted_out": Filter(bool, lambda v: BuyerRow.opted_out.is_(v), "Opted out"),
        },
        sort_keys={
            **_common_sorts(BuyerRow),
            "name": SortKey(BuyerRow.name),
            "country": SortKey(BuyerRow.country),
        },
        visibility=visibility.buyers,
        guard=_guard_buyer,
        center_of=_center,
    ),
    ResourceSpec(
        kind="needs",
        path="/needs",
        tag="inquiries",
        read_roles=EVERYONE,
        create_roles=EVERYONE,
        change_roles=STAFF_AND_ADMIN,
        hidden=frozenset({"notes"}),
        filters={
            "status": Filter(NeedStatus, lambda v: NeedRow.status == v.value, "Status"),
            "country": Filter(Country, lambda v: NeedRow.country == v, "ISO alpha-2"),
            "buyer_id": Filter(ExternalId, _by_external(NeedRow.buyer_id, BuyerRow), "Importer id"),
        },
        sort_keys={**_common_sorts(NeedRow), "status": SortKey(NeedRow.status)},
        visibility=visibility.needs,
        guard=_guard_need,
        stamp=lambda p: {"owner_key": p.key_prefix or None},
    ),
    ResourceSpec(
        kind="events",
        path="/events",
        tag="funnel events",
        read_roles=STAFF_AND_ADMIN,
        create_roles=STAFF_AND_ADMIN,
        filters={
            "stage": Filter(FunnelStage, lambda v: FunnelEventRow.stage == v.value, "Stage"),
            "exporter_id": Filter(
                ExternalId, _by_external(FunnelEventRow.exporter_id, ExporterRow), "Firm id"
            ),
            "buyer_id": Filter(
                ExternalId, _by_external(FunnelEventRow.buyer_id, BuyerRow), "Importer"
            ),
            "center": Filter(CenterCode, lambda v: FunnelEventRow.center == v.value, "Center"),
            "occurred_from": Filter(
                dt.datetime, lambda v: FunnelEventRow.occurred_at >= v, "On or after"
            ),
            "occurred_before": Filter(
                dt.datetime, lambda v: FunnelEventRow.occurred_at < v, "Before"
            ),
        },
        sort_keys={
            **_common_sorts(FunnelEventRow),
            "occurred_at": SortKey(FunnelEventRow.occurred_at, dt.datetime),
        },
        visibility=visibility.events,
        guard=_guard_event,
        center_of=_center,
    ),
    ResourceSpec(
        kind="pairing_events",
        path="/pairing-events",
        tag="pairing",
        read_roles=STAFF_AND_ADMIN,
        create_roles=STAFF_AND_ADMIN,
        filters={
            "stage": Filter(FunnelStage, lambda v: PairingEventRow.stage == v.value, "Stage"),
            "manufacturer_id": Filter(
                ExternalId, _by_external(PairingEventRow.manufacturer_id, ExporterRow), "Firm id"
            ),
            "market": Filter(Country, lambda v: PairingEventRow.market == v, "ISO alpha-2"),
        },
        sort_keys={
            **_common_sorts(PairingEventRow),
            "occurred_at": SortKey(PairingEventRow.occurred_at, dt.datetime),
        },
        visibility=visibility.pairing_events,
        guard=_guard_pairing_event,
        center_of=_center,
    ),
)


def routers() -> list[APIRouter]:
    return [resource_router(spec) for spec in SPECS]
