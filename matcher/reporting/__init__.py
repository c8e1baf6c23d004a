"""What a center reports: the funnel dashboard (``funnel``) and the files staff hand out
(``exports``: shortlists and a client firm's monthly report as Excel or CSV).

The SQL behind both lives in ``matcher.storage.reporting_queries``; this package turns the
grouped counts into the documented figures (stage conversions, expected contracts) and
into files.
"""

from matcher.reporting.funnel import (
    ActorActivity,
    Dashboard,
    FirmActivity,
    InactiveFirm,
    MonthCounts,
    StageFigures,
    center_dashboard,
    expected_contracts,
    month_bounds,
)

__all__ = [
    "ActorActivity",
    "Dashboard",
    "FirmActivity",
    "InactiveFirm",
    "MonthCounts",
    "StageFigures",
    "center_dashboard",
    "expected_contracts",
    "month_bounds",
]
