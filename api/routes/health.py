from __future__ import annotations

from fastapi import APIRouter, Request

from api.schemas import HealthResponse, IndexStatus
from matcher import __version__

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthResponse)
def health(request: Request) -> HealthResponse:
    """Liveness: the process answers. Reports the loaded index, if any."""
    service = getattr(request.app.state, "match_service", None)
    index = None
    if service is not None:
        manifest = service.index.manifest
        index = IndexStatus(
            products=len(service.index),
            model=manifest.model,
            version=manifest.version,
            built_at=manifest.built_at,
        )
    return HealthResponse(status="ok", version=__version__, index=index)
