from __future__ import annotations

from fastapi import APIRouter, Request

from api.schemas import HealthResponse, IndexStatus
from matcher import __version__
from matcher.runtime import Runtime

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthResponse)
def health(request: Request) -> HealthResponse:
    """Liveness: the process answers. Reports the loaded indexes and any index problem
    (a corrupt version is reported here while the last good one keeps serving)."""
    runtime: Runtime = request.app.state.runtime
    service = getattr(request.app.state, "match_service", None)
    index = None
    collections: dict[str, IndexStatus] = {}
    problems: list[str] = []
    if service is not None:
        for name, manifest in runtime.indexes.loaded().items():
            collections[name] = IndexStatus(
                products=manifest.count,
                model=manifest.model,
                version=manifest.version,
                built_at=manifest.built_at,
                kind=str(manifest.extra.get("spec", {}).get("kind", "")),
            )
        index = collections.get("products")
        problems = [f"{p.collection}: {p.detail}" for p in runtime.indexes.problems]
    return HealthResponse(
        status="ok", version=__version__, index=index, indexes=collections, index_problems=problems
    )
