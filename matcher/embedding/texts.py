"""How entities become text for the encoder: one place, so the cache keys stay stable.

A product document joins its own name and description with the official English HS
description of its code. The HS text gives every product, whatever language its description
is in, a shared English anchor that English queries can reach.
"""

from __future__ import annotations

from matcher.domain import hscodes


def present(value: object) -> str:
    """A text field's value, or "" where it is missing: None, or NaN as a data frame holds
    a missing value (``str(nan)`` would put the word "nan" into an embedded text)."""
    return value.strip() if isinstance(value, str) else ""


def product_document(name: str | None, description: str, hs_code: str | None) -> str:
    """Missing parts may arrive as None or, from a data frame, as NaN: both are skipped."""
    parts = [present(p) for p in (name, description) if present(p)]
    code = present(hs_code)
    if code:
        hs_text = hscodes.describe(code)
        if hs_text:
            parts.append(f"HS {code}: {hs_text}")
    return " | ".join(parts)


def inquiry_query(text: str) -> str:
    return " ".join(text.split())
