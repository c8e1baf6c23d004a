"""Who is logged in to the web UI, and CSRF protection for everything they post.

The session cookie (HttpOnly, SameSite=Lax) holds a random token; the server keeps the
session and its CSRF token (``matcher.storage.staff_users``). Every POST must echo the
CSRF token as the ``csrf_token`` form field or the ``X-CSRF-Token`` header, compared in
constant time; a post without it is refused with 403 whatever the cookie says.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.deps import RuntimeDep
from api.ui import i18n
from matcher.errors import TradeMatchError
from matcher.storage.api_keys import Principal
from matcher.storage.database import session_scope
from matcher.storage.staff_users import StaffUser, session_user

COOKIE = "tm_session"


class LoginRequiredError(TradeMatchError):
    """No valid session: the UI answers with a redirect to the login page."""


class CSRFRejectedError(TradeMatchError):
    """A form post without the session's CSRF token (HTTP 403)."""


@dataclass(frozen=True)
class Staff:
    """The logged-in staff member, in the shape every page needs."""

    user: StaffUser
    principal: Principal
    csrf: str
    lang: i18n.Lang
    t: Callable[..., str]

    @property
    def centers(self) -> tuple[str, ...]:
        return self.user.centers


def language(request: Request) -> i18n.Lang:
    return i18n.chosen(request.cookies.get(i18n.COOKIE))


def current_staff(request: Request, runtime: RuntimeDep) -> Staff:
    token = request.cookies.get(COOKIE)
    found = None
    if token:
        with session_scope(runtime.sessions) as session:
            found = session_user(session, token)
    if found is None:
        raise LoginRequiredError(request.url.path)
    user, csrf = found
    lang = language(request)
    return Staff(user, user.principal(), csrf, lang, i18n.translator(lang))


StaffDep = Annotated[Staff, Depends(current_staff)]


async def checked_staff(request: Request, staff: StaffDep) -> Staff:
    """For POST routes: the logged-in staff member, once the CSRF token matches."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, staff.csrf):
        raise CSRFRejectedError("the form is missing its security token; reload the page and retry")
    return staff


PostingStaffDep = Annotated[Staff, Depends(checked_staff)]
