"""One error envelope for every failure: RFC 9457 ``application/problem+json``.

Why: partner platforms parse our errors programmatically. Every error, whether raised by the
library, by FastAPI's request validation, by routing, by a request that is too large or by a
database that went away, carries ``type``, ``title``, ``status`` and ``detail``. Validation
errors add ``errors``: one ``{"field", "reason"}`` per problem, so a client can point at the
field. Unavailability (the database, an index, a model still loading) is ``503`` with
``Retry-After``; nothing internal leaks into a ``500``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.errors import (
    AuthenticationError,
    ConflictError,
    InputValidationError,
    NotFoundError,
    NotReadyError,
    PermissionDeniedError,
    PreconditionFailedError,
    PreconditionRequiredError,
    TradeMatchError,
)

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 30
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """An RFC 9457 problem response. ``kind`` names the problem type (``/problems/<kind>``);
    ``extra`` adds extension members."""
    body: dict[str, Any] = {
        "type": f"/problems/{kind}" if kind else "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = list(errors)
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _field(loc: Sequence[Any]) -> str:
    """``("body", "filters", "hs_prefixes", 0)`` -> ``"filters.hs_prefixes[0]"``; the
    request part stays for query, path and header parameters (``"query.market"``)."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


def unavailable(detail: str, extra: dict[str, Any] | None = None) -> JSONResponse:
    """``503`` with ``Retry-After``: the client should come back, nothing is wrong with it."""
    return problem(
        503,
        detail,
        kind="unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        extra=extra,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field(e.get("loc", ())), "reason": str(e.get("msg", "")), "loc": e["loc"]}
            for e in exc.errors()
        ]
        fields = ", ".join(e["field"] for e in errors)
        return problem(
            422,
            f"{len(errors)} invalid field(s): {fields}",
            kind="validation",
            errors=errors,
            instance=request.url.path,
        )

    @app.exception_handler(InputValidationError)
    async def _invalid(request: Request, exc: InputValidationError) -> JSONResponse:
        return problem(
            422,
            f"{exc.field}: {exc.reason}",
            kind="validation",
            errors=[{"field": exc.field, "reason": exc.reason, "loc": [exc.field]}],
            instance=request.url.path,
        )

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return problem(404, str(exc), kind="not-found", instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            str(exc.detail),
            headers=dict(exc.headers or {}),
            instance=request.url.path,
        )

    @app.exception_handler(AuthenticationError)
    async def _unauthenticated(request: Request, exc: AuthenticationError) -> JSONResponse:
        return problem(
            401,
            str(exc),
            kind="unauthenticated",
            headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'},
            instance=request.url.path,
        )

    @app.exception_handler(PermissionDeniedError)
    async def _forbidden(request: Request, exc: PermissionDeniedError) -> JSONResponse:
        return problem(403, str(exc), kind="forbidden", instance=request.url.path)

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return problem(409, str(exc), kind="conflict", instance=request.url.path)

    @app.exception_handler(PreconditionFailedError)
    async def _stale(request: Request, exc: PreconditionFailedError) -> JSONResponse:
        return problem(412, str(exc), kind="stale", instance=request.url.path)

    @app.exception_handler(PreconditionRequiredError)
    async def _unconditional(request: Request, exc: PreconditionRequiredError) -> JSONResponse:
        return problem(428, str(exc), kind="if-match-required", instance=request.url.path)

    @app.exception_handler(NotReadyError)
    async def _not_ready(_: Request, exc: NotReadyError) -> JSONResponse:
        return unavailable(str(exc))

    @app.exception_handler(OperationalError)
    async def _database_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return unavailable("The database is unavailable; retry shortly.")

    @app.exception_handler(DBAPIError)
    async def _database_error(_: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            log.warning("database connection lost: %s", exc.orig)
            return unavailable("The database connection was lost; retry shortly.")
        log.error("database error", exc_info=exc)
        return problem(500, "The request could not be completed.", kind="internal")

    @app.exception_handler(TradeMatchError)
    async def _other(_: Request, exc: TradeMatchError) -> JSONResponse:
        log.error("request failed", exc_info=exc)
        return problem(500, str(exc), kind="internal")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=exc)
        return problem(500, "The request could not be completed.", kind="internal")


class BodySizeLimit:
    """Refuse request bodies over ``limit`` bytes with a ``413`` problem: by the declared
    ``Content-Length`` before reading; a body sent without one is read up to the limit
    first, then handed on."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > self.limit:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            f"The request body is larger than {self.limit} bytes.",
            kind="too-large",
            instance=str(scope.get("path", "")),
        )
        await response(scope, receive, send)
