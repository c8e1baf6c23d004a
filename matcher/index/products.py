"""The filters a buyer or partner can put on a supplier search, in domain terms, and their
translation to the products collection's index filter."""

from __future__ import annotations

from dataclasses import dataclass

from matcher.domain.enums import ExportStage, Industry
from matcher.index.filters import Where


@dataclass(frozen=True)
class CatalogFilter:
    """Restrict candidates to products whose supplier satisfies every given condition."""

    hs_prefixes: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    export_stages: tuple[ExportStage, ...] = ()
    industries: tuple[Industry, ...] = ()
    certifications: tuple[str, ...] = ()  # the supplier must hold all of these
    max_moq: int | None = None

    def is_empty(self) -> bool:
        return self.to_where().is_empty()

    def to_where(self) -> Where:
        return Where(
            values={
                "hs": list(self.hs_prefixes),
                "city": list(self.cities),
                "export_stage": [s.value for s in self.export_stages],
                "industry": [i.value for i in self.industries],
            },
            all_values={"certifications": list(self.certifications)},
            max_values={} if self.max_moq is None else {"moq": float(self.max_moq)},
        )
