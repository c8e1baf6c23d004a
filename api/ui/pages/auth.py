"""Log in, log out, switch language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import RuntimeDep
from api.ui import i18n
from api.ui.session import COOKIE, PostingStaffDep, language
from api.ui.templating import render
from matcher.storage.database import session_scope
from matcher.storage.staff_users import authenticate_user, end_session, start_session

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only paths inside the UI: never an open redirect to another site."""
    if target and target.startswith("/ui") and not target.startswith("//"):
        return target
    return "/ui/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    lang = language(request)
    return render(
        request,
        "login.html",
        {"t": i18n.translator(lang), "lang": lang, "next": _safe_next(next), "failed": False},
    )


@router.post("/login", response_model=None)
def login(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    lang = language(request)
    with session_scope(runtime.sessions) as session:
        user = authenticate_user(session, username, password)
        started = start_session(session, user) if user else None
    if started is None:
        context = {
            "t": i18n.translator(lang),
            "lang": lang,
            "next": _safe_next(next),
            "failed": True,
        }
        return render(request, "login.html", context, status_code=401)
    token, _ = started
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/ui",
    )
    return response


@router.post("/logout")
def logout(request: Request, runtime: RuntimeDep, staff: PostingStaffDep) -> RedirectResponse:
    token = request.cookies.get(COOKIE)
    if token:
        with session_scope(runtime.sessions) as session:
            end_session(session, token)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> RedirectResponse:
    """A preference, not a state change of record: a plain link, no CSRF token needed."""
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(i18n.COOKIE, i18n.chosen(code), samesite="lax", path="/ui")
    return response
