"""``Idempotency-Key`` on POST: the same request sent twice with the same key runs once.

A pure ASGI middleware (it must see the raw body to fingerprint it and the whole response to
store it). Keys are scoped to the caller's API key, so two partners can never collide or
read each other's outcomes. A key reused for a different request is ``422``; a retry while
the first request still runs is ``409`` with ``Retry-After``. Outcomes with status 5xx are
not stored (a retry should run again), nor 409/429 (the caller should retry later).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from typing import Any

import anyio
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_JSON, RETRY_AFTER_SECONDS
from matcher.storage import idempotency

HEADER = b"idempotency-key"
_REPLAYED_HEADERS = ("content-type", "etag", "location")
_NOT_STORED = {409, 429}


def _problem(
    status: int, detail: str, retry_after: int | None = None
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    titles = {409: "Conflict", 422: "Invalid request", 503: "Service unavailable"}
    body = json.dumps(
        {
            "type": "/problems/idempotency",
            "title": titles.get(status, "Error"),
            "status": status,
            "detail": detail,
        }
    ).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    return status, headers, body


async def _send_whole(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Idempotency:
    def __init__(self, app: ASGIApp, ttl_hours: float) -> None:
        self.app = app
        self.ttl = dt.timedelta(hours=ttl_hours)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not 1 <= len(key) <= 255:
            await _send_whole(send, *_problem(422, "Idempotency-Key must be 1-255 characters"))
            return

        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        credential = headers.get(b"x-api-key") or headers.get(b"authorization") or b"anonymous"
        caller = hashlib.sha256(credential.strip()).hexdigest()[:32]
        fingerprint = hashlib.sha256(
            b"\n".join([scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()
        sessions = scope["app"].state.runtime.sessions
        try:
            found = await anyio.to_thread.run_sync(
                idempotency.claim, sessions, caller, key, fingerprint, self.ttl
            )
        except SQLAlchemyError:
            await _send_whole(
                send,
                *_problem(503, "The database is unavailable; retry shortly.", RETRY_AFTER_SECONDS),
            )
            return
        if found.mismatch:
            await _send_whole(
                send,
                *_problem(
                    422,
                    "this Idempotency-Key was already used for a different request; "
                    "use a new key for a new request",
                ),
            )
            return
        if found.running:
            await _send_whole(
                send,
                *_problem(409, "a request with this Idempotency-Key is still running", 1),
            )
            return
        if found.stored is not None:
            replay = [(k.encode(), v.encode()) for k, v in found.stored.headers.items()]
            replay.append((b"idempotent-replayed", b"true"))
            await _send_whole(send, found.stored.status, replay, found.stored.body)
            return

        delivered = False

        async def replay_body() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        kept: dict[str, str] = {}
        out: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for k, v in message.get("headers", []):
                    name = k.decode("latin-1").lower()
                    if name in _REPLAYED_HEADERS:
                        kept[name] = v.decode("latin-1")
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        outcome: idempotency.Stored | None = None
        try:
            await self.app(scope, replay_body, capture)
            if status < 500 and status not in _NOT_STORED:
                outcome = idempotency.Stored(status, kept, b"".join(out))
        finally:
            await _finish(sessions, caller, key, outcome)


async def _finish(sessions: Any, caller: str, key: str, outcome: idempotency.Stored | None) -> None:
    # If this fails the claim stays until it counts as abandoned; a retry then runs again.
    with contextlib.suppress(SQLAlchemyError):
        await anyio.to_thread.run_sync(idempotency.complete, sessions, caller, key, outcome)
