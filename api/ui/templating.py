"""The Jinja2 environment: autoescaping on for every template (a buyer named
``<script>`` renders as text), and the helpers each page needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.ui.charts import bar_chart, trend_chart
from matcher.domain.enums import FunnelStage

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.autoescape = True
TEMPLATES.env.globals["bar_chart"] = bar_chart
TEMPLATES.env.globals["trend_chart"] = trend_chart
TEMPLATES.env.globals["progression"] = FunnelStage.progression()
TEMPLATES.env.globals["all_stages"] = tuple(FunnelStage)


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    response: HTMLResponse = TEMPLATES.TemplateResponse(
        request, template, context, status_code=status_code
    )
    return response
