from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.errors import unavailable
from api.schemas import HealthResponse, IndexStatus, ReadyResponse
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


@router.get(
    "/ready",
    response_model=ReadyResponse,
    responses={503: {"description": "Not ready: a problem+json naming what is not"}},
)
def ready(request: Request) -> ReadyResponse | JSONResponse:
    """Readiness: the database answers and the supplier index is loaded. A load balancer
    sends traffic only where this is 200; 503 carries Retry-After and each check's state."""
    runtime: Runtime = request.app.state.runtime
    checks: dict[str, str] = {}
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure to reach it means not ready
        checks["database"] = f"unavailable: {type(exc).__name__}"
    loaded = runtime.indexes.loaded()
    serving = request.app.state.match_service is not None and "products" in loaded
    checks["indexes"] = "ok" if serving else "the supplier index is not loaded yet"
    if any(v != "ok" for v in checks.values()):
        failing = ", ".join(k for k, v in checks.items() if v != "ok")
        return unavailable(f"not ready: {failing}", extra={"checks": checks})
    return ReadyResponse(status="ready", checks=checks, indexes=sorted(loaded))
