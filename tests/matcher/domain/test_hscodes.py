from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.domain import hscodes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("848180", "848180"),
        ("8481.80", "848180"),
        ("8481 80", "848180"),
        ("848180.0", "848180"),
        ("8481809000", "848180"),  # national 10-digit line -> international subheading
        ("30499", "030499"),  # leading zero lost by a spreadsheet
        (330499, "330499"),
    ],
)
def test_normalize_accepts_the_forms_found_in_the_wild(raw: object, expected: str) -> None:
    assert hscodes.normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "is empty or has no digits"),
        ("12345678901234567", "at most 10"),
        ("123456", "not in the HS nomenclature"),
        ("8481", "not a 6-digit"),
    ],
)
def test_normalize_rejects_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        hscodes.normalize(raw)


def test_prefixes_are_allowed_where_asked() -> None:
    assert hscodes.normalize("84", allow_prefix=True) == "84"
    assert hscodes.normalize("8481", allow_prefix=True) == "8481"


def test_agreement_levels() -> None:
    assert hscodes.agreement_level("848180", "848180") == 3
    assert hscodes.agreement_level("848180", "848110") == 2
    assert hscodes.agreement_level("848180", "843280") == 1
    assert hscodes.agreement_level("848180", "730723") == 0
    assert hscodes.agreement_level("84", "848180") == 1  # a prefix agrees as deep as it goes
    assert hscodes.best_agreement(["73", "8481"], "848180") == (2, "8481")


def test_descriptions_come_from_the_nomenclature() -> None:
    assert "valves" in hscodes.describe("848180").lower()
    assert hscodes.describe("000000") == ""
    assert len(hscodes.all_codes(level=2)) > 90


@given(st.text(max_size=20))
def test_normalize_never_crashes_on_arbitrary_text(raw: str) -> None:
    try:
        code = hscodes.normalize(raw, allow_prefix=True)
    except ValueError:
        return
    assert len(code) in (2, 4, 6) and hscodes.is_known(code)


_CODES = st.sampled_from(
    ["84", "8481", "848180", "848110", "843280", "73", "7307", "730723", "33", "3304", "330499"]
)


@given(st.lists(_CODES, min_size=1, max_size=4), st.lists(_CODES, min_size=1, max_size=4))
def test_deepest_agreement_is_the_best_pairwise_level(a: list[str], b: list[str]) -> None:
    """The set-based shortcut the ranking path uses equals the pairwise definition."""
    pairwise = max(hscodes.agreement_level(x, y) for x in a for y in b)
    assert hscodes.deepest_agreement(tuple(a), tuple(b)) == pairwise


@given(
    st.lists(_CODES, max_size=4),
    st.lists(st.one_of(_CODES, st.none(), st.just("")), max_size=6),
)
def test_agreement_levels_equal_deepest_agreement_per_code(
    wanted: list[str], offered: list[str | None]
) -> None:
    """The live match's per-product levels equal the pairwise definition, code by code."""
    expected = [hscodes.deepest_agreement(tuple(wanted), (c,)) if c else 0 for c in offered]
    assert hscodes.agreement_levels(tuple(wanted), offered) == expected
