"""Accuracy of HS suggestions on a labelled set: top-1 at chapter (2-digit) and heading
(4-digit) level, top-5 at heading level, and top-1 at subheading level. A label's ``alt``
codes count as correct too."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from matcher.suggest.hs import HSSuggester


@dataclass(frozen=True)
class LabelledText:
    id: str
    lang: str
    source: str
    text: str
    codes: tuple[str, ...]  # the label first, then acceptable alternatives


def load_labelled(path: Path) -> list[LabelledText]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append(
                LabelledText(
                    r["id"],
                    r["lang"],
                    r.get("source", "authored"),
                    r["text"],
                    (r["hs6"], *r.get("alt", [])),
                )
            )
    return rows


def is_dev(label_id: str) -> bool:
    """The fixed development split: CRC32 of the id, mod 10, below 3."""
    return zlib.crc32(label_id.encode()) % 10 < 3


@dataclass(frozen=True)
class HSAccuracy:
    group: str
    n: int
    chapter_top1: float
    heading_top1: float
    heading_top5: float
    subheading_top1: float


def evaluate_hs(suggester: HSSuggester, rows: list[LabelledText]) -> list[HSAccuracy]:
    ranked = suggester.suggest([r.text for r in rows], top_k=5)
    hits: list[tuple[LabelledText, bool, bool, bool, bool]] = []
    for row, suggestions in zip(rows, ranked, strict=True):
        codes = [s.code for s in suggestions]
        top = codes[0]
        hits.append(
            (
                row,
                any(top[:2] == c[:2] for c in row.codes),
                any(top[:4] == c[:4] for c in row.codes),
                any(s[:4] == c[:4] for s in codes for c in row.codes),
                top in row.codes,
            )
        )
    groups = {"all": hits}
    for key in sorted({r.lang for r in rows}):
        groups[key] = [h for h in hits if h[0].lang == key]
    for key in sorted({r.source for r in rows}):
        groups[f"source={key}"] = [h for h in hits if h[0].source == key]
    # The suggester's weights were chosen on the development split; the rest is held out.
    groups["split=dev (30%)"] = [h for h in hits if is_dev(h[0].id)]
    groups["split=held-out (70%)"] = [h for h in hits if not is_dev(h[0].id)]
    out = []
    for name, group in groups.items():
        n = len(group)
        out.append(
            HSAccuracy(
                name,
                n,
                chapter_top1=sum(h[1] for h in group) / n,
                heading_top1=sum(h[2] for h in group) / n,
                heading_top5=sum(h[3] for h in group) / n,
                subheading_top1=sum(h[4] for h in group) / n,
            )
        )
    return out
