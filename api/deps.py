"""Annotated dependency aliases: routes declare what they need, not how to build it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from matcher.errors import IndexNotReadyError, NotReadyError
from matcher.matching.service import MatchService
from matcher.matching.shortlist import ShortlistService
from matcher.pairing.service import PairingService
from matcher.runtime import Runtime
from matcher.storage.database import session_scope
from matcher.suggest.hs import HSSuggester


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_match_service(request: Request) -> MatchService:
    service: MatchService | None = getattr(request.app.state, "match_service", None)
    if service is None:
        raise IndexNotReadyError("the product index is not loaded yet")
    return service


MatchServiceDep = Annotated[MatchService, Depends(get_match_service)]

_lazy_lock = threading.Lock()
_T = TypeVar("_T")


def _on_first_use(request: Request, name: str, build: Callable[[Runtime], _T]) -> _T:
    """A service kept on ``app.state.<name>``, built on first use: it needs an index that
    loads in the background after start-up."""
    with _lazy_lock:
        service: _T | None = getattr(request.app.state, name, None)
        if service is None:
            service = build(request.app.state.runtime)
            setattr(request.app.state, name, service)
        return service


def get_shortlist_service(request: Request) -> ShortlistService:
    return _on_first_use(request, "shortlist_service", Runtime.shortlist_service)


ShortlistServiceDep = Annotated[ShortlistService, Depends(get_shortlist_service)]


def get_pairing_service(request: Request) -> PairingService:
    return _on_first_use(request, "pairing_service", Runtime.pairing_service)


PairingServiceDep = Annotated[PairingService, Depends(get_pairing_service)]


def get_hs_suggester(request: Request) -> HSSuggester:
    suggester: HSSuggester | None = getattr(request.app.state, "hs_suggester", None)
    if suggester is None:
        problem = getattr(request.app.state, "hs_suggester_error", None)
        raise NotReadyError(
            f"HS suggestion failed to start: {problem}"
            if problem
            else "HS suggestion is still starting (the nomenclature is being embedded)"
        )
    return suggester


HSSuggesterDep = Annotated[HSSuggester, Depends(get_hs_suggester)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with session_scope(runtime.sessions) as session:
        yield session


# scope="function": the commit runs when the route returns, before the response starts. With
# the default ("request") it runs after the response is sent, so a commit that fails (the
# database went away mid-request) could not become a 503 any more: the client would already
# hold a 200 for a write that was lost, and the server would log a crash instead.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
