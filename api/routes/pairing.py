from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.auth import STAFF_AND_ADMIN, roles
from api.deps import PairingServiceDep, SessionDep
from api.presenters import consortium_response, partners_response
from api.schemas import ConsortiumRequest, ConsortiumResponse, ServicePartnersResponse
from matcher.errors import NotFoundError
from matcher.storage.repository import get_exporter

router = APIRouter(tags=["pairing"])


@router.get(
    "/exporters/{exporter_id}/service-partners",
    response_model=ServicePartnersResponse,
    **roles(*STAFF_AND_ADMIN),
)
def service_partners(
    exporter_id: Annotated[
        str, Path(min_length=1, max_length=64, description="Manufacturer's external id")
    ],
    market: Annotated[str, Query(min_length=2, max_length=2, description="ISO country code")],
    session: SessionDep,
    service: PairingServiceDep,
    top_k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> ServicePartnersResponse:
    """Service firms that close this manufacturer's gaps for a market (certification,
    language, stage, brand, logistics, industry pairings), each naming the gap it closes."""
    firm = get_exporter(session, exporter_id)
    if firm is None:
        raise NotFoundError("exporter", exporter_id)
    result = service.partners(firm.id, market, top_k)
    return partners_response(exporter_id, market.upper(), result)


@router.post("/consortia/propose", response_model=ConsortiumResponse, **roles(*STAFF_AND_ADMIN))
def propose(
    body: ConsortiumRequest, session: SessionDep, service: PairingServiceDep
) -> ConsortiumResponse:
    """Manufacturers grouped with 2-4 service firms that close their gaps for one market,
    within each service firm's capacity; coverage is reported against the LP bound."""
    ids = []
    for external in body.exporter_ids:
        firm = get_exporter(session, external)
        if firm is None:
            raise NotFoundError("exporter", external)
        ids.append(firm.id)
    proposal, names = service.consortia(
        body.market,
        ids or None,
        industry=body.industry.value if body.industry else None,
        mode=body.mode,
        max_consortia=body.max_consortia,
    )
    return consortium_response(body.market.upper(), body.mode, proposal, names)
