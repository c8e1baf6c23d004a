"""The staff web UI: server-rendered pages (Jinja2) with a little vanilla JavaScript, no
front-end build step. Mounted at ``/ui``; static assets at ``/ui/static``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.ui import i18n
from api.ui.pages import auth, buyers, dashboard, firms, reports, search, shortlists
from api.ui.session import CSRFRejectedError, LoginRequiredError, language
from api.ui.templating import render

STATIC_DIR = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    app.mount("/ui/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    for page in (auth, dashboard, firms, reports, shortlists, buyers, search):
        app.include_router(page.router, prefix="/ui", include_in_schema=False)

    @app.get("/ui", include_in_schema=False)
    def ui_root() -> RedirectResponse:
        return RedirectResponse("/ui/", status_code=307)

    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse(f"/ui/login?next={request.url.path}", status_code=303)

    @app.exception_handler(CSRFRejectedError)
    async def _csrf(request: Request, exc: CSRFRejectedError) -> HTMLResponse:
        lang = language(request)
        return render(
            request,
            "forbidden.html",
            {"t": i18n.translator(lang), "lang": lang, "staff": None},
            status_code=403,
        )
