"""Hard exclusions and the exposure cap, each excluded candidate returned with its reason.

A candidate is excluded, never silently dropped: staff must be able to see why an importer
they expected is missing from a shortlist.

- ``blocked``: the pair is blocked (a center recorded that these two must not be matched
  again: a dispute, a claim, the buyer's request).
- ``opted_out``: the importer asked not to be recommended.
- ``certification_missing``: the importer marks its required certificates as strict and the
  firm lacks one.
- ``exposure_cap``: the importer has already been put forward to ``cap`` other firms this
  calendar month. The centers' credibility depends on not spamming importers.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from matcher.features.registry import Columns, values


@dataclass(frozen=True)
class Exclusion:
    exporter_id: int
    buyer_id: int | None
    code: str
    reason_en: str
    reason_ko: str


def _certs_missing(cols: Columns) -> npt.NDArray[np.bool_]:
    if "b_strict" not in cols.columns:
        return np.zeros(len(cols), bool)
    coverage = values(cols, "certification_coverage")
    strict = np.asarray([v is True or v == 1 for v in cols.objects("b_strict")], dtype=bool)
    out: npt.NDArray[np.bool_] = strict & ~np.isnan(coverage) & (coverage < 1.0)
    return out


def hard_exclusions(
    pairs: pd.DataFrame | Columns,
    *,
    blocked: Set[tuple[int, int]] = frozenset(),
    exposure: Mapping[int, Set[int]] | None = None,
    exposure_cap: int | None = None,
) -> tuple[npt.NDArray[np.bool_], list[Exclusion]]:
    """(keep mask, exclusions) for the rows of a pair frame; first matching reason wins."""
    cols = pairs if isinstance(pairs, Columns) else Columns(pairs)
    n = len(cols)
    keep = np.ones(n, bool)
    out: list[Exclusion] = []
    e_ids = cols.numbers("exporter_id").astype(np.int64)
    b_ids = cols.numbers("buyer_id").astype(np.int64)
    opted = (
        np.asarray([bool(v) if v is not None else False for v in cols.objects("b_opted_out")])
        if "b_opted_out" in cols.columns
        else np.zeros(n, bool)
    )
    missing = _certs_missing(cols)
    required: list[Any] = list(cols.objects("b_required")) if "b_required" in cols.columns else []
    certs: list[Any] = list(cols.objects("e_certs")) if "e_certs" in cols.columns else []
    for i in range(n):
        e, b = int(e_ids[i]), int(b_ids[i])
        buyer = b if b >= 0 else None
        reason: tuple[str, str, str] | None = None
        if buyer is not None and (e, b) in blocked:
            reason = (
                "blocked",
                "This pair is blocked by the export center",
                "수출지원센터가 매칭을 차단한 조합",
            )
        elif opted[i]:
            reason = (
                "opted_out",
                "The importer asked not to receive recommendations",
                "바이어가 추천 수신을 거부함",
            )
        elif missing[i]:
            needed = [str(c) for c in (required[i] or [])]
            held = {str(c) for c in (certs[i] or [])}
            lack = ", ".join(c for c in needed if c not in held)
            reason = (
                "certification_missing",
                f"The importer strictly requires {lack}, which the firm lacks",
                f"바이어 필수 인증({lack}) 미보유",
            )
        elif (
            buyer is not None
            and exposure is not None
            and exposure_cap is not None
            and len(set(exposure.get(b, set())) - {e}) >= exposure_cap
        ):
            reason = (
                "exposure_cap",
                f"The importer was already recommended to {exposure_cap} firms this month",
                f"이번 달 이미 {exposure_cap}개 기업에 추천된 바이어",
            )
        if reason is not None:
            keep[i] = False
            out.append(Exclusion(e, buyer, *reason))
    return keep, out
