"""Which rows a principal may see: the one place that scopes staff to their centers and
partners to their own inquiries.

Each function returns a SQL condition for one table (``None``: no restriction), so lists
filter in the database and single reads answer 404 for a row outside the scope exactly as
for a row that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session

from matcher.domain.centers import BY_CODE
from matcher.domain.enums import Role
from matcher.errors import InputValidationError, NotFoundError
from matcher.storage.api_keys import Principal
from matcher.storage.tables import (
    BuyerRow,
    FunnelEventRow,
    NeedRow,
    PairingEventRow,
    ShortlistRow,
)


def _centers(principal: Principal) -> list[str]:
    return sorted(c.value for c in principal.centers)


def _countries(principal: Principal) -> list[str]:
    """The countries a staff key's centers work in (for rows that name a country only)."""
    return sorted({BY_CODE[c].country for c in principal.centers})


def buyers(principal: Principal) -> ColumnElement[bool] | None:
    if principal.role is Role.ADMIN:
        return None
    if principal.role is Role.STAFF:
        return BuyerRow.center.in_(_centers(principal))
    return false()


def _buyer_ids_of_centers(principal: Principal):  # type: ignore[no-untyped-def]
    return select(BuyerRow.id).where(BuyerRow.center.in_(_centers(principal)))


def events(principal: Principal) -> ColumnElement[bool] | None:
    """An event belongs to the center that recorded it; one recorded without a center
    belongs to its importer's center."""
    if principal.role is Role.ADMIN:
        return None
    if principal.role is not Role.STAFF:
        return false()
    return or_(
        FunnelEventRow.center.in_(_centers(principal)),
        and_(
            FunnelEventRow.center.is_(None),
            FunnelEventRow.buyer_id.in_(_buyer_ids_of_centers(principal)),
        ),
    )


def needs(principal: Principal) -> ColumnElement[bool] | None:
    """Partners see the inquiries their key posted; staff those of their centers' importers
    and, for inquiries from no known importer, those from their centers' countries."""
    if principal.role is Role.ADMIN:
        return None
    if principal.role is Role.PARTNER:
        return NeedRow.owner_key == principal.key_prefix
    return or_(
        NeedRow.buyer_id.in_(_buyer_ids_of_centers(principal)),
        and_(NeedRow.buyer_id.is_(None), NeedRow.country.in_(_countries(principal))),
    )


def shortlists(principal: Principal) -> ColumnElement[bool] | None:
    if principal.role is Role.ADMIN:
        return None
    if principal.role is Role.STAFF:
        return ShortlistRow.center.in_(_centers(principal))
    return false()


def pairing_events(principal: Principal) -> ColumnElement[bool] | None:
    """A pairing event belongs to the center that recorded it, else to the centers of its
    target market."""
    if principal.role is Role.ADMIN:
        return None
    if principal.role is not Role.STAFF:
        return false()
    return or_(
        PairingEventRow.center.in_(_centers(principal)),
        and_(PairingEventRow.center.is_(None), PairingEventRow.market.in_(_countries(principal))),
    )


def write_center(principal: Principal, center: str | None, field: str = "center") -> str | None:
    """The center a write by ``principal`` belongs to: the one given, which must be one of a
    staff key's centers, else a staff key's only center. Admins write for any center."""
    if principal.role is Role.ADMIN:
        return center
    if center is None:
        if len(principal.centers) == 1:
            return next(iter(principal.centers)).value
        raise InputValidationError(field, "name the center (this key works for several)")
    if center not in principal.centers:
        mine = ", ".join(_centers(principal))
        raise InputValidationError(field, f"{center} is not one of this key's centers ({mine})")
    return center


def firm_center(principal: Principal, exporter_id: str, center: str | None) -> str | None:
    """The center whose importers a read about firm ``exporter_id`` is for. A staff key
    naming a center not its own gets 404 for the firm at that center (as if unknown there),
    as every other read outside its centers does, so a question about another center
    discloses nothing; otherwise as ``write_center`` (a staff key's only center by default;
    admins any or none)."""
    if principal.role is Role.STAFF and center is not None and center not in principal.centers:
        raise NotFoundError("firm at center", f"{exporter_id}@{center}")
    return write_center(principal, center)


Rule = Callable[[Principal], "ColumnElement[bool] | None"]


def scoped(table: Any, rule: Rule | None, principal: Principal) -> Select[Any]:
    """``SELECT table`` limited to what ``rule`` lets the principal see (no rule: all)."""
    stmt = select(table)
    condition = None if rule is None else rule(principal)
    return stmt if condition is None else stmt.where(condition)


def find(
    session: Session, table: Any, rule: Rule | None, principal: Principal, external_id: str
) -> Any:
    """The row with this external id if the principal may see it, else None: callers answer
    alike for a row outside the scope and one that does not exist."""
    return session.scalar(scoped(table, rule, principal).where(table.external_id == external_id))
