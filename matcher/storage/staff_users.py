"""Staff users of the web UI and their login sessions.

Passwords are hashed with scrypt (memory-hard: a leaked table is expensive to brute-force,
unlike API keys, which are random and need only SHA-256). A login starts a server-side
session; the browser holds only a random token, stored here as SHA-256, so logging out or
disabling a user ends its sessions at once. Each session carries its own CSRF token, which
every form post must echo.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from matcher.domain.enums import CenterCode, Role
from matcher.errors import ConflictError, InputValidationError, NotFoundError
from matcher.storage.api_keys import Principal
from matcher.storage.tables import StaffUserRow, UISessionRow

SESSION_LIFETIME = dt.timedelta(hours=12)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_USERNAME = re.compile(r"^[a-z0-9._-]{2,64}$")


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    display_name: str
    centers: tuple[str, ...]
    is_admin: bool

    def principal(self) -> Principal:
        """The same scoping the API applies to keys: staff see their centers only."""
        return Principal(
            key_prefix=f"u:{self.username}"[:16],
            name=self.display_name,
            role=Role.ADMIN if self.is_admin else Role.STAFF,
            centers=frozenset(CenterCode(c) for c in self.centers),
        )


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    encode = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${encode(salt).decode()}${encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), dklen=32, n=int(n), r=8, p=1
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


def _user(row: StaffUserRow) -> StaffUser:
    return StaffUser(row.id, row.username, row.display_name, tuple(row.centers or ()), row.is_admin)


def create_user(
    session: Session,
    username: str,
    display_name: str,
    password: str,
    centers: Sequence[str] = (),
    is_admin: bool = False,
) -> StaffUser:
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise InputValidationError("username", "use 2-64 of a-z, 0-9, '.', '_' or '-'")
    if len(password) < 10:
        raise InputValidationError("password", "use at least 10 characters")
    codes = []
    for center in centers:
        try:
            codes.append(CenterCode(center.strip().upper()).value)
        except ValueError:
            raise InputValidationError("centers", f"'{center}' is not a center") from None
    if not codes and not is_admin:
        raise InputValidationError("centers", "a staff user needs at least one center")
    if session.scalar(select(StaffUserRow.id).where(StaffUserRow.username == username)):
        raise ConflictError(f"user '{username}' already exists")
    row = StaffUserRow(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        centers=sorted(set(codes)),
        is_admin=is_admin,
        active=True,
    )
    session.add(row)
    session.flush()
    return _user(row)


def list_users(session: Session) -> list[tuple[StaffUser, bool]]:
    rows = session.scalars(select(StaffUserRow).order_by(StaffUserRow.username))
    return [(_user(r), r.active) for r in rows]


def colleagues(session: Session, centers: Sequence[str]) -> list[StaffUser]:
    """Active staff of any of these centers (to assign shortlist items to)."""
    rows = session.scalars(
        select(StaffUserRow).where(StaffUserRow.active.is_(True)).order_by(StaffUserRow.username)
    )
    wanted = set(centers)
    return [_user(r) for r in rows if wanted & set(r.centers or ())]


def disable_user(session: Session, username: str) -> None:
    row = session.scalar(select(StaffUserRow).where(StaffUserRow.username == username))
    if row is None:
        raise NotFoundError("user", username)
    row.active = False
    session.execute(delete(UISessionRow).where(UISessionRow.user_id == row.id))


def authenticate_user(session: Session, username: str, password: str) -> StaffUser | None:
    row = session.scalar(
        select(StaffUserRow).where(StaffUserRow.username == username.strip().lower())
    )
    if row is None:
        # Same work as a wrong password, so timing does not reveal which user names exist.
        check_password(password, hash_password("not-a-user-password"))
        return None
    if not row.active or not check_password(password, row.password_hash):
        return None
    return _user(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: StaffUser) -> tuple[str, str]:
    """A new login: returns (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    session.add(
        UISessionRow(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.execute(delete(UISessionRow).where(UISessionRow.expires_at < now))
    return token, csrf


def session_user(session: Session, token: str) -> tuple[StaffUser, str] | None:
    """The logged-in user and the session's CSRF token; None if unknown, expired or
    disabled."""
    found = session.execute(
        select(StaffUserRow, UISessionRow)
        .join(UISessionRow, UISessionRow.user_id == StaffUserRow.id)
        .where(UISessionRow.token_hash == _digest(token))
    ).first()
    if found is None:
        return None
    user, login = found
    if not user.active or login.expires_at < dt.datetime.now(dt.UTC):
        return None
    return _user(user), login.csrf_token


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UISessionRow).where(UISessionRow.token_hash == _digest(token)))


DEMO_USERS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("hanoi", "Nguyễn Thị Lan (Hanoi)", ("HAN",), False),
    ("hanoi2", "Trần Văn Minh (Hanoi)", ("HAN",), False),
    ("delhi", "Priya Sharma (New Delhi)", ("DEL",), False),
    ("admin", "Admin", (), True),
)


def create_demo_users(session: Session) -> dict[str, str]:
    """Where no user exists yet, one login per demo role; returns username -> password."""
    if session.scalar(select(StaffUserRow.id).limit(1)) is not None:
        return {}
    issued = {}
    for username, name, centers, is_admin in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        create_user(session, username, name, password, centers, is_admin)
        issued[username] = password
    return issued
