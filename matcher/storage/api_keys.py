"""API keys: issued once, stored hashed, found by prefix, revocable.

Why: partner platforms and staff tools call the API with a key that names a role (partner,
staff scoped to centers, admin). A leaked database must not leak usable keys, so only the
SHA-256 of each key is stored (keys are 256-bit random, so a fast hash is enough; there is
nothing to brute-force). The key's prefix finds its row without the secret, and the
comparison is constant-time.

Format: ``tm_<prefix>_<secret>``, prefix 8 hex characters, secret 43 URL-safe characters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.domain.enums import CenterCode, Role
from matcher.errors import InputValidationError, NotFoundError
from matcher.storage.tables import ApiKeyRow

KEY_PREFIX = "tm_"


@dataclass(frozen=True)
class Principal:
    """Who a request speaks for."""

    key_prefix: str
    name: str
    role: Role
    centers: frozenset[CenterCode]

    def can_see_center(self, center: str | None) -> bool:
        return self.role is Role.ADMIN or (center is not None and center in self.centers)


@dataclass(frozen=True)
class KeyInfo:
    """A key as listed: never its secret or hash."""

    prefix: str
    name: str
    role: Role
    centers: tuple[str, ...]
    created_at: dt.datetime | None
    revoked_at: dt.datetime | None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _checked(name: str, role: str, centers: Iterable[str]) -> tuple[str, Role, list[str]]:
    name = name.strip()
    if not name or len(name) > 120:
        raise InputValidationError("name", "give the key a name of 1-120 characters")
    try:
        parsed = Role(role.strip().lower())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InputValidationError("role", f"'{role}' is not a role; choose {choices}") from None
    codes: list[str] = []
    for center in centers:
        try:
            codes.append(CenterCode(center.strip().upper()).value)
        except ValueError:
            known = ", ".join(c.value for c in CenterCode)
            raise InputValidationError(
                "centers", f"'{center}' is not a center; known: {known}"
            ) from None
    if parsed is Role.STAFF and not codes:
        raise InputValidationError("centers", "a staff key needs at least one center")
    if parsed is not Role.STAFF and codes:
        raise InputValidationError("centers", f"a {parsed.value} key is not scoped to centers")
    return name, parsed, sorted(set(codes))


def create_key(
    session: Session, name: str, role: str, centers: Sequence[str] = ()
) -> tuple[str, KeyInfo]:
    """A new key: returns the key itself (shown once, never stored) and its listing."""
    name, parsed, codes = _checked(name, role, centers)
    prefix = secrets.token_hex(4)
    while session.execute(select(ApiKeyRow.id).where(ApiKeyRow.prefix == prefix)).first():
        prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKeyRow(
        prefix=prefix, key_hash=_digest(key), name=name, role=parsed.value, centers=codes
    )
    session.add(row)
    session.flush()
    return key, _info(row)


def authenticate(session: Session, presented: str) -> Principal | None:
    """The principal of a presented key, or None for an unknown, malformed or revoked one."""
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or f"{parts[0]}_" != KEY_PREFIX:
        return None
    row = session.execute(
        select(ApiKeyRow).where(ApiKeyRow.prefix == parts[1])
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, _digest(presented.strip())):
        return None
    return Principal(
        row.prefix, row.name, Role(row.role), frozenset(CenterCode(c) for c in row.centers)
    )


def revoke_key(session: Session, prefix: str) -> KeyInfo:
    """Revoke a key by its prefix (idempotent: revoking again keeps the first time)."""
    row = session.execute(
        select(ApiKeyRow).where(ApiKeyRow.prefix == prefix.strip())
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError("api key", prefix)
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        session.flush()
    return _info(row)


def list_keys(session: Session) -> list[KeyInfo]:
    rows = session.execute(select(ApiKeyRow).order_by(ApiKeyRow.id)).scalars()
    return [_info(r) for r in rows]


def _info(row: ApiKeyRow) -> KeyInfo:
    return KeyInfo(
        prefix=row.prefix,
        name=row.name,
        role=Role(row.role),
        centers=tuple(row.centers or ()),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def any_keys(session: Session) -> bool:
    return session.execute(select(ApiKeyRow.id).limit(1)).first() is not None


# What ``tradematch bootstrap`` issues on a store with no keys: one key per kind of user, so
# a fresh checkout can be tried at once (``make run`` prints them and keeps them in
# ``<data_dir>/demo-keys.json``, readable by the owner only).
DEMO_KEYS: tuple[tuple[str, Role, tuple[str, ...]], ...] = (
    ("demo admin", Role.ADMIN, ()),
    ("demo partner platform", Role.PARTNER, ()),
    ("demo staff Hanoi", Role.STAFF, ("HAN",)),
    ("demo staff New Delhi", Role.STAFF, ("DEL",)),
)


def create_demo_keys(session: Session) -> dict[str, str]:
    """Issue ``DEMO_KEYS`` where no key exists yet; returns name -> key ({} otherwise)."""
    if any_keys(session):
        return {}
    return {
        name: create_key(session, name, role.value, centers)[0] for name, role, centers in DEMO_KEYS
    }
