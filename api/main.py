"""The FastAPI application factory.

``create_app(settings)`` builds an app around one ``Settings``; uvicorn starts it through
``api.main:app_factory`` so every worker reads settings once, at start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from api import errors, idempotency, observability, ratelimit, ui
from api.routes import (
    buyers,
    centers,
    exporters,
    health,
    hs,
    inquiries,
    needs,
    pairing,
    recommendations,
    resources,
    shortlists,
)
from matcher import __version__
from matcher.config import Settings
from matcher.index.catalogs import CATALOGS
from matcher.runtime import Runtime

log = logging.getLogger(__name__)


def _load_service(app: FastAPI, runtime: Runtime) -> None:
    """Products first (matching needs it); rebuilt from the store if missing or corrupt."""
    app.state.match_service = runtime.match_service()
    # Encode once so the first real request does not pay for loading the model.
    app.state.match_service.encoder.encode_queries(["warm-up"])


def _load_other_indexes(runtime: Runtime) -> None:
    """Bring every index up to date (rebuilding stale or corrupt ones from the store) while
    the loaded versions keep serving."""
    try:
        runtime.indexes.ensure(list(CATALOGS))
    except Exception:  # reported in /v1/health; matching keeps working
        log.exception("loading the other indexes failed")


def _reload_loop(runtime: Runtime, stop: threading.Event) -> None:
    """Pick up newly published index versions; a corrupt one is reported, not served."""
    interval = runtime.settings.index_reload_seconds
    while interval > 0 and not stop.wait(interval):
        try:
            changed = runtime.indexes.reload()
            if changed:
                log.info("reloaded indexes: %s", ", ".join(changed))
        except Exception:
            log.exception("index reload failed; still serving the loaded versions")


def _load_hs_suggester(app: FastAPI, runtime: Runtime) -> None:
    try:
        app.state.hs_suggester = runtime.hs_suggester()
    except Exception as exc:  # reported by /v1/hs/suggest as 503 with the reason
        log.exception("HS suggester failed to start")
        app.state.hs_suggester_error = str(exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Per worker process: native thread pools sized for one query at a time.
        native = threadpool_limits(limits=settings.api_native_threads)
        _load_service(app, runtime)
        # The HS suggester embeds the nomenclature on its first start (minutes, then cached);
        # matching is served meanwhile and /v1/hs/suggest answers 503 until it is ready.
        stop = threading.Event()
        for target, args in (
            (_load_hs_suggester, (app, runtime)),
            (_load_other_indexes, (runtime,)),
            (_reload_loop, (runtime, stop)),
        ):
            threading.Thread(target=target, args=args, daemon=True).start()
        yield
        stop.set()
        runtime.engine.dispose()
        native.restore_original_limits()

    app = FastAPI(
        title="TradeMatch",
        version=__version__,
        summary="Ranked, explained Korean suppliers for foreign buyers' inquiries.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.match_service = None
    app.state.shortlist_service = None
    app.state.hs_suggester = None
    app.state.hs_suggester_error = None
    errors.install(app)
    # Middleware added later wraps what was added before. From the outside in: request ids
    # and metrics, the body size limit, rate limits (retries count too), idempotency.
    app.add_middleware(idempotency.Idempotency, ttl_hours=settings.idempotency_ttl_hours)
    ratelimit.install(app, settings)
    app.add_middleware(errors.BodySizeLimit, limit=settings.max_request_bytes)
    observability.install(app, settings)  # outermost: after every add_middleware
    app.state.pairing_service = None
    for router in (
        health.router,
        inquiries.router,
        buyers.router,
        exporters.router,
        pairing.router,
        hs.router,
        needs.router,
        shortlists.router,
        recommendations.router,
        centers.router,
        *resources.routers(),
    ):
        app.include_router(router, prefix="/v1")
    ui.install(app)
    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory``: settings come from the environment."""
    return create_app(Settings())
