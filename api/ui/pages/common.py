"""What every page shares: the center a page is for, and the HTML 404."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.ui.session import Staff
from api.ui.templating import render
from matcher.domain.enums import CenterCode


def page_center(staff: Staff, requested: str | None) -> str | None:
    """The center a page shows: the one asked for if the user works there (None if not:
    the page answers 404), else the user's first center."""
    if requested is None:
        if staff.centers:
            return staff.centers[0]
        return CenterCode.HANOI.value if staff.user.is_admin else None
    code = requested.upper()
    if code not in {c.value for c in CenterCode}:
        return None
    if staff.user.is_admin or code in staff.centers:
        return code
    return None


def not_found(request: Request, staff: Staff) -> HTMLResponse:
    """Another center's page reads exactly like a page that does not exist."""
    return render(request, "not_found.html", {"staff": staff, "t": staff.t}, status_code=404)
