"""Regulatory readiness: which registration a destination country requires for a product.

The table is data (``data/regulations.csv``, keyed by country x HS prefix), not code, so a
center can add a rule (a new Quality Control Order in India, a registration in Vietnam)
without a release. The most specific prefix wins: a medical-device heading under chapter 90
overrides nothing at chapter level, a food heading inherits its chapter's rule.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Regulation:
    country: str
    hs_prefix: str
    certification: str
    authority: str
    requirement_en: str
    requirement_ko: str


class RegulationTable:
    """Lookup of (country, HS code) -> the registration required before import, if any."""

    def __init__(self, rules: list[Regulation]) -> None:
        self.rules = rules
        self._by_key: dict[tuple[str, str], Regulation] = {}
        for rule in rules:
            key = (rule.country, rule.hs_prefix)
            if key in self._by_key:
                raise ValueError(f"regulation listed twice: {rule.country} HS {rule.hs_prefix}")
            self._by_key[key] = rule

    @classmethod
    def from_csv(cls, path: Path) -> RegulationTable:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        rules = []
        for line, row in enumerate(rows, start=2):
            prefix = (row.get("hs_prefix") or "").strip()
            country = (row.get("country") or "").strip().upper()
            if not prefix.isdigit() or len(prefix) not in (2, 4, 6) or len(country) != 2:
                raise ValueError(f"{path}:{line}: bad country '{country}' or hs_prefix '{prefix}'")
            rules.append(
                Regulation(
                    country=country,
                    hs_prefix=prefix,
                    certification=row["certification"].strip(),
                    authority=row["authority"].strip(),
                    requirement_en=row["requirement_en"].strip(),
                    requirement_ko=row["requirement_ko"].strip(),
                )
            )
        return cls(rules)

    def required(self, country: str | None, hs_code: str | None) -> Regulation | None:
        """The rule for the most specific matching prefix, or None where none applies."""
        if not country or not hs_code:
            return None
        for depth in (6, 4, 2):
            rule = self._by_key.get((country, hs_code[:depth]))
            if rule is not None:
                return rule
        return None


@lru_cache(maxsize=1)
def default_table() -> RegulationTable:
    """The table shipped with the package."""
    path = resources.files("matcher.features").joinpath("data/regulations.csv")
    return RegulationTable.from_csv(Path(str(path)))
