"""Helpers for API tests: keys for each role, clients that send them, a served app."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from matcher.config import Settings
from matcher.storage.api_keys import create_key
from matcher.storage.database import session_scope


def issue_key(app: FastAPI, role: str, centers: Sequence[str] = (), name: str = "") -> str:
    """A new API key in the app's store."""
    with session_scope(app.state.runtime.sessions) as session:
        key, _ = create_key(session, name or f"test {role} {' '.join(centers)}", role, centers)
    return key


def client_as(app: FastAPI, role: str, centers: Sequence[str] = ()) -> TestClient:
    """A client (without the lifespan: its threads can outlive the interpreter) that sends a
    fresh key of ``role``."""
    return TestClient(app, headers={"X-API-Key": issue_key(app, role, centers)})


def served_app(settings: Settings) -> FastAPI:
    """An app with the supplier search loaded, as the lifespan would load it."""
    app = create_app(settings)
    app.state.match_service = app.state.runtime.match_service()
    return app
