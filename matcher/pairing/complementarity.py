"""Which service types close which gap of a manufacturer: complementarity, kept as data.

A valve maker heading to India needs a BIS consultant, a smart-factory integrator and an
interpreter, not another valve maker, so pairing scores what a service firm *adds*. The rules
are a table (``data/complementarity.csv``: gap x industry -> service type, a strength in
(0, 1] and a source note per row) so the centers can revise them without a release. The
table is validated when it loads: an unknown gap, industry or service type, a strength out of
range, a missing source or a repeated row is an error naming the file and line.

``industry`` ``*`` applies to every industry; a row for the firm's own industry overrides the
``*`` row for the same (gap, service type).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

from matcher.domain.enums import Industry, ServiceType
from matcher.errors import DataTableError

ANY_INDUSTRY = "*"
_E = TypeVar("_E", bound=StrEnum)


class GapKind(StrEnum):
    """What a manufacturer lacks for a market (see ``matcher.pairing.gaps``)."""

    CERTIFICATION = "certification"  # a registration the market requires, not held
    LANGUAGE = "language"  # nobody speaks the market's business languages
    EXPORT_STAGE = "export_stage"  # a beginner: no export track record yet
    BRAND_DESIGN = "brand_design"  # no brand or design assets (no web presence)
    LOGISTICS = "logistics"  # no logistics partner on the route
    INDUSTRY_COMPLEMENT = "industry_complement"  # a policy pairing for the industry


@dataclass(frozen=True)
class Complement:
    gap: GapKind
    industry: Industry | None  # None: every industry
    service_type: ServiceType
    strength: float
    source: str


_COLUMNS = ("gap", "industry", "service_type", "strength", "source")


def _member(enum: type[_E], value: str, what: str, path: Path, line: int, extra: str = "") -> _E:
    """``enum(value)``, or an error naming the row and the known values."""
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(m.value for m in enum)
        raise DataTableError(
            path, line, f"unknown {what} '{value}' (known: {extra}{known})"
        ) from None


def _parse(path: Path, line: int, row: dict[str, str | None]) -> Complement:
    values = {c: (row.get(c) or "").strip() for c in _COLUMNS}
    for column in _COLUMNS:
        if not values[column]:
            raise DataTableError(path, line, f"column '{column}' is empty")
    gap = _member(GapKind, values["gap"], "gap", path, line)
    industry: Industry | None = None
    if values["industry"] != ANY_INDUSTRY:
        industry = _member(Industry, values["industry"], "industry", path, line, extra="*, ")
    service = _member(ServiceType, values["service_type"], "service type", path, line)
    try:
        strength = float(values["strength"])
    except ValueError:
        raise DataTableError(
            path, line, f"strength '{values['strength']}' is not a number"
        ) from None
    if not 0.0 < strength <= 1.0:
        raise DataTableError(path, line, f"strength {strength} is outside (0, 1]")
    return Complement(gap, industry, service, strength, values["source"])


class ComplementarityTable:
    """Lookup of (gap, industry) -> the service types that close it, strongest first."""

    def __init__(self, rows: list[Complement]) -> None:
        self.rows = rows
        self._by_key: dict[tuple[GapKind, Industry | None, ServiceType], Complement] = {}
        for row in rows:
            self._by_key[(row.gap, row.industry, row.service_type)] = row

    @classmethod
    def from_csv(cls, path: Path) -> ComplementarityTable:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise DataTableError(path, 1, f"missing column(s): {', '.join(missing)}")
            rows: list[Complement] = []
            seen: dict[tuple[GapKind, Industry | None, ServiceType], int] = {}
            for line, raw in enumerate(reader, start=2):
                row = _parse(path, line, raw)
                key = (row.gap, row.industry, row.service_type)
                if key in seen:
                    raise DataTableError(
                        path,
                        line,
                        f"repeats line {seen[key]} ({row.gap}, "
                        f"{row.industry or ANY_INDUSTRY}, {row.service_type})",
                    )
                seen[key] = line
                rows.append(row)
        return cls(rows)

    def closing(self, gap: GapKind, industry: Industry | str | None) -> list[Complement]:
        """Service types that close ``gap`` for a firm of ``industry``, strongest first; the
        industry's own row wins over the ``*`` row for the same service type."""
        try:
            own = Industry(industry) if industry else None
        except ValueError:
            own = None
        found: dict[ServiceType, Complement] = {}
        for row in self.rows:
            if row.gap is not gap:
                continue
            if row.industry is None and row.service_type not in found:
                found[row.service_type] = row
        for row in self.rows:
            if row.gap is gap and own is not None and row.industry is own:
                found[row.service_type] = row
        return sorted(found.values(), key=lambda r: (-r.strength, r.service_type.value))

    def service_types(self) -> set[ServiceType]:
        return {row.service_type for row in self.rows}


def _packaged(name: str) -> Path:
    return Path(str(resources.files("matcher.pairing").joinpath(f"data/{name}")))


@lru_cache(maxsize=1)
def default_table() -> ComplementarityTable:
    """The table shipped with the package."""
    return ComplementarityTable.from_csv(_packaged("complementarity.csv"))


@lru_cache(maxsize=1)
def market_languages() -> dict[str, tuple[str, ...]]:
    """Country -> the business languages a firm needs there (``data/market_languages.csv``)."""
    path = _packaged("market_languages.csv")
    out: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            country = (row.get("country") or "").strip().upper()
            language = (row.get("language") or "").strip().lower()
            if len(country) != 2 or not language or not (row.get("source") or "").strip():
                raise DataTableError(path, line, "needs a 2-letter country, a language, a source")
            out.setdefault(country, []).append(language)
    return {c: tuple(v) for c, v in out.items()}
