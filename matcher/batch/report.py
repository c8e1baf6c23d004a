"""The nightly batch's report for center staff: ``<out_dir>/<YYYY-MM-DD>/index.html`` with its
plots (PNG) and the tables behind them (CSV), opened from disk with no server.

Staff start the day from what changed, so the page opens with a short summary in Korean and
English written from the figures, then the plots, then the tables. Definitions, in one place:

- **New / dropped / moved**: ``matcher.batch.diff`` (a match is a (task, query, target)
  triple; new: only in this run, dropped: only in the previous one, moved: in both at a
  different rank; a first run has every match new).
- **Strong (high-fit) match**: the ranker's calibrated P(consultation) is at least
  ``HIGH_FIT_PROBABILITY`` (consultation is the 70% stage of the funnel, so an even chance of
  reaching it is a lead worth a call); where the ranker gives no probability (the rule ranker,
  the pairing scorer), its score is at least the ``HIGH_FIT_SCORE_QUANTILE`` quantile of
  that task's scores in this run. Scores of different rankers are not on one scale, so a
  fixed score cut would mean different things per task; a within-task quantile does not.
- **The firm of a match** is the Korean firm staff work with: the supplier of an inquiry
  (inquiry_suppliers' target), the client firm of a firm-center pair (firm_importers' query)
  and the manufacturer of a manufacturer-market pair (service_partners' query).
- **Coverage per center**: the share of an active center's *client firms* (the dashboard's
  definition, read through its query as the engine reads it: an event at the center within
  ``CLIENT_DAYS`` days before the run's ``as_of``, or a shortlist there; these are exactly
  the center's firm_importers queries; planned centers get none) that got at least one
  importer there, and the share
  of *open inquiries* owned by the center (their buyer's center, else the center for the
  buyer's or inquiry's country) that got at least one supplier.
- **Funnel conversion** of a month: consultations ÷ market-information events at the center in
  that calendar month (UTC), from ``center_dashboard(...).trend``: the documented funnel's
  entry stage (10%) against the stage with a 70% contract probability. It is a ratio of the
  month's flows, not a cohort, so a month can exceed 100% after a busy previous month.

Every value from the data reaches the page through Jinja2 autoescaping (names are arbitrary
text) and the CSVs through ``matcher.reporting.exports._csv_text`` (no spreadsheet formulas).
Plots use matplotlib's Agg canvas on a bare ``Figure`` (no pyplot global state, no display).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sqlalchemy.orm import Session

from matcher.batch.diff import MatchChange, MatchKey, RunDiff, diff_runs
from matcher.domain.centers import BY_CODE, CENTERS, center_for
from matcher.domain.enums import CenterCode, FunnelStage, NeedStatus
from matcher.errors import NotFoundError
from matcher.reporting.exports import _csv_text
from matcher.reporting.funnel import CLIENT_DAYS, PROGRESSION, center_dashboard
from matcher.storage import batch_report_queries as q
from matcher.storage.batch_runs import TASKS, Recommendation
from matcher.storage.reporting_queries import clients_without_recent_events
from matcher.storage.tables import BatchRunRow

HIGH_FIT_PROBABILITY = 0.5
HIGH_FIT_SCORE_QUANTILE = 0.9
TOP_FIRMS = 15  # bars in the per-firm plot (the CSV lists every firm)
TEMPLATES = Path(__file__).parent / "templates"

PLOTS = {
    "scores": "score_distribution.png",
    "coverage": "coverage_per_center.png",
    "funnel": "funnel_conversion_trend.png",
    "firms": "new_high_fit_per_firm.png",
}
CSVS = {
    "recommendations": "recommendations.csv",
    "diff": "diff.csv",
    "coverage": "coverage.csv",
    "funnel": "funnel_trend.csv",
    "firms": "new_high_fit_per_firm.csv",
}

TASK_LABELS: dict[str, tuple[str, str]] = {  # (en, ko)
    "inquiry_suppliers": ("Inquiry → suppliers", "문의 → 공급기업"),
    "firm_importers": ("Firm → importers", "기업 → 수입업체"),
    "service_partners": ("Manufacturer → service partners", "제조기업 → 서비스 파트너"),
}
NO_CENTER = "—"


def _changes(diff: RunDiff) -> list[MatchChange]:
    """The diff as one list: new, dropped, moved, each by (task, query key, target id)."""
    return [*diff.new, *diff.dropped, *diff.moved]


# ----------------------------------------------------------------------------- figures


def firm_of(task: str, query_key: str, target_id: str) -> str:
    """The Korean firm a match is about (see the module docstring)."""
    if task == "inquiry_suppliers":
        return target_id
    return query_key.rpartition("@")[0] or query_key


@dataclass(frozen=True)
class TaskFigures:
    task: str
    queries: int  # distinct queries with at least one recommendation
    recommendations: int
    new: int
    dropped: int
    moved: int
    new_high_fit: int
    score_threshold: float | None  # the task's high-fit score cut (None: no rows)

    @property
    def label_en(self) -> str:
        return TASK_LABELS.get(self.task, (self.task, self.task))[0]

    @property
    def label_ko(self) -> str:
        return TASK_LABELS.get(self.task, (self.task, self.task))[1]


@dataclass(frozen=True)
class CenterCoverage:
    center: str
    name_en: str
    name_ko: str
    client_firms: int
    firms_covered: int  # client firms with at least one importer at this center
    firm_pairs: int  # firm-center queries at this center with results (clients or not)
    open_inquiries: int
    inquiries_covered: int

    @property
    def firm_share(self) -> float | None:
        return self.firms_covered / self.client_firms if self.client_firms else None

    @property
    def inquiry_share(self) -> float | None:
        return self.inquiries_covered / self.open_inquiries if self.open_inquiries else None


@dataclass(frozen=True)
class TrendPoint:
    center: str
    month: dt.date
    counts: Mapping[FunnelStage, int]

    @property
    def conversion(self) -> float | None:
        started = self.counts.get(FunnelStage.MARKET_INFO_SENT, 0)
        if not started:
            return None
        return self.counts.get(FunnelStage.CONSULTATION, 0) / started


@dataclass(frozen=True)
class FirmFigures:
    firm_id: str
    name_ko: str | None
    name_en: str | None
    new_high_fit: int
    new_matches: int

    @property
    def display_name(self) -> str:
        return self.name_ko or self.name_en or self.firm_id


@dataclass
class ReportFigures:
    """Everything the page, the plots and the summary are made from."""

    run: BatchRunRow
    today: dt.date
    first_run: bool
    tasks: list[TaskFigures]
    coverage: list[CenterCoverage]
    trend: list[TrendPoint]
    firms: list[FirmFigures]
    scores: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = field(repr=False)

    @property
    def new_total(self) -> int:
        return sum(t.new for t in self.tasks)

    @property
    def new_high_fit_total(self) -> int:
        return sum(t.new_high_fit for t in self.tasks)

    def task(self, name: str) -> TaskFigures:
        return next(t for t in self.tasks if t.task == name)


def _is_high_fit(score: float, probability: float | None, threshold: float | None) -> bool:
    if probability is not None:
        return probability >= HIGH_FIT_PROBABILITY
    return threshold is not None and score >= threshold


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _inquiry_center(
    buyer_center: str | None, buyer_country: str | None, need_country: str | None
) -> str:
    if buyer_center:
        return buyer_center
    code = center_for(buyer_country or need_country, None)
    return code.value if code is not None else NO_CENTER


def _as_of(run: BatchRunRow, today: dt.date) -> dt.datetime:
    """The moment the run chose its queries (its plan's ``as_of``), so coverage counts the
    client firms the engine counted; the end of ``today`` where the run does not say."""
    raw = (run.inputs or {}).get("as_of")
    if isinstance(raw, str):
        try:
            parsed = dt.datetime.fromisoformat(raw)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return _midnight(today + dt.timedelta(days=1))


def _client_firms(session: Session, as_of: dt.datetime) -> dict[str, set[str]]:
    """Each active center's client firms, through the dashboard's query as the engine reads
    them: every client is "quiet" when quiet means no event in the empty window ``[as_of,
    as_of)``. Planned centers get no firm-importer queries, so they have no firm coverage
    to measure (rather than a misleading 0%)."""
    since = as_of - dt.timedelta(days=CLIENT_DAYS)
    return {
        c.code.value: {
            ext
            for ext, *_ in clients_without_recent_events(session, c.code.value, since, as_of, as_of)
        }
        for c in CENTERS
        if c.active
    }


def _coverage(
    session: Session,
    as_of: dt.datetime,
    firm_queries: set[str],
    inquiry_queries: set[str],
) -> list[CenterCoverage]:
    clients = _client_firms(session, as_of)
    pairs: Counter[str] = Counter()
    covered_firms: dict[str, set[str]] = defaultdict(set)
    for key in firm_queries:
        firm, _, center = key.rpartition("@")
        pairs[center] += 1
        covered_firms[center].add(firm)
    inquiries: Counter[str] = Counter()
    inquiries_covered: Counter[str] = Counter()
    for ext, b_center, b_country, n_country in q.open_inquiries(session, NeedStatus.OPEN.value):
        center = _inquiry_center(b_center, b_country, n_country)
        inquiries[center] += 1
        if ext in inquiry_queries:
            inquiries_covered[center] += 1
    out = []
    known = [c.code.value for c in CENTERS]
    extra = sorted((set(clients) | set(pairs) | set(inquiries)) - set(known) - {NO_CENTER})
    for code in [*known, *extra, NO_CENTER]:
        info = BY_CODE.get(CenterCode(code)) if code in known else None
        row = CenterCoverage(
            center=code,
            name_en=info.name_en if info else ("No center" if code == NO_CENTER else code),
            name_ko=info.name_ko if info else ("센터 없음" if code == NO_CENTER else code),
            client_firms=len(clients.get(code, set())),
            firms_covered=len(clients.get(code, set()) & covered_firms.get(code, set())),
            firm_pairs=pairs.get(code, 0),
            open_inquiries=inquiries.get(code, 0),
            inquiries_covered=inquiries_covered.get(code, 0),
        )
        active = info is not None and info.active
        if active or row.client_firms or row.firm_pairs or row.open_inquiries:
            out.append(row)
    return out


def _trend(session: Session, today: dt.date, centers: Iterable[str]) -> list[TrendPoint]:
    out: list[TrendPoint] = []
    for code in centers:
        if code == NO_CENTER:
            continue
        dashboard = center_dashboard(session, code, today, today)
        out.extend(TrendPoint(code, m.month, dict(m.counts)) for m in dashboard.trend)
    return out


def gather(
    session: Session,
    run_id: str,
    today: dt.date,
    diff: RunDiff | None,
    on_row: Callable[[Recommendation], None] | None = None,
) -> tuple[ReportFigures, list[MatchChange]]:
    """The report's figures and the diff rows. With ``diff`` None the diff against the run's
    previous run is computed (``matcher.batch.diff``; a first run has every match new). ``on_row``
    sees every recommendation of the run during the one pass over it (the CSV is written
    there rather than in a second pass)."""
    run = session.get(BatchRunRow, run_id)
    if run is None:
        raise NotFoundError("batch run", run_id)
    if diff is None:
        diff = diff_runs(session, run.previous_run_id, run_id)
    first_run = diff.previous_run_id is None
    changes = _changes(diff)
    new_keys = {c.key for c in changes if c.change == "new"}

    scores: dict[str, list[float]] = {task: [] for task in TASKS}
    queries: dict[str, set[str]] = {task: set() for task in TASKS}
    # (score, probability) of the new matches, read from the run itself: the diff need not
    # carry probabilities.
    new_rows: dict[MatchKey, tuple[float, float | None]] = {}
    for r in q.run_recommendations(session, run_id, with_reasons=on_row is not None):
        if on_row is not None:
            on_row(r)
        scores.setdefault(r.task, []).append(r.score)
        queries.setdefault(r.task, set()).add(r.query_key)
        key = (r.task, r.query_key, r.target_id)
        if key in new_keys:
            new_rows[key] = (r.score, r.probability)

    arrays = {task: np.asarray(values, dtype=np.float64) for task, values in scores.items()}
    thresholds = {
        task: float(np.quantile(a, HIGH_FIT_SCORE_QUANTILE)) if a.size else None
        for task, a in arrays.items()
    }

    per_task: dict[str, Counter[str]] = defaultdict(Counter)
    firm_new: Counter[str] = Counter()
    firm_high: Counter[str] = Counter()
    for c in changes:
        per_task[c.task][c.change] += 1
        if c.change != "new":
            continue
        score, probability = new_rows.get(c.key, (c.score or 0.0, None))
        firm = firm_of(*c.key)
        firm_new[firm] += 1
        if _is_high_fit(score, probability, thresholds.get(c.task)):
            per_task[c.task]["high"] += 1
            firm_high[firm] += 1

    tasks = [
        TaskFigures(
            task=task,
            queries=len(queries[task]),
            recommendations=int(arrays[task].size),
            new=per_task[task]["new"],
            dropped=per_task[task]["dropped"],
            moved=per_task[task]["moved"],
            new_high_fit=per_task[task]["high"],
            score_threshold=thresholds[task],
        )
        for task in arrays
    ]
    names = q.exporter_names(session, list(firm_new))
    firms = sorted(
        (
            FirmFigures(firm, *names.get(firm, (None, None)), firm_high[firm], n)
            for firm, n in firm_new.items()
        ),
        key=lambda f: (-f.new_high_fit, -f.new_matches, f.firm_id),
    )
    coverage = _coverage(
        session,
        _as_of(run, today),
        queries.get("firm_importers", set()),
        queries.get("inquiry_suppliers", set()),
    )
    trend = _trend(session, today, [c.center for c in coverage])
    figures = ReportFigures(run, today, first_run, tasks, coverage, trend, firms, arrays)
    return figures, changes


# ----------------------------------------------------------------------------- summary


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def recomputed(run: BatchRunRow) -> dict[str, int] | None:
    """Queries per task the run ranked again, from the engine's run summary
    (``summary["queries"][task]["recomputed"]``); None where the summary does not say."""
    queries = (run.summary or {}).get("queries")
    if not isinstance(queries, Mapping):
        return None
    out: dict[str, int] = {}
    for task, figures in queries.items():
        value = figures.get("recomputed") if isinstance(figures, Mapping) else None
        if isinstance(value, int):
            out[str(task)] = value
    return out or None


def summary(fig: ReportFigures) -> dict[str, list[str]]:
    """Plain-language sentences for staff, ``{"ko": [...], "en": [...]}``, from the figures
    alone (so the words can never disagree with the tables below them)."""
    ko: list[str] = []
    en: list[str] = []
    inq, firm, svc = (fig.task(t) for t in TASKS)
    kind_en = "full" if fig.run.kind == "full" else "incremental"
    kind_ko = "전체" if fig.run.kind == "full" else "증분"
    en.append(
        f"Tonight's {kind_en} run has recommendations for {inq.queries:,} open inquiries, "
        f"{firm.queries:,} firm–center pairs and {svc.queries:,} manufacturer–market pairs "
        f"({sum(t.recommendations for t in fig.tasks):,} matches in all)."
    )
    ko.append(
        f"오늘 밤 {kind_ko} 실행으로 미결 문의 {inq.queries:,}건, 기업–센터 {firm.queries:,}쌍, "
        f"제조기업–시장 {svc.queries:,}쌍의 추천이 준비되었습니다"
        f"(매칭 총 {sum(t.recommendations for t in fig.tasks):,}건)."
    )
    again = recomputed(fig.run)
    if again is not None and fig.run.kind != "full":
        i, f, m = (again.get(t, 0) for t in TASKS)
        en.append(
            f"Ranked again tonight because their inputs or candidates changed: {i:,} "
            f"inquiries, {f:,} firm–center pairs and {m:,} manufacturer–market pairs; the "
            "rest were carried over from the previous run."
        )
        ko.append(
            f"입력이나 후보가 바뀌어 오늘 밤 다시 계산한 질의는 문의 {i:,}건, 기업–센터 {f:,}쌍, "
            f"제조기업–시장 {m:,}쌍이며, 나머지는 직전 실행의 추천을 그대로 유지했습니다."
        )
    dropped = sum(t.dropped for t in fig.tasks)
    moved = sum(t.moved for t in fig.tasks)
    if fig.first_run:
        en.append(
            f"This is the first run, so all {fig.new_total:,} matches are new; "
            f"{fig.new_high_fit_total:,} of them are strong matches."
        )
        ko.append(
            f"첫 실행이므로 매칭 {fig.new_total:,}건이 모두 새 매칭이며, "
            f"그중 {fig.new_high_fit_total:,}건이 유망 매칭입니다."
        )
    else:
        prev = fig.run.previous_run_id or "—"
        en.append(
            f"Against the previous run ({prev}): {fig.new_total:,} new matches, {dropped:,} "
            f"dropped and {moved:,} moved; {fig.new_high_fit_total:,} of the new matches are "
            "strong matches."
        )
        ko.append(
            f"직전 실행({prev}) 대비 새 매칭 {fig.new_total:,}건, 제외 {dropped:,}건, "
            f"순위 변동 {moved:,}건이며, 새 매칭 중 {fig.new_high_fit_total:,}건이 유망 "
            "매칭입니다."
        )
    parts_en, parts_ko = [], []
    for c in fig.coverage:
        bits_en, bits_ko = [], []
        if c.client_firms:
            bits_en.append(
                f"{_pct(c.firm_share)} of client firms ({c.firms_covered:,} of {c.client_firms:,})"
            )
            bits_ko.append(
                f"고객기업 {_pct(c.firm_share)}({c.client_firms:,}곳 중 {c.firms_covered:,}곳)"
            )
        if c.open_inquiries:
            bits_en.append(
                f"{_pct(c.inquiry_share)} of open inquiries "
                f"({c.inquiries_covered:,} of {c.open_inquiries:,})"
            )
            bits_ko.append(
                f"미결 문의 {_pct(c.inquiry_share)}"
                f"({c.open_inquiries:,}건 중 {c.inquiries_covered:,}건)"
            )
        if bits_en:
            parts_en.append(f"{c.name_en} {' and '.join(bits_en)}")
            parts_ko.append(f"{c.name_ko} {', '.join(bits_ko)}")
    if parts_en:
        en.append("Coverage: " + "; ".join(parts_en) + ".")
        ko.append("커버리지: " + "; ".join(parts_ko) + ".")
    top = [f for f in fig.firms if f.new_high_fit][:3]
    if top:
        en.append(
            "Most new strong matches: "
            + ", ".join(f"{f.name_en or f.display_name} ({f.new_high_fit})" for f in top)
            + "."
        )
        ko.append(
            "새 유망 매칭이 가장 많은 기업: "
            + ", ".join(f"{f.display_name}({f.new_high_fit}건)" for f in top)
            + "."
        )
    by_center: dict[str, list[TrendPoint]] = defaultdict(list)
    for p in fig.trend:
        by_center[p.center].append(p)
    conv_en, conv_ko = [], []
    for c in fig.coverage:
        points = [p for p in by_center.get(c.center, []) if p.conversion is not None]
        if points:
            last = points[-1]
            conv_en.append(f"{c.name_en} {_pct(last.conversion)} in {last.month:%Y-%m}")
            conv_ko.append(f"{c.name_ko} {last.month:%Y-%m} {_pct(last.conversion)}")
    if conv_en:
        en.append(
            "Funnel conversion (consultations per market-information event), latest month: "
            + "; ".join(conv_en)
            + "."
        )
        ko.append("퍼널 전환율(소비시장 정보 제공 대비 상담), 최근 월: " + "; ".join(conv_ko) + ".")
    return {"ko": ko, "en": en}


# ----------------------------------------------------------------------------- plots


def _cjk_font() -> str | None:
    """A font with Hangul, so Korean names and labels draw as text rather than boxes."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in ("Noto Sans CJK KR", "NanumGothic", "Noto Sans KR", "Malgun Gothic"):
        if name in names:
            return name
    return None


def _plain(text: str) -> str:
    """Data text for a plot label: ``$`` would start matplotlib's math mode."""
    return text.replace("$", r"\$")


class _Plotter:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        font = _cjk_font()
        self.korean = font is not None
        self.family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]

    def label(self, en: str, ko: str, sep: str = " · ") -> str:
        """English, with the Korean after it where a Hangul font is there to draw it."""
        return f"{en}{sep}{ko}" if self.korean else en

    def figure(self, width: float, height: float) -> Figure:
        fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        return fig

    def save(self, fig: Figure, name: str) -> Path:
        path = self.directory / name
        fig.savefig(path, format="png", metadata={"Software": None})
        return path

    def _fonts(self, fig: Figure) -> None:
        for text in fig.findobj(lambda a: hasattr(a, "set_fontfamily")):
            text.set_fontfamily(self.family)  # type: ignore[attr-defined]

    def scores(self, fig_data: ReportFigures) -> Path:
        fig = self.figure(12, 3.6)
        axes = fig.subplots(1, len(fig_data.tasks), squeeze=False)[0]
        for ax, task in zip(axes, fig_data.tasks, strict=True):
            values = fig_data.scores[task.task]
            ax.set_title(self.label(task.label_en, task.label_ko, "\n"), fontsize=10)
            if values.size:
                ax.hist(values, bins=30, color="#2f6db5")
                if task.score_threshold is not None:
                    ax.axvline(task.score_threshold, color="#d1495b", linestyle="--")
                    ax.annotate(
                        f"p{HIGH_FIT_SCORE_QUANTILE * 100:.0f}",
                        (task.score_threshold, 1),
                        xycoords=("data", "axes fraction"),
                        xytext=(3, -12),
                        textcoords="offset points",
                        color="#d1495b",
                        fontsize=8,
                    )
            else:
                ax.text(0.5, 0.5, "no recommendations", ha="center", va="center")
            ax.set_xlabel(self.label("score", "점수"))
            ax.set_ylabel(self.label("matches", "매칭 수"))
        self._fonts(fig)
        return self.save(fig, PLOTS["scores"])

    def coverage(self, rows: Sequence[CenterCoverage]) -> Path:
        fig = self.figure(8, 0.8 + 0.7 * max(len(rows), 1))
        ax = fig.subplots()
        y = np.arange(len(rows))
        firms = [100 * (r.firm_share or 0.0) for r in rows]
        inquiries = [100 * (r.inquiry_share or 0.0) for r in rows]
        ax.barh(y - 0.2, firms, 0.4, label=self.label("client firms", "고객기업"), color="#2f6db5")
        ax.barh(
            y + 0.2,
            inquiries,
            0.4,
            label=self.label("open inquiries", "미결 문의"),
            color="#f0a202",
        )
        for i, r in enumerate(rows):
            ax.text(firms[i] + 1, i - 0.2, _pct(r.firm_share), va="center", fontsize=8)
            ax.text(inquiries[i] + 1, i + 0.2, _pct(r.inquiry_share), va="center", fontsize=8)
        ax.set_yticks(y, [_plain(self.label(r.name_en, r.name_ko)) for r in rows])
        ax.invert_yaxis()
        ax.set_xlim(0, 112)
        ax.set_xlabel(self.label("% with at least one recommendation", "추천 1건 이상 비율 (%)"))
        ax.legend(loc="lower right", fontsize=8)
        self._fonts(fig)
        return self.save(fig, PLOTS["coverage"])

    def funnel(self, points: Sequence[TrendPoint], names: Mapping[str, str]) -> Path:
        fig = self.figure(10, 4)
        ax = fig.subplots()
        by_center: dict[str, list[TrendPoint]] = defaultdict(list)
        for p in points:
            by_center[p.center].append(p)
        months = sorted({p.month for p in points})
        for center, series in by_center.items():
            xs = [months.index(p.month) for p in series]
            ys = [np.nan if p.conversion is None else 100 * p.conversion for p in series]
            ax.plot(xs, ys, marker="o", label=_plain(names.get(center, center)))
        ax.set_xticks(range(len(months)), [f"{m:%Y-%m}" for m in months], rotation=45, ha="right")
        ax.set_ylabel(self.label("consultations / market info (%)", "상담 / 정보 제공 (%)"))
        shown = [p.conversion for p in points if p.conversion is not None]
        # 0-100% unless a month went above it (a flow ratio can), so months compare by eye.
        ax.set_ylim(0, max([100.0, *(110 * c for c in shown)]))
        if by_center:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no funnel events", ha="center", va="center", transform=ax.transAxes)
        self._fonts(fig)
        return self.save(fig, PLOTS["funnel"])

    def firms(self, firms: Sequence[FirmFigures]) -> Path:
        shown = [f for f in firms if f.new_high_fit][:TOP_FIRMS]
        fig = self.figure(9, 1 + 0.35 * max(len(shown), 3))
        ax = fig.subplots()
        if shown:
            y = np.arange(len(shown))
            bars = ax.barh(y, [f.new_high_fit for f in shown], color="#2a9d8f")
            ax.bar_label(bars, padding=3, fontsize=8)
            labels = [
                _plain(f.display_name if self.korean else (f.name_en or f.firm_id)) for f in shown
            ]
            ax.set_yticks(y, labels)
            ax.invert_yaxis()
            ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
        else:
            ax.text(
                0.5, 0.5, "no new strong matches", ha="center", va="center", transform=ax.transAxes
            )
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_xlabel(self.label("new strong matches", "새 유망 매칭 수"))
        self._fonts(fig)
        return self.save(fig, PLOTS["firms"])


