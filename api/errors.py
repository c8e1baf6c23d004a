"""Map library errors to HTTP responses with a clear, field-level message."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from matcher.errors import (
    InputValidationError,
    NotFoundError,
    NotReadyError,
    TradeMatchError,
)


def install(app: FastAPI) -> None:
    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(InputValidationError)
    async def _invalid(_: Request, exc: InputValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={"detail": [{"loc": [exc.field], "msg": exc.reason, "type": "value_error"}]},
        )

    @app.exception_handler(NotReadyError)
    async def _not_ready(_: Request, exc: NotReadyError) -> JSONResponse:
        return JSONResponse(
            status_code=503, content={"detail": str(exc)}, headers={"Retry-After": "30"}
        )

    @app.exception_handler(TradeMatchError)
    async def _other(_: Request, exc: TradeMatchError) -> JSONResponse:
        return JSONResponse(status_code=500, content={"detail": str(exc)})
