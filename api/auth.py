"""Who is calling, and may they: one ``Principal`` dependency and per-route role lists.

Every ``/v1`` route except liveness and readiness declares its roles with ``**roles(...)``
in its decorator. That one declaration both enforces them (a dependency) and records them in
the OpenAPI operation as ``x-roles``, so tests can walk exactly the operations a partner key
reaches and check that none of their responses carries a sensitive field.

Keys travel in ``X-API-Key`` (or ``Authorization: Bearer <key>``). A missing or unknown key
is ``401``; a known key whose role may not use the route is ``403``. Resources outside a
staff key's centers are ``404``, never ``403``, so their existence is not disclosed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.deps import RuntimeDep
from matcher.domain.enums import CenterCode, Role
from matcher.errors import AuthenticationError, PermissionDeniedError
from matcher.storage.api_keys import Principal, authenticate
from matcher.storage.database import session_scope

_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="`tradematch keys create` issues keys"
)
_bearer = HTTPBearer(auto_error=False)

# Used when Settings.auth_required is off (local experiments only): an admin with no key.
ANONYMOUS_ADMIN = Principal("", "anonymous", Role.ADMIN, frozenset(CenterCode))


def get_principal(
    request: Request,
    runtime: RuntimeDep,
    api_key: Annotated[str | None, Security(_api_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    presented = api_key or (bearer.credentials if bearer else None)
    if not presented:
        if not runtime.settings.auth_required:
            request.state.principal = ANONYMOUS_ADMIN
            return ANONYMOUS_ADMIN
        raise AuthenticationError("send an API key in the X-API-Key header")
    with session_scope(runtime.sessions) as session:
        principal = authenticate(session, presented)
    if principal is None:
        raise AuthenticationError("the API key is unknown or revoked")
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _require(allowed: frozenset[Role]) -> Any:
    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise PermissionDeniedError(
                f"a {principal.role.value} key may not do this (allowed: {names})"
            )
        return principal

    return check


def roles(*allowed: Role) -> dict[str, Any]:
    """Decorator keywords for a route: ``@router.get(path, **roles(Role.STAFF, Role.ADMIN))``."""
    chosen = frozenset(allowed)
    return {
        "dependencies": [Depends(_require(chosen))],
        "openapi_extra": {"x-roles": sorted(r.value for r in chosen)},
    }


EVERYONE = (Role.PARTNER, Role.STAFF, Role.ADMIN)
STAFF_AND_ADMIN = (Role.STAFF, Role.ADMIN)
