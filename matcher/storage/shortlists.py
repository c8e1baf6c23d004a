"""Center shortlists: the importers staff picked for one client firm, in their order.

A shortlist is edited by several staff of one center; its ``version`` grows with every
change and must be presented (If-Match) to change it again, so a second editor is told to
reload rather than silently overwriting the first.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from matcher.errors import (
    ConflictError,
    InputValidationError,
    NotFoundError,
    PreconditionFailedError,
)
from matcher.storage import visibility
from matcher.storage.api_keys import Principal
from matcher.storage.records import check_version
from matcher.storage.tables import BuyerRow, ExporterRow, ShortlistRow

_ID = re.compile(r"^[\w.:\-/]{1,64}$")


@dataclass(frozen=True)
class Item:
    buyer_id: str  # external id
    note: str | None = None
    assigned_to: str | None = None  # the staff member following this importer up
    # What the recommendation said when it was added (score, reasons in en/ko), kept so the
    # export shows why an importer was picked even after the ranking moves on.
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> Item:
        """An item as ``items`` stores it: the named fields, the rest kept as ``extra``."""
        plain = ("buyer_id", "note", "assigned_to")
        return cls(
            stored["buyer_id"],
            stored.get("note"),
            stored.get("assigned_to"),
            {k: v for k, v in stored.items() if k not in plain},
        )


def new_external_id() -> str:
    return f"sl-{secrets.token_hex(6)}"


def get(session: Session, external_id: str) -> ShortlistRow:
    row = session.scalar(select(ShortlistRow).where(ShortlistRow.external_id == external_id))
    if row is None:
        raise NotFoundError("shortlist", external_id)
    return row


def _check_items(session: Session, center: str, items: Sequence[Item]) -> list[dict[str, Any]]:
    """Items must name importers of the shortlist's own center, each once."""
    seen: set[str] = set()
    for position, item in enumerate(items):
        if item.buyer_id in seen:
            raise InputValidationError(
                f"items[{position}].buyer_id", f"'{item.buyer_id}' is listed twice"
            )
        seen.add(item.buyer_id)
    if seen:
        found = dict(
            session.execute(
                select(BuyerRow.external_id, BuyerRow.center).where(
                    BuyerRow.external_id.in_(sorted(seen))
                )
            ).all()
        )
        for position, item in enumerate(items):
            if found.get(item.buyer_id, "?") != center:
                # An importer of another center reads as unknown: its existence is not disclosed.
                raise InputValidationError(
                    f"items[{position}].buyer_id",
                    f"no importer '{item.buyer_id}' at center {center}",
                )
    return [
        {"buyer_id": i.buyer_id, "note": i.note, "assigned_to": i.assigned_to, **i.extra}
        for i in items
    ]


def create(
    session: Session,
    *,
    center: str,
    exporter_external_id: str,
    title: str,
    note: str | None,
    items: Sequence[Item],
    created_by: str | None,
    external_id: str | None = None,
) -> ShortlistRow:
    exporter = session.scalar(
        select(ExporterRow.id).where(ExporterRow.external_id == exporter_external_id)
    )
    if exporter is None:
        raise InputValidationError("exporter_id", f"no exporter '{exporter_external_id}'")
    ext = external_id or new_external_id()
    if not _ID.match(ext):
        raise InputValidationError("external_id", "use 1-64 letters, digits or . : - / _")
    if session.scalar(select(ShortlistRow.id).where(ShortlistRow.external_id == ext)):
        raise ConflictError(f"shortlist '{ext}' already exists")
    row = ShortlistRow(
        external_id=ext,
        center=center,
        exporter_id=exporter,
        title=title,
        note=note,
        items=_check_items(session, center, items),
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def update(
    session: Session,
    row: ShortlistRow,
    if_match: str,
    *,
    title: str | None = None,
    note: str | None = None,
    clear_note: bool = False,
    items: Sequence[Item] | None = None,
) -> ShortlistRow:
    """Apply the given changes if ``if_match`` names the current version (which then grows
    by one), also when another edit from the same version is committing concurrently."""
    check_version(row.version, if_match)
    if title is not None:
        row.title = title
    if note is not None or clear_note:
        row.note = note
    if items is not None:
        row.items = _check_items(session, row.center, items)
    _flush_or_stale(session)
    return row


def delete(session: Session, row: ShortlistRow, if_match: str) -> None:
    check_version(row.version, if_match)
    session.delete(row)
    _flush_or_stale(session)


def _flush_or_stale(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise PreconditionFailedError(
            "the shortlist changed while you edited it; GET it again and reapply your change"
        ) from None


def exporter_external_ids(session: Session, rows: Sequence[ShortlistRow]) -> dict[int, str]:
    ids = {r.exporter_id for r in rows}
    if not ids:
        return {}
    stmt = select(ExporterRow.id, ExporterRow.external_id).where(ExporterRow.id.in_(ids))
    return dict(session.execute(stmt).all())


def working_shortlist(
    session: Session, exporter_external_id: str, center: str, title: str, created_by: str
) -> ShortlistRow:
    """The firm's shortlist at the center that staff add to from the firm page (the oldest
    one), started on first use."""
    exporter = session.scalar(
        select(ExporterRow.id).where(ExporterRow.external_id == exporter_external_id)
    )
    row = None if exporter is None else working_shortlist_if_any(session, exporter, center)
    if row is not None:
        return row
    return create(
        session,
        center=center,
        exporter_external_id=exporter_external_id,
        title=title,
        note=None,
        items=[],
        created_by=created_by,
    )


def append(session: Session, row: ShortlistRow, additions: Sequence[dict[str, Any]]) -> int:
    """Add importers at the end (each ``{"buyer_id", ...}``; ones already listed are kept as
    they are). Returns how many were added."""
    present = {item["buyer_id"] for item in row.items or []}
    fresh = [a for a in additions if a["buyer_id"] not in present]
    if not fresh:
        return 0
    items = [Item.from_stored(a) for a in fresh]
    row.items = [*(row.items or []), *_check_items(session, row.center, items)]
    _flush_or_stale(session)
    return len(fresh)


def listed_buyers(row: ShortlistRow | None) -> set[str]:
    return {item["buyer_id"] for item in (row.items if row else None) or []}


def working_shortlist_if_any(
    session: Session, exporter_id: int, center: str
) -> ShortlistRow | None:
    """The firm's working shortlist at the center (the oldest), without starting one."""
    return session.scalar(
        select(ShortlistRow)
        .where(ShortlistRow.exporter_id == exporter_id, ShortlistRow.center == center)
        .order_by(ShortlistRow.id)
        .limit(1)
    )


def visible(session: Session, principal: Principal, external_id: str) -> ShortlistRow | None:
    """The shortlist if the principal may see it (its center's staff, admins), else None:
    callers answer 404 alike for one outside the scope and one that does not exist."""
    row: ShortlistRow | None = visibility.find(
        session, ShortlistRow, visibility.shortlists, principal, external_id
    )
    return row