# ----------------------------------------------------------------------------- csv


class _CsvFile:
    """A CSV in UTF-8 with a byte-order mark (Excel in Korea reads BOM-less CSV as CP949),
    every cell through the exports' formula guard; rows can be added one at a time."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self._handle = path.open("w", encoding="utf-8", newline="")
        self._handle.write("\ufeff")
        self._writer = csv.writer(self._handle, lineterminator="\r\n")
        self._writer.writerow(header)

    def add(self, row: Sequence[Any]) -> None:
        self._writer.writerow([_csv_text(v) for v in row])

    def close(self) -> None:
        self._handle.close()


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    out = _CsvFile(path, header)
    try:
        for row in rows:
            out.add(row)
    finally:
        out.close()


def _reason_texts(reasons: Sequence[Mapping[str, Any]], lang: str) -> str:
    return "; ".join(str(r.get(lang) or "") for r in reasons if isinstance(r, Mapping))


RECOMMENDATION_COLUMNS = (
    "task",
    "query_key",
    "rank",
    "target_id",
    "score",
    "probability",
    "reasons_en",
    "reasons_ko",
)


def _recommendation_row(rec: Recommendation) -> tuple[Any, ...]:
    return (
        rec.task,
        rec.query_key,
        rec.rank,
        rec.target_id,
        rec.score,
        rec.probability,
        _reason_texts(rec.reasons, "en"),
        _reason_texts(rec.reasons, "ko"),
    )


def _write_csvs(directory: Path, fig: ReportFigures, changes: Sequence[MatchChange]) -> None:
    """Every CSV but the recommendations' (written during ``gather``'s pass)."""
    _write_csv(
        directory / CSVS["diff"],
        (
            "change",
            "task",
            "query_key",
            "target_id",
            "previous_rank",
            "rank",
            "previous_score",
            "score",
        ),
        (
            [
                *(c.change, c.task, c.query_key, c.target_id),
                *(c.previous_rank, c.rank, c.previous_score, c.score),
            ]
            for c in changes
        ),
    )
    _write_csv(
        directory / CSVS["coverage"],
        (
            "center",
            "name_en",
            "name_ko",
            "client_firms",
            "client_firms_with_importers",
            "firm_coverage",
            "firm_center_pairs_with_results",
            "open_inquiries",
            "open_inquiries_with_suppliers",
            "inquiry_coverage",
        ),
        (
            [
                *(c.center, c.name_en, c.name_ko, c.client_firms, c.firms_covered, c.firm_share),
                *(c.firm_pairs, c.open_inquiries, c.inquiries_covered, c.inquiry_share),
            ]
            for c in fig.coverage
        ),
    )
    _write_csv(
        directory / CSVS["funnel"],
        ("center", "month", *(s.value for s in PROGRESSION), "conversion"),
        (
            [p.center, f"{p.month:%Y-%m}", *(p.counts.get(s, 0) for s in PROGRESSION), p.conversion]
            for p in fig.trend
        ),
    )
    _write_csv(
        directory / CSVS["firms"],
        ("firm_id", "name_ko", "name_en", "new_high_fit_matches", "new_matches"),
        ((f.firm_id, f.name_ko, f.name_en, f.new_high_fit, f.new_matches) for f in fig.firms),
    )


# ----------------------------------------------------------------------------- the page


def _environment() -> Environment:
    # autoescape everywhere: firm and importer names are arbitrary text from the data.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True
    )
    env.filters["pct"] = _pct
    env.filters["num"] = lambda n: f"{n:,}"
    return env


def write_report(
    session: Session, run_id: str, out_dir: Path, today: dt.date, diff: RunDiff | None
) -> Path:
    """Write the run's report to ``out_dir/<today>/`` and return the path of its
    ``index.html``. ``diff``: the engine's diff of this run against its previous one (None:
    computed here from the stored runs; a first run has every match new). Files of an
    earlier report of the same day are overwritten. ``today`` is passed in, not read from
    the clock, so a report is reproducible."""
    directory = Path(out_dir) / today.isoformat()
    directory.mkdir(parents=True, exist_ok=True)
    recommendations = _CsvFile(directory / CSVS["recommendations"], RECOMMENDATION_COLUMNS)
    try:
        fig, changes = gather(
            session, run_id, today, diff, lambda r: recommendations.add(_recommendation_row(r))
        )
    finally:
        recommendations.close()
    _write_csvs(directory, fig, changes)

    plotter = _Plotter(directory)
    names = {c.center: (plotter.label(c.name_en, c.name_ko)) for c in fig.coverage}
    plotter.scores(fig)
    plotter.coverage(fig.coverage)
    plotter.funnel(fig.trend, names)
    plotter.firms(fig.firms)

    html = (
        _environment()
        .get_template("report.html")
        .render(
            fig=fig,
            run=fig.run,
            summary=summary(fig),
            plots=PLOTS,
            csvs=CSVS,
            top_firms=[f for f in fig.firms if f.new_high_fit][:TOP_FIRMS],
            high_fit_probability=HIGH_FIT_PROBABILITY,
            high_fit_quantile=HIGH_FIT_SCORE_QUANTILE,
            client_days=CLIENT_DAYS,
        )
    )
    path = directory / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
